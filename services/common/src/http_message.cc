// The message half of advocacy::http: request checks, ParseRequestHead, FormValue, reason
// phrases. The server itself is in http_server.cc.

#include <string>
#include <string_view>

#include "advocacy/common/http_server.h"
#include "advocacy/common/strings.h"
#include "http_internal.h"

namespace advocacy::http {
namespace internal {

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    const bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
    if (!alnum && std::string_view("!#$%&'*+-.^_`|~").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

absl::Status CheckRequest(const Request& request) {
  if (!IsToken(request.method)) return absl::InvalidArgumentError("bad method");
  // Visible ASCII only: anything else in a target is a client bug or an attack.
  const std::string_view target = request.target;
  if (target.empty() || target[0] != '/') return absl::InvalidArgumentError("bad target");
  for (char c : target) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return absl::InvalidArgumentError("bad target");
    }
  }
  for (const auto& [name, value] : request.headers) {
    if (!IsToken(name)) return absl::InvalidArgumentError("bad header line");
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return absl::InvalidArgumentError("control character in a header value");
      }
    }
  }
  if (request.method != "GET" && request.method != "HEAD" && request.method != "POST") {
    return absl::UnimplementedError("method not allowed");
  }
  return absl::OkStatus();
}

void SplitTarget(Request& request) {
  const size_t q = request.target.find('?');
  request.path = request.target.substr(0, q);
  request.query = q == std::string::npos ? std::string() : request.target.substr(q + 1);
}

}  // namespace internal

namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::optional<std::string_view> Request::Header(std::string_view name) const {
  for (const auto& [n, v] : headers) {
    if (n == name) return std::string_view(v);
  }
  return std::nullopt;
}

Response TextResponse(int status, std::string body) {
  Response r;
  r.status = status;
  r.body = std::move(body);
  return r;
}

std::string_view ReasonPhrase(int status) {
  switch (status) {
    case 100:
      return "Continue";
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 303:
      return "See Other";
    case 304:
      return "Not Modified";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 410:
      return "Gone";
    case 411:
      return "Length Required";
    case 413:
      return "Content Too Large";
    case 415:
      return "Unsupported Media Type";
    case 429:
      return "Too Many Requests";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 501:
      return "Not Implemented";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "Unknown";
  }
}

absl::StatusOr<Request> ParseRequestHead(std::string_view head) {
  const size_t end = head.find("\r\n\r\n");
  if (end != std::string_view::npos) head = head.substr(0, end + 2);
  const size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return absl::InvalidArgumentError("bad request line");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return absl::InvalidArgumentError("bad request line");
  const std::string_view version = line.substr(sp2 + 1);
  if (!internal::IsToken(line.substr(0, sp1))) return absl::InvalidArgumentError("bad method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }

  Request req;
  req.method = std::string(line.substr(0, sp1));
  req.target = std::string(line.substr(sp1 + 1, sp2 - sp1 - 1));
  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    const size_t next = rest.find("\r\n");
    const std::string_view field = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    if (field.empty()) break;
    // Obsolete line folding is a request-smuggling vector (RFC 9112 5.2): refuse it.
    if (field[0] == ' ' || field[0] == '\t') return absl::InvalidArgumentError("folded header");
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos) return absl::InvalidArgumentError("bad header line");
    req.headers.emplace_back(AsciiLower(field.substr(0, colon)),
                             std::string(Trim(field.substr(colon + 1))));
  }
  if (const absl::Status st = internal::CheckRequest(req); !st.ok()) return st;
  internal::SplitTarget(req);
  return req;
}

std::optional<std::string> FormValue(std::string_view form, std::string_view name) {
  while (!form.empty()) {
    const size_t amp = form.find('&');
    const std::string_view pair = form.substr(0, amp);
    form = amp == std::string_view::npos ? std::string_view() : form.substr(amp + 1);
    const size_t eq = pair.find('=');
    if (pair.substr(0, eq) != name) continue;
    const std::string_view raw =
        eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);
    std::string out;
    out.reserve(raw.size());
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] == '+') {
        out.push_back(' ');
      } else if (raw[i] == '%') {
        if (i + 2 >= raw.size()) return std::nullopt;
        const int hi = HexValue(raw[i + 1]);
        const int lo = HexValue(raw[i + 2]);
        if (hi < 0 || lo < 0) return std::nullopt;
        out.push_back(static_cast<char>(hi * 16 + lo));
        i += 2;
      } else {
        out.push_back(raw[i]);
      }
    }
    return out;
  }
  return std::nullopt;
}

}  // namespace advocacy::http
