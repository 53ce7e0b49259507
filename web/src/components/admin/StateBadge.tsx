// A state (draft, published, ...) as a small label with a colour per kind; the text carries the
// meaning, the colour only helps scanning.
export function StateBadge({ label, tone }: { label: string; tone: "draft" | "review" | "live" | "closed" }) {
  return <span class={`state-badge state-${tone}`}>{label}</span>;
}
