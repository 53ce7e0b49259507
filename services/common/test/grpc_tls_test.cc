// gRPC TLS: the settings read from the environment (every mistake named, plaintext only when
// asked for), the files checked at start, and real handshakes through ServerRunner with
// certificates made by the openssl command for each test.

#include "advocacy/common/grpc_tls.h"

#include <gmock/gmock.h>
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <stdlib.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>
#include <string>
#include <utility>
#include <vector>

#include "advocacy/common/config.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/server.h"
#include "advocacy/common/unary_service.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "testing/pki.h"

namespace advocacy::grpc_tls {
namespace {

using ::testing::HasSubstr;
using Values = std::vector<std::pair<std::string, std::string>>;

using ::advocacy::testing::Pki;

// ---------------------------------------------------------------- settings from the env --

TEST(ReadGrpcTlsTest, OnByDefaultAndNamesWhatIsMissing) {
  config::EnvReader env(Values{});
  const Settings s = config::ReadGrpcTls(env);
  EXPECT_TRUE(s.enabled);
  const std::string msg(env.Finish().message());
  EXPECT_THAT(msg, HasSubstr("ADVOCACY_GRPC_TLS_CERT_FILE is required"));
  EXPECT_THAT(msg, HasSubstr("ADVOCACY_GRPC_TLS_KEY_FILE is required"));
  EXPECT_THAT(msg, HasSubstr("or set ADVOCACY_GRPC_TLS=off for plaintext"));
}

TEST(ReadGrpcTlsTest, PlaintextOnlyWhenSetSoAndThenNothingElseIsRead) {
  config::EnvReader env(
      Values{{"ADVOCACY_GRPC_TLS", "off"}, {"ADVOCACY_GRPC_TLS_CA_FILE", "/nonexistent/ca.pem"}});
  const Settings s = config::ReadGrpcTls(env);
  EXPECT_FALSE(s.enabled);
  EXPECT_TRUE(env.Finish().ok()) << env.Finish();
  EXPECT_EQ(s.Describe(), "off (plaintext)");

  config::EnvReader bad(Values{{"ADVOCACY_GRPC_TLS", "maybe"}});
  config::ReadGrpcTls(bad);
  EXPECT_THAT(std::string(bad.Finish().message()),
              HasSubstr("ADVOCACY_GRPC_TLS='maybe' must be on or off"));
}

TEST(ReadGrpcTlsTest, ClientAuthDefaultsFollowTheClientCaAndBadValuesAreNamed) {
  Pki pki;
  pki.MakeCa("ca");
  pki.Issue("ca", "server");
  const Values base = {{"ADVOCACY_GRPC_TLS_CERT_FILE", pki.Path("server.pem")},
                       {"ADVOCACY_GRPC_TLS_KEY_FILE", pki.Path("server.key")}};
  {
    config::EnvReader env(base);
    const Settings s = config::ReadGrpcTls(env);
    ASSERT_TRUE(env.Finish().ok()) << env.Finish();
    EXPECT_EQ(s.client_auth, ClientAuth::kNone);
    EXPECT_EQ(s.reload, std::chrono::seconds(60));
  }
  {
    Values v = base;
    v.emplace_back("ADVOCACY_GRPC_TLS_CLIENT_CA_FILE", pki.Path("ca.pem"));
    v.emplace_back("ADVOCACY_GRPC_TLS_RELOAD_SECONDS", "5");
    config::EnvReader env(v);
    const Settings s = config::ReadGrpcTls(env);
    ASSERT_TRUE(env.Finish().ok()) << env.Finish();
    EXPECT_EQ(s.client_auth, ClientAuth::kRequire);
    EXPECT_EQ(s.reload, std::chrono::seconds(5));
    EXPECT_THAT(s.Describe(), HasSubstr("client_auth=require"));
  }
  {
    Values v = base;
    v.emplace_back("ADVOCACY_GRPC_TLS_CLIENT_AUTH", "optional");
    v.emplace_back("ADVOCACY_GRPC_TLS_RELOAD_SECONDS", "0");
    config::EnvReader env(v);
    config::ReadGrpcTls(env);
    const std::string msg(env.Finish().message());
    EXPECT_THAT(msg, HasSubstr("ADVOCACY_GRPC_TLS_CLIENT_AUTH=optional needs "
                               "ADVOCACY_GRPC_TLS_CLIENT_CA_FILE"));
    EXPECT_THAT(msg, HasSubstr("ADVOCACY_GRPC_TLS_RELOAD_SECONDS=0 is out of range"));
  }
  {
    Values v = base;
    v.emplace_back("ADVOCACY_GRPC_TLS_CLIENT_AUTH", "sometimes");
    config::EnvReader env(v);
    config::ReadGrpcTls(env);
    EXPECT_THAT(std::string(env.Finish().message()),
                HasSubstr("ADVOCACY_GRPC_TLS_CLIENT_AUTH='sometimes' must be none, optional or "
                          "require"));
  }
}

TEST(ReadGrpcTlsTest, FilesAreCheckedAtStart) {
  Pki pki;
  pki.MakeCa("ca");
  pki.Issue("ca", "server");
  pki.Issue("ca", "other");
  std::ofstream(pki.Path("garbage.pem")) << "not a certificate\n";
  const auto errors = [](Values v) {
    config::EnvReader env(std::move(v));
    config::ReadGrpcTls(env);
    return std::string(env.Finish().message());
  };
  EXPECT_THAT(errors({{"ADVOCACY_GRPC_TLS_CERT_FILE", pki.Path("server.pem")},
                      {"ADVOCACY_GRPC_TLS_KEY_FILE", pki.Path("other.key")}}),
              HasSubstr("does not hold the key of the certificate"));
  EXPECT_THAT(errors({{"ADVOCACY_GRPC_TLS_CERT_FILE", pki.Path("missing.pem")},
                      {"ADVOCACY_GRPC_TLS_KEY_FILE", pki.Path("server.key")}}),
              HasSubstr("missing.pem' cannot be read"));
  EXPECT_THAT(errors({{"ADVOCACY_GRPC_TLS_CERT_FILE", pki.Path("server.pem")},
                      {"ADVOCACY_GRPC_TLS_KEY_FILE", pki.Path("server.key")},
                      {"ADVOCACY_GRPC_TLS_CLIENT_CA_FILE", pki.Path("garbage.pem")}}),
              HasSubstr("garbage.pem' holds no PEM certificate"));
  EXPECT_THAT(errors({{"ADVOCACY_GRPC_TLS_CERT_FILE", pki.Path("server.pem")},
                      {"ADVOCACY_GRPC_TLS_KEY_FILE", pki.Path("server.pem")}}),
              HasSubstr("holds no unencrypted PEM private key"));
}

TEST(CredentialsTest, RefuseIncompleteSettings) {
  Settings s{.enabled = true};
  EXPECT_EQ(ServerCredentials(s).status().code(), absl::StatusCode::kFailedPrecondition);
  s.cert_file = "/x.pem";
  EXPECT_EQ(ChannelCredentials(s).status().code(), absl::StatusCode::kInvalidArgument);
  Pki pki;
  pki.MakeCa("ca");
  pki.Issue("ca", "server");
  s.cert_file = pki.Path("server.pem");
  s.key_file = pki.Path("server.key");
  s.client_auth = ClientAuth::kRequire;
  EXPECT_EQ(ServerCredentials(s).status().code(), absl::StatusCode::kFailedPrecondition);
  s.client_ca_file = pki.Path("ca.pem");
  EXPECT_TRUE(ServerCredentials(s).ok());
}

// ---------------------------------------------------------------------- handshakes --

// A ServerRunner with one RPC, serving with `tls`.
class TlsServer {
 public:
  explicit TlsServer(const Settings& tls)
      : metrics_("grpc-tls-test"),
        service_(consent::v1::ConsentService::service_full_name(),
                 {.verifier = nullptr, .metrics = &metrics_}) {
    service_.Add<consent::v1::CheckConsentRequest, consent::v1::CheckConsentResponse>(
        "CheckConsent", [](const auth::Principal&, const consent::v1::CheckConsentRequest&) {
          return consent::v1::CheckConsentResponse();
        });
    auto credentials = ServerCredentials(tls);
    EXPECT_TRUE(credentials.ok()) << credentials.status();
    runner_ = std::make_unique<server::ServerRunner>(
        server::ServerOptions{.listen = "127.0.0.1:0",
                              .credentials = credentials.ok() ? *credentials : nullptr},
        std::vector<grpc::Service*>{&service_}, [] { return absl::OkStatus(); });
    EXPECT_TRUE(runner_->Start().ok());
  }
  ~TlsServer() { runner_->Drain(); }
  TlsServer(const TlsServer&) = delete;
  TlsServer& operator=(const TlsServer&) = delete;
  int port() const { return runner_->port(); }

 private:
  metrics::Metrics metrics_;
  rpc::UnaryService service_;
  std::unique_ptr<server::ServerRunner> runner_;
};

// grpc.health.v1.Health/Check for "liveness" through `credentials` to `target`: the status code
// of the call (OK when the TLS handshake and the call succeeded).
grpc::StatusCode Probe(const std::string& target,
                       const std::shared_ptr<grpc::ChannelCredentials>& credentials) {
  grpc::ChannelArguments args;
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  auto channel = grpc::CreateCustomChannel(target, credentials, args);
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(5));
  const std::string request = std::string("\x0a\x08", 2) + "liveness";
  const grpc::Slice slice(request);
  const grpc::ByteBuffer buffer(&slice, 1);
  grpc::ByteBuffer response;
  std::promise<grpc::Status> done;
  stub.UnaryCall(&context, "/grpc.health.v1.Health/Check", grpc::StubOptions(), &buffer, &response,
                 [&done](grpc::Status s) { done.set_value(std::move(s)); });
  return done.get_future().get().error_code();
}

std::shared_ptr<grpc::ChannelCredentials> Client(Settings s) {
  s.enabled = true;
  auto credentials = ChannelCredentials(s);
  EXPECT_TRUE(credentials.ok()) << credentials.status();
  return credentials.ok() ? *credentials : grpc::InsecureChannelCredentials();
}

class HandshakeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    pki_.MakeCa("ca");
    pki_.MakeCa("other-ca");
    pki_.Issue("ca", "server");
    pki_.Issue("ca", "client");
    pki_.Issue("other-ca", "stranger");
    pki_.Issue("ca", "elsewhere", "DNS:elsewhere.test");
  }
  Settings ServerSettings(ClientAuth auth, const std::string& cert = "server") const {
    return {.enabled = true,
            .cert_file = pki_.Path(cert + ".pem"),
            .key_file = pki_.Path(cert + ".key"),
            .client_ca_file = auth == ClientAuth::kNone ? "" : pki_.Path("ca.pem"),
            .client_auth = auth};
  }
  Pki pki_;
};

TEST_F(HandshakeTest, MutualTlsRequiredRefusesPlaintextStrangersAndAnonymousClients) {
  TlsServer server(ServerSettings(ClientAuth::kRequire));
  const std::string target = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(Probe(target, Client({.cert_file = pki_.Path("client.pem"),
                                  .key_file = pki_.Path("client.key"),
                                  .ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::OK);
  EXPECT_EQ(Probe(target, grpc::InsecureChannelCredentials()), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(target, Client({.ca_file = pki_.Path("ca.pem")})), grpc::StatusCode::UNAVAILABLE);
  EXPECT_EQ(Probe(target, Client({.cert_file = pki_.Path("stranger.pem"),
                                  .key_file = pki_.Path("stranger.key"),
                                  .ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HandshakeTest, ClientChecksTheServerCertificateAndItsName) {
  TlsServer server(ServerSettings(ClientAuth::kNone));
  const std::string port = std::to_string(server.port());
  EXPECT_EQ(Probe("127.0.0.1:" + port, Client({.ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::OK);
  EXPECT_EQ(Probe("localhost:" + port, Client({.ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::OK);
  // Signed by a CA the client does not trust.
  EXPECT_EQ(Probe("127.0.0.1:" + port, Client({.ca_file = pki_.Path("other-ca.pem")})),
            grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HandshakeTest, ClientRefusesACertificateForAnotherName) {
  TlsServer server(ServerSettings(ClientAuth::kNone, "elsewhere"));
  EXPECT_EQ(
      Probe("127.0.0.1:" + std::to_string(server.port()), Client({.ca_file = pki_.Path("ca.pem")})),
      grpc::StatusCode::UNAVAILABLE);
}

TEST_F(HandshakeTest, OptionalClientAuthAcceptsAnonymousButNotStrangers) {
  TlsServer server(ServerSettings(ClientAuth::kOptional));
  const std::string target = "127.0.0.1:" + std::to_string(server.port());
  EXPECT_EQ(Probe(target, Client({.ca_file = pki_.Path("ca.pem")})), grpc::StatusCode::OK);
  EXPECT_EQ(Probe(target, Client({.cert_file = pki_.Path("client.pem"),
                                  .key_file = pki_.Path("client.key"),
                                  .ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::OK);
  EXPECT_EQ(Probe(target, Client({.cert_file = pki_.Path("stranger.pem"),
                                  .key_file = pki_.Path("stranger.key"),
                                  .ca_file = pki_.Path("ca.pem")})),
            grpc::StatusCode::UNAVAILABLE);
}

}  // namespace
}  // namespace advocacy::grpc_tls
