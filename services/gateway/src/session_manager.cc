#include "session_manager.h"

#include <thread>

#include "advocacy/common/digest.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "browser_auth.h"

namespace advocacy::gateway {
namespace {

int64_t UnixNow() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// A refused refresh or code means the sign-in is over; anything else is the provider's trouble.
bool Refused(const absl::Status& st) { return st.code() == absl::StatusCode::kUnauthenticated; }

}  // namespace

SessionManager::SessionManager(SessionStore* store, IdentityProvider* provider,
                               PrincipalOf principal_of, SessionOptions options,
                               std::function<int64_t()> now_unix)
    : store_(store),
      provider_(provider),
      principal_of_(std::move(principal_of)),
      options_(std::move(options)),
      now_(now_unix ? std::move(now_unix) : std::function<int64_t()>(UnixNow)) {}

std::string SessionManager::KeyOf(std::string_view session_id) {
  return digest::Hex(digest::Sha256Bytes(session_id));
}

std::chrono::seconds SessionManager::TtlOf(const Session& session) const {
  const int64_t left = session.expires_at - now_();
  return std::chrono::seconds(std::max<int64_t>(1, std::min<int64_t>(left, options_.idle.count())));
}

absl::StatusOr<SessionManager::LoginStart> SessionManager::BeginLogin(std::string_view return_to) {
  LoginState login{.code_verifier = RandomToken(32),
                   .nonce = RandomToken(24),
                   .return_to = SafeReturnTo(return_to)};
  LoginStart start{.redirect_url = "", .state = RandomToken(24)};
  RETURN_IF_ERROR(store_->PutLogin(start.state, login, options_.login_ttl));
  AuthorizationRequest request{.endpoint = provider_->authorization_endpoint(),
                               .client_id = options_.client_id,
                               .redirect_uri = StrCat(options_.public_url, "/auth/callback"),
                               .scope = options_.scope,
                               .state = start.state,
                               .nonce = login.nonce,
                               .code_challenge = PkceChallenge(login.code_verifier),
                               .resources = {}};
  for (const auto& [upstream, resource] : options_.resources) request.resources.push_back(resource);
  start.redirect_url = AuthorizationUrl(request);
  return start;
}

absl::StatusOr<SessionManager::LoginDone> SessionManager::CompleteLogin(
    std::string_view state, std::string_view state_cookie, std::string_view code) {
  if (state.empty() || code.empty()) {
    return absl::InvalidArgumentError("the sign-in answer has no state or code");
  }
  if (!ConstantTimeEquals(state, state_cookie)) {
    return absl::UnauthenticatedError("this sign-in was not started in this browser");
  }
  ASSIGN_OR_RETURN(const std::optional<LoginState> login, store_->TakeLogin(std::string(state)));
  if (!login) return absl::UnauthenticatedError("this sign-in has expired or was used already");
  const auto resource = options_.resources.find(options_.principal_upstream);
  if (resource == options_.resources.end()) {
    return absl::InternalError("no resource indicator for the principal's service");
  }
  ASSIGN_OR_RETURN(
      const TokenSet tokens,
      provider_->ExchangeCode(std::string(code), login->code_verifier,
                              StrCat(options_.public_url, "/auth/callback"), resource->second));
  const int64_t now = now_();
  ASSIGN_OR_RETURN(const IdTokenClaims claims, CheckIdToken(tokens.id_token, provider_->issuer(),
                                                            options_.client_id, login->nonce, now));
  ASSIGN_OR_RETURN(const auth::Principal principal, principal_of_(tokens.access_token));
  if (principal.role == auth::Role::kService) {
    return absl::PermissionDeniedError("a service identity cannot sign in to the web app");
  }
  if (principal.subject != claims.subject) {
    return absl::UnauthenticatedError("the access token and the ID token name different people");
  }
  if (tokens.refresh_token.empty()) {
    return absl::FailedPreconditionError(
        "the identity provider issued no refresh token (the client needs the refresh_token grant "
        "and the offline_access scope)");
  }
  Session session;
  session.subject = principal.subject;
  session.tenant = principal.tenant_id;
  session.role = std::string(auth::RoleName(principal.role));
  session.name = claims.name;
  session.email = claims.email;
  session.csrf_token = RandomToken(32);
  session.created_at = now;
  session.expires_at = now + options_.max_age.count();
  session.refresh_token = tokens.refresh_token;
  session.id_token = tokens.id_token;
  session.tokens[options_.principal_upstream] = {.value = tokens.access_token,
                                                 .expires_at = now + tokens.expires_in};
  LoginDone done{.session_id = RandomToken(32), .return_to = login->return_to, .session = session};
  RETURN_IF_ERROR(store_->Put(KeyOf(done.session_id), session, TtlOf(session)));
  return done;
}

absl::StatusOr<Session> SessionManager::Resolve(std::string_view session_id) {
  if (session_id.empty() || session_id.size() > 128) {
    return absl::UnauthenticatedError("not signed in");
  }
  const std::string key = KeyOf(session_id);
  ASSIGN_OR_RETURN(std::optional<Session> session, store_->Get(key));
  if (!session) return absl::UnauthenticatedError("the session has ended; sign in again");
  if (now_() >= session->expires_at) {
    (void)store_->Delete(key);
    return absl::UnauthenticatedError("the session has ended; sign in again");
  }
  RETURN_IF_ERROR(store_->Touch(key, TtlOf(*session)));
  return *std::move(session);
}

absl::StatusOr<std::string> SessionManager::AccessToken(std::string_view session_id,
                                                        Session* session,
                                                        const std::string& upstream) {
  const auto fresh = [this, &upstream](const Session& s) -> const UpstreamToken* {
    auto it = s.tokens.find(upstream);
    if (it == s.tokens.end()) return nullptr;
    return it->second.expires_at - options_.refresh_before.count() > now_() ? &it->second : nullptr;
  };
  if (const UpstreamToken* t = fresh(*session)) return t->value;
  const auto resource = options_.resources.find(upstream);
  if (resource == options_.resources.end()) {
    return absl::InternalError(StrCat("no resource indicator for the ", upstream, " service"));
  }
  const std::string key = KeyOf(session_id);
  const auto deadline = std::chrono::steady_clock::now() + options_.refresh_wait;
  for (;;) {
    ASSIGN_OR_RETURN(const bool locked, store_->Lock(key, options_.refresh_wait));
    // Another request (here or at another replica) may have refreshed meanwhile.
    ASSIGN_OR_RETURN(std::optional<Session> current, store_->Get(key));
    if (!current) {
      if (locked) (void)store_->Unlock(key);
      return absl::UnauthenticatedError("the session has ended; sign in again");
    }
    *session = *std::move(current);
    if (const UpstreamToken* t = fresh(*session)) {
      if (locked) (void)store_->Unlock(key);
      return t->value;
    }
    if (locked) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      return absl::UnavailableError("the session's tokens are being renewed; try again");
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(25));
  }
  absl::StatusOr<TokenSet> tokens = provider_->Refresh(session->refresh_token, resource->second);
  if (!tokens.ok()) {
    if (Refused(tokens.status())) {
      (void)store_->Delete(key);
      (void)store_->Unlock(key);
      return absl::UnauthenticatedError("your sign-in has ended; sign in again");
    }
    (void)store_->Unlock(key);
    return tokens.status();
  }
  if (!tokens->refresh_token.empty()) session->refresh_token = tokens->refresh_token;
  if (!tokens->id_token.empty()) session->id_token = tokens->id_token;
  session->tokens[upstream] = {.value = tokens->access_token,
                               .expires_at = now_() + tokens->expires_in};
  const absl::Status stored = store_->Put(key, *session, TtlOf(*session));
  (void)store_->Unlock(key);
  RETURN_IF_ERROR(stored);
  return session->tokens[upstream].value;
}

std::string SessionManager::Logout(std::string_view session_id, const Session& session) {
  if (absl::Status st = store_->Delete(KeyOf(session_id)); !st.ok()) {
    log::Warning("a signed-out session could not be deleted; it ends at its idle timeout",
                 {{"error", std::string(st.message())}});
  }
  if (!session.refresh_token.empty()) provider_->Revoke(session.refresh_token);
  const std::string& end = provider_->end_session_endpoint();
  if (end.empty()) return "/";
  return StrCat(end, end.find('?') == std::string::npos ? "?" : "&",
                "id_token_hint=", PercentEncode(session.id_token),
                "&client_id=", PercentEncode(options_.client_id),
                "&post_logout_redirect_uri=", PercentEncode(StrCat(options_.public_url, "/")));
}

}  // namespace advocacy::gateway
