import { useEffect, useRef } from "preact/hooks";
import { useI18n } from "../i18n/i18n.js";
import { takeFocusRequest } from "../lib/router.js";

// The page's <h1>. It names the page in the tab title and, after an in-app navigation, takes
// the focus so that keyboard and screen-reader users start at the new page's top.
export function PageHeading({ children, id }: { children: string; id?: string }) {
  const { t } = useI18n();
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} – ${t.common.appName}`;
  }, [children, t]);
  useEffect(() => {
    if (takeFocusRequest()) ref.current?.focus();
  }, []);
  return (
    <h1 tabIndex={-1} ref={ref} id={id}>
      {children}
    </h1>
  );
}
