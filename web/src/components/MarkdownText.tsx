import type { ComponentChildren } from "preact";
import { ExternalLink } from "./ExternalLink.js";

// A small subset of Markdown (what course lessons use: headings, paragraphs, lists, bold,
// italic, code, links) turned into Preact elements. Nothing is ever parsed as HTML: text stays
// text, and a link is rendered only for an http(s) URL (ExternalLink checks it).

type Block =
  | { kind: "heading"; level: number; text: string }
  | { kind: "paragraph"; text: string }
  | { kind: "list"; ordered: boolean; items: string[] };

function blocks(source: string): Block[] {
  const out: Block[] = [];
  let para: string[] = [];
  let list: { ordered: boolean; items: string[] } | null = null;
  const flush = () => {
    if (para.length > 0) out.push({ kind: "paragraph", text: para.join("\n") });
    para = [];
    if (list) out.push({ kind: "list", ...list });
    list = null;
  };
  for (const raw of source.replace(/\r\n?/g, "\n").split("\n")) {
    const line = raw.trimEnd();
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^\s*[-*+]\s+(.*)$/.exec(line);
    const numbered = /^\s*\d+[.)]\s+(.*)$/.exec(line);
    if (line.trim() === "") {
      flush();
    } else if (heading) {
      flush();
      out.push({ kind: "heading", level: heading[1]?.length ?? 1, text: heading[2] ?? "" });
    } else if (bullet || numbered) {
      const ordered = !bullet;
      const text = (bullet ? bullet[1] : numbered?.[1]) ?? "";
      if (para.length > 0 || (list && list.ordered !== ordered)) flush();
      if (!list) list = { ordered, items: [] };
      list.items.push(text);
    } else if (list && /^\s+/.test(raw) && list.items.length > 0) {
      list.items[list.items.length - 1] += ` ${line.trim()}`; // A continued list item.
    } else {
      if (list) flush();
      para.push(line);
    }
  }
  flush();
  return out;
}

const inlinePattern = /(\*\*([^*]+)\*\*|__([^_]+)__|\*([^*\s][^*]*)\*|_([^_\s][^_]*)_|`([^`]+)`|\[([^\]]+)\]\(([^)\s]+)\))/;

function inline(text: string): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  for (let guard = 0; rest.length > 0 && guard < 1000; ++guard) {
    const m = inlinePattern.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const [whole, , bold1, bold2, em1, em2, code, linkText, linkUrl] = m;
    if (bold1 ?? bold2) out.push(<strong>{inline(bold1 ?? bold2 ?? "")}</strong>);
    else if (em1 ?? em2) out.push(<em>{inline(em1 ?? em2 ?? "")}</em>);
    else if (code) out.push(<code>{code}</code>);
    else if (linkText && linkUrl) out.push(<ExternalLink href={linkUrl}>{linkText}</ExternalLink>);
    rest = rest.slice(m.index + whole.length);
  }
  return out;
}

function heading(key: number, level: number, children: ComponentChildren[]) {
  switch (level) {
    case 1:
    case 2:
      return <h2 key={key}>{children}</h2>;
    case 3:
      return <h3 key={key}>{children}</h3>;
    case 4:
      return <h4 key={key}>{children}</h4>;
    case 5:
      return <h5 key={key}>{children}</h5>;
    default:
      return <h6 key={key}>{children}</h6>;
  }
}

// `headingBase`: the level a "#" heading gets (below the heading of the surrounding section).
export function MarkdownText({ source, headingBase }: { source: string; headingBase: number }) {
  return (
    <>
      {blocks(source).map((b, i) => {
        if (b.kind === "heading") return heading(i, Math.min(6, headingBase + b.level - 1), inline(b.text));
        if (b.kind === "list") {
          const items = b.items.map((it, j) => <li key={j}>{inline(it)}</li>);
          return b.ordered ? <ol key={i}>{items}</ol> : <ul key={i}>{items}</ul>;
        }
        return (
          <p key={i} class="pre-line">
            {inline(b.text)}
          </p>
        );
      })}
    </>
  );
}
