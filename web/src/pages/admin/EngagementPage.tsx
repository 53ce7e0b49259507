import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { contentClient } from "../../api/clients.js";
import { useAsync } from "../../lib/useAsync.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { EmptyState } from "../../components/EmptyState.js";

// Aggregates per group (GetGroupStats): the service leaves out groups below its minimum size and
// says how many; nothing here names a person, and nobody who did not share is ever listed.
export function EngagementPage({ session }: { session: Session }) {
  const { t, locale } = useI18n();
  const m = t.admin.engagement;
  const { state, reload } = useAsync((signal) => contentClient.getGroupStats({ tenantId: session.tenant }, { signal }), [session.tenant]);
  const num = (n: bigint) => new Intl.NumberFormat(locale).format(n);
  const pct = (a: bigint, b: bigint) =>
    new Intl.NumberFormat(locale, { style: "percent", maximumFractionDigits: 0 }).format(b > 0n ? Number(a) / Number(b) : 0);
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" && (
        <>
          {state.data.groups.length === 0 ? (
            <EmptyState message={m.empty} />
          ) : (
            <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="engagement-caption">
              <table>
                <caption id="engagement-caption">{m.caption}</caption>
                <thead>
                  <tr>
                    <th scope="col">{m.group}</th>
                    <th scope="col" class="num">{m.members}</th>
                    <th scope="col" class="num">{m.advocates}</th>
                    <th scope="col" class="num">{m.rate}</th>
                    <th scope="col" class="num">{m.shares}</th>
                  </tr>
                </thead>
                <tbody>
                  {state.data.groups.map((g) => (
                    <tr key={g.group}>
                      <th scope="row">{g.group}</th>
                      <td class="num">{num(g.members)}</td>
                      <td class="num">{num(g.advocates)}</td>
                      <td class="num">{pct(g.advocates, g.members)}</td>
                      <td class="num">{num(g.shares)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {state.data.suppressedGroups > 0 && <p class="hint">{m.suppressed(state.data.suppressedGroups)}</p>}
        </>
      )}
    </AdminFrame>
  );
}
