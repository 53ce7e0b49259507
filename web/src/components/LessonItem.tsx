import type { Enrollment, Lesson, QuizResult } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { ExternalLink } from "./ExternalLink.js";
import { MarkdownText } from "./MarkdownText.js";
import { QuizForm } from "./QuizForm.js";

interface Props {
  session: Session;
  courseId: string;
  lesson: Lesson;
  done: boolean;
  canRecord: boolean;
  busy: boolean;
  quizResult: QuizResult | undefined;
  onComplete: () => void;
  onEnrollment: (e: Enrollment, courseCompleted: boolean) => void;
}

export function LessonItem({ session, courseId, lesson, done, canRecord, busy, quizResult, onComplete, onEnrollment }: Props) {
  const { t } = useI18n();
  const c = lesson.content;
  const headingId = `lesson-${lesson.lessonId}`;
  return (
    <li class="lesson" aria-labelledby={headingId}>
      <h3 id={headingId}>
        {lesson.title} <span class="meta">({t.common.minutes(lesson.estimatedMinutes)})</span>
        {done && <span class="badge">{t.courses.lessonDone}</span>}
      </h3>
      {c.case === "text" && (
        <div class="lesson-text">
          <MarkdownText source={c.value.body} headingBase={4} />
        </div>
      )}
      {c.case === "video" && (
        <div>
          {c.value.summary && <p class="pre-line">{c.value.summary}</p>}
          <p>
            <ExternalLink href={c.value.url}>{t.courses.watchVideo}</ExternalLink>
          </p>
        </div>
      )}
      {c.case === "quiz" && (
        <QuizForm
          session={session}
          courseId={courseId}
          lessonId={lesson.lessonId}
          quiz={c.value}
          result={quizResult}
          canSubmit={canRecord}
          onEnrollment={onEnrollment}
        />
      )}
      {(c.case === "text" || c.case === "video") && canRecord && !done && (
        <button type="button" class="button secondary" disabled={busy} onClick={onComplete}>
          {t.courses.markDone}
        </button>
      )}
    </li>
  );
}
