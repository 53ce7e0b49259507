#include "smtp_sender.h"

#include <curl/curl.h>

#include <cstring>
#include <mutex>
#include <utility>
#include <vector>

#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "notifications_config.h"

namespace advocacy::notifications {
namespace {

struct CurlEasyDeleter {
  void operator()(CURL* c) const { curl_easy_cleanup(c); }
};
using CurlEasy = std::unique_ptr<CURL, CurlEasyDeleter>;

struct CurlSlistDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};
using CurlSlist = std::unique_ptr<curl_slist, CurlSlistDeleter>;

// Connections older than this are not reused: relays close idle sessions (Postfix after 300 s,
// many after 60 s), and a connection closed just as we reuse it would fail a send needlessly.
constexpr long kMaxConnectionAgeSeconds = 50;

void GlobalInit() {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
}

// What one transfer needs in libcurl's callbacks.
struct Transfer {
  std::string_view data;
  size_t offset = 0;
  const CommitGuard* guard = nullptr;
  bool guard_ran = false;
  absl::Status guard_status;
  std::string last_command;  // the verb of the last SMTP command sent (never its arguments)
  std::string last_reply;    // the last reply line from the relay, without CRLF
  std::string pending_reply;
  // libcurl says QUIT when it closes a connection after a failure; the exchange before it is
  // the one that explains the failure.
  bool quitting = false;
};

// libcurl asks for message bytes until this returns 0. The call that would return 0 is the
// last moment before libcurl writes the end-of-data "."; the commit guard runs there.
size_t ReadMessage(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const size_t room = size * nitems;
  if (t->offset < t->data.size()) {
    const size_t n = std::min(room, t->data.size() - t->offset);
    std::memcpy(buffer, t->data.data() + t->offset, n);
    t->offset += n;
    return n;
  }
  if (!t->guard_ran) {
    t->guard_ran = true;
    if (t->guard != nullptr && *t->guard) t->guard_status = (*t->guard)();
  }
  // Aborting drops the connection without the terminator, so the relay discards the message.
  return t->guard_status.ok() ? 0 : CURL_READFUNC_ABORT;
}

bool IsSmtpVerb(std::string_view w) {
  for (std::string_view v :
       {"EHLO", "HELO", "STARTTLS", "AUTH", "MAIL", "RCPT", "DATA", "RSET", "QUIT", "NOOP"}) {
    if (w == v) return true;
  }
  return false;
}

// Follows the SMTP dialogue (with CURLOPT_VERBOSE, which this routes here instead of stderr)
// to know which command a failure answered and the relay's own words.
int Observe(CURL*, curl_infotype type, char* data, size_t size, void* userdata) {
  auto* t = static_cast<Transfer*>(userdata);
  const std::string_view text(data, size);
  if (t->quitting) return 0;
  if (type == CURLINFO_HEADER_OUT) {
    // Only the verb: AUTH lines carry credentials.
    const std::string_view verb = text.substr(0, text.find_first_of(" \r\n"));
    if (verb == "QUIT") {
      t->quitting = true;
    } else if (IsSmtpVerb(verb)) {
      t->last_command = std::string(verb);
    }
  } else if (type == CURLINFO_HEADER_IN) {
    t->pending_reply.append(text);
    for (size_t eol = t->pending_reply.find('\n'); eol != std::string::npos;
         eol = t->pending_reply.find('\n')) {
      std::string line = t->pending_reply.substr(0, eol);
      t->pending_reply.erase(0, eol + 1);
      while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
      if (!line.empty()) t->last_reply = std::move(line);
    }
  }
  return 0;
}

std::string CommandName(std::string_view verb) {
  if (verb == "MAIL") return "MAIL FROM";
  if (verb == "RCPT") return "RCPT TO";
  if (verb.empty()) return "the greeting";
  return std::string(verb);
}

bool IsTransport(CURLcode rc) {
  switch (rc) {
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_CONNECT:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_USE_SSL_FAILED:
    case CURLE_LOGIN_DENIED:
      return true;
    default:
      return false;
  }
}

}  // namespace

absl::Status ValidateSmtpOptions(const SmtpOptions& o) {
  const bool smtp = o.url.rfind("smtp://", 0) == 0;
  const bool smtps = o.url.rfind("smtps://", 0) == 0;
  if (!smtp && !smtps) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("the SMTP relay URL '", o.url, "' must start with smtp:// or smtps://"));
  }
  const std::string_view rest = std::string_view(o.url).substr(smtp ? 7 : 8);
  if (rest.empty() || rest[0] == ':' || rest[0] == '/') {
    return absl::InvalidArgumentError(
        advocacy::StrCat("the SMTP relay URL '", o.url, "' names no host"));
  }
  if (rest.find('@') != std::string_view::npos) {
    return absl::InvalidArgumentError(
        "the SMTP relay URL must not hold credentials; set the username and password options");
  }
  if (o.username.empty() && !o.password.empty()) {
    return absl::InvalidArgumentError("an SMTP password is set without a username");
  }
  if (o.connect_timeout.count() <= 0 || o.timeout.count() <= 0) {
    return absl::InvalidArgumentError("SMTP timeouts must be positive");
  }
  return absl::OkStatus();
}

absl::StatusOr<SmtpOptions> SmtpOptionsFrom(const NotificationsConfig& config) {
  SmtpOptions options{.url = config.smtp_url,
                      .require_starttls = config.smtp_starttls,
                      .username = config.smtp_username,
                      .password = config.smtp_password,
                      .ca_file = config.smtp_ca_file,
                      .verify_peer = config.smtp_verify_peer,
                      .connect_timeout = config.smtp_connect_timeout,
                      .timeout = config.smtp_timeout};
  RETURN_IF_ERROR(ValidateSmtpOptions(options));
  return options;
}

class SmtpMailSender::Impl final {
 public:
  explicit Impl(SmtpOptions options)
      : options_(std::move(options)), config_(ValidateSmtpOptions(options_)) {
    GlobalInit();
  }

  absl::Status Send(std::string_view from, std::string_view to, std::string_view message,
                    const CommitGuard& before_commit) {
    if (!config_.ok()) {
      return absl::UnavailableError(
          advocacy::StrCat("the SMTP sender is misconfigured: ", config_.message()));
    }
    ASSIGN_OR_RETURN(CurlEasy handle, Acquire());
    CURL* c = handle.get();

    Transfer t;
    t.data = message;
    t.guard = &before_commit;
    char errbuf[CURL_ERROR_SIZE] = {0};
    const std::string mail_from = advocacy::StrCat("<", from, ">");
    CurlSlist rcpt(curl_slist_append(nullptr, advocacy::StrCat("<", to, ">").c_str()));
    if (!rcpt) return absl::ResourceExhaustedError("out of memory building the SMTP envelope");

    curl_easy_setopt(c, CURLOPT_MAIL_FROM, mail_from.c_str());
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt.get());
    curl_easy_setopt(c, CURLOPT_READFUNCTION, &ReadMessage);
    curl_easy_setopt(c, CURLOPT_READDATA, &t);
    curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, &Observe);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, &t);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    const CURLcode rc = curl_easy_perform(c);
    long reply_code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &reply_code);
    // Nothing of this call may stay reachable from a pooled handle.
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, nullptr);
    curl_easy_setopt(c, CURLOPT_READDATA, nullptr);
    curl_easy_setopt(c, CURLOPT_DEBUGDATA, nullptr);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, nullptr);

    if (rc == CURLE_OK) {
      Release(std::move(handle));
      return absl::OkStatus();
    }
    // The failed handle (and with it any connection libcurl still holds) is dropped here.
    if (rc == CURLE_ABORTED_BY_CALLBACK && t.guard_ran && !t.guard_status.ok()) {
      return t.guard_status;
    }
    return Classify(rc, reply_code, t, errbuf);
  }

 private:
  absl::StatusOr<CurlEasy> Acquire() {
    {
      std::lock_guard lock(mu_);
      if (!idle_.empty()) {
        CurlEasy h = std::move(idle_.back());
        idle_.pop_back();
        return h;
      }
    }
    CurlEasy h(curl_easy_init());
    if (!h) return absl::ResourceExhaustedError("libcurl could not create a handle");
    CURL* c = h.get();
    curl_easy_setopt(c, CURLOPT_URL, options_.url.c_str());
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a threaded process
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);  // feeds Observe(); nothing goes to stderr
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS,
                     static_cast<long>(options_.connect_timeout.count()));
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout.count()));
    curl_easy_setopt(c, CURLOPT_MAXAGE_CONN, kMaxConnectionAgeSeconds);
    curl_easy_setopt(c, CURLOPT_USE_SSL,
                     options_.require_starttls ? static_cast<long>(CURLUSESSL_ALL)
                                               : static_cast<long>(CURLUSESSL_TRY));
    if (!options_.ca_file.empty()) curl_easy_setopt(c, CURLOPT_CAINFO, options_.ca_file.c_str());
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, options_.verify_peer ? 1L : 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, options_.verify_peer ? 2L : 0L);
    if (!options_.username.empty()) {
      curl_easy_setopt(c, CURLOPT_USERNAME, options_.username.c_str());
      curl_easy_setopt(c, CURLOPT_PASSWORD, options_.password.c_str());
    }
    return h;
  }

  void Release(CurlEasy h) {
    std::lock_guard lock(mu_);
    if (idle_.size() < options_.max_idle_connections) idle_.push_back(std::move(h));
  }

  absl::Status Classify(CURLcode rc, long reply_code, const Transfer& t, const char* errbuf) const {
    const std::string detail = *errbuf != '\0'
                                   ? advocacy::StrCat(curl_easy_strerror(rc), ": ", errbuf)
                                   : std::string(curl_easy_strerror(rc));
    const std::string reply = t.last_reply.empty() ? std::to_string(reply_code) : t.last_reply;
    const bool in_transaction =
        t.last_command == "MAIL" || t.last_command == "RCPT" || t.last_command == "DATA";
    if (rc == CURLE_USE_SSL_FAILED) {
      return absl::UnavailableError(advocacy::StrCat(
          "the SMTP relay ", options_.url,
          " does not offer STARTTLS and the sender requires it; enable TLS on the relay or "
          "turn require_starttls off (",
          detail, ")"));
    }
    if (rc == CURLE_LOGIN_DENIED || reply_code == 530 || reply_code == 534 || reply_code == 535 ||
        reply_code == 538) {
      return absl::UnavailableError(advocacy::StrCat("the SMTP relay ", options_.url,
                                                     " refused the login or requires one (", reply,
                                                     "); check the SMTP username and password"));
    }
    if (reply_code >= 500 && reply_code < 600 && in_transaction) {
      return absl::FailedPreconditionError(
          advocacy::StrCat("the SMTP relay ", options_.url, " rejected the mail at ",
                           CommandName(t.last_command), ": ", reply));
    }
    if (reply_code >= 400 && reply_code < 600) {
      return absl::UnavailableError(
          advocacy::StrCat("the SMTP relay ", options_.url,
                           reply_code < 500 ? " deferred the mail at " : " refused the session at ",
                           CommandName(t.last_command), ": ", reply, "; retry later"));
    }
    if (t.guard_ran && t.guard_status.ok() && IsTransport(rc)) {
      // The terminator may have reached the relay: the mail may or may not be accepted. A
      // retry reuses the Message-ID, so readers and relays can tell it is the same mail.
      return absl::UnavailableError(advocacy::StrCat(
          "lost the SMTP relay ", options_.url,
          " after sending the whole mail; it may have been accepted (", detail, ")"));
    }
    if (IsTransport(rc)) {
      return absl::UnavailableError(
          advocacy::StrCat("cannot talk to the SMTP relay ", options_.url, ": ", detail));
    }
    return absl::UnavailableError(advocacy::StrCat(
        "sending through the SMTP relay ", options_.url, " failed: ", detail,
        t.last_reply.empty() ? "" : advocacy::StrCat(" (last reply: ", t.last_reply, ")")));
  }

  const SmtpOptions options_;
  const absl::Status config_;
  std::mutex mu_;
  std::vector<CurlEasy> idle_;  // guarded by mu_
};

SmtpMailSender::SmtpMailSender(SmtpOptions options)
    : impl_(std::make_unique<Impl>(std::move(options))) {}

SmtpMailSender::~SmtpMailSender() = default;

absl::Status SmtpMailSender::Send(const OutgoingMail& mail, const CommitGuard& before_commit) {
  ASSIGN_OR_RETURN(const std::string message, BuildMimeMessage(mail, absl::Now()));
  return impl_->Send(mail.from_address, mail.to_address, message, before_commit);
}

}  // namespace advocacy::notifications
