interface Props {
  id: string;
  label: string;
  description?: string;
  checked: boolean;
  busy?: boolean;
  disabled?: boolean;
  onChange: (checked: boolean) => void;
}

// An on/off control: a native checkbox with the switch role, so it is labelled, focusable and
// toggled with Space like any checkbox, and drawn as a switch by CSS.
export function Switch({ id, label, description, checked, busy, disabled, onChange }: Props) {
  const descId = description ? `${id}-desc` : undefined;
  return (
    <div class="switch-row">
      <input
        id={id}
        type="checkbox"
        role="switch"
        class="switch"
        checked={checked}
        disabled={disabled || busy}
        aria-busy={busy ? "true" : undefined}
        aria-describedby={descId}
        onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)}
      />
      <label for={id}>{label}</label>
      {description && (
        <p id={descId} class="hint">
          {description}
        </p>
      )}
    </div>
  );
}
