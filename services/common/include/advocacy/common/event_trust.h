#pragma once

// What a consumer checks before it believes an event, whoever could write to the topic.
//
// Kafka's own authentication and ACLs decide who may produce to a topic; these checks hold on
// their own, without them, so a pod that reaches the broker (or a principal with more rights than
// it should have) cannot make a service act on an event its one producer never sent:
//
//   1. ce_source must be one of the sources the table below allows for the topic (the topic's one
//      producer): SourcePolicy::CheckSource, run for every consumed message before its handler;
//   2. the Kafka key must be the one the payload implies (CheckKey, in each handler, since the
//      key format is part of each topic's contract: "tenant/employee", "tenant", ...);
//   3. topic-specific consistency: a consent event whose sequence is far above what the view has
//      applied (consent_view.h), a receipt whose ce_source is not the service its payload names or
//      whose sequence the consent ledger never issued (services/consent, PropagationManager).
//
// A failed check is a Rejection: InvalidArgument, so the consumer writes the event to its
// dead-letter topic with the message as dlq_reason and moves on, and it is counted in
// advocacy_kafka_rejected_events_total{service,topic,reason} (RejectionMetrics), which the
// AdvocacyUntrustedEvents alert watches. Nothing of a rejected event is applied.

#include <array>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "advocacy/common/kafka.h"

namespace prometheus {
class Counter;
template <typename T>
class Family;
class Registry;
}  // namespace prometheus

namespace advocacy::event_trust {

// Why an event was not believed. The label values are the `reason` label of the metric and the
// prefix of dlq_reason; the set is closed, so the label stays bounded.
enum class Reason {
  kUnexpectedSource,  // "unexpected_source": ce_source is not a producer of the topic
  kKeyMismatch,       // "key_mismatch": the Kafka key is not what the payload says
  kSequenceGap,       // "sequence_gap": a consent sequence far above what the view applied
  kSequenceAhead,     // "sequence_ahead": a receipt names a sequence the ledger never issued
  kServiceMismatch,   // "service_mismatch": a receipt's ce_source is not the service it names
};
inline constexpr std::array<Reason, 5> kAllReasons = {
    Reason::kUnexpectedSource, Reason::kKeyMismatch, Reason::kSequenceGap, Reason::kSequenceAhead,
    Reason::kServiceMismatch};

std::string_view ReasonLabel(Reason reason);

// InvalidArgument "<label>: <detail>" that carries `reason`, so RejectionMetrics can count it
// wherever it was decided. `detail` names what did not match; it is logged and written to the
// dead-letter topic, never shown to an end user.
absl::Status Reject(Reason reason, std::string_view detail);
// The reason of a status made by Reject (it survives being returned through RETURN_IF_ERROR and
// ASSIGN_OR_RETURN); nullopt for any other status.
std::optional<Reason> ReasonOf(const absl::Status& status);

// The ce_source of a service's events: "/advocacy/<service>".
std::string SourceOf(std::string_view service);

// Reject(kKeyMismatch) naming both keys unless message.key == expected.
absl::Status CheckKey(const kafka::Message& message, std::string_view expected);

// The one table of who produces which topic (topic -> allowed ce_source values).
//
// Defaults (the topics of docs/ARCHITECTURE.md):
//   advocacy.consent.v1           /advocacy/consent
//   advocacy.consent.receipts.v1  /advocacy/content, /advocacy/notifications
//   advocacy.content.v1           /advocacy/content
//   advocacy.engagement.v1        /advocacy/content
//   advocacy.courses.v1           /advocacy/courses
//   advocacy.notifications.v1.dlq /advocacy/notifications
// ADVOCACY_EVENT_SOURCES replaces entries or adds topics (a renamed topic, a new producer):
// "topic=source|source;topic=source". A topic the table does not name has no trusted producer:
// a service refuses to start a consumer for it.
class SourcePolicy final {
 public:
  static const SourcePolicy& Defaults();
  // Defaults() with the entries of `spec` replacing or adding topics. An empty spec gives the
  // defaults. InvalidArgument naming the entry for a topic or source that is empty or has
  // whitespace, an entry without '=', or a topic named twice.
  static absl::StatusOr<SourcePolicy> WithOverrides(std::string_view spec);

  // The allowed sources of `topic`, or nullptr when the table does not name it.
  [[nodiscard]] const std::vector<std::string>* Allowed(std::string_view topic) const;
  // OK when message.topic is in the table and the message's ce_source is one of its sources;
  // otherwise Reject(kUnexpectedSource) naming the topic, the source seen and those allowed.
  // A missing ce_source header is Reject(kUnexpectedSource) too.
  [[nodiscard]] absl::Status CheckSource(const kafka::Message& message) const;

 private:
  std::map<std::string, std::vector<std::string>, std::less<>> allowed_;
};

// advocacy_kafka_rejected_events_total{service,topic,reason}: events a consumer of `service`
// refused (each also went to the dead-letter topic). Thread-safe.
class RejectionMetrics final {
 public:
  // Registers the family in `registry`, which must outlive this object.
  RejectionMetrics(prometheus::Registry& registry, std::string service);

  // Creates the series of `topic` for every reason at 0, so the first rejection is already an
  // increase the alert sees (a series that appears with its first event shows no increase).
  void Declare(std::string_view topic);
  void Count(std::string_view topic, Reason reason);
  // Counts `status` when it is a rejection (ReasonOf) and returns it unchanged.
  absl::Status Observe(std::string_view topic, absl::Status status);

 private:
  prometheus::Family<prometheus::Counter>* family_;
  std::string service_;
};

// The checks every consumer runs around its handler: the message's ce_source against `policy`
// first (a message from anyone else never reaches the handler), then the handler; a rejection
// from either is counted in `metrics` (may be null). The consumer logs it with its reason when it
// dead-letters it. Both pointers must outlive the returned handler.
kafka::Handler Guard(const SourcePolicy* policy, RejectionMetrics* metrics, kafka::Handler handler);
kafka::DeferredHandler Guard(const SourcePolicy* policy, RejectionMetrics* metrics,
                             kafka::DeferredHandler handler);

}  // namespace advocacy::event_trust
