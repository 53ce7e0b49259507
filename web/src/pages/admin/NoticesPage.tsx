import { useState } from "preact/hooks";
import type { Notice } from "../../gen/advocacy/consent/v1/consent_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { consentClient } from "../../api/clients.js";
import { currentNotice } from "../../api/queries.js";
import { useAsync } from "../../lib/useAsync.js";
import { useAction } from "../../lib/useAction.js";
import { useDraft } from "../../lib/drafts.js";
import { byteLength, isHttpUrl, isObjectId } from "../../lib/formValues.js";
import { isBoolean, isString, objectOf } from "../../lib/shape.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { NoticeCard } from "../../components/NoticeCard.js";
import { CheckboxField, TextAreaField, TextField } from "../../components/form/Field.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

interface NoticeForm {
  version: string;
  summary: string;
  url: string;
  material: boolean;
}
const isNoticeForm = objectOf<NoticeForm>({ version: isString, summary: isString, url: isString, material: isBoolean });

// The consent notice: the current version, and publishing a new one (PublishNotice). A material
// change makes consents given under earlier versions ask for renewal.
export function NoticesPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.notices;
  const { state, reload } = useAsync((signal) => currentNotice(session.tenant, signal), [session.tenant]);
  const [published, setPublished] = useState<Notice | null>(null);
  const notice = published ?? (state.status === "ok" ? state.data : null);
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          <NoticeCard notice={notice} />
          {notice?.material && <p class="meta">{m.materialBadge}</p>}
          <PublishNoticeForm session={session} onPublished={setPublished} />
        </>
      )}
    </AdminFrame>
  );
}

function PublishNoticeForm({ session, onPublished }: { session: Session; onPublished: (n: Notice) => void }) {
  const { t, locale } = useI18n();
  const m = t.admin.notices;
  const [form, setForm, restored] = useDraft<NoticeForm>("notice-form", { version: "", summary: "", url: "", material: false }, isNoticeForm);
  const { errors, show, formRef } = useFormErrors();
  const action = useAction();
  const set = (patch: Partial<NoticeForm>) => setForm({ ...form, ...patch });
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!isObjectId(form.version.trim())) errs["notice-version"] = m.versionInvalid;
    if (byteLength(form.summary.trim()) > 1000) errs["notice-summary"] = t.admin.common.tooLongBytes(new Intl.NumberFormat(locale).format(1000));
    if (!isHttpUrl(form.url.trim(), true) || byteLength(form.url.trim()) > 2048) errs["notice-url"] = m.urlInvalid;
    if (show(errs)) return;
    await action.run(async () => {
      const r = await consentClient.publishNotice({
        tenantId: session.tenant,
        version: form.version.trim(),
        summary: form.summary.trim(),
        url: form.url.trim(),
        material: form.material,
      });
      if (r.notice) onPublished(r.notice);
      const version = r.notice?.version ?? form.version.trim();
      setForm({ version: "", summary: "", url: "", material: false });
      return (t) => t.admin.notices.published(version);
    });
  };
  return (
    <form class="card form" ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="notice-form-title">
      <h2 id="notice-form-title">{m.publishTitle}</h2>
      {restored && <p class="info">{t.tips.draftRestored}</p>}
      <TextField id="notice-version" label={m.version} hint={m.versionHint} value={form.version} error={errors["notice-version"]} onChange={(version) => set({ version })} />
      <TextAreaField id="notice-summary" label={m.summary} hint={m.summaryHint} rows={3} value={form.summary} error={errors["notice-summary"]} onChange={(summary) => set({ summary })} />
      <TextField id="notice-url" label={m.url} hint={m.urlHint} type="url" inputMode="url" size="long" value={form.url} error={errors["notice-url"]} onChange={(url) => set({ url })} />
      <CheckboxField id="notice-material" label={m.material} hint={m.materialHint} checked={form.material} onChange={(material) => set({ material })} />
      {action.error !== null && <ErrorBox error={action.error} />}
      <StatusMessage>{action.status}</StatusMessage>
      <div class="actions">
        <button type="submit" class="button" disabled={action.busy}>
          {action.busy ? t.common.saving : form.material ? m.publishMaterial : m.publish}
        </button>
      </div>
    </form>
  );
}
