import { useEffect, useState } from "preact/hooks";

// Path-based routing on the History API. The gateway serves index.html for every unknown GET
// path, so each route below is also a deep link (from mails, for example).

export type Route =
  | { name: "home" }
  | { name: "consent" }
  | { name: "feed" }
  | { name: "content"; itemId: string }
  | { name: "courses" }
  | { name: "course"; courseId: string }
  | { name: "broadcast"; broadcastId: string }
  | { name: "tips" }
  | { name: "stats" }
  | { name: "certificate"; courseId: string }
  | { name: "myData" }
  | { name: "verify" }
  | { name: "admin"; section: AdminSection; id?: string }
  | { name: "notFound" };

// The communications team's pages under /admin: /admin/<section> lists, /admin/<section>/new
// creates, /admin/<section>/<id> shows or edits one.
export const adminSections = [
  "items",
  "courses",
  "checklists",
  "broadcasts",
  "notices",
  "settings",
  "engagement",
  "recipients",
] as const;
export type AdminSection = "overview" | (typeof adminSections)[number];

function adminSection(v: string): AdminSection | null {
  return (adminSections as readonly string[]).includes(v) ? (v as AdminSection) : null;
}

function param(segment: string): string | null {
  try {
    const v = decodeURIComponent(segment);
    return v.length > 0 ? v : null;
  } catch {
    return null; // A malformed %-escape is no id.
  }
}

export function matchRoute(pathname: string): Route {
  const parts = pathname.split("/").filter((p) => p.length > 0);
  const [first, second, ...rest] = parts;
  if (first === undefined) return { name: "home" };
  if (first === "admin") return matchAdmin(second, rest);
  if (first === "courses" && second !== undefined && rest.length === 1 && rest[0] === "certificate") {
    const courseId = param(second);
    return courseId === null ? { name: "notFound" } : { name: "certificate", courseId };
  }
  if (rest.length > 0) return { name: "notFound" };
  if (second === undefined) {
    switch (first) {
      case "consent":
        return { name: "consent" };
      case "feed":
        return { name: "feed" };
      case "courses":
        return { name: "courses" };
      case "tips":
        return { name: "tips" };
      case "stats":
        return { name: "stats" };
      case "my-data":
        return { name: "myData" };
      case "verify":
        return { name: "verify" };
      default:
        return { name: "notFound" };
    }
  }
  const id = param(second);
  if (id === null) return { name: "notFound" };
  switch (first) {
    case "content":
      return { name: "content", itemId: id };
    case "courses":
      return { name: "course", courseId: id };
    case "broadcasts":
      return { name: "broadcast", broadcastId: id };
    default:
      return { name: "notFound" };
  }
}

function matchAdmin(second: string | undefined, rest: string[]): Route {
  if (second === undefined) return { name: "admin", section: "overview" };
  const section = adminSection(second);
  if (section === null || rest.length > 1) return { name: "notFound" };
  if (rest.length === 0) return { name: "admin", section };
  const id = param(rest[0] ?? "");
  return id === null ? { name: "notFound" } : { name: "admin", section, id };
}

export function pathOf(route: Route): string {
  switch (route.name) {
    case "home":
      return "/";
    case "consent":
      return "/consent";
    case "feed":
      return "/feed";
    case "content":
      return `/content/${encodeURIComponent(route.itemId)}`;
    case "courses":
      return "/courses";
    case "course":
      return `/courses/${encodeURIComponent(route.courseId)}`;
    case "broadcast":
      return `/broadcasts/${encodeURIComponent(route.broadcastId)}`;
    case "tips":
      return "/tips";
    case "stats":
      return "/stats";
    case "certificate":
      return `/courses/${encodeURIComponent(route.courseId)}/certificate`;
    case "myData":
      return "/my-data";
    case "verify":
      return "/verify";
    case "admin": {
      if (route.section === "overview") return "/admin";
      const base = `/admin/${route.section}`;
      return route.id === undefined ? base : `${base}/${encodeURIComponent(route.id)}`;
    }
    case "notFound":
      return "/";
  }
}

const listeners = new Set<() => void>();
// Set by an in-app navigation, consumed by the next page heading: moving focus there tells a
// screen-reader user that the page changed (a full page load needs no help).
let focusRequested = false;

function notify(): void {
  for (const l of listeners) l();
}

window.addEventListener("popstate", () => {
  focusRequested = true;
  notify();
});

export function currentPath(): string {
  return window.location.pathname + window.location.search;
}

export function navigate(to: string, options: { replace?: boolean } = {}): void {
  if (options.replace) window.history.replaceState(null, "", to);
  else window.history.pushState(null, "", to);
  focusRequested = true;
  window.scrollTo(0, 0);
  notify();
}

export function takeFocusRequest(): boolean {
  const v = focusRequested;
  focusRequested = false;
  return v;
}

// The query of the current address, e.g. for /verify?tenant=..&code=.. .
export function queryParam(name: string): string {
  return new URLSearchParams(window.location.search).get(name) ?? "";
}

export function usePathname(): string {
  const [path, setPath] = useState(window.location.pathname);
  useEffect(() => {
    const l = () => setPath(window.location.pathname);
    listeners.add(l);
    return () => {
      listeners.delete(l);
    };
  }, []);
  return path;
}
