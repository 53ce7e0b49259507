#pragma once

// What the session manager needs from the outside: a store for sessions and sign-ins in progress
// (Redis in production, adapters/redis_session_store.h), and the organization's identity
// provider (adapters/oidc_provider.h).

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "session.h"

namespace advocacy::gateway {

// Keys are already hashed or random; values are opaque. UNAVAILABLE when the store cannot be
// reached. Every method is thread-safe.
class SessionStore {
 public:
  virtual ~SessionStore() = default;
  virtual absl::Status PutLogin(const std::string& state, const LoginState& login,
                                std::chrono::seconds ttl) = 0;
  // The sign-in of `state`, removed in the same step (one use); nullopt when none.
  virtual absl::StatusOr<std::optional<LoginState>> TakeLogin(const std::string& state) = 0;
  virtual absl::Status Put(const std::string& key, const Session& session,
                           std::chrono::seconds ttl) = 0;
  virtual absl::StatusOr<std::optional<Session>> Get(const std::string& key) = 0;
  // Extends the life of `key` to `ttl` (the idle timeout); nothing when it is gone.
  virtual absl::Status Touch(const std::string& key, std::chrono::seconds ttl) = 0;
  virtual absl::Status Delete(const std::string& key) = 0;
  // A short lease for refreshing the tokens of `key` across replicas: true when taken.
  virtual absl::StatusOr<bool> Lock(const std::string& key, std::chrono::milliseconds ttl) = 0;
  virtual absl::Status Unlock(const std::string& key) = 0;
};

// The answer of the provider's token endpoint.
struct TokenSet {
  std::string access_token;
  int64_t expires_in = 0;     // seconds
  std::string refresh_token;  // empty: none issued (keep the one you have)
  std::string id_token;       // empty: none issued
};

class IdentityProvider {
 public:
  virtual ~IdentityProvider() = default;
  virtual const std::string& issuer() const = 0;
  virtual const std::string& authorization_endpoint() const = 0;
  // Empty when the provider has no RP-initiated logout.
  virtual const std::string& end_session_endpoint() const = 0;
  // UNAUTHENTICATED when the provider refuses the code or the token (invalid_grant: used,
  // expired, revoked); UNAVAILABLE when it cannot be reached.
  virtual absl::StatusOr<TokenSet> ExchangeCode(const std::string& code,
                                                const std::string& code_verifier,
                                                const std::string& redirect_uri,
                                                const std::string& resource) = 0;
  virtual absl::StatusOr<TokenSet> Refresh(const std::string& refresh_token,
                                           const std::string& resource) = 0;
  // Best effort (RFC 7009); failures are logged, not returned.
  virtual void Revoke(const std::string& refresh_token) = 0;
};

}  // namespace advocacy::gateway
