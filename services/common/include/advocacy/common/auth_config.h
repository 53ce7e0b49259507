#pragma once

// The token issuers file (ADVOCACY_AUTH_ISSUERS_FILE): which identity providers a service
// trusts, where their keys are, and how their claims map to a Principal. JSON, for example:
//
//   {
//     "leeway_seconds": 30,
//     "max_token_lifetime_seconds": 86400,
//     "jwks": {"default_cache_seconds": 600, "min_cache_seconds": 60,
//              "max_cache_seconds": 3600, "unknown_kid_min_interval_seconds": 30,
//              "unknown_kid_wait_ms": 1000, "fetch_timeout_ms": 5000,
//              "max_bytes": 65536, "max_keys": 32},
//     "issuers": [
//       {"issuer": "https://login.example.com/realms/acme",
//        "jwks_uri": "https://login.example.com/realms/acme/protocol/openid-connect/certs",
//        "ca_file": "/etc/advocacy/idp-ca.pem",
//        "audiences": ["advocacy-consent"],
//        "roles_claim": ["realm_access", "roles"],
//        "role_map": {"advocacy-admin": "admin", "advocacy-user": "employee"},
//        "fixed_tenant": "acme"},
//       {"issuer": "https://idp.internal", "jwks_file": "/etc/advocacy/jwks.json",
//        "tenant_claim": "org", "roles_claim": "scope", "roles_space_separated": true,
//        "role_map": {"advocacy.service": "service"}, "allowed_tenants": ["acme", "globex"]}
//     ]
//   }
//
// Every member except "issuers" and each issuer's "issuer" and key source (exactly one of
// jwks_uri, jwks_file) is optional, with the defaults of auth.h (JwksPolicy, ClaimMapping,
// IssuerOptions); an issuer without "audiences" accepts `default_audience`
// (ADVOCACY_JWT_AUDIENCE). Per issuer: audiences, jwks_uri, jwks_file, ca_file,
// allow_insecure_loopback_http, max_token_lifetime_seconds, tenant_claim, subject_claim,
// roles_claim (a claim name, or an array of names for a nested claim), roles_space_separated,
// scopes_claim (default "scope"),
// role_map (IdP name -> "employee" | "admin" | "service"), default_role, fixed_tenant,
// allowed_tenants, allow_any_tenant. Unknown members are errors: a misspelt security setting
// must not be silently ignored.

#include <string_view>

#include "absl/status/status.h"
#include "advocacy/common/auth.h"

namespace advocacy::auth {

// Reads the issuers file's text into `options` (issuers are appended; jwks and leeway are set
// when present; the other members are left as they are). OK, or InvalidArgument listing every
// problem of form, one per line, each naming its member ("issuers[1].roles_claim: ..."). The
// values' rules (https URIs, bounds, one key source) are ValidateVerifierOptions', to be run on
// the complete options.
absl::Status ParseIssuersFile(std::string_view json, std::string_view default_audience,
                              VerifierOptions* options);

}  // namespace advocacy::auth
