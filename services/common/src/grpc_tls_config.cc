// config::ReadGrpcTls: the gRPC TLS settings from the environment.

#include <optional>
#include <string>
#include <string_view>

#include "absl/strings/ascii.h"
#include "advocacy/common/config.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/strings.h"

namespace advocacy::config {
namespace {

constexpr std::string_view kTlsVar = "ADVOCACY_GRPC_TLS";
constexpr std::string_view kCertFileVar = "ADVOCACY_GRPC_TLS_CERT_FILE";
constexpr std::string_view kKeyFileVar = "ADVOCACY_GRPC_TLS_KEY_FILE";
constexpr std::string_view kClientCaFileVar = "ADVOCACY_GRPC_TLS_CLIENT_CA_FILE";
constexpr std::string_view kClientAuthVar = "ADVOCACY_GRPC_TLS_CLIENT_AUTH";
constexpr std::string_view kCaFileVar = "ADVOCACY_GRPC_TLS_CA_FILE";
constexpr std::string_view kReloadVar = "ADVOCACY_GRPC_TLS_RELOAD_SECONDS";

constexpr std::string_view kPlaintextHint = "or set ADVOCACY_GRPC_TLS=off for plaintext";

std::optional<grpc_tls::ClientAuth> ParseClientAuth(std::string_view text) {
  const std::string lower = absl::AsciiStrToLower(std::string(text));
  if (lower == "none") return grpc_tls::ClientAuth::kNone;
  if (lower == "optional") return grpc_tls::ClientAuth::kOptional;
  if (lower == "require") return grpc_tls::ClientAuth::kRequire;
  return std::nullopt;
}

}  // namespace

grpc_tls::Settings ReadGrpcTls(EnvReader& env) {
  grpc_tls::Settings s;
  const std::string mode = absl::AsciiStrToLower(env.Optional(kTlsVar, "on"));
  if (mode != "on" && mode != "off") {
    env.AddError(StrCat(kTlsVar, "='", mode, "' must be on or off"));
    return s;
  }
  // Off ignores the other variables (the service logs a warning saying so): the local stack's
  // environment names its CA for every process, benchmarks included, that turn TLS off.
  if (mode == "off") return s;
  s.enabled = true;
  s.cert_file = env.Optional(kCertFileVar, "");
  s.key_file = env.Optional(kKeyFileVar, "");
  s.client_ca_file = env.Optional(kClientCaFileVar, "");
  s.ca_file = env.Optional(kCaFileVar, "");
  s.reload = std::chrono::seconds(env.Int(kReloadVar, 60, 1, 3600));
  const std::string auth =
      env.Optional(kClientAuthVar, s.client_ca_file.empty() ? "none" : "require");
  if (const auto parsed = ParseClientAuth(auth); parsed.has_value()) {
    s.client_auth = *parsed;
  } else {
    env.AddError(StrCat(kClientAuthVar, "='", auth, "' must be none, optional or require"));
  }
  bool files_named = true;
  if (s.cert_file.empty()) {
    env.AddError(StrCat(kCertFileVar,
                        " is required with gRPC TLS on: the service's certificate chain (PEM), ",
                        kPlaintextHint));
    files_named = false;
  }
  if (s.key_file.empty()) {
    env.AddError(StrCat(kKeyFileVar,
                        " is required with gRPC TLS on: the service's private key (PEM), ",
                        kPlaintextHint));
    files_named = false;
  }
  if (s.client_auth != grpc_tls::ClientAuth::kNone && s.client_ca_file.empty()) {
    env.AddError(StrCat(kClientAuthVar, "=", grpc_tls::ClientAuthName(s.client_auth), " needs ",
                        kClientCaFileVar,
                        ": the CA bundle (PEM) that signs the clients' certificates"));
    files_named = false;
  }
  if (files_named) {
    if (absl::Status st = grpc_tls::CheckFiles(s); !st.ok()) {
      env.AddError(StrCat("gRPC TLS (", kCertFileVar, ", ", kKeyFileVar, ", ", kClientCaFileVar,
                          ", ", kCaFileVar, "): ", st.message()));
    }
  }
  return s;
}

}  // namespace advocacy::config
