#include "harness.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <grpcpp/generic/generic_stub.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>
#include <thread>

#include "advocacy/common/strings.h"

extern char** environ;

namespace advocacy::it {

std::string Env(const char* name) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') {
    std::fprintf(stderr,
                 "integration tests need %s: run them through deploy/local/test.sh, which starts "
                 "Redis and Kafka and exports the stack environment\n",
                 name);
    std::abort();
  }
  return v;
}

int FreePort() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

std::map<std::string, std::string> KafkaEnv(const std::string& principal) {
  const char* protocol = std::getenv("ADVOCACY_KAFKA_SECURITY_PROTOCOL");
  if (protocol == nullptr || *protocol == '\0' || std::string(protocol) == "PLAINTEXT") {
    return {{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "PLAINTEXT"}};
  }
  if (std::string(protocol) != "SSL") {
    std::fprintf(stderr, "the tests know the stack's Kafka security SSL and PLAINTEXT, not %s\n",
                 protocol);
    std::abort();
  }
  const std::string dir = Env("ADVOCACY_KAFKA_CREDENTIALS_DIR");
  return {{"ADVOCACY_KAFKA_SECURITY_PROTOCOL", "SSL"},
          {"ADVOCACY_KAFKA_SSL_CA_FILE", Env("ADVOCACY_KAFKA_SSL_CA_FILE")},
          {"ADVOCACY_KAFKA_SSL_CERT_FILE", dir + "/" + principal + ".pem"},
          {"ADVOCACY_KAFKA_SSL_KEY_FILE", dir + "/" + principal + ".key"}};
}

std::map<std::string, std::string> GrpcTlsEnv(const std::string& service) {
  const char* dir = std::getenv("ADVOCACY_GRPC_TLS_DIR");
  if (dir == nullptr || *dir == '\0') return {{"ADVOCACY_GRPC_TLS", "off"}};
  const std::string ca = Env("ADVOCACY_GRPC_TLS_CA_FILE");
  return {{"ADVOCACY_GRPC_TLS", "on"},
          {"ADVOCACY_GRPC_TLS_CERT_FILE", std::string(dir) + "/" + service + ".pem"},
          {"ADVOCACY_GRPC_TLS_KEY_FILE", std::string(dir) + "/" + service + ".key"},
          {"ADVOCACY_GRPC_TLS_CLIENT_CA_FILE", ca},
          {"ADVOCACY_GRPC_TLS_CLIENT_AUTH", "require"},
          {"ADVOCACY_GRPC_TLS_CA_FILE", ca}};
}

grpc_tls::Settings ClientTls(const std::string& identity) {
  const char* dir = std::getenv("ADVOCACY_GRPC_TLS_DIR");
  if (dir == nullptr || *dir == '\0') return {};
  return {.enabled = true,
          .cert_file = std::string(dir) + "/" + identity + ".pem",
          .key_file = std::string(dir) + "/" + identity + ".key",
          .ca_file = Env("ADVOCACY_GRPC_TLS_CA_FILE")};
}

std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(const std::string& identity) {
  auto credentials = grpc_tls::ChannelCredentials(ClientTls(identity));
  if (!credentials.ok()) {
    std::fprintf(stderr, "the stack's gRPC client certificate '%s' is unusable: %s\n",
                 identity.c_str(), std::string(credentials.status().message()).c_str());
    std::abort();
  }
  return *credentials;
}

kafka::ClientSecurity KafkaSecurity(const std::string& principal) {
  std::map<std::string, std::string> env = KafkaEnv(principal);
  if (env["ADVOCACY_KAFKA_SECURITY_PROTOCOL"] == "PLAINTEXT") return {};
  return {.protocol = kafka::SecurityProtocol::kSsl,
          .ca_file = env["ADVOCACY_KAFKA_SSL_CA_FILE"],
          .cert_file = env["ADVOCACY_KAFKA_SSL_CERT_FILE"],
          .key_file = env["ADVOCACY_KAFKA_SSL_KEY_FILE"]};
}

std::map<std::string, std::string> RedisEnv(const std::string& user) {
  const char* acl = std::getenv("ADVOCACY_REDIS_ACL");
  if (acl == nullptr || std::string(acl) != "on") return {};
  return {{"ADVOCACY_REDIS_USERNAME", user},
          {"ADVOCACY_REDIS_PASSWORD_FILE",
           Env("ADVOCACY_REDIS_CREDENTIALS_DIR") + "/" + user + ".password"}};
}

redis::Options RedisOptions(const std::string& user, const std::string& url) {
  auto options = redis::ParseUrl(url.empty() ? Env("ADVOCACY_REDIS_URL") : url);
  if (!options.ok()) {
    std::fprintf(stderr, "the Redis URL of the stack is invalid: %s\n",
                 std::string(options.status().message()).c_str());
    std::abort();
  }
  if (options->tls) {
    // rediss:// (ADVOCACY_REDIS_TLS=on): the stack's CA and client certificate, as the
    // services get them.
    options->tls_ca_file = Env("ADVOCACY_REDIS_TLS_CA_FILE");
    options->tls_cert_file = Env("ADVOCACY_REDIS_TLS_CERT_FILE");
    options->tls_key_file = Env("ADVOCACY_REDIS_TLS_KEY_FILE");
  }
  std::map<std::string, std::string> env = RedisEnv(user);
  if (env.empty()) return *options;
  std::ifstream in(env["ADVOCACY_REDIS_PASSWORD_FILE"]);
  std::string password;
  std::getline(in, password);
  if (password.empty()) {
    std::fprintf(stderr, "no Redis password for %s in %s\n", user.c_str(),
                 env["ADVOCACY_REDIS_PASSWORD_FILE"].c_str());
    std::abort();
  }
  options->username = user;
  options->password = password;
  return *options;
}

void Stack(const std::string& args) {
  const std::string cmd =
      advocacy::StrCat("bash '", ADVOCACY_SOURCE_DIR, "/deploy/local/stack.sh' ", args);
  const int rc = std::system(cmd.c_str());
  if (rc != 0) {
    std::fprintf(stderr, "'%s' failed with %d\n", cmd.c_str(), rc);
    std::abort();
  }
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit) {
  const auto until = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < until) {
    if (cond()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return cond();
}

std::string UniqueId(const std::string& prefix) {
  static std::mt19937_64 rng{std::random_device{}()};
  static std::mutex mu;
  std::lock_guard lock(mu);
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%012llx",
                static_cast<unsigned long long>(rng() & 0xffffffffffffULL));
  return prefix + "-" + buf;
}

namespace {

// Every API scope of the stack's resources (deploy/local/oidc/clients.json).
constexpr char kAllScopes[] =
    "consent:check consent:withdraw consent:read content:read content:write courses:read "
    "courses:write courses:verify notifications:read notifications:write";

}  // namespace

std::string Audience(const std::string& service) { return "advocacy-" + service; }

oidc::ClientCredentials StackClient(const std::string& client_id, const std::string& resource,
                                    const std::string& scope) {
  auto secret =
      oidc::ReadClientSecretFile(Env("ADVOCACY_OIDC_SECRETS_DIR") + "/" + client_id + ".secret");
  if (!secret.ok()) {
    std::fprintf(stderr, "%s\n", std::string(secret.status().message()).c_str());
    std::abort();
  }
  return {.token_url = Env("ADVOCACY_OIDC_TOKEN_URL"),
          .ca_file = Env("ADVOCACY_OIDC_CA_FILE"),
          .client_id = client_id,
          .client_secret = *secret,
          .resource = resource,
          .scope = scope};
}

std::map<std::string, std::string> NotificationsIdentityEnv() {
  return {{"NOTIFICATIONS_OIDC_TOKEN_URL", Env("ADVOCACY_OIDC_TOKEN_URL")},
          {"NOTIFICATIONS_OIDC_CLIENT_ID", "notifications"},
          {"NOTIFICATIONS_OIDC_CLIENT_SECRET_FILE",
           Env("ADVOCACY_OIDC_SECRETS_DIR") + "/notifications.secret"},
          {"NOTIFICATIONS_OIDC_CA_FILE", Env("ADVOCACY_OIDC_CA_FILE")}};
}

Keys::Keys() = default;

std::string Keys::issuers_file() const { return Env("ADVOCACY_OIDC_ISSUERS_FILE"); }

std::string Keys::Issuer() { return Env("ADVOCACY_OIDC_ISSUER"); }

std::string Keys::Token(auth::Role role, const std::string& tenant, const std::string& subject,
                        std::chrono::seconds ttl) const {
  const std::string key =
      advocacy::StrCat(auth::RoleName(role), "|", tenant, "|", subject, "|", ttl.count());
  std::lock_guard lock(mu_);
  const auto now = std::chrono::steady_clock::now();
  if (auto it = cache_.find(key); it != cache_.end() && now < it->second.second) {
    return it->second.first;
  }
  oidc::ClientCredentials c = StackClient("advocacy-it", "urn:advocacy:consent",
                                          role == auth::Role::kService ? kAllScopes : "");
  c.extra_params = {{"advocacy_tenant", tenant},
                    {"advocacy_subject", subject},
                    {"advocacy_role", std::string(auth::RoleName(role))},
                    {"advocacy_ttl", std::to_string(ttl.count())},
                    {"advocacy_all_audiences", "true"}};
  absl::StatusOr<oidc::AccessToken> token = oidc::RequestToken(c);
  for (int attempt = 0; !token.ok() && attempt < 3; ++attempt) {  // a provider being restarted
    std::this_thread::sleep_for(std::chrono::milliseconds(500));
    token = oidc::RequestToken(c);
  }
  if (!token.ok()) {
    std::fprintf(stderr, "the stack's OpenID provider gave no token: %s\n",
                 std::string(token.status().message()).c_str());
    std::abort();
  }
  cache_[key] = {token->value, now + ttl / 3};
  return token->value;
}

std::string Keys::TokenSignedByAnotherKey(const std::string& tenant,
                                          const std::string& subject) const {
  auto other = auth::GenerateKeyPair();
  auth::MintOptions o;
  o.private_key_pem = other->first;
  o.issuer = Issuer();
  o.audience = Audience("consent");
  o.principal = {.tenant_id = tenant, .subject = subject, .role = auth::Role::kAdmin};
  return *auth::MintToken(o);
}

ServiceProcess::ServiceProcess(std::string binary, std::map<std::string, std::string> env)
    : binary_(std::move(binary)),
      env_(std::move(env)),
      grpc_port_(FreePort()),
      metrics_port_(FreePort()) {
  env_["ADVOCACY_GRPC_LISTEN"] = "127.0.0.1:" + std::to_string(grpc_port_);
  env_["ADVOCACY_METRICS_LISTEN"] = "127.0.0.1:" + std::to_string(metrics_port_);
  const std::string service = std::filesystem::path(binary_).filename().string();
  if (env_.count("ADVOCACY_KAFKA_SECURITY_PROTOCOL") == 0) env_.merge(KafkaEnv(service));
  if (env_.count("ADVOCACY_AUTH_ISSUERS_FILE") != 0 && env_.count("ADVOCACY_JWT_AUDIENCE") == 0) {
    env_["ADVOCACY_JWT_AUDIENCE"] = Audience(service);
  }
  if (env_.count("ADVOCACY_REDIS_USERNAME") == 0) {
    env_.merge(RedisEnv(std::filesystem::path(binary_).filename().string()));
  }
  if (env_.count("ADVOCACY_GRPC_TLS") == 0) env_.merge(GrpcTlsEnv(service));
  char path[] = "/tmp/advocacy-it-service-XXXXXX.log";
  const int fd = mkstemps(path, 4);
  close(fd);
  log_path_ = path;
}

ServiceProcess::~ServiceProcess() {
  if (pid_ > 0) Kill();
  // The log stays for a failed test (its messages name it) or on request.
  if (!::testing::Test::HasFailure() && std::getenv("ADVOCACY_IT_KEEP_LOGS") == nullptr) {
    std::remove(log_path_.c_str());
  }
}

absl::Status ServiceProcess::Start(std::chrono::milliseconds ready_within) {
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string name = kv.substr(0, kv.find('='));
    if (env_.count(name) == 0) env_strings.push_back(kv);
  }
  for (const auto& [k, v] : env_) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& s : env_strings) envp.push_back(s.data());
  envp.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    if (getppid() != parent) _exit(127);
    const int fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    char* argv[] = {const_cast<char*>(binary_.c_str()), nullptr};
    execve(binary_.c_str(), argv, envp.data());
    _exit(127);
  }
  pid_ = pid;
  auto ch = channel();
  const bool ready = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          pid_ = -1;
          return true;
        }
        return HealthStatus(ch) == "SERVING";
      },
      ready_within);
  if (pid_ < 0) return absl::InternalError("service exited during start; see " + log_path_);
  if (!ready) return absl::DeadlineExceededError("service not SERVING in time; see " + log_path_);
  return absl::OkStatus();
}

int ServiceProcess::Stop() {
  if (pid_ <= 0) return -1;
  kill(pid_, SIGTERM);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void ServiceProcess::Kill() {
  if (pid_ <= 0) return;
  kill(pid_, SIGKILL);
  int status = 0;
  waitpid(pid_, &status, 0);
  pid_ = -1;
}

std::shared_ptr<grpc::Channel> ServiceProcess::channel() const {
  grpc::ChannelArguments args;
  // A fresh connection per channel, so tests do not share subchannels across restarts.
  args.SetInt("grpc.use_local_subchannel_pool", 1);
  return grpc::CreateCustomChannel(
      address(), tls() ? ClientCredentials() : grpc::InsecureChannelCredentials(), args);
}

bool ServiceProcess::tls() const {
  const auto it = env_.find("ADVOCACY_GRPC_TLS");
  return it != env_.end() && it->second == "on";
}

std::string HealthStatus(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service) {
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(500));
  // HealthCheckRequest { string service = 1; }
  std::string req;
  if (!service.empty()) {
    req.push_back(0x0a);
    req.push_back(static_cast<char>(service.size()));
    req += service;
  }
  grpc::Slice slice(req);
  grpc::ByteBuffer request(&slice, 1);
  grpc::CompletionQueue cq;
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request, &cq);
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) return "ERROR:" + std::to_string(status.error_code());
  std::vector<grpc::Slice> slices;
  (void)response.Dump(&slices);
  std::string body;
  for (const auto& s : slices) body.append(reinterpret_cast<const char*>(s.begin()), s.size());
  // HealthCheckResponse { ServingStatus status = 1; } SERVING = 1, NOT_SERVING = 2.
  const int value = body.size() >= 2 && body[0] == 0x08 ? body[1] : 0;
  return value == 1 ? "SERVING" : value == 2 ? "NOT_SERVING" : "UNKNOWN";
}

std::string HttpGet(int port, const std::string& path) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = htons(static_cast<uint16_t>(port));
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "";
  }
  const std::string req = "GET " + path + " HTTP/1.0\r\nHost: localhost\r\n\r\n";
  (void)write(fd, req.data(), req.size());
  std::string out;
  char buf[8192];
  ssize_t n;
  while ((n = read(fd, buf, sizeof(buf))) > 0) out.append(buf, static_cast<size_t>(n));
  close(fd);
  const auto body = out.find("\r\n\r\n");
  return body == std::string::npos ? "" : out.substr(body + 4);
}

namespace {

size_t CurlAppend(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

size_t CurlHeader(char* data, size_t size, size_t n, void* out) {
  std::string line(data, size * n);
  auto* result = static_cast<HttpResult*>(out);
  while (!line.empty() && (line.back() == '\r' || line.back() == '\n')) line.pop_back();
  const size_t colon = line.find(':');
  if (colon != std::string::npos && line.rfind("HTTP/", 0) != 0) {
    result->all_headers.push_back(line);
    std::string name = line.substr(0, colon);
    std::transform(name.begin(), name.end(), name.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    std::string value = line.substr(colon + 1);
    while (!value.empty() && (value.front() == ' ')) value.erase(0, 1);
    if (name == "set-cookie") result->set_cookies.push_back(value);
    result->headers[name] = value;
  }
  return size * n;
}

}  // namespace

HttpResult HttpRequest(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers, const std::string& body) {
  HttpResult result;
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return result;
  curl_slist* list = nullptr;
  for (const std::string& h : headers) list = curl_slist_append(list, h.c_str());
  // No "Expect: 100-continue" round trip for larger bodies.
  list = curl_slist_append(list, "Expect:");
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method.c_str());
  if (method == "HEAD") curl_easy_setopt(curl, CURLOPT_NOBODY, 1L);
  if (method == "POST") {
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body.size()));
  }
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CurlAppend);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &result.body);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, CurlHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &result);
  if (curl_easy_perform(curl) == CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    result.status = static_cast<int>(status);
  }
  curl_slist_free_all(list);
  curl_easy_cleanup(curl);
  return result;
}

struct TopicReader::State {
  std::mutex mu;
  std::vector<kafka::Message> messages;
};

TopicReader::TopicReader(const std::string& topic) : state_(std::make_shared<State>()) {
  kafka::ConsumerOptions o;
  o.brokers = Env("ADVOCACY_KAFKA_BROKERS");
  o.group_id = UniqueId("it-reader");
  o.topics = {topic};
  o.dead_letter_topic = topic + ".it-dlq";
  o.security = KafkaSecurity("admin");
  auto state = state_;
  auto c = kafka::Consumer::Create(o, [state](const kafka::Message& m) {
    std::lock_guard lock(state->mu);
    state->messages.push_back(m);
    return absl::OkStatus();
  });
  if (!c.ok()) {
    std::fprintf(stderr, "cannot create a Kafka reader: %s\n",
                 std::string(c.status().message()).c_str());
    std::abort();
  }
  consumer_ = std::move(*c);
  (void)consumer_->Start();
}

TopicReader::~TopicReader() {
  if (consumer_) consumer_->Stop();
}

std::vector<kafka::Message> TopicReader::ForKey(const std::string& key) {
  std::lock_guard lock(state_->mu);
  std::vector<kafka::Message> out;
  for (const auto& m : state_->messages) {
    if (m.key == key) out.push_back(m);
  }
  return out;
}

bool TopicReader::WaitForKeyCount(const std::string& key, size_t count,
                                  std::chrono::milliseconds limit) {
  return WaitFor([&] { return ForKey(key).size() >= count; }, limit);
}

// ---------------------------------------------------------------- SmtpSink ----

namespace {

constexpr char kPython[] = "/usr/bin/python3";

// Runs argv to completion with stdout and stderr appended to `log`; the exit status or -1.
int RunLogged(const std::vector<std::string>& args, const std::string& log) {
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  int status = 0;
  if (waitpid(pid, &status, 0) != pid) return -1;
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Tail(const std::string& text, size_t n) {
  return text.size() <= n ? text : text.substr(text.size() - n);
}

std::string LowerAscii(std::string s) {
  for (char& c : s) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return s;
}

std::map<std::string, std::string> ParseHeaders(const std::string& data) {
  std::map<std::string, std::string> out;
  size_t end = data.find("\r\n\r\n");
  const std::string head = data.substr(0, end == std::string::npos ? data.size() : end + 2);
  // Unfolding (RFC 5322 2.2.3): a CRLF followed by a blank belongs to the previous field.
  std::vector<std::string> fields;
  size_t pos = 0;
  while (pos < head.size()) {
    size_t eol = head.find("\r\n", pos);
    if (eol == std::string::npos) eol = head.size();
    const std::string line = head.substr(pos, eol - pos);
    pos = eol + 2;
    if (!line.empty() && (line[0] == ' ' || line[0] == '\t') && !fields.empty()) {
      fields.back() += line;
    } else if (!line.empty()) {
      fields.push_back(line);
    }
  }
  for (const auto& f : fields) {
    const size_t colon = f.find(':');
    if (colon == std::string::npos) continue;
    std::string value = f.substr(colon + 1);
    const size_t first = value.find_first_not_of(" \t");
    value = first == std::string::npos ? "" : value.substr(first);
    while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.pop_back();
    out.emplace(LowerAscii(f.substr(0, colon)), value);  // emplace keeps the first
  }
  return out;
}

}  // namespace

SmtpSink::SmtpSink(SmtpSinkOptions options, std::string dir)
    : options_(std::move(options)), dir_(std::move(dir)) {}

absl::StatusOr<std::unique_ptr<SmtpSink>> SmtpSink::Start(SmtpSinkOptions options) {
  char tmpl[] = "/tmp/advocacy-smtp-sink-XXXXXX";
  if (mkdtemp(tmpl) == nullptr) return absl::InternalError("mkdtemp failed for the SMTP sink");
  std::unique_ptr<SmtpSink> sink(new SmtpSink(std::move(options), tmpl));
  const std::string log = sink->dir_ + "/sink.log";
  if (RunLogged({kPython, "-c", "import aiosmtpd"}, log) != 0) {
    return absl::FailedPreconditionError(
        "/usr/bin/python3 cannot import aiosmtpd; install Debian's python3-aiosmtpd "
        "(deploy/local/install.sh does)");
  }
  if (sink->options_.starttls) {
    sink->cert_file_ = sink->dir_ + "/cert.pem";
    sink->key_file_ = sink->dir_ + "/key.pem";
    // A certificate for 127.0.0.1, so clients can verify it (with ca_file()) including the
    // host name, exactly as they would a real relay's.
    const int rc =
        RunLogged({"/usr/bin/openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                   "ec_paramgen_curve:prime256v1", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                   "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout",
                   sink->key_file_, "-out", sink->cert_file_},
                  log);
    if (rc != 0) {
      return absl::InternalError("openssl could not make the SMTP sink's certificate: " +
                                 Tail(ReadFile(log), 2000));
    }
  }
  if (auto st = sink->Launch(0); !st.ok()) return st;
  return sink;
}

SmtpSink::~SmtpSink() {
  Stop();
  std::error_code ec;
  std::filesystem::remove_all(dir_, ec);
}

std::string SmtpSink::url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }

absl::Status SmtpSink::Launch(int port) {
  const std::string ready = dir_ + "/ready";
  const std::string log = dir_ + "/sink.log";
  std::error_code ignored;
  std::filesystem::remove(ready, ignored);
  std::vector<std::string> args = {
      kPython,        ADVOCACY_SOURCE_DIR "/tests/integration/smtp_sink.py",
      "--host",       "127.0.0.1",
      "--port",       std::to_string(port),
      "--out",        dir_,
      "--ready-file", ready};
  if (options_.starttls) {
    args.insert(args.end(), {"--starttls-cert", cert_file_, "--starttls-key", key_file_});
  }
  if (!options_.username.empty()) {
    args.insert(args.end(), {"--auth-user", options_.username, "--auth-pass", options_.password});
  }
  if (options_.fail_first > 0) {
    args.insert(args.end(), {"--fail-first", std::to_string(options_.fail_first)});
  }
  if (!options_.reject_rcpt_domain.empty()) {
    args.insert(args.end(), {"--reject-rcpt-domain", options_.reject_rcpt_domain});
  }
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  const pid_t parent = getpid();
  const pid_t pid = fork();
  if (pid < 0) return absl::InternalError("fork failed for the SMTP sink");
  if (pid == 0) {
    prctl(PR_SET_PDEATHSIG, SIGKILL);  // never outlive the test binary
    if (getppid() != parent) _exit(127);
    const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0) {
      dup2(fd, 1);
      dup2(fd, 2);
    }
    execv(argv[0], argv.data());
    _exit(127);
  }
  pid_ = pid;
  bool exited = false;
  const bool up = WaitFor(
      [&] {
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
          exited = true;
          return true;
        }
        return std::filesystem::exists(ready);
      },
      std::chrono::seconds(15));
  if (exited || !up) {
    if (!exited) Stop();
    pid_ = -1;
    return absl::InternalError(advocacy::StrCat("the SMTP sink did not start on port ", port,
                                                "; its log: ", Tail(ReadFile(log), 2000)));
  }
  port_ = std::atoi(ReadFile(ready).c_str());
  return absl::OkStatus();
}

void SmtpSink::Stop() {
  if (pid_ <= 0) return;
  kill(pid_, SIGTERM);
  int status = 0;
  const bool gone =
      WaitFor([&] { return waitpid(pid_, &status, WNOHANG) == pid_; }, std::chrono::seconds(5));
  if (!gone) {
    kill(pid_, SIGKILL);
    waitpid(pid_, &status, 0);
  }
  pid_ = -1;
}

absl::Status SmtpSink::Restart() {
  Stop();
  return Launch(port_);
}

size_t SmtpSink::CountLines() const {
  // Incremental: a bench waiting for 10,000 mails must not re-read megabytes every poll.
  std::lock_guard lock(count_mu_);
  std::ifstream in(dir_ + "/mails.jsonl", std::ios::binary);
  if (!in) return counted_lines_;
  in.seekg(static_cast<std::streamoff>(counted_bytes_));
  char buf[65536];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    const auto n = static_cast<size_t>(in.gcount());
    counted_lines_ += static_cast<size_t>(std::count(buf, buf + n, '\n'));
    counted_bytes_ += n;
  }
  return counted_lines_;
}

bool SmtpSink::WaitForCount(size_t n, std::chrono::milliseconds limit) const {
  return WaitFor([&] { return CountLines() >= n; }, limit);
}

std::vector<ReceivedMail> SmtpSink::Mails() const {
  std::vector<ReceivedMail> out;
  std::istringstream in(ReadFile(dir_ + "/mails.jsonl"));
  std::string line;
  while (std::getline(in, line)) {
    if (in.eof()) break;  // no newline yet: a line still being written
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() || !j.is_object()) continue;
    ReceivedMail m;
    m.mail_from = j.value("mail_from", "");
    if (j.contains("rcpt_tos") && j["rcpt_tos"].is_array()) {
      for (const auto& r : j["rcpt_tos"]) {
        if (r.is_string()) m.rcpt_to.push_back(r.get<std::string>());
      }
    }
    m.data = j.value("data", "");
    m.received_unix_nanos = j.value("received_unix_nanos", int64_t{0});
    m.headers = ParseHeaders(m.data);
    out.push_back(std::move(m));
  }
  return out;
}

}  // namespace advocacy::it
