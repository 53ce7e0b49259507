#include "advocacy/common/consent_view.h"

#include <google/protobuf/util/time_util.h>

#include <chrono>
#include <future>
#include <memory>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/time/time.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "consent_view_lua.h"  // generated from lua/consent_view_*.lua
#include "prometheus/family.h"
#include "prometheus/histogram.h"
#include "prometheus/registry.h"

namespace advocacy::consent_view {
namespace {

using google::protobuf::util::TimeUtil;

namespace v1 = ::advocacy::consent::v1;

absl::Status ValidateCommon(const std::string& tenant, const std::string& employee,
                            int64_t sequence) {
  if (tenant.empty()) return absl::InvalidArgumentError("tenant_id: must not be empty");
  if (employee.empty()) return absl::InvalidArgumentError("employee_id: must not be empty");
  if (tenant.find_first_of("{}/") != std::string::npos ||
      employee.find_first_of("{}/") != std::string::npos) {
    return absl::InvalidArgumentError("tenant_id/employee_id: must not contain '{', '}' or '/'");
  }
  if (sequence <= 0) return absl::InvalidArgumentError("sequence: must be positive");
  return absl::OkStatus();
}

absl::StatusOr<std::vector<std::string>> Fields(
    const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes, bool allow_empty) {
  if (scopes.empty() && !allow_empty) {
    return absl::InvalidArgumentError("scopes: at least one scope is required");
  }
  std::vector<std::string> fields;
  for (int i = 0; i < scopes.size(); ++i) {
    const auto& s = scopes.Get(i);
    if (s.purpose() == v1::PURPOSE_UNSPECIFIED || !v1::Purpose_IsValid(s.purpose())) {
      return absl::InvalidArgumentError(
          advocacy::StrCat("scopes[", i, "].purpose: must be a known purpose"));
    }
    if (!v1::Network_IsValid(s.network())) {
      return absl::InvalidArgumentError(
          advocacy::StrCat("scopes[", i, "].network: must be a known network"));
    }
    fields.push_back(ConsentView::ScopeField(s));
  }
  return fields;
}

}  // namespace

ConsentView::ConsentView(redis::Pool* pool, std::string service, ViewOptions options)
    : pool_(pool),
      service_(std::move(service)),
      options_(options),
      apply_script_(std::string(lua::kConsentViewApplyLua)) {
  options_.max_sequence_gap = std::max<int64_t>(1, options_.max_sequence_gap);
}

std::string ConsentView::KeyFor(std::string_view service, std::string_view tenant_id,
                                std::string_view employee_id) {
  return advocacy::StrCat("adv:", service, ":cv:{", tenant_id, ":", employee_id, "}");
}

std::string ConsentView::ScopeField(const v1::ConsentScope& scope) {
  return ScopeField(scope.purpose(), scope.network());
}

std::string ConsentView::ScopeField(v1::Purpose purpose, v1::Network network) {
  return advocacy::StrCat(std::string(v1::Purpose_Name(purpose)), ".",
                          std::string(v1::Network_Name(network)));
}

std::string_view ConsentView::ScopeGrantedLua() { return lua::kConsentViewGrantedLua; }

absl::StatusOr<v1::ConsentScope> ConsentView::ParseScopeField(std::string_view field) {
  const size_t dot = field.find('.');
  v1::Purpose purpose = v1::PURPOSE_UNSPECIFIED;
  v1::Network network = v1::NETWORK_UNSPECIFIED;
  if (dot == std::string_view::npos ||
      !v1::Purpose_Parse(std::string(field.substr(0, dot)), &purpose) ||
      !v1::Network_Parse(std::string(field.substr(dot + 1)), &network)) {
    return absl::InvalidArgumentError(advocacy::StrCat("not a consent scope field: '", field, "'"));
  }
  v1::ConsentScope scope;
  scope.set_purpose(purpose);
  scope.set_network(network);
  return scope;
}

absl::StatusOr<ApplyResult> ConsentView::Apply(const v1::ConsentGiven& event) {
  RETURN_IF_ERROR(ValidateCommon(event.tenant_id(), event.employee_id(), event.sequence()));
  ASSIGN_OR_RETURN(const std::vector<std::string> fields,
                   Fields(event.scopes(), /*allow_empty=*/false));
  ASSIGN_OR_RETURN(ApplyResult result, ApplyScopes(event.tenant_id(), event.employee_id(),
                                                   event.sequence(), true, false, fields));
  result.kind = ApplyResult::Kind::kGiven;
  result.scopes.assign(event.scopes().begin(), event.scopes().end());
  result.event_time_ms = TimeUtil::TimestampToMilliseconds(event.occurred_at());
  return result;
}

absl::StatusOr<ApplyResult> ConsentView::Apply(const v1::ConsentWithdrawn& event) {
  RETURN_IF_ERROR(ValidateCommon(event.tenant_id(), event.employee_id(), event.sequence()));
  ASSIGN_OR_RETURN(const std::vector<std::string> fields,
                   Fields(event.scopes(), /*allow_empty=*/event.all_scopes()));
  ASSIGN_OR_RETURN(ApplyResult result,
                   ApplyScopes(event.tenant_id(), event.employee_id(), event.sequence(), false,
                               event.all_scopes(), fields));
  result.kind = ApplyResult::Kind::kWithdrawn;
  result.scopes.assign(event.scopes().begin(), event.scopes().end());
  result.all_scopes = event.all_scopes();
  result.event_time_ms = TimeUtil::TimestampToMilliseconds(event.occurred_at());
  return result;
}

absl::StatusOr<ApplyResult> ConsentView::ApplyScopes(const std::string& tenant_id,
                                                     const std::string& employee_id,
                                                     int64_t sequence, bool grant, bool all_scopes,
                                                     const std::vector<std::string>& fields) {
  std::vector<std::string> args = {std::to_string(sequence), grant ? "G" : "W",
                                   all_scopes ? "1" : "0",
                                   std::to_string(options_.max_sequence_gap)};
  args.insert(args.end(), fields.begin(), fields.end());
  constexpr std::string_view kWhat = "a consent event for the view";
  ASSIGN_OR_RETURN(const redis::Reply reply,
                   pool_->Eval(apply_script_, {KeyFor(tenant_id, employee_id)}, args, kWhat));
  if (!reply.is_array() || reply.elements.size() < 2) return redis::RefusedError(reply, kWhat);
  if (reply.elements[0].integer < 0) {
    return event_trust::Reject(
        event_trust::Reason::kSequenceGap,
        advocacy::StrCat(
            "sequence ", sequence, " of ", tenant_id, "/", employee_id, " is more than ",
            options_.max_sequence_gap, " above the highest sequence this view applied (",
            reply.elements[1].integer, "); not applied (ADVOCACY_CONSENT_MAX_SEQUENCE_GAP)"));
  }
  ApplyResult result;
  result.tenant_id = tenant_id;
  result.employee_id = employee_id;
  result.sequence = sequence;
  result.changed = static_cast<int>(reply.elements[0].integer);
  result.view_sequence = reply.elements[1].integer;
  for (size_t i = 2; i < reply.elements.size(); ++i) {
    result.withdrawn.push_back(reply.elements[i].str);
  }
  return result;
}

absl::StatusOr<ApplyResult> ConsentView::ApplyMessage(const kafka::Message& message) {
  ASSIGN_OR_RETURN(const kafka::CloudEvent ce, kafka::FromHeaders(message.headers));
  const std::string given = v1::ConsentGiven::descriptor()->full_name();
  const std::string withdrawn = v1::ConsentWithdrawn::descriptor()->full_name();
  if (ce.type == given) {
    v1::ConsentGiven event;
    if (!event.ParseFromString(message.payload)) {
      return absl::InvalidArgumentError("the ConsentGiven body cannot be decoded");
    }
    RETURN_IF_ERROR(event_trust::CheckKey(
        message, advocacy::StrCat(event.tenant_id(), "/", event.employee_id())));
    return Apply(event);
  }
  if (ce.type == withdrawn) {
    v1::ConsentWithdrawn event;
    if (!event.ParseFromString(message.payload)) {
      return absl::InvalidArgumentError("the ConsentWithdrawn body cannot be decoded");
    }
    RETURN_IF_ERROR(event_trust::CheckKey(
        message, advocacy::StrCat(event.tenant_id(), "/", event.employee_id())));
    return Apply(event);
  }
  if (ce.type.rfind("advocacy.consent.v1.", 0) == 0) return ApplyResult{};  // nothing to apply
  return absl::InvalidArgumentError(
      advocacy::StrCat("ce_type '", ce.type, "' is not an advocacy.consent.v1 event"));
}

absl::StatusOr<bool> ConsentView::IsGranted(std::string_view tenant_id,
                                            std::string_view employee_id,
                                            const v1::ConsentScope& scope) {
  ASSIGN_OR_RETURN(
      const redis::Reply reply,
      pool_->Run({"HGET", KeyFor(tenant_id, employee_id), ScopeField(scope)}, "a consent read"));
  return reply.is_string() && reply.str.rfind("G:", 0) == 0;
}

absl::StatusOr<Snapshot> ConsentView::Load(std::string_view tenant_id,
                                           std::string_view employee_id) {
  constexpr std::string_view kWhat = "a consent read";
  ASSIGN_OR_RETURN(const redis::Reply reply,
                   pool_->Run({"HGETALL", KeyFor(tenant_id, employee_id)}, kWhat));
  if (!reply.is_array()) return redis::RefusedError(reply, kWhat);
  Snapshot snap;
  for (size_t i = 0; i + 1 < reply.elements.size(); i += 2) {
    const std::string& f = reply.elements[i].str;
    const std::string& v = reply.elements[i + 1].str;
    if (f == "_seq") {
      if (!absl::SimpleAtoi(v, &snap.sequence)) snap.sequence = 0;
    } else if (!f.empty() && f[0] != '_' && v.rfind("G:", 0) == 0) {
      snap.granted.push_back(f);
    }
  }
  return snap;
}

absl::StatusOr<int64_t> ParseRfc3339Ms(std::string_view text) {
  absl::Time t;
  std::string err;
  if (!absl::ParseTime(absl::RFC3339_full, std::string(text), &t, &err)) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("'", text, "' is not an RFC 3339 time: ", err));
  }
  return absl::ToUnixMillis(t);
}

struct ConsentViewConsumer::Lag {
  prometheus::Histogram* histogram = nullptr;
};

ConsentViewConsumer::ConsentViewConsumer(ConsentView* view, ConsumerOptions options)
    : view_(view), options_(std::move(options)), lag_(std::make_unique<Lag>()) {}

ConsentViewConsumer::~ConsentViewConsumer() { Stop(); }

absl::StatusOr<std::unique_ptr<ConsentViewConsumer>> ConsentViewConsumer::Create(
    ConsentView* view, ConsumerOptions options) {
  if (options.group_id.empty()) {
    options.group_id = advocacy::StrCat(view->service(), "-consent-view");
  }
  std::unique_ptr<ConsentViewConsumer> self(new ConsentViewConsumer(view, std::move(options)));
  if (self->options_.rejections != nullptr) {
    self->options_.rejections->Declare(self->options_.topic);
  }
  if (self->options_.registry != nullptr) {
    auto& family = prometheus::BuildHistogram()
                       .Name("advocacy_consent_propagation_lag_seconds")
                       .Help(
                           "Time from a consent event's ce_time until this service's consent "
                           "view applied it")
                       .Register(*self->options_.registry);
    self->lag_->histogram =
        &family.Add({{"service", view->service()}},
                    prometheus::Histogram::BucketBoundaries{0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                            0.5, 1, 2.5, 5, 10, 30, 60});
  }
  if (self->options_.brokers.empty()) return self;  // tests drive Handle() directly
  ConsentViewConsumer* raw = self.get();
  ASSIGN_OR_RETURN(
      self->consumer_,
      kafka::Consumer::CreateDeferred(
          {.brokers = self->options_.brokers,
           .group_id = self->options_.group_id,
           .topics = {self->options_.topic},
           .dead_letter_topic = kafka::DeadLetterTopic(self->options_.topic, view->service()),
           .client_id = self->options_.group_id,
           .security = self->options_.security,
           .extra = self->options_.extra},
          [raw](const kafka::Message& m, kafka::Finished finished) {
            return raw->Handle(m, std::move(finished));
          },
          self->options_.stats));
  return self;
}

absl::Status ConsentViewConsumer::Start() {
  if (consumer_ == nullptr) {
    return absl::FailedPreconditionError("the consent view consumer has no Kafka brokers");
  }
  return consumer_->Start();
}

void ConsentViewConsumer::Stop() {
  if (consumer_ != nullptr) consumer_->Stop();
}

absl::Status ConsentViewConsumer::Handle(const kafka::Message& message) {
  auto done = std::make_shared<std::promise<void>>();
  std::future<void> acknowledged = done->get_future();
  RETURN_IF_ERROR(Handle(message, [done] { done->set_value(); }));
  if (acknowledged.wait_for(options_.receipts.timeout) != std::future_status::ready) {
    return absl::UnavailableError(
        "the propagation receipt was not acknowledged in time; the event is retried");
  }
  return absl::OkStatus();
}

absl::Status ConsentViewConsumer::Handle(const kafka::Message& message, kafka::Finished finished) {
  absl::Status status = Process(message, std::move(finished));
  if (options_.rejections != nullptr) {
    status = options_.rejections->Observe(options_.topic, std::move(status));
  }
  return status;
}

absl::Status ConsentViewConsumer::Process(const kafka::Message& message, kafka::Finished finished) {
  const event_trust::SourcePolicy& sources =
      options_.sources != nullptr ? *options_.sources : event_trust::SourcePolicy::Defaults();
  // The source first: nothing from another producer is even decoded.
  absl::StatusOr<ApplyResult> result = [&]() -> absl::StatusOr<ApplyResult> {
    RETURN_IF_ERROR(sources.CheckSource(message));
    return view_->ApplyMessage(message);
  }();
  if (!result.ok()) {
    if (absl::IsInvalidArgument(result.status())) {
      log::Warning("consent event rejected; it goes to the dead-letter topic",
                   {{"service", view_->service()},
                    {"offset", std::to_string(message.offset)},
                    {"error", std::string(result.status().message())}});
    }
    return result.status();
  }
  if (lag_->histogram != nullptr && result->changed > 0) {
    if (const std::string* t = message.FindHeader("ce_time"); t != nullptr) {
      if (auto ms = ParseRfc3339Ms(*t); ms.ok()) {
        const int64_t now = absl::ToUnixMillis(absl::Now());
        lag_->histogram->Observe(static_cast<double>(std::max<int64_t>(0, now - *ms)) / 1000.0);
      }
    }
  }
  if (!result->withdrawn.empty() && options_.on_withdrawn) {
    if (auto st = options_.on_withdrawn(*result); !st.ok()) {
      log::Warning("cancelling work after a consent withdrawal failed; retrying the event",
                   {{"service", view_->service()},
                    {"tenant", result->tenant_id},
                    {"employee", result->employee_id},
                    {"error", std::string(st.message())}});
      // A poison-looking cancellation must not dead-letter an applied withdrawal: retry.
      if (absl::IsInvalidArgument(st)) return absl::InternalError(st.message());
      return st;
    }
  }
  // Last: the receipt claims what steps above did, and the offset is stored only after it.
  if (options_.receipts.producer != nullptr && result->kind != ApplyResult::Kind::kNone) {
    return SendReceipt(*result, std::move(finished));
  }
  finished();
  return absl::OkStatus();
}

absl::Status ConsentViewConsumer::SendReceipt(const ApplyResult& result, kafka::Finished finished) {
  const int64_t now_ms = absl::ToUnixMillis(absl::Now());
  v1::ConsentApplied receipt;
  receipt.set_tenant_id(result.tenant_id);
  receipt.set_employee_id(result.employee_id);
  receipt.set_sequence(result.sequence);
  receipt.set_view_sequence(result.view_sequence);
  receipt.set_service(view_->service());
  if (result.event_time_ms > 0) {
    *receipt.mutable_event_time() = TimeUtil::MillisecondsToTimestamp(result.event_time_ms);
  }
  *receipt.mutable_applied_time() = TimeUtil::MillisecondsToTimestamp(now_ms);
  receipt.set_state(result.kind == ApplyResult::Kind::kGiven ? v1::CONSENT_STATE_GIVEN
                                                             : v1::CONSENT_STATE_WITHDRAWN);
  for (const auto& scope : result.scopes) *receipt.add_scopes() = scope;
  receipt.set_all_scopes(result.all_scopes);

  const ReceiptOptions& o = options_.receipts;
  kafka::Message message;
  message.topic = o.topic;
  message.key = advocacy::StrCat(result.tenant_id, "/", result.employee_id);
  message.payload = receipt.SerializeAsString();
  message.headers = kafka::ToHeaders(
      {.id = kafka::NewEventId(),
       .source = o.source.empty() ? advocacy::StrCat("/advocacy/", view_->service()) : o.source,
       .type = v1::ConsentApplied::descriptor()->full_name(),
       .time = kafka::NowRfc3339(),
       .subject = message.key});
  absl::Status st = o.producer->Produce(
      std::move(message),
      [finished = std::move(finished), service = view_->service(), tenant = result.tenant_id,
       employee = result.employee_id, sequence = result.sequence](const absl::Status& delivery) {
        if (delivery.ok()) {
          finished();
          return;
        }
        // Not finished: the event's offset is not committed past it, so it comes again (and
        // with it this receipt) after the restart that a fatal producer error or a shutdown
        // (Cancelled) means.
        log::Write(absl::IsCancelled(delivery) ? log::Severity::kInfo : log::Severity::kError,
                   "a propagation receipt was not delivered; its consent event is handled again "
                   "after the restart",
                   {{"service", service},
                    {"tenant", tenant},
                    {"employee", employee},
                    {"sequence", std::to_string(sequence)},
                    {"error", std::string(delivery.message())}});
      });
  if (st.ok()) return st;
  log::Warning(
      "the consent change was applied but Kafka refused its propagation receipt; the event is "
      "retried (applying it again is a no-op) until the receipt is taken",
      {{"service", view_->service()},
       {"tenant", result.tenant_id},
       {"employee", result.employee_id},
       {"sequence", std::to_string(result.sequence)},
       {"topic", o.topic},
       {"error", std::string(st.message())}});
  // Never InvalidArgument (which would dead-letter an event that was applied): retry instead.
  return absl::UnavailableError(advocacy::StrCat(
      "propagation receipt for sequence ", result.sequence, " not acknowledged: ", st.message()));
}

}  // namespace advocacy::consent_view
