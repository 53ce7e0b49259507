import { useState } from "preact/hooks";
import { useI18n } from "../i18n/i18n.js";
import { copyText } from "../lib/share.js";

// Read-only text with a label and a Copy button; when copying fails the text stays there to be
// selected by hand.
export function CopyableText({ id, label, text }: { id: string; label: string; text: string }) {
  const { t } = useI18n();
  const [outcome, setOutcome] = useState<"copied" | "failed" | null>(null);
  return (
    <div class="copyable">
      <label for={id}>{label}</label>
      <textarea id={id} readOnly rows={Math.min(8, text.split("\n").length + 2)} value={text} />
      <button
        type="button"
        class="button secondary"
        onClick={async () => setOutcome((await copyText(text)) ? "copied" : "failed")}
      >
        {t.common.copy}
      </button>
      <span role="status" class="hint">
        {outcome === "copied" ? t.common.copied : outcome === "failed" ? t.feed.copyByHand : ""}
      </span>
    </div>
  );
}
