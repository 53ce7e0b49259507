#include "browser_auth.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <set>

#include "absl/strings/escaping.h"

namespace advocacy::gateway {
namespace {

std::string Jwt(const nlohmann::json& payload) {
  std::string header, body;
  absl::WebSafeBase64Escape(R"({"alg":"RS256","typ":"JWT"})", &header);
  absl::WebSafeBase64Escape(payload.dump(), &body);
  return header + "." + body + ".c2ln";
}

TEST(BrowserAuth, RandomTokensAreLongAndDistinct) {
  std::set<std::string> seen;
  for (int i = 0; i < 100; ++i) {
    const std::string t = RandomToken(32);
    EXPECT_EQ(t.size(), 43u);
    EXPECT_EQ(
        t.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
        std::string::npos);
    seen.insert(t);
  }
  EXPECT_EQ(seen.size(), 100u);
}

TEST(BrowserAuth, PkceChallengeIsRfc7636AppendixB) {
  EXPECT_EQ(PkceChallenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
}

TEST(BrowserAuth, ReturnPathsStayOnThisSite) {
  EXPECT_EQ(SafeReturnTo("/consent"), "/consent");
  EXPECT_EQ(SafeReturnTo("/content/it-1?x=1#y"), "/content/it-1?x=1#y");
  for (const char* bad :
       {"", "consent", "//evil.example/x", "/\\evil.example", "https://evil", "/a\nb", "/a\\b"}) {
    EXPECT_EQ(SafeReturnTo(bad), "/") << bad;
  }
  EXPECT_EQ(SafeReturnTo("/" + std::string(600, 'a')), "/");
}

TEST(BrowserAuth, AuthorizationUrlCarriesPkceStateNonceAndEveryResource) {
  const std::string url =
      AuthorizationUrl({.endpoint = "https://idp.example/auth",
                        .client_id = "advocacy-web",
                        .redirect_uri = "https://app.example/auth/callback",
                        .scope = "openid offline_access",
                        .state = "st",
                        .nonce = "no",
                        .code_challenge = "ch",
                        .resources = {"urn:advocacy:consent", "urn:advocacy:content"}});
  EXPECT_EQ(url,
            "https://idp.example/auth?response_type=code&client_id=advocacy-web&redirect_uri="
            "https%3A%2F%2Fapp.example%2Fauth%2Fcallback&scope=openid%20offline_access&state=st"
            "&nonce=no&code_challenge=ch&code_challenge_method=S256&resource=urn%3Aadvocacy%3A"
            "consent&resource=urn%3Aadvocacy%3Acontent");
}

TEST(BrowserAuth, IdTokenChecks) {
  const nlohmann::json good = {{"iss", "https://idp.example"},
                               {"aud", "advocacy-web"},
                               {"exp", 2000},
                               {"nonce", "n1"},
                               {"sub", "kari"},
                               {"name", "Kari"},
                               {"email", "kari@example.no"}};
  auto claims = CheckIdToken(Jwt(good), "https://idp.example", "advocacy-web", "n1", 1000);
  ASSERT_TRUE(claims.ok()) << claims.status();
  EXPECT_EQ(claims->subject, "kari");
  EXPECT_EQ(claims->name, "Kari");
  EXPECT_EQ(claims->email, "kari@example.no");

  const auto refused = [&](nlohmann::json j, int64_t now = 1000) {
    return CheckIdToken(Jwt(j), "https://idp.example", "advocacy-web", "n1", now).status();
  };
  nlohmann::json j = good;
  j["iss"] = "https://other.example";
  EXPECT_EQ(refused(j).code(), absl::StatusCode::kUnauthenticated);
  j = good;
  j["aud"] = "someone-else";
  EXPECT_EQ(refused(j).code(), absl::StatusCode::kUnauthenticated);
  j = good;
  j["aud"] = {"advocacy-web", "x"};
  EXPECT_EQ(refused(j).code(), absl::StatusCode::kUnauthenticated);  // no azp
  j["azp"] = "advocacy-web";
  EXPECT_TRUE(refused(j).ok());
  EXPECT_EQ(refused(good, 2061).code(), absl::StatusCode::kUnauthenticated);  // expired
  EXPECT_TRUE(refused(good, 2059).ok());                                      // within the skew
  j = good;
  j["nonce"] = "n2";
  EXPECT_EQ(refused(j).code(), absl::StatusCode::kUnauthenticated);
  j.erase("nonce");
  EXPECT_EQ(refused(j).code(), absl::StatusCode::kUnauthenticated);
  EXPECT_FALSE(CheckIdToken("not-a-jwt", "https://idp.example", "advocacy-web", "n1", 1000).ok());
}

TEST(BrowserAuth, CookiesAreHttpOnlyLaxAndSecureBehindTls) {
  EXPECT_EQ(SetCookie("__Host-advocacy-session", "abc", std::chrono::seconds(60), true),
            "__Host-advocacy-session=abc; Path=/; Max-Age=60; HttpOnly; Secure; SameSite=Lax");
  EXPECT_EQ(SetCookie("advocacy-session", "", std::chrono::seconds(0), false),
            "advocacy-session=; Path=/; Max-Age=0; HttpOnly; SameSite=Lax");
  http::Request r;
  r.headers = {{"cookie", "a=1; __Host-advocacy-session=xyz; b=2"}, {"cookie", "c=3"}};
  EXPECT_EQ(CookieValue(r, "__Host-advocacy-session"), "xyz");
  EXPECT_EQ(CookieValue(r, "c"), "3");
  EXPECT_FALSE(CookieValue(r, "advocacy-session").has_value());
}

}  // namespace
}  // namespace advocacy::gateway
