import { useState } from "preact/hooks";
import { BroadcastState, type Broadcast, type CourseSummary } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { listPublishedCourses } from "../../api/queries.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { setFlash } from "../../lib/flash.js";
import { tsDate } from "../../lib/datetime.js";
import { broadcastStateLabel } from "../../lib/labels.js";
import { broadcastTone } from "../../lib/admin/states.js";
import { navigate, pathOf } from "../../lib/router.js";
import {
  broadcastDetailsFromForm,
  broadcastFormFrom,
  emptyBroadcastForm,
  isBroadcastForm,
  validateBroadcastForm,
  type BroadcastForm,
} from "../../lib/admin/broadcastForm.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { SeatCounts } from "../../components/admin/SeatCounts.js";
import { LanguageOptions } from "../../components/admin/LanguageOptions.js";
import { SelectField, TextAreaField, TextField } from "../../components/form/Field.js";
import { ConfirmButton } from "../../components/form/ConfirmButton.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

// Schedules a broadcast (broadcastId null) or changes or cancels one. Only counts of seats and
// of the waiting list are shown: the list of people is not offered to browsers at all.
export function BroadcastEditorPage({ session, broadcastId }: { session: Session; broadcastId: string | null }) {
  const { t, lang } = useI18n();
  const { state, reload } = useAsync(
    async (signal) => {
      const [courses, broadcast] = await Promise.all([
        listPublishedCourses(session.tenant, signal),
        broadcastId ? coursesClient.getBroadcast({ tenantId: session.tenant, broadcastId }, { signal }).then((r) => r.broadcast ?? null) : null,
      ]);
      return { courses, broadcast };
    },
    [session.tenant, broadcastId],
  );
  const title =
    state.status === "ok" && state.data.broadcast ? (state.data.broadcast.details?.title ?? "") : broadcastId ? t.admin.broadcasts.title : t.admin.broadcasts.newTitle;
  return (
    <AdminFrame title={title || t.admin.broadcasts.title} backTo="broadcasts">
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <BroadcastEditor
          session={session}
          broadcast={state.data.broadcast}
          courses={state.data.courses}
          initial={state.data.broadcast ? broadcastFormFrom(state.data.broadcast) : emptyBroadcastForm(lang === "nb" ? "nb-NO" : "en")}
        />
      )}
    </AdminFrame>
  );
}

function BroadcastEditor({
  session,
  broadcast: loaded,
  courses,
  initial,
}: {
  session: Session;
  broadcast: Broadcast | null;
  courses: CourseSummary[];
  initial: BroadcastForm;
}) {
  const { t, locale } = useI18n();
  const m = t.admin.broadcasts;
  const [form, setForm, restored] = useDraft<BroadcastForm>("broadcast-editor", initial, isBroadcastForm);
  const [broadcast, setBroadcast] = useState(loaded);
  const [reason, setReason] = useState("");
  const { errors, show, formRef } = useFormErrors(() =>
    validateBroadcastForm(form, t, locale, broadcast?.registeredCount ?? 0),
  );
  const save = useAction();
  const cancel = useAction();
  const set = (patch: Partial<BroadcastForm>) => setForm({ ...form, ...patch });
  const cancelled = broadcast?.state === BroadcastState.CANCELLED;
  const started = (tsDate(broadcast?.details?.startsAt)?.getTime() ?? Infinity) <= Date.now();
  const readOnly = cancelled || started;

  const onSubmit = async (e: Event) => {
    e.preventDefault();
    if (show(validateBroadcastForm(form, t, locale, broadcast?.registeredCount ?? 0))) return;
    const details = broadcastDetailsFromForm(form);
    await save.run(async () => {
      if (!broadcast) {
        const r = await coursesClient.scheduleBroadcast({ tenantId: session.tenant, details, idempotencyKey: form.idempotencyKey });
        setFlash((t) => t.admin.broadcasts.scheduled);
        navigate(pathOf({ name: "admin", section: "broadcasts", id: r.broadcast?.broadcastId ?? "" }));
        return;
      }
      const r = await coursesClient.updateBroadcast({ tenantId: session.tenant, broadcastId: broadcast.broadcastId, details });
      if (r.broadcast) setBroadcast(r.broadcast);
      const promoted = r.promotedEmployeeIds.length;
      return (t) => (promoted > 0 ? `${t.admin.broadcasts.updated} ${t.admin.broadcasts.promoted(promoted)}` : t.admin.broadcasts.updated);
    });
  };

  const onCancel = () =>
    cancel.run(async () => {
      if (!broadcast) return;
      const r = await coursesClient.cancelBroadcast({ tenantId: session.tenant, broadcastId: broadcast.broadcastId, reason: reason.trim() });
      if (r.broadcast) setBroadcast(r.broadcast);
      return (t) => t.admin.broadcasts.cancelled;
    });

  const courseOptions = [
    { value: "", label: t.admin.common.courseNone },
    ...courses.map((c) => ({ value: c.courseId, label: c.title })),
    // A course that is no longer published stays selectable while the broadcast names it.
    ...(form.courseId && !courses.some((c) => c.courseId === form.courseId) ? [{ value: form.courseId, label: form.courseId }] : []),
  ];
  return (
    <>
      {broadcast && (
        <div class="card">
          <p class="meta">
            <StateBadge label={broadcastStateLabel(t, broadcast.state)} tone={broadcastTone(broadcast.state)} />
          </p>
          <p>
            <SeatCounts broadcast={broadcast} />
          </p>
          {cancelled && <p class="info">{m.cancelledNote(broadcast.cancelReason)}</p>}
          {!cancelled && started && <p class="info">{m.ended}</p>}
        </div>
      )}
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <form class="form admin-form" ref={formRef} onSubmit={onSubmit} noValidate>
        <fieldset class="card" disabled={readOnly}>
          <legend>{broadcast ? m.details : m.newTitle}</legend>
          <TextField id="broadcast-title" label={t.admin.common.title} value={form.title} error={errors["broadcast-title"]} onChange={(title) => set({ title })} size="long" />
          <TextAreaField id="broadcast-description" label={t.admin.common.description} optional rows={4} value={form.description} error={errors["broadcast-description"]} onChange={(description) => set({ description })} />
          <div class="field-row">
            <TextField id="broadcast-starts" type="datetime-local" label={m.startsAt} hint={m.startsAtHint} value={form.startsAt} error={errors["broadcast-starts"]} onChange={(startsAt) => set({ startsAt })} />
            <TextField id="broadcast-duration" label={m.duration} hint={m.durationHint} inputMode="numeric" size="short" value={form.duration} error={errors["broadcast-duration"]} onChange={(duration) => set({ duration })} />
            <TextField id="broadcast-capacity" label={m.capacity} hint={m.capacityHint} inputMode="numeric" size="short" value={form.capacity} error={errors["broadcast-capacity"]} onChange={(capacity) => set({ capacity })} />
          </div>
          <TextField id="broadcast-join" label={m.joinUrl} hint={m.joinUrlHint} type="url" inputMode="url" size="long" value={form.joinUrl} error={errors["broadcast-join"]} onChange={(joinUrl) => set({ joinUrl })} />
          <div class="field-row">
            <TextField id="broadcast-language" label={t.admin.common.language} hint={t.admin.common.languageHint} list="language-options" size="short" value={form.language} error={errors["broadcast-language"]} onChange={(language) => set({ language })} />
            <SelectField id="broadcast-course" label={m.course} hint={m.courseHint} optional value={form.courseId} options={courseOptions} onChange={(courseId) => set({ courseId })} />
          </div>
          <LanguageOptions />
        </fieldset>
        {save.error !== null && <ErrorBox error={save.error} />}
        <StatusMessage>{save.status}</StatusMessage>
        {!readOnly && (
          <div class="actions">
            <button type="submit" class="button" disabled={save.busy}>
              {save.busy ? t.common.saving : broadcast ? t.admin.common.saveChanges : m.new}
            </button>
          </div>
        )}
      </form>
      {broadcast && !readOnly && (
        <section class="card" aria-labelledby="cancel-title">
          <h2 id="cancel-title">{m.cancel}</h2>
          <TextAreaField id="broadcast-cancel-reason" label={m.cancelReason} hint={m.cancelReasonHint} optional rows={2} value={reason} onChange={setReason} />
          <ConfirmButton label={m.cancel} question={m.cancelQuestion} confirmLabel={m.cancelConfirm} disabled={cancel.busy} onConfirm={onCancel} />
        </section>
      )}
      <StatusMessage>{cancel.status}</StatusMessage>
      {cancel.error !== null && <ErrorBox error={cancel.error} />}
    </>
  );
}
