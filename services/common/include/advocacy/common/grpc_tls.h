#pragma once

// TLS for every gRPC connection of the system, built in one place: the servers' credentials
// (ServerRunner) and the channels' credentials (notifications -> consent, advocacyctl, the
// integration tests, the load generators).
//
//  * Certificates and keys come from PEM files and are watched: gRPC's
//    FileWatcherCertificateProvider reads them again every `reload` interval, so a certificate
//    renewed on disk (cert-manager writing a Secret, the local stack issuing a new one) is used
//    by new connections without a restart. Replace the files atomically (a Kubernetes Secret
//    volume swaps a symlink; elsewhere write a new file and rename it), or the provider may pair
//    a new certificate with an old key; it then keeps the last good pair.
//  * Mutual TLS: a server with a client CA asks for a client certificate and checks it against
//    that CA (ClientAuth). The certificate says which workload connects; what a caller may do is
//    still decided by its token (docs/SECURITY.md, "gRPC TLS").
//  * A channel checks the server's certificate against `ca_file` (or the system's trust store)
//    and the host name it dialled; with a certificate and key it presents them (mutual TLS).
//  * Plaintext only when `enabled` is false: config::ReadGrpcTls (config.h) defaults to TLS and
//    logs a warning when a deployment turns it off.
//
// The files are checked when the credentials are built (CheckFiles): a missing file, a key that
// does not match its certificate or a CA file without a certificate is an error naming the file,
// not a TLS handshake that fails later on every connection.

#include <chrono>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

namespace grpc {
class ServerCredentials;
class ChannelCredentials;
}  // namespace grpc

namespace advocacy::grpc_tls {

// What a server asks of its clients' certificates.
enum class ClientAuth {
  kNone,      // no client certificate is requested
  kOptional,  // requested, and checked against client_ca_file when one is presented
  kRequire,   // a certificate signed by client_ca_file is required for every connection
};

// "none", "optional", "require".
std::string_view ClientAuthName(ClientAuth auth);

struct Settings {
  // In code the default is plaintext (unit tests); from the environment (config::ReadGrpcTls)
  // TLS is on unless ADVOCACY_GRPC_TLS=off.
  bool enabled = false;
  // The process's own certificate chain and private key (PEM): the server's certificate, and the
  // client certificate its outgoing channels present.
  std::string cert_file;
  std::string key_file;
  // Server side: the CA bundle (PEM) that signs client certificates, and what is asked of them.
  std::string client_ca_file;
  ClientAuth client_auth = ClientAuth::kNone;
  // Channel side: the CA bundle (PEM) that signs the servers' certificates; empty = the system's
  // trust store.
  std::string ca_file;
  // How often the watched files are read again.
  std::chrono::seconds reload{60};

  // "on cert=/etc/tls/tls.crt client_auth=require client_ca=/etc/tls/ca.crt reload=60s" or
  // "off (plaintext)": for the start-up log line.
  [[nodiscard]] std::string Describe() const;
};

// OK when every file the settings name can be read and holds what it should: `cert_file` at
// least one certificate, `key_file` a private key matching the first of them (unencrypted),
// `client_ca_file` and `ca_file` at least one certificate each. InvalidArgument naming the file
// and what to do otherwise. Nothing to check when TLS is off.
absl::Status CheckFiles(const Settings& settings);

// The credentials of a server: TLS with the watched certificate, client certificates as
// `client_auth` says (the client CA watched as well); insecure credentials when TLS is off.
// FailedPrecondition without a certificate or key, or with kOptional/kRequire and no client CA;
// CheckFiles' errors.
absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Settings& settings);

// The credentials of a channel: TLS that verifies the server against `ca_file` (or the system's
// trust store) and the host name of the target, presenting `cert_file`/`key_file` when both are
// set; insecure credentials when TLS is off. InvalidArgument when only one of cert and key is
// set; CheckFiles' errors.
absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const Settings& settings);

}  // namespace advocacy::grpc_tls
