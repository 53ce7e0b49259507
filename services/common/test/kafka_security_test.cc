// Kafka client security from the environment (config::ReadKafkaSecurity) and its librdkafka
// properties: SASL_SSL by default, every problem named by its variable, secrets read from files
// and never shown in the effective configuration or in an error.

#include "advocacy/common/kafka_security.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/config.h"
#include "advocacy/common/kafka.h"

namespace advocacy::config {
namespace {

using Vars = std::vector<std::pair<std::string, std::string>>;

constexpr char kPassword[] = "s3cret-Pa55word";

// A file under the test's temporary directory, removed at the end of the test.
class TempFile {
 public:
  TempFile(const std::string& name, const std::string& content)
      : path_(::testing::TempDir() + "/kafka_security_test_" + std::to_string(getpid()) + "_" +
              name) {
    std::ofstream(path_, std::ios::binary) << content;
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

std::map<std::string, std::string> AsMap(const kafka::ClientSecurity& s) {
  std::map<std::string, std::string> out;
  for (const auto& [k, v] : s.Properties()) out[k] = v;
  return out;
}

void ExpectNoSecretShown(const EnvReader& env, const std::string& secret) {
  for (const auto& [k, v] : env.effective()) {
    EXPECT_EQ(v.find(secret), std::string::npos) << k << " shows the secret";
  }
  EXPECT_EQ(std::string(env.Finish().message()).find(secret), std::string::npos);
}

TEST(KafkaSecurityConfigTest, SaslSslWithScramIsTheDefault) {
  TempFile password("password", std::string(kPassword) + "\n");
  TempFile ca("ca.pem", "-----BEGIN CERTIFICATE-----\n");
  EnvReader env(Vars{{"ADVOCACY_KAFKA_SASL_USERNAME", "consent"},
                     {"ADVOCACY_KAFKA_SASL_PASSWORD_FILE", password.path()},
                     {"ADVOCACY_KAFKA_SSL_CA_FILE", ca.path()}});
  const kafka::ClientSecurity s = ReadKafkaSecurity(env);
  ASSERT_TRUE(env.Finish().ok()) << env.Finish();
  EXPECT_EQ(s.protocol, kafka::SecurityProtocol::kSaslSsl);
  EXPECT_EQ(s.sasl_password, kPassword) << "the trailing newline is not part of it";
  const auto p = AsMap(s);
  EXPECT_EQ(p.at("security.protocol"), "sasl_ssl");
  EXPECT_EQ(p.at("sasl.mechanisms"), "SCRAM-SHA-512");
  EXPECT_EQ(p.at("sasl.username"), "consent");
  EXPECT_EQ(p.at("sasl.password"), kPassword);
  EXPECT_EQ(p.at("ssl.ca.location"), ca.path());
  EXPECT_EQ(p.at("ssl.endpoint.identification.algorithm"), "https");
  EXPECT_FALSE(p.contains("ssl.certificate.location"));
  ExpectNoSecretShown(env, kPassword);
  EXPECT_EQ(s.Describe().find(kPassword), std::string::npos);
  EXPECT_NE(s.Describe().find("user=consent"), std::string::npos) << s.Describe();
  // Debian 12's librdkafka 2.0.2 has the SCRAM nonce bug: the operator is told at start.
  EXPECT_NE(s.CompatibilityWarning().find("2.6.1"), std::string::npos) << s.CompatibilityWarning();
  EXPECT_EQ(kafka::ClientSecurity{.protocol = kafka::SecurityProtocol::kSsl}.CompatibilityWarning(),
            "");
}

TEST(KafkaSecurityConfigTest, MissingSaslSettingsAreNamed) {
  EnvReader env(Vars{});
  ReadKafkaSecurity(env);
  const std::string msg(env.Finish().message());
  EXPECT_NE(msg.find("ADVOCACY_KAFKA_SASL_USERNAME is required"), std::string::npos) << msg;
  EXPECT_NE(msg.find("ADVOCACY_KAFKA_SASL_PASSWORD_FILE is required"), std::string::npos) << msg;
}

TEST(KafkaSecurityConfigTest, BadFilesAndValuesAreNamed) {
  TempFile empty("empty", "\n");
  TempFile two_lines("two", "a\nb\n");
  TempFile cert("cert.pem", "x");
  EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "sasl_ssl"},
                     {"ADVOCACY_KAFKA_SASL_MECHANISM", "PLAIN"},
                     {"ADVOCACY_KAFKA_SASL_USERNAME", "content"},
                     {"ADVOCACY_KAFKA_SASL_PASSWORD_FILE", empty.path()},
                     {"ADVOCACY_KAFKA_SSL_CA_FILE", "/nonexistent/ca.pem"},
                     {"ADVOCACY_KAFKA_SSL_CERT_FILE", cert.path()},
                     {"ADVOCACY_KAFKA_SSL_KEY_PASSWORD_FILE", two_lines.path()}});
  ReadKafkaSecurity(env);
  const std::string msg(env.Finish().message());
  const std::vector<std::string> expected_errors = {
      "ADVOCACY_KAFKA_SASL_MECHANISM='PLAIN' must be SCRAM-SHA-512 or SCRAM-SHA-256",
      "ADVOCACY_KAFKA_SASL_PASSWORD_FILE='" + empty.path() + "' is empty",
      "ADVOCACY_KAFKA_SSL_CA_FILE='/nonexistent/ca.pem' cannot be read",
      "ADVOCACY_KAFKA_SSL_CERT_FILE and ADVOCACY_KAFKA_SSL_KEY_FILE go together",
      "ADVOCACY_KAFKA_SSL_KEY_PASSWORD_FILE='" + two_lines.path() + "' holds more than one line"};
  for (const std::string& expected : expected_errors) {
    EXPECT_NE(msg.find(expected), std::string::npos) << expected << "\nnot in:\n" << msg;
  }
}

TEST(KafkaSecurityConfigTest, UnknownProtocolIsRefused) {
  EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "SASL_PLAINTEXT"}});
  ReadKafkaSecurity(env);
  EXPECT_NE(std::string(env.Finish().message())
                .find("ADVOCACY_KAFKA_SECURITY_PROTOCOL='SASL_PLAINTEXT' must be SASL_SSL, SSL or "
                      "PLAINTEXT"),
            std::string::npos)
      << env.Finish();
}

TEST(KafkaSecurityConfigTest, SslNeedsAClientCertificate) {
  {
    EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "SSL"}});
    ReadKafkaSecurity(env);
    EXPECT_NE(std::string(env.Finish().message())
                  .find("ADVOCACY_KAFKA_SECURITY_PROTOCOL=SSL authenticates with a client "
                        "certificate: set ADVOCACY_KAFKA_SSL_CERT_FILE and "
                        "ADVOCACY_KAFKA_SSL_KEY_FILE"),
              std::string::npos)
        << env.Finish();
  }
  TempFile cert("client.pem", "c");
  TempFile key("client.key", "k");
  TempFile key_password("key.password", kPassword);
  EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "SSL"},
                     {"ADVOCACY_KAFKA_SSL_CERT_FILE", cert.path()},
                     {"ADVOCACY_KAFKA_SSL_KEY_FILE", key.path()},
                     {"ADVOCACY_KAFKA_SSL_KEY_PASSWORD_FILE", key_password.path()}});
  const kafka::ClientSecurity s = ReadKafkaSecurity(env);
  ASSERT_TRUE(env.Finish().ok()) << env.Finish();
  const auto p = AsMap(s);
  EXPECT_EQ(p.at("security.protocol"), "ssl");
  EXPECT_EQ(p.at("ssl.certificate.location"), cert.path());
  EXPECT_EQ(p.at("ssl.key.location"), key.path());
  EXPECT_EQ(p.at("ssl.key.password"), kPassword);
  EXPECT_FALSE(p.contains("sasl.username"));
  EXPECT_FALSE(p.contains("ssl.ca.location")) << "unset: the system trust store";
  ExpectNoSecretShown(env, kPassword);
}

TEST(KafkaSecurityConfigTest, PlaintextOnlyWhenAskedAndAlone) {
  {
    EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"}});
    const kafka::ClientSecurity s = ReadKafkaSecurity(env);
    ASSERT_TRUE(env.Finish().ok()) << env.Finish();
    EXPECT_EQ(AsMap(s), (std::map<std::string, std::string>{{"security.protocol", "plaintext"}}));
  }
  EnvReader env(Vars{{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "plaintext"},
                     {"ADVOCACY_KAFKA_SASL_USERNAME", "consent"}});
  ReadKafkaSecurity(env);
  EXPECT_NE(std::string(env.Finish().message())
                .find("ADVOCACY_KAFKA_SASL_USERNAME is set but "
                      "ADVOCACY_KAFKA_SECURITY_PROTOCOL=PLAINTEXT neither encrypts nor "
                      "authenticates"),
            std::string::npos)
      << env.Finish();
}

TEST(KafkaSecurityConfigTest, RuntimeConfigCarriesIt) {
  TempFile password("runtime.password", kPassword);
  EnvReader env(Vars{{"ADVOCACY_REDIS_URL", "redis://127.0.0.1:6379"},
                     {"ADVOCACY_KAFKA_BROKERS", "127.0.0.1:9093"},
                     {"ADVOCACY_KAFKA_SASL_USERNAME", "courses"},
                     {"ADVOCACY_KAFKA_SASL_PASSWORD_FILE", password.path()}});
  const RuntimeConfig c = ReadRuntimeConfig(env, "courses");
  EXPECT_EQ(c.kafka_security.protocol, kafka::SecurityProtocol::kSaslSsl);
  EXPECT_EQ(c.kafka_security.sasl_username, "courses");
  ExpectNoSecretShown(env, kPassword);
}

// The secret stays out of the error when librdkafka refuses the configuration.
TEST(KafkaSecurityClientTest, ErrorsNeverShowThePassword) {
  kafka::ClientSecurity security{.protocol = kafka::SecurityProtocol::kSaslSsl,
                                 .sasl_username = "content",
                                 .sasl_password = kPassword,
                                 .ca_file = "/nonexistent/advocacy-ca.pem"};
  auto producer =
      kafka::Producer::Create({.brokers = "127.0.0.1:1", .client_id = "t", .security = security});
  ASSERT_FALSE(producer.ok());
  const std::string msg(producer.status().message());
  EXPECT_NE(msg.find("ssl.ca.location"), std::string::npos) << msg;
  EXPECT_EQ(msg.find(kPassword), std::string::npos) << msg;

  EXPECT_TRUE(kafka::IsSecretProperty("sasl.password"));
  EXPECT_TRUE(kafka::IsSecretProperty("ssl.key.password"));
  EXPECT_FALSE(kafka::IsSecretProperty("sasl.username"));
}

}  // namespace
}  // namespace advocacy::config
