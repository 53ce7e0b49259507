#include "consent_validation.h"

#include <set>
#include <utility>

#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::consent {

absl::Status ValidateNoticeContent(std::string_view summary, std::string_view url) {
  if (summary.size() > kMaxNoticeSummaryBytes) {
    return absl::InvalidArgumentError(
        StrCat("summary: at most ", kMaxNoticeSummaryBytes, " bytes"));
  }
  if (url.empty() || url.size() > kMaxNoticeUrlBytes || url.rfind("https://", 0) != 0 ||
      url.size() <= 8) {
    return absl::InvalidArgumentError(
        StrCat("url: required, an https:// URL of at most ", kMaxNoticeUrlBytes, " bytes"));
  }
  for (char c : url) {
    if (c <= 0x20 || c >= 0x7f) {
      return absl::InvalidArgumentError("url: must not contain spaces or control characters");
    }
  }
  return absl::OkStatus();
}

bool IsNetworkBound(v1::Purpose purpose) {
  return purpose == v1::PURPOSE_SHARE_CONTENT || purpose == v1::PURPOSE_CONTENT_SUGGESTIONS;
}

absl::Status ValidateScope(std::string_view field, const v1::ConsentScope& scope) {
  if (scope.purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(scope.purpose())) {
    return absl::InvalidArgumentError(StrCat(field, ".purpose: required, one of PURPOSE_*"));
  }
  if (!v1::Network_IsValid(scope.network())) {
    return absl::InvalidArgumentError(StrCat(field, ".network: unknown network"));
  }
  if (IsNetworkBound(scope.purpose()) && scope.network() == v1::NETWORK_UNSPECIFIED) {
    return absl::InvalidArgumentError(
        StrCat(field, ".network: required for ", v1::Purpose_Name(scope.purpose())));
  }
  if (!IsNetworkBound(scope.purpose()) && scope.network() != v1::NETWORK_UNSPECIFIED) {
    return absl::InvalidArgumentError(StrCat(field, ".network: must be unset for ",
                                             v1::Purpose_Name(scope.purpose()),
                                             ", which is not bound to a network"));
  }
  return absl::OkStatus();
}

absl::Status ValidateScopes(std::string_view field,
                            const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes) {
  if (scopes.empty()) return absl::InvalidArgumentError(StrCat(field, ": at least one scope"));
  if (scopes.size() > kMaxScopesPerRequest) {
    return absl::InvalidArgumentError(StrCat(field, ": at most ", kMaxScopesPerRequest, " scopes"));
  }
  std::set<std::pair<int, int>> seen;
  for (int i = 0; i < scopes.size(); ++i) {
    const std::string item = StrCat(field, "[", i, "]");
    RETURN_IF_ERROR(ValidateScope(item, scopes[i]));
    if (!seen.emplace(scopes[i].purpose(), scopes[i].network()).second) {
      return absl::InvalidArgumentError(StrCat(item, ": duplicate scope"));
    }
  }
  return absl::OkStatus();
}

}  // namespace advocacy::consent
