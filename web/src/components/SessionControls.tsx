import { useState } from "preact/hooks";
import { useI18n } from "../i18n/i18n.js";
import { signOut, type SessionState } from "../api/session.js";
import { SignInButton } from "./SignInButton.js";
import { ErrorBox } from "./ErrorBox.js";

export function SessionControls({ state }: { state: SessionState }) {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  if (state.kind === "signedOut") return <SignInButton primary={false} />;
  if (state.kind !== "signedIn") return null;
  const onSignOut = async () => {
    setBusy(true);
    setError(null);
    try {
      await signOut();
    } catch (err) {
      setError(err);
      setBusy(false);
    }
  };
  return (
    <div class="session-controls">
      <span class="signed-in-as">{t.header.signedInAs(state.session.name)}</span>
      <button type="button" class="button secondary" onClick={onSignOut} disabled={busy}>
        {busy ? t.header.signingOut : t.header.signOut}
      </button>
      {error !== null && <ErrorBox error={error} message={t.session.signOutFailed} />}
    </div>
  );
}
