#include "browser_auth.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/strings.h"
#include "text.h"

namespace advocacy::gateway {
namespace {

std::string Base64Url(std::string_view bytes) {
  std::string out;
  absl::WebSafeBase64Escape(absl::string_view(bytes.data(), bytes.size()), &out);
  return out;  // WebSafeBase64Escape writes no padding
}

}  // namespace

std::string RandomToken(size_t bytes) {
  std::string raw(bytes, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(raw.data()), static_cast<int>(bytes)) != 1) {
    // Without randomness no session can be safe: never continue with predictable values.
    std::abort();
  }
  return Base64Url(raw);
}

std::string PkceChallenge(std::string_view verifier) {
  return Base64Url(digest::Sha256Bytes(verifier));
}

std::string SafeReturnTo(std::string_view r) {
  if (r.empty() || r.size() > 512 || r[0] != '/' ||
      (r.size() > 1 && (r[1] == '/' || r[1] == '\\'))) {
    return "/";
  }
  for (char c : r) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f || c == '\\') return "/";
  }
  return std::string(r);
}

std::string AuthorizationUrl(const AuthorizationRequest& r) {
  std::string url =
      StrCat(r.endpoint, r.endpoint.find('?') == std::string::npos ? "?" : "&",
             "response_type=code&client_id=", PercentEncode(r.client_id),
             "&redirect_uri=", PercentEncode(r.redirect_uri), "&scope=", PercentEncode(r.scope),
             "&state=", PercentEncode(r.state), "&nonce=", PercentEncode(r.nonce),
             "&code_challenge=", PercentEncode(r.code_challenge), "&code_challenge_method=S256");
  for (const std::string& resource : r.resources)
    StrAppend(&url, "&resource=", PercentEncode(resource));
  return url;
}

absl::StatusOr<IdTokenClaims> CheckIdToken(std::string_view id_token, std::string_view issuer,
                                           std::string_view client_id, std::string_view nonce,
                                           int64_t now_unix) {
  const std::vector<std::string_view> parts = text::Split(id_token, '.');
  std::string payload;
  if (parts.size() != 3 ||
      !absl::WebSafeBase64Unescape(absl::string_view(parts[1].data(), parts[1].size()), &payload)) {
    return absl::UnauthenticatedError("the ID token is not a compact JWT");
  }
  const nlohmann::json j = nlohmann::json::parse(payload, nullptr, /*allow_exceptions=*/false);
  if (!j.is_object()) return absl::UnauthenticatedError("the ID token's payload is not JSON");
  const auto str = [&j](const char* name) -> std::string {
    auto it = j.find(name);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
  };
  if (str("iss") != issuer)
    return absl::UnauthenticatedError("the ID token's iss is not the issuer");
  bool audience = false;
  size_t audiences = 0;
  if (auto aud = j.find("aud"); aud != j.end()) {
    if (aud->is_string()) {
      audiences = 1;
      audience = aud->get<std::string>() == client_id;
    } else if (aud->is_array()) {
      for (const auto& a : *aud) {
        ++audiences;
        audience = audience || (a.is_string() && a.get<std::string>() == client_id);
      }
    }
  }
  if (!audience) return absl::UnauthenticatedError("the ID token is not for this client (aud)");
  if (audiences > 1 && str("azp") != client_id) {
    return absl::UnauthenticatedError("the ID token's azp is not this client");
  }
  auto exp = j.find("exp");
  if (exp == j.end() || !exp->is_number_integer() || exp->get<int64_t>() + 60 < now_unix) {
    return absl::UnauthenticatedError("the ID token has expired");
  }
  if (str("nonce").empty() || !ConstantTimeEquals(str("nonce"), nonce)) {
    return absl::UnauthenticatedError("the ID token's nonce is not the one of this sign-in");
  }
  IdTokenClaims claims{.subject = str("sub"), .name = str("name"), .email = str("email")};
  if (claims.subject.empty()) return absl::UnauthenticatedError("the ID token has no sub");
  return claims;
}

std::string SetCookie(std::string_view name, std::string_view value, std::chrono::seconds max_age,
                      bool secure) {
  return StrCat(name, "=", value, "; Path=/; Max-Age=", max_age.count(), "; HttpOnly",
                secure ? "; Secure" : "", "; SameSite=Lax");
}

std::optional<std::string> CookieValue(const http::Request& request, std::string_view name) {
  for (const auto& [header, value] : request.headers) {
    if (header != "cookie") continue;
    for (std::string_view pair : text::Split(value, ';')) {
      pair = text::Trim(pair);
      const size_t eq = pair.find('=');
      if (eq != std::string_view::npos && pair.substr(0, eq) == name) {
        return std::string(pair.substr(eq + 1));
      }
    }
  }
  return std::nullopt;
}

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace advocacy::gateway
