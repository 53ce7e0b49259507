// Wiring only: read config, build objects, run.

#include <google/protobuf/descriptor.h>

#include "advocacy/common/auth.h"
#include "advocacy/common/http_server.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/metrics.h"
#include "advocacy/common/service_runtime.h"
#include "advocacy/consent/v1/consent_service.pb.h"
#include "advocacy/content/v1/content_service.pb.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "advocacy/notifications/v1/notifications_service.pb.h"
#include "allow_list.h"
#include "gateway_config.h"
#include "gateway_grpc_service.h"
#include "gateway_http.h"
#include "gateway_metrics.h"
#include "grpc_upstreams.h"
#include "oidc_provider.h"
#include "rate_limiter.h"
#include "redis_session_store.h"
#include "session_manager.h"
#include "static_site.h"
#include "web_root.h"

int main() {
  using namespace advocacy;
  using namespace advocacy::gateway;
  config::EnvReader env;
  const GatewayConfig cfg = ReadGatewayConfig(env);
  runtime::ServiceRuntime rt(env, cfg.runtime);

  // The API's descriptors: linking one message of each service file registers the file (and its
  // services) in the generated pool the allow-list resolves against.
  for (const auto* type :
       {consent::v1::GiveConsentRequest::descriptor(), content::v1::CreateItemRequest::descriptor(),
        courses::v1::CreateCourseRequest::descriptor(),
        notifications::v1::UpsertRecipientRequest::descriptor()}) {
    (void)type;
  }
  const AllowList allow = runtime::OrDie(
      AllowList::Create(BrowserRpcs(), *google::protobuf::DescriptorPool::generated_pool()),
      "the browser allow-list does not match the compiled protos");
  const auto upstreams = runtime::OrDie(Upstreams::Connect(cfg.upstreams, cfg.runtime.grpc_tls),
                                        "cannot build the channels to the services");
  StaticSite site;
  runtime::OrDie(LoadWebRoot(cfg.web_root, &site), "cannot load the web app (GATEWAY_WEB_ROOT)");
  GatewayMetrics metrics(rt.metrics().registry(), rt.name());

  // Browser sign-in, when an identity provider is configured.
  std::unique_ptr<OidcProvider> provider;
  std::unique_ptr<RedisSessionStore> store;
  std::unique_ptr<SessionManager> sessions;
  RateLimiter session_rate(cfg.session_rate, cfg.session_burst);
  RateLimiter login_rate(cfg.login_rate, cfg.login_rate * 4, 1);
  if (cfg.oidc_issuer.empty()) {
    log::Warning(
        "GATEWAY_OIDC_ISSUER is not set: browsers cannot sign in; only callers with a "
        "bearer token are served");
  } else {
    if (cfg.public_url.rfind("https://", 0) != 0) {
      log::Warning(
          "GATEWAY_PUBLIC_URL is not https: session cookies are not Secure and HSTS is "
          "off; only for a development machine");
    }
    provider =
        std::make_unique<OidcProvider>(OidcClientConfig{.issuer = cfg.oidc_issuer,
                                                        .ca_file = cfg.oidc_ca_file,
                                                        .client_id = cfg.oidc_client_id,
                                                        .client_secret = cfg.oidc_client_secret});
    store = std::make_unique<RedisSessionStore>(&rt.redis());
    SessionOptions options{.public_url = cfg.public_url,
                           .client_id = cfg.oidc_client_id,
                           .scope = cfg.oidc_scope,
                           .resources = {},
                           .principal_upstream = "gateway",
                           .idle = cfg.session_idle,
                           .max_age = cfg.session_max};
    // The sign-in's own token is for the gateway (its audience, verified by its own verifier);
    // each service's token comes from a refresh for that service's resource.
    options.resources["gateway"] = cfg.oidc_resource_prefix + "gateway";
    for (const std::string& upstream : allow.upstreams()) {
      options.resources[upstream] = cfg.oidc_resource_prefix + upstream;
    }
    const auth::TokenVerifier* verifier = rt.rpc().verifier;
    sessions = std::make_unique<SessionManager>(
        store.get(), provider.get(),
        [verifier](const std::string& token) { return verifier->Verify("Bearer " + token); },
        std::move(options));
    OidcProvider* p = provider.get();
    rt.Every("OpenID discovery", std::chrono::seconds(5), [p, logged = false]() mutable {
      if (p->discovered()) return;
      if (absl::Status st = p->Discover(); !st.ok() && !logged) {
        logged = true;
        log::Warning(
            "the identity provider's discovery document cannot be read yet; sign-in "
            "waits for it",
            {{"error", std::string(st.message())}});
      }
    });
    rt.AddReadinessCheck("the identity provider's discovery document", [p]() -> absl::Status {
      return p->discovered() ? absl::OkStatus()
                             : absl::UnavailableError("not read yet (GATEWAY_OIDC_ISSUER)");
    });
  }

  const GatewayHandler handler(
      &allow, upstreams.get(), &site, &metrics, sessions.get(), &session_rate, &login_rate,
      {.upstream_deadline = cfg.upstream_deadline, .public_url = cfg.public_url});
  http::Server server(cfg.http, [&handler](const http::Request& r) { return handler.Handle(r); });
  rt.Own(
      "the gateway's HTTP endpoint (GATEWAY_HTTP_LISTEN)",
      [&]() -> absl::Status {
        if (absl::Status st = server.Start(); !st.ok()) return st;
        rt.Announce("http_port", std::to_string(server.port()));
        rt.Announce("web_files", std::to_string(site.files()));
        return absl::OkStatus();
      },
      [&server] { server.Stop(); });
  const auto service = GatewayGrpcService(&allow, rt.rpc());
  return rt.Serve({service.get()});
}
