import { useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import { CourseLevel, CourseState, EnrollmentState, type Enrollment } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useAsync } from "../lib/useAsync.js";
import { newIdempotencyKey } from "../lib/consentScopes.js";
import { courseLevelLabel, enrollmentStateLabel } from "../lib/labels.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { Link } from "../components/Link.js";
import { StatusMessage } from "../components/StatusMessage.js";
import { LessonItem } from "../components/LessonItem.js";
import { CertificateCard } from "../components/CertificateCard.js";

// One course, linked from mails: its modules and lessons, and the employee's own progress.
export function CoursePage({ session, courseId }: { session: Session; courseId: string }) {
  const { t } = useI18n();
  const who = { tenantId: session.tenant, employeeId: session.subject, courseId };
  const { state, reload } = useAsync(
    async (signal) => {
      const [course, enrollment] = await Promise.all([
        coursesClient.getCourse({ tenantId: session.tenant, courseId }, { signal }),
        coursesClient.getEnrollment(who, { signal }).then(
          (r) => r.enrollment ?? null,
          (err: unknown) => {
            if (isCode(err, Code.NotFound)) return null; // Never enrolled.
            throw err;
          },
        ),
      ]);
      if (!course.course) throw new Error("GetCourse returned no course");
      return { course: course.course, enrollment };
    },
    [session.tenant, session.subject, courseId],
  );
  const [enrollment, setEnrollment] = useState<Enrollment | null | undefined>(undefined);
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);

  if (state.status !== "ok") {
    return (
      <div class="page">
        <p>
          <Link href="/courses">{t.courses.backToCourses}</Link>
        </p>
        <PageHeading>{t.courses.title}</PageHeading>
        {state.status === "loading" ? <Loading /> : <ErrorBox error={state.error} onRetry={reload} />}
      </div>
    );
  }
  const { course } = state.data;
  const current = enrollment === undefined ? state.data.enrollment : enrollment;
  const active = current?.state === EnrollmentState.ACTIVE;
  const content = course.content;

  const act = async (action: () => Promise<{ enrollment?: Enrollment; message: string }>) => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const r = await action();
      if (r.enrollment) setEnrollment(r.enrollment);
      setStatus(r.message);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const enroll = () =>
    act(async () => {
      const r = await coursesClient.enrollInCourse({ ...who, idempotencyKey: newIdempotencyKey() });
      return { enrollment: r.enrollment, message: t.courses.enrolled };
    });
  const withdraw = () =>
    act(async () => {
      const r = await coursesClient.withdrawEnrollment(who);
      return { enrollment: r.enrollment, message: t.courses.withdrawn };
    });
  const completeLesson = (lessonId: string) =>
    act(async () => {
      const r = await coursesClient.completeLesson({ ...who, lessonId });
      return { enrollment: r.enrollment, message: r.courseCompleted ? t.courses.courseCompleted : "" };
    });

  const completed = new Set(current?.completedLessonIds ?? []);
  const quizResults = new Map((current?.quizResults ?? []).map((q) => [q.lessonId, q]));
  return (
    <div class="page">
      <p>
        <Link href="/courses">{t.courses.backToCourses}</Link>
      </p>
      <PageHeading>{content?.title ?? t.courses.title}</PageHeading>
      {content?.description && <p class="lead pre-line">{content.description}</p>}
      <dl class="facts">
        <dt>{t.courses.level}</dt>
        <dd>{courseLevelLabel(t, content?.level ?? CourseLevel.UNSPECIFIED)}</dd>
        <dt>{t.courses.duration}</dt>
        <dd>
          {t.common.minutes(course.estimatedMinutes)}, {t.courses.lessons(course.lessonCount)}
        </dd>
        {current && (
          <>
            <dt>{enrollmentStateLabel(t, current.state)}</dt>
            <dd>{t.courses.progress(current.progressPercent)}</dd>
          </>
        )}
      </dl>
      {current && (
        <progress class="progress" max={100} value={current.progressPercent} aria-label={t.courses.progress(current.progressPercent)} />
      )}
      <div class="actions">
        {course.state === CourseState.ARCHIVED && !current && <p class="warning">{t.courses.archived}</p>}
        {(!current || current.state === EnrollmentState.WITHDRAWN) && course.state === CourseState.PUBLISHED && (
          <button type="button" class="button" disabled={busy} onClick={enroll}>
            {busy ? t.courses.enrolling : t.courses.enroll}
          </button>
        )}
        {active && (
          <button type="button" class="button secondary" disabled={busy} onClick={withdraw}>
            {t.courses.withdraw}
          </button>
        )}
      </div>
      <StatusMessage>{status}</StatusMessage>
      {error !== null && <ErrorBox error={error} />}
      {current?.certificate && <CertificateCard certificate={current.certificate} tenantId={session.tenant} />}
      {!active && !current?.certificate && <p class="hint">{t.courses.notEnrolled}</p>}
      {content?.modules.map((m, i) => (
        <section class="card module" key={m.moduleId} aria-labelledby={`module-${m.moduleId}`}>
          <h2 id={`module-${m.moduleId}`}>{t.courses.moduleTitle(i + 1, m.title)}</h2>
          <ol class="lessons">
            {m.lessons.map((l) => (
              <LessonItem
                key={l.lessonId}
                session={session}
                courseId={courseId}
                lesson={l}
                done={completed.has(l.lessonId)}
                canRecord={active}
                busy={busy}
                quizResult={quizResults.get(l.lessonId)}
                onComplete={() => completeLesson(l.lessonId)}
                onEnrollment={(e, courseCompleted) => {
                  setEnrollment(e);
                  if (courseCompleted) setStatus(t.courses.courseCompleted);
                }}
              />
            ))}
          </ol>
        </section>
      ))}
    </div>
  );
}
