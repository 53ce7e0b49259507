#pragma once

// What the three managers of the courses domain share: options, the clock, ids, how events
// become outbox entries, and the Redis hash tags their aggregates live under. Plain C++ on the
// protobuf messages: no gRPC, no Redis, no Prometheus. (Fingerprints are digest::Fingerprint;
// the interfaces the domain needs from outside are in ports.h.)

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/clock.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/courses/v1/courses.pb.h"

namespace advocacy::courses {

struct DomainOptions {
  std::string topic = "advocacy.courses.v1";
  std::string event_source = "/advocacy/courses";
  // How long idempotency keys of employee writes (enroll, quiz, registration) are remembered.
  // Keys of creations (courses, checklists, broadcasts) live as long as what they created.
  std::chrono::milliseconds idempotency_ttl{std::chrono::hours(24)};
  // Compare-and-set retries before a write gives up with ABORTED. Broadcast registrations are
  // the hot spot: every registration of one broadcast goes through one sequence number.
  int max_commit_attempts = 64;
};

// The compare-and-set bound of `options`, for idempotent::Write / RetryOnConflict; `what` names
// the contended record in the ABORTED message ("this course", "this broadcast").
idempotent::Options RetryOptions(const DomainOptions& options, std::string_view what);

using Clock = std::function<int64_t()>;  // milliseconds since the epoch

google::protobuf::Timestamp ToTimestamp(int64_t ms);
int64_t ToMillis(const google::protobuf::Timestamp& ts);

// Serialization with map entries sorted, so equal messages give equal bytes.
std::string DeterministicBytes(const google::protobuf::Message& message);

// `bytes` random bytes from the operating system's CSPRNG, as lowercase hex.
std::string RandomHex(size_t bytes);
// A new id "<prefix>-<16 hex>": random, or derived from an idempotency key so that a retried
// creation lands on the same id (and the same Redis slot) without any lookup: the first 8 bytes
// of digest::Fingerprint({"id", prefix, tenant_id, idempotency_key}). Ids already handed out
// depend on these bytes: never change the derivation.
std::string NewId(std::string_view prefix, std::string_view tenant_id,
                  std::string_view idempotency_key);
// 26 characters of Crockford base32 holding 128 random bits.
std::string NewVerificationCode();
// Upper-cases, drops '-' and spaces, maps the Crockford look-alikes (O->0, I/L->1); then
// InvalidArgument naming `field` unless 26 base32 characters remain.
absl::StatusOr<std::string> NormalizeVerificationCode(std::string_view field,
                                                      std::string_view code);

// Kafka keys: one aggregate each, so its events stay in order on one partition.
std::string CourseEventKey(std::string_view tenant_id, std::string_view course_id);
std::string EmployeeEventKey(std::string_view tenant_id, std::string_view employee_id);
std::string BroadcastEventKey(std::string_view tenant_id, std::string_view broadcast_id);
std::string PolicyEventKey(std::string_view tenant_id);

// Redis hash tags (see redis_courses_store.h): the outbox list of each aggregate lives in the
// aggregate's slot.
std::string TenantTag(std::string_view tenant_id);
std::string LearnerTag(std::string_view tenant_id, std::string_view employee_id);
std::string BroadcastTag(std::string_view tenant_id, std::string_view broadcast_id);

// Turns a domain event into an encoded outbox entry: CloudEvents binary mode, ce_type the
// message's full name, ce_subject the Kafka key.
class EventEncoder final {
 public:
  explicit EventEncoder(const DomainOptions& options)
      : topic_(options.topic), source_(options.event_source) {}
  std::string Encode(const std::string& kafka_key, const google::protobuf::Message& event,
                     int64_t now_ms) const;

 private:
  std::string topic_;
  std::string source_;
};

// Only the employee themselves: learning and registration are voluntary, so an admin or a
// service may read an employee's progress but never enroll or register them.
absl::Status AuthorizeSelf(const auth::Principal& caller, std::string_view tenant_id,
                           std::string_view employee_id);

}  // namespace advocacy::courses
