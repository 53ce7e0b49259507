import { useState } from "preact/hooks";
import { Code } from "@connectrpc/connect";
import type { Certificate } from "../gen/advocacy/courses/v1/courses_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { coursesClient } from "../api/clients.js";
import { isCode } from "../api/errors.js";
import { useDraft } from "../lib/drafts.js";
import { useDateFormat } from "../lib/useDateFormat.js";
import { ErrorBox } from "./ErrorBox.js";

const isString = (v: unknown): v is string => typeof v === "string";

// Confirms a certificate from its verification code (VerifyCertificate).
export function CertificateCheck({ session }: { session: Session }) {
  const { t } = useI18n();
  const fmt = useDateFormat();
  const [code, setCode] = useDraft("certificate-code", "", isString);
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ kind: "valid"; cert: Certificate } | { kind: "notFound" } | { kind: "empty" } | null>(null);
  const [error, setError] = useState<unknown>(null);
  const onSubmit = async (e: Event) => {
    e.preventDefault();
    setError(null);
    setResult(null);
    if (code.trim() === "") return setResult({ kind: "empty" });
    setBusy(true);
    try {
      const r = await coursesClient.verifyCertificate({ tenantId: session.tenant, verificationCode: code.trim() });
      setResult(r.certificate ? { kind: "valid", cert: r.certificate } : { kind: "notFound" });
    } catch (err) {
      if (isCode(err, Code.NotFound) || isCode(err, Code.InvalidArgument)) setResult({ kind: "notFound" });
      else setError(err);
    } finally {
      setBusy(false);
    }
  };
  return (
    <section class="card" aria-labelledby="verify-title">
      <h2 id="verify-title">{t.courses.verifyTitle}</h2>
      <form class="form inline-form" onSubmit={onSubmit} noValidate>
        <div class="field">
          <label for="verify-code">{t.courses.verifyLabel}</label>
          <input
            id="verify-code"
            type="text"
            autoComplete="off"
            spellcheck={false}
            value={code}
            aria-describedby="verify-hint"
            onInput={(e) => setCode((e.currentTarget as HTMLInputElement).value)}
          />
          <p id="verify-hint" class="hint">
            {t.courses.verifyHint}
          </p>
        </div>
        <button type="submit" class="button" disabled={busy}>
          {t.courses.verifyButton}
        </button>
      </form>
      <div role="status">
        {result?.kind === "valid" && (
          <p class="success">{t.courses.verifyValid(result.cert.courseTitle, fmt.date(result.cert.issuedAt))}</p>
        )}
        {result?.kind === "notFound" && <p class="warning">{t.courses.verifyNotFound}</p>}
        {result?.kind === "empty" && <p class="warning">{t.courses.verifyEmpty}</p>}
      </div>
      {error !== null && <ErrorBox error={error} />}
    </section>
  );
}
