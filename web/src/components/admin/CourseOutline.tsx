import type { Course } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";

// A published or archived course, read only: modules, lessons and, for quizzes, the questions
// with the correct answers marked (admins see them; employees never do).
export function CourseOutline({ course }: { course: Course }) {
  const { t } = useI18n();
  const c = t.admin.courses;
  const kind = (k: string | undefined) => (k === "video" ? c.kindVideo : k === "quiz" ? c.kindQuiz : c.kindText);
  return (
    <section class="card" aria-labelledby="outline-title">
      <h2 id="outline-title">{c.outline}</h2>
      <ol class="outline">
        {(course.content?.modules ?? []).map((m, mi) => (
          <li key={m.moduleId}>
            <h3>{`${c.module(mi + 1)}: ${m.title}`}</h3>
            <ol>
              {m.lessons.map((l) => (
                <li key={l.lessonId}>
                  <p>
                    <strong>{l.title}</strong>{" "}
                    <span class="meta">
                      ({kind(l.content.case)}, {t.common.minutes(l.estimatedMinutes)})
                    </span>
                  </p>
                  {l.content.case === "quiz" && (
                    <ol class="outline-questions">
                      {l.content.value.questions.map((q) => (
                        <li key={q.questionId}>
                          <p class="pre-line">{q.prompt}</p>
                          <ul>
                            {q.choices.map((choice, ci) => (
                              <li key={ci}>
                                {choice} {q.correctChoices.includes(ci) && <strong>{c.correctAnswer}</strong>}
                              </li>
                            ))}
                          </ul>
                        </li>
                      ))}
                    </ol>
                  )}
                </li>
              ))}
            </ol>
          </li>
        ))}
      </ol>
    </section>
  );
}
