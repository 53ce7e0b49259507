import { ActorRole, type LedgerEntry } from "../gen/advocacy/consent/v1/consent_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { actorRoleLabel, consentMethodLabel, consentStateLabel } from "../lib/labels.js";
import { scopeText } from "../lib/consentScopes.js";
import { Loading } from "./Loading.js";
import { ErrorBox } from "./ErrorBox.js";
import { EmptyState } from "./EmptyState.js";

// The ledger comes oldest first, page by page; the newest changes matter most, so the app reads
// the pages (at most maxPages of them) and shows the newest maxEntries, newest first.
const maxEntries = 500;
const maxPages = 50;

export function ConsentHistory({ session, refreshKey }: { session: Session; refreshKey: number }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    async (signal) => {
      let entries: LedgerEntry[] = [];
      let pageToken = "";
      let truncated = false;
      for (let page = 0; ; ++page) {
        if (page === maxPages) {
          truncated = true;
          break;
        }
        const r = await consentClient.listConsentHistory(
          { tenantId: session.tenant, employeeId: session.subject, pageSize: 100, pageToken },
          { signal },
        );
        entries.push(...r.entries);
        if (entries.length > maxEntries) {
          entries = entries.slice(entries.length - maxEntries);
          truncated = true;
        }
        pageToken = r.nextPageToken;
        if (!pageToken) break;
      }
      return { entries: entries.reverse(), truncated };
    },
    [session.tenant, session.subject, refreshKey],
  );
  return (
    <section class="card" aria-labelledby="history-title">
      <h2 id="history-title">{t.consent.historyTitle}</h2>
      <p class="hint">{t.consent.historyLead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (state.data.entries.length === 0 ? (
          <EmptyState message={t.consent.historyEmpty} />
        ) : (
          <>
            {state.data.truncated && <p class="hint">{t.consent.historyTruncated}</p>}
            <ol class="history">
              {state.data.entries.map((e) => (
                <li key={String(e.sequence)}>
                  <p class="history-head">
                    <strong>{consentStateLabel(t, e.state)}</strong>{" "}
                    <span class="meta">{fmt.dateTime(e.recordedAt)}</span>
                  </p>
                  <ul class="history-scopes">
                    {e.scopes.map((s) => (
                      <li key={`${s.purpose}.${s.network}`}>{scopeText(t, s)}</li>
                    ))}
                  </ul>
                  <p class="meta">
                    {t.consent.historyHow(consentMethodLabel(t, e.method), actorRoleLabel(t, e.actor?.role ?? ActorRole.UNSPECIFIED))}
                    {e.noticeVersion && ` · ${t.consent.historyNotice(e.noticeVersion)}`}
                  </p>
                </li>
              ))}
            </ol>
          </>
        ))}
    </section>
  );
}
