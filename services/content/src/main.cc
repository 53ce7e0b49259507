// Wiring only: read config, build objects, run.

#include <string>
#include <string_view>

#include "advocacy/common/consent_view.h"
#include "advocacy/common/service_runtime.h"
#include "advocacy/common/status_macros.h"
#include "content_config.h"
#include "content_grpc_service.h"
#include "content_manager.h"
#include "content_metrics.h"
#include "link_server.h"
#include "redis_content_store.h"

int main() {
  using namespace advocacy;
  using namespace advocacy::content;
  config::EnvReader env;
  const ContentConfig cfg = ReadContentConfig(env);
  runtime::ServiceRuntime rt(env, cfg.runtime);
  rt.DeclareTopics({cfg.content_topic, cfg.engagement_topic});

  ContentMetrics content_metrics(rt.metrics().registry(), rt.name());
  RedisContentStore store(&rt.redis(), rt.name());
  consent_view::ConsentView view(&rt.redis(), rt.name(),
                                 {.max_sequence_gap = rt.config().consent_max_sequence_gap});
  ContentManager manager(&store, &view, &content_metrics, &rt.outbox(),
                         {.content_topic = cfg.content_topic,
                          .engagement_topic = cfg.engagement_topic,
                          .link_base_url = cfg.link_base_url,
                          .min_group_size = cfg.min_group_size,
                          .active_window = cfg.active_window,
                          .quotas = {.items = cfg.max_items_per_tenant,
                                     .groups = cfg.max_groups_per_tenant,
                                     .links = cfg.max_links_per_tenant}});
  // The receipts topic is declared here too, so receipts do not wait for the consent service to
  // have started once.
  rt.ConsumeConsentView(&view, {.topic = cfg.consent_topic,
                                .group_id = cfg.consent_group,
                                .receipts_topic = cfg.receipts_topic,
                                .on_withdrawn = [&manager](const consent_view::ApplyResult& r) {
                                  return manager.OnConsentWithdrawn(r);
                                }});

  LinkServer links(cfg.link_server,
                   [&manager](std::string_view code) { return manager.ResolveClick(code); });
  rt.Own(
      "the tracked-link endpoint",
      [&rt, &links]() -> absl::Status {
        RETURN_IF_ERROR(links.Start());
        rt.Announce("link_port", std::to_string(links.port()));
        return absl::OkStatus();
      },
      [&links] { links.Stop(); });

  const auto service = ContentGrpcService(&manager, rt.rpc());
  return rt.Serve({service.get()});
}
