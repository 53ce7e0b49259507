#pragma once

// IdentityProvider over OpenID Connect: the provider's endpoints from its discovery document
// ({issuer}/.well-known/openid-configuration, https, certificate verified), the token endpoint
// for the code and refresh grants (as client `client_id`; with a secret, client_secret_basic;
// without, a public client identified by PKCE alone), RFC 7009 revocation and RP-initiated logout
// when the provider offers them.
//
// Discover() may fail while the provider is down; the gateway retries it and is not ready until
// it succeeded (sign-in needs it; RPCs with a session need the token endpoint anyway).

#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "advocacy/common/oidc_client.h"
#include "session_ports.h"

namespace advocacy::gateway {

struct OidcClientConfig {
  std::string issuer;   // https://idp.example/realms/x (no trailing '/')
  std::string ca_file;  // the provider's CA; empty: the system store
  std::string client_id;
  std::string client_secret;  // empty: a public client
  std::chrono::milliseconds timeout{5000};
};

class OidcProvider final : public IdentityProvider {
 public:
  explicit OidcProvider(OidcClientConfig config) : config_(std::move(config)) {}

  // Reads the discovery document; FAILED_PRECONDITION when it names another issuer or lacks
  // the authorization or token endpoint; UNAVAILABLE when the provider cannot be reached.
  absl::Status Discover();
  bool discovered() const { return discovered_.load(); }

  const std::string& issuer() const override { return config_.issuer; }
  const std::string& authorization_endpoint() const override { return endpoints_.authorization; }
  const std::string& end_session_endpoint() const override { return endpoints_.end_session; }
  // After a successful Discover only.
  const std::string& token_endpoint() const { return endpoints_.token; }
  absl::StatusOr<TokenSet> ExchangeCode(const std::string& code, const std::string& code_verifier,
                                        const std::string& redirect_uri,
                                        const std::string& resource) override;
  absl::StatusOr<TokenSet> Refresh(const std::string& refresh_token,
                                   const std::string& resource) override;
  void Revoke(const std::string& refresh_token) override;

 private:
  struct Endpoints {
    std::string authorization, token, end_session, revocation;
  };
  absl::StatusOr<TokenSet> TokenRequest(
      const std::vector<std::pair<std::string, std::string>>& form, std::string_view grant);

  const OidcClientConfig config_;
  // Written once by the first successful Discover, before discovered_ is set; read after.
  Endpoints endpoints_;
  std::mutex discover_mu_;
  std::atomic<bool> discovered_{false};
};

}  // namespace advocacy::gateway
