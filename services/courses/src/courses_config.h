#pragma once

#include <chrono>
#include <string>

#include "advocacy/common/config.h"

namespace advocacy::courses {

struct CoursesConfig {
  // The shared settings, COURSES_TOPIC_RETENTION_MS and COURSES_OUTBOX_LEASE_MS included.
  config::RuntimeConfig runtime;
  std::string topic;                            // COURSES_TOPIC, default advocacy.courses.v1
  std::chrono::milliseconds idempotency_ttl{};  // COURSES_IDEMPOTENCY_TTL_MS, default 24 h
  std::chrono::milliseconds active_window{};    // COURSES_ACTIVE_WINDOW_MS, default 30 days
  std::chrono::milliseconds active_refresh{};   // COURSES_ACTIVE_REFRESH_MS, default 30 s
  int max_course_labels = 500;                  // COURSES_METRIC_MAX_COURSES
};

// Reads and validates; problems are collected in `env`.
CoursesConfig ReadCoursesConfig(config::EnvReader& env);

}  // namespace advocacy::courses
