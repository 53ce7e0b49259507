import { useEffect } from "preact/hooks";
import { I18nProvider, useI18n } from "./i18n/i18n.js";
import { loadSession, useSessionState, type Session } from "./api/session.js";
import { matchRoute, navigate, pathOf, usePathname, type Route } from "./lib/router.js";
import { Header } from "./components/Header.js";
import { Loading } from "./components/Loading.js";
import { ErrorBox } from "./components/ErrorBox.js";
import { WelcomePage } from "./pages/WelcomePage.js";
import { SignInRequiredPage } from "./pages/SignInRequiredPage.js";
import { NotFoundPage } from "./pages/NotFoundPage.js";
import { ConsentPage } from "./pages/ConsentPage.js";
import { FeedPage } from "./pages/FeedPage.js";
import { ContentItemPage } from "./pages/ContentItemPage.js";
import { TipsPage } from "./pages/TipsPage.js";
import { CoursesPage } from "./pages/CoursesPage.js";
import { CoursePage } from "./pages/CoursePage.js";
import { BroadcastPage } from "./pages/BroadcastPage.js";
import { StatsPage } from "./pages/StatsPage.js";
import { MyDataPage } from "./pages/MyDataPage.js";
import { AdminShell } from "./pages/admin/AdminShell.js";
import { VerifyPage } from "./pages/VerifyPage.js";
import { CertificatePage } from "./pages/CertificatePage.js";

export function App() {
  return (
    <I18nProvider>
      <Shell />
    </I18nProvider>
  );
}

function Shell() {
  const { t } = useI18n();
  const state = useSessionState();
  const path = usePathname();
  const route = matchRoute(path);
  return (
    <>
      <a class="skip-link" href="#main">
        {t.common.skipToContent}
      </a>
      <Header state={state} />
      <main id="main" tabIndex={-1}>
        <Body route={route} />
      </main>
    </>
  );
}

function Body({ route }: { route: Route }) {
  const { t } = useI18n();
  const state = useSessionState();
  // The certificate check works with or without a session, so it never waits for a failing one.
  if (route.name === "verify" && state.kind !== "loading") return <VerifyPage />;
  switch (state.kind) {
    case "loading":
      return <Loading label={t.session.checking} />;
    case "expired":
      return <Loading label={t.session.redirecting} />;
    case "error":
      return <ErrorBox error={state.error} message={`${t.session.loadFailed} ${t.session.loadFailedNext}`} onRetry={() => void loadSession()} />;
    case "signedOut":
      if (route.name === "home") return <WelcomePage />;
      if (route.name === "myData") return <MyDataPage />;
      if (route.name === "notFound") return <NotFoundPage />;
      return <SignInRequiredPage />;
    case "signedIn":
      return <SignedInPage route={route} session={state.session} />;
  }
}

function Redirect({ to }: { to: string }) {
  useEffect(() => navigate(to, { replace: true }), [to]);
  return null;
}

function SignedInPage({ route, session }: { route: Route; session: Session }) {
  switch (route.name) {
    case "home":
      return <Redirect to="/feed" />;
    case "consent":
      return <ConsentPage session={session} />;
    case "feed":
      return <FeedPage session={session} />;
    case "content":
      return <ContentItemPage session={session} itemId={route.itemId} />;
    case "tips":
      return <TipsPage session={session} />;
    case "courses":
      return <CoursesPage session={session} />;
    case "course":
      return <CoursePage session={session} courseId={route.courseId} />;
    case "broadcast":
      return <BroadcastPage session={session} broadcastId={route.broadcastId} />;
    case "stats":
      return <StatsPage session={session} />;
    case "myData":
      return <MyDataPage />;
    case "certificate":
      return <CertificatePage session={session} courseId={route.courseId} />;
    case "verify":
      return <VerifyPage />;
    case "admin":
      // Keyed by the path: moving from one item (or course, ...) to another starts a fresh page.
      return <AdminShell key={pathOf(route)} session={session} section={route.section} id={route.id} />;
    case "notFound":
      return <NotFoundPage />;
  }
}
