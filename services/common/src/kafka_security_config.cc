// config::ReadKafkaSecurity: the Kafka client security settings from the environment.

#include <array>
#include <fstream>
#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "advocacy/common/config.h"
#include "advocacy/common/strings.h"

namespace advocacy::config {
namespace {

// A password is a line of text; anything longer than this is not one.
constexpr size_t kMaxSecretBytes = 4096;

constexpr std::string_view kProtocolVar = "ADVOCACY_KAFKA_SECURITY_PROTOCOL";
constexpr std::string_view kMechanismVar = "ADVOCACY_KAFKA_SASL_MECHANISM";
constexpr std::string_view kUsernameVar = "ADVOCACY_KAFKA_SASL_USERNAME";
constexpr std::string_view kPasswordFileVar = "ADVOCACY_KAFKA_SASL_PASSWORD_FILE";
constexpr std::string_view kCaFileVar = "ADVOCACY_KAFKA_SSL_CA_FILE";
constexpr std::string_view kCertFileVar = "ADVOCACY_KAFKA_SSL_CERT_FILE";
constexpr std::string_view kKeyFileVar = "ADVOCACY_KAFKA_SSL_KEY_FILE";
constexpr std::string_view kKeyPasswordFileVar = "ADVOCACY_KAFKA_SSL_KEY_PASSWORD_FILE";

// Records an error naming `variable` unless `path` (non-empty) can be opened for reading.
void CheckReadable(EnvReader& env, std::string_view variable, const std::string& path,
                   std::string_view what) {
  if (path.empty()) return;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    env.AddError(StrCat(variable, "='", path, "' cannot be read: mount ", what,
                        " there, readable by this process"));
  }
}

// The one line held by the file at `path` (named by `variable`), without its line ending; ""
// with an error recorded when the file cannot be read, is empty, or is not one short line.
// The content itself never appears in an error.
std::string ReadSecretFile(EnvReader& env, std::string_view variable, const std::string& path) {
  if (path.empty()) return "";
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    env.AddError(StrCat(variable, "='", path,
                        "' cannot be read: mount the secret there, readable by this process"));
    return "";
  }
  std::array<char, kMaxSecretBytes + 1> buffer{};
  in.read(buffer.data(), static_cast<std::streamsize>(buffer.size()));
  std::string secret(buffer.data(), static_cast<size_t>(in.gcount()));
  if (secret.size() > kMaxSecretBytes) {
    env.AddError(StrCat(variable, "='", path, "' is longer than ", kMaxSecretBytes,
                        " bytes: it must hold only the password"));
    return "";
  }
  while (!secret.empty() && (secret.back() == '\n' || secret.back() == '\r')) secret.pop_back();
  if (secret.empty()) {
    env.AddError(StrCat(variable, "='", path, "' is empty: write the password into it"));
    return "";
  }
  if (secret.find_first_of("\r\n") != std::string::npos) {
    env.AddError(StrCat(variable, "='", path, "' holds more than one line: it must hold only the",
                        " password"));
    return "";
  }
  return secret;
}

std::optional<kafka::SecurityProtocol> ParseProtocol(std::string_view text) {
  const std::string upper = absl::AsciiStrToUpper(std::string(text));
  if (upper == "SASL_SSL") return kafka::SecurityProtocol::kSaslSsl;
  if (upper == "SSL") return kafka::SecurityProtocol::kSsl;
  if (upper == "PLAINTEXT") return kafka::SecurityProtocol::kPlaintext;
  return std::nullopt;
}

// With PLAINTEXT every other setting must be absent: whoever set one meant to authenticate.
void RefuseSettingsWithPlaintext(EnvReader& env) {
  for (std::string_view variable : {kMechanismVar, kUsernameVar, kPasswordFileVar, kCaFileVar,
                                    kCertFileVar, kKeyFileVar, kKeyPasswordFileVar}) {
    if (!env.Optional(variable, "").empty()) {
      env.AddError(StrCat(variable, " is set but ", kProtocolVar,
                          "=PLAINTEXT neither encrypts nor authenticates: remove it, or set ",
                          kProtocolVar, " to SASL_SSL or SSL"));
    }
  }
}

void ReadSasl(EnvReader& env, kafka::ClientSecurity& s) {
  s.sasl_mechanism = absl::AsciiStrToUpper(env.Optional(kMechanismVar, "SCRAM-SHA-512"));
  if (s.sasl_mechanism != "SCRAM-SHA-512" && s.sasl_mechanism != "SCRAM-SHA-256") {
    env.AddError(
        StrCat(kMechanismVar, "='", s.sasl_mechanism, "' must be SCRAM-SHA-512 or SCRAM-SHA-256"));
  }
  s.sasl_username = env.Required(kUsernameVar);
  s.sasl_password = ReadSecretFile(env, kPasswordFileVar, env.Required(kPasswordFileVar));
}

void ReadTls(EnvReader& env, kafka::ClientSecurity& s) {
  s.ca_file = env.Optional(kCaFileVar, "");
  CheckReadable(env, kCaFileVar, s.ca_file, "the PEM bundle of the broker's CA");
  s.cert_file = env.Optional(kCertFileVar, "");
  s.key_file = env.Optional(kKeyFileVar, "");
  if (s.protocol == kafka::SecurityProtocol::kSsl && (s.cert_file.empty() || s.key_file.empty())) {
    env.AddError(StrCat(kProtocolVar, "=SSL authenticates with a client certificate: set ",
                        kCertFileVar, " and ", kKeyFileVar));
  } else if (s.cert_file.empty() != s.key_file.empty()) {
    env.AddError(StrCat(kCertFileVar, " and ", kKeyFileVar, " go together: set both or neither"));
  }
  CheckReadable(env, kCertFileVar, s.cert_file, "the client certificate (PEM)");
  CheckReadable(env, kKeyFileVar, s.key_file, "the client key (PEM)");
  s.key_password = ReadSecretFile(env, kKeyPasswordFileVar, env.Optional(kKeyPasswordFileVar, ""));
}

}  // namespace

kafka::ClientSecurity ReadKafkaSecurity(EnvReader& env) {
  kafka::ClientSecurity s;
  const std::string protocol = env.Optional(kProtocolVar, "SASL_SSL");
  const std::optional<kafka::SecurityProtocol> parsed = ParseProtocol(protocol);
  if (!parsed.has_value()) {
    env.AddError(StrCat(kProtocolVar, "='", protocol, "' must be SASL_SSL, SSL or PLAINTEXT"));
    return s;
  }
  s.protocol = *parsed;
  if (s.protocol == kafka::SecurityProtocol::kPlaintext) {
    RefuseSettingsWithPlaintext(env);
    return s;
  }
  if (s.protocol == kafka::SecurityProtocol::kSaslSsl) ReadSasl(env, s);
  ReadTls(env, s);
  return s;
}

}  // namespace advocacy::config
