import { useI18n } from "../../i18n/i18n.js";

interface Props {
  // What the buttons act on, for their accessible names: "lesson 2", "question 1".
  what: string;
  index: number;
  count: number;
  // The list may not become shorter than this.
  min?: number;
  onMove: (by: -1 | 1) => void;
  onRemove: () => void;
}

// Move up, move down and remove for one entry of an editable list (modules, lessons, questions,
// caption variants, checklist items).
export function ListControls({ what, index, count, min = 0, onMove, onRemove }: Props) {
  const { t } = useI18n();
  if (count <= 1) return null; // Nothing to move, and the only entry stays.
  return (
    <div class="list-controls">
      <button type="button" class="button small secondary" disabled={index === 0} onClick={() => onMove(-1)}>
        {t.forms.moveUp}
        <span class="visually-hidden"> {what}</span>
      </button>
      <button type="button" class="button small secondary" disabled={index >= count - 1} onClick={() => onMove(1)}>
        {t.forms.moveDown}
        <span class="visually-hidden"> {what}</span>
      </button>
      <button type="button" class="button small secondary danger-text" disabled={count <= min} onClick={onRemove}>
        {t.forms.remove}
        <span class="visually-hidden"> {what}</span>
      </button>
    </div>
  );
}
