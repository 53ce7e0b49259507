#include "courses_metrics.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/registry.h>

namespace advocacy::courses {

std::string_view LevelLabel(v1::CourseLevel level) {
  switch (level) {
    case v1::COURSE_LEVEL_BEGINNER:
      return "beginner";
    case v1::COURSE_LEVEL_INTERMEDIATE:
      return "intermediate";
    case v1::COURSE_LEVEL_ADVANCED:
      return "advanced";
    default:
      return "unspecified";
  }
}

CoursesMetrics::CoursesMetrics(prometheus::Registry& registry, std::string service,
                               size_t max_course_labels)
    : service_(std::move(service)), max_course_labels_(max_course_labels) {
  enrollments_ = &prometheus::BuildCounter()
                      .Name("advocacy_courses_enrollments_total")
                      .Help("Enrollments in courses (including re-enrollments), by level.")
                      .Register(registry);
  completions_ = &prometheus::BuildCounter()
                      .Name("advocacy_courses_completions_total")
                      .Help("Courses completed (certificates issued), by course and level.")
                      .Register(registry);
  registrations_ = &prometheus::BuildCounter()
                        .Name("advocacy_courses_broadcast_registrations_total")
                        .Help("Changes of live-broadcast registrations, by outcome.")
                        .Register(registry);
  active_learners_ =
      &prometheus::BuildGauge()
           .Name("advocacy_courses_active_learners")
           .Help("Employees with learning activity within COURSES_ACTIVE_WINDOW_MS (all tenants).")
           .Register(registry)
           .Add({{"service", service_}});
}

void CoursesMetrics::Enrolled(const std::string&, v1::CourseLevel level) {
  enrollments_->Add({{"service", service_}, {"level", std::string(LevelLabel(level))}}).Increment();
}

void CoursesMetrics::Completed(const std::string& course_id, v1::CourseLevel level) {
  std::string label = "other";
  {
    std::lock_guard lock(mu_);
    if (course_labels_.count(course_id) != 0) {
      label = course_id;
    } else if (course_labels_.size() < max_course_labels_) {
      course_labels_.emplace(course_id, true);
      label = course_id;
    }
  }
  completions_
      ->Add(
          {{"service", service_}, {"course_id", label}, {"level", std::string(LevelLabel(level))}})
      .Increment();
}

void CoursesMetrics::RegistrationChanged(std::string_view outcome) {
  registrations_->Add({{"service", service_}, {"outcome", std::string(outcome)}}).Increment();
}

void CoursesMetrics::SetActiveLearners(int64_t count) {
  active_learners_->Set(static_cast<double>(count));
}

}  // namespace advocacy::courses
