// The issuers file (ParseIssuersFile) and the rules every VerifierOptions must follow
// (ValidateVerifierOptions). No I/O beyond what the caller hands in.

#include "advocacy/common/auth_config.h"

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/auth.h"
#include "jwks_source.h"
#include "nlohmann/json.hpp"
#include "verifier_options.h"

namespace advocacy::auth {
namespace {

using Json = nlohmann::json;
using std::chrono::milliseconds;
using std::chrono::seconds;

constexpr size_t kMaxIssuers = 16;
constexpr size_t kMaxAudiences = 16;
constexpr size_t kMaxClaimPath = 8;
constexpr size_t kMaxRoleMap = 1000;
constexpr size_t kMaxAllowedTenants = 10000;
constexpr size_t kMaxIssuerBytes = 1024;

// The members of one JSON object, read with their path for error messages. Members not read by
// the end are reported as unknown.
class Members final {
 public:
  Members(const Json& object, std::string path, std::vector<std::string>* errors)
      : object_(object), path_(std::move(path)), errors_(errors) {}

  std::optional<std::string> String(const char* name) {
    const Json* value = Find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_string()) return Error(name, "must be a string");
    return value->get<std::string>();
  }

  std::optional<bool> Bool(const char* name) {
    const Json* value = Find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_boolean()) return Error(name, "must be true or false");
    return value->get<bool>();
  }

  std::optional<int64_t> Int(const char* name) {
    const Json* value = Find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_number_integer()) return Error(name, "must be a whole number");
    return value->get<int64_t>();
  }

  std::optional<std::vector<std::string>> Strings(const char* name) {
    const Json* value = Find(name);
    if (value == nullptr) return std::nullopt;
    if (!value->is_array() ||
        !std::all_of(value->begin(), value->end(), [](const Json& v) { return v.is_string(); })) {
      return Error(name, "must be an array of strings");
    }
    return value->get<std::vector<std::string>>();
  }

  // A claim name, or an array of names (a path into nested objects).
  std::optional<std::vector<std::string>> ClaimPath(const char* name) {
    const Json* value = Find(name);
    if (value == nullptr) return std::nullopt;
    if (value->is_string()) return std::vector<std::string>{value->get<std::string>()};
    std::optional<std::vector<std::string>> path = Strings(name);
    if (path && (path->empty() || path->size() > kMaxClaimPath)) {
      return Error(name, absl::StrCat("must name 1 to ", kMaxClaimPath, " nested claims"));
    }
    return path;
  }

  const Json* Object(const char* name) {
    const Json* value = Find(name);
    if (value != nullptr && !value->is_object()) {
      Error(name, "must be a JSON object");
      return nullptr;
    }
    return value;
  }

  const Json* Array(const char* name) {
    const Json* value = Find(name);
    if (value != nullptr && !value->is_array()) {
      Error(name, "must be a JSON array");
      return nullptr;
    }
    return value;
  }

  std::string Path(const char* name) const {
    return path_.empty() ? name : absl::StrCat(path_, ".", name);
  }

  void ReportUnknown() const {
    for (const auto& [name, value] : object_.items()) {
      if (std::find(read_.begin(), read_.end(), name) == read_.end()) {
        errors_->push_back(absl::StrCat(Path(name.c_str()), ": unknown member"));
      }
    }
  }

  std::nullopt_t Error(const char* name, absl::string_view problem) {
    errors_->push_back(absl::StrCat(Path(name), ": ", problem));
    return std::nullopt;
  }

 private:
  const Json* Find(const char* name) {
    read_.emplace_back(name);
    auto it = object_.find(name);
    return it == object_.end() ? nullptr : &*it;
  }

  const Json& object_;
  std::string path_;
  std::vector<std::string>* errors_;
  std::vector<std::string> read_;
};

void ReadJwksPolicy(Members& m, JwksPolicy* policy) {
  if (auto v = m.Int("default_cache_seconds")) policy->default_lifetime = seconds(*v);
  if (auto v = m.Int("min_cache_seconds")) policy->min_lifetime = seconds(*v);
  if (auto v = m.Int("max_cache_seconds")) policy->max_lifetime = seconds(*v);
  if (auto v = m.Int("unknown_kid_min_interval_seconds")) {
    policy->unknown_kid_interval = seconds(*v);
  }
  if (auto v = m.Int("unknown_kid_wait_ms")) policy->unknown_kid_wait = milliseconds(*v);
  if (auto v = m.Int("fetch_timeout_ms")) policy->fetch_timeout = milliseconds(*v);
  if (auto v = m.Int("max_bytes"))
    policy->max_bytes = static_cast<size_t>(std::max<int64_t>(*v, 0));
  if (auto v = m.Int("max_keys")) policy->max_keys = static_cast<size_t>(std::max<int64_t>(*v, 0));
  m.ReportUnknown();
}

void ReadRoleMap(Members& m, ClaimMapping* claims) {
  const Json* map = m.Object("role_map");
  if (map == nullptr) return;
  for (const auto& [name, role] : map->items()) {
    std::optional<Role> parsed;
    if (role.is_string()) parsed = ParseRole(role.get<std::string>());
    if (!parsed) {
      m.Error("role_map",
              absl::StrCat("'", name, R"(' must map to "employee", "admin" or )", R"("service")"));
      continue;
    }
    claims->role_names[name] = *parsed;
  }
}

void ReadClaims(Members& m, ClaimMapping* claims) {
  if (auto v = m.ClaimPath("tenant_claim")) claims->tenant_claim = *v;
  if (auto v = m.ClaimPath("subject_claim")) claims->subject_claim = *v;
  if (auto v = m.ClaimPath("roles_claim")) claims->roles_claim = *v;
  if (auto v = m.Bool("roles_space_separated")) claims->roles_space_separated = *v;
  if (auto v = m.ClaimPath("scopes_claim")) claims->scopes_claim = *v;
  ReadRoleMap(m, claims);
  if (auto v = m.String("default_role")) {
    claims->default_role = ParseRole(*v);
    if (!claims->default_role) {
      m.Error("default_role", R"(must be "employee", "admin" or "service")");
    }
  }
  if (auto v = m.String("fixed_tenant")) claims->fixed_tenant = *v;
  if (auto v = m.Strings("allowed_tenants")) claims->allowed_tenants = *v;
  if (auto v = m.Bool("allow_any_tenant")) claims->allow_any_tenant = *v;
}

IssuerOptions ReadIssuer(Members& m, std::string_view default_audience, seconds default_lifetime) {
  IssuerOptions issuer;
  issuer.max_token_lifetime = default_lifetime;
  if (auto v = m.String("issuer")) {
    issuer.issuer = *v;
  } else {
    m.Error("issuer", "is required (the exact iss of the provider's tokens)");
  }
  issuer.audiences =
      m.Strings("audiences").value_or(std::vector<std::string>{std::string(default_audience)});
  if (auto v = m.String("jwks_uri")) issuer.keys.jwks_uri = *v;
  if (auto v = m.String("jwks_file")) issuer.keys.jwks_file = *v;
  if (auto v = m.String("ca_file")) issuer.keys.ca_file = *v;
  if (auto v = m.Bool("allow_insecure_loopback_http")) {
    issuer.keys.allow_insecure_loopback_http = *v;
  }
  if (auto v = m.Int("max_token_lifetime_seconds")) issuer.max_token_lifetime = seconds(*v);
  ReadClaims(m, &issuer.claims);
  m.ReportUnknown();
  return issuer;
}

// --- ValidateVerifierOptions --------------------------------------------------------------------

template <typename Duration>
void CheckRange(std::vector<std::string>* errors, absl::string_view name, Duration value,
                Duration min, Duration max) {
  if (value < min || value > max) {
    errors->push_back(
        absl::StrCat(name, " is ", value.count(), ", outside ", min.count(), "..", max.count()));
  }
}

void CheckPolicy(const VerifierOptions& options, std::vector<std::string>* errors) {
  CheckRange(errors, "leeway (seconds)", options.leeway, seconds(0), seconds(3600));
  const JwksPolicy& p = options.jwks;
  const seconds week(7 * 24 * 3600);
  CheckRange(errors, "jwks.min_cache_seconds", p.min_lifetime, seconds(1), week);
  CheckRange(errors, "jwks.max_cache_seconds", p.max_lifetime, p.min_lifetime, week);
  CheckRange(errors, "jwks.default_cache_seconds", p.default_lifetime, p.min_lifetime,
             p.max_lifetime);
  CheckRange(errors, "jwks.unknown_kid_min_interval_seconds", p.unknown_kid_interval, seconds(1),
             seconds(3600));
  CheckRange(errors, "jwks.unknown_kid_wait_ms", p.unknown_kid_wait, milliseconds(0),
             milliseconds(10000));
  CheckRange(errors, "jwks.fetch_timeout_ms", p.fetch_timeout, milliseconds(100),
             milliseconds(60000));
  if (p.max_bytes < 1024 || p.max_bytes > size_t{4} * 1024 * 1024) {
    errors->push_back(absl::StrCat("jwks.max_bytes is ", p.max_bytes, ", outside 1024..4194304"));
  }
  if (p.max_keys < 1 || p.max_keys > 1000) {
    errors->push_back(absl::StrCat("jwks.max_keys is ", p.max_keys, ", outside 1..1000"));
  }
}

void CheckKeySource(const KeySource& keys, const std::string& at,
                    std::vector<std::string>* errors) {
  const int sources = static_cast<int>(!keys.jwks_uri.empty()) +
                      static_cast<int>(!keys.jwks_file.empty()) +
                      static_cast<int>(!keys.public_key_pem.empty());
  if (sources != 1) {
    errors->push_back(absl::StrCat(at, "needs exactly one key source: jwks_uri or jwks_file",
                                   sources == 0 ? "" : " (not several)"));
  }
  if (!keys.jwks_uri.empty()) {
    if (absl::Status uri = internal::CheckJwksUri(keys.jwks_uri, keys.allow_insecure_loopback_http);
        !uri.ok()) {
      errors->push_back(absl::StrCat(at, "jwks_uri ", uri.message()));
    }
  } else if (!keys.ca_file.empty() || keys.allow_insecure_loopback_http) {
    errors->push_back(
        absl::StrCat(at, "ca_file and allow_insecure_loopback_http apply to jwks_uri only"));
  }
}

void CheckClaimPath(const std::vector<std::string>& path, const std::string& at, const char* name,
                    std::vector<std::string>* errors) {
  if (path.empty() || path.size() > kMaxClaimPath ||
      std::any_of(path.begin(), path.end(), [](const std::string& s) { return s.empty(); })) {
    errors->push_back(
        absl::StrCat(at, name, " must name 1 to ", kMaxClaimPath, " non-empty claim names"));
  }
}

void CheckClaims(const ClaimMapping& c, const std::string& at, std::vector<std::string>* errors) {
  CheckClaimPath(c.subject_claim, at, "subject_claim", errors);
  CheckClaimPath(c.roles_claim, at, "roles_claim", errors);
  CheckClaimPath(c.scopes_claim, at, "scopes_claim", errors);
  if (c.fixed_tenant.empty()) {
    CheckClaimPath(c.tenant_claim, at, "tenant_claim", errors);
  } else if (!IsValidId(c.fixed_tenant) || c.fixed_tenant == kAnyTenant) {
    errors->push_back(absl::StrCat(at, "fixed_tenant must be a tenant id (1-", kMaxIdLength,
                                   " visible ASCII characters, not '*')"));
  }
  if (c.allowed_tenants.size() > kMaxAllowedTenants ||
      !std::all_of(c.allowed_tenants.begin(), c.allowed_tenants.end(),
                   [](const std::string& t) { return IsValidId(t) && t != kAnyTenant; })) {
    errors->push_back(absl::StrCat(at, "allowed_tenants must be at most ", kMaxAllowedTenants,
                                   " tenant ids ('*' is allow_any_tenant)"));
  }
  if (!c.fixed_tenant.empty() && !c.allowed_tenants.empty() &&
      std::find(c.allowed_tenants.begin(), c.allowed_tenants.end(), c.fixed_tenant) ==
          c.allowed_tenants.end()) {
    errors->push_back(absl::StrCat(at, "fixed_tenant is not among allowed_tenants"));
  }
  if (c.role_names.size() > kMaxRoleMap ||
      std::any_of(c.role_names.begin(), c.role_names.end(),
                  [](const auto& entry) { return entry.first.empty(); })) {
    errors->push_back(absl::StrCat(at, "role_map must have at most ", kMaxRoleMap,
                                   " entries with non-empty names"));
  }
}

void CheckIssuer(const IssuerOptions& issuer, size_t index, std::vector<std::string>* errors) {
  const std::string at = issuer.issuer.empty()
                             ? absl::StrCat("issuers[", index, "]: ")
                             : absl::StrCat("issuer '", issuer.issuer.substr(0, 200), "': ");
  if (issuer.issuer.empty() || issuer.issuer.size() > kMaxIssuerBytes) {
    errors->push_back(absl::StrCat(at, "issuer must be 1-", kMaxIssuerBytes,
                                   " bytes (the exact iss of its tokens)"));
  }
  if (issuer.audiences.empty() || issuer.audiences.size() > kMaxAudiences ||
      std::any_of(issuer.audiences.begin(), issuer.audiences.end(),
                  [](const std::string& a) { return a.empty(); })) {
    errors->push_back(
        absl::StrCat(at, "audiences must hold 1 to ", kMaxAudiences, " non-empty audiences"));
  }
  CheckRange(errors, absl::StrCat(at, "max_token_lifetime_seconds"), issuer.max_token_lifetime,
             seconds(1), seconds(30 * 24 * 3600));
  CheckKeySource(issuer.keys, at, errors);
  CheckClaims(issuer.claims, at, errors);
}

}  // namespace

namespace internal {

std::vector<IssuerOptions> ExpandedIssuers(const VerifierOptions& options) {
  std::vector<IssuerOptions> issuers = options.issuers;
  if (!options.public_key_pem.empty() || !options.issuer.empty() || !options.audience.empty()) {
    IssuerOptions single{.issuer = options.issuer,
                         .audiences = {options.audience},
                         .keys = {.public_key_pem = options.public_key_pem}};
    // As before issuers were configurable: platform-wide service tokens are accepted.
    single.claims.allow_any_tenant = true;
    issuers.push_back(std::move(single));
  }
  return issuers;
}

}  // namespace internal

absl::Status ValidateVerifierOptions(const VerifierOptions& options) {
  std::vector<std::string> errors;
  CheckPolicy(options, &errors);
  const std::vector<IssuerOptions> issuers = internal::ExpandedIssuers(options);
  if (issuers.empty() || issuers.size() > kMaxIssuers) {
    errors.push_back(absl::StrCat("the token verifier needs 1 to ", kMaxIssuers,
                                  " issuers; it has ", issuers.size()));
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < issuers.size(); ++i) {
    CheckIssuer(issuers[i], i, &errors);
    if (!issuers[i].issuer.empty() && !seen.insert(issuers[i].issuer).second) {
      errors.push_back(
          absl::StrCat("issuer '", issuers[i].issuer.substr(0, 200), "' is configured twice"));
    }
  }
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

absl::Status ParseIssuersFile(std::string_view json, std::string_view default_audience,
                              VerifierOptions* options) {
  const Json root = Json::parse(json.begin(), json.end(), nullptr, /*allow_exceptions=*/false);
  if (!root.is_object()) {
    return absl::InvalidArgumentError("the issuers file is not a JSON object");
  }
  std::vector<std::string> errors;
  Members top(root, "", &errors);
  if (auto v = top.Int("leeway_seconds")) options->leeway = seconds(*v);
  const seconds lifetime(top.Int("max_token_lifetime_seconds").value_or(24 * 3600));
  if (const Json* jwks = top.Object("jwks"); jwks != nullptr) {
    Members m(*jwks, "jwks", &errors);
    ReadJwksPolicy(m, &options->jwks);
  }
  const Json* issuers = top.Array("issuers");
  if (issuers == nullptr || issuers->empty()) {
    errors.emplace_back("issuers: at least one issuer is required");
  } else {
    for (size_t i = 0; i < issuers->size(); ++i) {
      const std::string path = absl::StrCat("issuers[", i, "]");
      if (!(*issuers)[i].is_object()) {
        errors.push_back(absl::StrCat(path, ": must be a JSON object"));
        continue;
      }
      Members m((*issuers)[i], path, &errors);
      options->issuers.push_back(ReadIssuer(m, default_audience, lifetime));
    }
  }
  top.ReportUnknown();
  if (errors.empty()) return absl::OkStatus();
  return absl::InvalidArgumentError(absl::StrJoin(errors, "\n"));
}

}  // namespace advocacy::auth
