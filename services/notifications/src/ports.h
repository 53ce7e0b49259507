#pragma once

// The notifications service's outbound ports: the SMTP relay and the consent service. The domain
// (dispatcher, unsubscribe handler) depends on these interfaces only, so unit tests use fakes and
// the binary wires in SmtpMailSender (smtp_sender.h) and GrpcConsentGateway (consent_client.h).

#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent.pb.h"

namespace advocacy::notifications {

// One message for the relay. The sender builds the MIME structure (multipart/alternative with a
// text and an HTML part, UTF-8, quoted-printable or base64) and the standard headers (Date, From,
// To, Subject encoded per RFC 2047 when not ASCII, MIME-Version, Message-ID).
struct OutgoingMail {
  std::string from_address;  // bare address for MAIL FROM and the From header
  std::string from_name;     // display name for the From header; may be empty
  std::string to_address;    // bare address for RCPT TO and the To header
  std::string to_name;       // display name for the To header; may be empty
  std::string subject;       // plain text, no CR/LF
  std::string text;          // the text/plain part
  std::string html;          // the text/html part
  // Stable for one logical mail across retries (derived from the job or digest id), so a relay
  // or a reader can tell a retry after an unknown outcome from a second mail. Without brackets.
  std::string message_id;
  // Extra headers in order, e.g. List-Unsubscribe and List-Unsubscribe-Post (RFC 8058).
  // Names and values must not contain CR or LF (the sender rejects them as INVALID_ARGUMENT).
  std::vector<std::pair<std::string, std::string>> headers;
};

// Called once, after the whole message has been handed to the transport and right before the
// end-of-data terminator that commits it at the relay. A non-OK result aborts the SMTP
// transaction (the connection is dropped without the terminator, so RFC 5321 relays discard the
// message) and Send returns that status unchanged. This is where the consent re-check goes: the
// last moment before a mail can no longer be called back.
using CommitGuard = std::function<absl::Status()>;

// Sends one message through the relay. Thread-safe (each call uses its own connection or a
// connection from an internal pool).
class MailSender {
 public:
  virtual ~MailSender() = default;
  // OK: the relay accepted the message (2xx after DATA).
  // UNAVAILABLE: transient, retry later (connection refused or reset, timeout, TLS handshake
  //   failure, any 4xx reply).
  // FAILED_PRECONDITION: permanent, do not retry (5xx reply, e.g. an unknown mailbox).
  // INVALID_ARGUMENT: the message itself is malformed (never retried).
  // The message names the SMTP reply code and text when there is one.
  // An empty `before_commit` commits unconditionally.
  virtual absl::Status Send(const OutgoingMail& mail, const CommitGuard& before_commit) = 0;
};

// The consent service as this service uses it. Thread-safe.
class ConsentGateway {
 public:
  virtual ~ConsentGateway() = default;
  // Whether each employee currently consents to `purpose` (a purpose without a network, e.g.
  // PURPOSE_EMAIL_TIPS or PURPOSE_COURSE_TIPS). result[i] answers employee_ids[i]. Splits
  // batches larger than the consent service's limit (10,000). Any error: the caller must treat
  // every employee as not consenting (fail closed) and retry later.
  virtual absl::StatusOr<std::vector<bool>> BatchCheck(
      std::string_view tenant_id, advocacy::consent::v1::Purpose purpose,
      const std::vector<std::string>& employee_ids) = 0;
  // Whether one employee currently consents to `purpose`, asked of the consent service itself
  // (not a local view), for the re-check right before a send commits.
  virtual absl::StatusOr<bool> Check(std::string_view tenant_id, std::string_view employee_id,
                                     advocacy::consent::v1::Purpose purpose) = 0;
  // Withdraws `purpose` for one employee, acting as the notifications service (one-click
  // unsubscribe). Idempotent under `idempotency_key`; withdrawing what is not given is OK.
  virtual absl::Status Withdraw(std::string_view tenant_id, std::string_view employee_id,
                                advocacy::consent::v1::Purpose purpose,
                                std::string_view idempotency_key) = 0;
};

}  // namespace advocacy::notifications
