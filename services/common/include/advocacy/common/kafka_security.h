#pragma once

// How a Kafka client proves who it is and checks whom it talks to: TLS with the broker's CA,
// and SASL SCRAM (a user name and password per service) or a TLS client certificate. The broker
// maps either to a principal (User:<name>) and its ACLs decide what that principal may read and
// write (docs/SECURITY.md, "Kafka").
//
// Read from the environment by config::ReadKafkaSecurity (config.h), which validates everything
// at start and names the variable at fault; secrets come from files and never appear in a log
// line or an error message (IsSecretProperty).

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace advocacy::kafka {

enum class SecurityProtocol {
  kPlaintext,  // no TLS, no authentication: only when explicitly configured
  kSsl,        // TLS; the client authenticates with its certificate (cert_file, key_file)
  kSaslSsl,    // TLS; the client authenticates with SASL SCRAM (username, password)
};

// "PLAINTEXT", "SSL", "SASL_SSL": the names librdkafka and Kafka use.
std::string_view SecurityProtocolName(SecurityProtocol protocol);

struct ClientSecurity {
  // In code the default is plaintext (tests on librdkafka's mock cluster); from the environment
  // (config::ReadKafkaSecurity) it is SASL_SSL, so plaintext is always a deliberate choice.
  SecurityProtocol protocol = SecurityProtocol::kPlaintext;
  std::string sasl_mechanism = "SCRAM-SHA-512";  // or SCRAM-SHA-256
  std::string sasl_username;
  std::string sasl_password;  // secret
  // PEM bundle of the CAs that may sign the broker's certificate; empty = the system's trust
  // store. The broker's host name is always verified against its certificate.
  std::string ca_file;
  // Client certificate and key (PEM files): required with kSsl, optional (mutual TLS on top of
  // SCRAM) with kSaslSsl.
  std::string cert_file;
  std::string key_file;
  std::string key_password;  // secret; empty when the key is not encrypted

  // The librdkafka properties for this setting, to apply before any caller override. Holds the
  // secrets: never log the result (ApplyConfig redacts them in its errors).
  [[nodiscard]] std::vector<std::pair<std::string, std::string>> Properties() const;
  // "SASL_SSL user=consent mechanism=SCRAM-SHA-512 ca=/etc/kafka/ca.pem": what a start-up log
  // line may show (no secret).
  [[nodiscard]] std::string Describe() const;
  // Empty, or why this setting will not work with the librdkafka this process runs: librdkafka
  // before 2.6.1 computes SCRAM proofs with a nonce that Kafka brokers from 4.0 on refuse
  // (CVE-2024-56128 made the check strict; Debian 12 ships librdkafka 2.0.2). Logged at start so
  // that "invalid credentials" from such a broker has an explanation next to it.
  [[nodiscard]] std::string CompatibilityWarning() const;
};

// True for librdkafka properties whose value is a secret (passwords, inline keys); their values
// are replaced by "<redacted>" wherever a property is echoed.
bool IsSecretProperty(std::string_view name);

}  // namespace advocacy::kafka
