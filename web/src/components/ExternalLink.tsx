import type { ComponentChildren } from "preact";
import { useI18n } from "../i18n/i18n.js";
import { isWebUrl } from "../lib/share.js";

// A link that leaves the app in a new tab. A URL that is not http(s) is shown as plain text.
export function ExternalLink({ href, children, class: cls }: { href: string; children: ComponentChildren; class?: string }) {
  const { t } = useI18n();
  if (!isWebUrl(href)) return <span class={cls}>{children}</span>;
  return (
    <a href={href} target="_blank" rel="noopener noreferrer" class={cls}>
      {children}
      <span class="visually-hidden"> {t.common.opensInNewTab}</span>
    </a>
  );
}
