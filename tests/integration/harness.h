#pragma once

// Black-box harness for integration tests: real service binaries on the real Redis and Kafka
// of the local stack (deploy/local/stack.sh up writes $ADVOCACY_HOME/stack.env; the test
// command sources it). Nothing here is faked.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/oidc_client.h"
#include "advocacy/common/redis_client.h"

namespace advocacy::it {

// A required environment variable; aborts the test binary with a clear message if missing.
std::string Env(const char* name);

// A free loopback TCP port (bound to port 0, then released).
int FreePort();

// How a Kafka client of the tests authenticates as `principal` (consent, content, courses,
// notifications, admin) on the stack's broker: with ADVOCACY_KAFKA_SECURITY_PROTOCOL=SSL (the
// default of deploy/local/stack.sh) TLS with the principal's certificate from
// $ADVOCACY_KAFKA_CREDENTIALS_DIR; plaintext when the stack runs without security. The admin is a
// super user: tests read and write as it wherever they play no particular service.
kafka::ClientSecurity KafkaSecurity(const std::string& principal);
// The same as the environment variables of a service process (ADVOCACY_KAFKA_SECURITY_PROTOCOL,
// ADVOCACY_KAFKA_SSL_*).
std::map<std::string, std::string> KafkaEnv(const std::string& principal);

// How a client of the tests talks to the stack's Redis as `user` (consent, content, courses,
// notifications, admin): with ADVOCACY_REDIS_ACL=on (the default of deploy/local/stack.sh) as that
// ACL user, its password read from $ADVOCACY_REDIS_CREDENTIALS_DIR/<user>.password; without a user
// when the stack runs with ADVOCACY_REDIS_ACL=off. The address is ADVOCACY_REDIS_URL (with TLS on,
// the stack's local TLS client proxy). The admin may do anything: tests read and write as it
// wherever they play no particular service.
// The variables of a service process (ADVOCACY_REDIS_USERNAME, ADVOCACY_REDIS_PASSWORD_FILE);
// empty without ACLs.
std::map<std::string, std::string> RedisEnv(const std::string& user);
// Connection options for `user` on ADVOCACY_REDIS_URL, or on `url` when given (another database
// of the same server, say).
redis::Options RedisOptions(const std::string& user, const std::string& url = "");

// Runs deploy/local/stack.sh with the given arguments ("kafka stop", "redis restart", ...).
void Stack(const std::string& args);

// Polls `cond` every 20 ms until it is true or `limit` passes.
bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit);

// Tokens from the local stack's OpenID provider (deploy/local/stack.sh starts it; stack.env names
// it, ADVOCACY_OIDC_*): RS256 JWTs signed by the provider. Principals of the tests' throwaway
// tenants come from the test client `advocacy-it` (deploy/local/oidc/clients.json), the one
// client the provider lets name the principal it wants (tenant, subject, role) and ask for a
// token all four services accept (aud advocacy-consent, -content, -courses, -notifications);
// it exists only in the local stack. Real per-service identities: StackClient().
class Keys {
 public:
  Keys();
  Keys(const Keys&) = delete;
  Keys& operator=(const Keys&) = delete;
  // ADVOCACY_AUTH_ISSUERS_FILE for the services: the provider, its JWKS over https.
  std::string issuers_file() const;
  // A token of the provider for the principal (aborts the test binary when the provider does
  // not answer). A service principal gets every API scope. Cached for a third of its life.
  std::string Token(auth::Role role, const std::string& tenant, const std::string& subject,
                    std::chrono::seconds ttl = std::chrono::seconds(600)) const;
  // Offline: an ES256 token naming the provider as issuer, signed by a key it never had.
  std::string TokenSignedByAnotherKey(const std::string& tenant, const std::string& subject) const;
  static std::string Issuer();  // the provider's issuer (ADVOCACY_OIDC_ISSUER)

 private:
  mutable std::mutex mu_;
  mutable std::map<std::string, std::pair<std::string, std::chrono::steady_clock::time_point>>
      cache_;  // guarded by mu_
};

// The credentials of one of the stack's confidential clients (its secret from
// $ADVOCACY_OIDC_SECRETS_DIR/<client_id>.secret), for `resource` (urn:advocacy:<service>).
oidc::ClientCredentials StackClient(const std::string& client_id, const std::string& resource,
                                    const std::string& scope = "");
// The notifications service's identity towards consent, as a process environment: the stack's
// client `notifications` (NOTIFICATIONS_OIDC_TOKEN_URL, _CLIENT_ID, _CLIENT_SECRET_FILE,
// _CA_FILE).
std::map<std::string, std::string> NotificationsIdentityEnv();
// The audience a service accepts: "advocacy-<service>".
std::string Audience(const std::string& service);

// gRPC TLS of the local stack (deploy/local/stack.sh issues, from the stack's CA, one certificate
// per service and the client certificates advocacy-ops and advocacy-it into
// $ADVOCACY_GRPC_TLS_DIR/<name>.pem and .key; ADVOCACY_GRPC_TLS_CA_FILE is the CA).
// The variables of a service process serving with its own certificate and requiring client
// certificates of the stack's CA, as in production; {ADVOCACY_GRPC_TLS=off} when the environment
// names no ADVOCACY_GRPC_TLS_DIR.
std::map<std::string, std::string> GrpcTlsEnv(const std::string& service);
// Channel settings presenting `identity`'s certificate (the tests' own is advocacy-it) and
// checking servers against the stack's CA; disabled (plaintext) without ADVOCACY_GRPC_TLS_DIR.
grpc_tls::Settings ClientTls(const std::string& identity = "advocacy-it");
// grpc_tls::ChannelCredentials(ClientTls(identity)); aborts on a broken stack.
std::shared_ptr<grpc::ChannelCredentials> ClientCredentials(
    const std::string& identity = "advocacy-it");

// One service process. Start() waits until the gRPC health service answers SERVING. Unless `env`
// sets ADVOCACY_KAFKA_SECURITY_PROTOCOL, the process gets KafkaEnv(<binary's file name>), and
// unless it sets ADVOCACY_REDIS_USERNAME, RedisEnv(<binary's file name>): each service runs as its
// own Kafka principal and its own Redis user, as in production. With ADVOCACY_AUTH_ISSUERS_FILE
// and no ADVOCACY_JWT_AUDIENCE in `env`, it accepts tokens for itself only:
// Audience(<binary's file name>). Unless `env` sets ADVOCACY_GRPC_TLS, it serves gRPC with
// GrpcTlsEnv(<binary's file name>), and channel() then speaks mutual TLS as advocacy-it.
class ServiceProcess {
 public:
  ServiceProcess(std::string binary, std::map<std::string, std::string> env);
  ~ServiceProcess();

  absl::Status Start(std::chrono::milliseconds ready_within = std::chrono::seconds(30));
  // SIGTERM and wait; returns the exit status (or -1).
  int Stop();
  void Kill();
  bool running() const { return pid_ > 0; }
  int grpc_port() const { return grpc_port_; }
  int metrics_port() const { return metrics_port_; }
  std::string address() const { return "127.0.0.1:" + std::to_string(grpc_port_); }
  const std::string& log_path() const { return log_path_; }
  std::shared_ptr<grpc::Channel> channel() const;
  // Whether the process serves gRPC over TLS (its ADVOCACY_GRPC_TLS is on).
  bool tls() const;

 private:
  std::string binary_;
  std::map<std::string, std::string> env_;
  int grpc_port_;
  int metrics_port_;
  std::string log_path_;
  int pid_ = -1;
};

// grpc.health.v1.Health/Check through a generic stub: "SERVING", "NOT_SERVING", or an error.
std::string HealthStatus(const std::shared_ptr<grpc::Channel>& channel,
                         const std::string& service = "");

// Body of GET http://127.0.0.1:port/metrics, or "" on failure.
std::string HttpGet(int port, const std::string& path);

// One HTTP request with libcurl (no redirects followed, 10 s timeout): the status (0 when no
// answer came), the response headers (names lower-cased; the last of a repeated name) and the
// body. `headers` are "Name: value" lines.
struct HttpResult {
  int status = 0;
  std::map<std::string, std::string> headers;
  std::vector<std::string> all_headers;  // every header line as sent ("Name: value")
  std::vector<std::string> set_cookies;  // the value of every Set-Cookie, in order
  std::string body;
  std::string Header(const std::string& name) const {
    auto it = headers.find(name);
    return it == headers.end() ? "" : it->second;
  }
};
HttpResult HttpRequest(const std::string& method, const std::string& url,
                       const std::vector<std::string>& headers = {}, const std::string& body = "");

// Collects every message on a topic from the beginning (a fresh consumer group).
class TopicReader {
 public:
  explicit TopicReader(const std::string& topic);
  ~TopicReader();
  // Messages whose key equals `key`, in arrival order.
  std::vector<kafka::Message> ForKey(const std::string& key);
  bool WaitForKeyCount(const std::string& key, size_t count, std::chrono::milliseconds limit);

 private:
  struct State;
  std::shared_ptr<State> state_;
  std::unique_ptr<kafka::Consumer> consumer_;
};

// A unique id for tenants and employees, so tests never see each other's data.
std::string UniqueId(const std::string& prefix);

// One message a SmtpSink accepted.
struct ReceivedMail {
  std::string mail_from;             // the MAIL FROM address, without brackets
  std::vector<std::string> rcpt_to;  // the accepted RCPT TO addresses
  std::string data;                  // the raw message (headers and body, CRLF, un-dot-stuffed)
  // Header fields of `data`: names lower-cased, folded values unfolded; the first of repeated
  // names wins.
  std::map<std::string, std::string> headers;
  int64_t received_unix_nanos = 0;  // when the sink accepted it (after the final ".")
};

struct SmtpSinkOptions {
  bool starttls = false;  // require STARTTLS, with a self-signed certificate (see ca_file())
  std::string username, password;  // require AUTH PLAIN/LOGIN (over TLS when starttls)
  int fail_first = 0;              // reply "451 4.3.0 try again" to the first N messages
  std::string reject_rcpt_domain;  // reply 550 to RCPT TO for addresses in this domain
};

// A real SMTP server (tests/integration/smtp_sink.py on aiosmtpd, run with /usr/bin/python3)
// on a free loopback port. It records every accepted message and relays nothing. A message
// whose transaction ends without the final "." is never recorded, as at a real relay.
class SmtpSink {
 public:
  // FAILED_PRECONDITION when /usr/bin/python3 cannot import aiosmtpd (install
  // python3-aiosmtpd); INTERNAL when the server does not come up (the message has its log).
  static absl::StatusOr<std::unique_ptr<SmtpSink>> Start(SmtpSinkOptions options = {});
  ~SmtpSink();  // stops the server and removes its files
  SmtpSink(const SmtpSink&) = delete;
  SmtpSink& operator=(const SmtpSink&) = delete;

  int port() const { return port_; }
  std::string url() const;                            // "smtp://127.0.0.1:<port>"
  std::string ca_file() const { return cert_file_; }  // the self-signed cert when starttls
  // Everything accepted so far, in order, across restarts.
  std::vector<ReceivedMail> Mails() const;
  bool WaitForCount(size_t n, std::chrono::milliseconds limit) const;
  // Kills the server and waits for it: new connections are refused until Restart().
  void Stop();
  // Starts it again on the same port, keeping what it recorded.
  absl::Status Restart();

 private:
  SmtpSink(SmtpSinkOptions options, std::string dir);
  absl::Status Launch(int port);
  size_t CountLines() const;

  SmtpSinkOptions options_;
  std::string dir_;
  std::string cert_file_;
  std::string key_file_;
  int port_ = 0;
  int pid_ = -1;
  mutable std::mutex count_mu_;
  mutable size_t counted_bytes_ = 0;  // guarded by count_mu_
  mutable size_t counted_lines_ = 0;  // guarded by count_mu_
};

}  // namespace advocacy::it
