#pragma once

// The one way a service changes state that others may change at the same time: optimistic
// compare-and-set with an optional idempotency key.
//
// Each attempt loads the current state with its version (a sequence or revision), decides what
// to write, and commits with the version it loaded as the expected one; the store refuses the
// commit when the version moved (someone else wrote first). Then the loop loads and decides
// again, at most `max_attempts` times, and answers ABORTED after that: a caller retrying with
// the same idempotency key is safe.
//
// With an idempotency key, the commit also records (atomically, SET NX in the same script) what
// the write did, under the key, with the request's fingerprint. Before each attempt the record
// is looked up: a record with the same fingerprint replays the first answer without writing
// again; a record with another fingerprint is FAILED_PRECONDITION (the key was reused for a
// different request). The fingerprint comes from digest::Fingerprint over what identifies the
// request (method, caller, canonical request bytes).
//
// Usage:
//
//   return idempotent::Write<Response>(
//       {.max_attempts = options_.max_commit_attempts, .what = "this employee's consent"},
//       request.idempotency_key(), fingerprint,
//       [&] { return store_->GetIdempotency(tenant, employee, key); },   // optional<Record>
//       [&](const Record& record) -> absl::StatusOr<Response> { ... },   // the replay
//       [&]() -> idempotent::Attempt<Response> {                         // one attempt
//         ASSIGN_OR_RETURN(Snapshot snapshot, store_->Load(...));
//         ... decide ...
//         ASSIGN_OR_RETURN(CommitResult r, store_->Commit(commit));
//         if (r != CommitResult::kCommitted) return idempotent::kConflict;
//         return response;
//       });

#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/strings.h"

namespace advocacy::idempotent {

struct Options {
  int max_attempts = 16;
  // What was contended, for the ABORTED message: "too many concurrent changes to <what>; ...".
  std::string_view what = "this record";
};

// The outcome of one attempt: a result, a conflict (load and decide again), or an error.
struct Conflict {};
inline constexpr Conflict kConflict{};

template <typename T>
class Attempt final {
 public:
  Attempt(Conflict) {}  // NOLINT(google-explicit-constructor): `return kConflict;`
  // clang-format 14 (Debian 12's) cannot lay out a requires-clause.
  // clang-format off
  template <typename U>
    requires std::is_constructible_v<absl::StatusOr<T>, U&&>
  // The requires-clause keeps this from hiding the copy and move constructors, which
  // clang-tidy 14 does not see.
  // NOLINTNEXTLINE(bugprone-forwarding-reference-overload)
  Attempt(U&& value) : result_(std::forward<U>(value)) {}  // NOLINT(google-explicit-constructor)
  // clang-format on

  bool conflict() const { return !result_.has_value(); }
  absl::StatusOr<T>&& result() && { return *std::move(result_); }

 private:
  std::optional<absl::StatusOr<T>> result_;
};

// The ABORTED status after the last attempt.
inline absl::Status TooContended(std::string_view what) {
  return absl::AbortedError(StrCat("too many concurrent changes to ", what,
                                   "; retry (with the same idempotency_key, if any)"));
}

// FAILED_PRECONDITION when a stored fingerprint is not this request's.
inline absl::Status CheckFingerprint(std::string_view stored, std::string_view fingerprint) {
  if (stored == fingerprint) return absl::OkStatus();
  return absl::FailedPreconditionError(
      "idempotency_key: already used for a different request; use a new key for a new request");
}

// Runs `attempt` (returning Attempt<T>) until it does not report a conflict, at most
// options.max_attempts times.
template <typename T, typename AttemptFn>
absl::StatusOr<T> RetryOnConflict(const Options& options, AttemptFn&& attempt) {
  for (int i = 0; i < options.max_attempts; ++i) {
    Attempt<T> a = attempt();
    if (!a.conflict()) return std::move(a).result();
  }
  return TooContended(options.what);
}

// The loop with an idempotency record: before each attempt, when `key` is not empty, `find`
// (returning absl::StatusOr<std::optional<Record>>, Record having fingerprint()) looks up the
// record; a matching one is answered by `replay(record)` (returning absl::StatusOr<T>).
template <typename T, typename FindFn, typename ReplayFn, typename AttemptFn>
absl::StatusOr<T> Write(const Options& options, std::string_view key, std::string_view fingerprint,
                        FindFn&& find, ReplayFn&& replay, AttemptFn&& attempt) {
  return RetryOnConflict<T>(options, [&]() -> Attempt<T> {
    if (!key.empty()) {
      auto record = find();
      if (!record.ok()) return record.status();
      if (record->has_value()) {
        if (auto st = CheckFingerprint((*record)->fingerprint(), fingerprint); !st.ok()) return st;
        return replay(**record);
      }
    }
    return attempt();
  });
}

}  // namespace advocacy::idempotent
