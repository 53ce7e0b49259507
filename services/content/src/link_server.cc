#include "link_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"

namespace advocacy::content {
namespace {

constexpr size_t kMaxHead = 8192;

std::string Response(int code, std::string_view reason, std::string_view extra_headers,
                     std::string_view body) {
  return advocacy::StrCat(
      "HTTP/1.1 ", code, " ", reason, "\r\n", extra_headers,
      "Content-Type: text/plain; charset=utf-8\r\nContent-Length: ", body.size(),
      "\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n", body);
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

}  // namespace

absl::StatusOr<std::string> ParseRequestTarget(std::string_view head, bool* is_head) {
  const size_t eol = head.find("\r\n");
  const std::string_view line = head.substr(0, eol);
  const size_t sp1 = line.find(' ');
  if (sp1 == std::string_view::npos) return absl::InvalidArgumentError("bad request line");
  const size_t sp2 = line.find(' ', sp1 + 1);
  if (sp2 == std::string_view::npos) return absl::InvalidArgumentError("bad request line");
  const std::string_view method = line.substr(0, sp1);
  const std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  const std::string_view version = line.substr(sp2 + 1);
  if (version != "HTTP/1.1" && version != "HTTP/1.0") {
    return absl::InvalidArgumentError("unsupported HTTP version");
  }
  if (target.empty() || target[0] != '/') return absl::InvalidArgumentError("bad target");
  *is_head = method == "HEAD";
  if (method != "GET" && method != "HEAD") return absl::UnimplementedError("method not allowed");
  return std::string(target.substr(0, target.find('?')));
}

LinkServer::LinkServer(LinkServerOptions options, Resolver resolver)
    : options_(std::move(options)), resolver_(std::move(resolver)) {}

LinkServer::~LinkServer() { Stop(); }

absl::Status LinkServer::Start() {
  const size_t colon = options_.listen.rfind(':');
  if (colon == std::string::npos) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("the link listen address '", options_.listen, "' is not host:port"));
  }
  std::string host = options_.listen.substr(0, colon);
  const std::string port = options_.listen.substr(colon + 1);
  if (host.empty()) host = "0.0.0.0";
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* res = nullptr;
  if (int rc = ::getaddrinfo(host.c_str(), port.c_str(), &hints, &res); rc != 0) {
    return absl::InvalidArgumentError(advocacy::StrCat("cannot resolve the link listen address '",
                                                       options_.listen, "': ", gai_strerror(rc)));
  }
  std::unique_ptr<addrinfo, decltype(&::freeaddrinfo)> guard(res, &::freeaddrinfo);
  const int fd = ::socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return absl::UnavailableError(advocacy::StrCat("socket: ", std::strerror(errno)));
  const int one = 1;
  ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (::bind(fd, res->ai_addr, res->ai_addrlen) != 0 || ::listen(fd, 128) != 0) {
    const std::string err = std::strerror(errno);
    ::close(fd);
    return absl::UnavailableError(
        advocacy::StrCat("cannot listen for tracked links on ", options_.listen, ": ", err));
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

void LinkServer::Stop() {
  if (stopping_.exchange(true)) return;
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

void LinkServer::AcceptLoop() {
  while (!stopping_.load()) {
    pollfd pfd{listen_fd_, POLLIN, 0};
    if (::poll(&pfd, 1, 200) <= 0) continue;
    const int fd = ::accept4(listen_fd_, nullptr, nullptr, SOCK_CLOEXEC);
    if (fd < 0) continue;
    if (active_.load() >= options_.max_connections) {
      WriteAll(fd, Response(503, "Service Unavailable", "", "busy\n"));
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

void LinkServer::Serve(int fd) {
  timeval tv{};
  tv.tv_sec = options_.read_timeout.count() / 1000;
  tv.tv_usec = static_cast<suseconds_t>((options_.read_timeout.count() % 1000) * 1000);
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  std::string head;
  char buf[2048];
  while (head.find("\r\n\r\n") == std::string::npos) {
    if (head.size() > kMaxHead) {
      WriteAll(fd, Response(431, "Request Header Fields Too Large", "", "too large\n"));
      return;
    }
    const ssize_t n = ::recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return;  // timeout or closed before a full head: nothing to answer
    head.append(buf, static_cast<size_t>(n));
  }
  WriteAll(fd, Respond(head));
}

std::string LinkServer::Respond(std::string_view head) {
  bool is_head = false;
  auto target = ParseRequestTarget(head, &is_head);
  if (!target.ok()) {
    if (absl::IsUnimplemented(target.status())) {
      return Response(405, "Method Not Allowed", "Allow: GET, HEAD\r\n", "method not allowed\n");
    }
    return Response(400, "Bad Request", "", "bad request\n");
  }
  if (*target == "/healthz") return Response(200, "OK", "", "ok\n");
  constexpr std::string_view kPrefix = "/l/";
  if (target->rfind(kPrefix, 0) != 0) return Response(404, "Not Found", "", "not found\n");
  // HEAD would count a click without anyone following the link.
  if (is_head) return Response(405, "Method Not Allowed", "Allow: GET\r\n", "");
  auto location = resolver_(std::string_view(*target).substr(kPrefix.size()));
  if (!location.ok()) {
    if (absl::IsNotFound(location.status())) return Response(404, "Not Found", "", "not found\n");
    log::Error("a tracked link could not be resolved",
               {{"error", std::string(location.status().message())}});
    return Response(503, "Service Unavailable", "", "try again later\n");
  }
  // Only stored targets are returned; CR/LF would split the header, so refuse them outright.
  if (location->find_first_of("\r\n") != std::string::npos) {
    return Response(500, "Internal Server Error", "", "bad target\n");
  }
  return Response(302, "Found", advocacy::StrCat("Location: ", *location, "\r\n"), "");
}

}  // namespace advocacy::content
