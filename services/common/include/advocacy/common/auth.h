#pragma once

// Authentication and authorization for every RPC.
//
// Callers present `authorization: Bearer <JWT>`. Tokens are signed (RS256, PS256 or ES256) by
// the organization's identity provider(s); services hold only their PUBLIC keys, from a JWKS
// (URL or file) or, for offline development, one static key. TokenVerifier turns a header into
// a Principal; the Authorize* functions decide, without I/O, whether that principal may act on
// a tenant or an employee.
//
// Claims, with the default mapping (ClaimMapping changes it per issuer): iss, aud (string or
// array), sub (employee id or service name), tenant (tenant id, or "*" for a platform-wide
// service), role ("employee" | "admin" | "service"), exp (required), iat, nbf and jti
// (optional).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace advocacy::auth {

enum class Role { kEmployee, kAdmin, kService };

// "employee" | "admin" | "service": the spelling used in the token's role claim.
std::string_view RoleName(Role role);
// Inverse of RoleName (exact, lower case); nullopt for anything else.
std::optional<Role> ParseRole(std::string_view name);

// The rule for tenant ids, employee ids and service names in tokens: 1 to kMaxIdLength bytes of
// visible ASCII (0x21-0x7E). Services may use it to validate ids in requests too.
inline constexpr size_t kMaxIdLength = 128;
bool IsValidId(std::string_view id);

// The tenant value that lets a service principal act in every tenant.
inline constexpr std::string_view kAnyTenant = "*";

// Who is calling. From TokenVerifier, tenant_id and subject are non-empty, at most 128 bytes of
// visible ASCII (0x21-0x7E), and tenant_id is kAnyTenant only when role is kService. `scopes`
// are the OAuth scopes the token carries (sorted, without duplicates, at most kMaxScopes): what
// a `service` principal may call is decided by them (rpc::UnaryService::ServiceScope); a
// person's role and tenant rules do not depend on them.
inline constexpr size_t kMaxScopes = 64;
struct Principal {
  std::string tenant_id;
  std::string subject;
  Role role = Role::kEmployee;
  int64_t expires_at = 0;  // The token's exp, seconds since the Unix epoch.
  std::vector<std::string> scopes;

  friend bool operator==(const Principal&, const Principal&) = default;
};

// --- Token verification ------------------------------------------------------------------------
//
// Tokens come from one or more issuers (the organization's identity provider, and for offline
// development a static key). Each issuer has its own keys, audiences and claim mapping.

// Why a token was refused: the bounded label of advocacy_auth_rejected_total{reason}.
enum class RejectReason {
  kMissing,          // no token, or an authorization header that is not "Bearer <JWT>"
  kMalformed,        // not a compact JWS, or a header or payload that is not a JSON object
  kHeader,           // typ other than JWT/at+jwt, crit, or a kid that is not a short string
  kAlgorithm,        // alg missing, not RS256/PS256/ES256, or not the alg its key is pinned to
  kIssuer,           // no iss, or an issuer that is not configured
  kUnknownKey,       // no key of the issuer has the token's kid (or no kid and several keys)
  kKeysUnavailable,  // the issuer's keys were never loaded (JWKS endpoint down since start)
  kSignature,        // the signature does not verify with the key
  kExpired,          // exp missing, not a number, or passed (with leeway)
  kNotYetValid,      // nbf in the future (with leeway)
  kIssuedInFuture,   // iat in the future (with leeway)
  kLifetime,         // exp - iat (or exp - now without iat) above the issuer's maximum
  kAudience,         // aud missing or naming none of the issuer's audiences
  kClaims,           // tenant, subject or role missing, invalid, unmapped or not allowed
};
inline constexpr int kRejectReasonCount = 14;
// "missing", "malformed", "header", "algorithm", "issuer", "unknown_key", "keys_unavailable",
// "signature", "expired", "not_yet_valid", "issued_in_future", "lifetime", "audience", "claims".
std::string_view RejectReasonName(RejectReason reason);
// The reason a status returned by TokenVerifier::Verify carries; nullopt for any other status.
std::optional<RejectReason> RejectReasonOf(const absl::Status& status);

// Where an issuer's public keys come from: exactly one of jwks_uri, jwks_file, public_key_pem.
struct KeySource {
  // A JWKS (RFC 7517) fetched with GET. https only, the server's certificate verified against
  // ca_file (a PEM bundle) or, when ca_file is empty, the system's CA store; no redirects, no
  // credentials in the URL. http is refused unless allow_insecure_loopback_http is set AND the
  // host is localhost, 127.0.0.0/8 or [::1] (development against a local provider only).
  std::string jwks_uri;
  std::string ca_file;
  bool allow_insecure_loopback_http = false;
  // A JWKS document on disk (e.g. a mounted ConfigMap). Read at start (an unreadable or invalid
  // file fails Create) and re-read on the same schedule as a fetched JWKS.
  std::string jwks_file;
  // One static public key, PEM SubjectPublicKeyInfo (EC P-256 -> ES256, RSA >= 2048 bits ->
  // RS256): the offline-development issuer. Never refreshed; it matches tokens with any kid.
  std::string public_key_pem;
};

// How an issuer's claims become a Principal. A claim is named by a path: one name for a
// top-level claim (taken verbatim, so "https://example.com/roles" works), several names for a
// nested one ({"realm_access", "roles"}).
struct ClaimMapping {
  std::vector<std::string> tenant_claim = {"tenant"};
  std::vector<std::string> subject_claim = {"sub"};
  // A string (one name) or an array of strings; with roles_space_separated a string is split on
  // spaces (OAuth "scope" style).
  std::vector<std::string> roles_claim = {"role"};
  // The OAuth scopes: a space-separated string (RFC 9068 "scope") or an array of strings. A token
  // without it has no scopes. More than kMaxScopes, or a scope that is not 1-128 bytes of
  // visible ASCII, refuses the token (claims).
  std::vector<std::string> scopes_claim = {"scope"};
  bool roles_space_separated = false;
  // IdP role or group names -> our roles. Empty: the names "employee", "admin" and "service"
  // map to themselves. Names that map to nothing are ignored. Several roles: admin wins over
  // employee; service together with a person's role is refused as ambiguous.
  std::map<std::string, Role> role_names;
  // The role of a token none of whose names maps (none: such a token is refused).
  std::optional<Role> default_role;
  // Single-tenant IdPs: every principal of this issuer belongs to this tenant (the tenant claim
  // is not read). Empty: the tenant comes from tenant_claim.
  std::string fixed_tenant;
  // When not empty, the only tenants this issuer may assert (an IdP of one customer cannot mint
  // principals of another).
  std::vector<std::string> allowed_tenants;
  // Whether a service principal of this issuer may carry tenant "*" (act in every tenant).
  bool allow_any_tenant = false;
};

struct IssuerOptions {
  std::string issuer;                  // exact match of the iss claim
  std::vector<std::string> audiences;  // aud must name at least one
  KeySource keys;
  ClaimMapping claims;
  // Tokens whose exp - iat (or exp - now, without iat) exceeds this are refused.
  std::chrono::seconds max_token_lifetime{std::chrono::hours(24)};
};

// How JWKS documents are cached and refreshed (per issuer).
struct JwksPolicy {
  // Cache lifetime: the response's Cache-Control max-age clamped to [min, max]; without one
  // (and for files), default_lifetime.
  std::chrono::seconds default_lifetime{600};
  std::chrono::seconds min_lifetime{60};
  std::chrono::seconds max_lifetime{3600};
  // A token with an unknown kid triggers a refresh at most this often per issuer.
  std::chrono::seconds unknown_kid_interval{30};
  // How long Verify of an unknown kid waits for that refresh (or one already running). 0: never
  // waits (the token is refused and the refresh runs in the background).
  std::chrono::milliseconds unknown_kid_wait{1000};
  std::chrono::milliseconds fetch_timeout{5000};  // the whole GET, connect included
  size_t max_bytes = size_t{64} * 1024;           // a larger JWKS is refused
  size_t max_keys = 32;                           // a JWKS with more keys is refused
};

// Where an issuer's keys stand: for readiness, metrics and logs (never shown to callers).
struct IssuerKeyStatus {
  std::string issuer;
  std::string source;                // the jwks_uri, "file <path>" or "static key"
  std::vector<std::string> key_ids;  // usable keys ("" for a key without kid)
  int64_t last_success_unix = 0;     // last successful load; 0: never
  std::string last_error;            // of the last attempt; empty when it succeeded
  uint64_t loads = 0;                // attempts (start-up, schedule, unknown kid)
  uint64_t failures = 0;
  uint64_t unknown_kid_refreshes = 0;  // attempts granted to an unknown kid
};

struct VerifierOptions {
  // Shorthand for one issuer with one static key (offline development and tests): when
  // public_key_pem is set, {issuer, {audience}, public_key_pem} is added to `issuers`, with the
  // default claim mapping and tenant "*" allowed for services.
  std::string public_key_pem;
  std::string issuer;
  std::string audience;

  std::vector<IssuerOptions> issuers;
  JwksPolicy jwks;
  std::chrono::seconds leeway{30};  // clock skew tolerated on exp, nbf and iat
  // Verified tokens are cached, keyed by the SHA-256 of the token, until they expire. 0 disables
  // the cache. Memory is bounded by this many entries; the oldest entries are evicted first.
  size_t cache_capacity = 100000;
  // Wall clock used for exp/nbf/iat. Empty means std::chrono::system_clock::now. Tests inject one.
  std::function<std::chrono::system_clock::time_point()> clock{};
  // Called once per refused token, on the calling thread (metrics). Must be cheap and not throw.
  std::function<void(RejectReason)> on_rejected{};
  // Called after every key load attempt of an issuer, on its refresher thread (metrics).
  std::function<void(const IssuerKeyStatus&)> on_key_status{};
};

// Every problem with `options` (one per line, each naming the issuer and field), without
// loading any key: what Create checks first. Bounds: leeway 0..3600 s; 1..16 issuers, each
// with 1..16 audiences, exactly one key source and a lifetime of 1 s..30 days; JwksPolicy
// lifetimes 1 s..7 days with min <= default <= max, unknown_kid_interval 1 s..1 h,
// unknown_kid_wait 0..10 s, fetch_timeout 100 ms..60 s, max_bytes 1 KiB..4 MiB, max_keys 1..1000.
absl::Status ValidateVerifierOptions(const VerifierOptions& options);

// Verifies bearer tokens against the configured issuers.
//
// Guarantees:
//  * The algorithm is pinned per key, never chosen by the token: a JWK's alg, or without one
//    its type (EC P-256 -> ES256, RSA -> RS256; PS256 only with alg "PS256"). A token whose alg
//    is not its key's is refused; "none", HS* and everything but RS256/PS256/ES256 are refused.
//  * The key is the issuer's key with the token's kid; a token without kid uses the issuer's
//    key only when it has exactly one. The issuer is the token's iss, which must be configured.
//  * Keys of a jwks_uri or jwks_file are refreshed in the background on their cache lifetime
//    (JwksPolicy). A token with an unknown kid triggers a refresh at most once per
//    unknown_kid_interval per issuer and waits at most unknown_kid_wait for it, so a flood of
//    random kids costs the IdP one request per interval. A failed refresh keeps the keys already
//    loaded (and is retried with backoff); a refresh that drops a key makes its tokens fail,
//    cached ones included.
//  * iss must match; aud must name one of the issuer's audiences; typ, when present, must be
//    "JWT" or "at+jwt"; "crit" is refused; exp is required and honoured with `leeway`; nbf and
//    iat likewise when present (iat in the future is refused); the lifetime is bounded by the
//    issuer's max_token_lifetime.
//  * A cached verification is never used after the token's exp + leeway, nor after a key
//    of any issuer left its JWKS, so caching never extends a token's life; the cache holds at
//    most cache_capacity entries.
//  * Every failure is absl::StatusCode::kUnauthenticated with a message that names the problem
//    and never contains the token, key material or configuration (RejectReasonOf gives the
//    reason); each calls on_rejected once.
//  * Verify is thread-safe and never does I/O itself; it blocks at most unknown_kid_wait.
class TokenVerifier final {
 public:
  // InvalidArgument naming the issuer and field if an issuer is incomplete or duplicated, a key
  // or jwks_file cannot be loaded, a jwks_uri is not allowed, or leeway is outside 0..3600 s.
  // Starts one refresher thread per jwks_uri/jwks_file issuer; a jwks_uri is first fetched on
  // that thread (until then Readiness names it).
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(VerifierOptions options);

  ~TokenVerifier();  // stops and joins the refresher threads (an ongoing fetch is aborted)
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;
  TokenVerifier(TokenVerifier&&) = delete;
  TokenVerifier& operator=(TokenVerifier&&) = delete;

  // Accepts "Bearer <jwt>" (scheme case-insensitive) or the bare token.
  [[nodiscard]] absl::StatusOr<Principal> Verify(std::string_view authorization_header) const;

  // OK while every issuer has at least one usable key; otherwise Unavailable naming each issuer
  // without one and why (last load error). Keys that were loaded stay usable while their
  // endpoint is down, so an outage of the IdP alone does not make this fail.
  [[nodiscard]] absl::Status Readiness() const;
  [[nodiscard]] std::vector<IssuerKeyStatus> KeyStatus() const;

  // Number of verified tokens currently cached (expired entries may still be counted until they
  // are looked up or evicted). For metrics and tests.
  [[nodiscard]] size_t CachedTokenCount() const;

 private:
  class Impl;
  explicit TokenVerifier(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// Pure decisions: OK, or PermissionDenied with a message naming who was refused what.
// Empty tenant or employee ids, and a request tenant of "*", are never authorized.

// An employee may act only on themselves in their own tenant; an admin on anyone in their
// tenant; a service on anyone in its tenant, or in any tenant when its tenant is "*".
absl::Status AuthorizeEmployeeAccess(const Principal& principal, std::string_view tenant_id,
                                     std::string_view employee_id);

// Tenant-wide operations (publishing a policy notice, batch checks): only the listed roles, with
// the same tenant rules as above.
absl::Status AuthorizeTenantAccess(const Principal& principal, std::string_view tenant_id,
                                   std::initializer_list<Role> allowed);

// For dev tooling and tests only: signs an ES256 token with a P-256 private key (PEM, SEC1 or
// PKCS#8). Sets iss, aud, sub, tenant, role, scope (principal.scopes, space-separated, when there
// are any), iat = now, exp = now + ttl and a random jti; principal.expires_at is ignored.
// InvalidArgument if the key or any field would produce a token that TokenVerifier rejects.
struct MintOptions {
  std::string private_key_pem;
  std::string issuer;
  std::string audience;
  Principal principal;
  std::chrono::seconds ttl{3600};
};
absl::StatusOr<std::string> MintToken(const MintOptions& options);

// Generates a new P-256 key pair: {PKCS#8 private key PEM, SubjectPublicKeyInfo public key PEM}.
// For tests and the local-dev key generator.
absl::StatusOr<std::pair<std::string, std::string>> GenerateKeyPair();

}  // namespace advocacy::auth
