#include "advocacy/common/config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace advocacy::config {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

TEST(EnvReaderTest, ReadsValuesAndRedactsSecrets) {
  EnvReader env(
      {{"A", "x"}, {"N", "42"}, {"B", "true"}, {"S", "hunter2"}, {"ADDR", "127.0.0.1:0"}});
  EXPECT_EQ(env.Required("A"), "x");
  EXPECT_EQ(env.Int("N", 1, 0, 100), 42);
  EXPECT_TRUE(env.Bool("B", false));
  EXPECT_EQ(env.Required("S", /*secret=*/true), "hunter2");
  EXPECT_EQ(env.Address("ADDR", "0.0.0.0:1"), "127.0.0.1:0");
  EXPECT_EQ(env.Optional("MISSING", "dflt"), "dflt");
  EXPECT_TRUE(env.Finish().ok());
  for (const auto& [k, v] : env.effective()) {
    if (k == "S") {
      EXPECT_EQ(v, "<redacted>");
    }
    EXPECT_EQ(v.find("hunter2"), std::string::npos);
  }
}

TEST(EnvReaderTest, CollectsEveryProblem) {
  EnvReader env({{"N", "abc"}, {"M", "500"}, {"B", "maybe"}, {"ADDR", "nohost"}});
  env.Required("REQ");
  env.Int("N", 1, 0, 10);
  env.Int("M", 1, 0, 10);
  env.Bool("B", false);
  env.Address("ADDR", "x:1");
  const absl::Status st = env.Finish();
  ASSERT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  const std::string msg(st.message());
  for (const char* name :
       {"REQ is required", "N='abc'", "M=500 is out of range", "B='maybe'", "ADDR='nohost'"}) {
    EXPECT_NE(msg.find(name), std::string::npos) << name << " missing in: " << msg;
  }
}

TEST(RuntimeConfigTest, HealthListenIsOffByDefaultAndChecked) {
  using Values = std::vector<std::pair<std::string, std::string>>;
  EnvReader unset(Values{});
  EXPECT_EQ(ReadRuntimeConfig(unset, "test").health_listen, "");
  EnvReader set(Values{{"ADVOCACY_HEALTH_LISTEN", "0.0.0.0:8086"}});
  EXPECT_EQ(ReadRuntimeConfig(set, "test").health_listen, "0.0.0.0:8086");
  EXPECT_THAT(std::string(set.Finish().message()),
              ::testing::Not(HasSubstr("ADVOCACY_HEALTH_LISTEN")));
  EnvReader bad(Values{{"ADVOCACY_HEALTH_LISTEN", "8086"}});
  ReadRuntimeConfig(bad, "test");
  EXPECT_THAT(std::string(bad.Finish().message()),
              HasSubstr("ADVOCACY_HEALTH_LISTEN='8086' must be host:port"));
}

TEST(RuntimeConfigTest, GrpcReflectionIsOffUnlessConfigured) {
  using Values = std::vector<std::pair<std::string, std::string>>;
  EnvReader unset(Values{});
  EXPECT_FALSE(ReadRuntimeConfig(unset, "test").grpc_reflection);
  EnvReader on(Values{{"ADVOCACY_GRPC_REFLECTION", "true"}});
  EXPECT_TRUE(ReadRuntimeConfig(on, "test").grpc_reflection);
  EnvReader bad(Values{{"ADVOCACY_GRPC_REFLECTION", "sometimes"}});
  EXPECT_FALSE(ReadRuntimeConfig(bad, "test").grpc_reflection);
  EXPECT_NE(std::string(bad.Finish().message()).find("ADVOCACY_GRPC_REFLECTION='sometimes'"),
            std::string::npos);
}

TEST(RuntimeConfigTest, ReportsUnreadableKeyFileAndBadLogLevel) {
  EnvReader env({{"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
                 {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
                 {"ADVOCACY_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"},
                 {"ADVOCACY_JWT_ISSUER", "iss"},
                 {"ADVOCACY_LOG_LEVEL", "loud"}});
  ReadRuntimeConfig(env, "test");
  const std::string msg(env.Finish().message());
  EXPECT_NE(msg.find("ADVOCACY_JWT_PUBLIC_KEY_FILE='/nonexistent/key.pem' cannot be read"),
            std::string::npos)
      << msg;
  EXPECT_NE(msg.find("ADVOCACY_LOG_LEVEL='loud'"), std::string::npos) << msg;
  for (const auto& [k, v] : env.effective()) {
    if (k == "ADVOCACY_REDIS_URL") {
      EXPECT_EQ(v, "<redacted>");  // may carry a password
    }
  }
}

TEST(RuntimeConfigTest, RedisTlsFilesAreReadForRedissOnlyAndCheckedAtStart) {
  const std::vector<std::pair<std::string, std::string>> tls_files = {
      {"ADVOCACY_REDIS_TLS_CA_FILE", "/nonexistent/ca.pem"},
      {"ADVOCACY_REDIS_TLS_CERT_FILE", "/etc/hostname"}};
  {
    // redis:// (a TLS proxy, or none): the stack's exported TLS variables are not this client's.
    std::vector<std::pair<std::string, std::string>> vars = {
        {"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"}};
    vars.insert(vars.end(), tls_files.begin(), tls_files.end());
    EnvReader env(vars);
    const RuntimeConfig c = ReadRuntimeConfig(env, "test");
    EXPECT_EQ(c.redis_tls_ca_file, "");
    EXPECT_THAT(std::string(env.Finish().message()), Not(HasSubstr("ADVOCACY_REDIS_TLS")));
  }
  {
    std::vector<std::pair<std::string, std::string>> vars = {
        {"ADVOCACY_REDIS_URL", "rediss://127.0.0.1:6380"}};
    vars.insert(vars.end(), tls_files.begin(), tls_files.end());
    EnvReader env(vars);
    const RuntimeConfig c = ReadRuntimeConfig(env, "test");
    EXPECT_EQ(c.redis_tls_ca_file, "/nonexistent/ca.pem");
    const std::string msg(env.Finish().message());
    EXPECT_THAT(msg, HasSubstr("ADVOCACY_REDIS_TLS_CA_FILE='/nonexistent/ca.pem' cannot be read"));
    EXPECT_THAT(msg, HasSubstr("ADVOCACY_REDIS_TLS_CERT_FILE and ADVOCACY_REDIS_TLS_KEY_FILE go "
                               "together"));
  }
}

TEST(RuntimeConfigTest, KafkaSessionTimeoutIsBoundedAndReachesEveryConsumer) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
      {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
      {"ADVOCACY_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"},
      {"ADVOCACY_JWT_ISSUER", "iss"}};
  {
    EnvReader env(base);
    const RuntimeConfig c = ReadRuntimeConfig(env, "test");
    EXPECT_EQ(c.kafka_session_timeout, std::chrono::seconds(10));
    const auto extra = c.KafkaConsumerExtra();
    EXPECT_EQ(extra.at("session.timeout.ms"), "10000");
    EXPECT_EQ(extra.at("heartbeat.interval.ms"), "3000");
  }
  {
    auto vars = base;
    vars.emplace_back("ADVOCACY_KAFKA_SESSION_TIMEOUT_MS", "6000");
    EnvReader env(vars);
    const auto extra = ReadRuntimeConfig(env, "test").KafkaConsumerExtra();
    EXPECT_EQ(extra.at("session.timeout.ms"), "6000");
    EXPECT_EQ(extra.at("heartbeat.interval.ms"), "2000");
  }
  {
    auto vars = base;
    vars.emplace_back("ADVOCACY_KAFKA_SESSION_TIMEOUT_MS", "1000");  // below the broker's minimum
    EnvReader env(vars);
    ReadRuntimeConfig(env, "test");
    const std::string msg(env.Finish().message());
    EXPECT_NE(msg.find("ADVOCACY_KAFKA_SESSION_TIMEOUT_MS"), std::string::npos) << msg;
  }
}

TEST(RuntimeConfigTest, EventTrustSettingsAreCheckedAtStart) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
      {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
      {"ADVOCACY_JWT_PUBLIC_KEY_FILE", "/nonexistent/key.pem"},
      {"ADVOCACY_JWT_ISSUER", "iss"}};
  {
    EnvReader env(base);
    const RuntimeConfig c = ReadRuntimeConfig(env, "test");
    EXPECT_EQ(c.event_sources, "");
    EXPECT_EQ(c.consent_max_sequence_gap, 1000);
  }
  {
    auto vars = base;
    vars.emplace_back("ADVOCACY_EVENT_SOURCES", "advocacy.content.v1=/advocacy/content|/x");
    vars.emplace_back("ADVOCACY_CONSENT_MAX_SEQUENCE_GAP", "50000");
    EnvReader env(vars);
    const RuntimeConfig c = ReadRuntimeConfig(env, "test");
    EXPECT_EQ(c.event_sources, "advocacy.content.v1=/advocacy/content|/x");
    EXPECT_EQ(c.consent_max_sequence_gap, 50000);
  }
  {
    auto vars = base;
    vars.emplace_back("ADVOCACY_EVENT_SOURCES", "advocacy.content.v1");
    vars.emplace_back("ADVOCACY_CONSENT_MAX_SEQUENCE_GAP", "0");
    EnvReader env(vars);
    ReadRuntimeConfig(env, "test");
    const std::string msg(env.Finish().message());
    EXPECT_NE(msg.find("ADVOCACY_EVENT_SOURCES: entry 'advocacy.content.v1'"), std::string::npos)
        << msg;
    EXPECT_NE(msg.find("ADVOCACY_CONSENT_MAX_SEQUENCE_GAP=0 is out of range"), std::string::npos)
        << msg;
  }
}

TEST(HttpServerOptionsTest, DefaultsOverridesAndBounds) {
  EnvReader defaults(std::vector<std::pair<std::string, std::string>>{});
  const http::ServerOptions d = ReadHttpServerOptions(defaults, "CONTENT_LINK", "0.0.0.0:8080");
  EXPECT_TRUE(defaults.Finish().ok());
  EXPECT_EQ(d.listen, "0.0.0.0:8080");
  EXPECT_EQ(d.max_connections, 4096u);
  EXPECT_EQ(d.max_connections_per_client, 64u);
  EXPECT_EQ(d.read_timeout, std::chrono::milliseconds(5000));
  EXPECT_EQ(d.workers, 8u);
  EXPECT_EQ(d.idle_timeout, std::chrono::milliseconds(0));  // keep-alive off unless asked

  EnvReader set({{"X_LISTEN", "127.0.0.1:9"},
                 {"X_MAX_CONNECTIONS", "100"},
                 {"X_MAX_CONNECTIONS_PER_CLIENT", "0"},
                 {"X_READ_TIMEOUT_MS", "2000"},
                 {"X_WRITE_TIMEOUT_MS", "3000"},
                 {"X_WORKERS", "2"},
                 {"X_MAX_QUEUED", "0"},
                 {"X_IDLE_TIMEOUT_MS", "65000"},
                 {"X_MAX_REQUESTS_PER_CONNECTION", "10"}});
  const http::ServerOptions o = ReadHttpServerOptions(set, "X", "0.0.0.0:1");
  EXPECT_TRUE(set.Finish().ok());
  EXPECT_EQ(o.listen, "127.0.0.1:9");
  EXPECT_EQ(o.max_connections, 100u);
  EXPECT_EQ(o.max_connections_per_client, 0u);
  EXPECT_EQ(o.read_timeout, std::chrono::milliseconds(2000));
  EXPECT_EQ(o.write_timeout, std::chrono::milliseconds(3000));
  EXPECT_EQ(o.workers, 2u);
  EXPECT_EQ(o.max_queued_requests, 0u);
  EXPECT_EQ(o.idle_timeout, std::chrono::milliseconds(65000));
  EXPECT_EQ(o.max_requests_per_connection, 10u);

  EnvReader bad({{"X_MAX_CONNECTIONS", "0"},
                 {"X_WORKERS", "1000"},
                 {"X_READ_TIMEOUT_MS", "5"},
                 {"X_IDLE_TIMEOUT_MS", "-1"},
                 {"X_MAX_REQUESTS_PER_CONNECTION", "0"}});
  ReadHttpServerOptions(bad, "X", "0.0.0.0:1");
  const std::string msg(bad.Finish().message());
  for (const char* name : {"X_MAX_CONNECTIONS", "X_WORKERS", "X_READ_TIMEOUT_MS",
                           "X_IDLE_TIMEOUT_MS", "X_MAX_REQUESTS_PER_CONNECTION"}) {
    EXPECT_NE(msg.find(name), std::string::npos) << name << " missing in: " << msg;
  }
}

class AuthConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char dir_template[] = "/tmp/advocacy-config-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Write(const std::string& name, const std::string& text) const {
    const std::string path = dir_ + "/" + name;
    std::ofstream(path) << text;
    return path;
  }
  static std::vector<std::pair<std::string, std::string>> Base() {
    return {{"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
            {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9092"},
            {"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"}};
  }

  std::string dir_;
};

TEST_F(AuthConfigTest, NeedsAtLeastOneIssuer) {
  EnvReader env(Base());
  ReadRuntimeConfig(env, "test");
  EXPECT_THAT(std::string(env.Finish().message()),
              HasSubstr("no token issuer is configured: set ADVOCACY_AUTH_ISSUERS_FILE"));

  auto vars = Base();
  vars.emplace_back("ADVOCACY_JWT_ISSUER", "https://idp.test");
  EnvReader half(vars);
  ReadRuntimeConfig(half, "test");
  EXPECT_THAT(std::string(half.Finish().message()),
              HasSubstr("ADVOCACY_JWT_PUBLIC_KEY_FILE and ADVOCACY_JWT_ISSUER go together"));
}

TEST_F(AuthConfigTest, ReadsTheIssuersFileAndTheDevelopmentKeyTogether) {
  auto vars = Base();
  vars.emplace_back("ADVOCACY_AUTH_ISSUERS_FILE",
                    Write("issuers.json", R"({"issuers": [{"issuer": "https://idp.example.com",
                        "jwks_uri": "https://idp.example.com/keys", "fixed_tenant": "acme"}]})"));
  vars.emplace_back("ADVOCACY_JWT_PUBLIC_KEY_FILE", Write("key.pem", "-----BEGIN PUBLIC KEY-----"));
  vars.emplace_back("ADVOCACY_JWT_ISSUER", "advocacy-local");
  vars.emplace_back("ADVOCACY_JWT_AUDIENCE", "advocacy-consent");
  vars.emplace_back("ADVOCACY_GRPC_TLS", "off");  // TLS has its own tests (grpc_tls_test.cc)
  EnvReader env(vars);
  const RuntimeConfig c = ReadRuntimeConfig(env, "consent");
  ASSERT_TRUE(env.Finish().ok()) << env.Finish();
  ASSERT_EQ(c.auth.issuers.size(), 1u);
  EXPECT_EQ(c.auth.issuers[0].issuer, "https://idp.example.com");
  EXPECT_EQ(c.auth.issuers[0].audiences, std::vector<std::string>{"advocacy-consent"});
  EXPECT_EQ(c.auth.issuers[0].claims.fixed_tenant, "acme");
  EXPECT_EQ(c.auth.issuer, "advocacy-local");
  EXPECT_EQ(c.auth.audience, "advocacy-consent");
  EXPECT_EQ(c.auth.public_key_pem, "-----BEGIN PUBLIC KEY-----");
  EXPECT_EQ(c.jwt_issuer, "advocacy-local");
}

TEST_F(AuthConfigTest, ListsEveryProblemOfTheIssuersFile) {
  auto vars = Base();
  vars.emplace_back("ADVOCACY_AUTH_ISSUERS_FILE", Write("issuers.json", R"({"issuers": [
                        {"issuer": "https://a", "jwks_uri": "http://idp.example.com/keys"},
                        {"issuer": "https://b", "jwks_file": "/k.json", "role_map": {"x": 1},
                         "tenant_clam": "org"}]})"));
  vars.emplace_back("ADVOCACY_LOG_LEVEL", "loud");
  EnvReader env(vars);
  ReadRuntimeConfig(env, "test");
  const std::string msg(env.Finish().message());
  EXPECT_THAT(msg, HasSubstr("ADVOCACY_AUTH_ISSUERS_FILE: issuers[1].role_map: 'x' must map to"));
  EXPECT_THAT(msg, HasSubstr("ADVOCACY_AUTH_ISSUERS_FILE: issuers[1].tenant_clam: unknown member"));
  EXPECT_THAT(msg, HasSubstr("ADVOCACY_LOG_LEVEL='loud'"));  // and the rest is still checked

  // Once the form is right, the values' rules.
  vars[3].second = Write("issuers2.json", R"({"issuers": [
      {"issuer": "https://a", "jwks_uri": "http://idp.example.com/keys"}]})");
  EnvReader again(vars);
  ReadRuntimeConfig(again, "test");
  EXPECT_THAT(std::string(again.Finish().message()),
              HasSubstr("issuer 'https://a': jwks_uri must be an https:// URL"));

  vars[3].second = dir_ + "/missing.json";
  EnvReader missing(vars);
  ReadRuntimeConfig(missing, "test");
  EXPECT_THAT(std::string(missing.Finish().message()),
              HasSubstr("ADVOCACY_AUTH_ISSUERS_FILE='" + dir_ + "/missing.json' cannot be read"));
}

}  // namespace
}  // namespace advocacy::config
