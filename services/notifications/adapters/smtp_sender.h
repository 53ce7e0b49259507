#pragma once

// MailSender over SMTP (libcurl), and the MIME builder it uses.

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "ports.h"

namespace advocacy::notifications {

struct SmtpOptions {
  std::string url;  // "smtp://host:port" (plain, optionally upgraded) or "smtps://host:port"
  bool require_starttls = false;   // refuse to send if the relay does not offer STARTTLS
  std::string username, password;  // AUTH when username is non-empty
  std::string ca_file;             // PEM bundle for TLS verification; empty = system store
  bool verify_peer = true;         // certificate and host name; false only for local testing
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds timeout{30000};  // a whole Send, including the commit guard
  // Connections kept open between sends (one per idle libcurl handle); 0 = a new connection
  // for every mail.
  size_t max_idle_connections = 4;
};

// OK, or INVALID_ARGUMENT naming the first problem (URL scheme or host, a password without a
// username, non-positive timeouts). Call it at start: SmtpMailSender built from bad options
// answers every Send with UNAVAILABLE.
absl::Status ValidateSmtpOptions(const SmtpOptions& options);

struct NotificationsConfig;
// The NOTIFICATIONS_SMTP_* settings as SmtpOptions, checked with ValidateSmtpOptions.
absl::StatusOr<SmtpOptions> SmtpOptionsFrom(const NotificationsConfig& config);

// Sends each mail as one SMTP transaction: MAIL FROM, RCPT TO, DATA with BuildMimeMessage's
// bytes. Guarantees:
//  * `before_commit` runs after the last byte of the message was handed to libcurl and before
//    the end-of-data "." is sent. If it fails, the connection is dropped without the ".", so
//    the relay discards the message, and Send returns the guard's status unchanged.
//  * Errors follow MailSender: UNAVAILABLE for connection, TLS and timeout failures and for 4xx
//    replies; FAILED_PRECONDITION for a 5xx reply to MAIL FROM, RCPT TO or DATA (this mail will
//    never be accepted); INVALID_ARGUMENT when BuildMimeMessage refuses the mail. A 5xx reply
//    during the session set-up (greeting, EHLO, STARTTLS, AUTH, or 530 "authentication
//    required") says the relay or our settings are wrong, not the mail, so it is UNAVAILABLE:
//    an operator fix lets the retries succeed instead of dropping every mail. Messages name
//    the relay URL, the command and the relay's reply code and text; never the password.
//  * When the relay does not offer STARTTLS, smtp:// goes on in plain text unless
//    require_starttls is set (then UNAVAILABLE). A relay that offers STARTTLS with a
//    certificate that does not verify fails the send (UNAVAILABLE); there is no silent
//    downgrade.
//  * Thread-safe. Up to max_idle_connections connections stay open between sends and are
//    reused; a connection that saw any error is closed, never reused.
class SmtpMailSender final : public MailSender {
 public:
  explicit SmtpMailSender(SmtpOptions options);
  ~SmtpMailSender() override;
  SmtpMailSender(const SmtpMailSender&) = delete;
  SmtpMailSender& operator=(const SmtpMailSender&) = delete;

  absl::Status Send(const OutgoingMail& mail, const CommitGuard& before_commit) override;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

// True for an ASCII addr-spec "local@domain": a dot-atom local part of at most 64 bytes and a
// host name of letter-digit-hyphen labels, 254 bytes in all. Quoted local parts, domain
// literals and internationalised addresses are refused.
bool IsValidMailAddress(std::string_view address);

// The exact bytes sent after DATA (headers + multipart/alternative body), exposed for tests.
// Deterministic for a given mail and `now`: Date, From, To, Subject, Message-ID, MIME-Version,
// Content-Type (multipart/alternative, boundary derived from the message id), then
// mail.headers in order; a text/plain and a text/html part, both UTF-8 quoted-printable.
// CRLF line ends everywhere; lines are folded to 78 octets where the content allows (subject,
// names, bodies) and never exceed 998. Non-ASCII subjects and display names become RFC 2047
// encoded words.
// A message_id without '@' gets "@<domain of from_address>" appended (RFC 5322 wants one).
// INVALID_ARGUMENT for: an address that is not IsValidMailAddress; CR or LF in any header name
// or value (subject, names, extra headers); control characters or invalid UTF-8 in the
// subject, names or bodies; an extra header with a non-ASCII value, a name that is not a
// field name or that would replace a header set here, or a line over 998 octets; an empty or
// malformed message id.
absl::StatusOr<std::string> BuildMimeMessage(const OutgoingMail& mail, absl::Time now);

}  // namespace advocacy::notifications
