import { useState } from "preact/hooks";
import { create } from "@bufbuild/protobuf";
import {
  ConsentMethod,
  ConsentScopeSchema,
  ConsentState,
  Network,
  type ConsentScope,
  type Notice,
  type Purpose,
  type ScopeConsent,
} from "../gen/advocacy/consent/v1/consent_pb.js";
import type { ServicePropagation } from "../gen/advocacy/consent/v1/consent_service_pb.js";
import { useI18n } from "../i18n/i18n.js";
import type { Session } from "../api/session.js";
import { consentClient } from "../api/clients.js";
import {
  keyOf,
  networkPurposes,
  networks,
  newIdempotencyKey,
  plainPurposes,
  scopeKey,
  scopeText,
} from "../lib/consentScopes.js";
import { listText, networkLabel, purposeHelp, purposeLabel, serviceLabel } from "../lib/labels.js";
import { Switch } from "./Switch.js";
import { ErrorBox } from "./ErrorBox.js";
import { StatusMessage } from "./StatusMessage.js";

interface Props {
  session: Session;
  notice: Notice | null;
  initial: ScopeConsent[];
  onChanged: () => void;
}

function toMap(consents: ScopeConsent[]): Map<string, ScopeConsent> {
  return new Map(consents.map((c) => [keyOf(c.scope), c]));
}

// Every purpose (per network where it is bound to one) as a switch, off unless given. One click
// gives or withdraws; the answer of the consent service is what the switch then shows.
export function ConsentToggles({ session, notice, initial, onChanged }: Props) {
  const { t, locale } = useI18n();
  const [consents, setConsents] = useState(() => toMap(initial));
  const [busy, setBusy] = useState<string | null>(null);
  const [status, setStatus] = useState("");
  const [error, setError] = useState<unknown>(null);

  const merge = (changed: ScopeConsent[]) =>
    setConsents((prev) => {
      const next = new Map(prev);
      for (const c of changed) next.set(keyOf(c.scope), c);
      return next;
    });

  const pendingText = (services: ServicePropagation[]) =>
    listText(
      services.filter((s) => !s.applied).map((s) => serviceLabel(t, s.service)),
      locale,
    );

  const run = async (key: string, action: () => Promise<string>) => {
    setBusy(key);
    setError(null);
    setStatus("");
    try {
      setStatus(await action());
      onChanged();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };

  const give = (scope: ConsentScope) =>
    run(keyOf(scope), async () => {
      if (!notice) return "";
      const r = await consentClient.giveConsent({
        tenantId: session.tenant,
        employeeId: session.subject,
        scopes: [scope],
        noticeVersion: notice.version,
        method: ConsentMethod.APP_TOGGLE,
        idempotencyKey: newIdempotencyKey(),
      });
      merge(r.consents);
      return r.unchanged ? t.consent.unchanged : t.consent.turnedOn(scopeText(t, scope));
    });

  const withdraw = (scopes: ConsentScope[], key: string) =>
    run(key, async () => {
      const all = scopes.length === 0;
      const r = await consentClient.withdrawConsent({
        tenantId: session.tenant,
        employeeId: session.subject,
        scopes,
        allScopes: all,
        method: ConsentMethod.APP_TOGGLE,
        idempotencyKey: newIdempotencyKey(),
      });
      merge(r.consents);
      if (r.unchanged) return t.consent.unchanged;
      const what = all ? t.consent.withdrawAllDone : t.consent.turnedOff(scopeText(t, scopes[0]));
      const reach = r.fullyPropagated
        ? t.consent.propagatedAll
        : r.servicePropagations.length > 0
          ? t.consent.propagatedPending(pendingText(r.servicePropagations))
          : "";
      return `${what} ${reach}`.trim();
    });

  const anyGiven = [...consents.values()].some((c) => c.state === ConsentState.GIVEN);

  const renderSwitch = (purpose: Purpose, network: Network, label: string, description?: string) => {
    const key = scopeKey(purpose, network);
    const c = consents.get(key);
    const on = c?.state === ConsentState.GIVEN;
    const scope = create(ConsentScopeSchema, { purpose, network });
    const id = `consent-${purpose}-${network}`;
    return (
      <div class="consent-scope" key={key}>
        <Switch
          id={id}
          label={label}
          description={description}
          checked={on}
          busy={busy === key}
          disabled={busy !== null || (!on && !notice)}
          onChange={(checked) => (checked ? give(scope) : withdraw([scope], key))}
        />
        {on && c?.needsRenewal && (
          <div class="renewal">
            <p class="warning">{t.consent.needsRenewal}</p>
            <button type="button" class="button secondary" disabled={busy !== null || !notice} onClick={() => give(scope)}>
              {t.consent.renew}
            </button>
          </div>
        )}
      </div>
    );
  };

  return (
    <section class="card" aria-labelledby="toggles-title">
      <h2 id="toggles-title">{t.consent.togglesTitle}</h2>
      <StatusMessage>{status}</StatusMessage>
      {error !== null && <ErrorBox error={error} />}
      {networkPurposes.map((p) => (
        <fieldset class="scope-group" key={p} aria-describedby={`purpose-help-${p}`}>
          <legend>{purposeLabel(t, p)}</legend>
          <p id={`purpose-help-${p}`} class="hint">
            {purposeHelp(t, p)}
          </p>
          <div class="network-switches">{networks.map((n) => renderSwitch(p, n, networkLabel(t, n)))}</div>
        </fieldset>
      ))}
      <div class="scope-group plain">
        {plainPurposes.map((p) => renderSwitch(p, Network.UNSPECIFIED, purposeLabel(t, p), purposeHelp(t, p)))}
      </div>
      <button
        type="button"
        class="button danger"
        disabled={busy !== null || !anyGiven}
        onClick={() => withdraw([], "all")}
      >
        {t.consent.withdrawAll}
      </button>
    </section>
  );
}
