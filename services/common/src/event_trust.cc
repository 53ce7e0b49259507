#include "advocacy/common/event_trust.h"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>

#include <algorithm>
#include <set>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "advocacy/common/strings.h"

namespace advocacy::event_trust {
namespace {

// The payload that marks a status as a rejection; its value is the reason's label.
constexpr absl::string_view kPayloadUrl = "type.googleapis.com/advocacy.event_trust.Rejection";

bool HasSpace(std::string_view s) {
  return std::any_of(s.begin(), s.end(),
                     [](char c) { return absl::ascii_isspace(static_cast<unsigned char>(c)); });
}

std::string Quoted(std::string_view s) { return advocacy::StrCat("'", s, "'"); }

}  // namespace

std::string_view ReasonLabel(Reason reason) {
  switch (reason) {
    case Reason::kUnexpectedSource:
      return "unexpected_source";
    case Reason::kKeyMismatch:
      return "key_mismatch";
    case Reason::kSequenceGap:
      return "sequence_gap";
    case Reason::kSequenceAhead:
      return "sequence_ahead";
    case Reason::kServiceMismatch:
      return "service_mismatch";
  }
  return "unknown";
}

absl::Status Reject(Reason reason, std::string_view detail) {
  const std::string_view label = ReasonLabel(reason);
  absl::Status status = absl::InvalidArgumentError(advocacy::StrCat(label, ": ", detail));
  status.SetPayload(kPayloadUrl, absl::Cord(absl::string_view(label.data(), label.size())));
  return status;
}

std::optional<Reason> ReasonOf(const absl::Status& status) {
  if (!absl::IsInvalidArgument(status)) return std::nullopt;
  const auto payload = status.GetPayload(kPayloadUrl);
  if (!payload.has_value()) return std::nullopt;
  const std::string label(*payload);
  for (Reason r : kAllReasons) {
    if (ReasonLabel(r) == label) return r;
  }
  return std::nullopt;
}

std::string SourceOf(std::string_view service) { return advocacy::StrCat("/advocacy/", service); }

absl::Status CheckKey(const kafka::Message& message, std::string_view expected) {
  if (message.key == expected) return absl::OkStatus();
  return Reject(Reason::kKeyMismatch,
                advocacy::StrCat("the Kafka key ", Quoted(message.key), " is not ",
                                 Quoted(expected), ", the key the payload implies"));
}

const SourcePolicy& SourcePolicy::Defaults() {
  static const SourcePolicy* const kDefaults = [] {
    auto* p = new SourcePolicy();
    p->allowed_ = {
        {"advocacy.consent.v1", {SourceOf("consent")}},
        {"advocacy.consent.receipts.v1", {SourceOf("content"), SourceOf("notifications")}},
        {"advocacy.content.v1", {SourceOf("content")}},
        {"advocacy.engagement.v1", {SourceOf("content")}},
        {"advocacy.courses.v1", {SourceOf("courses")}},
        {"advocacy.notifications.v1.dlq", {SourceOf("notifications")}},
    };
    return p;
  }();
  return *kDefaults;
}

absl::StatusOr<SourcePolicy> SourcePolicy::WithOverrides(std::string_view spec) {
  SourcePolicy policy = Defaults();
  std::set<std::string> seen;
  for (absl::string_view raw : absl::StrSplit(absl::string_view(spec.data(), spec.size()), ';')) {
    const absl::string_view entry = absl::StripAsciiWhitespace(raw);
    if (entry.empty()) continue;
    const size_t eq = entry.find('=');
    const std::string where = advocacy::StrCat("entry ", Quoted(std::string(entry)));
    if (eq == absl::string_view::npos) {
      return absl::InvalidArgumentError(advocacy::StrCat(where, ": expected topic=source|source"));
    }
    const std::string topic(absl::StripAsciiWhitespace(entry.substr(0, eq)));
    if (topic.empty() || HasSpace(topic)) {
      return absl::InvalidArgumentError(
          advocacy::StrCat(where, ": the topic must be non-empty without spaces"));
    }
    if (!seen.insert(topic).second) {
      return absl::InvalidArgumentError(
          advocacy::StrCat(where, ": topic ", Quoted(topic), " is named twice"));
    }
    std::vector<std::string> sources;
    for (absl::string_view s : absl::StrSplit(entry.substr(eq + 1), '|')) {
      const std::string source(absl::StripAsciiWhitespace(s));
      if (source.empty() || HasSpace(source)) {
        return absl::InvalidArgumentError(
            advocacy::StrCat(where, ": every source must be non-empty without spaces"));
      }
      sources.push_back(source);
    }
    policy.allowed_[topic] = std::move(sources);
  }
  return policy;
}

const std::vector<std::string>* SourcePolicy::Allowed(std::string_view topic) const {
  auto it = allowed_.find(topic);
  return it == allowed_.end() ? nullptr : &it->second;
}

absl::Status SourcePolicy::CheckSource(const kafka::Message& message) const {
  const std::vector<std::string>* allowed = Allowed(message.topic);
  if (allowed == nullptr) {
    return Reject(Reason::kUnexpectedSource,
                  advocacy::StrCat("no producer of topic ", Quoted(message.topic),
                                   " is trusted (ADVOCACY_EVENT_SOURCES names none)"));
  }
  const std::string* source = message.FindHeader("ce_source");
  if (source == nullptr) {
    return Reject(Reason::kUnexpectedSource,
                  advocacy::StrCat("the event has no ce_source; topic ", Quoted(message.topic),
                                   " accepts events only from ", absl::StrJoin(*allowed, ", ")));
  }
  if (std::find(allowed->begin(), allowed->end(), *source) != allowed->end()) {
    return absl::OkStatus();
  }
  return Reject(
      Reason::kUnexpectedSource,
      advocacy::StrCat("ce_source ", Quoted(*source), " is not a producer of topic ",
                       Quoted(message.topic), " (allowed: ", absl::StrJoin(*allowed, ", "), ")"));
}

RejectionMetrics::RejectionMetrics(prometheus::Registry& registry, std::string service)
    : family_(&prometheus::BuildCounter()
                   .Name("advocacy_kafka_rejected_events_total")
                   .Help("Consumed events refused by a trust check (source, key, sequence) and "
                         "moved to the dead-letter topic; reason says which check.")
                   .Register(registry)),
      service_(std::move(service)) {}

void RejectionMetrics::Declare(std::string_view topic) {
  for (Reason r : kAllReasons) {
    family_->Add({{"service", service_},
                  {"topic", std::string(topic)},
                  {"reason", std::string(ReasonLabel(r))}});
  }
}

void RejectionMetrics::Count(std::string_view topic, Reason reason) {
  family_
      ->Add({{"service", service_},
             {"topic", std::string(topic)},
             {"reason", std::string(ReasonLabel(reason))}})
      .Increment();
}

absl::Status RejectionMetrics::Observe(std::string_view topic, absl::Status status) {
  if (const std::optional<Reason> reason = ReasonOf(status); reason.has_value()) {
    Count(topic, *reason);
  }
  return status;
}

kafka::Handler Guard(const SourcePolicy* policy, RejectionMetrics* metrics,
                     kafka::Handler handler) {
  return [policy, metrics, handler = std::move(handler)](const kafka::Message& m) {
    absl::Status status = policy->CheckSource(m);
    if (status.ok()) status = handler(m);
    return metrics == nullptr ? status : metrics->Observe(m.topic, std::move(status));
  };
}

kafka::DeferredHandler Guard(const SourcePolicy* policy, RejectionMetrics* metrics,
                             kafka::DeferredHandler handler) {
  return [policy, metrics, handler = std::move(handler)](const kafka::Message& m,
                                                         kafka::Finished finished) {
    absl::Status status = policy->CheckSource(m);
    if (status.ok()) status = handler(m, std::move(finished));
    return metrics == nullptr ? status : metrics->Observe(m.topic, std::move(status));
  };
}

}  // namespace advocacy::event_trust
