import type { ComponentChildren } from "preact";
import { navigate } from "../lib/router.js";

interface Props {
  href: string;
  class?: string;
  children: ComponentChildren;
  "aria-current"?: "page" | undefined;
  onNavigate?: () => void;
}

// An in-app link: a real <a href> (so it can be opened in a new tab or copied), handled by the
// router on a plain left click.
export function Link({ href, children, onNavigate, ...rest }: Props) {
  const onClick = (e: MouseEvent) => {
    if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
    e.preventDefault();
    onNavigate?.();
    navigate(href);
  };
  return (
    <a href={href} onClick={onClick} {...rest}>
      {children}
    </a>
  );
}
