#include "unsubscribe_server.h"

#include <optional>
#include <utility>

#include "advocacy/common/digest.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/strings.h"
#include "templates.h"

namespace advocacy::notifications {
namespace {

std::string_view PurposeText(cv1::Purpose purpose) {
  switch (purpose) {
    case cv1::PURPOSE_EMAIL_TIPS:
      return "email tips about content worth sharing";
    case cv1::PURPOSE_COURSE_TIPS:
      return "course and broadcast tips";
    default:
      return "these emails";
  }
}

http::Response Page(int status, std::string_view title, std::string_view body_html) {
  http::Response r;
  r.status = status;
  r.content_type = "text/html; charset=utf-8";
  // The token is in the URL: never leak it in a Referer. The page needs no scripts, and a
  // one-click button must not be framed by another site.
  r.headers = {{"Referrer-Policy", "no-referrer"},
               {"X-Content-Type-Options", "nosniff"},
               {"X-Frame-Options", "DENY"},
               {"Content-Security-Policy",
                "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; "
                "frame-ancestors 'none'; base-uri 'none'"}};
  r.body = advocacy::StrCat(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
      "<meta name=\"robots\" content=\"noindex\"><title>",
      HtmlEscape(title),
      "</title><style>body{font-family:sans-serif;max-width:32rem;margin:3rem auto;"
      "padding:0 1rem;line-height:1.5}button{font-size:1rem;padding:.5rem 1rem}</style>"
      "</head><body><main><h1>",
      HtmlEscape(title), "</h1>", body_html, "</main></body></html>\n");
  return r;
}

http::Response InvalidLink(const absl::Status& why) {
  if (absl::IsFailedPrecondition(why)) {
    return Page(400, "This link has expired",
                "<p>This unsubscribe link is too old to use. You can change which emails you "
                "get in the app, or use the link in a newer email.</p>");
  }
  return Page(400, "This link does not work",
              "<p>This unsubscribe link is incomplete or damaged. Copy the whole link from the "
              "email, or change which emails you get in the app.</p>");
}

// The same click retried (a mail client repeating its POST) is one change; the same link used
// again later (say, after subscribing again) withdraws again instead of replaying an old answer.
// "unsubscribe-<hex of the first 16 bytes of SHA-256(token)>-<Unix minute>".
std::string IdempotencyKey(std::string_view token, absl::Time now) {
  const std::string hash = digest::Sha256Bytes(token);
  return advocacy::StrCat("unsubscribe-", digest::Hex(std::string_view(hash).substr(0, 16)), "-",
                          absl::ToUnixSeconds(now) / 60);
}

}  // namespace

UnsubscribeServer::UnsubscribeServer(UnsubscribeServerOptions options,
                                     const UnsubscribeTokenSigner* signer, ConsentGateway* consent,
                                     std::function<void(const UnsubscribeClaims&)> on_withdrawn)
    : signer_(signer),
      consent_(consent),
      on_withdrawn_(std::move(on_withdrawn)),
      server_(
          [&options] {
            options.max_body_bytes = 4096;
            options.name = "one-click unsubscribe";
            return std::move(options);
          }(),
          [this](const http::Request& request) { return Handle(request); }) {}

UnsubscribeServer::~UnsubscribeServer() { Stop(); }

absl::Status UnsubscribeServer::Start() { return server_.Start(); }

void UnsubscribeServer::Stop() { server_.Stop(); }

http::Response UnsubscribeServer::Handle(const http::Request& request) {
  if (request.path == "/healthz") {
    if (request.method == "POST") {
      http::Response r = http::TextResponse(405, "method not allowed\n");
      r.headers.emplace_back("Allow", "GET, HEAD");
      return r;
    }
    return http::TextResponse(200, "ok\n");
  }
  if (request.path != "/unsubscribe") return http::TextResponse(404, "not found\n");
  return Unsubscribe(request);
}

http::Response UnsubscribeServer::Unsubscribe(const http::Request& request) {
  const bool post = request.method == "POST";
  std::optional<std::string> token = http::FormValue(request.query, "token");
  if (!token && post) token = http::FormValue(request.body, "token");
  if (!token || token->empty()) {
    return InvalidLink(absl::InvalidArgumentError("no token"));
  }
  const absl::Time now = absl::Now();
  auto claims = signer_->Verify(*token, now);
  if (!claims.ok()) return InvalidLink(claims.status());
  const std::string what = HtmlEscape(PurposeText(claims->purpose));

  if (!post) {
    return Page(200, "Unsubscribe",
                advocacy::StrCat("<p>Stop getting ", what,
                                 R"(?</p><form method="post" action="unsubscribe?token=)",
                                 HtmlEscape(*token),
                                 R"("><input type="hidden" name="List-Unsubscribe" )"
                                 R"(value="One-Click"><button type="submit">Unsubscribe)"
                                 "</button></form>"));
  }

  const absl::Status st = consent_->Withdraw(claims->tenant_id, claims->employee_id,
                                             claims->purpose, IdempotencyKey(*token, now));
  if (!st.ok()) {
    if (absl::IsInvalidArgument(st)) {
      log::Warning("the consent service refused a one-click unsubscribe",
                   {{"tenant_id", claims->tenant_id},
                    {"purpose", cv1::Purpose_Name(claims->purpose)},
                    {"error", std::string(st.message())}});
      return InvalidLink(st);
    }
    log::Error(
        "one-click unsubscribe could not reach the consent service; the person was told "
        "to try again",
        {{"tenant_id", claims->tenant_id},
         {"purpose", cv1::Purpose_Name(claims->purpose)},
         {"error", std::string(st.message())}});
    http::Response r = Page(503, "Please try again",
                            "<p>We could not unsubscribe you just now. Nothing went wrong on "
                            "your side: please try the link again in a few minutes.</p>");
    r.headers.emplace_back("Retry-After", "60");
    return r;
  }
  if (on_withdrawn_) on_withdrawn_(*claims);
  log::Info("one-click unsubscribe",
            {{"tenant_id", claims->tenant_id}, {"purpose", cv1::Purpose_Name(claims->purpose)}});
  return Page(200, "You are unsubscribed",
              advocacy::StrCat("<p>You will no longer get ", what,
                               ". You can turn them on again in the app at any time.</p>"));
}

}  // namespace advocacy::notifications
