import { useState } from "preact/hooks";
import type { TenantSettings } from "../../gen/advocacy/content/v1/content_pb.js";
import type { CourseSummary, TenantPolicy } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { contentClient, coursesClient } from "../../api/clients.js";
import { listPublishedCourses } from "../../api/queries.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { byteLength, parseWhole } from "../../lib/formValues.js";
import { formatMinuteOfDay } from "../../lib/datetime.js";
import { isBoolean, isString, objectOf } from "../../lib/shape.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { CheckboxField, SelectField, TextField } from "../../components/form/Field.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

// The tenant's rules: content's sharing policy (UpdateTenantSettings replaces it whole, so the
// form always sends every field) and courses' policy (the recommended course).
export function SettingsPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.settings;
  const { state, reload } = useAsync(
    async (signal) => {
      const [settings, policy, courses] = await Promise.all([
        contentClient.getTenantSettings({ tenantId: session.tenant }, { signal }),
        coursesClient.getTenantPolicy({ tenantId: session.tenant }, { signal }),
        listPublishedCourses(session.tenant, signal),
      ]);
      return { settings: settings.settings, policy: policy.policy, courses };
    },
    [session.tenant],
  );
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          <SharingForm session={session} settings={state.data.settings} />
          <CoursePolicyForm session={session} policy={state.data.policy} courses={state.data.courses} />
        </>
      )}
    </AdminFrame>
  );
}

interface SharingForm {
  approval: boolean;
  disclosure: string;
  dailyCap: string;
  quietStart: string;
  quietEnd: string;
}
const isSharingForm = objectOf<SharingForm>({ approval: isBoolean, disclosure: isString, dailyCap: isString, quietStart: isString, quietEnd: isString });

// A UTC hour as a local time of day, for the hint beside the quiet hours.
function localHour(hourUtc: number, locale: string): string {
  const d = new Date(Date.UTC(2000, 0, 1, hourUtc, 0));
  return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(d);
}

function SharingForm({ session, settings }: { session: Session; settings: TenantSettings | undefined }) {
  const { t, locale } = useI18n();
  const m = t.admin.settings;
  const [form, setForm] = useDraft<SharingForm>(
    "sharing-settings",
    {
      approval: settings?.approvalRequired ?? false,
      disclosure: settings?.requiredDisclosureTag ?? "",
      dailyCap: String(settings?.dailyShareCap ?? 0),
      quietStart: String(settings?.quietHoursStart ?? 0),
      quietEnd: String(settings?.quietHoursEnd ?? 0),
    },
    isSharingForm,
  );
  const { errors, show, formRef } = useFormErrors();
  const action = useAction();
  const set = (patch: Partial<SharingForm>) => setForm({ ...form, ...patch });
  const hours = Array.from({ length: 24 }, (_, h) => ({ value: String(h), label: formatMinuteOfDay(h * 60, locale) }));
  const qs = Number(form.quietStart);
  const qe = Number(form.quietEnd);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const cap = parseWhole(form.dailyCap, 0, 100);
    const errs: Record<string, string> = {};
    if (byteLength(form.disclosure.trim()) > 50) errs["settings-disclosure"] = m.disclosureInvalid;
    if (cap === null) errs["settings-cap"] = m.dailyCapInvalid;
    if (show(errs)) return;
    await action.run(async () => {
      await contentClient.updateTenantSettings({
        tenantId: session.tenant,
        settings: {
          tenantId: session.tenant,
          approvalRequired: form.approval,
          requiredDisclosureTag: form.disclosure.trim(),
          dailyShareCap: cap ?? 0,
          quietHoursStart: qs,
          quietHoursEnd: qe,
        },
      });
      return (t) => t.admin.settings.sharingSaved;
    });
  };
  return (
    <form class="card form" ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="sharing-title">
      <h2 id="sharing-title">{m.sharingTitle}</h2>
      <CheckboxField id="settings-approval" label={m.approval} hint={m.approvalHint} checked={form.approval} onChange={(approval) => set({ approval })} />
      <TextField id="settings-disclosure" label={m.disclosure} hint={m.disclosureHint} optional value={form.disclosure} error={errors["settings-disclosure"]} onChange={(disclosure) => set({ disclosure })} />
      <TextField id="settings-cap" label={m.dailyCap} hint={m.dailyCapHint} inputMode="numeric" size="short" value={form.dailyCap} error={errors["settings-cap"]} onChange={(dailyCap) => set({ dailyCap })} />
      <fieldset>
        <legend>{m.quietTitle}</legend>
        <p class="hint">{m.quietHint}</p>
        <div class="field-row">
          <SelectField id="settings-quiet-start" label={m.quietFrom} value={form.quietStart} options={hours} onChange={(quietStart) => set({ quietStart })} />
          <SelectField id="settings-quiet-end" label={m.quietTo} value={form.quietEnd} options={hours} onChange={(quietEnd) => set({ quietEnd })} />
        </div>
        <p class="meta" aria-live="polite">
          {qs === qe ? m.quietNone : m.quietLocal(localHour(qs, locale), localHour(qe, locale))}
        </p>
      </fieldset>
      {action.error !== null && <ErrorBox error={action.error} />}
      <StatusMessage>{action.status}</StatusMessage>
      <button type="submit" class="button" disabled={action.busy}>
        {action.busy ? t.common.saving : t.common.save}
      </button>
    </form>
  );
}

function CoursePolicyForm({ session, policy: loaded, courses }: { session: Session; policy: TenantPolicy | undefined; courses: CourseSummary[] }) {
  const { t } = useI18n();
  const m = t.admin.settings;
  const [policy, setPolicy] = useState(loaded);
  const [courseId, setCourseId] = useState(loaded?.recommendedCourseId ?? "");
  const action = useAction();
  const options = [
    { value: "", label: t.admin.common.courseNone },
    ...courses.map((c) => ({ value: c.courseId, label: c.title })),
    ...(courseId && !courses.some((c) => c.courseId === courseId) ? [{ value: courseId, label: courseId }] : []),
  ];
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    await action.run(async () => {
      const r = await coursesClient.setTenantPolicy({
        tenantId: session.tenant,
        recommendedCourseId: courseId,
        expectedRevision: policy?.revision ?? 0n,
      });
      setPolicy(r.policy);
      return (t) => t.admin.settings.policySaved;
    });
  };
  return (
    <form class="card form" onSubmit={onSubmit} noValidate aria-labelledby="policy-title">
      <h2 id="policy-title">{m.coursesTitle}</h2>
      <SelectField id="settings-recommended" label={m.recommended} hint={m.recommendedHint} value={courseId} options={options} onChange={setCourseId} />
      {action.error !== null && <ErrorBox error={action.error} />}
      <StatusMessage>{action.status}</StatusMessage>
      <button type="submit" class="button" disabled={action.busy}>
        {action.busy ? t.common.saving : t.common.save}
      </button>
    </form>
  );
}
