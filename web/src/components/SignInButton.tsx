import { useI18n } from "../i18n/i18n.js";
import { signIn } from "../api/session.js";
import { currentPath } from "../lib/router.js";

// Goes to the gateway's sign-in, which brings the browser back to the page it started from.
export function SignInButton({ returnTo, primary = true }: { returnTo?: string; primary?: boolean }) {
  const { t } = useI18n();
  return (
    <button type="button" class={primary ? "button" : "button secondary"} onClick={() => signIn(returnTo ?? currentPath())}>
      {t.header.signIn}
    </button>
  );
}
