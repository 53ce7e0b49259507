import { useI18n } from "../../i18n/i18n.js";
import { adminSections, pathOf } from "../../lib/router.js";
import { AdminFrame } from "../../components/admin/AdminFrame.js";
import { Link } from "../../components/Link.js";

export function AdminOverviewPage() {
  const { t } = useI18n();
  return (
    <AdminFrame title={t.admin.title} lead={t.admin.lead}>
      <ul class="overview-grid">
        {adminSections.map((s) => (
          <li key={s} class="card">
            <h2>
              <Link href={pathOf({ name: "admin", section: s })}>{t.admin.sections[s]}</Link>
            </h2>
            <p>{t.admin.sectionHelp[s]}</p>
          </li>
        ))}
      </ul>
    </AdminFrame>
  );
}
