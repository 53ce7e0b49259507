// Wiring only: read config, build objects, run.

#include "advocacy/common/clock.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/service_runtime.h"
#include "broadcast_manager.h"
#include "catalog_manager.h"
#include "courses_config.h"
#include "courses_grpc_service.h"
#include "courses_metrics.h"
#include "learning_manager.h"
#include "redis_courses_store.h"

int main() {
  using namespace advocacy;
  using namespace advocacy::courses;
  config::EnvReader env;
  const CoursesConfig cfg = ReadCoursesConfig(env);
  runtime::ServiceRuntime rt(env, cfg.runtime);
  rt.DeclareTopics({cfg.topic});

  CoursesMetrics metrics(rt.metrics().registry(), rt.name(),
                         static_cast<size_t>(cfg.max_course_labels));
  RedisCoursesStore store(&rt.redis());
  const DomainOptions options{.topic = cfg.topic, .idempotency_ttl = cfg.idempotency_ttl};
  CatalogManager catalog(&store, &rt.outbox(), options);
  LearningManager learning(&store, &catalog, &rt.outbox(), &metrics, options);
  BroadcastManager broadcasts(&store, &catalog, &rt.outbox(), &metrics, options);

  // The active-learners gauge is counted in Redis, so it survives restarts and every replica
  // reports the same number.
  rt.Every("the active-learners gauge", cfg.active_refresh, [&] {
    auto count = store.CountActiveLearners(clock::UnixMillis() - cfg.active_window.count());
    if (count.ok()) {
      metrics.SetActiveLearners(*count);
    } else {
      log::Debug("active learners not counted", {{"error", std::string(count.status().message())}});
    }
  });

  const auto service = CoursesGrpcService(&catalog, &learning, &broadcasts, rt.rpc());
  return rt.Serve({service.get()});
}
