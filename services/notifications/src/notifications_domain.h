#pragma once

// Validation and the small pure rules of the notifications service: field limits, default
// preferences, topic masks, deterministic job ids and stable Message-IDs. No I/O. Tenant and
// employee ids and idempotency keys follow the shared grammar (advocacy/common/ids.h).

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "advocacy/notifications/v1/notifications.pb.h"
#include "advocacy/notifications/v1/notifications_service.pb.h"
#include "google/protobuf/timestamp.pb.h"

namespace advocacy::notifications {

namespace cv1 = ::advocacy::consent::v1;

inline constexpr size_t kMaxBulkEmployees = 10000;
inline constexpr size_t kMaxEmailBytes = 254;
inline constexpr size_t kMaxDisplayNameBytes = 200;
inline constexpr size_t kMaxLocaleBytes = 35;
inline constexpr size_t kMaxTimeZoneBytes = 64;
inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxSummaryBytes = 2000;
inline constexpr size_t kMaxLinkBytes = 2048;
inline constexpr int kMaxWeeklyCap = 1000;
// tenant (64) + '/' + employee (128) + '/' + suffix (22).
inline constexpr size_t kMaxJobIdBytes = 216;

// A plain ASCII address: an RFC 5321 dot-atom local part and a letters-digits-hyphens domain.
bool IsMailAddress(std::string_view address);

// Every field of a recipient; `field` is the path prefix for messages ("recipient").
absl::Status ValidateRecipient(const v1::Recipient& recipient, std::string_view field);
// Every field of preferences (tenant and employee ids included).
absl::Status ValidatePreferences(const v1::Preferences& prefs, std::string_view field);
// Purpose (a mail purpose: PURPOSE_EMAIL_TIPS or PURPOSE_COURSE_TIPS), topic, title, summary
// and an https link.
absl::Status ValidateContent(const v1::NotificationContent& content, std::string_view field);
// An https:// URL of at most kMaxLinkBytes visible ASCII bytes without quotes or brackets.
absl::Status ValidateLink(std::string_view link, std::string_view field);

// Instant cadence, no quiet hours, every topic, no personal cap: what an employee who never
// chose gets. Instant is the default so that a tip reaches a new employee without waiting for
// a digest hour they never picked.
v1::Preferences DefaultPreferences(std::string_view tenant_id, std::string_view employee_id);
// Fills in what an employee left unspecified (cadence) so stored preferences are explicit.
void NormalizePreferences(v1::Preferences* prefs);

// Topics as a bit mask (bit n = topic n). 0 means "every topic" (no topics chosen).
uint32_t TopicMask(const v1::Preferences& prefs);
bool MaskAllows(uint32_t mask, v1::Topic topic);

// 22 characters of unpadded base64url SHA-256 over `kind` and `key`: the per-source part of a
// job id. The same source (an event id, an idempotency key) always yields the same value.
std::string SourceHash(std::string_view kind, std::string_view key);

// "<tenant>/<employee>/<source hash>". Deterministic: a redelivered event or a repeated trigger
// names the same job, so it is found instead of created again.
std::string JobId(std::string_view tenant_id, std::string_view employee_id,
                  std::string_view source_hash);
struct JobRef {
  std::string tenant_id;
  std::string employee_id;
  std::string suffix;
};
// INVALID_ARGUMENT unless `job_id` has the JobId shape with a valid tenant id, a valid employee
// id (ids.h: neither can hold '/') and a 22-character source hash.
absl::StatusOr<JobRef> ParseJobId(std::string_view job_id, std::string_view field);

// A stable Message-ID (without brackets) for one digest of one employee, on `domain`:
// "n<32 hex>@<domain>". Identical on every attempt and every replica.
std::string MessageId(std::string_view tenant_id, std::string_view employee_id,
                      std::string_view digest_id, std::string_view domain);

// The domain part of an address ("a@b.example" -> "b.example"), or "localhost".
std::string DomainOf(std::string_view address);

// Lowercase hex SHA-256 of the deterministic serialization of a request body, for comparing a
// repeated idempotency key's body with the first one.
std::string BodyHash(const google::protobuf::Message& body);

// At most `max_bytes` of `text`, cut at a UTF-8 character boundary, CR/LF/tabs turned into
// spaces (event data is trimmed to fit a mail rather than rejected).
std::string Clip(std::string_view text, size_t max_bytes);

google::protobuf::Timestamp ToTimestamp(absl::Time t);
absl::Time FromTimestamp(const google::protobuf::Timestamp& ts);
int64_t ToMs(absl::Time t);
absl::Time FromMs(int64_t ms);

}  // namespace advocacy::notifications
