// Wiring only: read config, build objects, run.

#include <chrono>
#include <memory>

#include "advocacy/common/logging.h"
#include "advocacy/common/oidc_client.h"
#include "advocacy/common/service_runtime.h"
#include "advocacy/common/status_macros.h"
#include "consent_client.h"
#include "dispatcher.h"
#include "notifications_config.h"
#include "notifications_grpc_service.h"
#include "notifications_manager.h"
#include "notifications_metrics.h"
#include "redis_notifications_store.h"
#include "smtp_sender.h"
#include "unsubscribe.h"
#include "unsubscribe_server.h"

int main() {
  using namespace advocacy;
  using namespace advocacy::notifications;
  config::EnvReader env;
  const NotificationsConfig cfg = ReadNotificationsConfig(env);
  runtime::ServiceRuntime rt(env, cfg.runtime);
  rt.DeclareTopics({cfg.dlq_topic});  // DeliveryFailed events, through the outbox

  const UnsubscribeTokenSigner signer = runtime::OrDie(
      UnsubscribeTokenSigner::Create(cfg.unsubscribe_key, cfg.unsubscribe_previous_key),
      "NOTIFICATIONS_UNSUBSCRIBE_KEY_FILE holds an unusable key");
  NotificationsMetrics metrics(rt.metrics().registry(), rt.name());
  RedisNotificationsStore store(&rt.redis());
  store.set_retention_seconds(RetentionSeconds(cfg));
  // Its identity towards consent: client credentials at the identity provider. The provider may
  // come up after this service: a failed first request is logged, readiness says why, and the
  // token is asked for again (at most once a second while it fails, and every 30 s).
  auto consent_tokens = std::make_shared<oidc::TokenSource>(cfg.consent_credentials);
  const std::unique_ptr<GrpcConsentGateway> consent =
      runtime::OrDie(ConnectConsentGateway(cfg, consent_tokens),
                     "cannot set up the channel to consent (ADVOCACY_GRPC_TLS_*)");
  rt.AddReadinessCheck("a token for the consent service",
                       [consent_tokens] { return ConsentTokenReadiness(*consent_tokens); });
  rt.Every("the consent token refresh", std::chrono::seconds(30), [consent_tokens, &metrics] {
    if (auto token = consent_tokens->Get(); !token.ok()) {
      log::Error("notifications has no token for the consent service",
                 {{"error", std::string(token.status().message())}});
    }
    const oidc::TokenSource::Stats s = consent_tokens->stats();
    metrics.ConsentToken(s.failures, s.expires_at_unix);
  });
  SmtpMailSender sender(runtime::OrDie(SmtpOptionsFrom(cfg), "the SMTP settings are unusable"));

  Dispatcher dispatcher(&store, &sender, consent.get(), &signer, &metrics, &rt.outbox(),
                        DispatcherOptionsFrom(cfg));
  rt.Own("the dispatcher", &dispatcher);  // sends in progress finish and are recorded on stop
  rt.Announce("dispatcher", dispatcher.owner());
  NotificationsManager manager(
      &store, consent.get(), &metrics, [&] { dispatcher.Wake(); }, ManagerOptionsFrom(cfg));

  consent_view::ConsentView view(&rt.redis(), rt.name(),
                                 {.max_sequence_gap = rt.config().consent_max_sequence_gap});
  rt.ConsumeConsentView(&view, {.topic = cfg.consent_topic,
                                .group_id = cfg.consent_group,
                                .receipts_topic = cfg.receipts_topic,
                                .on_withdrawn = [&](const consent_view::ApplyResult& r) {
                                  return manager.OnConsentWithdrawn(r);
                                }});
  rt.Consume(cfg.events_group + "-content", cfg.content_topic,
             [&](const kafka::Message& m) { return manager.HandleContentEvent(m); });
  rt.Consume(cfg.events_group + "-courses", cfg.courses_topic,
             [&](const kafka::Message& m) { return manager.HandleCoursesEvent(m); });

  UnsubscribeServer unsubscribe(
      cfg.unsubscribe_server, &signer, consent.get(), [&](const UnsubscribeClaims& c) {
        // The consent event cancels the same jobs a moment later; doing it now closes the gap.
        auto n = manager.CancelForWithdrawal(c.tenant_id, c.employee_id, c.purpose);
        if (!n.ok()) {
          log::Warning(
              "cancelling jobs after a one-click unsubscribe failed; the consent event "
              "cancels them when it arrives",
              {{"tenant", c.tenant_id}, {"error", std::string(n.status().message())}});
        }
      });
  rt.Own(
      "the unsubscribe endpoint",
      [&]() -> absl::Status {
        RETURN_IF_ERROR(unsubscribe.Start());
        rt.Announce("unsubscribe_port", std::to_string(unsubscribe.port()));
        return absl::OkStatus();
      },
      [&] { unsubscribe.Stop(); });

  const auto service = NotificationsGrpcService(&manager, rt.rpc());
  return rt.Serve({service.get()});
}
