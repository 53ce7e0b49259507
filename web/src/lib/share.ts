import { Network } from "../gen/advocacy/consent/v1/consent_pb.js";

// Building the text and the network's share dialog for one share. RecordShare returns the
// caption variant and the tracked link (no ready-made share URL), so the intent URLs are built
// here from the networks' documented share endpoints.

// The caption, then the item's hashtags and disclosure tag where the caption does not already
// carry them.
export function composePostText(caption: string, hashtags: string[], disclosureTag: string): string {
  const lower = caption.toLowerCase();
  const tags = hashtags
    .map((h) => (h.startsWith("#") ? h : `#${h}`))
    .filter((h) => !lower.includes(h.toLowerCase()));
  const parts = [caption.trim()];
  if (tags.length > 0) parts.push(tags.join(" "));
  if (disclosureTag && !lower.includes(disclosureTag.toLowerCase())) parts.push(disclosureTag);
  return parts.filter((p) => p.length > 0).join("\n\n");
}

// The URL of the network's share dialog, or null where the network has none on the web
// (Instagram: the text is copied and the user posts from the app).
export function shareIntentUrl(network: Network, trackedUrl: string, text: string): string | null {
  const url = encodeURIComponent(trackedUrl);
  switch (network) {
    case Network.LINKEDIN:
      return `https://www.linkedin.com/sharing/share-offsite/?url=${url}`;
    case Network.FACEBOOK:
      return `https://www.facebook.com/sharer/sharer.php?u=${url}`;
    case Network.X:
      return `https://twitter.com/intent/tweet?text=${encodeURIComponent(text)}&url=${url}`;
    default:
      return null;
  }
}

// Opens `url` in a new tab without giving it a handle on this page. Returns false when the
// browser blocked the pop-up (the caller then shows a link to click).
export function openInNewTab(url: string): boolean {
  const w = window.open("about:blank", "_blank");
  if (!w) return false;
  try {
    w.opener = null;
    w.location.href = url;
    return true;
  } catch {
    w.close();
    return false;
  }
}

export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false; // No clipboard permission or an insecure context: the user copies by hand.
  }
}

// Only http(s) links are rendered as links; anything else (javascript:, data:) is shown as text.
export function isWebUrl(v: string): boolean {
  try {
    const u = new URL(v);
    return u.protocol === "https:" || u.protocol === "http:";
  } catch {
    return false;
  }
}
