#pragma once

// Authentication and authorization for every RPC.
//
// Callers present `authorization: Bearer <JWT>`. Tokens are ES256-signed (ECDSA P-256) by the
// organisation's identity provider; services hold only its PUBLIC key. TokenVerifier turns a
// header into a Principal; the Authorize* functions decide, without I/O, whether that principal
// may act on a tenant or an employee.
//
// Claims: iss, aud (string or array), sub (employee id or service name), tenant (tenant id, or
// "*" for a platform-wide service), role ("employee" | "admin" | "service"), exp (required),
// iat, nbf and jti (optional).

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

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
// visible ASCII (0x21-0x7E), and tenant_id is kAnyTenant only when role is kService.
struct Principal {
  std::string tenant_id;
  std::string subject;
  Role role = Role::kEmployee;
  int64_t expires_at = 0;  // The token's exp, seconds since the Unix epoch.

  friend bool operator==(const Principal&, const Principal&) = default;
};

struct VerifierOptions {
  std::string public_key_pem;  // SubjectPublicKeyInfo PEM ("BEGIN PUBLIC KEY") of a P-256 key.
  std::string issuer;          // Required exact match of the iss claim.
  std::string audience;        // Must equal aud, or be one of the entries when aud is an array.
  std::chrono::seconds leeway{30};  // Clock skew tolerated on exp and nbf.
  // Verified tokens are cached, keyed by the SHA-256 of the token, until they expire. 0 disables
  // the cache. Memory is bounded by this many entries; the oldest entries are evicted first.
  size_t cache_capacity = 100000;
  // Wall clock used for exp/nbf. Empty means std::chrono::system_clock::now. Tests inject one.
  std::function<std::chrono::system_clock::time_point()> clock{};
};

// Verifies bearer tokens against one issuer, audience and public key.
//
// Guarantees:
//  * Only ES256 is accepted: a header naming any other alg ("none", HS256 keyed with the
//    public PEM, ...) is refused, and the signature is always checked as ES256 with the
//    configured key, never with an algorithm the token chooses.
//  * iss must match exactly; aud must be, or (as an array) contain, the audience; typ, when
//    present, must be "JWT" or "at+jwt"; a header with "crit" is refused.
//  * exp is required and honoured with `leeway`; nbf likewise when present.
//  * A cached verification is never used after the token's exp + leeway, so caching never
//    extends a token's life; the cache holds at most cache_capacity entries.
//  * Every failure is absl::StatusCode::kUnauthenticated with a message that names the problem
//    and never contains the token itself.
//  * Verify is thread-safe.
class TokenVerifier final {
 public:
  // InvalidArgument if the key is not a parsable EC P-256 public key, if issuer or audience is
  // empty, or if leeway is outside 0..3600 s.
  static absl::StatusOr<std::unique_ptr<TokenVerifier>> Create(VerifierOptions options);

  ~TokenVerifier();
  TokenVerifier(const TokenVerifier&) = delete;
  TokenVerifier& operator=(const TokenVerifier&) = delete;
  TokenVerifier(TokenVerifier&&) = delete;
  TokenVerifier& operator=(TokenVerifier&&) = delete;

  // Accepts "Bearer <jwt>" (scheme case-insensitive) or the bare token.
  [[nodiscard]] absl::StatusOr<Principal> Verify(std::string_view authorization_header) const;

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
// PKCS#8). Sets iss, aud, sub, tenant, role, iat = now, exp = now + ttl and a random jti;
// principal.expires_at is ignored. InvalidArgument if the key or any field would produce a token
// that TokenVerifier rejects.
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
