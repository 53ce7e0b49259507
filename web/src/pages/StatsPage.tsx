import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { useAsync } from "../lib/useAsync.js";
import { networkLabel } from "../lib/labels.js";
import { PageHeading } from "../components/PageHeading.js";
import { Loading } from "../components/Loading.js";
import { ErrorBox } from "../components/ErrorBox.js";
import { EmptyState } from "../components/EmptyState.js";
import { SharingLimits } from "../components/SharingLimits.js";

export function StatsPage({ session }: { session: Session }) {
  const { t, locale } = useI18n();
  const { state, reload } = useAsync(
    (signal) => contentClient.getMyStats({ tenantId: session.tenant, employeeId: session.subject }, { signal }),
    [session.tenant, session.subject],
  );
  const num = (n: bigint) => new Intl.NumberFormat(locale).format(n);
  return (
    <div class="page">
      <PageHeading>{t.stats.title}</PageHeading>
      <p class="lead">{t.stats.lead}</p>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (state.data.totalShares === 0n && state.data.networks.length === 0 ? (
          <EmptyState message={t.stats.empty} />
        ) : (
          <div class="table-wrap">
            <table>
              <caption class="visually-hidden">{t.stats.title}</caption>
              <thead>
                <tr>
                  <th scope="col">{t.stats.network}</th>
                  <th scope="col" class="num">{t.stats.shares}</th>
                  <th scope="col" class="num">{t.stats.clicks}</th>
                </tr>
              </thead>
              <tbody>
                {state.data.networks.map((n) => (
                  <tr key={n.network}>
                    <th scope="row">{networkLabel(t, n.network)}</th>
                    <td class="num">{num(n.shares)}</td>
                    <td class="num">{num(n.clicks)}</td>
                  </tr>
                ))}
              </tbody>
              <tfoot>
                <tr>
                  <th scope="row">{t.stats.total}</th>
                  <td class="num">{num(state.data.totalShares)}</td>
                  <td class="num">{num(state.data.totalClicks)}</td>
                </tr>
              </tfoot>
            </table>
          </div>
        ))}
      <SharingLimits session={session} />
    </div>
  );
}
