import type { Enrollment } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { courseLevelLabel, enrollmentStateLabel } from "../lib/labels.js";
import { pathOf } from "../lib/router.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { EmptyState } from "../components/EmptyState.js";
import { Link } from "../components/Link.js";
import { CertificateCheck } from "../components/CertificateCheck.js";

export function CoursesPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const [list, mine] = await Promise.all([
        coursesClient.listCourses({ tenantId: session.tenant, pageSize: 100 }, { signal }),
        coursesClient.listEnrollments({ tenantId: session.tenant, employeeId: session.subject }, { signal }),
      ]);
      return { courses: list.courses, enrollments: new Map<string, Enrollment>(mine.enrollments.map((e) => [e.courseId, e])) };
    },
    [session.tenant, session.subject],
  );
  return (
    <div class="page">
      <PageHeading>{t.courses.title}</PageHeading>
      <p class="lead">{t.courses.lead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (state.data.courses.length === 0 ? (
          <EmptyState message={t.courses.empty} />
        ) : (
          <ul class="course-list">
            {state.data.courses.map((c) => {
              const e = state.data.enrollments.get(c.courseId);
              return (
                <li key={c.courseId} class="card">
                  <h2>
                    <Link href={pathOf({ name: "course", courseId: c.courseId })}>{c.title}</Link>
                  </h2>
                  {c.description && <p class="clamp">{c.description}</p>}
                  <dl class="facts">
                    <dt>{t.courses.level}</dt>
                    <dd>{courseLevelLabel(t, c.level)}</dd>
                    <dt>{t.courses.duration}</dt>
                    <dd>
                      {t.common.minutes(c.estimatedMinutes)}, {t.courses.lessons(c.lessonCount)}
                    </dd>
                    {e && (
                      <>
                        <dt>{enrollmentStateLabel(t, e.state)}</dt>
                        <dd>{t.courses.progress(e.progressPercent)}</dd>
                      </>
                    )}
                  </dl>
                </li>
              );
            })}
          </ul>
        ))}
      <CertificateCheck session={session} />
    </div>
  );
}
