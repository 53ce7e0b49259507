import { useEffect, useRef, useState } from "preact/hooks";
import { useI18n } from "../../i18n/i18n.js";

interface Props {
  label: string;
  // What will happen, asked before doing it.
  question: string;
  confirmLabel: string;
  onConfirm: () => void;
  disabled?: boolean;
  danger?: boolean;
}

// A button for something that cannot be undone (archive, delete, cancel a broadcast): the first
// press asks in the page itself (no browser dialog), with the focus on the confirming button.
export function ConfirmButton({ label, question, confirmLabel, onConfirm, disabled, danger = true }: Props) {
  const { t } = useI18n();
  const [asking, setAsking] = useState(false);
  const confirmRef = useRef<HTMLButtonElement>(null);
  const openerRef = useRef<HTMLButtonElement>(null);
  const wasAsking = useRef(false);
  useEffect(() => {
    if (asking) confirmRef.current?.focus();
    else if (wasAsking.current) openerRef.current?.focus();
    wasAsking.current = asking;
  }, [asking]);
  if (!asking) {
    return (
      <button
        type="button"
        ref={openerRef}
        class={danger ? "button danger-outline" : "button secondary"}
        disabled={disabled}
        onClick={() => setAsking(true)}
      >
        {label}
      </button>
    );
  }
  return (
    <div class="confirm" role="group" aria-label={label}>
      <p>{question}</p>
      <div class="actions">
        <button
          type="button"
          ref={confirmRef}
          class={danger ? "button danger-solid" : "button"}
          disabled={disabled}
          onClick={() => {
            setAsking(false);
            onConfirm();
          }}
        >
          {confirmLabel}
        </button>
        <button type="button" class="button secondary" onClick={() => setAsking(false)}>
          {t.forms.keep}
        </button>
      </div>
    </div>
  );
}
