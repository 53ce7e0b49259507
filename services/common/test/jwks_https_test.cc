// TokenVerifier against a real JWKS endpoint: test/jwks_https_server.py (Python's http.server in
// TLS) on a free loopback port, with a certificate from a CA this test makes with the openssl
// CLI. Covers the fetch and TLS verification, the cache lifetime (Cache-Control within bounds),
// the unknown-kid refresh and its rate limit as seen by the server, and an endpoint that fails
// or goes away.

#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "advocacy/common/auth.h"
#include "jose_testing.h"

namespace advocacy::auth {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using std::chrono::steady_clock;
using testing::Json;
using testing::Jwks;
using testing::MakeEcKey;
using testing::Sign;
using testing::SignWith;
using testing::TestKey;

const std::string kIssuer = "https://idp.example.com";  // NOLINT(cert-err58-cpp)

int64_t Now() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// Starts argv[0] (from PATH) with stdout and stderr appended to `log`; the child dies with the
// test process (PR_SET_PDEATHSIG).
pid_t Spawn(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = fork();
  if (pid != 0) return pid;
  prctl(PR_SET_PDEATHSIG, SIGTERM);
  const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0600);
  dup2(fd, 1);
  dup2(fd, 2);
  std::vector<char*> args;
  args.reserve(argv.size() + 1);
  for (const std::string& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
  args.push_back(nullptr);
  execvp(args[0], args.data());
  _exit(127);
}

// Runs a command to completion; true if it exited 0.
bool RunCommand(const std::vector<std::string>& argv, const std::string& log) {
  const pid_t pid = Spawn(argv, log);
  int status = 0;
  return pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
         WEXITSTATUS(status) == 0;
}

// Polls `done` every 20 ms until it holds or `timeout` passed; the last result.
bool WaitFor(const std::function<bool()>& done, std::chrono::milliseconds timeout) {
  const auto deadline = steady_clock::now() + timeout;
  while (!done()) {
    if (steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// One JWKS server process with its own directory (keys, control file, request log).
class JwksServer final {
 public:
  JwksServer(const std::string& tls_dir, bool plain) {
    char dir_template[] = "/tmp/advocacy-jwks-srv-XXXXXX";
    EXPECT_NE(mkdtemp(dir_template), nullptr);
    dir_ = dir_template;
    std::filesystem::copy_file(tls_dir + "/server.pem", dir_ + "/server.pem");
    std::filesystem::copy_file(tls_dir + "/server.key", dir_ + "/server.key");
    std::vector<std::string> argv = {"python3", ADVOCACY_JWKS_TEST_SERVER, "--dir", dir_};
    if (plain) argv.emplace_back("--plain");
    pid_ = Spawn(argv, dir_ + "/server.log");
    EXPECT_TRUE(WaitFor([&] { return std::filesystem::exists(dir_ + "/port"); }, seconds(15)))
        << "the JWKS test server did not start: " << ReadFile(dir_ + "/server.log");
    EXPECT_TRUE(absl::SimpleAtoi(ReadFile(dir_ + "/port"), &port_));
  }
  ~JwksServer() {
    Stop();
    std::filesystem::remove_all(dir_);
  }
  JwksServer(const JwksServer&) = delete;
  JwksServer& operator=(const JwksServer&) = delete;

  void Stop() {
    if (pid_ <= 0) return;
    kill(pid_, SIGTERM);
    waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

  void Serve(const Json& jwks, const Json& control) const {
    Write("jwks.json", jwks.dump());
    Write("control.json", control.dump());
  }

  // Request times (Unix seconds), in order.
  [[nodiscard]] std::vector<double> Requests() const {
    std::vector<double> times;
    for (absl::string_view line :
         absl::StrSplit(ReadFile(dir_ + "/requests.log"), '\n', absl::SkipEmpty())) {
      double time = 0;
      if (absl::SimpleAtod(line.substr(0, line.find(' ')), &time)) times.push_back(time);
    }
    return times;
  }

  [[nodiscard]] std::string Url(bool plain = false) const {
    return absl::StrCat(plain ? "http" : "https", "://127.0.0.1:", port_, "/realms/acme/keys");
  }

 private:
  void Write(const std::string& name, const std::string& text) const {
    std::ofstream(dir_ + "/" + name + ".tmp") << text;
    std::filesystem::rename(dir_ + "/" + name + ".tmp", dir_ + "/" + name);
  }

  std::string dir_;
  pid_t pid_ = -1;
  int port_ = 0;
};

class JwksHttpsTest : public ::testing::Test {
 protected:
  // A CA, and a server certificate for 127.0.0.1 and localhost signed by it: the openssl CLI,
  // as an operator would make them.
  static void SetUpTestSuite() {
    char dir_template[] = "/tmp/advocacy-jwks-tls-XXXXXX";
    ASSERT_NE(mkdtemp(dir_template), nullptr);
    tls_dir_ = new std::string(dir_template);
    const std::string& d = *tls_dir_;
    const std::string log = d + "/openssl.log";
    std::ofstream(d + "/ext.cnf") << "subjectAltName=IP:127.0.0.1,DNS:localhost\n"
                                     "basicConstraints=critical,CA:FALSE\n"
                                     "extendedKeyUsage=serverAuth\n";
    ASSERT_TRUE(RunCommand({"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                            "ec_paramgen_curve:P-256", "-nodes", "-keyout", d + "/ca.key", "-out",
                            d + "/ca.pem", "-days", "2", "-subj", "/CN=advocacy jwks test CA"},
                           log))
        << ReadFile(log);
    ASSERT_TRUE(RunCommand(
        {"openssl", "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
         "-keyout", d + "/server.key", "-out", d + "/server.csr", "-subj", "/CN=127.0.0.1"},
        log))
        << ReadFile(log);
    ASSERT_TRUE(RunCommand({"openssl", "x509", "-req", "-in", d + "/server.csr", "-CA",
                            d + "/ca.pem", "-CAkey", d + "/ca.key", "-CAcreateserial", "-out",
                            d + "/server.pem", "-days", "2", "-extfile", d + "/ext.cnf"},
                           log))
        << ReadFile(log);
    ec_ = new TestKey(MakeEcKey("ec-1"));
    ec2_ = new TestKey(MakeEcKey("ec-2"));
  }
  static void TearDownTestSuite() {
    std::filesystem::remove_all(*tls_dir_);
    delete tls_dir_;
    delete ec_;
    delete ec2_;
  }

  [[nodiscard]] static VerifierOptions Options(const JwksServer& server) {
    VerifierOptions options;
    options.issuers = {
        IssuerOptions{.issuer = kIssuer,
                      .audiences = {"advocacy"},
                      .keys = {.jwks_uri = server.Url(), .ca_file = *tls_dir_ + "/ca.pem"}}};
    options.jwks.unknown_kid_wait = milliseconds(5000);  // ends with the refresh it waits for
    return options;
  }

  static std::unique_ptr<TokenVerifier> Make(VerifierOptions options) {
    auto verifier = TokenVerifier::Create(std::move(options));
    EXPECT_TRUE(verifier.ok()) << verifier.status();
    return verifier.ok() ? std::move(*verifier) : nullptr;
  }

  // A fresh token each call (a new jti), so the verification cache never answers for it.
  static std::string Token(const TestKey& key) {
    static std::atomic<int> counter{0};
    return Sign(key, Json{{"iss", kIssuer},
                          {"aud", "advocacy"},
                          {"sub", "emp-1"},
                          {"tenant", "acme"},
                          {"role", "employee"},
                          {"iat", Now()},
                          {"exp", Now() + 300},
                          {"jti", absl::StrCat("t", counter++)}});
  }

  static bool Ready(const TokenVerifier& verifier) { return verifier.Readiness().ok(); }

  static inline std::string* tls_dir_ = nullptr;
  static inline TestKey* ec_ = nullptr;
  static inline TestKey* ec2_ = nullptr;
};

TEST_F(JwksHttpsTest, FetchesKeysOverVerifiedTls) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"cache_control", "public, max-age=600"}});
  auto verifier = Make(Options(server));
  ASSERT_NE(verifier, nullptr);
  // Straight after Create: Verify waits (bounded) for the first fetch, already under way.
  absl::StatusOr<Principal> principal = verifier->Verify(Token(*ec_));
  ASSERT_TRUE(principal.ok()) << principal.status();
  EXPECT_EQ(principal->subject, "emp-1");
  EXPECT_TRUE(verifier->Readiness().ok()) << verifier->Readiness();
  const IssuerKeyStatus status = verifier->KeyStatus()[0];
  EXPECT_EQ(status.source, server.Url());
  EXPECT_EQ(status.key_ids, std::vector<std::string>{"ec-1"});
  EXPECT_EQ(status.loads, 1u);
  EXPECT_GT(status.last_success_unix, 0);
  EXPECT_EQ(server.Requests().size(), 1u);
}

TEST_F(JwksHttpsTest, RefusesAServerItsCaStoreDoesNotTrust) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), Json::object());
  VerifierOptions options = Options(server);
  options.issuers[0].keys.ca_file.clear();  // the system's CA store, which lacks the test CA
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return verifier->KeyStatus()[0].failures > 0; }, seconds(15)));
  const IssuerKeyStatus status = verifier->KeyStatus()[0];
  EXPECT_TRUE(status.key_ids.empty());
  EXPECT_TRUE(absl::StrContains(status.last_error, "certificate") ||
              absl::StrContains(status.last_error, "SSL"))
      << status.last_error;
  const absl::Status ready = verifier->Readiness();
  EXPECT_EQ(ready.code(), absl::StatusCode::kUnavailable);
  EXPECT_TRUE(absl::StrContains(ready.message(), kIssuer)) << ready;
  EXPECT_TRUE(absl::StrContains(ready.message(), server.Url())) << ready;
  absl::StatusOr<Principal> refused = verifier->Verify(Token(*ec_));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(RejectReasonOf(refused.status()), RejectReason::kKeysUnavailable);
  // The caller learns that keys are missing, not where they come from or why.
  EXPECT_FALSE(absl::StrContains(refused.status().message(), "127.0.0.1")) << refused.status();
  EXPECT_FALSE(absl::StrContains(refused.status().message(), "certificate")) << refused.status();
}

TEST_F(JwksHttpsTest, CacheLifetimeIsMaxAgeBoundedByTheMaximum) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"cache_control", "max-age=86400"}});
  VerifierOptions options = Options(server);
  options.jwks.min_lifetime = seconds(1);
  options.jwks.default_lifetime = seconds(2);
  options.jwks.max_lifetime = seconds(2);
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Ready(*verifier); }, seconds(15))) << verifier->Readiness();
  // The provider rotates; without any unknown kid the next scheduled refresh (2 s, not a day)
  // brings the new key and drops the old one.
  server.Serve(Jwks({ec2_}), {{"cache_control", "max-age=86400"}});
  ASSERT_TRUE(
      WaitFor([&] { return verifier->KeyStatus()[0].key_ids == std::vector<std::string>{"ec-2"}; },
              seconds(20)));
  EXPECT_EQ(verifier->KeyStatus()[0].unknown_kid_refreshes, 0u);
  EXPECT_TRUE(verifier->Verify(Token(*ec2_)).ok());
  absl::StatusOr<Principal> old = verifier->Verify(Token(*ec_));
  EXPECT_EQ(RejectReasonOf(old.status()), RejectReason::kUnknownKey) << old.status();
  const std::vector<double> requests = server.Requests();
  ASSERT_GE(requests.size(), 2u);
  EXPECT_GE(requests[1] - requests[0], 1.5) << "refreshed before the cache lifetime ran out";
}

TEST_F(JwksHttpsTest, CacheLifetimeIsAtLeastTheMinimum) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"cache_control", "no-cache"}});
  VerifierOptions options = Options(server);
  options.jwks.min_lifetime = seconds(2);
  options.jwks.default_lifetime = seconds(2);
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return server.Requests().size() >= 3; }, seconds(20)));
  const std::vector<double> requests = server.Requests();
  for (size_t i = 1; i < requests.size(); ++i) {
    EXPECT_GE(requests[i] - requests[i - 1], 1.5) << "request " << i << " came too soon";
  }
}

TEST_F(JwksHttpsTest, AFloodOfUnknownKidsCostsTheProviderOneRequest) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"cache_control", "max-age=3600"}});
  auto verifier = Make(Options(server));
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Ready(*verifier); }, seconds(15))) << verifier->Readiness();
  ASSERT_EQ(server.Requests().size(), 1u);
  for (int i = 0; i < 100; ++i) {
    const Json header = {{"alg", "ES256"}, {"kid", absl::StrCat("forged-", i)}};
    const std::string token =
        SignWith(*ec2_, "ES256", header, Json{{"iss", kIssuer}, {"exp", Now() + 60}});
    absl::StatusOr<Principal> refused = verifier->Verify(token);
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(RejectReasonOf(refused.status()), RejectReason::kUnknownKey) << refused.status();
  }
  // The start-up fetch and one unknown-kid refresh (waited for: Verify's wait is bounded).
  ASSERT_TRUE(WaitFor([&] { return verifier->KeyStatus()[0].loads >= 2; }, seconds(15)));
  EXPECT_EQ(server.Requests().size(), 2u);
  EXPECT_EQ(verifier->KeyStatus()[0].unknown_kid_refreshes, 1u);
}

TEST_F(JwksHttpsTest, AnEndpointThatFailsOrGoesAwayKeepsTheCachedKeys) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"cache_control", "max-age=3600"}});
  VerifierOptions options = Options(server);
  options.jwks.unknown_kid_interval = seconds(1);
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Ready(*verifier); }, seconds(15))) << verifier->Readiness();

  // The provider answers 503: an unknown kid's refresh fails, known keys keep working.
  server.Serve(Jwks({ec_}), {{"status", 503}});
  EXPECT_FALSE(verifier->Verify(Token(*ec2_)).ok());
  ASSERT_TRUE(WaitFor([&] { return verifier->KeyStatus()[0].failures >= 1; }, seconds(15)));
  EXPECT_TRUE(absl::StrContains(verifier->KeyStatus()[0].last_error, "HTTP 503"))
      << verifier->KeyStatus()[0].last_error;
  EXPECT_TRUE(verifier->Verify(Token(*ec_)).ok());
  EXPECT_TRUE(verifier->Readiness().ok()) << verifier->Readiness();

  // The provider is gone altogether: the same.
  server.Stop();
  const uint64_t failures = verifier->KeyStatus()[0].failures;
  ASSERT_TRUE(WaitFor(
      [&] {
        (void)verifier->Verify(Token(*ec2_));  // asks for a refresh once a second
        return verifier->KeyStatus()[0].failures > failures;
      },
      seconds(15)));
  EXPECT_FALSE(absl::StrContains(verifier->KeyStatus()[0].last_error, "HTTP 503"));
  EXPECT_TRUE(verifier->Verify(Token(*ec_)).ok());
  EXPECT_TRUE(verifier->Readiness().ok()) << verifier->Readiness();
}

TEST_F(JwksHttpsTest, RefusesAnOversizedJwks) {
  JwksServer server(*tls_dir_, /*plain=*/false);
  server.Serve(Jwks({ec_}), {{"pad_bytes", 8192}});
  VerifierOptions options = Options(server);
  options.jwks.max_bytes = 4096;
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return verifier->KeyStatus()[0].failures > 0; }, seconds(15)));
  EXPECT_TRUE(absl::StrContains(verifier->KeyStatus()[0].last_error, "larger than 4096 bytes"))
      << verifier->KeyStatus()[0].last_error;
  EXPECT_FALSE(verifier->Readiness().ok());
}

TEST_F(JwksHttpsTest, PlainHttpOnlyToLoopbackWhenExplicitlyAllowed) {
  JwksServer server(*tls_dir_, /*plain=*/true);
  server.Serve(Jwks({ec_}), Json::object());
  VerifierOptions options = Options(server);
  options.issuers[0].keys.jwks_uri = server.Url(/*plain=*/true);
  options.issuers[0].keys.ca_file.clear();
  absl::StatusOr<std::unique_ptr<TokenVerifier>> refused = TokenVerifier::Create(options);
  ASSERT_FALSE(refused.ok());
  EXPECT_TRUE(absl::StrContains(refused.status().message(), "must be an https:// URL"))
      << refused.status();
  options.issuers[0].keys.allow_insecure_loopback_http = true;
  auto verifier = Make(options);
  ASSERT_NE(verifier, nullptr);
  ASSERT_TRUE(WaitFor([&] { return Ready(*verifier); }, seconds(15))) << verifier->Readiness();
  EXPECT_TRUE(verifier->Verify(Token(*ec_)).ok());
}

}  // namespace
}  // namespace advocacy::auth
