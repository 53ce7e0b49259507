#pragma once

// Input validation at the edge of the consent domain, for what is specific to consent (scopes,
// notices, limits). Ids, notice versions, service names and idempotency keys follow the one
// grammar of advocacy/common/ids.h. Every error is INVALID_ARGUMENT and names the offending
// field, so a caller can fix the request without reading our code.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "google/protobuf/repeated_ptr_field.h"

namespace advocacy::consent {

inline constexpr size_t kMaxNoticeSummaryBytes = 1000;
inline constexpr size_t kMaxNoticeUrlBytes = 2048;
inline constexpr int kMaxBatchEmployees = 10000;
inline constexpr int kMaxScopesPerRequest = 32;
inline constexpr int kMaxPageSize = 100;
inline constexpr int kDefaultPageSize = 50;

// Known purpose; network given exactly for the network-bound purposes.
absl::Status ValidateScope(std::string_view field, const v1::ConsentScope& scope);
// 1..kMaxScopesPerRequest valid scopes without duplicates.
absl::Status ValidateScopes(std::string_view field,
                            const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes);
// A notice's `summary` (at most kMaxNoticeSummaryBytes) and `url` (required, https://, at most
// kMaxNoticeUrlBytes, no spaces or control characters).
absl::Status ValidateNoticeContent(std::string_view summary, std::string_view url);
bool IsNetworkBound(v1::Purpose purpose);

}  // namespace advocacy::consent
