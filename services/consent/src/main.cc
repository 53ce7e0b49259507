// Wiring only: read config, build objects, run.

#include "advocacy/common/kafka.h"
#include "advocacy/common/service_runtime.h"
#include "consent_config.h"
#include "consent_grpc_service.h"
#include "consent_manager.h"
#include "propagation_manager.h"
#include "propagation_metrics.h"
#include "propagation_monitor.h"
#include "propagation_waiter.h"
#include "redis_consent_store.h"
#include "redis_propagation_store.h"

int main() {
  using namespace advocacy;
  using namespace advocacy::consent;
  config::EnvReader env;
  const ConsentConfig cfg = ReadConsentConfig(env);
  runtime::ServiceRuntime rt(env, cfg.runtime);
  // The receipts topic too: consuming services produce to it and may start first.
  rt.DeclareTopics({cfg.topic, cfg.receipts_topic});

  const PropagationTracking tracking = {.services = cfg.propagation_services,
                                        .receipts_kept = cfg.receipts_kept,
                                        .pending_kept = cfg.pending_kept};
  RedisConsentStore store(&rt.redis(), tracking);
  ConsentManager manager(&store, &rt.outbox(),
                         {.topic = cfg.topic, .idempotency_ttl = cfg.idempotency_ttl});

  RedisPropagationStore propagation_store(&rt.redis(), tracking);
  PropagationMetrics propagation_metrics(rt.metrics().registry(), cfg.propagation_services);
  PropagationManager propagation(&store, &propagation_store, &propagation_metrics,
                                 cfg.propagation_services);
  PropagationMonitor monitor(&propagation, cfg.propagation_check_interval);
  rt.Own("the propagation monitor", &monitor);
  PropagationWaiter waiter(&propagation,
                           {.max_wait = cfg.ack_wait, .max_waiting = cfg.ack_max_waiting},
                           &propagation_metrics);
  rt.Consume(cfg.receipts_group, cfg.receipts_topic,
             [&propagation](const kafka::Message& m) { return propagation.HandleReceipt(m); });

  const auto service = ConsentGrpcService(&manager, rt.rpc(), &propagation, &waiter);
  return rt.Serve({service.get()});
}
