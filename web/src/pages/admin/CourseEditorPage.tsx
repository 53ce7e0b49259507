import { useEffect, useState } from "preact/hooks";
import { CourseLevel, CourseState, type Course, type CourseSummary } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { listPublishedCourses } from "../../api/queries.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { setFlash } from "../../lib/flash.js";
import { courseLevelLabel, courseStateLabel } from "../../lib/labels.js";
import { courseTone } from "../../lib/admin/states.js";
import { navigate, pathOf } from "../../lib/router.js";
import { useDateFormat } from "../../lib/useDateFormat.js";
import {
  courseContentFromForm,
  courseFormFrom,
  emptyCourseForm,
  isCourseForm,
  validateCourseForm,
  type CourseForm,
} from "../../lib/admin/courseForm.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { ModulesEditor } from "../../components/admin/ModulesEditor.js";
import { CourseOutline } from "../../components/admin/CourseOutline.js";
import { LanguageOptions } from "../../components/admin/LanguageOptions.js";
import { CheckboxField, SelectField, TextAreaField, TextField } from "../../components/form/Field.js";
import { ConfirmButton } from "../../components/form/ConfirmButton.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";
import { Link } from "../../components/Link.js";

const levels = [CourseLevel.BEGINNER, CourseLevel.INTERMEDIATE, CourseLevel.ADVANCED];

// A new course (courseId null) or an existing one: a draft is edited (UpdateCourse against the
// revision it was read at) and published; a published one is shown and can be archived.
export function CourseEditorPage({ session, courseId }: { session: Session; courseId: string | null }) {
  const { t, lang } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const [published, course] = await Promise.all([
        listPublishedCourses(session.tenant, signal),
        courseId ? coursesClient.getCourse({ tenantId: session.tenant, courseId }, { signal }).then((r) => r.course ?? null) : null,
      ]);
      return { published, course };
    },
    [session.tenant, courseId],
  );
  // Set once the draft is published here: the page then shows it read-only.
  const [publishedNow, setPublishedNow] = useState<Course | null>(null);
  const loaded = publishedNow ?? (state.status === "ok" ? state.data.course : null);
  const title = loaded ? (loaded.content?.title ?? t.admin.courses.title) : courseId ? t.admin.courses.title : t.admin.courses.newTitle;
  return (
    <AdminFrame title={title} backTo="courses">
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (loaded && loaded.state !== CourseState.DRAFT ? (
          <FrozenCourse session={session} initial={loaded} justPublished={publishedNow !== null} />
        ) : (
          <CourseEditor
            session={session}
            course={state.data.course}
            onPublished={setPublishedNow}
            published={state.data.published.filter((c) => c.courseId !== courseId)}
            initial={state.data.course ? courseFormFrom(state.data.course) : emptyCourseForm(lang === "nb" ? "nb-NO" : "en")}
          />
        ))}
    </AdminFrame>
  );
}

function CourseFacts({ course }: { course: Course }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  return (
    <p class="meta">
      <StateBadge label={courseStateLabel(t, course.state)} tone={courseTone(course.state)} /> {t.admin.common.revision(String(course.revision))} ·{" "}
      {t.admin.courses.lessonsCount(course.lessonCount)} · {t.common.minutes(course.estimatedMinutes)} ·{" "}
      {t.admin.common.updated(fmt.dateTime(course.updatedAt))}
    </p>
  );
}

function CourseEditor({
  session,
  course: loaded,
  published,
  initial,
  onPublished,
}: {
  session: Session;
  course: Course | null;
  published: CourseSummary[];
  initial: CourseForm;
  onPublished: (course: Course) => void;
}) {
  const { t, locale } = useI18n();
  const c = t.admin.courses;
  const [form, setForm, restored] = useDraft<CourseForm>("course-editor", initial, isCourseForm);
  const [course, setCourse] = useState(loaded);
  const [saved, setSaved] = useState(() => JSON.stringify(initial));
  const { errors, show, formRef } = useFormErrors(() => validateCourseForm(form, t, locale));
  const save = useAction();
  const publish = useAction();
  const set = (patch: Partial<CourseForm>) => setForm({ ...form, ...patch });
  const dirty = JSON.stringify(form) !== saved;

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (show(validateCourseForm(form, t, locale))) return;
    const content = courseContentFromForm(form);
    await save.run(async () => {
      if (!course) {
        const r = await coursesClient.createCourse({ tenantId: session.tenant, content, idempotencyKey: form.idempotencyKey });
        setFlash((t) => t.admin.courses.created);
        navigate(pathOf({ name: "admin", section: "courses", id: r.course?.courseId ?? "" }));
        return;
      }
      const r = await coursesClient.updateCourse({
        tenantId: session.tenant,
        courseId: course.courseId,
        content,
        expectedRevision: course.revision,
      });
      if (r.course) setCourse(r.course);
      setSaved(JSON.stringify(form));
      return (t) => t.admin.courses.updated;
    });
  };

  const onPublish = () =>
    publish.run(async () => {
      if (!course) return;
      const r = await coursesClient.publishCourse({ tenantId: session.tenant, courseId: course.courseId });
      // The published course is frozen: the page shows it read-only from now on.
      if (r.course) onPublished(r.course);
    });

  const prereqOptions = published;
  return (
    <>
      {course && <CourseFacts course={course} />}
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <form class="form admin-form" ref={formRef} onSubmit={onSubmit} noValidate>
        <fieldset class="card">
          <legend>{c.about}</legend>
          <TextField id="course-title" label={t.admin.common.title} value={form.title} error={errors["course-title"]} onChange={(title) => set({ title })} size="long" />
          <TextAreaField id="course-description" label={t.admin.common.description} optional rows={4} value={form.description} error={errors["course-description"]} onChange={(description) => set({ description })} />
          <div class="field-row">
            <SelectField
              id="course-level"
              label={c.level}
              value={String(form.level)}
              error={errors["course-level"]}
              onChange={(v) => set({ level: Number(v) })}
              options={[
                { value: String(CourseLevel.UNSPECIFIED), label: c.chooseLevel },
                ...levels.map((l) => ({ value: String(l), label: courseLevelLabel(t, l) })),
              ]}
            />
            <TextField id="course-language" label={t.admin.common.language} hint={t.admin.common.languageHint} list="language-options" size="short" value={form.language} error={errors["course-language"]} onChange={(language) => set({ language })} />
          </div>
          <fieldset>
            <legend>{c.prerequisites}</legend>
            <p class="hint">{c.prerequisitesHint}</p>
            {prereqOptions.length === 0 ? (
              <p class="meta">{c.noOtherCourses}</p>
            ) : (
              prereqOptions.map((p) => (
                <CheckboxField
                  key={p.courseId}
                  id={`prereq-${p.courseId}`}
                  label={p.title}
                  checked={form.prerequisites.includes(p.courseId)}
                  disabled={!form.prerequisites.includes(p.courseId) && form.prerequisites.length >= 10}
                  onChange={(on) =>
                    set({ prerequisites: on ? [...form.prerequisites, p.courseId] : form.prerequisites.filter((x) => x !== p.courseId) })
                  }
                />
              ))
            )}
          </fieldset>
        </fieldset>
        <LanguageOptions />
        <ModulesEditor modules={form.modules} onChange={(modules) => set({ modules })} errors={errors} lang={form.language || undefined} />
        {Object.keys(errors).length > 0 && <p class="field-error">{t.admin.common.fixErrors}</p>}
        {save.error !== null && <ErrorBox error={save.error} />}
        <StatusMessage>{save.status}</StatusMessage>
        <div class="actions sticky-actions">
          <button type="submit" class="button" disabled={save.busy}>
            {save.busy ? t.common.saving : course ? t.admin.common.saveChanges : t.admin.common.saveDraft}
          </button>
        </div>
      </form>
      {course && (
        <section class="card" aria-labelledby="publish-title">
          <h2 id="publish-title">{c.publish}</h2>
          {dirty && <p class="hint">{c.saveFirst}</p>}
          <ConfirmButton
            label={c.publish}
            question={c.publishQuestion}
            confirmLabel={c.publishConfirm}
            danger={false}
            disabled={dirty || publish.busy || save.busy}
            onConfirm={onPublish}
          />
          {publish.error !== null && <ErrorBox error={publish.error} />}
        </section>
      )}
    </>
  );
}

function FrozenCourse({ session, initial, justPublished }: { session: Session; initial: Course; justPublished: boolean }) {
  const { t } = useI18n();
  const c = t.admin.courses;
  const [course, setCourse] = useState(initial);
  const archive = useAction();
  useEffect(() => archive.setStatus(justPublished ? (t) => t.admin.courses.published : null), [justPublished]);
  return (
    <>
      <CourseFacts course={course} />
      <p class="info">{course.state === CourseState.ARCHIVED ? c.archivedNote : c.frozen}</p>
      <p>
        <Link href={pathOf({ name: "course", courseId: course.courseId })}>{c.employeeView}</Link>
      </p>
      {course.content?.description && <p class="pre-line">{course.content.description}</p>}
      {course.state === CourseState.PUBLISHED && (
        <div class="actions">
          <ConfirmButton
            label={c.archive}
            question={c.archiveQuestion}
            confirmLabel={c.archiveConfirm}
            disabled={archive.busy}
            onConfirm={() =>
              archive.run(async () => {
                const r = await coursesClient.archiveCourse({ tenantId: session.tenant, courseId: course.courseId });
                if (r.course) setCourse(r.course);
                return (t) => t.admin.courses.archived;
              })
            }
          />
        </div>
      )}
      <StatusMessage>{archive.status}</StatusMessage>
      {archive.error !== null && <ErrorBox error={archive.error} />}
      <CourseOutline course={course} />
    </>
  );
}
