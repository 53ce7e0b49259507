#pragma once

// One grammar for every identifier a request carries, in every service. Each of them ends up in
// Redis keys (inside or after a `{hash tag}`) and Kafka keys (`tenant/employee`), so none of them
// may hold ':', '{', '}' or '/': with those excluded, two different (tenant, employee) pairs can
// never build the same key, and no id can open or close a hash tag.
//
//   tenant id        1-64 bytes of [A-Za-z0-9._-]
//   employee id      1-128 bytes of [A-Za-z0-9._~@+-]
//                    E-mail-like ids (jane.doe+news@acme.com) are valid everywhere: the ids
//                    employees have come from the organization's identity provider, and many of
//                    them use the user principal name or the mail address as the subject. The
//                    other characters cover opaque subjects (UUIDs, Entra ID's base64url).
//   object id        1-64 bytes of [A-Za-z0-9._-]: courses, lessons, items, broadcasts,
//                    checklists, service names, notice versions, ...
//   idempotency key  empty (none), or 1-128 bytes of [A-Za-z0-9._~-]: RFC 3986's unreserved
//                    characters, which hold UUIDs, ULIDs and base64url digests.
//
// Every function returns OK or InvalidArgument whose message starts with `field` (the request
// field's path, e.g. "scopes[2].network") and says what is allowed, so the caller can fix the
// request from the message alone.

#include <cstddef>
#include <string_view>

#include "absl/status/status.h"

namespace advocacy::ids {

inline constexpr size_t kMaxTenantIdBytes = 64;
inline constexpr size_t kMaxEmployeeIdBytes = 128;
inline constexpr size_t kMaxObjectIdBytes = 64;
inline constexpr size_t kMaxIdempotencyKeyBytes = 128;

bool IsTenantId(std::string_view value);
bool IsEmployeeId(std::string_view value);
bool IsObjectId(std::string_view value);

absl::Status ValidateTenantId(std::string_view field, std::string_view value);
absl::Status ValidateEmployeeId(std::string_view field, std::string_view value);
absl::Status ValidateObjectId(std::string_view field, std::string_view value);
// An empty key is valid: the request is not idempotent then.
absl::Status ValidateIdempotencyKey(std::string_view field, std::string_view value);

}  // namespace advocacy::ids
