// Roles, ids and the authorization decisions. No I/O and no third-party C handles: these run
// on every RPC after TokenVerifier and must stay trivially cheap and testable.

#include "advocacy/common/auth.h"

#include <algorithm>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::auth {
namespace {

// Debian's Abseil is built with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0).
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

// Request ids come from the caller; escape and bound them so an error message (which may end up
// in a log line) cannot carry control characters or be arbitrarily long.
std::string Quoted(std::string_view std_value) {
  const absl::string_view value = ToAbsl(std_value);
  constexpr size_t kMaxShown = 64;
  std::string shown = absl::CHexEscape(value.substr(0, kMaxShown));
  if (value.size() > kMaxShown) absl::StrAppend(&shown, "...");
  return absl::StrCat("'", shown, "'");
}

std::string Describe(const Principal& principal) {
  return absl::StrCat(ToAbsl(RoleName(principal.role)), " ", Quoted(principal.subject),
                      " of tenant ", Quoted(principal.tenant_id));
}

// The tenant half of every decision: same tenant, or a platform-wide service.
absl::Status CheckTenant(const Principal& principal, std::string_view tenant_id) {
  if (tenant_id.empty()) {
    return absl::PermissionDeniedError("the request names no tenant; access is refused");
  }
  if (tenant_id == kAnyTenant) {
    return absl::PermissionDeniedError(
        "the request names tenant '*', which is not a real tenant; access is refused");
  }
  if (principal.tenant_id == tenant_id) return absl::OkStatus();
  if (principal.role == Role::kService && principal.tenant_id == kAnyTenant) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      absl::StrCat(Describe(principal), " may not act in tenant ", Quoted(tenant_id)));
}

}  // namespace

std::string_view RoleName(Role role) {
  switch (role) {
    case Role::kEmployee:
      return "employee";
    case Role::kAdmin:
      return "admin";
    case Role::kService:
      return "service";
  }
  return "unknown";
}

std::optional<Role> ParseRole(std::string_view name) {
  for (Role role : {Role::kEmployee, Role::kAdmin, Role::kService}) {
    if (name == RoleName(role)) return role;
  }
  return std::nullopt;
}

bool IsValidId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdLength) return false;
  return std::all_of(id.begin(), id.end(), [](char c) { return c >= 0x21 && c <= 0x7E; });
}

absl::Status AuthorizeEmployeeAccess(const Principal& principal, std::string_view tenant_id,
                                     std::string_view employee_id) {
  RETURN_IF_ERROR(CheckTenant(principal, tenant_id));
  if (employee_id.empty()) {
    return absl::PermissionDeniedError("the request names no employee; access is refused");
  }
  switch (principal.role) {
    case Role::kAdmin:
    case Role::kService:
      return absl::OkStatus();
    case Role::kEmployee:
      if (principal.subject == employee_id) return absl::OkStatus();
      return absl::PermissionDeniedError(
          absl::StrCat(Describe(principal), " may act only on themselves, not on employee ",
                       Quoted(employee_id)));
  }
  return absl::PermissionDeniedError("unknown role; access is refused");
}

absl::Status AuthorizeTenantAccess(const Principal& principal, std::string_view tenant_id,
                                   std::initializer_list<Role> allowed) {
  if (std::find(allowed.begin(), allowed.end(), principal.role) == allowed.end()) {
    std::string names = absl::StrJoin(allowed, ", ", [](std::string* out, Role role) {
      absl::StrAppend(out, ToAbsl(RoleName(role)));
    });
    return absl::PermissionDeniedError(
        absl::StrCat(Describe(principal), " may not perform this tenant-wide operation; it is ",
                     names.empty() ? "open to no role" : absl::StrCat("limited to: ", names)));
  }
  return CheckTenant(principal, tenant_id);
}

}  // namespace advocacy::auth
