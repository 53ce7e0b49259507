#include "commands.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <memory>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/oidc_client.h"
#include "advocacy/common/strings.h"
#include "output.h"
#include "parsing.h"
#include "session.h"

namespace advocacy::ctl {
namespace {

namespace v1 = consent::v1;
using std::chrono::milliseconds;

// Tokens minted for a single call live just long enough for it, so one left in a shell history
// or a log is worthless soon after.
constexpr std::chrono::seconds kPerCallTokenTtl{300};
constexpr std::chrono::seconds kMaxTokenTtl{24 * 3600};
// Key files are a few hundred bytes and employee lists at most 10,000 ids; anything far larger
// is the wrong file.
constexpr std::uintmax_t kMaxInputFileBytes = std::uintmax_t{16} * 1024 * 1024;
constexpr std::string_view kPrivateKeyFile = "jwt-private.pem";
constexpr std::string_view kPublicKeyFile = "jwt-public.pem";

int UsageError(std::string_view message) {
  std::cerr << "error: " << message << "\n";
  return kExitUsage;
}

int UsageError(const absl::Status& status) { return UsageError(std::string(status.message())); }

absl::StatusOr<std::string> ReadFile(const std::string& path, std::string_view what) {
  std::istream* in = &std::cin;
  std::ifstream file;
  if (path != "-") {
    std::error_code ec;
    const auto size = std::filesystem::file_size(path, ec);
    if (ec) {
      return absl::InvalidArgumentError(
          StrCat("cannot read ", what, " '", path, "': ", ec.message()));
    }
    if (size > kMaxInputFileBytes) {
      return absl::InvalidArgumentError(StrCat(what, " '", path, "' is larger than ",
                                               kMaxInputFileBytes,
                                               " bytes; is it the right file?"));
    }
    file.open(path, std::ios::binary);
    if (!file) {
      return absl::InvalidArgumentError(
          StrCat("cannot open ", what, " '", path, "': ", std::strerror(errno)));
    }
    in = &file;
  }
  std::string data;
  std::array<char, size_t{64} * 1024> buffer{};
  while (in->read(buffer.data(), buffer.size()) || in->gcount() > 0) {
    data.append(buffer.data(), static_cast<size_t>(in->gcount()));
    if (data.size() > kMaxInputFileBytes) {
      return absl::InvalidArgumentError(
          StrCat(what, " '", path, "' is larger than ", kMaxInputFileBytes, " bytes"));
    }
  }
  if (in->bad()) {
    return absl::InvalidArgumentError(StrCat("error while reading ", what, " '", path, "'"));
  }
  return data;
}

absl::StatusOr<std::string> MintFor(const GlobalOptions& g, std::chrono::seconds ttl) {
  auto principal = ParsePrincipal(g.as);
  if (!principal.ok()) return principal.status();
  if (g.key_file.empty()) {
    return absl::InvalidArgumentError(
        "--as needs the private key to sign with: pass --key-file or set "
        "ADVOCACY_JWT_PRIVATE_KEY_FILE (create one with `advocacyctl keygen`)");
  }
  auto pem = ReadFile(g.key_file, "private key file");
  if (!pem.ok()) return pem.status();
  auto token = auth::MintToken({.private_key_pem = std::move(*pem),
                                .issuer = g.issuer,
                                .audience = g.audience,
                                .principal = std::move(*principal),
                                .ttl = ttl});
  if (!token.ok()) {
    return absl::InvalidArgumentError(StrCat("cannot mint a token with --key-file '", g.key_file,
                                             "': ", std::string(token.status().message())));
  }
  return token;
}

// A token of the identity provider for --oidc-client-id, by client credentials.
absl::StatusOr<std::string> FetchOidc(const GlobalOptions& g) {
  if (!g.as.empty()) {
    return absl::InvalidArgumentError(
        "--oidc and --as exclude each other: the provider decides who the client is");
  }
  if (g.oidc_token_url.empty() || g.oidc_client_id.empty() || g.oidc_secret_file.empty()) {
    return absl::InvalidArgumentError(
        "--oidc needs --oidc-token-url, --oidc-client-id and --oidc-client-secret-file (or "
        "ADVOCACY_OIDC_TOKEN_URL, ADVOCACY_OIDC_CLIENT_ID, ADVOCACY_OIDC_CLIENT_SECRET_FILE)");
  }
  auto secret = oidc::ReadClientSecretFile(g.oidc_secret_file);
  if (!secret.ok()) return secret.status();
  auto token = oidc::RequestToken({.token_url = g.oidc_token_url,
                                   .ca_file = g.oidc_ca_file,
                                   .client_id = g.oidc_client_id,
                                   .client_secret = std::move(*secret),
                                   .resource = g.oidc_resource,
                                   .scope = g.oidc_scope});
  if (!token.ok()) return token.status();
  return token->value;
}

// --oidc, then --as, win over --token so that a one-off call works in a shell that exports
// ADVOCACY_TOKEN.
absl::StatusOr<std::string> ResolveToken(const GlobalOptions& g, bool required) {
  if (g.oidc) return FetchOidc(g);
  if (!g.as.empty()) return MintFor(g, kPerCallTokenTtl);
  std::string_view token = g.token;
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.back()))) {
    token.remove_suffix(1);
  }
  while (!token.empty() && std::isspace(static_cast<unsigned char>(token.front()))) {
    token.remove_prefix(1);
  }
  if (token.size() > 7) {
    std::string scheme(token.substr(0, 7));
    std::transform(scheme.begin(), scheme.end(), scheme.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    if (scheme == "bearer ") token.remove_prefix(7);
  }
  if (token.empty()) {
    if (!required) return std::string();
    return absl::InvalidArgumentError(
        "no credentials: pass --token (or set ADVOCACY_TOKEN), or --as with --key-file to mint "
        "a dev token");
  }
  // gRPC refuses metadata values outside visible ASCII; catching it here gives a clear message.
  for (char c : token) {
    if (c < 0x21 || c > 0x7e) {
      return absl::InvalidArgumentError(
          "--token contains spaces or non-ASCII characters; pass the bare JWT");
    }
  }
  return std::string(token);
}

absl::StatusOr<milliseconds> ParsePositiveDuration(std::string_view flag, std::string_view text) {
  auto d = ParseDuration(text);
  if (!d.ok()) return absl::InvalidArgumentError(StrCat(flag, ": ", d.status().message()));
  if (d->count() <= 0) return absl::InvalidArgumentError(StrCat(flag, " must be positive"));
  return *d;
}

absl::StatusOr<std::unique_ptr<Session>> OpenSession(const GlobalOptions& g,
                                                     bool credentials_required) {
  if (g.address.empty()) {
    return absl::InvalidArgumentError("--addr is empty; pass host:port of the consent service");
  }
  auto timeout = ParsePositiveDuration("--timeout", g.timeout);
  if (!timeout.ok()) return timeout.status();
  auto token = ResolveToken(g, credentials_required);
  if (!token.ok()) return token.status();
  const grpc_tls::Settings tls{.enabled = !g.plaintext,
                               .cert_file = g.plaintext ? "" : g.tls_cert,
                               .key_file = g.plaintext ? "" : g.tls_key,
                               .ca_file = g.plaintext ? "" : g.tls_ca};
  auto credentials = grpc_tls::ChannelCredentials(tls);
  if (!credentials.ok()) {
    return absl::InvalidArgumentError(
        StrCat("--tls-ca/--tls-cert/--tls-key: ", credentials.status().message()));
  }
  return std::make_unique<Session>(SessionOptions{.address = g.address,
                                                  .token = std::move(*token),
                                                  .timeout = *timeout,
                                                  .credentials = std::move(*credentials)});
}

int ReportRpcError(const GlobalOptions& g, const Session& session, const grpc::Status& status) {
  std::cerr << "error: " << StatusCodeName(status.error_code()) << ": " << status.error_message()
            << "\n";
  switch (status.error_code()) {
    case grpc::StatusCode::UNAVAILABLE:
      std::cerr << "hint: is the consent service running at " << g.address
                << "? (set it with --addr or ADVOCACY_CONSENT_ADDR)"
                << (g.plaintext ? "; does it serve plaintext (ADVOCACY_GRPC_TLS=off)?"
                                : "; a refused TLS handshake looks the same: check --tls-ca, "
                                  "--tls-cert and --tls-key (the service may require a client "
                                  "certificate)")
                << "\n";
      break;
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      std::cerr << "hint: no answer within --timeout " << g.timeout << "\n";
      break;
    case grpc::StatusCode::UNAUTHENTICATED:
      std::cerr << "hint: the token's issuer, audience and key must match the service's "
                   "ADVOCACY_JWT_* settings\n";
      break;
    default:
      break;
  }
  std::cerr << "request id: " << session.last_request_id() << "\n";
  return kExitRpcError;
}

template <typename Response>
int Print(const GlobalOptions& g, const Response& response) {
  if (!g.json) {
    std::cout << Human(response) << "\n";
    return kExitOk;
  }
  auto json = ToJson(response);
  if (!json.ok()) {
    std::cerr << "error: " << json.status().message() << "\n";
    return kExitRpcError;
  }
  std::cout << *json << "\n";
  return kExitOk;
}

template <typename Request, typename Response>
using StubMethod = grpc::Status (v1::ConsentService::Stub::*)(grpc::ClientContext*, const Request&,
                                                              Response*);

// Sends one unary RPC with credentials; every RPC subcommand ends here.
template <typename Request, typename Response>
int Call(const GlobalOptions& g, StubMethod<Request, Response> method, const Request& request) {
  if (auto st = CheckUtf8Fields(request); !st.ok()) return UsageError(st);
  auto session = OpenSession(g, /*credentials_required=*/true);
  if (!session.ok()) return UsageError(session.status());
  auto context = (*session)->NewContext();
  Response response;
  const grpc::Status status = ((*session)->consent().*method)(context.get(), request, &response);
  if (!status.ok()) return ReportRpcError(g, **session, status);
  return Print(g, response);
}

absl::Status AddScopes(const std::vector<std::string>& texts,
                       google::protobuf::RepeatedPtrField<v1::ConsentScope>* out) {
  for (const std::string& text : texts) {
    auto scope = ParseScope(text);
    if (!scope.ok()) return scope.status();
    *out->Add() = std::move(*scope);
  }
  return absl::OkStatus();
}

class ScopedFd final {
 public:
  explicit ScopedFd(int fd) : fd_(fd) {}
  ~ScopedFd() { ::close(fd_); }
  ScopedFd(const ScopedFd&) = delete;
  ScopedFd& operator=(const ScopedFd&) = delete;
  ScopedFd(ScopedFd&&) = delete;
  ScopedFd& operator=(ScopedFd&&) = delete;

 private:
  int fd_;
};

// Writes `data` to `path` with `mode`. Without `force`, O_EXCL makes an existing file an error
// even if it appears after the caller's check; with it, fchmod narrows the mode of a file that
// already existed, which open() alone would keep.
absl::Status WriteNewFile(const std::filesystem::path& path, std::string_view data, mode_t mode,
                          bool force) {
  const int flags = O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW | (force ? O_TRUNC : O_EXCL);
  const int fd = ::open(path.c_str(), flags, mode);
  if (fd < 0) {
    return absl::InternalError(
        StrCat("cannot create '", path.string(), "': ", std::strerror(errno)));
  }
  const ScopedFd closer(fd);
  if (::fchmod(fd, mode) != 0) {
    return absl::InternalError(
        StrCat("cannot set the mode of '", path.string(), "': ", std::strerror(errno)));
  }
  while (!data.empty()) {
    const ssize_t n = ::write(fd, data.data(), data.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      return absl::InternalError(
          StrCat("cannot write '", path.string(), "': ", std::strerror(errno)));
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
  if (::fsync(fd) != 0) {
    return absl::InternalError(StrCat("cannot sync '", path.string(), "': ", std::strerror(errno)));
  }
  return absl::OkStatus();
}

}  // namespace

int RunKeygen(const KeygenArgs& args) {
  namespace fs = std::filesystem;
  if (args.out_dir.empty()) return UsageError("--out-dir is empty");
  const fs::path dir(args.out_dir);
  const fs::path private_path = dir / kPrivateKeyFile;
  const fs::path public_path = dir / kPublicKeyFile;
  std::error_code ec;
  if (!args.force) {
    for (const fs::path& p : {private_path, public_path}) {
      if (fs::symlink_status(p, ec).type() != fs::file_type::not_found) {
        return UsageError(StrCat("'", p.string(),
                                 "' already exists; pass --force to replace the key pair "
                                 "(tokens signed with the old key stop working)"));
      }
    }
  }
  fs::create_directories(dir, ec);
  if (ec) {
    std::cerr << "error: cannot create directory '" << dir.string() << "': " << ec.message()
              << "\n";
    return kExitRpcError;
  }
  auto pair = auth::GenerateKeyPair();
  if (!pair.ok()) {
    std::cerr << "error: cannot generate a key pair: " << pair.status().message() << "\n";
    return kExitRpcError;
  }
  // The private key first: a public key without its private half is useless, the reverse is not.
  for (const auto& [path, data, mode] :
       {std::tuple{private_path, std::string_view(pair->first), mode_t{0600}},
        std::tuple{public_path, std::string_view(pair->second), mode_t{0644}}}) {
    if (auto st = WriteNewFile(path, data, mode, args.force); !st.ok()) {
      std::cerr << "error: " << st.message() << "\n";
      return kExitRpcError;
    }
  }
  std::cout << "wrote " << private_path.string() << " (private, mode 0600) and "
            << public_path.string() << " (public)\n";
  return kExitOk;
}

int RunToken(const GlobalOptions& global, const TokenArgs& args) {
  if (global.oidc) {
    auto token = FetchOidc(global);
    if (!token.ok()) return UsageError(token.status());
    std::cout << *token << "\n";
    return kExitOk;
  }
  if (global.as.empty()) {
    return UsageError(
        "token needs --oidc (a token of the identity provider) or, offline, --as "
        "employee:<tenant>:<id> | admin:<tenant>:<id> | service:<tenant>:<name>");
  }
  auto ttl = ParsePositiveDuration("--ttl", args.ttl);
  if (!ttl.ok()) return UsageError(ttl.status());
  if (*ttl < std::chrono::seconds(1) || *ttl > kMaxTokenTtl) {
    return UsageError("--ttl must be between 1s and 24h");
  }
  auto token = MintFor(global, std::chrono::duration_cast<std::chrono::seconds>(*ttl));
  if (!token.ok()) return UsageError(token.status());
  std::cout << *token << "\n";
  return kExitOk;
}

int RunHealth(const GlobalOptions& global, const HealthArgs& args) {
  auto session = OpenSession(global, /*credentials_required=*/false);
  if (!session.ok()) return UsageError(session.status());
  auto per_call = ParsePositiveDuration("--timeout", global.timeout);
  if (!per_call.ok()) return UsageError(per_call.status());

  if (args.wait.empty()) {
    ServingStatus serving = ServingStatus::kUnknown;
    const grpc::Status status =
        (*session)->CheckHealth(args.service, *per_call, /*wait_for_ready=*/false, &serving);
    if (!status.ok()) return ReportRpcError(global, **session, status);
    std::cout << ServingStatusName(serving) << "\n";
    return serving == ServingStatus::kServing ? kExitOk : kExitRpcError;
  }

  auto wait = ParsePositiveDuration("--wait", args.wait);
  if (!wait.ok()) return UsageError(wait.status());
  const auto deadline = std::chrono::steady_clock::now() + *wait;
  milliseconds pause(100);
  grpc::Status last_status = grpc::Status::OK;
  ServingStatus last_serving = ServingStatus::kUnknown;
  while (true) {
    const auto remaining =
        std::chrono::duration_cast<milliseconds>(deadline - std::chrono::steady_clock::now());
    if (remaining.count() <= 0) break;
    // wait_for_ready: while the server is not listening yet the call waits for the connection
    // (up to its deadline) instead of failing at once, so readiness is noticed promptly.
    last_status = (*session)->CheckHealth(args.service, std::min(*per_call, remaining),
                                          /*wait_for_ready=*/true, &last_serving);
    if (last_status.ok() && last_serving == ServingStatus::kServing) {
      std::cout << ServingStatusName(last_serving) << "\n";
      return kExitOk;
    }
    const auto left = deadline - std::chrono::steady_clock::now();
    if (left <= milliseconds(0)) break;
    std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(pause, left));
    pause = std::min(pause * 2, milliseconds(1000));
  }
  if (last_status.ok()) {
    std::cout << ServingStatusName(last_serving) << "\n";
    std::cerr << "error: still " << ServingStatusName(last_serving) << " after --wait " << args.wait
              << "\n";
    return kExitRpcError;
  }
  std::cerr << "not serving after --wait " << args.wait << "; the last attempt failed:\n";
  return ReportRpcError(global, **session, last_status);
}

int RunNoticePublish(const GlobalOptions& global, const NoticePublishArgs& args) {
  v1::PublishNoticeRequest request;
  request.set_tenant_id(args.tenant);
  request.set_version(args.version);
  request.set_material(args.material);
  request.set_summary(args.summary);
  request.set_url(args.url);
  return Call(global, &v1::ConsentService::Stub::PublishNotice, request);
}

int RunNoticeCurrent(const GlobalOptions& global, const NoticeCurrentArgs& args) {
  v1::GetCurrentNoticeRequest request;
  request.set_tenant_id(args.tenant);
  return Call(global, &v1::ConsentService::Stub::GetCurrentNotice, request);
}

int RunGive(const GlobalOptions& global, const GiveArgs& args) {
  v1::GiveConsentRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  if (auto st = AddScopes(args.scopes, request.mutable_scopes()); !st.ok()) return UsageError(st);
  request.set_notice_version(args.notice);
  auto method = ParseMethod(args.method);
  if (!method.ok()) return UsageError(method.status());
  request.set_method(*method);
  request.set_idempotency_key(args.idempotency_key);
  return Call(global, &v1::ConsentService::Stub::GiveConsent, request);
}

int RunWithdraw(const GlobalOptions& global, const WithdrawArgs& args) {
  if (!args.all && args.scopes.empty()) {
    return UsageError("withdraw needs --scope (one or more) or --all");
  }
  if (args.all && !args.scopes.empty()) return UsageError("pass --scope or --all, not both");
  v1::WithdrawConsentRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  if (auto st = AddScopes(args.scopes, request.mutable_scopes()); !st.ok()) return UsageError(st);
  request.set_all_scopes(args.all);
  auto method = ParseMethod(args.method);
  if (!method.ok()) return UsageError(method.status());
  request.set_method(*method);
  request.set_idempotency_key(args.idempotency_key);
  return Call(global, &v1::ConsentService::Stub::WithdrawConsent, request);
}

int RunCheck(const GlobalOptions& global, const CheckArgs& args) {
  v1::CheckConsentRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  auto scope = ParseScope(args.scope);
  if (!scope.ok()) return UsageError(scope.status());
  *request.mutable_scope() = std::move(*scope);
  return Call(global, &v1::ConsentService::Stub::CheckConsent, request);
}

int RunState(const GlobalOptions& global, const EmployeeArgs& args) {
  v1::GetConsentStateRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  return Call(global, &v1::ConsentService::Stub::GetConsentState, request);
}

int RunHistory(const GlobalOptions& global, const HistoryArgs& args) {
  v1::ListConsentHistoryRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  request.set_page_size(args.page_size);
  request.set_page_token(args.page_token);
  return Call(global, &v1::ConsentService::Stub::ListConsentHistory, request);
}

int RunBatchCheck(const GlobalOptions& global, const BatchCheckArgs& args) {
  v1::BatchCheckConsentRequest request;
  request.set_tenant_id(args.tenant);
  auto scope = ParseScope(args.scope);
  if (!scope.ok()) return UsageError(scope.status());
  *request.mutable_scope() = std::move(*scope);

  std::vector<std::string> ids;
  if (!args.employees_file.empty()) {
    auto text = ReadFile(args.employees_file, "employees file");
    if (!text.ok()) return UsageError(text.status());
    ids = SplitEmployeeIds(*text);
  } else {
    for (const std::string& item : args.employees) {
      for (std::string& id : SplitEmployeeIds(item)) ids.push_back(std::move(id));
    }
  }
  if (ids.empty()) {
    return UsageError(
        "batch-check needs at least one employee id (--employees or --employees-file)");
  }
  for (std::string& id : ids) request.add_employee_ids(std::move(id));
  return Call(global, &v1::ConsentService::Stub::BatchCheckConsent, request);
}

int RunPropagation(const GlobalOptions& global, const PropagationArgs& args) {
  v1::GetPropagationStatusRequest request;
  request.set_tenant_id(args.tenant);
  request.set_employee_id(args.employee);
  request.set_sequence(args.sequence);
  return Call(global, &v1::ConsentService::Stub::GetPropagationStatus, request);
}

}  // namespace advocacy::ctl
