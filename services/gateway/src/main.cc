// Wiring only: read config, build objects, run.

#include <google/protobuf/descriptor.h>

#include "advocacy/common/http_server.h"
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
#include "rate_limiter.h"
#include "sign_in.h"
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
      AllowList::Create(BrowserRpcs(), *google::protobuf::DescriptorPool::generated_pool(),
                        AnonymousRpcs()),
      "the browser allow-list does not match the compiled protos");
  const auto upstreams =
      runtime::OrDie(Upstreams::Connect(cfg.upstreams, cfg.runtime.grpc_tls, allow.routes()),
                     "cannot build the channels to the services");
  StaticSite site;
  runtime::OrDie(LoadWebRoot(cfg.web_root, &site), "cannot load the web app (GATEWAY_WEB_ROOT)");
  GatewayMetrics metrics(rt.metrics().registry(), rt.name());

  // Browser sign-in, when an identity provider is configured.
  const SignIn sign_in = BuildSignIn(cfg, allow, rt);
  RateLimiter session_rate(cfg.session_rate, cfg.session_burst);
  RateLimiter login_rate(cfg.login_rate, cfg.login_rate * 4, 1);
  RateLimiter anonymous_rate(cfg.anonymous_rate, cfg.anonymous_rate * 4, 1);
  const GatewayHandler handler(
      {.allow = &allow,
       .upstreams = upstreams.get(),
       .site = &site,
       .metrics = &metrics,
       .sessions = sign_in.sessions.get(),
       .anonymous = sign_in.anonymous.get(),
       .session_rate = &session_rate,
       .login_rate = &login_rate,
       .anonymous_rate = &anonymous_rate},
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
