// The gateway, black box: the real binary in front of the four real services, on the local
// stack's Redis, Kafka and OpenID provider, with the stack's gRPC certificates (the gateway calls
// the services over mutual TLS with its own). Everything goes over HTTP with libcurl, as a
// browser's Connect client would send it.

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>

#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_service.pb.h"
#include "allow_list.h"
#include "harness.h"

namespace advocacy::it {
namespace {

using auth::Role;
using nlohmann::json;
namespace cv1 = ::advocacy::consent::v1;

constexpr char kIndex[] = "<!doctype html><html lang=\"en\"><title>Advocacy</title></html>";
constexpr char kScript[] = "console.log('advocacy');";
constexpr int kIdleSeconds = 12;  // the suite gateway's session idle timeout

// The value of `name` in a Set-Cookie header line ("" when it is another cookie).
std::string CookieFrom(const std::string& set_cookie, const std::string& name) {
  if (set_cookie.rfind(name + "=", 0) != 0) return "";
  const size_t end = set_cookie.find(';');
  return set_cookie.substr(name.size() + 1,
                           end == std::string::npos ? std::string::npos : end - name.size() - 1);
}

// The identity provider's side of a sign-in, as a browser drives it: one libcurl handle with a
// cookie jar, TLS verified against the stack CA, redirects followed by hand until the provider
// sends the browser back to the app's callback. Fills in the local provider's login page.
class ProviderBrowser {
 public:
  ProviderBrowser() : curl_(curl_easy_init()) {
    curl_easy_setopt(curl_, CURLOPT_COOKIEFILE, "");  // the cookie engine, in memory
    curl_easy_setopt(curl_, CURLOPT_CAINFO, Env("ADVOCACY_OIDC_CA_FILE").c_str());
    curl_easy_setopt(curl_, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(
        curl_, CURLOPT_WRITEFUNCTION, +[](char* d, size_t s, size_t n, void* out) {
          static_cast<std::string*>(out)->append(d, s * n);
          return s * n;
        });
    curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &body_);
  }
  ~ProviderBrowser() { curl_easy_cleanup(curl_); }
  ProviderBrowser(const ProviderBrowser&) = delete;
  ProviderBrowser& operator=(const ProviderBrowser&) = delete;

  // From the authorization URL to the callback URL the provider redirects to (with code and
  // state), signing in as `user`; "" on failure (the test's expectations say where).
  std::string SignIn(std::string url, const std::string& user, const std::string& callback_prefix) {
    for (int step = 0; step < 12; ++step) {
      if (url.rfind(callback_prefix, 0) == 0) return url;
      const long status = Fetch(url, nullptr);
      if (status == 302 || status == 303) {
        url = location_;
        continue;
      }
      std::smatch action, prompt;
      if (status != 200 || !std::regex_search(body_, action, std::regex("action=\"([^\"]+)\"")) ||
          !std::regex_search(body_, prompt, std::regex("name=\"prompt\" value=\"(\\w+)\""))) {
        ADD_FAILURE() << "the provider's page " << url << " answered " << status << ": "
                      << body_.substr(0, 300);
        return "";
      }
      std::string form = "prompt=" + prompt[1].str();
      if (prompt[1].str() == "login") form += "&login=" + user + "&password=demo";
      const std::string target = Absolute(url, action[1].str());
      if (const long posted = Fetch(target, &form); posted != 302 && posted != 303) {
        ADD_FAILURE() << "submitting the " << prompt[1] << " form answered " << posted;
        return "";
      }
      url = location_;
    }
    ADD_FAILURE() << "no redirect to the app after 12 steps";
    return "";
  }

 private:
  static std::string Absolute(const std::string& base, const std::string& ref) {
    if (ref.rfind("https://", 0) == 0) return ref;
    const size_t host_end = base.find('/', base.find("://") + 3);
    return base.substr(0, host_end) + ref;
  }
  long Fetch(const std::string& url, const std::string* form) {
    body_.clear();
    location_.clear();
    curl_easy_setopt(curl_, CURLOPT_URL, url.c_str());
    if (form != nullptr) {
      curl_easy_setopt(curl_, CURLOPT_POSTFIELDS, form->c_str());
    } else {
      curl_easy_setopt(curl_, CURLOPT_HTTPGET, 1L);
    }
    if (curl_easy_perform(curl_) != CURLE_OK) return 0;
    long status = 0;
    curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
    char* location = nullptr;
    curl_easy_getinfo(curl_, CURLINFO_REDIRECT_URL, &location);
    if (location != nullptr) location_ = location;
    return status;
  }
  CURL* curl_;
  std::string body_;
  std::string location_;
};

std::map<std::string, std::string> CommonEnv() {
  return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
          {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
          {"ADVOCACY_AUTH_ISSUERS_FILE", Env("ADVOCACY_OIDC_ISSUERS_FILE")},
          {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"}};
}

class GatewayIntegrationTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    keys_ = new Keys();
    dir_ =
        new std::string(std::filesystem::temp_directory_path() / UniqueId("advocacy-gateway-it"));
    std::filesystem::create_directories(*dir_ + "/web/assets");
    std::ofstream(*dir_ + "/web/index.html") << kIndex;
    std::ofstream(*dir_ + "/web/assets/app-1.js") << kScript;
    std::ofstream(*dir_ + "/web/assets/app-1.js.br") << "brotli-bytes";
    {
      std::random_device rd;
      std::string key;
      for (int i = 0; i < 48; ++i) key.push_back(static_cast<char>('a' + rd() % 26));
      std::ofstream(*dir_ + "/unsubscribe.key") << key;
    }
    auto sink = SmtpSink::Start();
    ASSERT_TRUE(sink.ok()) << sink.status();
    sink_ = sink->release();

    auto consent_env = CommonEnv();
    consent_env["CONSENT_PROPAGATION_SERVICES"] = "content,notifications";
    consent_env["CONSENT_RECEIPTS_GROUP"] = UniqueId("consent-receipts-gw-it");
    consent_ = Started(CONSENT_BINARY, consent_env);

    auto content_env = CommonEnv();
    content_env["CONTENT_LINK_LISTEN"] = "127.0.0.1:" + std::to_string(FreePort());
    content_env["CONTENT_LINK_BASE_URL"] = "https://links.test/l/";
    content_env["CONTENT_CONSENT_GROUP"] = UniqueId("content-consent-view-gw-it");
    content_ = Started(CONTENT_BINARY, content_env);

    courses_ = Started(COURSES_BINARY, CommonEnv());

    auto notifications_env = CommonEnv();
    notifications_env["NOTIFICATIONS_CONSENT_ADDR"] = consent_->address();
    for (const auto& kv : NotificationsIdentityEnv()) notifications_env.insert(kv);
    notifications_env["NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE"] = *dir_ + "/unsubscribe.key";
    notifications_env["NOTIFICATIONS_PUBLIC_BASE_URL"] = "https://notifications.test";
    notifications_env["NOTIFICATIONS_UNSUBSCRIBE_LISTEN"] =
        "127.0.0.1:" + std::to_string(FreePort());
    notifications_env["NOTIFICATIONS_SMTP_URL"] = sink_->url();
    notifications_env["NOTIFICATIONS_MAIL_FROM"] = "tips@advocacy.test";
    notifications_env["NOTIFICATIONS_CONSENT_GROUP"] = UniqueId("notifications-consent-gw-it");
    notifications_env["NOTIFICATIONS_EVENTS_GROUP"] = UniqueId("notifications-events-gw-it");
    notifications_ = Started(NOTIFICATIONS_BINARY, notifications_env);

    // The suite's gateway signs browsers in under the stack's web address (the provider's
    // registered redirect); the test talks to its own port directly, so a gateway of run.sh
    // behind the stack's https front may run meanwhile.
    http_port_ = FreePort();
    auto env = GatewayEnv(http_port_, notifications_->address());
    env["GATEWAY_PUBLIC_URL"] = Env("ADVOCACY_WEB_URL");
    env["GATEWAY_OIDC_ISSUER"] = Env("ADVOCACY_OIDC_ISSUER");
    env["GATEWAY_OIDC_CA_FILE"] = Env("ADVOCACY_OIDC_CA_FILE");
    env["GATEWAY_OIDC_CLIENT_SECRET_FILE"] =
        Env("ADVOCACY_OIDC_SECRETS_DIR") + "/advocacy-web.secret";
    env["GATEWAY_SESSION_IDLE_S"] = std::to_string(kIdleSeconds);
    env["GATEWAY_ANONYMOUS_CLIENT_SECRET_FILE"] =
        Env("ADVOCACY_OIDC_SECRETS_DIR") + "/advocacy-gateway.secret";
    gateway_ = Started(GATEWAY_BINARY, env);
  }

  static void TearDownTestSuite() {
    for (ServiceProcess* p : {gateway_, notifications_, courses_, content_, consent_}) {
      if (p != nullptr) {
        EXPECT_EQ(p->Stop(), 0) << p->log_path();
      }
      delete p;
    }
    delete sink_;
    std::error_code ec;
    if (dir_ != nullptr) std::filesystem::remove_all(*dir_, ec);
    delete dir_;
    delete keys_;
  }

  static ServiceProcess* Started(const char* binary, std::map<std::string, std::string> env) {
    auto* p = new ServiceProcess(binary, std::move(env));
    const absl::Status st = p->Start();
    EXPECT_TRUE(st.ok()) << binary << ": " << st << " (log " << p->log_path() << ")";
    return p;
  }

  static std::map<std::string, std::string> GatewayEnv(int http_port,
                                                       const std::string& notifications_addr) {
    return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
            {"ADVOCACY_AUTH_ISSUERS_FILE", Env("ADVOCACY_OIDC_ISSUERS_FILE")},
            {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
            {"GATEWAY_HTTP_LISTEN", "127.0.0.1:" + std::to_string(http_port)},
            {"GATEWAY_PUBLIC_URL", "https://advocacy.test"},
            {"GATEWAY_WEB_ROOT", *dir_ + "/web"},
            {"GATEWAY_MAX_BODY_BYTES", "65536"},
            {"GATEWAY_CONSENT_ADDR", consent_->address()},
            {"GATEWAY_CONTENT_ADDR", content_->address()},
            {"GATEWAY_COURSES_ADDR", courses_->address()},
            {"GATEWAY_NOTIFICATIONS_ADDR", notifications_addr}};
  }

  void SetUp() override {
    tenant_ = UniqueId("gwt");
    employee_ = UniqueId("emp");
    employee_token_ = keys_->Token(Role::kEmployee, tenant_, employee_);
    admin_token_ = keys_->Token(Role::kAdmin, tenant_, "comms-admin");
  }

  static std::string Url(const std::string& path, int port = 0) {
    return StrCat("http://127.0.0.1:", port == 0 ? http_port_ : port, path);
  }

  // A Connect call with a JSON body.
  static HttpResult Call(const std::string& rpc, const json& body, const std::string& token,
                         std::vector<std::string> extra = {}, int port = 0) {
    std::vector<std::string> headers = {"Content-Type: application/json",
                                        "Connect-Protocol-Version: 1"};
    if (!token.empty()) headers.push_back("Authorization: Bearer " + token);
    headers.insert(headers.end(), extra.begin(), extra.end());
    return HttpRequest("POST", Url("/" + rpc, port), headers, body.dump());
  }

  static json Body(const HttpResult& r) {
    return json::parse(r.body, nullptr, /*allow_exceptions=*/false);
  }

  void PublishNotice(const std::string& version) {
    const HttpResult r = Call("advocacy.consent.v1.ConsentService/PublishNotice",
                              {{"tenantId", tenant_},
                               {"version", version},
                               {"summary", "Deling er frivillig / sharing is voluntary"},
                               {"url", "https://advocacy.test/notice"}},
                              admin_token_);
    ASSERT_EQ(r.status, 200) << r.body;
  }

  static inline Keys* keys_ = nullptr;
  static inline std::string* dir_ = nullptr;
  static inline SmtpSink* sink_ = nullptr;
  static inline ServiceProcess* consent_ = nullptr;
  static inline ServiceProcess* content_ = nullptr;
  static inline ServiceProcess* courses_ = nullptr;
  static inline ServiceProcess* notifications_ = nullptr;
  static inline ServiceProcess* gateway_ = nullptr;
  static inline int http_port_ = 0;
  std::string tenant_, employee_, employee_token_, admin_token_;
};

TEST_F(GatewayIntegrationTest, ConsentRoundTripsInJsonAndInBinary) {
  PublishNotice("2026-12");
  const json scope = {{"purpose", "PURPOSE_SHARE_CONTENT"}, {"network", "NETWORK_LINKEDIN"}};
  HttpResult r = Call("advocacy.consent.v1.ConsentService/GiveConsent",
                      {{"tenantId", tenant_},
                       {"employeeId", employee_},
                       {"scopes", {scope}},
                       {"noticeVersion", "2026-12"},
                       {"idempotencyKey", UniqueId("give")}},
                      employee_token_, {"X-Request-Id: it-give-1"});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/json");
  EXPECT_EQ(r.Header("x-request-id"), "it-give-1");
  EXPECT_EQ(Body(r)["sequence"], "1");

  r = Call("advocacy.consent.v1.ConsentService/GetConsentState",
           {{"tenantId", tenant_}, {"employeeId", employee_}}, employee_token_);
  ASSERT_EQ(r.status, 200) << r.body;
  const json state = Body(r);
  ASSERT_EQ(state["consents"].size(), 1u) << r.body;
  EXPECT_EQ(state["consents"][0]["state"], "CONSENT_STATE_GIVEN");
  EXPECT_EQ(state["consents"][0]["scope"]["network"], "NETWORK_LINKEDIN");

  r = Call("advocacy.consent.v1.ConsentService/WithdrawConsent",
           {{"tenantId", tenant_}, {"employeeId", employee_}, {"allScopes", true}},
           employee_token_);
  ASSERT_EQ(r.status, 200) << r.body;

  // The same read in protobuf's wire format.
  cv1::GetConsentStateRequest request;
  request.set_tenant_id(tenant_);
  request.set_employee_id(employee_);
  r = HttpRequest("POST", Url("/advocacy.consent.v1.ConsentService/GetConsentState"),
                  {"Content-Type: application/proto", "Authorization: Bearer " + employee_token_},
                  request.SerializeAsString());
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.Header("content-type"), "application/proto");
  cv1::GetConsentStateResponse response;
  ASSERT_TRUE(response.ParseFromString(r.body));
  EXPECT_EQ(response.sequence(), 2);
  ASSERT_EQ(response.consents_size(), 1);
  EXPECT_EQ(response.consents(0).state(), cv1::CONSENT_STATE_WITHDRAWN);
}

TEST_F(GatewayIntegrationTest, EveryAllowListedRpcReachesItsServiceInBothCodecs) {
  // An empty request of every RPC browsers may call: each must come back from its service (an
  // answer, or the service's own refusal of the empty request), never from the gateway's
  // routing (404, 415, 501) or a broken transcoding (500).
  const std::string metrics_before = HttpGet(gateway_->metrics_port(), "/metrics");
  for (std::string_view rpc : gateway::BrowserRpcs()) {
    SCOPED_TRACE(std::string(rpc));
    const HttpResult j = Call(std::string(rpc), json::object(), employee_token_);
    EXPECT_TRUE(j.status == 200 || j.status == 400 || j.status == 403 || j.status == 404 ||
                j.status == 409)
        << j.status << " " << j.body;
    const json body = Body(j);
    if (j.status == 200) {
      EXPECT_TRUE(body.is_object()) << j.body;
    } else {
      EXPECT_NE(body["code"], "unimplemented") << j.body;
      EXPECT_TRUE(body["message"].is_string()) << j.body;
    }
    const HttpResult b = HttpRequest(
        "POST", Url("/" + std::string(rpc)),
        {"Content-Type: application/proto", "Authorization: Bearer " + employee_token_}, "");
    EXPECT_EQ(b.status, j.status) << b.body;
    EXPECT_EQ(b.Header("content-type"), b.status == 200 ? "application/proto" : "application/json");
  }
  // Every one of them was a call to a service.
  const std::string metrics = HttpGet(gateway_->metrics_port(), "/metrics");
  size_t upstream_calls = 0;
  for (const char* upstream : {"consent", "content", "courses", "notifications"}) {
    const std::string series =
        StrCat("advocacy_gateway_upstream_duration_seconds_count{service=\"gateway\",upstream=\"",
               upstream, "\"} ");
    const size_t at = metrics.find(series);
    ASSERT_NE(at, std::string::npos) << series;
    upstream_calls += std::stoul(metrics.substr(at + series.size()));
  }
  EXPECT_GE(upstream_calls, 2 * gateway::BrowserRpcs().size());
}

TEST_F(GatewayIntegrationTest, RpcsBrowsersMayNotCallAre404InConnectsFormat) {
  for (const char* rpc : {"advocacy.consent.v1.ConsentService/CheckConsent",
                          "advocacy.consent.v1.ConsentService/BatchCheckConsent",
                          "advocacy.notifications.v1.NotificationsService/Trigger",
                          "advocacy.content.v1.ContentService/GetLeaderboard",
                          "grpc.health.v1.Health/Check", "no.such.Service/Method"}) {
    const HttpResult r = Call(rpc, json::object(), admin_token_);
    EXPECT_EQ(r.status, 404) << rpc;
    EXPECT_EQ(r.Header("content-type"), "application/json");
    EXPECT_EQ(Body(r)["code"], "unimplemented") << r.body;
  }
  // GET of an RPC path: 405 with Allow: POST.
  const HttpResult get =
      HttpRequest("GET", Url("/advocacy.consent.v1.ConsentService/GetConsentState"));
  EXPECT_EQ(get.status, 405);
  EXPECT_EQ(get.Header("allow"), "POST");
}

TEST_F(GatewayIntegrationTest, BadInputIsRefusedClearlyAndChangesNothing) {
  const std::string rpc = "advocacy.consent.v1.ConsentService/GiveConsent";
  // Malformed JSON and an unknown field: invalid_argument naming the message and the field.
  HttpResult r =
      HttpRequest("POST", Url("/" + rpc),
                  {"Content-Type: application/json", "Authorization: Bearer " + employee_token_},
                  R"({"tenantId": ")" + tenant_ + R"(", "scopez": []})");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["code"], "invalid_argument");
  EXPECT_NE(Body(r)["message"].get<std::string>().find("scopez"), std::string::npos) << r.body;
  r = HttpRequest("POST", Url("/" + rpc),
                  {"Content-Type: application/json", "Authorization: Bearer " + employee_token_},
                  "{\"tenantId\": ");
  EXPECT_EQ(r.status, 400);
  EXPECT_EQ(Body(r)["code"], "invalid_argument");
  // The service's own validation names its field.
  r = Call(rpc, {{"tenantId", tenant_}, {"employeeId", employee_}, {"noticeVersion", "x"}},
           employee_token_);
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(Body(r)["message"].get<std::string>().find("scopes"), std::string::npos) << r.body;
  // A body over GATEWAY_MAX_BODY_BYTES: 413 before anything is parsed.
  r = HttpRequest("POST", Url("/" + rpc),
                  {"Content-Type: application/json", "Authorization: Bearer " + employee_token_},
                  "{\"tenantId\":\"" + std::string(70000, 'a') + "\"}");
  EXPECT_EQ(r.status, 413);
  // Not a Connect content type: 415 with Accept-Post.
  r = HttpRequest("POST", Url("/" + rpc),
                  {"Content-Type: application/x-www-form-urlencoded",
                   "Authorization: Bearer " + employee_token_},
                  "tenantId=x");
  EXPECT_EQ(r.status, 415);
  EXPECT_EQ(r.Header("accept-post"), "application/json, application/proto");
  // No credentials: 401 without a call to the service; a forged token: the service's 401.
  r = Call(rpc, {{"tenantId", tenant_}}, "");
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["code"], "unauthenticated");
  r = Call(rpc, {{"tenantId", tenant_}}, keys_->TokenSignedByAnotherKey(tenant_, employee_));
  EXPECT_EQ(r.status, 401);
  EXPECT_EQ(Body(r)["code"], "unauthenticated");
  // Another employee's consent: the service refuses it.
  r = Call(rpc,
           {{"tenantId", tenant_},
            {"employeeId", "someone-else"},
            {"scopes", {{{"purpose", "PURPOSE_EMAIL_TIPS"}}}},
            {"noticeVersion", "x"}},
           employee_token_);
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Body(r)["code"], "permission_denied");
  // Nothing of the above changed the employee's consent.
  r = Call("advocacy.consent.v1.ConsentService/GetConsentState",
           {{"tenantId", tenant_}, {"employeeId", employee_}}, employee_token_);
  ASSERT_EQ(r.status, 200);
  EXPECT_FALSE(Body(r).contains("consents")) << r.body;
}

TEST_F(GatewayIntegrationTest, TheAppIsServedWithSecurityHeaders) {
  for (const char* path : {"/", "/consent", "/content/item-1"}) {
    const HttpResult r = HttpRequest("GET", Url(path));
    ASSERT_EQ(r.status, 200) << path;
    EXPECT_EQ(r.body, kIndex);
    EXPECT_EQ(r.Header("cache-control"), "no-cache");
    const std::string csp = r.Header("content-security-policy");
    EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
    EXPECT_NE(csp.find("frame-ancestors 'none'"), std::string::npos) << csp;
    EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;
    EXPECT_EQ(r.Header("x-content-type-options"), "nosniff");
    EXPECT_EQ(r.Header("referrer-policy"), "no-referrer");
    EXPECT_EQ(r.Header("strict-transport-security"), "max-age=63072000; includeSubDomains");
    EXPECT_EQ(r.Header("x-request-id").size(), 32u);
  }
  HttpResult r = HttpRequest("GET", Url("/assets/app-1.js"), {"Accept-Encoding: gzip, br"});
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.Header("content-encoding"), "br");
  EXPECT_EQ(r.Header("cache-control"), "public, max-age=31536000, immutable");
  r = HttpRequest("GET", Url("/assets/app-1.js"));
  EXPECT_EQ(r.body, kScript);
  const HttpResult again =
      HttpRequest("GET", Url("/assets/app-1.js"), {"If-None-Match: " + r.Header("etag")});
  EXPECT_EQ(again.status, 304);
  r = HttpRequest("GET", Url("/assets/nope.js"));
  EXPECT_EQ(r.status, 404);
  EXPECT_NE(r.body.find("Siden finnes ikke"), std::string::npos);
  // Errors of RPCs carry the headers too.
  r = Call("no.such.Service/Method", json::object(), "");
  EXPECT_NE(r.Header("content-security-policy").find("default-src 'none'"), std::string::npos);
}

TEST_F(GatewayIntegrationTest, AServiceThatCannotAnswerIsUnavailableWithoutInternalDetails) {
  // A second gateway whose notifications address has nobody listening.
  const int port = FreePort();
  const int dead = FreePort();
  ServiceProcess* other =
      Started(GATEWAY_BINARY, GatewayEnv(port, "127.0.0.1:" + std::to_string(dead)));
  const HttpResult r = Call("advocacy.notifications.v1.NotificationsService/GetPreferences",
                            {{"tenantId", tenant_}, {"employeeId", employee_}}, employee_token_,
                            {"X-Request-Id: it-dead-1", "Connect-Timeout-Ms: 1500"}, port);
  EXPECT_TRUE(r.status == 503 || r.status == 504) << r.status << " " << r.body;
  const std::string message = Body(r)["message"].get<std::string>();
  EXPECT_NE(message.find("it-dead-1"), std::string::npos) << message;
  EXPECT_EQ(message.find("127.0.0.1"), std::string::npos) << message;
  EXPECT_EQ(message.find(std::to_string(dead)), std::string::npos) << message;
  // The other services still answer through it.
  const HttpResult ok =
      Call("advocacy.consent.v1.ConsentService/GetConsentState",
           {{"tenantId", tenant_}, {"employeeId", employee_}}, employee_token_, {}, port);
  EXPECT_EQ(ok.status, 200) << ok.body;
  EXPECT_EQ(other->Stop(), 0);
  delete other;
}

// The whole sign-in at the gateway on `base` as a demo user of the stack's provider, the way
// BrowserSignInKeepsTokensOnTheServerAndNeedsTheCsrfToken checks it step by step: the browser's
// new session id, or "" (with a test failure saying which step failed).
std::string SignInAs(const std::string& base, const std::string& user) {
  const HttpResult login = HttpRequest("GET", base + "/auth/login?return_to=/feed");
  EXPECT_EQ(login.status, 302) << login.body;
  const std::string state = CookieFrom(login.Header("set-cookie"), "__Host-advocacy-login");
  ProviderBrowser browser;
  const std::string callback =
      browser.SignIn(login.Header("location"), user, Env("ADVOCACY_WEB_URL") + "/auth/callback");
  if (callback.empty()) return "";
  const HttpResult done = HttpRequest("GET", base + callback.substr(Env("ADVOCACY_WEB_URL").size()),
                                      {"Cookie: __Host-advocacy-login=" + state});
  for (const std::string& line : done.set_cookies) {
    if (std::string id = CookieFrom(line, "__Host-advocacy-session"); !id.empty()) return id;
  }
  ADD_FAILURE() << "the callback set no session cookie: " << done.status << " " << done.body;
  return "";
}

TEST_F(GatewayIntegrationTest, BrowserSignInKeepsTokensOnTheServerAndNeedsTheCsrfToken) {
  const std::string base = StrCat("http://127.0.0.1:", http_port_);
  // 1. /auth/login: a redirect to the provider with PKCE, and the sign-in's state in a cookie.
  HttpResult login = HttpRequest("GET", base + "/auth/login?return_to=/consent");
  ASSERT_EQ(login.status, 302) << login.body;
  const std::string login_cookie = login.Header("set-cookie");
  const std::string state = CookieFrom(login_cookie, "__Host-advocacy-login");
  ASSERT_FALSE(state.empty()) << login_cookie;
  EXPECT_NE(login_cookie.find("HttpOnly"), std::string::npos);
  EXPECT_NE(login_cookie.find("Secure"), std::string::npos);
  const std::string authorize = login.Header("location");
  EXPECT_EQ(authorize.rfind(Env("ADVOCACY_OIDC_ISSUER"), 0), 0u) << authorize;
  for (const char* part : {"code_challenge_method=S256", "code_challenge=", "nonce=",
                           "resource=urn%3Aadvocacy%3Aconsent", "client_id=advocacy-web"}) {
    EXPECT_NE(authorize.find(part), std::string::npos) << part;
  }
  // 2. The provider's login page, as the demo employee.
  ProviderBrowser browser;
  const std::string callback =
      browser.SignIn(authorize, "kari.nordmann", Env("ADVOCACY_WEB_URL") + "/auth/callback");
  ASSERT_FALSE(callback.empty());
  const std::string path = callback.substr(Env("ADVOCACY_WEB_URL").size());
  // A callback without the browser's sign-in cookie (another browser) makes no session.
  HttpResult stolen = HttpRequest("GET", base + path);
  EXPECT_EQ(stolen.status, 303);
  EXPECT_EQ(stolen.Header("location"), "/?signin=failed");
  // 3. The callback with it: a session cookie, HttpOnly, Secure, SameSite, __Host-.
  HttpResult done = HttpRequest("GET", base + path, {"Cookie: __Host-advocacy-login=" + state});
  ASSERT_EQ(done.status, 303) << done.body;
  // (The refused attempt did not spend the state: the cookie is checked before the store.)
  ASSERT_EQ(done.Header("location"), "/consent");
  std::string session_id;
  for (const std::string& line : done.set_cookies) {
    const std::string value = CookieFrom(line, "__Host-advocacy-session");
    if (!value.empty()) {
      session_id = value;
      EXPECT_NE(line.find("; HttpOnly"), std::string::npos) << line;
      EXPECT_NE(line.find("; Secure"), std::string::npos) << line;
      EXPECT_NE(line.find("; SameSite=Lax"), std::string::npos) << line;
      EXPECT_NE(line.find("; Path=/"), std::string::npos) << line;
    }
  }
  ASSERT_FALSE(session_id.empty());
  const std::string cookie = "Cookie: __Host-advocacy-session=" + session_id;
  // 4. Who signed in, and the CSRF token; no token of the provider ever reaches the browser.
  HttpResult who = HttpRequest("GET", base + "/auth/session", {cookie});
  ASSERT_EQ(who.status, 200) << who.body;
  const json info = Body(who);
  EXPECT_EQ(info["subject"], "kari.nordmann");
  EXPECT_EQ(info["tenant"], "demo-corp");
  EXPECT_EQ(info["roles"], json::array({"employee"}));
  EXPECT_EQ(info["name"], "Kari Nordmann");
  const std::string csrf = info["csrf_token"].get<std::string>();
  EXPECT_GE(csrf.size(), 32u);
  for (const HttpResult* r : {&login, &done, &who}) {
    EXPECT_EQ(r->body.find("eyJ"), std::string::npos) << "a JWT reached the browser";
    for (const std::string& h : r->all_headers) {
      EXPECT_EQ(h.find("eyJ"), std::string::npos) << "a JWT reached the browser: " << h;
    }
  }
  // 5. RPCs with the session: the CSRF token is required, another site's Origin is refused.
  const json mine = {{"tenantId", "demo-corp"}, {"employeeId", "kari.nordmann"}};
  const std::string rpc = "advocacy.consent.v1.ConsentService/GetConsentState";
  HttpResult r =
      Call(rpc, mine, "", {cookie, "X-CSRF-Token: " + csrf, "Origin: " + Env("ADVOCACY_WEB_URL")});
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call(rpc, mine, "", {cookie});
  EXPECT_EQ(r.status, 403) << r.body;
  EXPECT_EQ(Body(r)["code"], "permission_denied");
  r = Call(rpc, mine, "", {cookie, "X-CSRF-Token: " + csrf + "x"});
  EXPECT_EQ(r.status, 403);
  r = Call(rpc, mine, "", {cookie, "X-CSRF-Token: " + csrf, "Origin: https://evil.example"});
  EXPECT_EQ(r.status, 403);
  // Every other service gets its own token (a refresh per resource), the employee's own rules
  // apply: another employee's state is refused by the service.
  r = Call("advocacy.notifications.v1.NotificationsService/GetPreferences", mine, "",
           {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_TRUE(r.status == 200 || r.status == 404) << r.status << " " << r.body;
  r = Call("advocacy.courses.v1.CoursesService/ListCourses", {{"tenantId", "demo-corp"}}, "",
           {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(r.status, 200) << r.body;
  r = Call(rpc, {{"tenantId", "demo-corp"}, {"employeeId", "someone-else"}}, "",
           {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(r.status, 403) << r.body;
  // 6. Logout ends it here and at the provider.
  r = HttpRequest("POST", base + "/auth/logout", {cookie}, "");
  EXPECT_EQ(r.status, 403) << "logout without the CSRF token";
  r = HttpRequest("POST", base + "/auth/logout", {cookie, "X-CSRF-Token: " + csrf}, "");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(Body(r)["redirect"].get<std::string>().rfind(Env("ADVOCACY_OIDC_ISSUER"), 0), 0u)
      << r.body;
  EXPECT_EQ(HttpRequest("GET", base + "/auth/session", {cookie}).status, 401);
  r = Call(rpc, mine, "", {cookie, "X-CSRF-Token: " + csrf});
  EXPECT_EQ(r.status, 401) << r.body;
  EXPECT_EQ(Body(r)["code"], "unauthenticated");
}

TEST_F(GatewayIntegrationTest, CertificatesAreVerifiedWithoutSigningInAndNothingElseIs) {
  // No cookie, no token: VerifyCertificate reaches courses with the gateway's own identity (the
  // service answers not_found for an unknown code, naming the field)...
  HttpResult r =
      Call("advocacy.courses.v1.CoursesService/VerifyCertificate",
           {{"tenantId", tenant_}, {"verificationCode", "0123456789ABCDEFGHJKMNPQRS"}}, "");
  EXPECT_EQ(r.status, 404) << r.body;
  EXPECT_EQ(Body(r)["code"], "not_found") << r.body;
  EXPECT_NE(Body(r)["message"].get<std::string>().find("verification_code"), std::string::npos);
  // ... and that identity can do nothing else: every other RPC still needs a sign-in.
  for (const char* rpc : {"advocacy.courses.v1.CoursesService/ListCourses",
                          "advocacy.courses.v1.CoursesService/GetEnrollment",
                          "advocacy.consent.v1.ConsentService/GetConsentState"}) {
    r = Call(rpc, {{"tenantId", tenant_}}, "");
    EXPECT_EQ(r.status, 401) << rpc << " " << r.body;
  }
  // The identity's token itself is refused by courses for anything but VerifyCertificate:
  // proven at the provider's side by its scope (courses:verify only) and at the service's by
  // ServiceScope; a client-credentials token of advocacy-gateway for ListCourses:
  auto token =
      oidc::RequestToken(StackClient("advocacy-gateway", "urn:advocacy:courses", "courses:verify"));
  ASSERT_TRUE(token.ok()) << token.status();
  r = Call("advocacy.courses.v1.CoursesService/ListCourses", {{"tenantId", tenant_}}, token->value);
  EXPECT_EQ(r.status, 403) << r.body;
}

TEST_F(GatewayIntegrationTest, AnIdleSessionEnds) {
  const std::string base = StrCat("http://127.0.0.1:", http_port_);
  const std::string session_id = SignInAs(base, "kari.nordmann");
  ASSERT_FALSE(session_id.empty());
  const std::string cookie = "Cookie: __Host-advocacy-session=" + session_id;
  ASSERT_EQ(HttpRequest("GET", base + "/auth/session", {cookie}).status, 200);
  std::this_thread::sleep_for(std::chrono::seconds(kIdleSeconds + 2));
  HttpResult after = HttpRequest("GET", base + "/auth/session", {cookie});
  EXPECT_EQ(after.status, 401);
  EXPECT_EQ(Body(after)["login_url"], "/auth/login");
}

}  // namespace
}  // namespace advocacy::it
