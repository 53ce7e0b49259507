#include "advocacy/common/grpc_tls.h"

#include <grpcpp/security/credentials.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/security/tls_certificate_provider.h>
#include <grpcpp/security/tls_certificate_verifier.h>
#include <grpcpp/security/tls_credentials_options.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <memory>
#include <string>
#include <string_view>

#include "advocacy/common/strings.h"

namespace advocacy::grpc_tls {
namespace {

namespace gx = grpc::experimental;

struct BioDeleter {
  void operator()(BIO* bio) const { BIO_free(bio); }
};
struct X509Deleter {
  void operator()(X509* cert) const { X509_free(cert); }
};
struct PkeyDeleter {
  void operator()(EVP_PKEY* key) const { EVP_PKEY_free(key); }
};
using BioPtr = std::unique_ptr<BIO, BioDeleter>;
using X509Ptr = std::unique_ptr<X509, X509Deleter>;
using PkeyPtr = std::unique_ptr<EVP_PKEY, PkeyDeleter>;

// Encrypted keys are not supported: never prompt on a terminal for a passphrase.
int NoPassphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) { return -1; }

absl::Status FileError(std::string_view what, const std::string& path, std::string_view problem) {
  ERR_clear_error();
  return absl::InvalidArgumentError(StrCat(what, " '", path, "' ", problem));
}

// The first certificate of the PEM file at `path` (`what` names the setting in errors).
absl::StatusOr<X509Ptr> FirstCertificate(std::string_view what, const std::string& path) {
  BioPtr bio(BIO_new_file(path.c_str(), "r"));
  if (!bio)
    return FileError(what, path, "cannot be read: mount it there, readable by this process");
  X509Ptr cert(PEM_read_bio_X509(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!cert) return FileError(what, path, "holds no PEM certificate");
  ERR_clear_error();
  return cert;
}

absl::Status CheckKeyMatches(const std::string& key_file, const std::string& cert_file,
                             X509* cert) {
  BioPtr bio(BIO_new_file(key_file.c_str(), "r"));
  if (!bio) {
    return FileError("the key file", key_file,
                     "cannot be read: mount it there, readable by this process");
  }
  PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, NoPassphrase, nullptr));
  if (!key) {
    return FileError("the key file", key_file,
                     "holds no unencrypted PEM private key (PKCS#8 or traditional)");
  }
  if (X509_check_private_key(cert, key.get()) != 1) {
    return FileError("the key file", key_file,
                     StrCat("does not hold the key of the certificate in '", cert_file,
                            "': mount the key and certificate issued together"));
  }
  ERR_clear_error();
  return absl::OkStatus();
}

}  // namespace

std::string_view ClientAuthName(ClientAuth auth) {
  switch (auth) {
    case ClientAuth::kNone:
      return "none";
    case ClientAuth::kOptional:
      return "optional";
    case ClientAuth::kRequire:
      return "require";
  }
  return "none";
}

std::string Settings::Describe() const {
  if (!enabled) return "off (plaintext)";
  std::string out = StrCat("on cert=", cert_file, " key=", key_file,
                           " client_auth=", ClientAuthName(client_auth));
  if (!client_ca_file.empty()) out += StrCat(" client_ca=", client_ca_file);
  out += StrCat(" ca=", ca_file.empty() ? "<system trust store>" : ca_file);
  out += StrCat(" reload=", reload.count(), "s");
  return out;
}

absl::Status CheckFiles(const Settings& settings) {
  if (!settings.enabled) return absl::OkStatus();
  if (!settings.cert_file.empty()) {
    auto cert = FirstCertificate("the certificate file", settings.cert_file);
    if (!cert.ok()) return cert.status();
    if (!settings.key_file.empty()) {
      if (auto st = CheckKeyMatches(settings.key_file, settings.cert_file, cert->get()); !st.ok()) {
        return st;
      }
    }
  }
  if (!settings.client_ca_file.empty()) {
    auto ca = FirstCertificate("the client CA file", settings.client_ca_file);
    if (!ca.ok()) return ca.status();
  }
  if (!settings.ca_file.empty()) {
    auto ca = FirstCertificate("the CA file", settings.ca_file);
    if (!ca.ok()) return ca.status();
  }
  return absl::OkStatus();
}

absl::StatusOr<std::shared_ptr<grpc::ServerCredentials>> ServerCredentials(
    const Settings& settings) {
  if (!settings.enabled) return grpc::InsecureServerCredentials();
  if (settings.cert_file.empty() || settings.key_file.empty()) {
    return absl::FailedPreconditionError(
        "a TLS server needs its certificate and key files (ADVOCACY_GRPC_TLS_CERT_FILE, "
        "ADVOCACY_GRPC_TLS_KEY_FILE)");
  }
  const bool verify_clients = settings.client_auth != ClientAuth::kNone;
  if (verify_clients && settings.client_ca_file.empty()) {
    return absl::FailedPreconditionError(
        StrCat("client_auth=", ClientAuthName(settings.client_auth),
               " needs a CA for the client certificates (ADVOCACY_GRPC_TLS_CLIENT_CA_FILE)"));
  }
  if (auto st = CheckFiles(settings); !st.ok()) return st;
  const auto interval = static_cast<unsigned int>(settings.reload.count());
  auto provider = std::make_shared<gx::FileWatcherCertificateProvider>(
      settings.key_file, settings.cert_file, verify_clients ? settings.client_ca_file : "",
      interval);
  gx::TlsServerCredentialsOptions options(provider);
  options.watch_identity_key_cert_pairs();
  if (verify_clients) options.watch_root_certs();
  switch (settings.client_auth) {
    case ClientAuth::kNone:
      options.set_cert_request_type(GRPC_SSL_DONT_REQUEST_CLIENT_CERTIFICATE);
      break;
    case ClientAuth::kOptional:
      options.set_cert_request_type(GRPC_SSL_REQUEST_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
    case ClientAuth::kRequire:
      options.set_cert_request_type(GRPC_SSL_REQUEST_AND_REQUIRE_CLIENT_CERTIFICATE_AND_VERIFY);
      break;
  }
  std::shared_ptr<grpc::ServerCredentials> credentials =
      grpc::experimental::TlsServerCredentials(options);
  if (!credentials) {
    return absl::InternalError("gRPC could not build the TLS server credentials");
  }
  return credentials;
}

absl::StatusOr<std::shared_ptr<grpc::ChannelCredentials>> ChannelCredentials(
    const Settings& settings) {
  if (!settings.enabled) return grpc::InsecureChannelCredentials();
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    return absl::InvalidArgumentError(
        "a client certificate needs both its certificate and its key file");
  }
  if (auto st = CheckFiles(settings); !st.ok()) return st;
  gx::TlsChannelCredentialsOptions options;
  const bool identity = !settings.cert_file.empty();
  if (identity || !settings.ca_file.empty()) {
    const auto interval = static_cast<unsigned int>(settings.reload.count());
    options.set_certificate_provider(std::make_shared<gx::FileWatcherCertificateProvider>(
        settings.key_file, settings.cert_file, settings.ca_file, interval));
    // Without a CA file of ours, gRPC uses the system's trust store for the server.
    if (!settings.ca_file.empty()) options.watch_root_certs();
    if (identity) options.watch_identity_key_cert_pairs();
  }
  options.set_verify_server_certs(true);
  // The certificate must name the host the channel dialled (a DNS name or an IP address SAN).
  options.set_certificate_verifier(std::make_shared<gx::HostNameCertificateVerifier>());
  std::shared_ptr<grpc::ChannelCredentials> credentials = gx::TlsCredentials(options);
  if (!credentials) {
    return absl::InternalError("gRPC could not build the TLS channel credentials");
  }
  return credentials;
}

}  // namespace advocacy::grpc_tls
