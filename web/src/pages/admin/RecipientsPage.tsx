import { useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import type { Recipient } from "../../gen/advocacy/notifications/v1/notifications_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { notificationsClient } from "../../api/clients.js";
import { isCode } from "../../api/errors.js";
import { useAction } from "../../lib/useAction.js";
import { browserTimeZone } from "../../lib/datetime.js";
import { byteLength } from "../../lib/formValues.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { LanguageOptions } from "../../components/admin/LanguageOptions.js";
import { TextField } from "../../components/form/Field.js";
import { useFormErrors } from "../../components/form/useFormErrors.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { StatusMessage } from "../../components/StatusMessage.js";

const isEmployeeId = (v: string) => /^[A-Za-z0-9._~@+-]{1,128}$/.test(v);
const isMailbox = (v: string) => /^[^\s@<>"(),;:\\[\]]+@[A-Za-z0-9.-]+\.[A-Za-z0-9-]+$/.test(v) && byteLength(v) <= 254;
const isLocale = (v: string) => /^[A-Za-z0-9_-]{0,35}$/.test(v);

function isTimeZone(v: string): boolean {
  try {
    new Intl.DateTimeFormat("en", { timeZone: v });
    return v.length > 0;
  } catch {
    return false;
  }
}

// One employee at a time, looked up by id: there is no list of recipients (and so no list of
// who gets tips). An address never turns mail on; consent does.
export function RecipientsPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.recipients;
  const [lookupId, setLookupId] = useState("");
  const [found, setFound] = useState<{ employeeId: string; recipient: Recipient | null } | null>(null);
  const { errors, show, formRef } = useFormErrors();
  const lookup = useAction();
  const onLookup = async (e: Event) => {
    e.preventDefault();
    const id = lookupId.trim();
    if (show(id === "" ? { "recipient-lookup": m.lookupRequired } : isEmployeeId(id) ? {} : { "recipient-lookup": m.lookupInvalid })) return;
    setFound(null);
    await lookup.run(async () => {
      try {
        const r = await notificationsClient.getRecipient({ tenantId: session.tenant, employeeId: id });
        setFound({ employeeId: id, recipient: r.recipient ?? null });
      } catch (err) {
        if (!isCode(err, Code.NotFound)) throw err;
        setFound({ employeeId: id, recipient: null });
      }
    });
  };
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      <form class="card form inline-form" ref={formRef} onSubmit={onLookup} noValidate>
        <TextField id="recipient-lookup" label={m.lookup} hint={m.lookupHint} value={lookupId} error={errors["recipient-lookup"]} onChange={setLookupId} spellcheck={false} />
        <button type="submit" class="button" disabled={lookup.busy}>
          {lookup.busy ? t.common.loading : m.lookupButton}
        </button>
      </form>
      {lookup.error !== null && <ErrorBox error={lookup.error} />}
      {found && <RecipientForm key={found.employeeId} session={session} employeeId={found.employeeId} recipient={found.recipient} />}
    </AdminFrame>
  );
}

function RecipientForm({ session, employeeId, recipient }: { session: Session; employeeId: string; recipient: Recipient | null }) {
  const { t, lang } = useI18n();
  const m = t.admin.recipients;
  const [email, setEmail] = useState(recipient?.email ?? "");
  const [name, setName] = useState(recipient?.displayName ?? "");
  const [locale, setLocale] = useState(recipient?.locale ?? (lang === "nb" ? "nb-NO" : "en-GB"));
  const [zone, setZone] = useState(recipient?.timeZone || browserTimeZone());
  const { errors, show, formRef } = useFormErrors();
  const save = useAction();
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    const errs: Record<string, string> = {};
    if (!isMailbox(email.trim())) errs["recipient-email"] = m.emailInvalid;
    if (byteLength(name) > 200) errs["recipient-name"] = t.admin.common.tooLongBytes("200");
    if (!isLocale(locale.trim())) errs["recipient-locale"] = t.admin.common.languageInvalid;
    if (!isTimeZone(zone.trim())) errs["recipient-zone"] = m.timeZoneInvalid;
    if (show(errs)) return;
    await save.run(async () => {
      await notificationsClient.upsertRecipient({
        recipient: {
          tenantId: session.tenant,
          employeeId,
          email: email.trim(),
          displayName: name.trim(),
          locale: locale.trim(),
          timeZone: zone.trim(),
        },
      });
      return (t) => t.admin.recipients.saved(employeeId);
    });
  };
  return (
    <form class="card form" ref={formRef} onSubmit={onSubmit} noValidate aria-labelledby="recipient-title">
      <h2 id="recipient-title">{recipient ? m.found(employeeId) : m.none(employeeId)}</h2>
      <TextField id="recipient-email" label={m.email} type="email" inputMode="email" autoComplete="off" size="long" value={email} error={errors["recipient-email"]} onChange={setEmail} />
      <TextField id="recipient-name" label={m.displayName} hint={m.displayNameHint} optional value={name} error={errors["recipient-name"]} onChange={setName} />
      <div class="field-row">
        <TextField id="recipient-locale" label={m.locale} hint={m.localeHint} size="short" list="language-options" value={locale} error={errors["recipient-locale"]} onChange={setLocale} />
        <TextField id="recipient-zone" label={m.timeZone} hint={m.timeZoneHint} value={zone} error={errors["recipient-zone"]} onChange={setZone} />
      </div>
      <LanguageOptions />
      {save.error !== null && <ErrorBox error={save.error} />}
      <StatusMessage>{save.status}</StatusMessage>
      <button type="submit" class="button" disabled={save.busy}>
        {save.busy ? t.common.saving : t.common.save}
      </button>
    </form>
  );
}
