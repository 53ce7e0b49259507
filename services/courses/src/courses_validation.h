#pragma once

// Input validation at the edge of the courses domain. Every error is INVALID_ARGUMENT and starts
// with the path of the offending field ("content.modules[0].lessons[2].quiz.questions[0].choices:
// at most 10"), so a caller can fix the request without reading our code. Every size is bounded.
// Tenant, employee and object ids (courses, modules, lessons, questions, checklists, items,
// broadcasts) and idempotency keys follow the one grammar of advocacy/common/ids.h.

#include <cstdint>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/courses/v1/courses.pb.h"

namespace advocacy::courses {

inline constexpr size_t kMaxTitleBytes = 200;
inline constexpr size_t kMaxDescriptionBytes = 10000;
inline constexpr size_t kMaxLanguageBytes = 35;
inline constexpr size_t kMaxUrlBytes = 2048;
inline constexpr size_t kMaxTextBodyBytes = 65536;
inline constexpr size_t kMaxPromptBytes = 2000;
inline constexpr size_t kMaxChoiceBytes = 500;
inline constexpr size_t kMaxItemTextBytes = 500;
inline constexpr size_t kMaxItemDetailsBytes = 2000;
inline constexpr size_t kMaxReasonBytes = 1000;
inline constexpr size_t kMaxCourseContentBytes = size_t{2} * 1024 * 1024;
inline constexpr int kMaxModules = 20;
inline constexpr int kMaxLessonsPerModule = 50;
inline constexpr int kMaxLessonsPerCourse = 200;
inline constexpr int kMaxLessonMinutes = 600;
inline constexpr int kMaxQuestions = 50;
inline constexpr int kMinChoices = 2;
inline constexpr int kMaxChoices = 10;
inline constexpr int kDefaultPassPercent = 80;
inline constexpr int kMaxPrerequisites = 10;
inline constexpr int kMaxChecklistItems = 100;
inline constexpr int kMinBroadcastMinutes = 5;
inline constexpr int kMaxBroadcastMinutes = 1440;
inline constexpr int kMaxBroadcastCapacity = 10000;
inline constexpr int64_t kMaxBroadcastLeadMs = int64_t{2} * 366 * 24 * 3600 * 1000;
inline constexpr int kMaxPageSize = 100;
inline constexpr int kDefaultPageSize = 50;

// Length between min and max bytes (min 0: optional).
absl::Status ValidateText(std::string_view field, std::string_view value, size_t min, size_t max);
// A BCP 47-shaped tag: 2-35 of letters, digits and '-', starting with a letter.
absl::Status ValidateLanguage(std::string_view field, std::string_view value);
// https://, at most 2,048 bytes, no spaces or control characters.
absl::Status ValidateHttpsUrl(std::string_view field, std::string_view value);
// A known level other than UNSPECIFIED.
absl::Status ValidateLevel(std::string_view field, v1::CourseLevel level);

absl::Status ValidateCourseContent(std::string_view field, const v1::CourseContent& content);
absl::Status ValidateChecklistContent(std::string_view field, const v1::ChecklistContent& content);
// starts_at must be after now_ms and at most two years ahead.
absl::Status ValidateBroadcastDetails(std::string_view field, const v1::BroadcastDetails& details,
                                      int64_t now_ms);

// 0..max; 0 means `fallback`.
absl::StatusOr<int> PageSize(std::string_view field, int32_t value, int max, int fallback);
// Tokens are "o<offset>": opaque to callers, cheap to check. Empty is offset 0.
absl::StatusOr<int64_t> PageOffset(std::string_view field, std::string_view token);
std::string PageToken(int64_t offset);

// The effective pass mark of a quiz.
int PassPercent(const v1::QuizLesson& quiz);

}  // namespace advocacy::courses
