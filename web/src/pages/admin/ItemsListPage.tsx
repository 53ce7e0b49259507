import { useState } from "preact/hooks";
import { ItemState, type Item } from "../../gen/advocacy/content/v1/content_pb.js";
import { useI18n } from "../../i18n/i18n.js";
import type { Session } from "../../api/session.js";
import { contentClient } from "../../api/clients.js";
import { usePagedList } from "../../lib/usePagedList.js";
import { useDateFormat } from "../../lib/useDateFormat.js";
import { itemStateLabel } from "../../lib/labels.js";
import { itemTone } from "../../lib/admin/states.js";
import { networksText } from "../../lib/admin/itemForm.js";
import { pathOf } from "../../lib/router.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { StateBadge } from "../../components/admin/StateBadge.js";
import { PagedCardList } from "../../components/admin/PagedCardList.js";
import { SelectField } from "../../components/form/Field.js";
import { Link } from "../../components/Link.js";

const states = [ItemState.DRAFT, ItemState.IN_REVIEW, ItemState.PUBLISHED, ItemState.ARCHIVED];

// The tenant's items, newest first, narrowed to one state by choice (ListItems has no filter:
// the pages read so far are filtered here).
export function ItemsListPage({ session }: { session: Session }) {
  const { t } = useI18n();
  const m = t.admin.items;
  const fmt = useDateFormat();
  const [filter, setFilter] = useState("");
  const list = usePagedList<Item>(
    (pageToken, signal) =>
      contentClient
        .listItems({ tenantId: session.tenant, pageSize: 100, pageToken }, { signal })
        .then((r) => ({ items: r.items, next: r.nextPageToken })),
    [session.tenant],
  );
  const shown = filter === "" ? list.items : list.items.filter((i) => String(i.state) === filter);
  return (
    <AdminFrame title={m.title} lead={m.lead}>
      <div class="toolbar">
        <Link href={pathOf({ name: "admin", section: "items", id: "new" })} class="button">
          {m.new}
        </Link>
        <SelectField
          id="item-state-filter"
          label={t.admin.common.stateFilter}
          value={filter}
          onChange={setFilter}
          options={[
            { value: "", label: t.admin.common.allStates },
            ...states.map((s) => ({ value: String(s), label: itemStateLabel(t, s) })),
          ]}
        />
      </div>
      <PagedCardList
        list={list}
        shown={shown}
        empty={m.empty}
        card={(item) => ({
          key: item.itemId,
          body: (
            <>
              <h2>
                <Link href={pathOf({ name: "admin", section: "items", id: item.itemId })}>{item.title}</Link>
              </h2>
              <p class="meta">
                <StateBadge label={itemStateLabel(t, item.state)} tone={itemTone(item.state)} />{" "}
                {t.admin.common.created(fmt.dateTime(item.createdAt))}
              </p>
              <p class="meta">{m.networksLine(networksText(t, item))}</p>
            </>
          ),
        })}
      />
    </AdminFrame>
  );
}
