// Reading the SMTP sink of the local stack (ADVOCACY_SMTP_MAILS: one JSON line per accepted mail,
// {mail_from, rcpt_tos, data}) and enough MIME to find a mail's subject, text and links.
import { openSync, readSync, closeSync, statSync, existsSync } from "node:fs";

export const mailsFile = process.env.ADVOCACY_SMTP_MAILS ?? "";

// The file's size now: mails after this offset arrived later.
export function mailOffset() {
  return mailsFile && existsSync(mailsFile) ? statSync(mailsFile).size : 0;
}

function readFrom(offset) {
  if (!existsSync(mailsFile)) return "";
  const size = statSync(mailsFile).size;
  if (size <= offset) return "";
  const fd = openSync(mailsFile, "r");
  try {
    const buf = Buffer.alloc(size - offset);
    readSync(fd, buf, 0, buf.length, offset);
    return buf.toString("utf8");
  } finally {
    closeSync(fd);
  }
}

function decodeWords(v) {
  // RFC 2047 encoded words: =?charset?Q|B?text?=
  return v.replace(/=\?([^?]+)\?([QqBb])\?([^?]*)\?=/g, (_, charset, enc, text) => {
    const bytes = enc.toUpperCase() === "B" ? Buffer.from(text, "base64") : qpBytes(text.replace(/_/g, " "));
    return new TextDecoder(charset).decode(bytes);
  });
}

function qpBytes(text) {
  const out = [];
  const s = text.replace(/=\r?\n/g, "");
  for (let i = 0; i < s.length; ++i) {
    if (s[i] === "=" && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      out.push(...Buffer.from(s[i], "utf8"));
    }
  }
  return Buffer.from(out);
}

function splitMessage(raw) {
  const text = raw.replace(/\r\n/g, "\n");
  const end = text.indexOf("\n\n");
  const head = end < 0 ? text : text.slice(0, end);
  const body = end < 0 ? "" : text.slice(end + 2);
  const headers = {};
  for (const line of head.replace(/\n[ \t]+/g, " ").split("\n")) {
    const i = line.indexOf(":");
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { headers, body };
}

function decodeBody(headers, body) {
  const enc = (headers["content-transfer-encoding"] ?? "").toLowerCase();
  if (enc === "quoted-printable") return qpBytes(body).toString("utf8");
  if (enc === "base64") return Buffer.from(body.replace(/\s+/g, ""), "base64").toString("utf8");
  return body;
}

// {subject, text, html} of a raw message (multipart/alternative or a single part).
export function parseMail(raw) {
  const { headers, body } = splitMessage(raw);
  const out = { headers, subject: decodeWords(headers["subject"] ?? ""), text: "", html: "" };
  const type = headers["content-type"] ?? "text/plain";
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  const parts = boundary
    ? body
        .split(`--${boundary}`)
        .slice(1)
        .filter((p) => !p.startsWith("--"))
        .map((p) => splitMessage(p.replace(/^\n/, "")))
    : [{ headers, body }];
  for (const p of parts) {
    const ct = (p.headers["content-type"] ?? "text/plain").toLowerCase();
    const decoded = decodeBody(p.headers, p.body);
    if (ct.startsWith("text/html")) out.html += decoded;
    else if (ct.startsWith("text/plain")) out.text += decoded;
  }
  return out;
}

// Every http(s) link of a mail: the text part's and the HTML part's hrefs.
export function mailLinks(mail) {
  const links = new Set();
  for (const m of mail.text.matchAll(/https?:\/\/[^\s<>"]+/g)) links.add(m[0]);
  for (const m of mail.html.matchAll(/href="([^"]+)"/g)) links.add(m[1].replace(/&amp;/g, "&"));
  return [...links];
}

// The mails after `offset` to `rcpt` for which `match(mail)` holds.
export function mailsSince(offset, rcpt, match) {
  const found = [];
  for (const line of readFrom(offset).split("\n")) {
    if (!line.trim()) continue;
    let rec;
    try {
      rec = JSON.parse(line);
    } catch {
      continue; // a line still being written
    }
    if (!(rec.rcpt_tos ?? []).some((r) => r.toLowerCase() === rcpt.toLowerCase())) continue;
    const mail = parseMail(rec.data ?? "");
    if (match(mail)) found.push(mail);
  }
  return found;
}
