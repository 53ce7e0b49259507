#include "consent_manager.h"

#include <google/protobuf/util/time_util.h>

#include <optional>
#include <set>
#include <utility>

#include "absl/strings/numbers.h"
#include "advocacy/common/clock.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "consent_validation.h"

namespace advocacy::consent {
namespace {

using auth::Principal;
using auth::Role;

google::protobuf::Timestamp ToTimestamp(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

v1::ActorRole ToActorRole(Role role) {
  switch (role) {
    case Role::kEmployee:
      return v1::ACTOR_ROLE_EMPLOYEE;
    case Role::kAdmin:
      return v1::ACTOR_ROLE_ADMIN;
    case Role::kService:
      return v1::ACTOR_ROLE_SERVICE;
  }
  return v1::ACTOR_ROLE_UNSPECIFIED;
}

// Which methods each role may record. Consent is the employee's own decision: an admin may
// only record it on their behalf, and a machine may withdraw (one-click unsubscribe) but
// never give.
absl::StatusOr<v1::ConsentMethod> ResolveMethod(const Principal& caller, v1::ConsentMethod asked,
                                                v1::ConsentState target) {
  if (!v1::ConsentMethod_IsValid(asked)) {
    return absl::InvalidArgumentError("method: unknown consent method");
  }
  switch (caller.role) {
    case Role::kEmployee:
      if (asked == v1::CONSENT_METHOD_UNSPECIFIED) return v1::CONSENT_METHOD_API;
      if (asked == v1::CONSENT_METHOD_APP_TOGGLE || asked == v1::CONSENT_METHOD_API) return asked;
      if (asked == v1::CONSENT_METHOD_EMAIL_ONE_CLICK && target == v1::CONSENT_STATE_WITHDRAWN) {
        return asked;
      }
      return absl::InvalidArgumentError(
          "method: employees use CONSENT_METHOD_APP_TOGGLE or CONSENT_METHOD_API");
    case Role::kAdmin:
      if (asked == v1::CONSENT_METHOD_UNSPECIFIED || asked == v1::CONSENT_METHOD_ADMIN_ON_BEHALF) {
        return v1::CONSENT_METHOD_ADMIN_ON_BEHALF;
      }
      return absl::InvalidArgumentError(
          "method: administrators record changes with CONSENT_METHOD_ADMIN_ON_BEHALF");
    case Role::kService:
      if (target == v1::CONSENT_STATE_GIVEN) {
        return absl::PermissionDeniedError(
            "services may withdraw consent but never give it: consent is the employee's own "
            "decision");
      }
      if (asked == v1::CONSENT_METHOD_UNSPECIFIED) return v1::CONSENT_METHOD_API;
      if (asked == v1::CONSENT_METHOD_API || asked == v1::CONSENT_METHOD_EMAIL_ONE_CLICK) {
        return asked;
      }
      return absl::InvalidArgumentError(
          "method: services use CONSENT_METHOD_API or CONSENT_METHOD_EMAIL_ONE_CLICK");
  }
  return absl::InternalError("unknown role");
}

std::string HashTag(const std::string& tenant_id, const std::string& employee_id) {
  return StrCat(tenant_id, ":", employee_id);
}

kafka::Message MakeEvent(const ManagerOptions& options, const std::string& key,
                         const std::string& type, const std::string& subject, std::string payload,
                         const std::string& event_id, int64_t now_ms) {
  kafka::CloudEvent ce;
  ce.id = event_id;
  ce.source = options.event_source;
  ce.type = type;
  ce.time = google::protobuf::util::TimeUtil::ToString(ToTimestamp(now_ms));
  ce.subject = subject;
  kafka::Message m;
  m.topic = options.topic;
  m.key = key;
  m.payload = std::move(payload);
  m.headers = kafka::ToHeaders(ce);
  return m;
}

}  // namespace

std::string ScopeField(const v1::ConsentScope& scope) {
  return StrCat(static_cast<int>(scope.purpose()), ".", static_cast<int>(scope.network()));
}

ConsentManager::ConsentManager(ConsentStore* store, outbox::Notifier* notifier,
                               ManagerOptions options, Clock clock)
    : store_(store),
      notifier_(notifier),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(clock::UnixMillis)) {}

absl::StatusOr<int64_t> ConsentManager::MaterialOrdinal(const std::string& tenant_id) {
  const int64_t now = clock_();
  {
    std::lock_guard lock(cache_mu_);
    auto it = ordinal_cache_.find(tenant_id);
    if (it != ordinal_cache_.end() &&
        now - it->second.fetched_at_ms < options_.notice_cache_ttl.count()) {
      return it->second.material;
    }
  }
  ASSIGN_OR_RETURN(const auto ordinals, store_->GetNoticeOrdinals(tenant_id));
  std::lock_guard lock(cache_mu_);
  if (ordinal_cache_.size() > 100000) ordinal_cache_.clear();  // bound memory; refills cheaply
  ordinal_cache_[tenant_id] = {ordinals.first, now};
  return ordinals.first;
}

void ConsentManager::Fill(const storage::v1::StoredScope& stored, int64_t material_ordinal,
                          v1::ScopeConsent* out) const {
  *out->mutable_scope() = stored.scope();
  out->set_state(stored.state());
  out->set_notice_version(stored.notice_version());
  out->set_needs_renewal(stored.state() == v1::CONSENT_STATE_GIVEN &&
                         stored.notice_ordinal() < material_ordinal);
  out->set_sequence(stored.sequence());
  *out->mutable_changed_at() = ToTimestamp(stored.changed_at_ms());
}

absl::StatusOr<ConsentManager::ChangeResult> ConsentManager::Apply(const Principal& caller,
                                                                   const Change& change) {
  std::set<std::string> requested;
  for (const auto& s : change.scopes) requested.insert(ScopeField(s));
  const std::string fingerprint = Fingerprint(caller, change, requested);
  return idempotent::Write<ChangeResult>(
      {.max_attempts = options_.max_commit_attempts, .what = "this employee's consent"},
      change.idempotency_key, fingerprint,
      [&] {
        return store_->GetIdempotency(change.tenant_id, change.employee_id, change.idempotency_key);
      },
      [&](const storage::v1::IdempotencyRecord& record) {
        return Replay(change, record, requested);
      },
      [&] { return TryApply(caller, change, fingerprint, requested); });
}

std::string ConsentManager::Fingerprint(const Principal& caller, const Change& change,
                                        const std::set<std::string>& requested) {
  std::string canonical = StrCat(static_cast<int>(change.target), "|",
                                 change.all_scopes ? "all" : "some", "|", change.notice.version(),
                                 "|", static_cast<int>(change.method), "|", caller.subject, "|");
  for (const auto& f : requested) StrAppend(&canonical, f, ",");
  return digest::Sha256Bytes(canonical);
}

absl::StatusOr<ConsentManager::ChangeResult> ConsentManager::Replay(
    const Change& change, const storage::v1::IdempotencyRecord& record,
    const std::set<std::string>& requested) {
  ASSIGN_OR_RETURN(Snapshot snapshot, store_->Load(change.tenant_id, change.employee_id));
  return ChangeResult{.sequence = record.sequence(),
                      .unchanged = true,
                      .after = std::move(snapshot),
                      .fields = {requested.begin(), requested.end()}};
}

idempotent::Attempt<ConsentManager::ChangeResult> ConsentManager::TryApply(
    const Principal& caller, const Change& change, const std::string& fingerprint,
    const std::set<std::string>& requested) {
  ASSIGN_OR_RETURN(Snapshot snapshot, store_->Load(change.tenant_id, change.employee_id));
  std::vector<std::string> targets = TargetFields(change, snapshot, requested);
  const int64_t now = clock_();
  std::vector<storage::v1::StoredScope> changed = ChangedScopes(change, snapshot, targets, now);
  if (changed.empty() && change.idempotency_key.empty()) {
    // Nothing to change and nothing to remember.
    const int64_t sequence = snapshot.sequence;
    return ChangeResult{.sequence = sequence,
                        .unchanged = true,
                        .after = std::move(snapshot),
                        .fields = std::move(targets)};
  }
  const EmployeeCommit commit = BuildCommit(caller, change, fingerprint, snapshot, changed, now);
  ASSIGN_OR_RETURN(CommitResult committed, store_->Commit(commit));
  // Someone else got there first (the sequence moved, or the key was taken): decide again.
  if (committed != CommitResult::kCommitted) return idempotent::kConflict;
  if (!commit.outbox_entry.empty() && notifier_ != nullptr) {
    notifier_->Notify(
        outbox::OutboxKey(kServiceName, HashTag(change.tenant_id, change.employee_id)),
        commit.outbox_entry);
  }
  ChangeResult result{.sequence = commit.new_sequence,
                      .unchanged = changed.empty(),
                      .after = std::move(snapshot),
                      .fields = std::move(targets)};
  result.after.sequence = commit.new_sequence;
  for (auto& s : changed) result.after.scopes[ScopeField(s.scope())] = std::move(s);
  return result;
}

std::vector<std::string> ConsentManager::TargetFields(const Change& change, const Snapshot& before,
                                                      const std::set<std::string>& requested) {
  if (!change.all_scopes) return {requested.begin(), requested.end()};
  std::vector<std::string> targets;
  for (const auto& [field, stored] : before.scopes) targets.push_back(field);
  return targets;
}

std::vector<storage::v1::StoredScope> ConsentManager::ChangedScopes(
    const Change& change, const Snapshot& before, const std::vector<std::string>& targets,
    int64_t now_ms) {
  const int64_t next = before.sequence + 1;
  std::vector<storage::v1::StoredScope> changed;
  for (const auto& field : targets) {
    auto it = before.scopes.find(field);
    const bool known = it != before.scopes.end();
    const bool given = known && it->second.state() == v1::CONSENT_STATE_GIVEN;
    if (change.target == v1::CONSENT_STATE_WITHDRAWN) {
      if (!given) continue;
    } else if (given && it->second.notice_version() == change.notice.version()) {
      continue;
    }
    storage::v1::StoredScope s;
    if (known) {
      *s.mutable_scope() = it->second.scope();
    } else {
      for (const auto& r : change.scopes) {
        if (ScopeField(r) == field) *s.mutable_scope() = r;
      }
    }
    s.set_state(change.target);
    if (change.target == v1::CONSENT_STATE_GIVEN) {
      s.set_notice_version(change.notice.version());
      s.set_notice_ordinal(change.notice.ordinal());
    } else if (known) {
      // Keep under which notice the withdrawn consent had been given.
      s.set_notice_version(it->second.notice_version());
      s.set_notice_ordinal(it->second.notice_ordinal());
    }
    s.set_sequence(next);
    s.set_changed_at_ms(now_ms);
    s.set_method(change.method);
    changed.push_back(std::move(s));
  }
  return changed;
}

EmployeeCommit ConsentManager::BuildCommit(const Principal& caller, const Change& change,
                                           const std::string& fingerprint, const Snapshot& before,
                                           std::vector<storage::v1::StoredScope> changed,
                                           int64_t now_ms) const {
  EmployeeCommit commit;
  commit.tenant_id = change.tenant_id;
  commit.employee_id = change.employee_id;
  commit.expected_sequence = before.sequence;
  commit.new_sequence = changed.empty() ? before.sequence : before.sequence + 1;
  commit.idempotency_key = change.idempotency_key;
  commit.idempotency_ttl_ms = options_.idempotency_ttl.count();
  storage::v1::IdempotencyRecord idem;
  idem.set_fingerprint(fingerprint);
  idem.set_sequence(commit.new_sequence);
  idem.set_unchanged(changed.empty());
  commit.idempotency_record = idem.SerializeAsString();
  if (changed.empty()) return commit;  // only the idempotency record is written

  const v1::LedgerEntry entry =
      LedgerEntryFor(caller, change, changed, commit.new_sequence, now_ms);
  commit.ledger_entry = entry.SerializeAsString();
  commit.outbox_entry = EventFor(change, entry, now_ms);
  commit.scopes = std::move(changed);
  commit.acknowledged_ms = now_ms;
  return commit;
}

v1::LedgerEntry ConsentManager::LedgerEntryFor(const Principal& caller, const Change& change,
                                               const std::vector<storage::v1::StoredScope>& changed,
                                               int64_t sequence, int64_t now_ms) {
  v1::LedgerEntry entry;
  entry.set_sequence(sequence);
  for (const auto& s : changed) *entry.add_scopes() = s.scope();
  entry.set_state(change.target);
  if (change.target == v1::CONSENT_STATE_GIVEN) entry.set_notice_version(change.notice.version());
  entry.set_method(change.method);
  entry.mutable_actor()->set_subject(caller.subject);
  entry.mutable_actor()->set_role(ToActorRole(caller.role));
  *entry.mutable_recorded_at() = ToTimestamp(now_ms);
  entry.set_idempotency_key(change.idempotency_key);
  entry.set_event_id(kafka::NewEventId());
  return entry;
}

std::string ConsentManager::EventFor(const Change& change, const v1::LedgerEntry& entry,
                                     int64_t now_ms) const {
  std::string payload;
  std::string type;
  if (change.target == v1::CONSENT_STATE_GIVEN) {
    v1::ConsentGiven ev;
    ev.set_tenant_id(change.tenant_id);
    ev.set_employee_id(change.employee_id);
    *ev.mutable_scopes() = entry.scopes();
    ev.set_notice_version(change.notice.version());
    ev.set_sequence(entry.sequence());
    ev.set_method(change.method);
    *ev.mutable_actor() = entry.actor();
    *ev.mutable_occurred_at() = entry.recorded_at();
    payload = ev.SerializeAsString();
    type = v1::ConsentGiven::descriptor()->full_name();
  } else {
    v1::ConsentWithdrawn ev;
    ev.set_tenant_id(change.tenant_id);
    ev.set_employee_id(change.employee_id);
    *ev.mutable_scopes() = entry.scopes();
    ev.set_all_scopes(change.all_scopes);
    ev.set_sequence(entry.sequence());
    ev.set_method(change.method);
    *ev.mutable_actor() = entry.actor();
    *ev.mutable_occurred_at() = entry.recorded_at();
    payload = ev.SerializeAsString();
    type = v1::ConsentWithdrawn::descriptor()->full_name();
  }
  const std::string kafka_key = StrCat(change.tenant_id, "/", change.employee_id);
  return outbox::Encode(MakeEvent(options_, kafka_key, type, kafka_key, std::move(payload),
                                  entry.event_id(), now_ms));
}

absl::StatusOr<v1::GiveConsentResponse> ConsentManager::Give(const Principal& caller,
                                                             const v1::GiveConsentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ValidateScopes("scopes", req.scopes()));
  RETURN_IF_ERROR(ids::ValidateObjectId("notice_version", req.notice_version()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(v1::ConsentMethod method,
                   ResolveMethod(caller, req.method(), v1::CONSENT_STATE_GIVEN));
  ASSIGN_OR_RETURN(std::optional<v1::Notice> notice,
                   store_->GetNotice(req.tenant_id(), req.notice_version()));
  if (!notice.has_value()) {
    return absl::FailedPreconditionError(
        StrCat("notice_version: '", req.notice_version(),
               "' has not been published for this tenant; ask GetCurrentNotice which "
               "version to show the employee"));
  }
  Change change;
  change.tenant_id = req.tenant_id();
  change.employee_id = req.employee_id();
  change.target = v1::CONSENT_STATE_GIVEN;
  change.scopes = req.scopes();
  change.notice = *std::move(notice);
  change.method = method;
  change.idempotency_key = req.idempotency_key();
  ASSIGN_OR_RETURN(ChangeResult result, Apply(caller, change));
  ASSIGN_OR_RETURN(int64_t material, MaterialOrdinal(req.tenant_id()));
  v1::GiveConsentResponse resp;
  resp.set_sequence(result.sequence);
  resp.set_unchanged(result.unchanged);
  for (const auto& f : result.fields) {
    auto it = result.after.scopes.find(f);
    if (it != result.after.scopes.end()) Fill(it->second, material, resp.add_consents());
  }
  return resp;
}

absl::StatusOr<v1::WithdrawConsentResponse> ConsentManager::Withdraw(
    const Principal& caller, const v1::WithdrawConsentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  if (req.all_scopes() && !req.scopes().empty()) {
    return absl::InvalidArgumentError(
        "all_scopes: cannot be combined with scopes; send one of them");
  }
  if (!req.all_scopes()) {
    if (req.scopes().empty()) {
      return absl::InvalidArgumentError("scopes: name at least one scope, or set all_scopes");
    }
    RETURN_IF_ERROR(ValidateScopes("scopes", req.scopes()));
  }
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(v1::ConsentMethod method,
                   ResolveMethod(caller, req.method(), v1::CONSENT_STATE_WITHDRAWN));
  Change change;
  change.tenant_id = req.tenant_id();
  change.employee_id = req.employee_id();
  change.target = v1::CONSENT_STATE_WITHDRAWN;
  change.scopes = req.scopes();
  change.all_scopes = req.all_scopes();
  change.method = method;
  change.idempotency_key = req.idempotency_key();
  ASSIGN_OR_RETURN(ChangeResult result, Apply(caller, change));
  v1::WithdrawConsentResponse resp;
  resp.set_sequence(result.sequence);
  resp.set_unchanged(result.unchanged);
  for (const auto& f : result.fields) {
    auto it = result.after.scopes.find(f);
    if (it != result.after.scopes.end()) Fill(it->second, 0, resp.add_consents());
  }
  return resp;
}

absl::StatusOr<v1::GetConsentStateResponse> ConsentManager::GetState(
    const Principal& caller, const v1::GetConsentStateRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(Snapshot snapshot, store_->Load(req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(int64_t material, MaterialOrdinal(req.tenant_id()));
  v1::GetConsentStateResponse resp;
  resp.set_sequence(snapshot.sequence);
  for (const auto& [field, stored] : snapshot.scopes) Fill(stored, material, resp.add_consents());
  return resp;
}

absl::StatusOr<v1::CheckConsentResponse> ConsentManager::Check(const Principal& caller,
                                                               const v1::CheckConsentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ValidateScope("scope", req.scope()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  ASSIGN_OR_RETURN(std::optional<storage::v1::StoredScope> stored,
                   store_->GetScope(req.tenant_id(), req.employee_id(), ScopeField(req.scope())));
  v1::CheckConsentResponse resp;
  if (!stored.has_value()) return resp;  // default deny
  resp.set_granted(stored->state() == v1::CONSENT_STATE_GIVEN);
  resp.set_sequence(stored->sequence());
  if (resp.granted()) {
    ASSIGN_OR_RETURN(int64_t material, MaterialOrdinal(req.tenant_id()));
    resp.set_needs_renewal(stored->notice_ordinal() < material);
  }
  return resp;
}

absl::StatusOr<v1::BatchCheckConsentResponse> ConsentManager::BatchCheck(
    const Principal& caller, const v1::BatchCheckConsentRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ValidateScope("scope", req.scope()));
  if (req.employee_ids().empty()) {
    return absl::InvalidArgumentError("employee_ids: at least one employee");
  }
  if (req.employee_ids_size() > kMaxBatchEmployees) {
    return absl::InvalidArgumentError(
        StrCat("employee_ids: at most ", kMaxBatchEmployees, " per call; split the batch"));
  }
  for (int i = 0; i < req.employee_ids_size(); ++i) {
    RETURN_IF_ERROR(ids::ValidateEmployeeId(StrCat("employee_ids[", i, "]"), req.employee_ids(i)));
  }
  RETURN_IF_ERROR(
      auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin, Role::kService}));
  std::vector<std::string> ids(req.employee_ids().begin(), req.employee_ids().end());
  ASSIGN_OR_RETURN(std::vector<std::optional<storage::v1::StoredScope>> stored,
                   store_->GetScopeBatch(req.tenant_id(), ids, ScopeField(req.scope())));
  v1::BatchCheckConsentResponse resp;
  resp.mutable_results()->Reserve(static_cast<int>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto* r = resp.add_results();
    r->set_employee_id(ids[i]);
    const auto& s = stored[i];
    if (s.has_value()) {
      r->set_granted(s->state() == v1::CONSENT_STATE_GIVEN);
      r->set_sequence(s->sequence());
    }
  }
  return resp;
}

absl::StatusOr<v1::ListConsentHistoryResponse> ConsentManager::ListHistory(
    const Principal& caller, const v1::ListConsentHistoryRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  if (req.page_size() < 0 || req.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(StrCat("page_size: 0 to ", kMaxPageSize));
  }
  int64_t first = 1;
  if (!req.page_token().empty()) {
    // Tokens are "h<sequence>": opaque to callers, cheap to check.
    if (req.page_token().size() > 24 || req.page_token()[0] != 'h' ||
        !absl::SimpleAtoi(req.page_token().substr(1), &first) || first < 1) {
      return absl::InvalidArgumentError(
          "page_token: not a token this service issued; start again with an empty token");
    }
  }
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
  const int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  ASSIGN_OR_RETURN(LedgerPage page,
                   store_->ListLedger(req.tenant_id(), req.employee_id(), first, size));
  v1::ListConsentHistoryResponse resp;
  for (const auto& raw : page.entries) {
    if (!resp.add_entries()->ParseFromString(raw)) {
      return absl::DataLossError("a ledger entry cannot be decoded; the ledger needs inspection");
    }
  }
  if (page.more) {
    resp.set_next_page_token(StrCat("h", first + static_cast<int64_t>(page.entries.size())));
  }
  return resp;
}

absl::StatusOr<v1::PublishNoticeResponse> ConsentManager::PublishNotice(
    const Principal& caller, const v1::PublishNoticeRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("version", req.version()));
  RETURN_IF_ERROR(ValidateNoticeContent(req.summary(), req.url()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  return idempotent::RetryOnConflict<v1::PublishNoticeResponse>(
      {.max_attempts = options_.max_commit_attempts, .what = "this tenant's notices"},
      [&] { return TryPublishNotice(req); });
}

idempotent::Attempt<v1::PublishNoticeResponse> ConsentManager::TryPublishNotice(
    const v1::PublishNoticeRequest& req) {
  ASSIGN_OR_RETURN(std::optional<v1::Notice> existing,
                   store_->GetNotice(req.tenant_id(), req.version()));
  if (existing.has_value()) {
    // A version is published once; publishing it again with the same content is a retry.
    if (existing->material() != req.material() || existing->summary() != req.summary() ||
        existing->url() != req.url()) {
      return absl::AlreadyExistsError(
          StrCat("version: '", req.version(),
                 "' was already published with different content; publish a new version"));
    }
    v1::PublishNoticeResponse resp;
    *resp.mutable_notice() = *std::move(existing);
    return resp;
  }
  // The newest notice's ordinal (the second of the pair): the compare-and-set expects it.
  ASSIGN_OR_RETURN(const auto ordinals, store_->GetNoticeOrdinals(req.tenant_id()));
  const int64_t newest = ordinals.second;
  const int64_t now = clock_();
  NoticeCommit commit;
  commit.tenant_id = req.tenant_id();
  commit.expected_ordinal = newest;
  v1::Notice& n = commit.notice;
  n.set_tenant_id(req.tenant_id());
  n.set_version(req.version());
  n.set_ordinal(newest + 1);
  n.set_material(req.material());
  n.set_summary(req.summary());
  n.set_url(req.url());
  *n.mutable_published_at() = ToTimestamp(now);
  v1::NoticePublished ev;
  *ev.mutable_notice() = n;
  commit.outbox_entry = outbox::Encode(
      MakeEvent(options_, req.tenant_id(), v1::NoticePublished::descriptor()->full_name(),
                req.tenant_id(), ev.SerializeAsString(), kafka::NewEventId(), now));
  ASSIGN_OR_RETURN(bool committed, store_->CommitNotice(commit));
  if (!committed) return idempotent::kConflict;  // another notice came first: decide again
  if (notifier_ != nullptr) {
    notifier_->Notify(outbox::OutboxKey(kServiceName, req.tenant_id()), commit.outbox_entry);
  }
  {
    std::lock_guard lock(cache_mu_);
    ordinal_cache_.erase(req.tenant_id());
  }
  log::Info("notice published", {{"tenant_id", req.tenant_id()},
                                 {"version", req.version()},
                                 {"material", req.material() ? "true" : "false"}});
  v1::PublishNoticeResponse resp;
  *resp.mutable_notice() = n;
  return resp;
}

absl::StatusOr<v1::GetCurrentNoticeResponse> ConsentManager::GetCurrentNotice(
    const Principal& caller, const v1::GetCurrentNoticeRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(),
                                              {Role::kEmployee, Role::kAdmin, Role::kService}));
  ASSIGN_OR_RETURN(std::optional<v1::Notice> notice, store_->GetCurrentNotice(req.tenant_id()));
  if (!notice.has_value()) {
    return absl::NotFoundError(
        "no notice published for this tenant yet; an admin calls PublishNotice");
  }
  v1::GetCurrentNoticeResponse resp;
  *resp.mutable_notice() = *std::move(notice);
  return resp;
}

}  // namespace advocacy::consent
