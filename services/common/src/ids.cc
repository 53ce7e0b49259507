#include "advocacy/common/ids.h"

#include "advocacy/common/strings.h"

namespace advocacy::ids {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}
bool IsLabelChar(char c) { return IsAlnum(c) || c == '.' || c == '_' || c == '-'; }
bool IsEmployeeChar(char c) { return IsLabelChar(c) || c == '~' || c == '@' || c == '+'; }
bool IsKeyChar(char c) { return IsLabelChar(c) || c == '~'; }

template <typename Allowed>
bool Matches(std::string_view value, size_t max, Allowed allowed) {
  if (value.empty() || value.size() > max) return false;
  for (char c : value) {
    if (!allowed(c)) return false;
  }
  return true;
}

template <typename Allowed>
absl::Status Check(std::string_view field, std::string_view value, size_t max, Allowed allowed,
                   std::string_view characters) {
  if (value.empty()) return absl::InvalidArgumentError(StrCat(field, ": required"));
  if (value.size() > max) {
    return absl::InvalidArgumentError(StrCat(field, ": at most ", max, " bytes"));
  }
  for (char c : value) {
    if (!allowed(c)) {
      return absl::InvalidArgumentError(StrCat(field, ": only ", characters, " are allowed"));
    }
  }
  return absl::OkStatus();
}

constexpr std::string_view kLabelChars = "letters, digits, '.', '_' and '-'";
constexpr std::string_view kEmployeeChars = "letters, digits, '.', '_', '-', '~', '@' and '+'";
constexpr std::string_view kKeyChars = "letters, digits, '.', '_', '-' and '~'";

}  // namespace

bool IsTenantId(std::string_view value) { return Matches(value, kMaxTenantIdBytes, IsLabelChar); }
bool IsEmployeeId(std::string_view value) {
  return Matches(value, kMaxEmployeeIdBytes, IsEmployeeChar);
}
bool IsObjectId(std::string_view value) { return Matches(value, kMaxObjectIdBytes, IsLabelChar); }

absl::Status ValidateTenantId(std::string_view field, std::string_view value) {
  return Check(field, value, kMaxTenantIdBytes, IsLabelChar, kLabelChars);
}

absl::Status ValidateEmployeeId(std::string_view field, std::string_view value) {
  return Check(field, value, kMaxEmployeeIdBytes, IsEmployeeChar, kEmployeeChars);
}

absl::Status ValidateObjectId(std::string_view field, std::string_view value) {
  return Check(field, value, kMaxObjectIdBytes, IsLabelChar, kLabelChars);
}

absl::Status ValidateIdempotencyKey(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::OkStatus();
  return Check(field, value, kMaxIdempotencyKeyBytes, IsKeyChar, kKeyChars);
}

}  // namespace advocacy::ids
