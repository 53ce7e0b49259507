#include "gateway_http.h"

#include <google/protobuf/descriptor.h>
#include <google/protobuf/message.h>

#include <ctime>
#include <nlohmann/json.hpp>

#include "advocacy/common/logging.h"
#include "advocacy/common/rpc.h"
#include "advocacy/common/strings.h"
#include "browser_auth.h"
#include "connect_protocol.h"
#include "security_headers.h"
#include "text.h"

namespace advocacy::gateway {
namespace {

using nlohmann::json;

// Codes whose upstream text is transport detail, not something the caller can act on.
bool Opaque(absl::StatusCode code) {
  switch (code) {
    case absl::StatusCode::kUnavailable:
    case absl::StatusCode::kDeadlineExceeded:
    case absl::StatusCode::kInternal:
    case absl::StatusCode::kUnknown:
    case absl::StatusCode::kDataLoss:
    case absl::StatusCode::kCancelled:
      return true;
    default:
      return false;
  }
}

std::string BearerOf(const http::Request& request) {
  std::string_view v = request.Header("authorization").value_or("");
  if (v.size() < 7 || !text::EqualsIgnoreCase(v.substr(0, 7), "bearer ")) return "";
  return std::string(text::Trim(v.substr(7)));
}

std::string OriginOf(const std::string& url) {
  const size_t scheme = url.find("://");
  if (scheme == std::string::npos) return url;
  const size_t path = url.find('/', scheme + 3);
  return path == std::string::npos ? url : url.substr(0, path);
}

std::string Rfc3339(int64_t unix_seconds) {
  const std::time_t t = unix_seconds;
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

http::Response Json(int status, const json& body) {
  http::Response r;
  r.status = status;
  r.content_type = "application/json";
  r.body = body.dump(-1, ' ', false, json::error_handler_t::replace);
  return r;
}

http::Response Redirect(int status, std::string location) {
  http::Response r;
  r.status = status;
  r.headers.emplace_back("Location", std::move(location));
  return r;
}

ConnectError Err(absl::StatusCode code, std::string message) {
  return {.code = code, .message = std::move(message), .http_status = 0, .headers = {}};
}

}  // namespace

GatewayHandler::GatewayHandler(HandlerParts parts, HandlerOptions options)
    : parts_(parts),
      options_(std::move(options)),
      https_(options_.public_url.rfind("https://", 0) == 0),
      origin_(OriginOf(options_.public_url)),
      // __Host-: only over https, for this host, Path=/ (a sibling host cannot set or read it).
      session_cookie_(https_ ? "__Host-advocacy-session" : "advocacy-session"),
      login_cookie_(https_ ? "__Host-advocacy-login" : "advocacy-login"),
      security_headers_(SecurityHeaders(https_)) {}

http::Response GatewayHandler::Handle(const http::Request& request) const {
  const auto start = std::chrono::steady_clock::now();
  const std::string request_id = rpc::RequestIdOr(request.Header("x-request-id"));
  std::string route = "other";
  std::string code;
  std::string_view kind = "static";
  http::Response response;
  if (request.path.rfind("/auth/", 0) == 0) {
    kind = "auth";
    route = "auth";
    response = HandleAuth(request, request_id, &code);
  } else if (request.method == "POST" || SplitMethodPath(request.path).has_value()) {
    kind = "rpc";
    response = HandleRpc(request, request_id, &route, &code);
  } else {
    response = parts_.site->Serve(request);
    route = "static";
    code = std::to_string(response.status);
  }
  response.headers.insert(response.headers.end(), security_headers_.begin(),
                          security_headers_.end());
  response.headers.emplace_back("x-request-id", request_id);
  parts_.metrics->Request(route, code, kind, std::chrono::steady_clock::now() - start);
  return response;
}

http::Response GatewayHandler::HandleRpc(const http::Request& request,
                                         const std::string& request_id, std::string* route_label,
                                         std::string* code_label) const {
  const auto fail = [&](const ConnectError& error) {
    *code_label = std::string(CodeName(error.code));
    return ErrorResponse(error);
  };
  const Route* route = parts_.allow->Find(request.path);
  if (route == nullptr) {
    return fail({.code = absl::StatusCode::kUnimplemented,
                 .message = "no such RPC is served here",
                 .http_status = 404,
                 .headers = {}});
  }
  *route_label = route->path;
  if (request.method != "POST") {
    return fail({.code = absl::StatusCode::kUnimplemented,
                 .message = "RPCs are called with POST",
                 .http_status = 405,
                 .headers = {{"Allow", "POST"}}});
  }
  UnaryCall call;
  if (auto error = ParseUnaryHeaders(request, &call)) return fail(*error);
  CallIdentity identity{.bearer_token = BearerOf(request), .request_id = request_id};
  const std::optional<std::string> sid = CookieValue(request, session_cookie_);
  if (identity.bearer_token.empty() && !sid && route->anonymous && parts_.anonymous != nullptr) {
    if (parts_.anonymous_rate != nullptr && !parts_.anonymous_rate->Allow("")) {
      return fail(Err(absl::StatusCode::kResourceExhausted,
                      "too many requests without signing in right now; wait a moment"));
    }
    absl::StatusOr<std::string> token = parts_.anonymous->TokenFor(route->upstream);
    if (!token.ok()) {
      log::Warning("no token for the gateway's own identity",
                   {{"error", std::string(token.status().message())}, {"request_id", request_id}});
      return fail(
          Err(absl::StatusCode::kUnavailable,
              StrCat("this check is temporarily unavailable; try again; request id ", request_id)));
    }
    identity.bearer_token = *std::move(token);
  }
  if (identity.bearer_token.empty()) {
    if (!sid || parts_.sessions == nullptr) {
      return fail(Err(absl::StatusCode::kUnauthenticated, "sign in first"));
    }
    absl::StatusOr<Session> session = CheckedSession(request, *sid, request_id);
    if (!session.ok()) {
      return fail(Err(session.status().code(), std::string(session.status().message())));
    }
    if (parts_.session_rate != nullptr &&
        !parts_.session_rate->Allow(SessionManager::KeyOf(*sid))) {
      return fail(Err(absl::StatusCode::kResourceExhausted,
                      "too many requests from this session; wait a moment"));
    }
    absl::StatusOr<std::string> token =
        parts_.sessions->AccessToken(*sid, &*session, route->upstream);
    if (!token.ok()) {
      if (token.status().code() == absl::StatusCode::kUnauthenticated) {
        return fail(
            Err(absl::StatusCode::kUnauthenticated, "your session has ended; sign in again"));
      }
      log::Warning("no access token for a session",
                   {{"upstream", route->upstream},
                    {"error", std::string(token.status().message())},
                    {"request_id", request_id}});
      return fail(
          Err(absl::StatusCode::kUnavailable,
              StrCat("sign-in is temporarily unavailable; try again; request id ", request_id)));
    }
    identity.bearer_token = *std::move(token);
  }
  std::unique_ptr<google::protobuf::Message> input;
  if (auto error = DecodeRequest(*route->method, call.codec, request.body, &input)) {
    return fail(*error);
  }
  std::unique_ptr<google::protobuf::Message> output = NewResponse(*route->method);
  std::chrono::milliseconds deadline = options_.upstream_deadline;
  if (call.timeout && *call.timeout < deadline) deadline = *call.timeout;
  const auto upstream_start = std::chrono::steady_clock::now();
  const grpc::Status status =
      parts_.upstreams->Call(*route, *input, output.get(), identity, deadline);
  parts_.metrics->Upstream(route->upstream, std::chrono::steady_clock::now() - upstream_start);
  if (!status.ok()) {
    const auto code = static_cast<absl::StatusCode>(status.error_code());
    if (Opaque(code)) {
      log::Warning("an upstream call failed", {{"route", route->path},
                                               {"code", std::string(CodeName(code))},
                                               {"error", status.error_message()},
                                               {"request_id", request_id}});
      return fail(
          Err(code, StrCat("the ", route->upstream,
                           " service could not answer; try again; request id ", request_id)));
    }
    return fail(Err(code, status.error_message()));
  }
  http::Response response;
  if (auto error = EncodeResponse(*output, call.codec, &response)) return fail(*error);
  *code_label = "ok";
  return response;
}

http::Response GatewayHandler::HandleAuth(const http::Request& request,
                                          const std::string& request_id,
                                          std::string* code_label) const {
  http::Response r;
  if (parts_.sessions == nullptr) {
    r = http::TextResponse(404, "Innlogging er ikke satt opp her. / Sign-in is not set up here.\n");
  } else if (request.path == "/auth/login" && request.method == "GET") {
    r = Login(request);
  } else if (request.path == "/auth/callback" && request.method == "GET") {
    r = Callback(request);
  } else if (request.path == "/auth/session" && request.method == "GET") {
    r = SessionInfo(request);
  } else if (request.path == "/auth/logout" && request.method == "POST") {
    r = Logout(request, request_id);
  } else {
    r = http::TextResponse(404, "Siden finnes ikke. / This page does not exist.\n");
  }
  *code_label = std::to_string(r.status);
  return r;
}

http::Response GatewayHandler::Login(const http::Request& request) const {
  if (parts_.login_rate != nullptr && !parts_.login_rate->Allow("")) {
    http::Response r =
        http::TextResponse(429,
                           "For mange innlogginger akkurat nå. Vent litt og prøv igjen.\n"
                           "Too many sign-ins right now. Wait a moment and try again.\n");
    r.headers.emplace_back("Retry-After", "5");
    return r;
  }
  const std::string return_to = http::FormValue(request.query, "return_to").value_or("/");
  absl::StatusOr<SessionManager::LoginStart> start = parts_.sessions->BeginLogin(return_to);
  if (!start.ok()) {
    log::Warning("a sign-in could not start", {{"error", std::string(start.status().message())}});
    return http::TextResponse(503,
                              "Innlogging er midlertidig utilgjengelig. Prøv igjen om litt.\n"
                              "Sign-in is temporarily unavailable. Try again in a moment.\n");
  }
  http::Response r = Redirect(302, start->redirect_url);
  r.headers.emplace_back("Set-Cookie", SetCookie(login_cookie_, start->state,
                                                 parts_.sessions->options().login_ttl, https_));
  return r;
}

http::Response GatewayHandler::Callback(const http::Request& request) const {
  const std::string state = http::FormValue(request.query, "state").value_or("");
  const std::string code = http::FormValue(request.query, "code").value_or("");
  const std::string cookie = CookieValue(request, login_cookie_).value_or("");
  absl::StatusOr<SessionManager::LoginDone> done =
      http::FormValue(request.query, "error").has_value()
          ? absl::UnauthenticatedError(
                StrCat("the identity provider answered ",
                       http::FormValue(request.query, "error").value_or("").substr(0, 64)))
          : parts_.sessions->CompleteLogin(state, cookie, code);
  http::Response r;
  if (!done.ok()) {
    log::Warning("a sign-in failed", {{"error", std::string(done.status().message())}});
    r = Redirect(303, "/?signin=failed");
  } else {
    r = Redirect(303, done->return_to);
    r.headers.emplace_back("Set-Cookie", SetCookie(session_cookie_, done->session_id,
                                                   parts_.sessions->options().max_age, https_));
  }
  r.headers.emplace_back("Set-Cookie",
                         SetCookie(login_cookie_, "", std::chrono::seconds(0), https_));
  return r;
}

http::Response GatewayHandler::SessionInfo(const http::Request& request) const {
  const std::optional<std::string> sid = CookieValue(request, session_cookie_);
  absl::StatusOr<Session> session =
      sid ? parts_.sessions->Resolve(*sid) : absl::UnauthenticatedError("not signed in");
  if (!session.ok()) {
    if (session.status().code() != absl::StatusCode::kUnauthenticated) {
      return Json(503, {{"code", "unavailable"},
                        {"message", "sign-in is temporarily unavailable; try again"}});
    }
    http::Response r = Json(401, {{"login_url", "/auth/login"}});
    if (sid) {
      r.headers.emplace_back("Set-Cookie",
                             SetCookie(session_cookie_, "", std::chrono::seconds(0), https_));
    }
    return r;
  }
  return Json(200, {{"subject", session->subject},
                    {"name", session->name},
                    {"email", session->email},
                    {"tenant", session->tenant},
                    {"roles", json::array({session->role})},
                    {"csrf_token", session->csrf_token},
                    {"expires_at", Rfc3339(session->expires_at)}});
}

absl::StatusOr<Session> GatewayHandler::CheckedSession(const http::Request& request,
                                                       const std::string& session_id,
                                                       const std::string& request_id) const {
  if (auto origin = request.Header("origin"); origin && *origin != origin_) {
    return absl::PermissionDeniedError("a request from another site is refused");
  }
  absl::StatusOr<Session> session = parts_.sessions->Resolve(session_id);
  if (!session.ok()) {
    if (session.status().code() == absl::StatusCode::kUnauthenticated) {
      return absl::UnauthenticatedError("your session has ended; sign in again");
    }
    return absl::UnavailableError(
        StrCat("sign-in is temporarily unavailable; try again; request id ", request_id));
  }
  if (!ConstantTimeEquals(request.Header("x-csrf-token").value_or(""), session->csrf_token)) {
    return absl::PermissionDeniedError(
        "the request lacks this session's CSRF token (X-CSRF-Token); reload the page");
  }
  return session;
}

http::Response GatewayHandler::Logout(const http::Request& request,
                                      const std::string& request_id) const {
  const std::optional<std::string> sid = CookieValue(request, session_cookie_);
  std::string redirect = "/";
  if (sid) {
    absl::StatusOr<Session> session = CheckedSession(request, *sid, request_id);
    if (session.status().code() == absl::StatusCode::kPermissionDenied) {
      return ErrorResponse(
          Err(absl::StatusCode::kPermissionDenied, std::string(session.status().message())));
    }
    // A session that has ended or cannot be read: there is nothing to end; the cookie goes.
    if (session.ok()) redirect = parts_.sessions->Logout(*sid, *session);
  }
  http::Response r = Json(200, {{"redirect", redirect}});
  r.headers.emplace_back("Set-Cookie",
                         SetCookie(session_cookie_, "", std::chrono::seconds(0), https_));
  return r;
}

}  // namespace advocacy::gateway
