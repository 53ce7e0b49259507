import { useI18n } from "../i18n/i18n.js";
import type { SessionState } from "../api/session.js";
import { LanguageSwitch } from "./LanguageSwitch.js";
import { Link } from "./Link.js";
import { NavMenu } from "./NavMenu.js";
import { SessionControls } from "./SessionControls.js";

export function Header({ state }: { state: SessionState }) {
  const { t } = useI18n();
  return (
    <header class="site-header">
      <div class="header-bar">
        <Link href="/" class="brand">
          {t.common.appName}
        </Link>
        <div class="header-tools">
          <LanguageSwitch />
          <SessionControls state={state} />
        </div>
      </div>
      {state.kind === "signedIn" && <NavMenu session={state.session} />}
    </header>
  );
}
