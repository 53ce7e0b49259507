#pragma once

// Input validation at the edge of the consent domain. Every error is INVALID_ARGUMENT and
// names the offending field, so a caller can fix the request without reading our code.

#include <string_view>

#include "absl/status/status.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace advocacy::consent {

inline constexpr size_t kMaxTenantIdBytes = 64;
inline constexpr size_t kMaxEmployeeIdBytes = 128;
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;
inline constexpr size_t kMaxNoticeVersionBytes = 64;
inline constexpr size_t kMaxNoticeSummaryBytes = 1000;
inline constexpr size_t kMaxNoticeUrlBytes = 2048;
inline constexpr int kMaxBatchEmployees = 10000;
inline constexpr int kMaxScopesPerRequest = 32;
inline constexpr int kMaxPageSize = 100;
inline constexpr int kDefaultPageSize = 50;
inline constexpr size_t kMaxServiceNameBytes = 64;

// 1-64 of [A-Za-z0-9._-].
absl::Status ValidateTenantId(std::string_view field, std::string_view value);
// 1-128 printable ASCII, none of '{', '}', '/', ' ': ids become part of Redis keys (hash tags)
// and of the Kafka key "tenant/employee".
absl::Status ValidateEmployeeId(std::string_view field, std::string_view value);
// Empty, or 1-128 printable ASCII.
absl::Status ValidateIdempotencyKey(std::string_view field, std::string_view value);
// 1-64 of [A-Za-z0-9._-].
absl::Status ValidateNoticeVersion(std::string_view field, std::string_view value);
// The name of a consuming service ("content"): 1-64 of [A-Za-z0-9._-]. It becomes part of
// Redis keys and of a metric label.
absl::Status ValidateServiceName(std::string_view field, std::string_view value);
// Known purpose; network given exactly for the network-bound purposes.
absl::Status ValidateScope(std::string_view field, const v1::ConsentScope& scope);
// 1..kMaxScopesPerRequest valid scopes without duplicates.
absl::Status ValidateScopes(std::string_view field,
                            const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes);
bool IsNetworkBound(v1::Purpose purpose);

}  // namespace advocacy::consent
