import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { coursesClient } from "../../api/clients.js";
import { useAsync } from "../../lib/useAsync.js";
import { useDateFormat } from "../../lib/useDateFormat.js";
import { pathOf } from "../../lib/router.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { Loading } from "../../components/Loading.js";
import { ErrorBox } from "../../components/ErrorBox.js";
import { EmptyState } from "../../components/EmptyState.js";
import { Link } from "../../components/Link.js";

export function ChecklistsPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.checklists;
  const fmt = useDateFormat();
  const { state, reload } = useAsync(
    (signal) => coursesClient.listChecklists({ tenantId: session.tenant }, { signal }).then((r) => r.checklists),
    [session.tenant],
  );
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      <div class="toolbar">
        <Link href={pathOf({ name: "admin", section: "checklists", id: "new" })} class="button">
          {m.new}
        </Link>
      </div>
      {state.status === "loading" && <Loading />}
      {state.status === "error" && <ErrorBox error={state.error} onRetry={reload} />}
      {state.status === "ok" &&
        (state.data.length === 0 ? (
          <EmptyState message={m.empty} />
        ) : (
          <ul class="admin-list">
            {state.data.map((c) => (
              <li key={c.checklistId} class="card">
                <h2>
                  <Link href={pathOf({ name: "admin", section: "checklists", id: c.checklistId })}>{c.content?.title ?? c.checklistId}</Link>
                </h2>
                <p class="meta">
                  {c.welcome && <span class="state-badge state-review">{m.welcome}</span>} {m.itemsCount(c.content?.items.length ?? 0)} ·{" "}
                  {c.content?.language} · {t.admin.common.revision(String(c.revision))}
                  {c.updatedAt && ` · ${t.admin.common.updated(fmt.dateTime(c.updatedAt))}`}
                </p>
              </li>
            ))}
          </ul>
        ))}
    </AdminFrame>
  );
}
