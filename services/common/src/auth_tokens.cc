// JWT verification (TokenVerifier), minting and key generation: everything that touches libjwt
// and OpenSSL; their C handles stay in this file. Verification calls OpenSSL directly with a key
// parsed once (see SignatureVerifies for why not libjwt); libjwt signs tokens in MintToken.

#include <jwt.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <climits>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "absl/time/time.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "nlohmann/json.hpp"

namespace advocacy::auth {
namespace {

using Json = nlohmann::json;

// Debian's Abseil is built with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the
// public std::string_view API is bridged explicitly at the edges of this file.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }
std::string_view ToStd(absl::string_view text) { return {text.data(), text.size()}; }

// Real tokens are well under 2 KiB; the bound keeps a hostile header from costing base64 and
// JSON work proportional to its size.
constexpr size_t kMaxTokenBytes = 8192;
constexpr size_t kEs256SignatureBytes = 64;  // JOSE R||S, not DER.
// Keeps exp/nbf arithmetic (adding leeway) far from int64 overflow; ~year 36800.
constexpr int64_t kMaxNumericDate = int64_t{1} << 40;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
struct JwtDeleter {
  void operator()(jwt_t* jwt) const { jwt_free(jwt); }
};
// libjwt 1.10 hands out strings from malloc and has no free function of its own.
struct MallocDeleter {
  void operator()(char* text) const { std::free(text); }  // NOLINT(cppcoreguidelines-no-malloc)
};
struct MdDeleter {
  void operator()(EVP_MD* md) const { EVP_MD_free(md); }
};
struct MdCtxDeleter {
  void operator()(EVP_MD_CTX* ctx) const { EVP_MD_CTX_free(ctx); }
};
struct EcdsaSigDeleter {
  void operator()(ECDSA_SIG* sig) const { ECDSA_SIG_free(sig); }
};
struct OpenSslFree {
  void operator()(unsigned char* data) const { OPENSSL_free(data); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using MdPtr = std::unique_ptr<EVP_MD, MdDeleter>;
using MdCtxPtr = std::unique_ptr<EVP_MD_CTX, MdCtxDeleter>;
using EcdsaSigPtr = std::unique_ptr<ECDSA_SIG, EcdsaSigDeleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;
using JwtPtr = std::unique_ptr<jwt_t, JwtDeleter>;
using MallocString = std::unique_ptr<char, MallocDeleter>;

// Takes the most specific OpenSSL error and empties the thread's error queue, so a stale entry
// cannot be misattributed later by another OpenSSL user on this thread (gRPC's TLS, for one).
std::string TakeOpenSslError() {
  const unsigned long code = ERR_peek_last_error();
  std::string text = "no detail from OpenSSL";
  if (code != 0) {
    std::array<char, 256> buffer{};
    ERR_error_string_n(code, buffer.data(), buffer.size());
    text = buffer.data();
  }
  ERR_clear_error();
  return text;
}

// Never prompt on a terminal for a passphrase: encrypted keys are simply not supported.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

enum class KeyKind { kPublic, kPrivate };

absl::StatusOr<PkeyPtr> ParseP256Key(absl::string_view pem, KeyKind kind) {
  const absl::string_view what = kind == KeyKind::kPublic ? "public key" : "private key";
  if (pem.empty()) return absl::InvalidArgumentError(absl::StrCat("the ", what, " PEM is empty"));
  if (pem.size() > INT_MAX) {
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " PEM is implausibly large"));
  }
  BioPtr bio(BIO_new_mem_buf(pem.data(), static_cast<int>(pem.size())));
  if (bio == nullptr) {
    return absl::ResourceExhaustedError(absl::StrCat("cannot buffer the ", what, " PEM"));
  }
  PkeyPtr key(kind == KeyKind::kPublic
                  ? PEM_read_bio_PUBKEY(bio.get(), nullptr, NoPassphrase, nullptr)
                  : PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (key == nullptr) {
    const std::string detail = TakeOpenSslError();
    if (kind == KeyKind::kPublic && absl::StrContains(pem, "PRIVATE KEY")) {
      return absl::InvalidArgumentError(
          "the configured JWT public key is a PRIVATE key; give services only the identity "
          "provider's public key (PEM 'BEGIN PUBLIC KEY', e.g. `openssl ec -in key.pem -pubout`)");
    }
    if (kind == KeyKind::kPublic && absl::StrContains(pem, "BEGIN CERTIFICATE")) {
      return absl::InvalidArgumentError(
          "the configured JWT public key is a certificate; extract its key with "
          "`openssl x509 -in cert.pem -pubkey -noout`");
    }
    return absl::InvalidArgumentError(
        absl::StrCat("the ", what, " is not a parsable unencrypted PEM ",
                     kind == KeyKind::kPublic ? "'BEGIN PUBLIC KEY'" : "EC/PKCS#8 private key",
                     " (OpenSSL: ", detail, ")"));
  }
  if (!EVP_PKEY_is_a(key.get(), "EC")) {
    const char* type = EVP_PKEY_get0_type_name(key.get());
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " is a ",
                                                   type != nullptr ? type : "non-EC",
                                                   " key; ES256 needs an EC P-256 key"));
  }
  std::array<char, 80> group{};
  size_t group_length = 0;
  if (EVP_PKEY_get_group_name(key.get(), group.data(), group.size(), &group_length) != 1 ||
      absl::string_view(group.data(), group_length) != "prime256v1") {
    ERR_clear_error();
    return absl::InvalidArgumentError(absl::StrCat("the ", what, " is on EC curve '",
                                                   absl::string_view(group.data(), group_length),
                                                   "', but ES256 needs P-256 (prime256v1)"));
  }
  return key;
}

std::string FormatUnixSeconds(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

// Claim values are shown to help an operator, bounded and with control and non-ASCII bytes
// escaped, since they are still attacker-influenced text. JSON values are shown as JSON.
std::string Shown(absl::string_view value) {
  constexpr size_t kMaxShown = 64;
  std::string shown = "'";
  for (char c : value.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F || c == '\\') {
      absl::StrAppend(&shown, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      shown.push_back(c);
    }
  }
  if (value.size() > kMaxShown) shown += "...";
  shown += "'";
  return shown;
}

std::string ShownJson(const Json& value) {
  return value.is_string() ? Shown(value.get<std::string>()) : Shown(value.dump());
}

absl::Status Rejected(absl::string_view reason) {
  return absl::UnauthenticatedError(absl::StrCat("bearer token rejected: ", reason));
}

std::string ExpiredReason(int64_t expires_at, int64_t now, std::chrono::seconds leeway) {
  return absl::StrCat("token expired at ", FormatUnixSeconds(expires_at), " (now ",
                      FormatUnixSeconds(now), ", leeway ", leeway.count(), "s)");
}

// "Bearer <token>" (any case) or the bare token.
absl::StatusOr<absl::string_view> ExtractToken(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  constexpr absl::string_view kMissing =
      "no bearer token; send metadata 'authorization: Bearer <JWT>'";
  if (header.empty()) return Rejected(kMissing);
  const size_t space = header.find_first_of(" \t");
  if (space == absl::string_view::npos) {
    if (absl::EqualsIgnoreCase(header, "bearer")) return Rejected(kMissing);
    return header;
  }
  const absl::string_view scheme = header.substr(0, space);
  if (!absl::EqualsIgnoreCase(scheme, "bearer")) {
    if (scheme.size() <= 16 && IsValidId(ToStd(scheme))) {
      return Rejected(absl::StrCat("authorization scheme '", scheme,
                                   "' is not supported; send 'Bearer <JWT>'"));
    }
    return Rejected("authorization header is not of the form 'Bearer <JWT>'");
  }
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(header.substr(space));
  if (token.find_first_of(" \t") != absl::string_view::npos) {
    return Rejected("authorization header has text after the token; send 'Bearer <JWT>'");
  }
  return token;
}

bool IsBase64UrlOrDot(char c) {
  return absl::ascii_isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.';
}

// Compact JWS shape: three unpadded base64url segments. The third may be empty so that an
// alg=none token gets the more useful "alg not accepted" message.
absl::Status CheckShape(absl::string_view token) {
  if (token.size() > kMaxTokenBytes) {
    return Rejected(absl::StrCat("token is longer than ", kMaxTokenBytes, " bytes"));
  }
  if (!std::all_of(token.begin(), token.end(), IsBase64UrlOrDot) ||
      std::count(token.begin(), token.end(), '.') != 2) {
    return Rejected("malformed token (expected three base64url segments separated by '.')");
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  if (first_dot == 0 || second_dot == first_dot + 1) {
    return Rejected("malformed token (empty header or payload segment)");
  }
  return absl::OkStatus();
}

bool IsAccessTokenType(const Json& typ) {
  if (!typ.is_string()) return false;
  absl::string_view value = typ.get_ref<const std::string&>();
  absl::ConsumePrefix(&value, "application/");  // RFC 7515 4.1.9 allows either spelling.
  return absl::EqualsIgnoreCase(value, "JWT") || absl::EqualsIgnoreCase(value, "at+jwt");
}

absl::StatusOr<Json> DecodeJsonSegment(absl::string_view segment, absl::string_view name) {
  std::string decoded;
  if (!absl::WebSafeBase64Unescape(segment, &decoded)) {
    return Rejected(absl::StrCat("malformed token (", name, " is not valid base64url)"));
  }
  Json value = Json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) {
    return Rejected(absl::StrCat("malformed token (", name, " is not a JSON object)"));
  }
  return value;
}

const Json* FindMember(const Json& object, const char* name) {
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

// RFC 7519 NumericDate: seconds, possibly fractional. Clamped so later arithmetic cannot
// overflow; fractions round down, which only ever makes exp stricter.
std::optional<int64_t> ToNumericDate(const Json& value) {
  if (value.is_number_unsigned()) {
    return static_cast<int64_t>(
        std::min<uint64_t>(value.get<uint64_t>(), static_cast<uint64_t>(kMaxNumericDate)));
  }
  if (value.is_number_integer()) {
    return std::clamp(value.get<int64_t>(), -kMaxNumericDate, kMaxNumericDate);
  }
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds)) return std::nullopt;
    const auto limit = static_cast<double>(kMaxNumericDate);
    return static_cast<int64_t>(std::floor(std::clamp(seconds, -limit, limit)));
  }
  return std::nullopt;
}

absl::StatusOr<std::string> RequiredId(const Json& claims, const char* name) {
  const Json* value = FindMember(claims, name);
  if (value == nullptr) return Rejected(absl::StrCat("token has no '", name, "' claim"));
  if (!value->is_string())
    return Rejected(absl::StrCat("token '", name, "' claim is not a string"));
  std::string text = value->get<std::string>();
  if (!IsValidId(text)) {
    return Rejected(absl::StrCat("token '", name, "' claim ", Shown(text), " is not a valid id (1-",
                                 kMaxIdLength, " visible ASCII characters)"));
  }
  return text;
}

// Cache keys: the SHA-256 of the token's bytes.
using Digest = std::array<unsigned char, digest::kSha256Bytes>;

// The digest is uniformly random, so a slice of it is a perfectly good hash. Bytes 8..15 are
// used because byte 0 already picks the shard.
struct DigestHash {
  size_t operator()(const Digest& digest) const {
    size_t hash = 0;
    std::memcpy(&hash, digest.data() + 8, sizeof(hash));
    return hash;
  }
};

// Bounded cache of verified tokens. Sharded so concurrent RPCs rarely contend on one mutex;
// each shard is a ring of slots, so the oldest insertion is evicted when the shard is full and
// memory never exceeds `capacity` entries. Keys are SHA-256 digests: a token that is not
// byte-identical to a verified one can never hit.
class TokenCache final {
 public:
  enum class Lookup { kMiss, kHit, kExpired };

  explicit TokenCache(size_t capacity)
      : shard_count_(std::min(kMaxShards, capacity)),
        shards_(shard_count_ == 0 ? 0 : shard_count_),
        per_shard_capacity_(shard_count_ == 0 ? 0 : capacity / shard_count_) {}

  [[nodiscard]] bool enabled() const { return shard_count_ > 0; }

  // On kHit and kExpired, *principal is the cached one; an expired entry is dropped.
  Lookup Find(const Digest& key, int64_t now, Principal* principal) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return Lookup::kMiss;
    Slot& slot = shard.slots[it->second];
    *principal = slot.principal;
    if (now < slot.valid_until) return Lookup::kHit;
    slot.live = false;
    shard.index.erase(it);
    return Lookup::kExpired;
  }

  void Insert(const Digest& key, const Principal& principal, int64_t valid_until) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      shard.slots[it->second].valid_until = valid_until;
      return;
    }
    size_t position = 0;
    if (shard.slots.size() < per_shard_capacity_) {
      position = shard.slots.size();
      shard.slots.emplace_back();
    } else {
      position = shard.next;
      shard.next = (shard.next + 1) % per_shard_capacity_;
      if (shard.slots[position].live) shard.index.erase(shard.slots[position].key);
    }
    shard.slots[position] = Slot{key, principal, valid_until, true};
    shard.index.emplace(key, position);
  }

  [[nodiscard]] size_t Size() const {
    size_t total = 0;
    for (const Shard& shard : shards_) {
      std::lock_guard<std::mutex> lock(shard.mu);
      total += shard.index.size();
    }
    return total;
  }

 private:
  static constexpr size_t kMaxShards = 16;

  struct Slot {
    Digest key{};
    Principal principal;
    int64_t valid_until = 0;
    bool live = false;
  };
  struct Shard {
    mutable std::mutex mu;
    absl::flat_hash_map<Digest, size_t, DigestHash> index;
    std::vector<Slot> slots;  // Grows to per_shard_capacity_, then is reused as a ring.
    size_t next = 0;
  };

  Shard& ShardFor(const Digest& key) { return shards_[key[0] % shard_count_]; }

  const size_t shard_count_;
  std::vector<Shard> shards_;
  const size_t per_shard_capacity_;
};

}  // namespace

class TokenVerifier::Impl final {
 public:
  Impl(VerifierOptions options, PkeyPtr public_key, MdPtr sha256)
      : options_(std::move(options)),
        public_key_(std::move(public_key)),
        sha256_(std::move(sha256)),
        cache_(options_.cache_capacity) {
    if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
  }

  absl::StatusOr<Principal> Verify(absl::string_view authorization_header) const {
    ASSIGN_OR_RETURN(const absl::string_view token, ExtractToken(authorization_header));
    RETURN_IF_ERROR(CheckShape(token));
    const int64_t now = NowSeconds();
    if (!cache_.enabled()) return VerifyUncached(token, now);

    const Digest key = digest::Sha256(ToStd(token));
    Principal cached;
    switch (cache_.Find(key, now, &cached)) {
      case TokenCache::Lookup::kHit:
        return cached;
      case TokenCache::Lookup::kExpired:
        return Rejected(ExpiredReason(cached.expires_at, now, options_.leeway));
      case TokenCache::Lookup::kMiss:
        break;
    }
    absl::StatusOr<Principal> principal = VerifyUncached(token, now);
    if (principal.ok()) cache_.Insert(key, *principal, ValidUntil(principal->expires_at));
    return principal;
  }

  size_t CachedTokenCount() const { return cache_.Size(); }

 private:
  int64_t NowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch())
        .count();
  }

  // First second at which a token with this exp is refused.
  int64_t ValidUntil(int64_t expires_at) const { return expires_at + options_.leeway.count(); }

  absl::StatusOr<Principal> VerifyUncached(absl::string_view token, int64_t now) const {
    const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');

    // The header names the algorithm but never chooses it: only ES256 is accepted. That
    // closes alg=none and HS256 keyed with the public PEM (which libjwt 1.10's jwt_decode, for
    // one, accepts as valid when handed that PEM).
    ASSIGN_OR_RETURN(const Json header, DecodeJsonSegment(parts[0], "header"));
    const Json* alg = FindMember(header, "alg");
    if (alg == nullptr || !alg->is_string()) return Rejected("token header has no 'alg'");
    if (alg->get<std::string>() != "ES256") {
      return Rejected(
          absl::StrCat("token alg ", ShownJson(*alg), " is not accepted; only ES256 is"));
    }
    // Explicit typing (RFC 8725 3.11) keeps other kinds of JWT from the same issuer out.
    if (const Json* typ = FindMember(header, "typ"); typ != nullptr && !IsAccessTokenType(*typ)) {
      return Rejected(absl::StrCat("token typ ", ShownJson(*typ),
                                   R"( is not accepted; expected "JWT" or "at+jwt")"));
    }
    if (FindMember(header, "crit") != nullptr) {
      return Rejected("token header lists critical extensions ('crit'), which are not supported");
    }

    std::string signature;
    if (!absl::WebSafeBase64Unescape(parts[2], &signature) ||
        signature.size() != kEs256SignatureBytes) {
      return Rejected("token signature is not a 64-byte ES256 signature (JOSE R||S encoding)");
    }
    const absl::string_view signing_input = token.substr(0, token.rfind('.'));
    if (!SignatureVerifies(signing_input, signature)) {
      return Rejected(
          "token signature does not verify with the configured identity-provider public key "
          "(signed by another key, or altered)");
    }
    ASSIGN_OR_RETURN(const Json claims, DecodeJsonSegment(parts[1], "payload"));
    return CheckClaims(claims, now);
  }

  absl::StatusOr<Principal> CheckClaims(const Json& claims, int64_t now) const {
    const int64_t leeway = options_.leeway.count();

    const Json* exp = FindMember(claims, "exp");
    if (exp == nullptr) return Rejected("token has no 'exp' claim; tokens must expire");
    const std::optional<int64_t> expires_at = ToNumericDate(*exp);
    if (!expires_at) return Rejected("token 'exp' claim is not a number");
    if (now >= ValidUntil(*expires_at)) {
      return Rejected(ExpiredReason(*expires_at, now, options_.leeway));
    }
    if (const Json* nbf = FindMember(claims, "nbf"); nbf != nullptr) {
      const std::optional<int64_t> not_before = ToNumericDate(*nbf);
      if (!not_before) return Rejected("token 'nbf' claim is not a number");
      if (now + leeway < *not_before) {
        return Rejected(absl::StrCat("token is not valid before ", FormatUnixSeconds(*not_before),
                                     " (now ", FormatUnixSeconds(now), ", leeway ", leeway, "s)"));
      }
    }
    if (const Json* iat = FindMember(claims, "iat"); iat != nullptr && !ToNumericDate(*iat)) {
      return Rejected("token 'iat' claim is not a number");
    }
    if (const Json* jti = FindMember(claims, "jti"); jti != nullptr && !jti->is_string()) {
      return Rejected("token 'jti' claim is not a string");
    }

    const Json* iss = FindMember(claims, "iss");
    if (iss == nullptr || !iss->is_string()) return Rejected("token has no 'iss' string claim");
    if (iss->get<std::string>() != options_.issuer) {
      return Rejected(absl::StrCat("token issuer ", Shown(iss->get<std::string>()),
                                   " is not the expected ", Shown(options_.issuer)));
    }

    const Json* aud = FindMember(claims, "aud");
    if (aud == nullptr) return Rejected("token has no 'aud' claim");
    bool audience_found = false;
    if (aud->is_string()) {
      audience_found = aud->get<std::string>() == options_.audience;
    } else if (aud->is_array()) {
      for (const Json& entry : *aud) {
        if (!entry.is_string()) return Rejected("token 'aud' array holds a non-string entry");
        audience_found = audience_found || entry.get<std::string>() == options_.audience;
      }
    } else {
      return Rejected("token 'aud' claim is neither a string nor an array of strings");
    }
    if (!audience_found) {
      return Rejected(absl::StrCat("token audience ", ShownJson(*aud), " does not include ",
                                   Shown(options_.audience)));
    }

    ASSIGN_OR_RETURN(std::string subject, RequiredId(claims, "sub"));
    ASSIGN_OR_RETURN(std::string tenant, RequiredId(claims, "tenant"));

    const Json* role_claim = FindMember(claims, "role");
    if (role_claim == nullptr) return Rejected("token has no 'role' claim");
    std::optional<Role> role;
    if (role_claim->is_string()) role = ParseRole(role_claim->get<std::string>());
    if (!role) {
      return Rejected(absl::StrCat("token role ", ShownJson(*role_claim),
                                   R"( is not one of "employee", "admin", "service")"));
    }
    if (tenant == kAnyTenant && *role != Role::kService) {
      return Rejected(absl::StrCat("token tenant '*' is allowed only for role service, not ",
                                   ToAbsl(RoleName(*role))));
    }
    return Principal{std::move(tenant), std::move(subject), *role, *expires_at};
  }

  // ES256 over the exact bytes "header.payload". The key is parsed once in Create: libjwt 1.10's
  // jwt_decode re-parses the PEM on every call, which under OpenSSL 3 costs several times the
  // ECDSA verification itself and would make every uncached (or forged) token far dearer.
  bool SignatureVerifies(absl::string_view signing_input, const std::string& jose_signature) const {
    // JOSE carries the fixed-width r||s pair; OpenSSL verifies the DER ECDSA-Sig-Value.
    const auto* bytes = reinterpret_cast<const unsigned char*>(jose_signature.data());
    constexpr int kHalf = static_cast<int>(kEs256SignatureBytes / 2);
    EcdsaSigPtr sig(ECDSA_SIG_new());
    BIGNUM* r = BN_bin2bn(bytes, kHalf, nullptr);
    BIGNUM* s = BN_bin2bn(bytes + kHalf, kHalf, nullptr);
    if (sig == nullptr || r == nullptr || s == nullptr || ECDSA_SIG_set0(sig.get(), r, s) != 1) {
      BN_free(r);
      BN_free(s);
      ERR_clear_error();
      return false;
    }
    unsigned char* der = nullptr;
    const int der_length = i2d_ECDSA_SIG(sig.get(), &der);
    const std::unique_ptr<unsigned char, OpenSslFree> der_owner(der);
    MdCtxPtr ctx(EVP_MD_CTX_new());
    const bool verified =
        der_length > 0 && ctx != nullptr &&
        EVP_DigestVerifyInit(ctx.get(), nullptr, sha256_.get(), nullptr, public_key_.get()) == 1 &&
        EVP_DigestVerify(ctx.get(), der, static_cast<size_t>(der_length),
                         reinterpret_cast<const unsigned char*>(signing_input.data()),
                         signing_input.size()) == 1;
    // A failed verification leaves entries on this thread's OpenSSL error queue.
    if (!verified) ERR_clear_error();
    return verified;
  }

  VerifierOptions options_;
  const PkeyPtr public_key_;  // Shared read-only by all threads, which OpenSSL 3 allows.
  const MdPtr sha256_;        // Fetched once instead of an implicit fetch per verification.
  mutable TokenCache cache_;
};

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(VerifierOptions options) {
  if (options.issuer.empty()) {
    return absl::InvalidArgumentError("the JWT verifier needs the expected issuer (iss)");
  }
  if (options.audience.empty()) {
    return absl::InvalidArgumentError("the JWT verifier needs the expected audience (aud)");
  }
  if (options.leeway < std::chrono::seconds(0) || options.leeway > std::chrono::hours(1)) {
    return absl::InvalidArgumentError(
        absl::StrCat("the JWT clock-skew leeway must be between 0 and 3600 seconds, not ",
                     options.leeway.count()));
  }
  ASSIGN_OR_RETURN(PkeyPtr key, ParseP256Key(options.public_key_pem, KeyKind::kPublic));
  MdPtr sha256(EVP_MD_fetch(nullptr, "SHA256", nullptr));
  if (sha256 == nullptr) {
    return absl::InternalError("OpenSSL provides no SHA-256 (" + TakeOpenSslError() + ")");
  }
  log::Info("JWT verifier configured",
            {{"issuer", options.issuer},
             {"audience", options.audience},
             {"leeway_seconds", std::to_string(options.leeway.count())},
             {"cache_capacity", std::to_string(options.cache_capacity)}});
  return std::unique_ptr<TokenVerifier>(new TokenVerifier(
      std::make_unique<Impl>(std::move(options), std::move(key), std::move(sha256))));
}

TokenVerifier::TokenVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<Principal> TokenVerifier::Verify(std::string_view authorization_header) const {
  return impl_->Verify(ToAbsl(authorization_header));
}

size_t TokenVerifier::CachedTokenCount() const { return impl_->CachedTokenCount(); }

absl::StatusOr<std::string> MintToken(const MintOptions& options) {
  // libjwt signs with the PEM itself; parsing it first gives a clear error for a bad key.
  RETURN_IF_ERROR(ParseP256Key(options.private_key_pem, KeyKind::kPrivate).status());
  auto is_text = [](const std::string& value) {
    return !value.empty() && value.find('\0') == std::string::npos;
  };
  if (!is_text(options.issuer) || !is_text(options.audience)) {
    return absl::InvalidArgumentError("cannot mint a token: issuer and audience must be set");
  }
  const Principal& principal = options.principal;
  if (!IsValidId(principal.subject) || !IsValidId(principal.tenant_id)) {
    return absl::InvalidArgumentError(
        absl::StrCat("cannot mint a token: subject and tenant must be 1-", kMaxIdLength,
                     " visible ASCII characters"));
  }
  if (principal.tenant_id == kAnyTenant && principal.role != Role::kService) {
    return absl::InvalidArgumentError("cannot mint a token: tenant '*' is only for role service");
  }
  if (options.ttl <= std::chrono::seconds(0)) {
    return absl::InvalidArgumentError("cannot mint a token: ttl must be positive");
  }

  std::array<unsigned char, 16> nonce{};
  if (RAND_bytes(nonce.data(), static_cast<int>(nonce.size())) != 1) {
    return absl::InternalError("cannot mint a token: no randomness for jti: " + TakeOpenSslError());
  }
  const std::string jti = absl::BytesToHexString(
      absl::string_view(reinterpret_cast<const char*>(nonce.data()), nonce.size()));
  const int64_t now = std::chrono::duration_cast<std::chrono::seconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();

  jwt_t* raw_jwt = nullptr;
  if (jwt_new(&raw_jwt) != 0) return absl::ResourceExhaustedError("cannot allocate a JWT");
  JwtPtr jwt(raw_jwt);
  const std::string role(RoleName(principal.role));
  int error = 0;
  error = error ? error : jwt_add_grant(jwt.get(), "iss", options.issuer.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "aud", options.audience.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "sub", principal.subject.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "tenant", principal.tenant_id.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "role", role.c_str());
  error = error ? error : jwt_add_grant(jwt.get(), "jti", jti.c_str());
  error = error ? error : jwt_add_grant_int(jwt.get(), "iat", static_cast<long>(now));
  error = error ? error
                : jwt_add_grant_int(jwt.get(), "exp", static_cast<long>(now + options.ttl.count()));
  error = error
              ? error
              : jwt_set_alg(jwt.get(), JWT_ALG_ES256,
                            reinterpret_cast<const unsigned char*>(options.private_key_pem.data()),
                            static_cast<int>(options.private_key_pem.size()));
  if (error != 0) {
    return absl::InternalError(absl::StrCat(
        "cannot mint a token: libjwt failed to set its claims (", std::strerror(error), ")"));
  }
  MallocString encoded(jwt_encode_str(jwt.get()));
  if (encoded == nullptr) {
    return absl::InternalError(
        "cannot mint a token: libjwt could not sign it (OpenSSL: " + TakeOpenSslError() + ")");
  }
  return std::string(encoded.get());
}

absl::StatusOr<std::pair<std::string, std::string>> GenerateKeyPair() {
  PkeyPtr key(EVP_EC_gen("P-256"));
  if (key == nullptr) {
    return absl::InternalError("cannot generate a P-256 key (OpenSSL: " + TakeOpenSslError() + ")");
  }
  auto to_pem = [](auto write) -> std::optional<std::string> {
    BioPtr bio(BIO_new(BIO_s_mem()));
    if (bio == nullptr || write(bio.get()) != 1) return std::nullopt;
    char* data = nullptr;
    const long length = BIO_get_mem_data(bio.get(), &data);
    if (length <= 0 || data == nullptr) return std::nullopt;
    return std::string(data, static_cast<size_t>(length));
  };
  std::optional<std::string> private_pem = to_pem([&](BIO* bio) {
    return PEM_write_bio_PrivateKey(bio, key.get(), nullptr, nullptr, 0, nullptr, nullptr);
  });
  std::optional<std::string> public_pem =
      to_pem([&](BIO* bio) { return PEM_write_bio_PUBKEY(bio, key.get()); });
  if (!private_pem || !public_pem) {
    return absl::InternalError(
        "cannot encode the generated key as PEM (OpenSSL: " + TakeOpenSslError() + ")");
  }
  return std::make_pair(std::move(*private_pem), std::move(*public_pem));
}

}  // namespace advocacy::auth
