#include "advocacy/common/kafka_security.h"

#include <librdkafka/rdkafka.h>

#include <array>

#include "absl/strings/str_cat.h"

namespace advocacy::kafka {

std::string_view SecurityProtocolName(SecurityProtocol protocol) {
  switch (protocol) {
    case SecurityProtocol::kPlaintext:
      return "PLAINTEXT";
    case SecurityProtocol::kSsl:
      return "SSL";
    case SecurityProtocol::kSaslSsl:
      return "SASL_SSL";
  }
  return "PLAINTEXT";
}

std::vector<std::pair<std::string, std::string>> ClientSecurity::Properties() const {
  std::vector<std::pair<std::string, std::string>> p;
  switch (protocol) {
    case SecurityProtocol::kPlaintext:
      p.emplace_back("security.protocol", "plaintext");
      return p;
    case SecurityProtocol::kSsl:
      p.emplace_back("security.protocol", "ssl");
      break;
    case SecurityProtocol::kSaslSsl:
      p.emplace_back("security.protocol", "sasl_ssl");
      p.emplace_back("sasl.mechanisms", sasl_mechanism);
      p.emplace_back("sasl.username", sasl_username);
      p.emplace_back("sasl.password", sasl_password);
      break;
  }
  // librdkafka's default since 1.9, set anyway: a certificate for another host is refused.
  p.emplace_back("ssl.endpoint.identification.algorithm", "https");
  if (!ca_file.empty()) p.emplace_back("ssl.ca.location", ca_file);
  if (!cert_file.empty()) p.emplace_back("ssl.certificate.location", cert_file);
  if (!key_file.empty()) p.emplace_back("ssl.key.location", key_file);
  if (!key_password.empty()) p.emplace_back("ssl.key.password", key_password);
  return p;
}

std::string ClientSecurity::Describe() const {
  std::string out(SecurityProtocolName(protocol));
  if (protocol == SecurityProtocol::kSaslSsl) {
    absl::StrAppend(&out, " user=", sasl_username, " mechanism=", sasl_mechanism);
  }
  if (protocol != SecurityProtocol::kPlaintext) {
    absl::StrAppend(&out, " ca=", ca_file.empty() ? "<system trust store>" : ca_file);
    if (!cert_file.empty()) absl::StrAppend(&out, " cert=", cert_file);
  }
  return out;
}

std::string ClientSecurity::CompatibilityWarning() const {
  // rd_kafka_version() is 0xMMmmrrxx; 2.6.1 is the first release with the SCRAM nonce fix.
  constexpr int kFirstFixedScram = 0x020601ff;
  if (protocol != SecurityProtocol::kSaslSsl || rd_kafka_version() >= kFirstFixedScram) return "";
  return absl::StrCat("librdkafka ", rd_kafka_version_str(),
                      " sends SCRAM proofs that Kafka brokers from version 4.0 on refuse as "
                      "invalid credentials (fixed in librdkafka 2.6.1); against such a broker use "
                      "ADVOCACY_KAFKA_SECURITY_PROTOCOL=SSL with a client certificate");
}

bool IsSecretProperty(std::string_view name) {
  static constexpr std::array<std::string_view, 7> kSecrets = {"sasl.password",
                                                               "ssl.key.password",
                                                               "ssl.keystore.password",
                                                               "ssl.key.pem",
                                                               "ssl_key",
                                                               "sasl.oauthbearer.client.secret",
                                                               "sasl.oauthbearer.config"};
  for (std::string_view secret : kSecrets) {
    if (name == secret) return true;
  }
  return false;
}

}  // namespace advocacy::kafka
