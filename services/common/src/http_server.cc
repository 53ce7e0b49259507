#include "advocacy/common/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <exception>

#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"

namespace advocacy::http {
namespace {

using Clock = std::chrono::steady_clock;

bool IsTokenChar(char c) {
  if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9')) return true;
  return std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool IsToken(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!IsTokenChar(c)) return false;
  }
  return true;
}

// Visible ASCII only: anything else in a target is a client bug or an attack.
bool IsValidTarget(std::string_view s) {
  if (s.empty() || s[0] != '/') return false;
  for (char c : s) {
    if (static_cast<unsigned char>(c) <= 0x20 || static_cast<unsigned char>(c) >= 0x7f) {
      return false;
    }
  }
  return true;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool HasLineBreak(std::string_view s) { return s.find_first_of("\r\n") != std::string_view::npos; }

std::string Serialize(const Response& r, bool include_body) {
  std::string out = advocacy::StrCat("HTTP/1.1 ", r.status, " ", ReasonPhrase(r.status), "\r\n");
  bool cache_control = false;
  for (const auto& [name, value] : r.headers) {
    if (Lower(name) == "cache-control") cache_control = true;
    advocacy::StrAppend(&out, name, ": ", value, "\r\n");
  }
  if (!cache_control) out += "Cache-Control: no-store\r\n";
  advocacy::StrAppend(&out, "Content-Type: ", r.content_type, "\r\nContent-Length: ", r.body.size(),
                      "\r\nConnection: close\r\n\r\n");
  if (include_body) out += r.body;
  return out;
}

void WriteAll(int fd, std::string_view data) {
  while (!data.empty()) {
    const ssize_t n = ::send(fd, data.data(), data.size(), MSG_NOSIGNAL);
    if (n <= 0) {
      if (n < 0 && errno == EINTR) continue;
      return;  // the client went away; nothing to tell it
    }
    data.remove_prefix(static_cast<size_t>(n));
  }
}

// Closing a socket with unread input makes the kernel send RST, which can destroy the
// response before the client reads it. After an early error answer, half-close and drain
// what the client is still sending, for a short while.
void LingeringClose(int fd) {
  ::shutdown(fd, SHUT_WR);
  const auto until = Clock::now() + std::chrono::milliseconds(500);
  char buf[4096];
  size_t drained = 0;
  while (drained < size_t{1024} * 1024) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - Clock::now());
    if (left.count() <= 0) return;
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, static_cast<int>(left.count())) <= 0) return;
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n <= 0) return;
    drained += static_cast<size_t>(n);
  }
}

// Receives into `buf` until `done(buf)` or the deadline. False on timeout, EOF or error.
template <typename Done>
bool ReceiveUntil(int fd, Clock::time_point deadline, std::string& buf, Done done) {
  char chunk[4096];
  while (!done(buf)) {
    const auto left =
        std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    const int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    const ssize_t n = ::recv(fd, chunk, sizeof chunk, 0);
    if (n < 0 && (errno == EINTR || errno == EAGAIN)) continue;
    if (n <= 0) return false;
    buf.append(chunk, static_cast<size_t>(n));
  }
  return true;
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
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (!IsToken(method)) return absl::InvalidArgumentError("bad method");
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }
  if (!IsValidTarget(target)) return absl::InvalidArgumentError("bad target");

  Request req;
  req.method = std::string(method);
  req.target = std::string(target);
  const size_t q = target.find('?');
  req.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) req.query = std::string(target.substr(q + 1));

  std::string_view rest = eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2);
  while (!rest.empty()) {
    const size_t next = rest.find("\r\n");
    const std::string_view field = rest.substr(0, next);
    rest = next == std::string_view::npos ? std::string_view() : rest.substr(next + 2);
    if (field.empty()) break;
    // Obsolete line folding is a request-smuggling vector (RFC 9112 5.2): refuse it.
    if (field[0] == ' ' || field[0] == '\t') return absl::InvalidArgumentError("folded header");
    const size_t colon = field.find(':');
    if (colon == std::string_view::npos || !IsToken(field.substr(0, colon))) {
      return absl::InvalidArgumentError("bad header line");
    }
    const std::string_view value = Trim(field.substr(colon + 1));
    for (char c : value) {
      if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) {
        return absl::InvalidArgumentError("control character in a header value");
      }
    }
    req.headers.emplace_back(Lower(field.substr(0, colon)), std::string(value));
  }
  if (method != "GET" && method != "HEAD" && method != "POST") {
    return absl::UnimplementedError("method not allowed");
  }
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

Server::Server(ServerOptions options, Handler handler)
    : options_(std::move(options)), handler_(std::move(handler)) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(advocacy::StrCat("the ", options_.name, " listen address '",
                                                       options_.listen, "' is not host:port"));
  }
  std::string host = options_.listen.substr(0, colon);
  const std::string port = options_.listen.substr(colon + 1);
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  if (host.empty()) host = "0.0.0.0";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::InvalidArgumentError(advocacy::StrCat("cannot resolve the ", options_.name,
                                                       " listen address '", options_.listen,
                                                       "': ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(advocacy::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(advocacy::StrCat("cannot listen for ", options_.name, " on ",
                                                   options_.listen, ": ", err,
                                                   " (is another process using the port?)"));
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  port_ = bound.ss_family == AF_INET6 ? ntohs(reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port)
                                      : ntohs(reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  listen_fd_ = fd;
  accept_thread_ = std::thread([this] { AcceptLoop(); });
  return absl::OkStatus();
}

void Server::Stop() {
  if (stopping_.exchange(true)) return;
  // Wakes the accept loop's poll at once (Linux reports a shut-down listener as readable).
  if (listen_fd_ >= 0) ::shutdown(listen_fd_, SHUT_RDWR);
  if (accept_thread_.joinable()) accept_thread_.join();
  if (listen_fd_ >= 0) ::close(listen_fd_);
  listen_fd_ = -1;
  std::list<Worker> workers;
  {
    std::lock_guard lock(mu_);
    workers.swap(workers_);
  }
  for (auto& w : workers) w.thread.join();
}

void Server::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (active_.load() >= options_.max_connections) {
      WriteAll(fd, Serialize(TextResponse(503, "busy\n"), true));
      ::close(fd);
      continue;
    }
    ++active_;
    std::lock_guard lock(mu_);
    for (auto it = workers_.begin(); it != workers_.end();) {
      if (it->done->load()) {
        it->thread.join();
        it = workers_.erase(it);
      } else {
        ++it;
      }
    }
    auto done = std::make_shared<std::atomic<bool>>(false);
    workers_.push_back({std::thread([this, fd, done] {
                          Serve(fd);
                          ::close(fd);
                          --active_;
                          done->store(true);
                        }),
                        done});
  }
}

void Server::Serve(int fd) {
  const auto deadline = Clock::now() + options_.read_timeout;
  auto reject = [fd](int status, std::string body, Response r = {}) {
    r.status = status;
    r.body = std::move(body);
    WriteAll(fd, Serialize(r, true));
    LingeringClose(fd);
  };

  std::string buf;
  bool too_large = false;
  const bool complete = ReceiveUntil(fd, deadline, buf, [&too_large](const std::string& b) {
    if (b.find("\r\n\r\n") != std::string::npos) return true;
    too_large = b.size() > kMaxHeadBytes;
    return too_large;
  });
  const size_t head_end = buf.find("\r\n\r\n");
  if (too_large || (head_end != std::string::npos && head_end + 4 > kMaxHeadBytes)) {
    return reject(431, "too large\n");
  }
  if (!complete) return;  // timeout or closed before a full head: nothing to answer

  auto parsed = ParseRequestHead(std::string_view(buf).substr(0, head_end + 4));
  if (!parsed.ok()) {
    if (absl::IsUnimplemented(parsed.status())) {
      Response r;
      r.headers.emplace_back("Allow", "GET, HEAD, POST");
      return reject(405, "method not allowed\n", std::move(r));
    }
    return reject(400, "bad request\n");
  }
  Request& req = *parsed;

  if (req.Header("transfer-encoding")) return reject(411, "send the body with Content-Length\n");
  size_t content_length = 0;
  bool have_length = false;
  for (const auto& [name, value] : req.headers) {
    if (name != "content-length") continue;
    size_t v = 0;
    const auto [ptr, ec] = std::from_chars(value.data(), value.data() + value.size(), v);
    if (value.empty() || ec != std::errc() || ptr != value.data() + value.size() ||
        (have_length && v != content_length)) {
      return reject(400, "bad request\n");
    }
    content_length = v;
    have_length = true;
  }
  if (content_length > options_.max_body_bytes) return reject(413, "too large\n");
  if (content_length > 0) {
    std::string body = buf.substr(head_end + 4);
    if (body.size() < content_length && req.Header("expect") &&
        Lower(*req.Header("expect")) == "100-continue") {
      WriteAll(fd, "HTTP/1.1 100 Continue\r\n\r\n");
    }
    if (!ReceiveUntil(fd, deadline, body, [content_length](const std::string& b) {
          return b.size() >= content_length;
        })) {
      return;  // the body did not arrive in time: nothing to answer, as for a slow head
    }
    body.resize(content_length);  // one request per connection: anything after it is ignored
    req.body = std::move(body);
  }

  Response response;
  try {
    response = handler_(req);
  } catch (const std::exception& e) {
    log::Error("an HTTP handler failed",
               {{"endpoint", options_.name}, {"path", req.path}, {"error", e.what()}});
    response = TextResponse(500, "internal error\n");
  }
  bool bad_header = HasLineBreak(response.content_type);
  for (const auto& [name, value] : response.headers) {
    bad_header = bad_header || !IsToken(name) || HasLineBreak(value);
  }
  if (bad_header) {
    log::Error("an HTTP handler produced a header with a line break; answered 500 instead",
               {{"endpoint", options_.name}, {"path", req.path}});
    response = TextResponse(500, "internal error\n");
  }
  WriteAll(fd, Serialize(response, req.method != "HEAD"));
}

}  // namespace advocacy::http
