// BuildMimeMessage and IsValidMailAddress (declared in smtp_sender.h).

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>
#include <utility>

#include "absl/time/civil_time.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "smtp_sender.h"

namespace advocacy::notifications {
namespace {

constexpr size_t kMaxLine = 998;       // RFC 5322 2.1.1: MUST
constexpr size_t kPreferredLine = 78;  // RFC 5322 2.1.1: SHOULD
constexpr size_t kMaxQpLine = 76;      // RFC 2045 6.7 (5)
// An encoded word is at most 75 characters (RFC 2047 2); "=?UTF-8?B?" + "?=" take 12, and 45
// input bytes make 60 base64 characters.
constexpr size_t kEncodedWordInput = 45;

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

// Well-formed UTF-8 (no overlong forms, surrogates or code points above U+10FFFF).
bool IsValidUtf8(std::string_view s) {
  size_t i = 0;
  while (i < s.size()) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c < 0x80) {
      ++i;
      continue;
    }
    size_t len = 0;
    uint32_t cp = 0;
    if ((c & 0xE0) == 0xC0) {
      len = 2;
      cp = c & 0x1F;
    } else if ((c & 0xF0) == 0xE0) {
      len = 3;
      cp = c & 0x0F;
    } else if ((c & 0xF8) == 0xF0) {
      len = 4;
      cp = c & 0x07;
    } else {
      return false;
    }
    if (i + len > s.size()) return false;
    for (size_t k = 1; k < len; ++k) {
      const auto cc = static_cast<unsigned char>(s[i + k]);
      if ((cc & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (cc & 0x3F);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
        cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += len;
  }
  return true;
}

// Text for a header: UTF-8 without control characters other than tab.
absl::Status CheckHeaderText(std::string_view what, std::string_view s) {
  if (HasLineBreak(s)) {
    return absl::InvalidArgumentError(advocacy::StrCat(what, " contains CR or LF"));
  }
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u == 0x7F) {
      return absl::InvalidArgumentError(advocacy::StrCat(what, " contains a control character"));
    }
  }
  if (!IsValidUtf8(s)) return absl::InvalidArgumentError(advocacy::StrCat(what, " is not UTF-8"));
  return absl::OkStatus();
}

bool IsPrintableAscii(std::string_view s) {
  for (char c : s) {
    const auto u = static_cast<unsigned char>(c);
    if ((u < 0x20 && c != '\t') || u >= 0x7F) return false;
  }
  return true;
}

std::string Base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    const uint32_t v = (static_cast<uint8_t>(in[i]) << 16) |
                       (static_cast<uint8_t>(in[i + 1]) << 8) | static_cast<uint8_t>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += kAlphabet[(v >> 6) & 63];
    out += kAlphabet[v & 63];
  }
  if (i < in.size()) {
    uint32_t v = static_cast<uint8_t>(in[i]) << 16;
    if (i + 1 < in.size()) v |= static_cast<uint8_t>(in[i + 1]) << 8;
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += i + 1 < in.size() ? kAlphabet[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

// RFC 2047 "B" encoded words, split only between UTF-8 characters and folded onto
// continuation lines. `used` is what the first line already holds ("Subject: ").
std::string EncodedWords(std::string_view text, size_t used) {
  std::string out;
  while (!text.empty()) {
    // 12 characters of each word are "=?UTF-8?B?" and "?="; base64 makes 4 of every 3 bytes.
    const size_t room = kPreferredLine - (out.empty() ? used : 1) - 12;
    size_t n = std::min({kEncodedWordInput, room / 4 * 3, text.size()});
    // Never split a multi-byte character: back up over continuation bytes.
    while (n < text.size() && n > 0 && (static_cast<unsigned char>(text[n]) & 0xC0) == 0x80) --n;
    if (!out.empty()) out += "\r\n ";
    advocacy::StrAppend(&out, "=?UTF-8?B?", Base64(text.substr(0, n)), "?=");
    text.remove_prefix(n);
  }
  return out;
}

// A readable header value: folded at blanks so lines stay within kPreferredLine where a word
// allows. `used` is what the line already holds ("Subject: "). Empty when some word would
// still break the kMaxLine limit, or the text could be mistaken for an encoded word.
std::string FoldAscii(std::string_view text, size_t used) {
  if (text.find("=?") != std::string_view::npos) return "";
  std::string out;
  size_t line = used;
  size_t i = 0;
  while (i < text.size()) {
    // A word with the blanks in front of it; folding happens before the blanks.
    size_t j = i;
    while (j < text.size() && (text[j] == ' ' || text[j] == '\t')) ++j;
    while (j < text.size() && text[j] != ' ' && text[j] != '\t') ++j;
    const std::string_view word = text.substr(i, j - i);
    if (line + word.size() > kPreferredLine && i > 0 && (word[0] == ' ' || word[0] == '\t')) {
      out += "\r\n";
      line = 0;
    }
    out += word;
    line += word.size();
    if (line > kMaxLine) return "";
    i = j;
  }
  return out;
}

// The Subject value: folded ASCII when it is plain ASCII, else encoded words.
std::string SubjectValue(std::string_view subject) {
  if (subject.empty()) return "";
  if (IsPrintableAscii(subject)) {
    std::string folded = FoldAscii(subject, std::string_view("Subject: ").size());
    if (!folded.empty()) return folded;
  }
  return EncodedWords(subject, std::string_view("Subject: ").size());
}

// `name <address>`, or the bare address when there is no name. ASCII names are quoted
// strings; others (and very long ones, which a quoted string cannot fold) encoded words.
std::string Mailbox(std::string_view name, std::string_view address, size_t used) {
  if (name.empty()) return std::string(address);
  std::string phrase;
  if (IsPrintableAscii(name) && name.size() <= 60 && name.find("=?") == std::string_view::npos) {
    phrase = "\"";
    for (char c : name) {
      if (c == '"' || c == '\\') phrase += '\\';
      phrase += c;
    }
    phrase += '"';
  } else {
    phrase = EncodedWords(name, used);
  }
  return advocacy::StrCat(phrase, " <", address, ">");
}

std::string QuotedPrintable(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size() + text.size() / 8);
  size_t line = 0;
  auto emit = [&](std::string_view token) {
    // Leave room for the "=" of a soft line break.
    if (line + token.size() > kMaxQpLine - 1) {
      out += "=\r\n";
      line = 0;
    }
    out += token;
    line += token.size();
  };
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '\r' || c == '\n') {
      // Every line break of the input (CRLF, CR or LF) becomes a CRLF hard break.
      if (c == '\r' && i + 1 < text.size() && text[i + 1] == '\n') ++i;
      out += "\r\n";
      line = 0;
      continue;
    }
    const auto u = static_cast<unsigned char>(c);
    const bool at_line_end = i + 1 == text.size() || text[i + 1] == '\r' || text[i + 1] == '\n';
    if ((u >= 33 && u <= 126 && c != '=') || ((c == ' ' || c == '\t') && !at_line_end)) {
      emit(std::string_view(&c, 1));
    } else {
      const char enc[3] = {'=', kHex[u >> 4], kHex[u & 15]};
      emit(std::string_view(enc, 3));
    }
  }
  return out;
}

// RFC 5322 date-time, built by hand: strftime's names depend on the process locale.
std::string RfcDate(absl::Time now) {
  static constexpr std::array<const char*, 7> kDays = {"Mon", "Tue", "Wed", "Thu",
                                                       "Fri", "Sat", "Sun"};
  static constexpr std::array<const char*, 12> kMonths = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                                          "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
  const absl::CivilSecond t = absl::ToCivilSecond(now, absl::UTCTimeZone());
  const absl::Weekday wd = absl::GetWeekday(absl::CivilDay(t));
  char buf[64];
  std::snprintf(buf, sizeof buf, "%s, %02d %s %04lld %02d:%02d:%02d +0000",
                kDays[static_cast<size_t>(wd)], t.day(),
                kMonths[static_cast<size_t>(t.month() - 1)], static_cast<long long>(t.year()),
                t.hour(), t.minute(), t.second());
  return buf;
}

uint64_t Fnv1a(std::string_view s) {
  uint64_t h = 1469598103934665603ULL;
  for (char c : s) {
    h ^= static_cast<uint8_t>(c);
    h *= 1099511628211ULL;
  }
  return h;
}

// Letters, digits and the atext specials that are safe in a msg-id (RFC 5322 3.6.4).
bool IsMessageIdChar(char c) {
  return IsAlnum(c) || std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) != std::string_view::npos;
}

absl::StatusOr<std::string> MessageId(std::string_view id, std::string_view from_address) {
  if (id.empty()) return absl::InvalidArgumentError("message_id is empty");
  if (id.size() > 200) return absl::InvalidArgumentError("message_id is longer than 200 bytes");
  const size_t at = id.find('@');
  const std::string_view left = id.substr(0, at);
  const std::string_view right =
      at == std::string_view::npos ? std::string_view() : id.substr(at + 1);
  for (std::string_view part : {left, right}) {
    for (char c : part) {
      if (!IsMessageIdChar(c)) {
        return absl::InvalidArgumentError(
            "message_id may hold only letters, digits, '@' and !#$%&'*+-/=?^_`{|}~. (no "
            "brackets, blanks or line breaks)");
      }
    }
  }
  if (left.empty() || (at != std::string_view::npos && right.empty())) {
    return absl::InvalidArgumentError("message_id must be id or id@domain");
  }
  if (at != std::string_view::npos) return std::string(id);
  return advocacy::StrCat(id, "@", from_address.substr(from_address.rfind('@') + 1));
}

bool IsFieldName(std::string_view name) {
  if (name.empty()) return false;
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 33 || u > 126 || c == ':') return false;
  }
  return true;
}

}  // namespace

bool IsValidMailAddress(std::string_view address) {
  if (address.size() > 254) return false;
  const size_t at = address.rfind('@');
  if (at == std::string_view::npos || at == 0 || at + 1 == address.size()) return false;
  const std::string_view local = address.substr(0, at);
  const std::string_view domain = address.substr(at + 1);
  if (local.size() > 64 || local.front() == '.' || local.back() == '.' ||
      local.find("..") != std::string_view::npos) {
    return false;
  }
  for (char c : local) {
    if (!IsAlnum(c) && std::string_view("!#$%&'*+-/=?^_`{|}~.").find(c) == std::string_view::npos) {
      return false;
    }
  }
  size_t start = 0;
  while (start <= domain.size()) {
    size_t dot = domain.find('.', start);
    if (dot == std::string_view::npos) dot = domain.size();
    const std::string_view label = domain.substr(start, dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return false;
    }
    for (char c : label) {
      if (!IsAlnum(c) && c != '-') return false;
    }
    start = dot + 1;
  }
  return true;
}

absl::StatusOr<std::string> BuildMimeMessage(const OutgoingMail& mail, absl::Time now) {
  if (!IsValidMailAddress(mail.from_address)) {
    return absl::InvalidArgumentError("from_address is not a mail address (local@domain)");
  }
  if (!IsValidMailAddress(mail.to_address)) {
    return absl::InvalidArgumentError("to_address is not a mail address (local@domain)");
  }
  for (const auto& [what, value] :
       {std::pair<std::string_view, std::string_view>{"from_name", mail.from_name},
        {"to_name", mail.to_name},
        {"subject", mail.subject}}) {
    RETURN_IF_ERROR(CheckHeaderText(what, value));
  }
  if (!IsValidUtf8(mail.text)) return absl::InvalidArgumentError("the text part is not UTF-8");
  if (!IsValidUtf8(mail.html)) return absl::InvalidArgumentError("the HTML part is not UTF-8");
  ASSIGN_OR_RETURN(const std::string message_id, MessageId(mail.message_id, mail.from_address));

  static constexpr std::array<std::string_view, 8> kOwnHeaders = {
      "date",       "from",         "to",           "subject",
      "message-id", "mime-version", "content-type", "content-transfer-encoding"};
  std::string extra;
  for (const auto& [name, value] : mail.headers) {
    if (!IsFieldName(name)) {
      return absl::InvalidArgumentError(
          advocacy::StrCat("header name '", HasLineBreak(name) ? "(with a line break)" : name,
                           "' is not a field name (printable ASCII without ':')"));
    }
    const std::string lower = AsciiLower(name);
    for (std::string_view own : kOwnHeaders) {
      if (lower == own) {
        return absl::InvalidArgumentError(
            advocacy::StrCat("header ", name, " is set by the sender and cannot be replaced"));
      }
    }
    if (HasLineBreak(value)) {
      return absl::InvalidArgumentError(advocacy::StrCat("header ", name, " contains CR or LF"));
    }
    if (!IsPrintableAscii(value)) {
      return absl::InvalidArgumentError(
          advocacy::StrCat("header ", name, " must be printable ASCII"));
    }
    if (name.size() + 2 + value.size() > kMaxLine) {
      return absl::InvalidArgumentError(
          advocacy::StrCat("header ", name, " is longer than 998 octets"));
    }
    advocacy::StrAppend(&extra, name, ": ", value, "\r\n");
  }

  char hash[17];
  std::snprintf(hash, sizeof hash, "%016llx", static_cast<unsigned long long>(Fnv1a(message_id)));
  // "=_" can never occur in quoted-printable output ('=' is always followed by hex or a line
  // break), so this boundary cannot collide with the body.
  const std::string boundary = advocacy::StrCat("=_advocacy_", hash);

  std::string out;
  out.reserve(1024 + mail.text.size() * 2 + mail.html.size() * 2);
  advocacy::StrAppend(&out, "Date: ", RfcDate(now), "\r\n");
  advocacy::StrAppend(&out, "From: ", Mailbox(mail.from_name, mail.from_address, 6), "\r\n");
  advocacy::StrAppend(&out, "To: ", Mailbox(mail.to_name, mail.to_address, 4), "\r\n");
  advocacy::StrAppend(&out, "Subject: ", SubjectValue(mail.subject), "\r\n");
  advocacy::StrAppend(&out, "Message-ID: <", message_id, ">\r\n");
  out += "MIME-Version: 1.0\r\n";
  advocacy::StrAppend(&out, "Content-Type: multipart/alternative;\r\n boundary=\"", boundary,
                      "\"\r\n");
  out += extra;
  out += "\r\n";
  for (const auto& [type, body] :
       {std::pair<std::string_view, std::string_view>{"text/plain", mail.text},
        {"text/html", mail.html}}) {
    advocacy::StrAppend(&out, "--", boundary, "\r\nContent-Type: ", type,
                        "; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n",
                        QuotedPrintable(body), "\r\n");
  }
  advocacy::StrAppend(&out, "--", boundary, "--\r\n");
  return out;
}

}  // namespace advocacy::notifications
