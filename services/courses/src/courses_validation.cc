#include "courses_validation.h"

#include <google/protobuf/util/time_util.h>

#include <set>
#include <string>

#include "absl/strings/numbers.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::courses {
namespace {

absl::Status Invalid(std::string_view field, std::string_view problem) {
  return absl::InvalidArgumentError(advocacy::StrCat(field, ": ", problem));
}

std::string Item(std::string_view field, std::string_view name, int index) {
  return advocacy::StrCat(field, field.empty() ? "" : ".", name, "[", index, "]");
}

std::string Sub(std::string_view field, std::string_view name) {
  return advocacy::StrCat(field, field.empty() ? "" : ".", name);
}

absl::Status ValidateQuiz(const std::string& field, const v1::QuizLesson& quiz) {
  if (quiz.questions().empty()) return Invalid(Sub(field, "questions"), "at least one question");
  if (quiz.questions_size() > kMaxQuestions) {
    return Invalid(Sub(field, "questions"), advocacy::StrCat("at most ", kMaxQuestions));
  }
  if (quiz.pass_percent() < 0 || quiz.pass_percent() > 100) {
    return Invalid(Sub(field, "pass_percent"), "0 to 100 (0 means 80)");
  }
  std::set<std::string> ids;
  for (int i = 0; i < quiz.questions_size(); ++i) {
    const auto& q = quiz.questions(i);
    const std::string qf = Item(field, "questions", i);
    RETURN_IF_ERROR(ids::ValidateObjectId(Sub(qf, "question_id"), q.question_id()));
    if (!ids.insert(q.question_id()).second) {
      return Invalid(Sub(qf, "question_id"),
                     advocacy::StrCat("'", q.question_id(), "' appears twice"));
    }
    RETURN_IF_ERROR(ValidateText(Sub(qf, "prompt"), q.prompt(), 1, kMaxPromptBytes));
    if (q.choices_size() < kMinChoices) {
      return Invalid(Sub(qf, "choices"), advocacy::StrCat("at least ", kMinChoices));
    }
    if (q.choices_size() > kMaxChoices) {
      return Invalid(Sub(qf, "choices"), advocacy::StrCat("at most ", kMaxChoices));
    }
    for (int c = 0; c < q.choices_size(); ++c) {
      RETURN_IF_ERROR(ValidateText(Item(qf, "choices", c), q.choices(c), 1, kMaxChoiceBytes));
    }
    if (q.correct_choices().empty()) {
      return Invalid(Sub(qf, "correct_choices"), "at least one correct choice");
    }
    std::set<int> correct;
    for (int c = 0; c < q.correct_choices_size(); ++c) {
      const int v = q.correct_choices(c);
      if (v < 0 || v >= q.choices_size()) {
        return Invalid(Item(qf, "correct_choices", c),
                       advocacy::StrCat(v, " is not a choice; there are ", q.choices_size(),
                                        " (0 to ", q.choices_size() - 1, ")"));
      }
      if (!correct.insert(v).second) {
        return Invalid(Item(qf, "correct_choices", c), advocacy::StrCat(v, " appears twice"));
      }
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::Status ValidateText(std::string_view field, std::string_view value, size_t min, size_t max) {
  if (value.size() < min) return Invalid(field, min == 1 ? "required" : "too short");
  if (value.size() > max) return Invalid(field, advocacy::StrCat("at most ", max, " bytes"));
  return absl::OkStatus();
}

absl::Status ValidateLanguage(std::string_view field, std::string_view value) {
  if (value.empty()) return Invalid(field, "required, a language tag such as 'en' or 'nb-NO'");
  if (value.size() < 2 || value.size() > kMaxLanguageBytes) {
    return Invalid(field, advocacy::StrCat("2 to ", kMaxLanguageBytes, " bytes"));
  }
  const char first = value.front();
  if (!((first >= 'a' && first <= 'z') || (first >= 'A' && first <= 'Z'))) {
    return Invalid(field, "a language tag starts with a letter, e.g. 'en' or 'nb-NO'");
  }
  for (char c : value) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
      return Invalid(field, "a language tag has only letters, digits and '-', e.g. 'nb-NO'");
    }
  }
  return absl::OkStatus();
}

absl::Status ValidateHttpsUrl(std::string_view field, std::string_view value) {
  if (value.size() <= 8 || value.size() > kMaxUrlBytes || value.rfind("https://", 0) != 0) {
    return Invalid(
        field, advocacy::StrCat("required, an https:// URL of at most ", kMaxUrlBytes, " bytes"));
  }
  for (char c : value) {
    if (c <= 0x20 || c >= 0x7f)
      return Invalid(field, "must not contain spaces or control characters");
  }
  return absl::OkStatus();
}

absl::Status ValidateLevel(std::string_view field, v1::CourseLevel level) {
  if (level == v1::COURSE_LEVEL_UNSPECIFIED || !v1::CourseLevel_IsValid(level)) {
    return Invalid(field, "required, one of COURSE_LEVEL_BEGINNER, _INTERMEDIATE, _ADVANCED");
  }
  return absl::OkStatus();
}

absl::Status ValidateCourseContent(std::string_view field, const v1::CourseContent& c) {
  if (c.ByteSizeLong() > kMaxCourseContentBytes) {
    return Invalid(field, "at most 2 MiB in total; split the course");
  }
  RETURN_IF_ERROR(ValidateText(Sub(field, "title"), c.title(), 1, kMaxTitleBytes));
  RETURN_IF_ERROR(
      ValidateText(Sub(field, "description"), c.description(), 0, kMaxDescriptionBytes));
  RETURN_IF_ERROR(ValidateLevel(Sub(field, "level"), c.level()));
  RETURN_IF_ERROR(ValidateLanguage(Sub(field, "language"), c.language()));
  if (c.modules().empty()) return Invalid(Sub(field, "modules"), "at least one module");
  if (c.modules_size() > kMaxModules) {
    return Invalid(Sub(field, "modules"), advocacy::StrCat("at most ", kMaxModules));
  }
  std::set<std::string> module_ids;
  std::set<std::string> lesson_ids;
  int total_lessons = 0;
  for (int m = 0; m < c.modules_size(); ++m) {
    const auto& mod = c.modules(m);
    const std::string mf = Item(field, "modules", m);
    RETURN_IF_ERROR(ids::ValidateObjectId(Sub(mf, "module_id"), mod.module_id()));
    if (!module_ids.insert(mod.module_id()).second) {
      return Invalid(Sub(mf, "module_id"),
                     advocacy::StrCat("'", mod.module_id(), "' appears twice"));
    }
    RETURN_IF_ERROR(ValidateText(Sub(mf, "title"), mod.title(), 1, kMaxTitleBytes));
    if (mod.lessons().empty()) return Invalid(Sub(mf, "lessons"), "at least one lesson");
    if (mod.lessons_size() > kMaxLessonsPerModule) {
      return Invalid(Sub(mf, "lessons"), advocacy::StrCat("at most ", kMaxLessonsPerModule));
    }
    total_lessons += mod.lessons_size();
    if (total_lessons > kMaxLessonsPerCourse) {
      return Invalid(Sub(mf, "lessons"),
                     advocacy::StrCat("at most ", kMaxLessonsPerCourse, " lessons per course"));
    }
    for (int l = 0; l < mod.lessons_size(); ++l) {
      const auto& lesson = mod.lessons(l);
      const std::string lf = Item(mf, "lessons", l);
      RETURN_IF_ERROR(ids::ValidateObjectId(Sub(lf, "lesson_id"), lesson.lesson_id()));
      if (!lesson_ids.insert(lesson.lesson_id()).second) {
        return Invalid(Sub(lf, "lesson_id"),
                       advocacy::StrCat("'", lesson.lesson_id(), "' appears twice in the course"));
      }
      RETURN_IF_ERROR(ValidateText(Sub(lf, "title"), lesson.title(), 1, kMaxTitleBytes));
      if (lesson.estimated_minutes() < 1 || lesson.estimated_minutes() > kMaxLessonMinutes) {
        return Invalid(Sub(lf, "estimated_minutes"), advocacy::StrCat("1 to ", kMaxLessonMinutes));
      }
      switch (lesson.content_case()) {
        case v1::Lesson::kText:
          RETURN_IF_ERROR(
              ValidateText(Sub(lf, "text.body"), lesson.text().body(), 1, kMaxTextBodyBytes));
          break;
        case v1::Lesson::kVideo:
          RETURN_IF_ERROR(ValidateHttpsUrl(Sub(lf, "video.url"), lesson.video().url()));
          RETURN_IF_ERROR(ValidateText(Sub(lf, "video.summary"), lesson.video().summary(), 0,
                                       kMaxDescriptionBytes));
          break;
        case v1::Lesson::kQuiz:
          RETURN_IF_ERROR(ValidateQuiz(Sub(lf, "quiz"), lesson.quiz()));
          break;
        case v1::Lesson::CONTENT_NOT_SET:
          return Invalid(Sub(lf, "content"), "set one of text, video or quiz");
      }
    }
  }
  if (c.prerequisite_course_ids_size() > kMaxPrerequisites) {
    return Invalid(Sub(field, "prerequisite_course_ids"),
                   advocacy::StrCat("at most ", kMaxPrerequisites));
  }
  std::set<std::string> prereqs;
  for (int i = 0; i < c.prerequisite_course_ids_size(); ++i) {
    const std::string pf = Item(field, "prerequisite_course_ids", i);
    RETURN_IF_ERROR(ids::ValidateObjectId(pf, c.prerequisite_course_ids(i)));
    if (!prereqs.insert(c.prerequisite_course_ids(i)).second) return Invalid(pf, "appears twice");
  }
  return absl::OkStatus();
}

absl::Status ValidateChecklistContent(std::string_view field, const v1::ChecklistContent& c) {
  RETURN_IF_ERROR(ValidateText(Sub(field, "title"), c.title(), 1, kMaxTitleBytes));
  RETURN_IF_ERROR(
      ValidateText(Sub(field, "description"), c.description(), 0, kMaxDescriptionBytes));
  RETURN_IF_ERROR(ValidateLanguage(Sub(field, "language"), c.language()));
  if (c.items().empty()) return Invalid(Sub(field, "items"), "at least one item");
  if (c.items_size() > kMaxChecklistItems) {
    return Invalid(Sub(field, "items"), advocacy::StrCat("at most ", kMaxChecklistItems));
  }
  std::set<std::string> ids;
  for (int i = 0; i < c.items_size(); ++i) {
    const auto& item = c.items(i);
    const std::string f = Item(field, "items", i);
    RETURN_IF_ERROR(ids::ValidateObjectId(Sub(f, "item_id"), item.item_id()));
    if (!ids.insert(item.item_id()).second) {
      return Invalid(Sub(f, "item_id"), advocacy::StrCat("'", item.item_id(), "' appears twice"));
    }
    RETURN_IF_ERROR(ValidateText(Sub(f, "text"), item.text(), 1, kMaxItemTextBytes));
    RETURN_IF_ERROR(ValidateText(Sub(f, "details"), item.details(), 0, kMaxItemDetailsBytes));
  }
  return absl::OkStatus();
}

absl::Status ValidateBroadcastDetails(std::string_view field, const v1::BroadcastDetails& d,
                                      int64_t now_ms) {
  RETURN_IF_ERROR(ValidateText(Sub(field, "title"), d.title(), 1, kMaxTitleBytes));
  RETURN_IF_ERROR(
      ValidateText(Sub(field, "description"), d.description(), 0, kMaxDescriptionBytes));
  if (!d.has_starts_at()) return Invalid(Sub(field, "starts_at"), "required");
  if (d.starts_at().seconds() < 0 || d.starts_at().nanos() < 0 ||
      d.starts_at().nanos() > 999999999 || d.starts_at().seconds() > 253402300799) {
    return Invalid(Sub(field, "starts_at"), "not a valid timestamp");
  }
  const int64_t starts = google::protobuf::util::TimeUtil::TimestampToMilliseconds(d.starts_at());
  if (starts <= now_ms) return Invalid(Sub(field, "starts_at"), "must be in the future");
  if (starts - now_ms > kMaxBroadcastLeadMs) {
    return Invalid(Sub(field, "starts_at"), "at most two years ahead");
  }
  if (d.duration_minutes() < kMinBroadcastMinutes || d.duration_minutes() > kMaxBroadcastMinutes) {
    return Invalid(Sub(field, "duration_minutes"),
                   advocacy::StrCat(kMinBroadcastMinutes, " to ", kMaxBroadcastMinutes));
  }
  if (d.capacity() < 1 || d.capacity() > kMaxBroadcastCapacity) {
    return Invalid(Sub(field, "capacity"), advocacy::StrCat("1 to ", kMaxBroadcastCapacity));
  }
  RETURN_IF_ERROR(ValidateHttpsUrl(Sub(field, "join_url"), d.join_url()));
  RETURN_IF_ERROR(ValidateLanguage(Sub(field, "language"), d.language()));
  if (!d.course_id().empty()) {
    RETURN_IF_ERROR(ids::ValidateObjectId(Sub(field, "course_id"), d.course_id()));
  }
  return absl::OkStatus();
}

absl::StatusOr<int> PageSize(std::string_view field, int32_t value, int max, int fallback) {
  if (value < 0 || value > max) {
    return Invalid(field, advocacy::StrCat("0 to ", max, " (0 means ", fallback, ")"));
  }
  return value == 0 ? fallback : value;
}

absl::StatusOr<int64_t> PageOffset(std::string_view field, std::string_view token) {
  if (token.empty()) return 0;
  int64_t offset = 0;
  if (token.size() > 24 || token[0] != 'o' ||
      !absl::SimpleAtoi(std::string(token.substr(1)), &offset) || offset < 0) {
    return Invalid(field, "not a token this service issued; start again with an empty token");
  }
  return offset;
}

std::string PageToken(int64_t offset) { return advocacy::StrCat("o", offset); }

int PassPercent(const v1::QuizLesson& quiz) {
  return quiz.pass_percent() == 0 ? kDefaultPassPercent : quiz.pass_percent();
}

}  // namespace advocacy::courses
