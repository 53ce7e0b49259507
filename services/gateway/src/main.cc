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
#include "gateway_http.h"
#include "gateway_metrics.h"
#include "grpc_upstreams.h"
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
  for (const auto* type : {consent::v1::GiveConsentRequest::descriptor(),
                           content::v1::CreateItemRequest::descriptor(),
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
  GatewayMetrics metrics(rt.metrics().registry());
  const GatewayHandler handler(&allow, upstreams.get(), &site, &metrics,
                               {.upstream_deadline = cfg.upstream_deadline,
                                .https = cfg.public_url.rfind("https://", 0) == 0});

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
  return rt.Serve({}, {"advocacy.gateway"});
}
