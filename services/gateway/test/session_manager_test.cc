#include "session_manager.h"

#include <gtest/gtest.h>

#include <map>
#include <mutex>
#include <nlohmann/json.hpp>

#include "absl/strings/escaping.h"
#include "browser_auth.h"

namespace advocacy::gateway {
namespace {

// In memory, for the manager's rules; the Redis store is proven in the gateway's integration
// test.
class MemoryStore final : public SessionStore {
 public:
  absl::Status PutLogin(const std::string& state, const LoginState& login,
                        std::chrono::seconds) override {
    logins[state] = login;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<LoginState>> TakeLogin(const std::string& state) override {
    auto it = logins.find(state);
    if (it == logins.end()) return std::optional<LoginState>();
    LoginState l = it->second;
    logins.erase(it);
    return std::optional<LoginState>(l);
  }
  absl::Status Put(const std::string& key, const Session& s, std::chrono::seconds ttl) override {
    sessions[key] = s;
    ttls[key] = ttl;
    return absl::OkStatus();
  }
  absl::StatusOr<std::optional<Session>> Get(const std::string& key) override {
    auto it = sessions.find(key);
    if (it == sessions.end()) return std::optional<Session>();
    return std::optional<Session>(it->second);
  }
  absl::Status Touch(const std::string& key, std::chrono::seconds ttl) override {
    ttls[key] = ttl;
    return absl::OkStatus();
  }
  absl::Status Delete(const std::string& key) override {
    sessions.erase(key);
    return absl::OkStatus();
  }
  absl::StatusOr<bool> Lock(const std::string& key, std::chrono::milliseconds) override {
    return locks.insert(key).second;
  }
  absl::Status Unlock(const std::string& key) override {
    locks.erase(key);
    return absl::OkStatus();
  }
  std::map<std::string, LoginState> logins;
  std::map<std::string, Session> sessions;
  std::map<std::string, std::chrono::seconds> ttls;
  std::set<std::string> locks;
};

std::string Jwt(const nlohmann::json& payload) {
  std::string header, body;
  absl::WebSafeBase64Escape(R"({"alg":"RS256"})", &header);
  absl::WebSafeBase64Escape(payload.dump(), &body);
  return header + "." + body + ".c2ln";
}

class FakeProvider final : public IdentityProvider {
 public:
  const std::string& issuer() const override { return issuer_; }
  const std::string& authorization_endpoint() const override { return auth_; }
  const std::string& end_session_endpoint() const override { return end_; }
  absl::StatusOr<TokenSet> ExchangeCode(const std::string& code, const std::string& verifier,
                                        const std::string& redirect_uri,
                                        const std::string& resource) override {
    exchanged.push_back({code, verifier, redirect_uri, resource});
    if (code != "good-code") return absl::UnauthenticatedError("invalid_grant");
    return TokenSet{.access_token = "at:" + subject + ":" + resource,
                    .expires_in = 300,
                    .refresh_token = "rt-1",
                    .id_token = Jwt({{"iss", issuer_},
                                     {"aud", "advocacy-web"},
                                     {"exp", 5000},
                                     {"nonce", nonce},
                                     {"sub", id_subject.empty() ? subject : id_subject},
                                     {"name", "Kari Nordmann"}})};
  }
  absl::StatusOr<TokenSet> Refresh(const std::string& refresh_token,
                                   const std::string& resource) override {
    refreshed.push_back({refresh_token, resource});
    if (refuse_refresh) return absl::UnauthenticatedError("invalid_grant");
    ++rotation;
    return TokenSet{
        .access_token = "at:" + subject + ":" + resource + ":" + std::to_string(rotation),
        .expires_in = 300,
        .refresh_token = "rt-" + std::to_string(rotation + 1),
        .id_token = ""};
  }
  void Revoke(const std::string& refresh_token) override { revoked.push_back(refresh_token); }

  std::string issuer_ = "https://idp.example";
  std::string auth_ = "https://idp.example/auth";
  std::string end_ = "https://idp.example/session/end";
  std::string subject = "kari", id_subject, nonce;
  bool refuse_refresh = false;
  int rotation = 0;
  std::vector<std::vector<std::string>> exchanged, refreshed;
  std::vector<std::string> revoked;
};

class SessionManagerTest : public ::testing::Test {
 protected:
  SessionManagerTest()
      : manager_(
            &store_, &provider_,
            [this](const std::string& token) -> absl::StatusOr<auth::Principal> {
              if (token.rfind("at:", 0) != 0) return absl::UnauthenticatedError("bad");
              return auth::Principal{.tenant_id = "demo-corp",
                                     .subject = provider_.subject,
                                     .role = role_,
                                     .expires_at = 0,
                                     .scopes = {}};
            },
            {.public_url = "https://app.example",
             .client_id = "advocacy-web",
             .resources = {{"consent", "urn:advocacy:consent"},
                           {"content", "urn:advocacy:content"}},
             .idle = std::chrono::seconds(1800),
             .max_age = std::chrono::seconds(3600),
             .refresh_wait = std::chrono::milliseconds(50)},
            [this] { return now_; }) {}

  // Starts a sign-in and returns its state, with the provider primed with its nonce.
  std::string Begin(std::string_view return_to = "/consent") {
    auto start = manager_.BeginLogin(return_to);
    EXPECT_TRUE(start.ok());
    provider_.nonce = store_.logins.at(start->state).nonce;
    return start->state;
  }

  MemoryStore store_;
  FakeProvider provider_;
  auth::Role role_ = auth::Role::kEmployee;
  int64_t now_ = 1000;
  SessionManager manager_;
};

TEST_F(SessionManagerTest, SignInMakesASessionWithTheVerifiedPrincipal) {
  const std::string state = Begin();
  const LoginState login = store_.logins.at(state);
  auto done = manager_.CompleteLogin(state, state, "good-code");
  ASSERT_TRUE(done.ok()) << done.status();
  EXPECT_EQ(done->return_to, "/consent");
  EXPECT_EQ(done->session_id.size(), 43u);
  EXPECT_EQ(done->session.subject, "kari");
  EXPECT_EQ(done->session.tenant, "demo-corp");
  EXPECT_EQ(done->session.role, "employee");
  EXPECT_EQ(done->session.name, "Kari Nordmann");
  EXPECT_EQ(done->session.expires_at, 1000 + 3600);
  // The code went with the PKCE verifier of this sign-in, for the consent service's resource.
  ASSERT_EQ(provider_.exchanged.size(), 1u);
  EXPECT_EQ(provider_.exchanged[0][1], login.code_verifier);
  EXPECT_EQ(provider_.exchanged[0][2], "https://app.example/auth/callback");
  EXPECT_EQ(provider_.exchanged[0][3], "urn:advocacy:consent");
  // Stored under the hash of the id, never the id itself.
  EXPECT_EQ(store_.sessions.count(done->session_id), 0u);
  EXPECT_EQ(store_.sessions.count(SessionManager::KeyOf(done->session_id)), 1u);
  // The sign-in state is spent.
  EXPECT_TRUE(store_.logins.empty());
  EXPECT_EQ(manager_.CompleteLogin(state, state, "good-code").status().code(),
            absl::StatusCode::kUnauthenticated);
}

TEST_F(SessionManagerTest, TheAuthorizationRequestAsksForEveryServiceWithPkce) {
  auto start = manager_.BeginLogin("//evil.example");
  ASSERT_TRUE(start.ok());
  const LoginState& login = store_.logins.at(start->state);
  EXPECT_EQ(login.return_to, "/");
  EXPECT_NE(start->redirect_url.find("code_challenge=" + PkceChallenge(login.code_verifier)),
            std::string::npos);
  EXPECT_NE(start->redirect_url.find("resource=urn%3Aadvocacy%3Acontent"), std::string::npos);
  EXPECT_NE(start->redirect_url.find("state=" + start->state), std::string::npos);
}

TEST_F(SessionManagerTest, ACallbackFromAnotherBrowserOrWithABadCodeIsRefused) {
  const std::string state = Begin();
  EXPECT_EQ(manager_.CompleteLogin(state, "other-cookie", "good-code").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(provider_.exchanged.empty());
  EXPECT_EQ(manager_.CompleteLogin(state, state, "bad-code").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_.sessions.empty());
}

TEST_F(SessionManagerTest, ServicePrincipalsAndMismatchedSubjectsCannotSignIn) {
  role_ = auth::Role::kService;
  std::string state = Begin();
  EXPECT_EQ(manager_.CompleteLogin(state, state, "good-code").status().code(),
            absl::StatusCode::kPermissionDenied);
  role_ = auth::Role::kEmployee;
  provider_.id_subject = "someone-else";
  state = Begin();
  EXPECT_EQ(manager_.CompleteLogin(state, state, "good-code").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_.sessions.empty());
}

TEST_F(SessionManagerTest, SessionsEndWhenIdleOrTooOld) {
  const std::string state = Begin();
  auto done = manager_.CompleteLogin(state, state, "good-code");
  ASSERT_TRUE(done.ok());
  EXPECT_TRUE(manager_.Resolve(done->session_id).ok());
  EXPECT_EQ(store_.ttls.at(SessionManager::KeyOf(done->session_id)), std::chrono::seconds(1800));
  now_ += 3000;  // 10 minutes before the absolute end: the idle timeout shrinks to it
  EXPECT_TRUE(manager_.Resolve(done->session_id).ok());
  EXPECT_EQ(store_.ttls.at(SessionManager::KeyOf(done->session_id)), std::chrono::seconds(600));
  now_ += 600;
  EXPECT_EQ(manager_.Resolve(done->session_id).status().code(), absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_.sessions.empty());
  EXPECT_EQ(manager_.Resolve("unknown").status().code(), absl::StatusCode::kUnauthenticated);
}

TEST_F(SessionManagerTest, TokensAreRefreshedPerServiceAndRotationIsKept) {
  const std::string state = Begin();
  auto done = manager_.CompleteLogin(state, state, "good-code");
  ASSERT_TRUE(done.ok());
  Session s = done->session;
  // The consent token from the sign-in is used as long as it is fresh.
  auto token = manager_.AccessToken(done->session_id, &s, "consent");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "at:kari:urn:advocacy:consent");
  EXPECT_TRUE(provider_.refreshed.empty());
  // Content has none yet: one refresh for its resource.
  token = manager_.AccessToken(done->session_id, &s, "content");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "at:kari:urn:advocacy:content:1");
  ASSERT_EQ(provider_.refreshed.size(), 1u);
  EXPECT_EQ(provider_.refreshed[0], (std::vector<std::string>{"rt-1", "urn:advocacy:content"}));
  // Near expiry the consent token is renewed with the rotated refresh token.
  now_ += 250;
  token = manager_.AccessToken(done->session_id, &s, "consent");
  ASSERT_TRUE(token.ok());
  EXPECT_EQ(*token, "at:kari:urn:advocacy:consent:2");
  EXPECT_EQ(provider_.refreshed[1][0], "rt-2");
  EXPECT_TRUE(store_.locks.empty());
  // Stored for the next request.
  const Session stored = store_.sessions.at(SessionManager::KeyOf(done->session_id));
  EXPECT_EQ(stored.refresh_token, "rt-3");
  EXPECT_EQ(stored.tokens.at("consent").value, "at:kari:urn:advocacy:consent:2");
}

TEST_F(SessionManagerTest, ARefreshInProgressElsewhereIsWaitedForAndARefusalEndsTheSession) {
  const std::string state = Begin();
  auto done = manager_.CompleteLogin(state, state, "good-code");
  ASSERT_TRUE(done.ok());
  Session s = done->session;
  const std::string key = SessionManager::KeyOf(done->session_id);
  store_.locks.insert(key);  // another replica is refreshing and never finishes
  EXPECT_EQ(manager_.AccessToken(done->session_id, &s, "content").status().code(),
            absl::StatusCode::kUnavailable);
  EXPECT_TRUE(provider_.refreshed.empty());
  store_.locks.clear();
  provider_.refuse_refresh = true;
  EXPECT_EQ(manager_.AccessToken(done->session_id, &s, "content").status().code(),
            absl::StatusCode::kUnauthenticated);
  EXPECT_TRUE(store_.sessions.empty());
  EXPECT_TRUE(store_.locks.empty());
}

TEST_F(SessionManagerTest, LogoutDeletesRevokesAndEndsTheProvidersSession) {
  const std::string state = Begin();
  auto done = manager_.CompleteLogin(state, state, "good-code");
  ASSERT_TRUE(done.ok());
  const std::string next = manager_.Logout(done->session_id, done->session);
  EXPECT_TRUE(store_.sessions.empty());
  EXPECT_EQ(provider_.revoked, (std::vector<std::string>{"rt-1"}));
  EXPECT_EQ(next.rfind("https://idp.example/session/end?id_token_hint=", 0), 0u) << next;
  EXPECT_NE(next.find("post_logout_redirect_uri=https%3A%2F%2Fapp.example%2F"), std::string::npos);
  provider_.end_.clear();
  EXPECT_EQ(manager_.Logout(done->session_id, done->session), "/");
}

}  // namespace
}  // namespace advocacy::gateway
