#include "token_claims.h"

#include <algorithm>
#include <cmath>
#include <optional>
#include <string>
#include <utility>

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "advocacy/common/status_macros.h"

namespace advocacy::auth::internal {
namespace {

// Keeps exp/nbf/iat arithmetic (adding leeway, exp - iat) far from int64 overflow; ~year 36800.
constexpr int64_t kMaxNumericDate = int64_t{1} << 40;
// More role names than this in one claim is not a real IdP token.
constexpr size_t kMaxRoleNames = 256;

// Debian's Abseil is built with its own string_view (ABSL_OPTION_USE_STD_STRING_VIEW 0).
absl::string_view ToAbsl(std::string_view text) { return {text.data(), text.size()}; }

std::string FormatUnixSeconds(int64_t seconds) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", absl::FromUnixSeconds(seconds),
                          absl::UTCTimeZone());
}

std::string PathName(const std::vector<std::string>& path) {
  return Shown(absl::StrJoin(path, "."));
}

// RFC 7519 NumericDate: seconds, possibly fractional. Clamped so later arithmetic cannot
// overflow; fractions round down, which only ever makes exp stricter.
std::optional<int64_t> ToNumericDate(const Json& value) {
  if (value.is_number_unsigned()) {
    return static_cast<int64_t>(
        std::min<uint64_t>(value.get<uint64_t>(), static_cast<uint64_t>(kMaxNumericDate)));
  }
  if (value.is_number_integer()) {
    return std::clamp(value.get<int64_t>(), -kMaxNumericDate, kMaxNumericDate);
  }
  if (value.is_number_float()) {
    const double seconds = value.get<double>();
    if (!std::isfinite(seconds)) return std::nullopt;
    const auto limit = static_cast<double>(kMaxNumericDate);
    return static_cast<int64_t>(std::floor(std::clamp(seconds, -limit, limit)));
  }
  return std::nullopt;
}

// The optional NumericDate claim `name`: nullopt when absent, a rejection when not a number.
absl::StatusOr<std::optional<int64_t>> OptionalDate(const Json& claims, const char* name,
                                                    RejectReason reason) {
  auto it = claims.find(name);
  if (it == claims.end()) return std::optional<int64_t>();
  std::optional<int64_t> value = ToNumericDate(*it);
  if (!value) return Reject(reason, absl::StrCat("token '", name, "' claim is not a number"));
  return value;
}

absl::StatusOr<std::string> RequiredId(const Json& claims, const std::vector<std::string>& path) {
  const Json* value = FindClaim(claims, path);
  if (value == nullptr) {
    return Reject(RejectReason::kClaims, absl::StrCat("token has no ", PathName(path), " claim"));
  }
  if (!value->is_string()) {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token ", PathName(path), " claim is not a string"));
  }
  std::string text = value->get<std::string>();
  if (!IsValidId(text)) {
    return Reject(RejectReason::kClaims, absl::StrCat("token ", PathName(path), " claim ",
                                                      Shown(text), " is not a valid id (1-",
                                                      kMaxIdLength, " visible ASCII characters)"));
  }
  return text;
}

// The names the roles claim holds: a string (one name, or several separated by spaces when so
// configured) or an array of strings.
absl::StatusOr<std::vector<std::string>> RoleNames(const Json& value, const ClaimMapping& mapping) {
  std::vector<std::string> names;
  if (value.is_string()) {
    if (mapping.roles_space_separated) {
      names = absl::StrSplit(value.get_ref<const std::string&>(), ' ', absl::SkipEmpty());
    } else {
      names.push_back(value.get<std::string>());
    }
  } else if (value.is_array()) {
    for (const Json& entry : value) {
      if (!entry.is_string()) {
        return Reject(RejectReason::kClaims,
                      absl::StrCat("token ", PathName(mapping.roles_claim),
                                   " claim holds a value that is not a string"));
      }
      names.push_back(entry.get<std::string>());
    }
  } else {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token ", PathName(mapping.roles_claim),
                               " claim is neither a string nor an array of strings"));
  }
  if (names.size() > kMaxRoleNames) {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token ", PathName(mapping.roles_claim), " claim holds more than ",
                               kMaxRoleNames, " names"));
  }
  return names;
}

absl::StatusOr<Role> MapRole(const Json& claims, const ClaimMapping& mapping) {
  const Json* value = FindClaim(claims, mapping.roles_claim);
  std::vector<std::string> names;
  if (value != nullptr) {
    ASSIGN_OR_RETURN(names, RoleNames(*value, mapping));
  }
  bool employee = false;
  bool admin = false;
  bool service = false;
  for (const std::string& name : names) {
    std::optional<Role> role;
    if (mapping.role_names.empty()) {
      role = ParseRole(name);
    } else if (auto it = mapping.role_names.find(name); it != mapping.role_names.end()) {
      role = it->second;
    }
    if (!role) continue;
    employee = employee || *role == Role::kEmployee;
    admin = admin || *role == Role::kAdmin;
    service = service || *role == Role::kService;
  }
  if (service && (admin || employee)) {
    return Reject(RejectReason::kClaims,
                  "token maps to both a service and a person's role; refused as ambiguous");
  }
  if (service) return Role::kService;
  if (admin) return Role::kAdmin;
  if (employee) return Role::kEmployee;
  if (mapping.default_role) return *mapping.default_role;
  if (value == nullptr) {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token has no ", PathName(mapping.roles_claim), " claim"));
  }
  if (mapping.role_names.empty()) {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token role ", ShownJson(*value),
                               R"( is not one of "employee", "admin", "service")"));
  }
  return Reject(RejectReason::kClaims,
                absl::StrCat("token roles ", ShownJson(*value), " map to no role of this service"));
}

// The token's OAuth scopes: sorted, unique, each a valid id; none without the claim.
absl::StatusOr<std::vector<std::string>> MapScopes(const Json& claims,
                                                   const ClaimMapping& mapping) {
  std::vector<std::string> scopes;
  const Json* value = FindClaim(claims, mapping.scopes_claim);
  if (value == nullptr || value->is_null()) return scopes;
  if (value->is_string()) {
    scopes = absl::StrSplit(value->get_ref<const std::string&>(), ' ', absl::SkipEmpty());
  } else if (value->is_array()) {
    for (const Json& entry : *value) {
      if (!entry.is_string()) {
        return Reject(RejectReason::kClaims,
                      absl::StrCat("token ", PathName(mapping.scopes_claim),
                                   " claim holds a value that is not a string"));
      }
      scopes.push_back(entry.get<std::string>());
    }
  } else {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token ", PathName(mapping.scopes_claim),
                               " claim is neither a string nor an array of strings"));
  }
  std::sort(scopes.begin(), scopes.end());
  scopes.erase(std::unique(scopes.begin(), scopes.end()), scopes.end());
  if (scopes.size() > kMaxScopes) {
    return Reject(RejectReason::kClaims,
                  absl::StrCat("token carries more than ", kMaxScopes, " scopes"));
  }
  for (const std::string& scope : scopes) {
    if (!IsValidId(scope)) {
      return Reject(RejectReason::kClaims, absl::StrCat("token scope ", Shown(scope),
                                                        " is not 1-128 visible ASCII bytes"));
    }
  }
  return scopes;
}

absl::StatusOr<std::string> MapTenant(const Json& claims, const ClaimMapping& mapping, Role role) {
  std::string tenant = mapping.fixed_tenant;
  if (tenant.empty()) {
    ASSIGN_OR_RETURN(tenant, RequiredId(claims, mapping.tenant_claim));
  }
  if (tenant == kAnyTenant) {
    if (role != Role::kService) {
      return Reject(RejectReason::kClaims,
                    absl::StrCat("token tenant '*' is allowed only for role service, not ",
                                 ToAbsl(RoleName(role))));
    }
    if (!mapping.allow_any_tenant) {
      return Reject(RejectReason::kClaims,
                    "token tenant '*' (every tenant) is not allowed for its issuer");
    }
    return tenant;
  }
  if (!mapping.allowed_tenants.empty() &&
      !std::binary_search(mapping.allowed_tenants.begin(), mapping.allowed_tenants.end(), tenant)) {
    return Reject(RejectReason::kClaims, absl::StrCat("token tenant ", Shown(tenant),
                                                      " is not one its issuer may assert"));
  }
  return tenant;
}

}  // namespace

absl::Status Reject(RejectReason reason, absl::string_view message) {
  absl::Status status =
      absl::UnauthenticatedError(absl::StrCat("bearer token rejected: ", message));
  status.SetPayload(kRejectReasonPayload, absl::Cord(ToAbsl(RejectReasonName(reason))));
  return status;
}

std::string Shown(absl::string_view value) {
  constexpr size_t kMaxShown = 64;
  std::string shown = "'";
  for (char c : value.substr(0, kMaxShown)) {
    const auto byte = static_cast<unsigned char>(c);
    if (byte < 0x20 || byte >= 0x7F || c == '\\') {
      absl::StrAppend(&shown, "\\x", absl::Hex(byte, absl::kZeroPad2));
    } else {
      shown.push_back(c);
    }
  }
  if (value.size() > kMaxShown) shown += "...";
  shown += "'";
  return shown;
}

std::string ShownJson(const Json& value) {
  return value.is_string() ? Shown(value.get_ref<const std::string&>()) : Shown(value.dump());
}

const Json* FindClaim(const Json& claims, const std::vector<std::string>& path) {
  const Json* current = &claims;
  for (const std::string& name : path) {
    if (!current->is_object()) return nullptr;
    auto it = current->find(name);
    if (it == current->end()) return nullptr;
    current = &*it;
  }
  return path.empty() ? nullptr : current;
}

absl::Status ExpiredRejection(int64_t expires_at, int64_t now, std::chrono::seconds leeway) {
  return Reject(RejectReason::kExpired,
                absl::StrCat("token expired at ", FormatUnixSeconds(expires_at), " (now ",
                             FormatUnixSeconds(now), ", leeway ", leeway.count(), "s)"));
}

absl::StatusOr<int64_t> CheckTimes(const Json& claims, const TimeRules& rules) {
  const int64_t leeway = rules.leeway.count();
  const int64_t now = rules.now;
  auto exp_claim = claims.find("exp");
  if (exp_claim == claims.end()) {
    return Reject(RejectReason::kExpired, "token has no 'exp' claim; tokens must expire");
  }
  const std::optional<int64_t> exp = ToNumericDate(*exp_claim);
  if (!exp) return Reject(RejectReason::kExpired, "token 'exp' claim is not a number");
  if (now >= *exp + leeway) return ExpiredRejection(*exp, now, rules.leeway);
  ASSIGN_OR_RETURN(const std::optional<int64_t> nbf,
                   OptionalDate(claims, "nbf", RejectReason::kNotYetValid));
  if (nbf && now + leeway < *nbf) {
    return Reject(RejectReason::kNotYetValid,
                  absl::StrCat("token is not valid before ", FormatUnixSeconds(*nbf), " (now ",
                               FormatUnixSeconds(now), ", leeway ", leeway, "s)"));
  }
  ASSIGN_OR_RETURN(const std::optional<int64_t> iat,
                   OptionalDate(claims, "iat", RejectReason::kIssuedInFuture));
  if (iat && *iat > now + leeway) {
    return Reject(RejectReason::kIssuedInFuture,
                  absl::StrCat("token is issued in the future (iat ", FormatUnixSeconds(*iat),
                               ", now ", FormatUnixSeconds(now), ", leeway ", leeway, "s)"));
  }
  const int64_t max_lifetime = rules.max_lifetime.count();
  if (iat ? *exp - *iat > max_lifetime : *exp - now > max_lifetime + leeway) {
    return Reject(RejectReason::kLifetime,
                  absl::StrCat("token lives longer than the ", max_lifetime,
                               " s its issuer's tokens may (exp ", FormatUnixSeconds(*exp),
                               iat ? absl::StrCat(", iat ", FormatUnixSeconds(*iat)) : "", ")"));
  }
  if (auto jti = claims.find("jti"); jti != claims.end() && !jti->is_string()) {
    return Reject(RejectReason::kClaims, "token 'jti' claim is not a string");
  }
  return *exp;
}

absl::Status CheckAudience(const Json& claims, const std::vector<std::string>& audiences) {
  auto aud = claims.find("aud");
  if (aud == claims.end()) return Reject(RejectReason::kAudience, "token has no 'aud' claim");
  auto accepted = [&](const Json& entry) {
    return std::find(audiences.begin(), audiences.end(), entry.get_ref<const std::string&>()) !=
           audiences.end();
  };
  bool found = false;
  if (aud->is_string()) {
    found = accepted(*aud);
  } else if (aud->is_array()) {
    for (const Json& entry : *aud) {
      if (!entry.is_string()) {
        return Reject(RejectReason::kAudience, "token 'aud' array holds a non-string entry");
      }
      found = found || accepted(entry);
    }
  } else {
    return Reject(RejectReason::kAudience,
                  "token 'aud' claim is neither a string nor an array of strings");
  }
  if (!found) {
    return Reject(RejectReason::kAudience,
                  absl::StrCat("token audience ", ShownJson(*aud), " is not this service"));
  }
  return absl::OkStatus();
}

absl::StatusOr<Principal> MapPrincipal(const Json& claims, const ClaimMapping& mapping,
                                       int64_t expires_at) {
  ASSIGN_OR_RETURN(std::string subject, RequiredId(claims, mapping.subject_claim));
  ASSIGN_OR_RETURN(const Role role, MapRole(claims, mapping));
  ASSIGN_OR_RETURN(std::string tenant, MapTenant(claims, mapping, role));
  ASSIGN_OR_RETURN(std::vector<std::string> scopes, MapScopes(claims, mapping));
  return Principal{std::move(tenant), std::move(subject), role, expires_at, std::move(scopes)};
}

}  // namespace advocacy::auth::internal
