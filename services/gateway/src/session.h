#pragma once

// A browser's session at the gateway (the backend-for-frontend): who signed in, the tokens the
// gateway holds for them, and the CSRF token the page must send back. Kept in Redis by
// SessionStore, never sent to the browser: the browser holds only an opaque random session id in
// an HttpOnly cookie, and the Redis key is the SHA-256 of that id (a reader of Redis keys cannot
// present one as a cookie).

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"

namespace advocacy::gateway {

struct UpstreamToken {
  std::string value;       // an access token whose audience is that service
  int64_t expires_at = 0;  // unix seconds
};

struct Session {
  // Who: the principal as the services see it (verified from an access token) and the ID
  // token's display claims.
  std::string subject;
  std::string tenant;
  std::string role;  // "employee" | "admin"
  std::string name;
  std::string email;
  std::string csrf_token;  // random; the page sends it as X-CSRF-Token
  int64_t created_at = 0;  // unix seconds
  int64_t expires_at = 0;  // the absolute end, whatever the activity (unix seconds)
  std::string refresh_token;
  std::string id_token;                         // for the provider's logout (id_token_hint)
  std::map<std::string, UpstreamToken> tokens;  // by upstream ("consent", ...)
};

std::string EncodeSession(const Session& session);
// INTERNAL for a record that is not a session (a corrupt or foreign value).
absl::StatusOr<Session> DecodeSession(std::string_view text);

// What a sign-in in progress remembers between /auth/login and /auth/callback.
struct LoginState {
  std::string code_verifier;  // PKCE (RFC 7636), S256
  std::string nonce;
  std::string return_to;  // a path of the app
};

std::string EncodeLogin(const LoginState& login);
absl::StatusOr<LoginState> DecodeLogin(std::string_view text);

}  // namespace advocacy::gateway
