// gRPC TLS on the real consent binary with the local stack's certificates (deploy/local/stack.sh
// issues them from the stack CA): mutual TLS is required, so a plaintext client, a TLS client
// without a certificate and one with a certificate of another CA are refused, and a client with
// a certificate of the stack CA gets its call through. A server certificate replaced on disk
// (the way Kubernetes updates a mounted Secret: a symlink swapped to a new directory) is served
// to new connections without a restart. The TLS-free probe port answers /readyz and /healthz
// and nothing else. (Notifications' one-click unsubscribe reaching consent over mutual TLS is
// notifications_integration_test, which runs both services with TLS on.)

#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>

#include "advocacy/common/grpc_tls.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "harness.h"

namespace advocacy::it {
namespace {

namespace v1 = advocacy::consent::v1;
namespace fs = std::filesystem;
using auth::Role;
using std::chrono::milliseconds;
using std::chrono::seconds;

// A scratch directory with certificates made by the openssl command line, as an operator would.
class Scratch {
 public:
  Scratch() {
    std::string tmpl = (fs::temp_directory_path() / "grpc-tls-it-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
  }
  ~Scratch() { fs::remove_all(dir_); }
  Scratch(const Scratch&) = delete;
  Scratch& operator=(const Scratch&) = delete;

  std::string Path(const std::string& name) const { return dir_ + "/" + name; }

  // <name>.pem / <name>.key: a self-signed CA.
  bool MakeCa(const std::string& name) const {
    return Run(
        "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 "
        "-subj /CN=" +
        name +
        " -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign "
        "-keyout " +
        Path(name + ".key") + " -out " + Path(name + ".pem"));
  }
  // <dir>/<name>.pem and .key signed by the CA `ca_pem`/`ca_key`, for localhost and 127.0.0.1,
  // serverAuth and clientAuth.
  bool Issue(const std::string& ca_pem, const std::string& ca_key, const std::string& dir,
             const std::string& name) const {
    const std::string ext = Path(name + ".ext");
    std::ofstream(ext) << "basicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n"
                          "subjectAltName=DNS:localhost,IP:127.0.0.1\n";
    return Run("openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=" +
               name + " -keyout " + dir + "/" + name + ".key -out " + Path(name + ".csr")) &&
           Run("openssl x509 -req -days 2 -in " + Path(name + ".csr") + " -CA " + ca_pem +
               " -CAkey " + ca_key + " -set_serial 0x" + std::to_string(++serial_) + " -extfile " +
               ext + " -out " + dir + "/" + name + ".pem");
  }

 private:
  static bool Run(const std::string& command) {
    return std::system((command + " >/dev/null 2>&1").c_str()) == 0;
  }
  std::string dir_;
  mutable int serial_ = 1000;
};

std::map<std::string, std::string> ConsentEnv(const Keys& keys) {
  return {{"ADVOCACY_REDIS_URL", Env("ADVOCACY_REDIS_URL")},
          {"ADVOCACY_KAFKA_BROKERS", Env("ADVOCACY_KAFKA_BROKERS")},
          {"ADVOCACY_AUTH_ISSUERS_FILE", keys.issuers_file()},
          {"ADVOCACY_DRAIN_TIMEOUT_MS", "2000"},
          {"CONSENT_PROPAGATION_SERVICES", "none"},
          {"CONSENT_RECEIPTS_GROUP", UniqueId("consent-receipts-it")}};
}

std::shared_ptr<grpc::Channel> Channel(const std::string& address,
                                       const std::shared_ptr<grpc::ChannelCredentials>& creds) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);  // a new connection, a new handshake
  return grpc::CreateCustomChannel(address, creds, args);
}

std::shared_ptr<grpc::ChannelCredentials> Credentials(const grpc_tls::Settings& settings) {
  auto creds = grpc_tls::ChannelCredentials(settings);
  EXPECT_TRUE(creds.ok()) << creds.status();
  return creds.ok() ? *creds : grpc::InsecureChannelCredentials();
}

// A real RPC with a valid admin token: PublishNotice for a fresh tenant.
grpc::Status PublishNotice(const std::shared_ptr<grpc::Channel>& channel, const Keys& keys) {
  const std::string tenant = UniqueId("tls");
  auto stub = v1::ConsentService::NewStub(channel);
  grpc::ClientContext ctx;
  ctx.AddMetadata("authorization", "Bearer " + keys.Token(Role::kAdmin, tenant, "admin-1"));
  ctx.set_deadline(std::chrono::system_clock::now() + seconds(10));
  v1::PublishNoticeRequest req;
  req.set_tenant_id(tenant);
  req.set_version("2026-12");
  req.set_url("https://example.org/consent/2026-12");
  v1::PublishNoticeResponse resp;
  return stub->PublishNotice(&ctx, req, &resp);
}

class SecurityGrpcTlsIntegrationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (std::getenv("ADVOCACY_GRPC_TLS_DIR") == nullptr) {
      GTEST_SKIP() << "the stack has no gRPC certificates (ADVOCACY_GRPC_TLS_DIR); run through "
                      "deploy/local/test.sh";
    }
  }
  Keys keys_;
};

TEST_F(SecurityGrpcTlsIntegrationTest, OnlyClientsWithACertificateOfTheStackCaGetThrough) {
  ServiceProcess consent(CONSENT_BINARY, ConsentEnv(keys_));
  ASSERT_TRUE(consent.tls());
  ASSERT_TRUE(consent.Start().ok()) << consent.log_path();
  const std::string ca = Env("ADVOCACY_GRPC_TLS_CA_FILE");

  // Mutual TLS with the tests' certificate of the stack CA: the call goes through.
  const grpc::Status ok = PublishNotice(consent.channel(), keys_);
  EXPECT_TRUE(ok.ok()) << ok.error_message() << " (log " << consent.log_path() << ")";

  // Plaintext, with a valid token: no TLS handshake, no RPC.
  const grpc::Status plain =
      PublishNotice(Channel(consent.address(), grpc::InsecureChannelCredentials()), keys_);
  EXPECT_EQ(plain.error_code(), grpc::StatusCode::UNAVAILABLE) << plain.error_message();

  // TLS that trusts the server, but without a client certificate.
  const grpc::Status anonymous = PublishNotice(
      Channel(consent.address(), Credentials({.enabled = true, .ca_file = ca})), keys_);
  EXPECT_EQ(anonymous.error_code(), grpc::StatusCode::UNAVAILABLE) << anonymous.error_message();

  // A client certificate of another CA, made here.
  Scratch scratch;
  ASSERT_TRUE(scratch.MakeCa("intruder-ca"));
  ASSERT_TRUE(scratch.Issue(scratch.Path("intruder-ca.pem"), scratch.Path("intruder-ca.key"),
                            scratch.Path(""), "intruder"));
  const grpc::Status stranger = PublishNotice(
      Channel(consent.address(), Credentials({.enabled = true,
                                              .cert_file = scratch.Path("intruder.pem"),
                                              .key_file = scratch.Path("intruder.key"),
                                              .ca_file = ca})),
      keys_);
  EXPECT_EQ(stranger.error_code(), grpc::StatusCode::UNAVAILABLE) << stranger.error_message();

  // A client that does not trust the server's CA refuses it, token or not.
  const grpc::Status untrusted = PublishNotice(
      Channel(consent.address(),
              Credentials({.enabled = true,
                           .cert_file = Env("ADVOCACY_GRPC_TLS_DIR") + "/advocacy-it.pem",
                           .key_file = Env("ADVOCACY_GRPC_TLS_DIR") + "/advocacy-it.key",
                           .ca_file = scratch.Path("intruder-ca.pem")})),
      keys_);
  EXPECT_EQ(untrusted.error_code(), grpc::StatusCode::UNAVAILABLE) << untrusted.error_message();

  // And after all that, the legitimate client still gets through (nothing was worn down).
  EXPECT_TRUE(PublishNotice(consent.channel(), keys_).ok());
}

TEST_F(SecurityGrpcTlsIntegrationTest, ARenewedServerCertificateIsServedWithoutARestart) {
  const std::string grpc_tls_dir = Env("ADVOCACY_GRPC_TLS_DIR");
  Scratch scratch;
  // The mounted-Secret layout: <dir>/current -> v1/, the process reads current/tls.{crt,key}.
  fs::create_directory(scratch.Path("v1"));
  fs::copy_file(grpc_tls_dir + "/consent.pem", scratch.Path("v1/tls.crt"));
  fs::copy_file(grpc_tls_dir + "/consent.key", scratch.Path("v1/tls.key"));
  fs::create_directory_symlink("v1", scratch.Path("current"));

  auto env = ConsentEnv(keys_);
  env.merge(GrpcTlsEnv("consent"));
  env["ADVOCACY_GRPC_TLS_CERT_FILE"] = scratch.Path("current/tls.crt");
  env["ADVOCACY_GRPC_TLS_KEY_FILE"] = scratch.Path("current/tls.key");
  env["ADVOCACY_GRPC_TLS_RELOAD_SECONDS"] = "1";
  ServiceProcess consent(CONSENT_BINARY, env);
  ASSERT_TRUE(consent.Start().ok()) << consent.log_path();

  // The new certificate comes from a CA the clients below trust alone, so which certificate a
  // new connection is served is visible from the client side.
  ASSERT_TRUE(scratch.MakeCa("renewal-ca"));
  fs::create_directory(scratch.Path("v2"));
  ASSERT_TRUE(scratch.Issue(scratch.Path("renewal-ca.pem"), scratch.Path("renewal-ca.key"),
                            scratch.Path("v2"), "consent"));
  fs::rename(scratch.Path("v2/consent.pem"), scratch.Path("v2/tls.crt"));
  fs::rename(scratch.Path("v2/consent.key"), scratch.Path("v2/tls.key"));

  grpc_tls::Settings old_ca = ClientTls();
  grpc_tls::Settings new_ca = ClientTls();
  new_ca.ca_file = scratch.Path("renewal-ca.pem");
  EXPECT_TRUE(PublishNotice(Channel(consent.address(), Credentials(old_ca)), keys_).ok());
  EXPECT_EQ(PublishNotice(Channel(consent.address(), Credentials(new_ca)), keys_).error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "the renewed certificate is served before it was installed?";

  // Swap the symlink atomically, as the kubelet does.
  fs::create_directory_symlink("v2", scratch.Path("next"));
  fs::rename(scratch.Path("next"), scratch.Path("current"));

  const bool renewed = WaitFor(
      [&] { return PublishNotice(Channel(consent.address(), Credentials(new_ca)), keys_).ok(); },
      seconds(20));
  EXPECT_TRUE(renewed) << "new connections still get the old certificate; log "
                       << consent.log_path();
  EXPECT_EQ(PublishNotice(Channel(consent.address(), Credentials(old_ca)), keys_).error_code(),
            grpc::StatusCode::UNAVAILABLE)
      << "a new connection was served the old certificate after the renewal";
  EXPECT_TRUE(consent.running()) << "the process was restarted";
}

TEST_F(SecurityGrpcTlsIntegrationTest, ProbePortServesOnlyReadinessAndLiveness) {
  const int port = FreePort();
  auto env = ConsentEnv(keys_);
  env["ADVOCACY_HEALTH_LISTEN"] = "127.0.0.1:" + std::to_string(port);
  ServiceProcess consent(CONSENT_BINARY, env);
  ASSERT_TRUE(consent.Start().ok()) << consent.log_path();
  EXPECT_TRUE(WaitFor([&] { return HttpGet(port, "/readyz") == "ready\n"; }, seconds(10)));
  EXPECT_EQ(HttpGet(port, "/healthz"), "ok\n");
  EXPECT_EQ(HttpGet(port, "/metrics"), "only /healthz and /readyz are served here\n");
  // The probe port speaks HTTP/1.1 only: no gRPC, with or without TLS.
  const grpc::Status st =
      PublishNotice(Channel("127.0.0.1:" + std::to_string(port), ClientCredentials()), keys_);
  EXPECT_EQ(st.error_code(), grpc::StatusCode::UNAVAILABLE) << st.error_message();
  const grpc::Status plain = PublishNotice(
      Channel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()), keys_);
  EXPECT_NE(plain.error_code(), grpc::StatusCode::OK) << plain.error_message();
  // Stopping: not ready any more while it drains, then gone.
  EXPECT_EQ(consent.Stop(), 0);
  EXPECT_EQ(HttpGet(port, "/readyz"), "");
}

}  // namespace
}  // namespace advocacy::it
