import { useCallback, useState } from "preact/hooks";

// The state of a button that calls the server: busy while it runs, then either a status text
// (announced by a StatusMessage) or the error (shown by an ErrorBox).
export function useAction() {
  const [busy, setBusy] = useState(false);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);
  const run = useCallback(async (action: () => Promise<string | void>) => {
    setBusy(true);
    setError(null);
    setStatus("");
    try {
      const s = await action();
      setStatus(s ?? "");
      return true;
    } catch (err) {
      setError(err);
      return false;
    } finally {
      setBusy(false);
    }
  }, []);
  const reset = useCallback(() => {
    setStatus("");
    setError(null);
  }, []);
  return { busy, status, error, run, reset, setStatus };
}
