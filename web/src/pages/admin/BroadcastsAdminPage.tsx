import { useState } from "preact/hooks";
import type { Broadcast } from "../../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { usePagedList } from "../../lib/usePagedList.js";
import { useDateFormat } from "../../lib/useDateFormat.js";
import { broadcastStateLabel } from "../../lib/labels.js";
import { broadcastTone } from "../../lib/admin/states.js";
import { pathOf } from "../../lib/router.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { SeatCounts } from "../../components/admin/SeatCounts.js";
import { LoadMore } from "../../components/admin/LoadMore.js";
import { CheckboxField } from "../../components/form/Field.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { EmptyState } from "../../components/EmptyState.js";
import { Link } from "../../components/Link.js";

export function BroadcastsAdminPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.broadcasts;
  const fmt = useDateFormat();
  const [includePast, setIncludePast] = useState(false);
  const [includeCancelled, setIncludeCancelled] = useState(false);
  const list = usePagedList<Broadcast>(
    (pageToken, signal) =>
      coursesClient
        .listBroadcasts({ tenantId: session.tenant, includePast, includeCancelled, pageSize: 100, pageToken }, { signal })
        .then((r) => ({ items: r.broadcasts, next: r.nextPageToken })),
    [session.tenant, includePast, includeCancelled],
  );
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      <div class="toolbar">
        <Link href={pathOf({ name: "admin", section: "broadcasts", id: "new" })} class="button">
          {m.new}
        </Link>
        <div>
          <CheckboxField id="broadcasts-past" label={m.includePast} checked={includePast} onChange={setIncludePast} />
          <CheckboxField id="broadcasts-cancelled" label={m.includeCancelled} checked={includeCancelled} onChange={setIncludeCancelled} />
        </div>
      </div>
      {list.state.status === "loading" && <Loading />}
      {list.state.status === "error" && <ErrorBox error={list.state.error} onRetry={list.reload} />}
      {list.state.status === "ok" &&
        (list.items.length === 0 ? (
          <EmptyState message={m.empty} />
        ) : (
          <ul class="admin-list">
            {list.items.map((b) => (
              <li key={b.broadcastId} class="card">
                <h2>
                  <Link href={pathOf({ name: "admin", section: "broadcasts", id: b.broadcastId })}>{b.details?.title ?? b.broadcastId}</Link>
                </h2>
                <p class="meta">
                  <StateBadge label={broadcastStateLabel(t, b.state)} tone={broadcastTone(b.state)} /> {fmt.dateTime(b.details?.startsAt)} ·{" "}
                  {t.common.minutes(b.details?.durationMinutes ?? 0)}
                </p>
                <p class="meta">
                  <SeatCounts broadcast={b} />
                </p>
              </li>
            ))}
          </ul>
        ))}
      <LoadMore next={list.next} busy={list.moreBusy} error={list.moreError} onLoad={list.loadMore} />
    </AdminFrame>
  );
}
