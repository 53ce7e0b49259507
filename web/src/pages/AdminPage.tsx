import { useI18n } from "../i18n/i18n.js";
import { isAdmin, type Session } from "../api/session.js";
import { PageHeading } from "../components/PageHeading.js";

// The communications team's tools come with a later issue; the route exists so that the
// navigation and the role check are in place. The services enforce the role either way.
export function AdminPage({ session }: { session: Session }) {
  const { t } = useI18n();
  return (
    <div class="page">
      <PageHeading>{t.admin.title}</PageHeading>
      <p>{isAdmin(session) ? t.admin.body : t.admin.notAllowed}</p>
    </div>
  );
}
