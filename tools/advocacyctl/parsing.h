#pragma once

// Pure parsing of advocacyctl's command-line values. No I/O and no gRPC, so every rule here is
// unit-tested. Every error is absl::StatusCode::kInvalidArgument with a message that says what
// was wrong and what the valid forms are; main turns it into exit code 2.

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "google/protobuf/message.h"

namespace advocacy::ctl {

// "share:<network>" | "suggestions:<network>" | "email-tips" | "course-tips" | "leaderboard",
// network one of linkedin | facebook | instagram | x. Case-insensitive.
absl::StatusOr<consent::v1::ConsentScope> ParseScope(std::string_view text);

// The inverse of ParseScope, in lower case. Values the CLI does not know (a newer server) are
// printed by their proto enum names, or as "purpose(7)" / "network(9)", rather than dropped.
std::string FormatScope(const consent::v1::ConsentScope& scope);

// "<digits>[ms|s|m|h]"; bare digits are seconds. At most 365 days. Zero is allowed; callers that
// need a positive duration check it themselves.
absl::StatusOr<std::chrono::milliseconds> ParseDuration(std::string_view text);

// "employee:<tenant>:<id>" | "admin:<tenant>:<id>" | "service:<tenant>:<name>". The id is
// everything after the second colon, so it may itself contain colons. Tenant and id must satisfy
// auth::IsValidId; only a service may use the tenant "*".
absl::StatusOr<auth::Principal> ParsePrincipal(std::string_view spec);

// "app" | "api" | "admin" | "email" (one-click unsubscribe; withdrawals only, which the server
// enforces). Empty means CONSENT_METHOD_UNSPECIFIED: the server picks the caller's default.
absl::StatusOr<consent::v1::ConsentMethod> ParseMethod(std::string_view text);

// Employee ids from a list or a file: separated by commas, whitespace or newlines. A '#' at the
// start of an entry begins a comment that runs to the end of the line (ids themselves may
// contain '#'). Empty entries are skipped; order and duplicates are kept, because the server
// answers in request order.
std::vector<std::string> SplitEmployeeIds(std::string_view text);

// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view text);

// Proto3 string fields must hold UTF-8: protobuf would log an error and the server would refuse
// the message with a bare INTERNAL. This finds such a field in `message` (recursively) first and
// names it, so bad bytes on the command line become a usage error.
absl::Status CheckUtf8Fields(const google::protobuf::Message& message);

}  // namespace advocacy::ctl
