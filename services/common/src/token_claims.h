#pragma once

// The claim half of token verification: time checks, audience, and the mapping of an issuer's
// claims to a Principal. Pure functions on a decoded payload; every failure is a rejection
// (Reject) with its reason. Private to the auth code.

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "advocacy/common/auth.h"
#include "nlohmann/json.hpp"

namespace advocacy::auth::internal {

using Json = nlohmann::json;

// The status payload that carries a rejection's reason (its RejectReasonName).
inline constexpr char kRejectReasonPayload[] = "type.advocacy.dev/advocacy.auth.RejectReason";

// UNAUTHENTICATED "bearer token rejected: <message>", carrying `reason` for RejectReasonOf.
absl::Status Reject(RejectReason reason, absl::string_view message);

// Caller-supplied text shown in a message: bounded to 64 bytes, control and non-ASCII bytes
// escaped, in quotes. JSON values are shown as their JSON text.
std::string Shown(absl::string_view value);
std::string ShownJson(const Json& value);

// The value at `path` in `claims` (one name: a top-level claim), or nullptr.
const Json* FindClaim(const Json& claims, const std::vector<std::string>& path);

struct TimeRules {
  int64_t now = 0;  // seconds since the Unix epoch
  std::chrono::seconds leeway{30};
  std::chrono::seconds max_lifetime{std::chrono::hours(24)};
};
// "token expired at <exp> (now <now>, leeway <n>s)".
absl::Status ExpiredRejection(int64_t expires_at, int64_t now, std::chrono::seconds leeway);

// exp (required), nbf and iat (when present), and the lifetime bound. Returns exp.
absl::StatusOr<int64_t> CheckTimes(const Json& claims, const TimeRules& rules);

// aud must be a string or an array of strings naming one of `audiences`.
absl::Status CheckAudience(const Json& claims, const std::vector<std::string>& audiences);

// tenant, subject and role under `mapping`, whose allowed_tenants must be sorted (Create sorts
// them). The principal's expires_at is `expires_at`.
absl::StatusOr<Principal> MapPrincipal(const Json& claims, const ClaimMapping& mapping,
                                       int64_t expires_at);

}  // namespace advocacy::auth::internal
