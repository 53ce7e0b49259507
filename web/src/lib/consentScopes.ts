import { Network, Purpose, type ConsentScope } from "../gen/advocacy/consent/v1/consent_pb.js";
import type { Messages } from "../i18n/types.js";
import { networkLabel, purposeLabel } from "./labels.js";

// The scopes an employee can decide on: the network-bound purposes once per network, the others
// once (network unspecified), as consent.proto says.
export const networks: readonly Network[] = [Network.LINKEDIN, Network.FACEBOOK, Network.INSTAGRAM, Network.X];
export const networkPurposes: readonly Purpose[] = [Purpose.SHARE_CONTENT, Purpose.CONTENT_SUGGESTIONS];
export const plainPurposes: readonly Purpose[] = [Purpose.EMAIL_TIPS, Purpose.COURSE_TIPS, Purpose.LEADERBOARD];

export function scopeKey(purpose: Purpose, network: Network): string {
  return `${purpose}.${network}`;
}

export function keyOf(scope: ConsentScope | undefined): string {
  return scope ? scopeKey(scope.purpose, scope.network) : "";
}

export function scopeText(t: Messages, scope: ConsentScope | undefined): string {
  if (!scope) return "";
  const p = purposeLabel(t, scope.purpose);
  return scope.network === Network.UNSPECIFIED ? p : `${p} (${networkLabel(t, scope.network)})`;
}

// A fresh key per user action: a retried request is then recognised and applied once.
export function newIdempotencyKey(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const b = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}
