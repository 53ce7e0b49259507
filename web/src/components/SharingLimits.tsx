import { useState } from "preact/hooks";
import type { NetworkLimit } from "../gen/advocacy/content/v1/content_service_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { networkLabel } from "../lib/labels.js";
import { browserTimeZone } from "../lib/datetime.js";
import { Loading } from "./Loading.js";
import { ErrorBox } from "./ErrorBox.js";
import { StatusMessage } from "./StatusMessage.js";
import { SelectField } from "./form/Field.js";

// An hour of the UTC day (the tenant's quiet hours are in UTC) as a time in `timeZone` today.
function utcHourIn(hour: number, locale: string, timeZone: string): string {
  const now = new Date();
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), hour));
  try {
    return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit", timeZone }).format(d);
  } catch {
    return new Intl.DateTimeFormat(locale, { hour: "2-digit", minute: "2-digit" }).format(d);
  }
}

// One network: used today against the cap that applies, and the employee's own cap (never
// above the organization's), saved at once with SetMyShareCap.
function LimitRow({ session, limit: loaded }: { session: Session; limit: NetworkLimit }) {
  const { t } = useI18n();
  // The row's own copy, read again from the service after a save (the cap that applies is the
  // service's rule, not recomputed here), so the row updates without reloading the list and
  // losing its confirmation.
  const [limit, setLimit] = useState(loaded);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [saved, setSaved] = useState(false);
  const name = networkLabel(t, limit.network);
  const options = [{ value: "0", label: t.limits.noOwnCap(limit.tenantDailyCap) }];
  for (let n = 1; n < limit.tenantDailyCap; ++n) options.push({ value: String(n), label: t.limits.perDay(n) });
  const save = async (value: string) => {
    setBusy(true);
    setError(null);
    setSaved(false);
    try {
      await contentClient.setMyShareCap({
        tenantId: session.tenant,
        employeeId: session.subject,
        network: limit.network,
        dailyCap: Number(value),
      });
      const now = await contentClient.getMySharingLimits({ tenantId: session.tenant, employeeId: session.subject });
      const mine = now.networks.find((n) => n.network === limit.network);
      if (mine) setLimit(mine);
      setSaved(true);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <li class="card limit">
      <h3>{name}</h3>
      <p>{t.limits.usedToday(limit.usedToday, limit.dailyCap)}</p>
      <SelectField
        id={`own-cap-${limit.network}`}
        label={t.limits.ownCap(name)}
        hint={t.limits.ownCapHint(limit.tenantDailyCap)}
        value={String(limit.ownDailyCap > 0 && limit.ownDailyCap < limit.tenantDailyCap ? limit.ownDailyCap : 0)}
        onChange={(v) => void save(v)}
        options={options}
      />
      {busy && <p class="meta">{t.limits.saving}</p>}
      {saved && <StatusMessage>{t.limits.saved(name)}</StatusMessage>}
      {error !== null && <ErrorBox error={error} />}
    </li>
  );
}

// The employee's own sharing limits: what the organization allows per network and day, what is
// used today, a lower limit of their own, and the organization's quiet hours in their time.
export function SharingLimits({ session }: { session: Session }) {
  const { t, locale } = useI18n();
  const { state, reload } = useAsync(
    (signal) => contentClient.getMySharingLimits({ tenantId: session.tenant, employeeId: session.subject }, { signal }),
    [session.tenant, session.subject],
  );
  const zone = browserTimeZone();
  return (
    <section aria-labelledby="limits-heading">
      <h2 id="limits-heading">{t.limits.title}</h2>
      <p>{t.limits.lead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          <p>
            {state.data.quietHoursStart === state.data.quietHoursEnd
              ? t.limits.noQuietHours
              : t.limits.quietHours(
                  utcHourIn(state.data.quietHoursStart, locale, zone),
                  utcHourIn(state.data.quietHoursEnd, locale, zone),
                  zone,
                )}{" "}
            {t.limits.resetsAt(utcHourIn(0, locale, zone))}
          </p>
          <ul class="plain-list limits">
            {state.data.networks.map((l) => (
              <LimitRow key={l.network} session={session} limit={l} />
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
