#include "sign_in.h"

#include "advocacy/common/auth.h"
#include "advocacy/common/logging.h"

namespace advocacy::gateway {

SignIn BuildSignIn(const GatewayConfig& cfg, const AllowList& allow, runtime::ServiceRuntime& rt) {
  SignIn s;
  if (cfg.oidc_issuer.empty()) {
    log::Warning(
        "GATEWAY_OIDC_ISSUER is not set: browsers cannot sign in; only callers with a bearer "
        "token are served");
    return s;
  }
  if (cfg.public_url.rfind("https://", 0) != 0) {
    log::Warning(
        "GATEWAY_PUBLIC_URL is not https: session cookies are not Secure and HSTS is off; only "
        "for a development machine");
  }
  s.provider =
      std::make_unique<OidcProvider>(OidcClientConfig{.issuer = cfg.oidc_issuer,
                                                      .ca_file = cfg.oidc_ca_file,
                                                      .client_id = cfg.oidc_client_id,
                                                      .client_secret = cfg.oidc_client_secret});
  s.store = std::make_unique<RedisSessionStore>(&rt.redis());
  SessionOptions options{.public_url = cfg.public_url,
                         .client_id = cfg.oidc_client_id,
                         .scope = cfg.oidc_scope,
                         .resources = {},
                         .principal_upstream = "gateway",
                         .idle = cfg.session_idle,
                         .max_age = cfg.session_max};
  // The sign-in's own token is for the gateway (its audience, verified by its own verifier, as
  // the services verify theirs); each service's token comes from a refresh for its resource.
  options.resources["gateway"] = cfg.oidc_resource_prefix + "gateway";
  for (const std::string& upstream : allow.upstreams()) {
    options.resources[upstream] = cfg.oidc_resource_prefix + upstream;
  }
  const auth::TokenVerifier* verifier = rt.rpc().verifier;
  s.sessions = std::make_unique<SessionManager>(
      s.store.get(), s.provider.get(),
      [verifier](const std::string& token) { return verifier->Verify("Bearer " + token); },
      std::move(options));
  if (!cfg.anonymous_client_secret.empty()) {
    s.anonymous = std::make_unique<AnonymousIdentity>(
        s.provider.get(),
        oidc::ClientCredentials{.token_url = "",
                                .ca_file = cfg.oidc_ca_file,
                                .client_id = cfg.anonymous_client_id,
                                .client_secret = cfg.anonymous_client_secret,
                                .resource = "",
                                .scope = "courses:verify",
                                .extra_params = {}},
        cfg.oidc_resource_prefix);
  }
  OidcProvider* p = s.provider.get();
  rt.Every("OpenID discovery", std::chrono::seconds(5), [p, logged = false]() mutable {
    if (p->discovered()) return;
    if (absl::Status st = p->Discover(); !st.ok() && !logged) {
      logged = true;
      log::Warning(
          "the identity provider's discovery document cannot be read yet; sign-in waits for it",
          {{"error", std::string(st.message())}});
    }
  });
  rt.AddReadinessCheck("the identity provider's discovery document", [p]() -> absl::Status {
    return p->discovered() ? absl::OkStatus()
                           : absl::UnavailableError("not read yet (GATEWAY_OIDC_ISSUER)");
  });
  return s;
}

}  // namespace advocacy::gateway
