#include "unsubscribe.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <cstdint>

#include "absl/strings/escaping.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::notifications {
namespace {

constexpr char kVersion = 1;
constexpr size_t kMacBytes = 32;

void PutU32(std::string& out, uint32_t v) {
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutU64(std::string& out, uint64_t v) {
  for (int shift = 56; shift >= 0; shift -= 8)
    out.push_back(static_cast<char>((v >> shift) & 0xff));
}
void PutString(std::string& out, std::string_view s) {
  PutU32(out, static_cast<uint32_t>(s.size()));
  out.append(s);
}

// Reads big-endian fields; any short read leaves ok_ false.
class Reader final {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  uint64_t Uint(size_t bytes) {
    if (in_.size() < bytes) {
      ok_ = false;
      return 0;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < bytes; ++i) v = (v << 8) | static_cast<unsigned char>(in_[i]);
    in_.remove_prefix(bytes);
    return v;
  }
  std::string String() {
    const uint64_t n = Uint(4);
    if (!ok_ || in_.size() < n) {
      ok_ = false;
      return {};
    }
    std::string s(in_.substr(0, n));
    in_.remove_prefix(n);
    return s;
  }
  bool done() const { return ok_ && in_.empty(); }

 private:
  std::string_view in_;
  bool ok_ = true;
};

}  // namespace

absl::StatusOr<UnsubscribeTokenSigner> UnsubscribeTokenSigner::Create(std::string key,
                                                                      std::string previous_key) {
  if (key.size() < kMinKeyBytes) {
    return absl::InvalidArgumentError(StrCat("unsubscribe signing key: need at least ",
                                             kMinKeyBytes, " bytes, got ", key.size()));
  }
  if (!previous_key.empty() && previous_key.size() < kMinKeyBytes) {
    return absl::InvalidArgumentError(StrCat("previous unsubscribe signing key: need at least ",
                                             kMinKeyBytes, " bytes, got ", previous_key.size()));
  }
  if (previous_key == key) previous_key.clear();  // one key, whatever the configuration says
  return UnsubscribeTokenSigner(std::move(key), std::move(previous_key));
}

std::string UnsubscribeTokenSigner::Mac(const std::string& key, std::string_view payload) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
       reinterpret_cast<const unsigned char*>(payload.data()), payload.size(), md, &len);
  return std::string(reinterpret_cast<const char*>(md), len);
}

absl::StatusOr<std::string> UnsubscribeTokenSigner::Sign(const UnsubscribeClaims& claims) const {
  if (claims.tenant_id.empty() || claims.employee_id.empty()) {
    return absl::InvalidArgumentError("unsubscribe token: tenant_id and employee_id are required");
  }
  if (claims.purpose == advocacy::consent::v1::PURPOSE_UNSPECIFIED) {
    return absl::InvalidArgumentError("unsubscribe token: purpose is required");
  }
  std::string payload(1, kVersion);
  PutString(payload, claims.tenant_id);
  PutString(payload, claims.employee_id);
  PutU32(payload, static_cast<uint32_t>(claims.purpose));
  PutU64(payload, static_cast<uint64_t>(absl::ToUnixSeconds(claims.expires)));
  const std::string signed_bytes = payload + Mac(key_, payload);
  std::string token;
  absl::WebSafeBase64Escape(signed_bytes, &token);
  return token;
}

absl::StatusOr<UnsubscribeClaims> UnsubscribeTokenSigner::Verify(std::string_view token,
                                                                 absl::Time now) const {
  std::string raw;
  if (token.empty() ||
      !absl::WebSafeBase64Unescape(absl::string_view(token.data(), token.size()), &raw) ||
      raw.size() < 1 + kMacBytes) {
    return absl::InvalidArgumentError("unsubscribe token: malformed");
  }
  const std::string_view payload(raw.data(), raw.size() - kMacBytes);
  const auto signed_with = [&](const std::string& key) {
    const std::string expected = Mac(key, payload);
    return CRYPTO_memcmp(expected.data(), raw.data() + payload.size(), kMacBytes) == 0;
  };
  if (!signed_with(key_) && (previous_key_.empty() || !signed_with(previous_key_))) {
    return absl::PermissionDeniedError("unsubscribe token: signature does not match");
  }
  Reader reader(payload);
  if (reader.Uint(1) != static_cast<uint64_t>(kVersion)) {
    return absl::InvalidArgumentError("unsubscribe token: unknown version");
  }
  UnsubscribeClaims claims;
  claims.tenant_id = reader.String();
  claims.employee_id = reader.String();
  const uint64_t purpose = reader.Uint(4);
  const uint64_t expires = reader.Uint(8);
  if (!reader.done() || !advocacy::consent::v1::Purpose_IsValid(static_cast<int>(purpose))) {
    return absl::InvalidArgumentError("unsubscribe token: malformed");
  }
  claims.purpose = static_cast<advocacy::consent::v1::Purpose>(purpose);
  claims.expires = absl::FromUnixSeconds(static_cast<int64_t>(expires));
  if (now >= claims.expires) {
    return absl::FailedPreconditionError("unsubscribe token: expired");
  }
  return claims;
}

absl::StatusOr<std::string> UnsubscribeUrl(std::string_view base_url, std::string_view token) {
  if (!base_url.starts_with("https://")) {
    return absl::InvalidArgumentError(StrCat(
        "unsubscribe base URL: must start with https:// (RFC 8058), got \"", base_url, "\""));
  }
  if (token.empty()) return absl::InvalidArgumentError("unsubscribe token: empty");
  std::string_view base = base_url;
  while (base.ends_with('/')) base.remove_suffix(1);
  return StrCat(base, "/unsubscribe?token=", token);
}

absl::StatusOr<std::vector<std::pair<std::string, std::string>>> OneClickUnsubscribeHeaders(
    std::string_view base_url, std::string_view token) {
  ASSIGN_OR_RETURN(const std::string url, UnsubscribeUrl(base_url, token));
  return std::vector<std::pair<std::string, std::string>>{
      {"List-Unsubscribe", StrCat("<", url, ">")},
      {"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"},
  };
}

}  // namespace advocacy::notifications
