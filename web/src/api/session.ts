import { useEffect, useState } from "preact/hooks";
import { HttpFailure, requestIdOf } from "./errors.js";

// The one piece of global state: who is signed in, as the gateway's /auth/session says. The page
// never sees a token; the session is a cookie, and the CSRF token below goes with every call.

export interface Session {
  subject: string;
  name: string;
  email: string;
  tenant: string;
  roles: string[];
  csrfToken: string;
  expiresAt: Date | undefined;
}

export type SessionState =
  | { kind: "loading" }
  | { kind: "signedOut" }
  | { kind: "signedIn"; session: Session }
  | { kind: "expired" }
  | { kind: "error"; error: unknown };

let state: SessionState = { kind: "loading" };
const listeners = new Set<() => void>();

function setState(next: SessionState): void {
  state = next;
  for (const l of listeners) l();
}

export function sessionState(): SessionState {
  return state;
}

export function csrfToken(): string {
  return state.kind === "signedIn" ? state.session.csrfToken : "";
}

export function isAdmin(s: Session): boolean {
  return s.roles.includes("admin");
}

function str(v: unknown): string {
  return typeof v === "string" ? v : "";
}

function parseSession(body: unknown): Session | null {
  if (typeof body !== "object" || body === null) return null;
  const b = body as Record<string, unknown>;
  const subject = str(b["subject"]);
  const tenant = str(b["tenant"]);
  const csrf = str(b["csrf_token"]);
  if (!subject || !tenant || !csrf) return null;
  const roles = Array.isArray(b["roles"]) ? b["roles"].filter((r): r is string => typeof r === "string") : [];
  const expires = new Date(str(b["expires_at"]));
  return {
    subject,
    name: str(b["name"]) || str(b["email"]) || subject,
    email: str(b["email"]),
    tenant,
    roles,
    csrfToken: csrf,
    expiresAt: Number.isNaN(expires.getTime()) ? undefined : expires,
  };
}

export async function loadSession(): Promise<void> {
  setState({ kind: "loading" });
  try {
    const res = await fetch("/auth/session", {
      credentials: "same-origin",
      cache: "no-store",
      headers: { Accept: "application/json" },
    });
    if (res.status === 401) {
      setState({ kind: "signedOut" });
      return;
    }
    if (!res.ok) throw new HttpFailure(res.status, requestIdOf(res));
    const session = parseSession(await res.json());
    if (!session) throw new HttpFailure(res.status, requestIdOf(res));
    setState({ kind: "signedIn", session });
  } catch (err) {
    setState({ kind: "error", error: err });
  }
}

// Where the Sign in button goes: the gateway starts the IdP flow and brings the browser back
// to `returnTo` (a path on this origin).
export function signInUrl(returnTo: string): string {
  const path = returnTo.startsWith("/") && !returnTo.startsWith("//") ? returnTo : "/";
  return `/auth/login?return_to=${encodeURIComponent(path)}`;
}

export function signIn(returnTo: string): void {
  window.location.assign(signInUrl(returnTo));
}

// Marks the session as ended and sends the browser to sign in, once.
export function sessionExpired(returnTo: string): void {
  if (state.kind === "expired") return;
  setState({ kind: "expired" });
  signIn(returnTo);
}

function safeRedirect(v: unknown): string {
  if (typeof v !== "string") return "/";
  if (v.startsWith("/") && !v.startsWith("//")) return v;
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:" ? u.href : "/";
  } catch {
    return "/";
  }
}

export async function signOut(): Promise<void> {
  const res = await fetch("/auth/logout", {
    method: "POST",
    credentials: "same-origin",
    headers: { Accept: "application/json", "X-CSRF-Token": csrfToken() },
  });
  if (!res.ok) throw new HttpFailure(res.status, requestIdOf(res));
  const body: unknown = await res.json().catch(() => ({}));
  const redirect = typeof body === "object" && body !== null ? (body as Record<string, unknown>)["redirect"] : undefined;
  setState({ kind: "signedOut" });
  window.location.assign(safeRedirect(redirect));
}

export function useSessionState(): SessionState {
  const [s, setS] = useState<SessionState>(state);
  useEffect(() => {
    const l = () => setS(state);
    listeners.add(l);
    l();
    return () => {
      listeners.delete(l);
    };
  }, []);
  return s;
}
