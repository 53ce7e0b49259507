import { ShareState } from "../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { contentClient } from "../api/clients.js";
import { networkLabel } from "../lib/labels.js";
import { pathOf } from "../lib/router.js";
import { useAsync } from "../lib/useAsync.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { tsDate } from "../lib/datetime.js";
import { ErrorBox } from "./ErrorBox.js";
import { Link } from "./Link.js";

// Titles are looked up for this many items at most; further ones show their id.
const maxTitles = 20;

// The employee's scheduled shares (ListMyShares), soonest first, each linking to its item's page
// where the text and link wait. Nothing is shown while there are none. `version` changes when a
// share was recorded on this page, to read the list again.
export function ScheduledShares({ session, version }: { session: Session; version: number }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    async (signal) => {
      const mine = await contentClient.listMyShares({ tenantId: session.tenant, employeeId: session.subject }, { signal });
      const due = (s: (typeof mine.shares)[number]) => tsDate(s.scheduledFor)?.getTime() ?? 0;
      const scheduled = mine.shares.filter((s) => s.state === ShareState.SCHEDULED).sort((a, b) => due(a) - due(b));
      const ids = [...new Set(scheduled.map((s) => s.itemId))].slice(0, maxTitles);
      const titles = new Map(
        await Promise.all(
          ids.map(async (itemId): Promise<[string, string]> => {
            try {
              const r = await contentClient.getItem({ tenantId: session.tenant, itemId }, { signal });
              return [itemId, r.item?.title || itemId];
            } catch {
              return [itemId, itemId]; // archived since: the id still says which item it was
            }
          }),
        ),
      );
      return scheduled.map((share) => ({ share, title: titles.get(share.itemId) ?? share.itemId }));
    },
    [session.tenant, session.subject, version],
  );
  if (state.status === "error") return <ErrorBox error={state.error} onRetry={reload} />;
  if (state.status !== "ok" || state.data.length === 0) return null;
  return (
    <section class="card scheduled-shares" aria-labelledby="scheduled-shares-title">
      <h2 id="scheduled-shares-title">{t.feed.scheduledTitle}</h2>
      <ul class="plain-list">
        {state.data.map(({ share, title }) => (
          <li key={`${share.itemId}-${share.network}`}>
            <Link href={pathOf({ name: "content", itemId: share.itemId })}>{title}</Link>
            {": "}
            {t.feed.scheduledItem(networkLabel(t, share.network), fmt.dateTime(share.scheduledFor))}
          </li>
        ))}
      </ul>
    </section>
  );
}
