#pragma once

// The courses service's own Prometheus series, registered in the process's shared registry
// beside the advocacy_grpc_*, advocacy_kafka_* and advocacy_outbox_* ones:
//
//   advocacy_courses_enrollments_total{service,level}
//   advocacy_courses_completions_total{service,course_id,level}
//   advocacy_courses_broadcast_registrations_total{service,outcome}
//       outcome: registered | waitlisted | promoted | cancelled
//   advocacy_courses_active_learners{service}
//       employees (all tenants) who enrolled, recorded progress or ticked a checklist item
//       within COURSES_ACTIVE_WINDOW_MS; read from Redis, so every replica reports the same
//       number (aggregate with max, not sum).
//
// course_id is a label so completions can be broken down by course; to bound the series, only
// the first `max_course_labels` course ids seen by a process get their own, the rest count
// under course_id="other".

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "courses_domain.h"
#include "ports.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace advocacy::courses {

class CoursesMetrics final : public CoursesObserver {
 public:
  CoursesMetrics(prometheus::Registry& registry, std::string service, size_t max_course_labels);

  void Enrolled(const std::string& course_id, v1::CourseLevel level) override;
  void Completed(const std::string& course_id, v1::CourseLevel level) override;
  void RegistrationChanged(std::string_view outcome) override;
  void SetActiveLearners(int64_t count);

 private:
  std::string service_;
  size_t max_course_labels_;
  prometheus::Family<prometheus::Counter>* enrollments_;
  prometheus::Family<prometheus::Counter>* completions_;
  prometheus::Family<prometheus::Counter>* registrations_;
  prometheus::Gauge* active_learners_;
  std::mutex mu_;
  std::unordered_map<std::string, bool> course_labels_;  // guarded by mu_
};

// "beginner", "intermediate", "advanced" (or "unspecified").
std::string_view LevelLabel(v1::CourseLevel level);

}  // namespace advocacy::courses
