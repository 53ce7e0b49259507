#include "consent_validation.h"

#include <set>
#include <utility>

#include "advocacy/common/strings.h"

namespace advocacy::consent {
namespace {

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
         c == '_' || c == '-';
}

absl::Status Label(std::string_view field, std::string_view value, size_t max) {
  if (value.empty()) return absl::InvalidArgumentError(advocacy::StrCat(field, ": required"));
  if (value.size() > max) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ": at most ", max, " bytes"));
  }
  for (char c : value) {
    if (!IsLabelChar(c)) {
      return absl::InvalidArgumentError(
          advocacy::StrCat(field, ": only letters, digits, '.', '_' and '-' are allowed"));
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateTenantId(std::string_view field, std::string_view value) {
  return Label(field, value, kMaxTenantIdBytes);
}

absl::Status ValidateServiceName(std::string_view field, std::string_view value) {
  return Label(field, value, kMaxServiceNameBytes);
}

absl::Status ValidateEmployeeId(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::InvalidArgumentError(advocacy::StrCat(field, ": required"));
  if (value.size() > kMaxEmployeeIdBytes) {
    return absl::InvalidArgumentError(
        advocacy::StrCat(field, ": at most ", kMaxEmployeeIdBytes, " bytes"));
  }
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7f || c == '{' || c == '}' || c == '/') {
      return absl::InvalidArgumentError(advocacy::StrCat(
          field, ": printable ASCII only, without spaces, '{', '}' or '/'"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateIdempotencyKey(std::string_view field, std::string_view value) {
  if (value.empty()) return absl::OkStatus();
  if (value.size() > kMaxIdempotencyKeyBytes) {
    return absl::InvalidArgumentError(
        advocacy::StrCat(field, ": at most ", kMaxIdempotencyKeyBytes, " bytes"));
  }
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError(advocacy::StrCat(field, ": printable ASCII only"));
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateNoticeVersion(std::string_view field, std::string_view value) {
  return Label(field, value, kMaxNoticeVersionBytes);
}

bool IsNetworkBound(v1::Purpose purpose) {
  return purpose == v1::PURPOSE_SHARE_CONTENT || purpose == v1::PURPOSE_CONTENT_SUGGESTIONS;
}

absl::Status ValidateScope(std::string_view field, const v1::ConsentScope& scope) {
  if (scope.purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(scope.purpose())) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ".purpose: required, one of PURPOSE_*"));
  }
  if (!v1::Network_IsValid(scope.network())) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ".network: unknown network"));
  }
  if (IsNetworkBound(scope.purpose()) && scope.network() == v1::NETWORK_UNSPECIFIED) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ".network: required for ",
                                                   v1::Purpose_Name(scope.purpose())));
  }
  if (!IsNetworkBound(scope.purpose()) && scope.network() != v1::NETWORK_UNSPECIFIED) {
    return absl::InvalidArgumentError(advocacy::StrCat(field, ".network: must be unset for ",
                                                   v1::Purpose_Name(scope.purpose()),
                                                   ", which is not bound to a network"));
  }
  return absl::OkStatus();
}

absl::Status ValidateScopes(std::string_view field,
                            const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes) {
  if (scopes.empty()) return absl::InvalidArgumentError(advocacy::StrCat(field, ": at least one scope"));
  if (scopes.size() > kMaxScopesPerRequest) {
    return absl::InvalidArgumentError(
        advocacy::StrCat(field, ": at most ", kMaxScopesPerRequest, " scopes"));
  }
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < scopes.size(); ++i) {
    const std::string item = advocacy::StrCat(field, "[", i, "]");
    if (absl::Status st = ValidateScope(item, scopes[i]); !st.ok()) return st;
    if (!seen.emplace(scopes[i].purpose(), scopes[i].network()).second) {
      return absl::InvalidArgumentError(advocacy::StrCat(item, ": duplicate scope"));
    }
  }
  return absl::OkStatus();
}

}  // namespace advocacy::consent
