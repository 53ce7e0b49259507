#pragma once

// A service's local view of consent: the advocacy.consent.v1 events applied to Redis, so the
// hot path of a consuming service never calls the consent service synchronously.
//
// Layout (one hash per employee):
//   adv:<service>:cv:{tenant:employee}
//     "<purpose>.<network>" -> "<state>:<sequence>"   e.g. "PURPOSE_SHARE_CONTENT.NETWORK_X" ->
//     "G:7"
//     "_seq"                -> the highest sequence applied for the employee
//     "_wall"               -> the sequence of the last "withdraw everything" event
// The hash tag {tenant:employee} is the one the consuming service uses for that employee's own
// data, so the service's one-slot Lua scripts can read consent (see ScopeGrantedLua()).
//
// Guarantees:
// - Order-proof and idempotent: an event changes a scope only when its sequence is greater than
//   the one last applied to that scope (and, for a grant, greater than the last withdraw-all).
//   Replays and late, older events are no-ops.
// - A consent is granted only while the scope's stored state is "G"; an unknown scope is not
//   granted.
// - Undecodable or invalid events are InvalidArgument (the consumer dead-letters them).
// - Nothing is applied that the view did not check (event_trust.h), each check a rejection that
//   the consumer dead-letters and counts: ce_source must be the consent service's
//   (ConsentViewConsumer, from the runtime's source table); the Kafka key must be the payload's
//   "tenant_id/employee_id" (ApplyMessage); and the sequence must be at most
//   ViewOptions::max_sequence_gap above the highest sequence applied for the employee ("_seq",
//   0 for an employee the view has not seen), checked inside the apply script.
//
// Why that bound. Consent numbers each employee's changes 1, 2, 3, ... in its ledger, and every
// change is one event on one partition, so a view normally sees _seq + 1 next; small gaps come
// from an outbox entry republished after a newer one, or an event dead-lettered for another
// reason. Without a bound, one forged event with sequence 2^62 would make the view ignore every
// later real change of that employee (each is "older"), and its receipts would still claim them
// applied. A bound relative to _seq cannot be walked around by one event, and the default (1000)
// is far above any real gap. The price: a view that starts empty and reads a topic whose older
// events have expired (retention) sees an employee's history start at an arbitrary sequence;
// employees with more than max_sequence_gap changes before that point are dead-lettered with
// reason sequence_gap until ADVOCACY_CONSENT_MAX_SEQUENCE_GAP is raised above their sequence for
// the rebuild (docs/runbooks/AdvocacyUntrustedEvents.md). That fails safe: the view grants
// nothing it has not applied. What the bound does not stop — a forged event within the gap from
// a producer that passes the source and key checks — the receipts catch: each receipt carries
// the view's _seq (view_sequence), and the consent service refuses receipts naming a sequence
// its ledger never issued, so a poisoned view never counts as having applied a change.

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/event_trust.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/redis_client.h"
#include "advocacy/consent/v1/consent.pb.h"
#include "advocacy/consent/v1/consent_events.pb.h"

namespace prometheus {
class Registry;
}  // namespace prometheus

namespace advocacy::consent_view {

// What one Apply did.
struct ApplyResult {
  std::string tenant_id;
  std::string employee_id;
  int64_t sequence = 0;       // the event's sequence
  int64_t view_sequence = 0;  // the view's _seq after the event: the highest sequence it holds
  int changed = 0;            // scopes whose state or sequence moved
  // For a withdrawal: the scope fields whose latest applied event is this one (so they stand
  // withdrawn because of it). The same on a replay, so a cancellation that failed can be retried;
  // empty when a newer event already superseded every scope.
  std::vector<std::string> withdrawn;

  // What the event said, for propagation receipts. kNone for events about no employee
  // (NoticePublished, unknown advocacy.consent.v1 types): nothing was applied.
  enum class Kind { kNone, kGiven, kWithdrawn };
  Kind kind = Kind::kNone;
  std::vector<advocacy::consent::v1::ConsentScope> scopes;  // as the event named them
  bool all_scopes = false;
  int64_t event_time_ms = 0;  // the event's occurred_at (the change's commit time); 0 if unset
};

// The employee's view at one moment.
struct Snapshot {
  int64_t sequence = 0;              // "_seq": 0 when nothing was applied yet
  std::vector<std::string> granted;  // scope fields currently granted
};

inline constexpr int64_t kDefaultMaxSequenceGap = 1000;

struct ViewOptions {
  // An event whose sequence is more than this above the view's _seq for the employee is
  // Reject(kSequenceGap) and changes nothing (see "Why that bound" above). At least 1.
  int64_t max_sequence_gap = kDefaultMaxSequenceGap;
};

class ConsentView final {
 public:
  // `service` names the consuming service ("content"); it is part of the key. `pool` must
  // outlive the view.
  ConsentView(redis::Pool* pool, std::string service, ViewOptions options = {});

  // "adv:<service>:cv:{tenant:employee}".
  static std::string KeyFor(std::string_view service, std::string_view tenant_id,
                            std::string_view employee_id);
  // "<purpose>.<network>" with the enum names, e.g. "PURPOSE_LEADERBOARD.NETWORK_UNSPECIFIED".
  static std::string ScopeField(const advocacy::consent::v1::ConsentScope& scope);
  static std::string ScopeField(advocacy::consent::v1::Purpose purpose,
                                advocacy::consent::v1::Network network);
  // A Lua snippet defining `local function cv_granted(key, field)` -> true/false, for services
  // that check consent inside their own one-slot scripts.
  static std::string_view ScopeGrantedLua();
  // The inverse of ScopeField; InvalidArgument for anything else.
  static absl::StatusOr<advocacy::consent::v1::ConsentScope> ParseScopeField(
      std::string_view field);

  std::string KeyFor(std::string_view tenant_id, std::string_view employee_id) const {
    return KeyFor(service_, tenant_id, employee_id);
  }
  const std::string& service() const { return service_; }

  // InvalidArgument (naming the field) for events without tenant, employee, a positive sequence
  // or scopes with an unspecified purpose; event_trust::Reject(kSequenceGap) for a sequence more
  // than max_sequence_gap above the view's _seq (nothing changes). Unavailable when Redis cannot
  // be reached.
  absl::StatusOr<ApplyResult> Apply(const advocacy::consent::v1::ConsentGiven& event);
  absl::StatusOr<ApplyResult> Apply(const advocacy::consent::v1::ConsentWithdrawn& event);

  // Decodes a CloudEvents Kafka message of topic advocacy.consent.v1 and applies it.
  // NoticePublished and unknown-but-well-formed advocacy.consent.v1 types are OK no-ops (nothing
  // to apply, nothing checked beyond the headers). Bad CloudEvents headers, an unexpected ce_type
  // or an undecodable body are InvalidArgument; a ConsentGiven/ConsentWithdrawn whose Kafka key is
  // not "tenant_id/employee_id" of its body is event_trust::Reject(kKeyMismatch). The ce_source is
  // the consumer's to check (ConsentViewConsumer).
  absl::StatusOr<ApplyResult> ApplyMessage(const kafka::Message& message);

  absl::StatusOr<bool> IsGranted(std::string_view tenant_id, std::string_view employee_id,
                                 const advocacy::consent::v1::ConsentScope& scope);
  absl::StatusOr<Snapshot> Load(std::string_view tenant_id, std::string_view employee_id);

 private:
  absl::StatusOr<ApplyResult> ApplyScopes(const std::string& tenant_id,
                                          const std::string& employee_id, int64_t sequence,
                                          bool grant, bool all_scopes,
                                          const std::vector<std::string>& fields);

  redis::Pool* pool_;
  std::string service_;
  ViewOptions options_;
  redis::Script apply_script_;
};

// The topic of propagation receipts (ConsentApplied).
inline constexpr std::string_view kReceiptsTopic = "advocacy.consent.receipts.v1";

// Parses RFC 3339 ("2026-01-31T12:00:00.123Z") to Unix milliseconds; InvalidArgument otherwise.
absl::StatusOr<int64_t> ParseRfc3339Ms(std::string_view text);

// Propagation receipts (advocacy.consent.v1.ConsentApplied on advocacy.consent.receipts.v1):
// the proof that this service applied a consent change.
struct ReceiptOptions {
  // Not owned; must outlive the consumer. When null, no receipt is sent.
  kafka::Producer* producer = nullptr;
  std::string topic = std::string(kReceiptsTopic);
  // ce_source of the receipts; defaults to "/advocacy/<service>".
  std::string source;
  // How long the one-argument Handle() waits for the broker to acknowledge a receipt before it
  // gives up and the consent event is retried. The consumer itself does not wait (see below).
  std::chrono::milliseconds timeout{10000};
};

struct ConsumerOptions {
  std::string brokers;
  std::string topic = "advocacy.consent.v1";
  // Defaults to "<service>-consent-view".
  std::string group_id;
  // Called (on the consumer thread) after a withdrawal was applied with a non-empty `withdrawn`;
  // a service cancels pending work there. It must be idempotent: an error makes the consumer
  // retry the message, which calls it again with the same scopes.
  std::function<absl::Status(const ApplyResult&)> on_withdrawn;
  // When set, advocacy_consent_propagation_lag_seconds{service} (ce_time -> applied) is
  // exported there. Must outlive the consumer.
  prometheus::Registry* registry = nullptr;
  kafka::Stats* stats = nullptr;
  kafka::ClientSecurity security;            // TLS and authentication (kafka_security.h)
  std::map<std::string, std::string> extra;  // raw librdkafka overrides
  // Optional. Unset (no producer): no receipts, and Handle() behaves exactly as before.
  ReceiptOptions receipts;
  // Who may produce the consent topic (ce_source); null: event_trust::SourcePolicy::Defaults().
  // Must outlive the consumer.
  const event_trust::SourcePolicy* sources = nullptr;
  // Where rejections (wrong source, key or sequence) are counted; optional, must outlive the
  // consumer.
  event_trust::RejectionMetrics* rejections = nullptr;
};

// Feeds a ConsentView from Kafka. Dead letters go to kafka::DeadLetterTopic(topic, service).
// Every message's ce_source is checked against `sources` before anything else; a rejection
// (event_trust.h) is counted in `rejections` and dead-lettered like any poison event, and no
// receipt is sent for it.
//
// With receipts enabled, Handle() does, for each ConsentGiven / ConsentWithdrawn, in this order:
//   1. apply the event to the view (one Lua script; sequence-checked, so a replay is a no-op);
//   2. for a withdrawal, call on_withdrawn and require OK (the service stopped acting);
//   3. hand a ConsentApplied receipt to the idempotent producer (acks=all) and return: the next
//      event is applied while the broker acknowledges this receipt;
//   4. when the broker acknowledged the receipt, tell the Kafka consumer the event is finished;
//      it stores offsets for commit only up to the first event not finished yet (per partition).
// A crash anywhere before 4 leaves the offset uncommitted: the event comes again, 1 and 2 are
// idempotent, and 3 sends the receipt again (the consent service keeps the first). So a receipt
// is never lost, and a receipt never claims more than the service did: it names the event's
// sequence and the view's _seq after it (view_sequence), which the consent service checks against
// its ledger. Receipts of one employee
// keep their order (same key, same partition, idempotent producer). A receipt the producer
// refuses at once (local queue full) fails the handler with a retryable status: the event is
// retried with backoff. The services' producers retry deliveries without a deadline, so a
// receipt fails later only when the producer is fatally broken or shutting down; its event then
// stays unfinished and comes again after the restart.
class ConsentViewConsumer final {
 public:
  static absl::StatusOr<std::unique_ptr<ConsentViewConsumer>> Create(ConsentView* view,
                                                                     ConsumerOptions options);
  ~ConsentViewConsumer();
  ConsentViewConsumer(const ConsentViewConsumer&) = delete;
  ConsentViewConsumer& operator=(const ConsentViewConsumer&) = delete;

  absl::Status Start();
  void Stop();
  // Its Kafka consumer's dead-letter producer hit a fatal error (kafka::Consumer::Fatal).
  [[nodiscard]] bool Fatal() const { return consumer_ != nullptr && consumer_->Fatal(); }

  // The handler the Kafka consumer calls; `finished` runs once the receipt (if any) was
  // acknowledged. Public for tests without a broker.
  absl::Status Handle(const kafka::Message& message, kafka::Finished finished);
  // Handle() that waits for the receipt's acknowledgement (up to receipts.timeout; then
  // Unavailable), for tests and tools.
  absl::Status Handle(const kafka::Message& message);

 private:
  struct Lag;
  ConsentViewConsumer(ConsentView* view, ConsumerOptions options);
  // Handle() without the counting: the checks, the apply, the callback and the receipt.
  absl::Status Process(const kafka::Message& message, kafka::Finished finished);
  absl::Status SendReceipt(const ApplyResult& result, kafka::Finished finished);

  ConsentView* view_;
  ConsumerOptions options_;
  std::unique_ptr<Lag> lag_;
  std::unique_ptr<kafka::Consumer> consumer_;
};

}  // namespace advocacy::consent_view
