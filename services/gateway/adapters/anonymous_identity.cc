#include "anonymous_identity.h"

namespace advocacy::gateway {

absl::StatusOr<std::string> AnonymousIdentity::TokenFor(const std::string& upstream) {
  oidc::TokenSource* source = nullptr;
  {
    std::lock_guard lock(mu_);
    auto it = sources_.find(upstream);
    if (it == sources_.end()) {
      if (!provider_->discovered()) {
        return absl::UnavailableError("the identity provider has not been reached yet");
      }
      oidc::ClientCredentials c = client_;
      c.token_url = provider_->token_endpoint();
      c.resource = prefix_ + upstream;
      it = sources_.emplace(upstream, std::make_unique<oidc::TokenSource>(std::move(c))).first;
    }
    source = it->second.get();
  }
  return source->Get();
}

}  // namespace advocacy::gateway
