#pragma once

// Helpers shared by the benchmark and load tools: token minting with one key read, client
// contexts, a parallel loop for seeding, and turning a gRPC status into an absl::Status.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/strings.h"
#include "load_engine.h"

namespace advocacy::bench {

// Mints "Bearer <token>" values for one tenant with one read of the private key.
class Minter final {
 public:
  static absl::StatusOr<Minter> Create(const std::string& private_key_file, std::string issuer,
                                       std::string audience, std::string tenant) {
    auto key = ReadFile(private_key_file);
    if (!key.ok()) return key.status();
    return Minter(std::move(*key), std::move(issuer), std::move(audience), std::move(tenant));
  }

  absl::StatusOr<std::string> Mint(auth::Role role, const std::string& subject) const {
    auth::MintOptions mint;
    mint.private_key_pem = key_;
    mint.issuer = issuer_;
    mint.audience = audience_;
    mint.principal.tenant_id = tenant_;
    mint.principal.subject = subject;
    mint.principal.role = role;
    // A service principal may call only the RPCs its scopes name (UnaryService::ServiceScope):
    // the load's service identity checks and reads consent, as another internal system would.
    if (role == auth::Role::kService) mint.principal.scopes = {"consent:check", "consent:read"};
    mint.ttl = std::chrono::hours(2);
    auto token = auth::MintToken(mint);
    if (!token.ok()) return token.status();
    return advocacy::StrCat("Bearer ", *token);
  }

  // One token per employee id, in order (feeds and shares are for the employee themselves).
  absl::StatusOr<std::vector<std::string>> EmployeeTokens(
      const std::vector<std::string>& employee_ids) const {
    std::vector<std::string> tokens;
    tokens.reserve(employee_ids.size());
    for (const auto& id : employee_ids) {
      auto t = Mint(auth::Role::kEmployee, id);
      if (!t.ok()) return t.status();
      tokens.push_back(std::move(*t));
    }
    return tokens;
  }

 private:
  Minter(std::string key, std::string issuer, std::string audience, std::string tenant)
      : key_(std::move(key)),
        issuer_(std::move(issuer)),
        audience_(std::move(audience)),
        tenant_(std::move(tenant)) {}

  std::string key_;
  std::string issuer_;
  std::string audience_;
  std::string tenant_;
};

inline std::unique_ptr<grpc::ClientContext> Ctx(const std::string& token, int deadline_ms) {
  auto ctx = std::make_unique<grpc::ClientContext>();
  ctx->AddMetadata("authorization", token);
  ctx->set_deadline(std::chrono::system_clock::now() + std::chrono::milliseconds(deadline_ms));
  return ctx;
}

// Runs fn(i) for i in [0, n) on `threads` threads; returns the first failure and stops handing
// out work after it.
inline absl::Status ParallelFor(int n, int threads, const std::function<absl::Status(int)>& fn) {
  std::atomic<int> next{0};
  std::mutex mu;
  absl::Status first;
  std::vector<std::thread> pool;
  pool.reserve(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      for (int i = next.fetch_add(1); i < n; i = next.fetch_add(1)) {
        absl::Status st = fn(i);
        if (!st.ok()) {
          std::lock_guard lock(mu);
          if (first.ok()) first = std::move(st);
          next.store(n);
        }
      }
    });
  }
  for (auto& th : pool) th.join();
  return first;
}

inline absl::Status Check(const grpc::Status& st, const std::string& what) {
  if (st.ok()) return absl::OkStatus();
  return absl::InternalError(advocacy::StrCat(what, " failed: ", Describe(st)));
}

}  // namespace advocacy::bench
