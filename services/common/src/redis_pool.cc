#include <chrono>
#include <cstdlib>
#include <memory>
#include <mutex>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/str_cat.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::redis {

Pool::Pool(Options options, size_t size) : options_(std::move(options)) {
  if (size == 0) {
    // A pool that can never lend a connection would make every caller time out; that is a
    // configuration bug to fix at start, not an error to handle per request.
    log::Error("Redis pool size must be at least 1; fix the pool size in the configuration");
    std::abort();
  }
  connections_.reserve(size);
  free_.reserve(size);
  for (size_t i = 0; i < size; ++i) {
    connections_.push_back(std::make_unique<Connection>(options_));
    free_.push_back(connections_.back().get());
  }
}

Pool::~Pool() {
  std::lock_guard<std::mutex> lock(mu_);
  if (free_.size() != connections_.size()) {
    // A lease still out would point into freed memory when it is returned.
    log::Error("Redis pool destroyed while connections are still leased; this is a bug",
               {{"leased", absl::StrCat(connections_.size() - free_.size())}});
    std::abort();
  }
}

absl::StatusOr<Pool::Lease> Pool::Acquire(std::chrono::milliseconds wait) {
  std::unique_lock<std::mutex> lock(mu_);
  if (!available_.wait_for(lock, wait, [this] { return !free_.empty(); })) {
    return absl::DeadlineExceededError(
        absl::StrCat("all ", connections_.size(), " connections to Redis at ", options_.host, ":",
                     options_.port, " stayed in use for ", wait.count(),
                     " ms; the pool is too small for the load or commands are slow"));
  }
  Connection* connection = free_.back();
  free_.pop_back();
  uint64_t& seen = epochs_[connection];
  if (seen != epoch_) {
    connection->Disconnect();
    seen = epoch_;
  }
  return Lease(this, connection);
}

void Pool::Return(Connection* connection) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!connection->connected()) {
      ++epoch_;
      epochs_[connection] = epoch_;  // it reconnects on its next use anyway
    }
    free_.push_back(connection);
  }
  available_.notify_one();
}

absl::Status Pool::Ping() {
  ASSIGN_OR_RETURN(const Lease lease, Acquire());
  return lease->Ping();
}

Pool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)),
      connection_(std::exchange(other.connection_, nullptr)) {}

Pool::Lease& Pool::Lease::operator=(Lease&& other) noexcept {
  if (this != &other) {
    Release();
    pool_ = std::exchange(other.pool_, nullptr);
    connection_ = std::exchange(other.connection_, nullptr);
  }
  return *this;
}

Pool::Lease::~Lease() { Release(); }

void Pool::Lease::Release() {
  if (pool_ != nullptr && connection_ != nullptr) pool_->Return(connection_);
  pool_ = nullptr;
  connection_ = nullptr;
}

absl::Status RefusedError(const Reply& reply, std::string_view what) {
  return absl::InternalError(absl::StrCat(
      "Redis refused ", absl::string_view(what.data(), what.size()), ": ", reply.DebugString()));
}

absl::StatusOr<Reply> Pool::Run(const std::vector<std::string>& args, std::string_view what) {
  ASSIGN_OR_RETURN(const Lease conn, Acquire());
  ASSIGN_OR_RETURN(Reply reply, conn->Command(args));
  if (reply.is_error()) {
    return RefusedError(reply, what.empty() && !args.empty() ? std::string_view(args[0]) : what);
  }
  return reply;
}

absl::StatusOr<Reply> Pool::Eval(const Script& script, const std::vector<std::string>& keys,
                                 const std::vector<std::string>& args, std::string_view what) {
  ASSIGN_OR_RETURN(const Lease conn, Acquire());
  ASSIGN_OR_RETURN(Reply reply, conn->Eval(script, keys, args));
  if (reply.is_error()) return RefusedError(reply, what);
  return reply;
}

absl::StatusOr<std::vector<Reply>> Pool::Pipeline(
    const std::vector<std::vector<std::string>>& commands) {
  ASSIGN_OR_RETURN(const Lease conn, Acquire());
  return conn->Pipeline(commands);
}

}  // namespace advocacy::redis
