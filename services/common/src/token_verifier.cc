// TokenVerifier: the compact-JWS checks, key selection per issuer and kid, the algorithm pin,
// the verification cache, readiness. Claims are checked in token_claims.cc, keys parsed in
// jwk.cc and loaded in issuer_keys.cc.

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
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
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "issuer_keys.h"
#include "jwk.h"
#include "jwks_source.h"
#include "token_claims.h"
#include "verifier_options.h"

namespace advocacy::auth {
namespace {

using internal::IssuerKeys;
using internal::Json;
using internal::JwsAlg;
using internal::KeyPtr;
using internal::Reject;
using internal::Shown;
using internal::ShownJson;

// Debian's Abseil is built with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0), so the
// public std::string_view API is bridged explicitly at the edges of this file.
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }
std::string_view ToStd(absl::string_view text) { return {text.data(), text.size()}; }

// Real tokens are well under 2 KiB (RS256 with a 4096-bit key: ~1.5 KiB); the bound keeps a
// hostile header from costing base64 and JSON work proportional to its size.
constexpr size_t kMaxTokenBytes = 8192;

constexpr std::array<RejectReason, kRejectReasonCount> kAllReasons = {
    RejectReason::kMissing,         RejectReason::kMalformed,      RejectReason::kHeader,
    RejectReason::kAlgorithm,       RejectReason::kIssuer,         RejectReason::kUnknownKey,
    RejectReason::kKeysUnavailable, RejectReason::kSignature,      RejectReason::kExpired,
    RejectReason::kNotYetValid,     RejectReason::kIssuedInFuture, RejectReason::kLifetime,
    RejectReason::kAudience,        RejectReason::kClaims};

// "Bearer <token>" (any case) or the bare token.
absl::StatusOr<absl::string_view> ExtractToken(absl::string_view header) {
  header = absl::StripAsciiWhitespace(header);
  constexpr absl::string_view kMissing =
      "no bearer token; send metadata 'authorization: Bearer <JWT>'";
  if (header.empty()) return Reject(RejectReason::kMissing, kMissing);
  const size_t space = header.find_first_of(" \t");
  if (space == absl::string_view::npos) {
    if (absl::EqualsIgnoreCase(header, "bearer")) return Reject(RejectReason::kMissing, kMissing);
    return header;
  }
  const absl::string_view scheme = header.substr(0, space);
  if (!absl::EqualsIgnoreCase(scheme, "bearer")) {
    if (scheme.size() <= 16 && IsValidId(ToStd(scheme))) {
      return Reject(RejectReason::kMissing,
                    absl::StrCat("authorization scheme '", scheme,
                                 "' is not supported; send 'Bearer <JWT>'"));
    }
    return Reject(RejectReason::kMissing, "authorization header is not of the form 'Bearer <JWT>'");
  }
  const absl::string_view token = absl::StripLeadingAsciiWhitespace(header.substr(space));
  if (token.find_first_of(" \t") != absl::string_view::npos) {
    return Reject(RejectReason::kMalformed,
                  "authorization header has text after the token; send 'Bearer <JWT>'");
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
    return Reject(RejectReason::kMalformed,
                  absl::StrCat("token is longer than ", kMaxTokenBytes, " bytes"));
  }
  if (!std::all_of(token.begin(), token.end(), IsBase64UrlOrDot) ||
      std::count(token.begin(), token.end(), '.') != 2) {
    return Reject(RejectReason::kMalformed,
                  "malformed token (expected three base64url segments separated by '.')");
  }
  const size_t first_dot = token.find('.');
  const size_t second_dot = token.find('.', first_dot + 1);
  if (first_dot == 0 || second_dot == first_dot + 1) {
    return Reject(RejectReason::kMalformed, "malformed token (empty header or payload segment)");
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
    return Reject(RejectReason::kMalformed,
                  absl::StrCat("malformed token (", name, " is not valid base64url)"));
  }
  Json value = Json::parse(decoded, nullptr, /*allow_exceptions=*/false);
  if (!value.is_object()) {
    return Reject(RejectReason::kMalformed,
                  absl::StrCat("malformed token (", name, " is not a JSON object)"));
  }
  return value;
}

// What the JOSE header says, checked: the algorithm (one we accept at all) and the kid.
struct JoseHeader {
  JwsAlg alg = JwsAlg::kEs256;
  std::optional<std::string> kid;
};

absl::StatusOr<JoseHeader> ParseHeader(absl::string_view segment) {
  ASSIGN_OR_RETURN(const Json header, DecodeJsonSegment(segment, "header"));
  auto alg = header.find("alg");
  if (alg == header.end() || !alg->is_string()) {
    return Reject(RejectReason::kAlgorithm, "token header has no 'alg'");
  }
  // The header names the algorithm but never chooses it: it must also be its key's (Verify).
  // Everything else is refused here: "none", HS256 keyed with a public key, ...
  const std::optional<JwsAlg> parsed = internal::ParseJwsAlg(alg->get_ref<const std::string&>());
  if (!parsed) {
    return Reject(RejectReason::kAlgorithm,
                  absl::StrCat("token alg ", ShownJson(*alg),
                               " is not accepted; RS256, PS256 and ES256 are"));
  }
  // Explicit typing (RFC 8725 3.11) keeps other kinds of JWT from the same issuer out.
  if (auto typ = header.find("typ"); typ != header.end() && !IsAccessTokenType(*typ)) {
    return Reject(RejectReason::kHeader,
                  absl::StrCat("token typ ", ShownJson(*typ),
                               R"( is not accepted; expected "JWT" or "at+jwt")"));
  }
  if (header.contains("crit")) {
    return Reject(RejectReason::kHeader,
                  "token header lists critical extensions ('crit'), which are not supported");
  }
  JoseHeader out{.alg = *parsed};
  if (auto kid = header.find("kid"); kid != header.end()) {
    if (!kid->is_string() || kid->get_ref<const std::string&>().empty() ||
        kid->get_ref<const std::string&>().size() > internal::kMaxKidBytes) {
      return Reject(RejectReason::kHeader, absl::StrCat("token 'kid' is not a string of 1-",
                                                        internal::kMaxKidBytes, " bytes"));
    }
    out.kid = kid->get<std::string>();
  }
  return out;
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
// byte-identical to a verified one can never hit. Each entry remembers the key epoch it was
// verified in; once a key left a JWKS (the epoch moved on) it is a miss and verified again.
class TokenCache final {
 public:
  enum class Lookup { kMiss, kHit, kExpired };

  explicit TokenCache(size_t capacity)
      : shard_count_(std::min(kMaxShards, capacity)),
        shards_(shard_count_ == 0 ? 0 : shard_count_),
        per_shard_capacity_(shard_count_ == 0 ? 0 : capacity / shard_count_) {}

  [[nodiscard]] bool enabled() const { return shard_count_ > 0; }

  // On kHit and kExpired, *principal is the cached one; an expired or stale entry is dropped.
  Lookup Find(const Digest& key, int64_t now, uint64_t epoch, Principal* principal) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    auto it = shard.index.find(key);
    if (it == shard.index.end()) return Lookup::kMiss;
    Slot& slot = shard.slots[it->second];
    *principal = slot.principal;
    const bool stale = slot.epoch != epoch;
    if (now < slot.valid_until && !stale) return Lookup::kHit;
    slot.live = false;
    shard.index.erase(it);
    return stale ? Lookup::kMiss : Lookup::kExpired;
  }

  void Insert(const Digest& key, const Principal& principal, int64_t valid_until, uint64_t epoch) {
    Shard& shard = ShardFor(key);
    std::lock_guard<std::mutex> lock(shard.mu);
    if (auto it = shard.index.find(key); it != shard.index.end()) {
      shard.slots[it->second].valid_until = valid_until;
      shard.slots[it->second].epoch = epoch;
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
    shard.slots[position] = Slot{key, principal, valid_until, epoch, true};
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
    uint64_t epoch = 0;
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

std::string_view RejectReasonName(RejectReason reason) {
  switch (reason) {
    case RejectReason::kMissing:
      return "missing";
    case RejectReason::kMalformed:
      return "malformed";
    case RejectReason::kHeader:
      return "header";
    case RejectReason::kAlgorithm:
      return "algorithm";
    case RejectReason::kIssuer:
      return "issuer";
    case RejectReason::kUnknownKey:
      return "unknown_key";
    case RejectReason::kKeysUnavailable:
      return "keys_unavailable";
    case RejectReason::kSignature:
      return "signature";
    case RejectReason::kExpired:
      return "expired";
    case RejectReason::kNotYetValid:
      return "not_yet_valid";
    case RejectReason::kIssuedInFuture:
      return "issued_in_future";
    case RejectReason::kLifetime:
      return "lifetime";
    case RejectReason::kAudience:
      return "audience";
    case RejectReason::kClaims:
      return "claims";
  }
  return "unknown";
}

std::optional<RejectReason> RejectReasonOf(const absl::Status& status) {
  const absl::optional<absl::Cord> payload = status.GetPayload(internal::kRejectReasonPayload);
  if (!payload) return std::nullopt;
  for (RejectReason reason : kAllReasons) {
    if (*payload == ToAbsl(RejectReasonName(reason))) return reason;
  }
  return std::nullopt;
}

class TokenVerifier::Impl final {
 public:
  struct Issuer {
    IssuerOptions options;
    std::unique_ptr<IssuerKeys> keys;
  };

  explicit Impl(VerifierOptions options)
      : options_(std::move(options)), cache_(options_.cache_capacity) {
    if (!options_.clock) options_.clock = [] { return std::chrono::system_clock::now(); };
  }

  ~Impl() {
    for (auto& issuer : issuers_) issuer->keys->Stop();
  }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Builds the issuers' key stores; files are loaded here, URLs on their threads.
  absl::Status AddIssuers(std::vector<IssuerOptions> issuers) {
    for (IssuerOptions& options : issuers) {
      std::sort(options.claims.allowed_tenants.begin(), options.claims.allowed_tenants.end());
      const std::string name = options.issuer;
      IssuerKeys::Options keys{.issuer = name,
                               .policy = options_.jwks,
                               .key_epoch = &key_epoch_,
                               .on_status = options_.on_key_status};
      if (!options.keys.public_key_pem.empty()) {
        absl::StatusOr<KeyPtr> key = internal::KeyFromPem(options.keys.public_key_pem);
        if (!key.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("issuer '", name, "': ", key.status().message()));
        }
        keys.static_keys.push_back(*std::move(key));
      } else {
        absl::StatusOr<std::unique_ptr<internal::JwksSource>> source =
            internal::MakeJwksSource(options.keys, options_.jwks);
        if (!source.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("issuer '", name, "': ", source.status().message()));
        }
        keys.source = *std::move(source);
      }
      auto issuer = std::make_unique<Issuer>(
          Issuer{std::move(options), std::make_unique<IssuerKeys>(std::move(keys))});
      if (!issuer->options.keys.jwks_file.empty()) {
        if (absl::Status loaded = issuer->keys->LoadNow(); !loaded.ok()) {
          return absl::InvalidArgumentError(
              absl::StrCat("issuer '", name, "': ", loaded.message()));
        }
      }
      by_name_.emplace(name, issuer.get());
      issuers_.push_back(std::move(issuer));
    }
    for (auto& issuer : issuers_) issuer->keys->Start();
    return absl::OkStatus();
  }

  absl::StatusOr<Principal> Verify(absl::string_view authorization_header) const {
    absl::StatusOr<Principal> principal = VerifyCached(authorization_header);
    if (!principal.ok() && options_.on_rejected) {
      options_.on_rejected(RejectReasonOf(principal.status()).value_or(RejectReason::kMalformed));
    }
    return principal;
  }

  absl::Status Readiness() const {
    std::vector<std::string> problems;
    for (const auto& issuer : issuers_) {
      if (issuer->keys->Usable()) continue;
      const IssuerKeyStatus status = issuer->keys->Status();
      problems.push_back(absl::StrCat(
          "no usable token-signing key for issuer '", status.issuer, "' (", status.source, ": ",
          status.last_error.empty() ? "not loaded yet" : status.last_error, ")"));
    }
    if (problems.empty()) return absl::OkStatus();
    return absl::UnavailableError(absl::StrJoin(problems, "; "));
  }

  std::vector<IssuerKeyStatus> KeyStatus() const {
    std::vector<IssuerKeyStatus> out;
    out.reserve(issuers_.size());
    for (const auto& issuer : issuers_) out.push_back(issuer->keys->Status());
    return out;
  }

  size_t CachedTokenCount() const { return cache_.Size(); }

 private:
  absl::StatusOr<Principal> VerifyCached(absl::string_view authorization_header) const {
    ASSIGN_OR_RETURN(const absl::string_view token, ExtractToken(authorization_header));
    RETURN_IF_ERROR(CheckShape(token));
    const int64_t now = NowSeconds();
    // Read before verifying: a key dropped meanwhile makes this entry stale at once.
    const uint64_t epoch = key_epoch_.load();
    if (!cache_.enabled()) return VerifyUncached(token, now);

    const Digest key = digest::Sha256(ToStd(token));
    Principal cached;
    switch (cache_.Find(key, now, epoch, &cached)) {
      case TokenCache::Lookup::kHit:
        return cached;
      case TokenCache::Lookup::kExpired:
        return internal::ExpiredRejection(cached.expires_at, now, options_.leeway);
      case TokenCache::Lookup::kMiss:
        break;
    }
    absl::StatusOr<Principal> principal = VerifyUncached(token, now);
    if (principal.ok()) {
      cache_.Insert(key, *principal, principal->expires_at + options_.leeway.count(), epoch);
    }
    return principal;
  }

  int64_t NowSeconds() const {
    return std::chrono::duration_cast<std::chrono::seconds>(options_.clock().time_since_epoch())
        .count();
  }

  absl::StatusOr<Principal> VerifyUncached(absl::string_view token, int64_t now) const {
    const std::vector<absl::string_view> parts = absl::StrSplit(token, '.');
    ASSIGN_OR_RETURN(const JoseHeader header, ParseHeader(parts[0]));
    // The payload is read before the signature is checked only to learn the issuer, which
    // picks the keys; nothing else in it is used until the signature verified.
    ASSIGN_OR_RETURN(const Json claims, DecodeJsonSegment(parts[1], "payload"));
    ASSIGN_OR_RETURN(Issuer * issuer, FindIssuer(claims));
    ASSIGN_OR_RETURN(const KeyPtr key, FindKey(*issuer, header));
    if (key->alg != header.alg) {
      return Reject(
          RejectReason::kAlgorithm,
          absl::StrCat("token alg '", internal::JwsAlgName(header.alg),
                       "' is not the algorithm of its key (", internal::JwsAlgName(key->alg), ")"));
    }
    std::string signature;
    if (!absl::WebSafeBase64Unescape(parts[2], &signature) ||
        !internal::SignatureVerifies(*key, token.substr(0, token.rfind('.')), signature)) {
      return Reject(RejectReason::kSignature,
                    "token signature does not verify with its issuer's key (signed by another "
                    "key, or altered)");
    }
    ASSIGN_OR_RETURN(
        const int64_t expires_at,
        internal::CheckTimes(claims, {.now = now,
                                      .leeway = options_.leeway,
                                      .max_lifetime = issuer->options.max_token_lifetime}));
    RETURN_IF_ERROR(internal::CheckAudience(claims, issuer->options.audiences));
    return internal::MapPrincipal(claims, issuer->options.claims, expires_at);
  }

  absl::StatusOr<Issuer*> FindIssuer(const Json& claims) const {
    auto iss = claims.find("iss");
    if (iss == claims.end() || !iss->is_string()) {
      return Reject(RejectReason::kIssuer, "token has no 'iss' string claim");
    }
    auto it = by_name_.find(iss->get_ref<const std::string&>());
    if (it == by_name_.end()) {
      return Reject(RejectReason::kIssuer,
                    absl::StrCat("token issuer ", ShownJson(*iss), " is not trusted here"));
    }
    return it->second;
  }

  static absl::StatusOr<KeyPtr> FindKey(Issuer& issuer, const JoseHeader& header) {
    IssuerKeys::Found found = issuer.keys->Find(header.kid);
    if (found.key != nullptr) return found.key;
    if (!found.any_loaded) {
      return Reject(RejectReason::kKeysUnavailable,
                    "the keys of the token's issuer are not available yet; try again later");
    }
    if (!header.kid) {
      return Reject(RejectReason::kUnknownKey,
                    "token has no 'kid' and its issuer has several keys");
    }
    return Reject(RejectReason::kUnknownKey, absl::StrCat("token kid ", Shown(*header.kid),
                                                          " is not a current key of its issuer"));
  }

  VerifierOptions options_;
  std::vector<std::unique_ptr<Issuer>> issuers_;
  absl::flat_hash_map<std::string, Issuer*> by_name_;
  std::atomic<uint64_t> key_epoch_{0};
  mutable TokenCache cache_;
};

absl::StatusOr<std::unique_ptr<TokenVerifier>> TokenVerifier::Create(VerifierOptions options) {
  RETURN_IF_ERROR(ValidateVerifierOptions(options));
  std::vector<IssuerOptions> issuers = internal::ExpandedIssuers(options);
  auto impl = std::make_unique<Impl>(std::move(options));
  RETURN_IF_ERROR(impl->AddIssuers(issuers));
  for (const IssuerOptions& issuer : issuers) {
    log::Info("token issuer configured",
              {{"issuer", issuer.issuer},
               {"audiences", absl::StrJoin(issuer.audiences, ",")},
               {"keys", !issuer.keys.jwks_uri.empty()    ? issuer.keys.jwks_uri
                        : !issuer.keys.jwks_file.empty() ? "file " + issuer.keys.jwks_file
                                                         : std::string("static key")},
               {"max_token_lifetime_seconds", std::to_string(issuer.max_token_lifetime.count())}});
  }
  return std::unique_ptr<TokenVerifier>(new TokenVerifier(std::move(impl)));
}

TokenVerifier::TokenVerifier(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
TokenVerifier::~TokenVerifier() = default;

absl::StatusOr<Principal> TokenVerifier::Verify(std::string_view authorization_header) const {
  return impl_->Verify(ToAbsl(authorization_header));
}

absl::Status TokenVerifier::Readiness() const { return impl_->Readiness(); }

std::vector<IssuerKeyStatus> TokenVerifier::KeyStatus() const { return impl_->KeyStatus(); }

size_t TokenVerifier::CachedTokenCount() const { return impl_->CachedTokenCount(); }

}  // namespace advocacy::auth
