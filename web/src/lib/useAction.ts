import { useCallback, useState } from "preact/hooks";
import { useI18n } from "../i18n/i18n.js";
import { dismissFlash, type Message } from "./flash.js";

// The state of a button that calls the server: busy while it runs, then either a status text
// (announced by a StatusMessage) or the error (shown by an ErrorBox). The action returns the
// status as a function of the texts, so it is shown in the language of the moment.
export function useAction() {
  const { t } = useI18n();
  const [busy, setBusy] = useState(false);
  const [status, setStatusMessage] = useState<Message | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<Message | void>) => {
    setBusy(true);
    setError(null);
    setStatusMessage(null);
    dismissFlash();
    try {
      const s = await action();
      setStatusMessage(() => s ?? null);
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const setStatus = useCallback((m: Message | null) => setStatusMessage(() => m), []);
  return { busy, status: status ? status(t) : "", error, run, setStatus };
}
