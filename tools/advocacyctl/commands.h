#pragma once

// The subcommands of advocacyctl, each a function from parsed arguments to an exit code.
// main.cc only declares the command line and dispatches here. Every function prints its own
// result (stdout) or error (stderr) and never throws.

#include <cstdint>
#include <string>
#include <vector>

namespace advocacy::ctl {

inline constexpr int kExitOk = 0;
inline constexpr int kExitRpcError = 1;  // The server (or the channel) answered with an error.
inline constexpr int kExitUsage = 2;     // Bad arguments or local configuration; nothing was sent.

// Options shared by every subcommand; each has an environment variable (see main.cc).
struct GlobalOptions {
  std::string address = "127.0.0.1:50051";
  std::string token;     // A JWT, used unless `as` is set.
  std::string key_file;  // Private key PEM for minting with `as`.
  std::string issuer = "advocacy-local";
  std::string audience = "advocacy";
  std::string as;  // employee:<tenant>:<id> | admin:<tenant>:<id> | service:<tenant>:<name>
  std::string timeout = "5s";
  bool json = false;
  // --oidc: a token from the identity provider by client credentials (the way scripts and
  // other systems call the APIs); `as` with key_file is for offline development only.
  bool oidc = false;
  std::string oidc_token_url;
  std::string oidc_client_id;
  std::string oidc_secret_file;  // a file holding the client secret (never the secret itself)
  std::string oidc_ca_file;      // verifies the provider's https certificate
  std::string oidc_resource = "urn:advocacy:consent";
  std::string oidc_scope;
  // gRPC TLS: on unless --plaintext. The server's certificate is checked against tls_ca (empty:
  // the system's trust store); tls_cert/tls_key are the client certificate for mutual TLS.
  std::string tls_ca;
  std::string tls_cert;
  std::string tls_key;
  bool plaintext = false;
};

struct KeygenArgs {
  std::string out_dir;
  bool force = false;
};

struct TokenArgs {
  std::string ttl = "3600";
};

struct HealthArgs {
  std::string service;  // "" asks about the whole server.
  std::string wait;     // Empty: one check.
};

struct NoticePublishArgs {
  std::string tenant;
  std::string version;
  bool material = false;
  std::string summary;
  std::string url;
};

struct NoticeCurrentArgs {
  std::string tenant;
};

struct GiveArgs {
  std::string tenant;
  std::string employee;
  std::vector<std::string> scopes;
  std::string notice;
  std::string method;
  std::string idempotency_key;
};

struct WithdrawArgs {
  std::string tenant;
  std::string employee;
  std::vector<std::string> scopes;
  bool all = false;
  std::string method;
  std::string idempotency_key;
};

struct CheckArgs {
  std::string tenant;
  std::string employee;
  std::string scope;
};

struct EmployeeArgs {
  std::string tenant;
  std::string employee;
};

struct HistoryArgs {
  std::string tenant;
  std::string employee;
  int32_t page_size = 0;
  std::string page_token;
};

struct BatchCheckArgs {
  std::string tenant;
  std::string scope;
  std::vector<std::string> employees;
  std::string employees_file;  // "-" reads stdin.
};

struct PropagationArgs {
  std::string tenant;
  std::string employee;
  int64_t sequence = 0;  // 0: the employee's latest change.
};

int RunKeygen(const KeygenArgs& args);
int RunToken(const GlobalOptions& global, const TokenArgs& args);
int RunHealth(const GlobalOptions& global, const HealthArgs& args);
int RunNoticePublish(const GlobalOptions& global, const NoticePublishArgs& args);
int RunNoticeCurrent(const GlobalOptions& global, const NoticeCurrentArgs& args);
int RunGive(const GlobalOptions& global, const GiveArgs& args);
int RunWithdraw(const GlobalOptions& global, const WithdrawArgs& args);
int RunCheck(const GlobalOptions& global, const CheckArgs& args);
int RunState(const GlobalOptions& global, const EmployeeArgs& args);
int RunHistory(const GlobalOptions& global, const HistoryArgs& args);
int RunBatchCheck(const GlobalOptions& global, const BatchCheckArgs& args);
int RunPropagation(const GlobalOptions& global, const PropagationArgs& args);

}  // namespace advocacy::ctl
