#pragma once

// The gateway's own service identity, for the RPCs anyone may call without signing in
// (allow_list.h AnonymousRpcs: VerifyCertificate). A client-credentials client of the identity
// provider (GATEWAY_ANONYMOUS_CLIENT_ID, its secret from a file) whose only scope is the one those
// RPCs need (courses:verify), with one cached token per service's resource (oidc::TokenSource).
// The token endpoint is the provider's, from discovery; before discovery every call is
// UNAVAILABLE. Thread-safe.

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "absl/status/statusor.h"
#include "advocacy/common/oidc_client.h"
#include "oidc_provider.h"

namespace advocacy::gateway {

class AnonymousIdentity {
 public:
  // `client` without token_url and resource (they come from the provider and the upstream).
  AnonymousIdentity(const OidcProvider* provider, oidc::ClientCredentials client,
                    std::string resource_prefix)
      : provider_(provider), client_(std::move(client)), prefix_(std::move(resource_prefix)) {}

  absl::StatusOr<std::string> TokenFor(const std::string& upstream);

 private:
  const OidcProvider* provider_;
  const oidc::ClientCredentials client_;
  const std::string prefix_;
  std::mutex mu_;
  std::map<std::string, std::unique_ptr<oidc::TokenSource>> sources_;  // guarded by mu_
};

}  // namespace advocacy::gateway
