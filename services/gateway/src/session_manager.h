#pragma once

// The gateway as the backend-for-frontend of the web app (IETF "OAuth 2.0 for Browser-Based
// Applications", the BFF pattern): the browser signs in with the authorization code flow and
// PKCE at the organization's identity provider, and the gateway, not the page, holds the tokens.
//
//  * BeginLogin: a random state, nonce and PKCE verifier, kept in the store for `login_ttl` (one
//    use) and bound to the browser by a cookie holding the state; the browser is sent to the
//    provider asking for every service's resource indicator.
//  * CompleteLogin: the callback's state must be the browser's cookie and a stored sign-in; the
//    code is exchanged (with the verifier) for the first service's access token, a refresh token
//    and an ID token; the ID token's iss, aud, exp and nonce are checked; who signed in comes
//    from verifying the access token exactly as the services do (PrincipalOf): an employee or an
//    admin, never a service principal, and the same subject as the ID token. A new random session
//    id is made (never one the browser brought: no session fixation).
//  * Resolve: the session of an id; UNAUTHENTICATED once it is unknown, idle for `idle` or older
//    than `max_age`. Each use extends the idle timeout.
//  * AccessToken: the session's token for one service, refreshed with the refresh token once it
//    has less than `refresh_before` left. Refreshes of one session are serialized across
//    replicas by a short lease in the store (providers rotate refresh tokens: two concurrent
//    refreshes would spend the same one). A provider that refuses the refresh ends the session.
//  * Logout: the session is deleted, its refresh token revoked at the provider, and the browser
//    sent to the provider's end_session_endpoint (with id_token_hint) when it has one.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "session.h"
#include "session_ports.h"

namespace advocacy::gateway {

struct SessionOptions {
  std::string public_url;  // https://advocacy.example, without a trailing '/'
  std::string client_id;
  std::string scope = "openid profile email offline_access";
  std::map<std::string, std::string> resources;  // upstream -> resource indicator
  std::string principal_upstream = "consent";    // whose token says who signed in
  std::chrono::seconds idle{1800};
  std::chrono::seconds max_age{8 * 3600};
  std::chrono::seconds login_ttl{600};
  std::chrono::seconds refresh_before{60};
  std::chrono::milliseconds refresh_wait{5000};  // for another replica's refresh
};

using PrincipalOf = std::function<absl::StatusOr<auth::Principal>(const std::string& token)>;

class SessionManager {
 public:
  SessionManager(SessionStore* store, IdentityProvider* provider, PrincipalOf principal_of,
                 SessionOptions options, std::function<int64_t()> now_unix = {});

  struct LoginStart {
    std::string redirect_url;
    std::string state;  // for the browser's sign-in cookie
  };
  absl::StatusOr<LoginStart> BeginLogin(std::string_view return_to);

  struct LoginDone {
    std::string session_id;  // for the browser's session cookie
    std::string return_to;
    Session session;
  };
  absl::StatusOr<LoginDone> CompleteLogin(std::string_view state, std::string_view state_cookie,
                                          std::string_view code);

  absl::StatusOr<Session> Resolve(std::string_view session_id);

  absl::StatusOr<std::string> AccessToken(std::string_view session_id, Session* session,
                                          const std::string& upstream);

  // Where the browser goes next.
  std::string Logout(std::string_view session_id, const Session& session);

  const SessionOptions& options() const { return options_; }
  // The store key of a session id: hex SHA-256.
  static std::string KeyOf(std::string_view session_id);

 private:
  std::chrono::seconds TtlOf(const Session& session) const;

  SessionStore* store_;
  IdentityProvider* provider_;
  PrincipalOf principal_of_;
  SessionOptions options_;
  std::function<int64_t()> now_;
};

}  // namespace advocacy::gateway
