// gateway_bench: what the gateway costs. The same call, GetConsentState for a random seeded
// employee with that employee's token, made two ways by the same closed-loop engine
// (load_engine.h) at the same concurrency:
//
//   grpc     straight to the consent service over gRPC (mutual TLS when --tls-* are given), as
//            an internal service calls it
//   connect  to the gateway over HTTP/1.1 as the web app's Connect client sends it: POST
//            /advocacy.consent.v1.ConsentService/GetConsentState, a JSON body, the token as
//            `Authorization: Bearer` (an API client; a browser's session adds a Redis read);
//            the gateway decodes the JSON, calls consent over gRPC and encodes the answer.
//            Each client thread keeps its connection alive (GATEWAY_HTTP_IDLE_TIMEOUT_MS), as a
//            browser or the ingress proxy does.
//
// The employees are those consent_bench --mode seed made (tenant "bench", e0000000...); every
// answer is checked (status 200 and, for JSON, a body naming the employee's consent) unless
// --no-verify. Each mode prints one line:
//   RESULT name=<name> mode=<mode> concurrency=C calls=... errors=... rps=... p50_us=... p99_us=...
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>

#include "absl/strings/str_format.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/consent/v1/consent_service.grpc.pb.h"
#include "bench_util.h"
#include "load_engine.h"

namespace advocacy::bench {
namespace {

namespace v1 = advocacy::consent::v1;

struct Options {
  std::string mode = "grpc";
  std::string target;  // host:port of consent (grpc) or of the gateway's HTTP port (connect)
  std::string name;
  int concurrency = 32;
  int clients_per_channel = 8;
  double duration_s = 4.0;
  double warmup_s = 1.0;
  int employees = 10000;
  std::string tenant = "bench";
  std::string private_key_file;
  std::string issuer = "advocacy-bench";
  std::string audience = "advocacy";
  int deadline_ms = 10000;
  bool verify = true;
  std::string tls_ca, tls_cert, tls_key;
};

std::string EmployeeId(int index) { return absl::StrFormat("e%07d", index); }

// ------------------------------------------------------------------------------- gRPC mode --
class GrpcWorker final : public LoadWorker<v1::ConsentService::Stub> {
 public:
  GrpcWorker(const Options& o, const std::vector<std::string>* tokens, int seed)
      : o_(o), tokens_(tokens), rng_(static_cast<uint64_t>(seed) * 7919 + 1) {}
  Outcome Call(v1::ConsentService::Stub& stub, std::string* error) override {
    const int e = static_cast<int>(rng_() % static_cast<uint64_t>(o_.employees));
    v1::GetConsentStateRequest req;
    req.set_tenant_id(o_.tenant);
    req.set_employee_id(EmployeeId(e));
    v1::GetConsentStateResponse resp;
    const auto ctx = Ctx((*tokens_)[static_cast<size_t>(e)], o_.deadline_ms);
    const grpc::Status st = stub.GetConsentState(ctx.get(), req, &resp);
    if (!st.ok()) {
      if (error != nullptr) *error = Describe(st);
      return Outcome::kError;
    }
    if (o_.verify && (e % 2 == 0) != (resp.consents_size() == 1)) {
      if (error != nullptr) *error = "GetConsentState answered another employee's state";
      return Outcome::kError;
    }
    return Outcome::kOk;
  }

 private:
  const Options& o_;
  const std::vector<std::string>* tokens_;
  std::mt19937_64 rng_;
};

// ---------------------------------------------------------------------------- Connect mode --
// HTTP/1.1 to 127.0.0.1:port over one kept-alive connection per client thread, as a browser or
// the ingress proxy in front of the gateway holds its connections. A connection the gateway
// closed (its `Connection: close` after max requests, or an idle close) is replaced by a new
// one; that connect is part of the measured call.
class HttpClient {
 public:
  explicit HttpClient(int port) : port_(port) {}
  ~HttpClient() { Disconnect(); }
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // The status and body of one POST, or status 0 with `error` set.
  int Post(const std::string& request, std::string* body, std::string* error) {
    // A kept connection the gateway closed meanwhile fails on first use: one retry on a new one.
    for (int attempt = 0; attempt < 2; ++attempt) {
      const bool reused = fd_ >= 0;
      if (!reused && !Connect(error)) return 0;
      if (const int status = Exchange(request, body, error); status != 0) return status;
      Disconnect();
      if (!reused) return 0;
    }
    return 0;
  }

 private:
  bool Connect(std::string* error) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    if (fd_ < 0) {
      Fail("socket", error);
      return false;
    }
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(port_));
    const int one = 1;
    setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
      Disconnect();
      Fail("connect", error);
      return false;
    }
    buffer_.clear();
    return true;
  }

  void Disconnect() {
    if (fd_ >= 0) close(fd_);
    fd_ = -1;
  }

  // One request and its response on the open connection; 0 when either failed.
  int Exchange(const std::string& request, std::string* body, std::string* error) {
    size_t sent = 0;
    while (sent < request.size()) {
      const ssize_t n = send(fd_, request.data() + sent, request.size() - sent, MSG_NOSIGNAL);
      if (n <= 0) return Fail("write", error);
      sent += static_cast<size_t>(n);
    }
    char chunk[16384];
    for (;;) {
      const size_t head_end = buffer_.find("\r\n\r\n");
      if (head_end != std::string::npos) {
        if (buffer_.rfind("HTTP/1.1 ", 0) != 0) return Fail("a malformed response", error);
        const std::string head = buffer_.substr(0, head_end + 2);
        const size_t at = head.find("\r\nContent-Length: ");
        if (at == std::string::npos) return Fail("a response without Content-Length", error);
        const size_t length = std::strtoul(head.c_str() + at + 18, nullptr, 10);
        if (buffer_.size() >= head_end + 4 + length) {
          const int status = std::atoi(buffer_.c_str() + 9);
          *body = buffer_.substr(head_end + 4, length);
          buffer_.erase(0, head_end + 4 + length);
          if (head.find("\r\nConnection: close\r\n") != std::string::npos) Disconnect();
          return status;
        }
      }
      const ssize_t n = read(fd_, chunk, sizeof(chunk));
      if (n <= 0) return Fail(n == 0 ? "read (closed by the gateway)" : "read", error);
      buffer_.append(chunk, static_cast<size_t>(n));
    }
  }

  static int Fail(const char* what, std::string* error) {
    if (error != nullptr) *error = StrCat(what, " failed");
    return 0;
  }
  int port_;
  int fd_ = -1;
  std::string buffer_;  // what arrived and is not consumed yet
};

class ConnectWorker final : public LoadWorker<HttpClient> {
 public:
  ConnectWorker(const Options& o, const std::vector<std::string>* tokens, int seed)
      : o_(o), tokens_(tokens), rng_(static_cast<uint64_t>(seed) * 7919 + 1) {}
  Outcome Call(HttpClient& client, std::string* error) override {
    const int e = static_cast<int>(rng_() % static_cast<uint64_t>(o_.employees));
    const std::string json =
        StrCat(R"({"tenantId":")", o_.tenant, R"(","employeeId":")", EmployeeId(e), R"("})");
    const std::string request = StrCat(
        "POST /advocacy.consent.v1.ConsentService/GetConsentState HTTP/1.1\r\n"
        "Host: gateway\r\nContent-Type: application/json\r\nConnect-Protocol-Version: 1\r\n"
        "Connect-Timeout-Ms: ",
        o_.deadline_ms, "\r\nAuthorization: ", (*tokens_)[static_cast<size_t>(e)],
        "\r\nContent-Length: ", json.size(), "\r\n\r\n", json);
    std::string body;
    const int status = client.Post(request, &body, error);
    if (status != 200) {
      if (error != nullptr && status != 0) *error = StrCat("HTTP ", status, ": ", body);
      return Outcome::kError;
    }
    // Seeded (even) employees hold one consent: the answer names it; the others have none.
    if (o_.verify && (e % 2 == 0) != (body.find("NETWORK_LINKEDIN") != std::string::npos)) {
      if (error != nullptr) *error = StrCat("GetConsentState answered ", body);
      return Outcome::kError;
    }
    return Outcome::kOk;
  }

 private:
  const Options& o_;
  const std::vector<std::string>* tokens_;
  std::mt19937_64 rng_;
};

void Report(const Options& o, LoadResult r) {
  const double rps = static_cast<double>(r.calls) / r.seconds;
  std::printf(
      "RESULT name=%s mode=%s concurrency=%d calls=%lld errors=%lld rps=%.1f p50_us=%.1f "
      "p99_us=%.1f\n",
      o.name.empty() ? o.mode.c_str() : o.name.c_str(), o.mode.c_str(), o.concurrency,
      static_cast<long long>(r.calls), static_cast<long long>(r.errors), rps,
      PercentileUs(r.latencies_ns, 0.50), PercentileUs(r.latencies_ns, 0.99));
  if (!r.first_error.empty()) std::fprintf(stderr, "first error: %s\n", r.first_error.c_str());
}

int Main(int argc, char** argv) {
  Options o;
  CLI::App app{"gateway_bench: GetConsentState direct over gRPC, or through the gateway"};
  app.add_option("--mode", o.mode, "grpc | connect")->check(CLI::IsMember({"grpc", "connect"}));
  app.add_option("--target", o.target, "consent's host:port (grpc), the gateway's (connect)")
      ->required();
  app.add_option("--name", o.name, "the RESULT line's name");
  app.add_option("-c,--concurrency", o.concurrency, "client threads");
  app.add_option("--clients-per-channel", o.clients_per_channel, "gRPC clients per channel");
  app.add_option("--duration", o.duration_s, "measured seconds");
  app.add_option("--warmup", o.warmup_s, "unmeasured seconds first");
  app.add_option("--employees", o.employees, "seeded employees (consent_bench --mode seed)");
  app.add_option("--private-key", o.private_key_file, "the token signing key")->required();
  app.add_option("--issuer", o.issuer, "the tokens' issuer");
  app.add_option("--deadline-ms", o.deadline_ms, "per call");
  app.add_flag("!--no-verify", o.verify, "skip checking each answer");
  app.add_option("--tls-ca", o.tls_ca, "gRPC: the CA of the service's certificate");
  app.add_option("--tls-cert", o.tls_cert, "gRPC: this client's certificate");
  app.add_option("--tls-key", o.tls_key, "gRPC: its key");
  CLI11_PARSE(app, argc, argv);

  auto minter = Minter::Create(o.private_key_file, o.issuer, o.audience, o.tenant);
  if (!minter.ok()) {
    std::fprintf(stderr, "%s\n", std::string(minter.status().message()).c_str());
    return 1;
  }
  std::vector<std::string> ids;
  for (int i = 0; i < o.employees; ++i) ids.push_back(EmployeeId(i));
  auto tokens = minter->EmployeeTokens(ids);
  if (!tokens.ok()) {
    std::fprintf(stderr, "%s\n", std::string(tokens.status().message()).c_str());
    return 1;
  }
  if (o.mode == "grpc") {
    std::shared_ptr<grpc::ChannelCredentials> credentials;
    if (!o.tls_ca.empty()) {
      grpc_tls::Settings tls;
      tls.enabled = true;
      tls.cert_file = o.tls_cert;
      tls.key_file = o.tls_key;
      tls.ca_file = o.tls_ca;
      auto c = grpc_tls::ChannelCredentials(tls);
      if (!c.ok()) {
        std::fprintf(stderr, "%s\n", std::string(c.status().message()).c_str());
        return 1;
      }
      credentials = *c;
    }
    Report(o, RunLoad<v1::ConsentService>(
                  o, o.target, [&](int i) { return std::make_unique<GrpcWorker>(o, &*tokens, i); },
                  credentials));
    return 0;
  }
  const int port = std::atoi(o.target.substr(o.target.rfind(':') + 1).c_str());
  Report(o, RunClosedLoop<HttpClient>(
                o, [port](int) { return std::make_unique<HttpClient>(port); },
                [&](int i) { return std::make_unique<ConnectWorker>(o, &*tokens, i); }));
  return 0;
}

}  // namespace
}  // namespace advocacy::bench

int main(int argc, char** argv) { return advocacy::bench::Main(argc, argv); }
