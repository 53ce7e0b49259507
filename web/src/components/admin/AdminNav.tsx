import { useI18n } from "../../i18n/i18n.js";
import { adminSections, pathOf, type AdminSection } from "../../lib/router.js";
import { Link } from "../Link.js";

// The sections of the administration, as a second navigation under the main one.
export function AdminNav({ current }: { current: AdminSection }) {
  const { t } = useI18n();
  const sections: AdminSection[] = ["overview", ...adminSections];
  return (
    <nav class="admin-nav" aria-label={t.admin.navLabel}>
      <ul>
        {sections.map((s) => (
          <li key={s}>
            <Link href={pathOf({ name: "admin", section: s })} aria-current={s === current ? "page" : undefined}>
              {t.admin.sections[s]}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
