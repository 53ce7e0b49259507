import { useState } from "preact/hooks";
import { CourseState, type CourseSummary } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { usePagedList } from "../../lib/usePagedList.js";
import { courseLevelLabel, courseStateLabel } from "../../lib/labels.js";
import { courseTone } from "../../lib/admin/states.js";
import { pathOf } from "../../lib/router.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { PagedCardList } from "../../components/admin/PagedCardList.js";
import { SelectField } from "../../components/form/Field.js";
import { Link } from "../../components/Link.js";

const states = [CourseState.DRAFT, CourseState.PUBLISHED, CourseState.ARCHIVED];

// The whole catalog, drafts and archived courses included (ListCourses include_unpublished).
export function CoursesAdminPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.courses;
  const [filter, setFilter] = useState("");
  const list = usePagedList<CourseSummary>(
    (pageToken, signal) =>
      coursesClient
        .listCourses({ tenantId: session.tenant, includeUnpublished: true, pageSize: 100, pageToken }, { signal })
        .then((r) => ({ items: r.courses, next: r.nextPageToken })),
    [session.tenant],
  );
  const shown = filter === "" ? list.items : list.items.filter((c) => String(c.state) === filter);
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      <div class="toolbar">
        <Link href={pathOf({ name: "admin", section: "courses", id: "new" })} class="button">
          {m.new}
        </Link>
        <SelectField
          id="course-state-filter"
          label={t.admin.common.stateFilter}
          value={filter}
          onChange={setFilter}
          options={[{ value: "", label: t.admin.common.allStates }, ...states.map((s) => ({ value: String(s), label: courseStateLabel(t, s) }))]}
        />
      </div>
      <PagedCardList
        list={list}
        shown={shown}
        empty={m.empty}
        card={(c) => ({
          key: c.courseId,
          body: (
            <>
              <h2>
                <Link href={pathOf({ name: "admin", section: "courses", id: c.courseId })}>{c.title}</Link>
              </h2>
              <p class="meta">
                <StateBadge label={courseStateLabel(t, c.state)} tone={courseTone(c.state)} /> {courseLevelLabel(t, c.level)} ·{" "}
                {m.lessonsCount(c.lessonCount)} · {t.common.minutes(c.estimatedMinutes)} · {c.language} ·{" "}
                {t.admin.common.revision(String(c.revision))}
              </p>
            </>
          ),
        })}
      />
    </AdminFrame>
  );
}
