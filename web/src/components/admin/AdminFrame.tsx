import type { ComponentChildren } from "preact";
import { useEffect, useState } from "preact/hooks";
import { useI18n } from "../../i18n/i18n.js";
import { onDismissFlash, takeFlash } from "../../lib/flash.js";
import { pathOf, type AdminSection } from "../../lib/router.js";
import { Link } from "../Link.js";
import { PageHeading } from "../PageHeading.js";
import { StatusMessage } from "../StatusMessage.js";

interface Props {
  title: string;
  lead?: string;
  // A page below a list links back to it.
  backTo?: AdminSection;
  children: ComponentChildren;
}

// Every admin page: an optional way back to its list, the heading, a lead, and the message the
// previous page left ("The draft is saved.").
export function AdminFrame({ title, lead, backTo, children }: Props) {
  const { t } = useI18n();
  const [flash, setFlash] = useState(takeFlash);
  useEffect(() => onDismissFlash(() => setFlash(null)), []);
  return (
    <div class="page admin-page">
      {backTo && (
        <p>
          <Link href={pathOf({ name: "admin", section: backTo })}>{t.admin.common.backToList(t.admin.sections[backTo])}</Link>
        </p>
      )}
      <PageHeading>{title}</PageHeading>
      {lead && <p class="lead">{lead}</p>}
      <StatusMessage>{flash ? flash(t) : ""}</StatusMessage>
      {children}
    </div>
  );
}
