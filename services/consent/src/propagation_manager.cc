#include "propagation_manager.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <chrono>
#include <utility>

#include "advocacy/common/clock.h"
#include "advocacy/common/event_trust.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::consent {
namespace {

using google::protobuf::util::TimeUtil;

absl::Status ValidateReceipt(const v1::ConsentApplied& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", r.employee_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("service", r.service()));
  if (r.sequence() <= 0) return absl::InvalidArgumentError("sequence: must be positive");
  if (r.view_sequence() < 0)
    return absl::InvalidArgumentError("view_sequence: must not be negative");
  if (r.applied_time().seconds() <= 0) {
    return absl::InvalidArgumentError("applied_time: required");
  }
  return absl::OkStatus();
}

}  // namespace

PropagationManager::PropagationManager(ConsentStore* consent, PropagationStore* store,
                                       PropagationMetrics* metrics,
                                       std::vector<std::string> services, Clock clock)
    : consent_(consent),
      store_(store),
      metrics_(metrics),
      services_(std::move(services)),
      clock_(clock ? std::move(clock) : Clock(clock::UnixMillis)) {}

absl::StatusOr<v1::GetPropagationStatusResponse> PropagationManager::GetStatus(
    const auth::Principal& caller, const v1::GetPropagationStatusRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  if (req.sequence() < 0) {
    return absl::InvalidArgumentError(
        "sequence: the sequence number of a change (as GiveConsent and WithdrawConsent return "
        "it), or 0 for the latest change");
  }
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  int64_t sequence = req.sequence();
  if (sequence == 0) {
    ASSIGN_OR_RETURN(Snapshot snapshot, consent_->Load(req.tenant_id(), req.employee_id()));
    if (snapshot.sequence == 0) {
      return absl::NotFoundError(
          "this employee has never changed their consent: there is no change to follow");
    }
    sequence = snapshot.sequence;
  }
  return StatusOf(req.tenant_id(), req.employee_id(), sequence);
}

absl::StatusOr<v1::GetPropagationStatusResponse> PropagationManager::StatusOf(
    const std::string& tenant_id, const std::string& employee_id, int64_t sequence) {
  ASSIGN_OR_RETURN(LedgerPage page, consent_->ListLedger(tenant_id, employee_id, sequence, 1));
  if (page.entries.empty()) {
    return absl::NotFoundError(advocacy::StrCat(
        "sequence: this employee has no change with sequence ", sequence,
        "; use the sequence GiveConsent or WithdrawConsent returned, or 0 for the latest"));
  }
  v1::LedgerEntry entry;
  if (!entry.ParseFromString(page.entries.front())) {
    return absl::DataLossError("a ledger entry cannot be decoded; the ledger needs inspection");
  }
  ASSIGN_OR_RETURN(std::vector<ServiceReceipts> receipts,
                   store_->LoadReceipts(tenant_id, employee_id, services_, sequence));

  const int64_t acknowledged_ms = TimeUtil::TimestampToMilliseconds(entry.recorded_at());
  const int64_t now = clock_();
  v1::GetPropagationStatusResponse resp;
  resp.set_sequence(sequence);
  *resp.mutable_acknowledged_time() = entry.recorded_at();
  resp.set_state(entry.state());
  *resp.mutable_scopes() = entry.scopes();
  bool all = !services_.empty();
  for (size_t i = 0; i < services_.size(); ++i) {
    const ServiceReceipts& r = receipts[i];
    auto* out = resp.add_services();
    out->set_service(services_[i]);
    out->set_latest_applied_sequence(r.latest_sequence);
    if (r.covering.has_value()) {
      out->set_applied(true);
      out->set_applied_sequence(r.covering->sequence);
      *out->mutable_applied_time() = TimeUtil::MillisecondsToTimestamp(r.covering->applied_ms);
      // Clocks of two machines: never report a negative lag.
      *out->mutable_lag() = TimeUtil::MillisecondsToDuration(
          std::max<int64_t>(0, r.covering->applied_ms - acknowledged_ms));
    } else {
      all = false;
      *out->mutable_lag() =
          TimeUtil::MillisecondsToDuration(std::max<int64_t>(0, now - acknowledged_ms));
    }
  }
  resp.set_fully_applied(all);
  return resp;
}

absl::StatusOr<std::vector<std::string>> PropagationManager::Unapplied(
    const std::string& tenant_id, const std::string& employee_id, int64_t sequence) {
  ASSIGN_OR_RETURN(std::vector<ServiceReceipts> receipts,
                   store_->LoadReceipts(tenant_id, employee_id, services_, sequence));
  std::vector<std::string> out;
  for (size_t i = 0; i < services_.size(); ++i) {
    if (!receipts[i].covering.has_value()) out.push_back(services_[i]);
  }
  return out;
}

absl::Status PropagationManager::HandleReceipt(const kafka::Message& message) {
  ASSIGN_OR_RETURN(kafka::CloudEvent ce, kafka::FromHeaders(message.headers));
  const std::string& type = v1::ConsentApplied::descriptor()->full_name();
  if (ce.type != type) {
    return absl::InvalidArgumentError(advocacy::StrCat("ce_type '", ce.type, "' is not ", type,
                                                       ": only receipts belong on this topic"));
  }
  v1::ConsentApplied receipt;
  if (!receipt.ParseFromString(message.payload)) {
    return absl::InvalidArgumentError("the ConsentApplied body cannot be decoded");
  }
  RETURN_IF_ERROR(ValidateReceipt(receipt));
  RETURN_IF_ERROR(event_trust::CheckKey(
      message, advocacy::StrCat(receipt.tenant_id(), "/", receipt.employee_id())));
  // One service cannot vouch for another: a receipt speaks only for the service that sent it.
  if (const std::string own = event_trust::SourceOf(receipt.service()); ce.source != own) {
    return event_trust::Reject(
        event_trust::Reason::kServiceMismatch,
        advocacy::StrCat("a receipt for service '", receipt.service(), "' must come from ", own,
                         ", not from '", ce.source, "'"));
  }
  return ApplyReceipt(receipt);
}

absl::Status PropagationManager::ApplyReceipt(const v1::ConsentApplied& r) {
  RETURN_IF_ERROR(ValidateReceipt(r));
  RETURN_IF_ERROR(CheckAgainstLedger(r));
  const int64_t applied_ms = TimeUtil::TimestampToMilliseconds(r.applied_time());
  auto first =
      store_->RecordReceipt(r.tenant_id(), r.employee_id(), r.service(), r.sequence(), applied_ms);
  if (!first.ok()) {
    // A storage failure must never dead-letter a good receipt: make it retryable.
    if (absl::IsInvalidArgument(first.status())) {
      return absl::InternalError(first.status().message());
    }
    return first.status();
  }
  if (*first && metrics_ != nullptr && r.event_time().seconds() > 0) {
    metrics_->ObservePropagation(
        r.service(),
        static_cast<double>(applied_ms - TimeUtil::TimestampToMilliseconds(r.event_time())) /
            1000.0);
  }
  log::Debug("propagation receipt recorded", {{"tenant", r.tenant_id()},
                                              {"employee", r.employee_id()},
                                              {"service", r.service()},
                                              {"sequence", std::to_string(r.sequence())},
                                              {"first", *first ? "true" : "false"}});
  return absl::OkStatus();
}

absl::Status PropagationManager::CheckAgainstLedger(const v1::ConsentApplied& r) {
  auto ledger = consent_->Load(r.tenant_id(), r.employee_id());
  if (!ledger.ok()) {
    // A storage failure must never dead-letter a good receipt: make it retryable.
    if (absl::IsInvalidArgument(ledger.status())) {
      return absl::InternalError(ledger.status().message());
    }
    return ledger.status();
  }
  // The ledger is committed before its event is published, so a true receipt never names more.
  const int64_t issued = ledger->sequence;
  if (r.sequence() > issued) {
    return event_trust::Reject(
        event_trust::Reason::kSequenceAhead,
        advocacy::StrCat("the receipt of ", r.service(), " names sequence ", r.sequence(), " of ",
                         r.tenant_id(), "/", r.employee_id(), "; the ledger has issued ", issued));
  }
  if (r.view_sequence() > issued) {
    return event_trust::Reject(
        event_trust::Reason::kSequenceAhead,
        advocacy::StrCat("the view of ", r.service(), " holds sequence ", r.view_sequence(), " of ",
                         r.tenant_id(), "/", r.employee_id(), ", which the ledger (at ", issued,
                         ") never issued: it applied a forged event and proves nothing"));
  }
  return absl::OkStatus();
}

absl::StatusOr<std::map<std::string, int64_t>> PropagationManager::RefreshOldestUnapplied() {
  std::map<std::string, int64_t> ages;
  absl::Status first_error;
  for (const std::string& service : services_) {
    auto oldest = store_->OldestUnapplied(service);
    if (!oldest.ok()) {
      if (first_error.ok()) first_error = oldest.status();
      continue;
    }
    const int64_t age = oldest->has_value() ? std::max<int64_t>(0, clock_() - **oldest) : 0;
    ages[service] = age;
    if (metrics_ != nullptr) {
      metrics_->SetOldestUnapplied(service, static_cast<double>(age) / 1000.0);
    }
  }
  if (!first_error.ok()) return first_error;
  return ages;
}

}  // namespace advocacy::consent
