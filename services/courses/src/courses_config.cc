#include "courses_config.h"

namespace advocacy::courses {

CoursesConfig ReadCoursesConfig(config::EnvReader& env) {
  using std::chrono::hours;
  using std::chrono::milliseconds;
  CoursesConfig c;
  c.runtime = config::ReadRuntimeConfig(env, "courses");
  c.topic = env.Optional("COURSES_TOPIC", "advocacy.courses.v1");
  c.runtime.published_topics = {c.topic};
  c.idempotency_ttl =
      env.Millis("COURSES_IDEMPOTENCY_TTL_MS", hours(24), milliseconds(60000), hours(24 * 30));
  c.active_window =
      env.Millis("COURSES_ACTIVE_WINDOW_MS", hours(24 * 30), milliseconds(60000), hours(24 * 366));
  c.active_refresh =
      env.Millis("COURSES_ACTIVE_REFRESH_MS", milliseconds(30000), milliseconds(1000), hours(1));
  c.max_course_labels = static_cast<int>(env.Int("COURSES_METRIC_MAX_COURSES", 500, 0, 100000));
  return c;
}

}  // namespace advocacy::courses
