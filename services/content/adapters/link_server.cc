#include "link_server.h"

#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::content {
namespace {

http::Response MethodNotAllowed(std::string_view allow, std::string body) {
  http::Response r = http::TextResponse(405, std::move(body));
  r.headers.emplace_back("Allow", std::string(allow));
  return r;
}

}  // namespace

absl::StatusOr<std::string> ParseRequestTarget(std::string_view head, bool* is_head) {
  ASSIGN_OR_RETURN(http::Request request, http::ParseRequestHead(head));
  *is_head = request.method == "HEAD";
  if (request.method != "GET" && request.method != "HEAD") {
    return absl::UnimplementedError("method not allowed");
  }
  return std::move(request.path);
}

LinkServer::LinkServer(LinkServerOptions options, Resolver resolver)
    : resolver_(std::move(resolver)),
      server_(
          [&options] {
            options.max_body_bytes = 0;
            options.name = "tracked links";
            return std::move(options);
          }(),
          [this](const http::Request& request) { return Respond(request); }) {}

LinkServer::~LinkServer() { Stop(); }

absl::Status LinkServer::Start() { return server_.Start(); }

void LinkServer::Stop() { server_.Stop(); }

http::Response LinkServer::Respond(const http::Request& request) {
  if (request.method == "POST") {
    return MethodNotAllowed("GET, HEAD", "method not allowed\n");
  }
  if (request.path == "/healthz") return http::TextResponse(200, "ok\n");
  constexpr std::string_view kPrefix = "/l/";
  if (request.path.rfind(kPrefix, 0) != 0) return http::TextResponse(404, "not found\n");
  // HEAD would count a click without anyone following the link.
  if (request.method == "HEAD") return MethodNotAllowed("GET", "");
  auto location = resolver_(std::string_view(request.path).substr(kPrefix.size()));
  if (!location.ok()) {
    if (absl::IsNotFound(location.status())) return http::TextResponse(404, "not found\n");
    log::Error("a tracked link could not be resolved",
               {{"error", std::string(location.status().message())}});
    return http::TextResponse(503, "try again later\n");
  }
  // Only stored targets are returned; the shared server also refuses CR/LF in any header.
  if (location->find_first_of("\r\n") != std::string::npos) {
    return http::TextResponse(500, "bad target\n");
  }
  http::Response r = http::TextResponse(302, "");
  r.headers.emplace_back("Location", std::move(*location));
  return r;
}

}  // namespace advocacy::content
