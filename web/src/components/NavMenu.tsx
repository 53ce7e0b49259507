import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../i18n/i18n.js";
import { isAdmin, type Session } from "../api/session.js";
import { usePathname } from "../lib/router.js";
import { Link } from "./Link.js";

// The main navigation. On a narrow screen it folds behind a Menu button (aria-expanded); on a
// wide one the button is hidden and the list always shows.
export function NavMenu({ session }: { session: Session }) {
  const { t } = useI18n();
  const path = usePathname();
  const [open, setOpen] = useState(false);
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent) => {
      if (e.key === "Escape") {
        setOpen(false);
        document.getElementById("nav-toggle")?.focus();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [open]);
  const items: { href: string; label: string }[] = [
    { href: "/feed", label: t.nav.feed },
    { href: "/consent", label: t.nav.consent },
    { href: "/tips", label: t.nav.tips },
    { href: "/courses", label: t.nav.courses },
    { href: "/stats", label: t.nav.stats },
    { href: "/my-data", label: t.nav.myData },
  ];
  if (isAdmin(session)) items.push({ href: "/admin", label: t.nav.admin });
  const current = (href: string) => path === href || path.startsWith(`${href}/`);
  return (
    <nav aria-label={t.nav.label} class="main-nav">
      <button
        id="nav-toggle"
        type="button"
        class="button secondary nav-toggle"
        aria-expanded={open ? "true" : "false"}
        aria-controls="nav-list"
        onClick={() => setOpen(!open)}
      >
        {t.nav.menu}
      </button>
      <ul id="nav-list" class={open ? "nav-list open" : "nav-list"}>
        {items.map((i) => (
          <li key={i.href}>
            <Link href={i.href} aria-current={current(i.href) ? "page" : undefined}>
              {i.label}
            </Link>
          </li>
        ))}
      </ul>
    </nav>
  );
}
