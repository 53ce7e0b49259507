import type { ComponentChildren } from "preact";

// A polite live region for the outcome of an action ("Saved.", "Turned off: ...").
export function StatusMessage({ children, tone = "success" }: { children?: ComponentChildren; tone?: "success" | "info" }) {
  return (
    <div class={`status-message ${children ? tone : "empty-status"}`} role="status">
      {children}
    </div>
  );
}
