import { useI18n } from "../../i18n/i18n.js";
import { isAdmin, type Session } from "../../api/session.js";
import type { AdminSection } from "../../lib/router.js";
import { AdminNav } from "../../components/admin/AdminNav.js";
import { PageHeading } from "../../components/PageHeading.js";
import { NotFoundPage } from "../NotFoundPage.js";
import { AdminOverviewPage } from "./AdminOverviewPage.js";
import { ItemsListPage } from "./ItemsListPage.js";
import { ItemEditorPage } from "./ItemEditorPage.js";
import { ItemDetailPage } from "./ItemDetailPage.js";
import { CoursesAdminPage } from "./CoursesAdminPage.js";
import { CourseEditorPage } from "./CourseEditorPage.js";
import { ChecklistsPage } from "./ChecklistsPage.js";
import { ChecklistEditorPage } from "./ChecklistEditorPage.js";
import { BroadcastsAdminPage } from "./BroadcastsAdminPage.js";
import { BroadcastEditorPage } from "./BroadcastEditorPage.js";
import { NoticesPage } from "./NoticesPage.js";
import { SettingsPage } from "./SettingsPage.js";
import { EngagementPage } from "./EngagementPage.js";
import { RecipientsPage } from "./RecipientsPage.js";

// /admin/*: only for the role admin. The navigation shows it to admins only, and the services
// refuse the calls of anyone else whatever this page does.
export function AdminShell({ session, section, id }: { session: Session; section: AdminSection; id?: string }) {
  const { t } = useI18n();
  if (!isAdmin(session)) {
    return (
      <div class="page">
        <PageHeading>{t.admin.title}</PageHeading>
        <p>{t.admin.notAllowed}</p>
      </div>
    );
  }
  return (
    <div class="admin">
      <AdminNav current={section} />
      <AdminSectionPage session={session} section={section} id={id} />
    </div>
  );
}

function AdminSectionPage({ session, section, id }: { session: Session; section: AdminSection; id?: string }) {
  const isNew = id === "new";
  switch (section) {
    case "overview":
      return <AdminOverviewPage />;
    case "items":
      if (id === undefined) return <ItemsListPage session={session} />;
      return isNew ? <ItemEditorPage session={session} /> : <ItemDetailPage session={session} itemId={id} />;
    case "courses":
      if (id === undefined) return <CoursesAdminPage session={session} />;
      return <CourseEditorPage session={session} courseId={isNew ? null : id} />;
    case "checklists":
      if (id === undefined) return <ChecklistsPage session={session} />;
      return <ChecklistEditorPage session={session} checklistId={isNew ? null : id} />;
    case "broadcasts":
      if (id === undefined) return <BroadcastsAdminPage session={session} />;
      return <BroadcastEditorPage session={session} broadcastId={isNew ? null : id} />;
    case "notices":
      return id === undefined ? <NoticesPage session={session} /> : <NotFoundPage />;
    case "settings":
      return id === undefined ? <SettingsPage session={session} /> : <NotFoundPage />;
    case "engagement":
      return id === undefined ? <EngagementPage session={session} /> : <NotFoundPage />;
    case "recipients":
      return id === undefined ? <RecipientsPage session={session} /> : <NotFoundPage />;
  }
}
