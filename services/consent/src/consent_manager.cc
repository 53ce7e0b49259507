#include "consent_manager.h"

#include <google/protobuf/util/time_util.h>
#include <openssl/sha.h>

#include <algorithm>
#include <set>

#include "absl/strings/numbers.h"
#include "advocacy/common/strings.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/consent/v1/consent_events.pb.h"
#include "consent_validation.h"

namespace advocacy::consent {
namespace {

using auth::Principal;
using auth::Role;

int64_t SystemNowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

google::protobuf::Timestamp ToTimestamp(int64_t ms) {
  return google::protobuf::util::TimeUtil::MillisecondsToTimestamp(ms);
}

v1::ActorRole ToActorRole(Role role) {
  switch (role) {
    case Role::kEmployee: return v1::ACTOR_ROLE_EMPLOYEE;
    case Role::kAdmin: return v1::ACTOR_ROLE_ADMIN;
    case Role::kService: return v1::ACTOR_ROLE_SERVICE;
  }
  return v1::ACTOR_ROLE_UNSPECIFIED;
}

std::string Sha256(std::string_view data) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(data.data()), data.size(), digest);
  return std::string(reinterpret_cast<const char*>(digest), sizeof(digest));
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
      if (asked == v1::CONSENT_METHOD_UNSPECIFIED ||
          asked == v1::CONSENT_METHOD_ADMIN_ON_BEHALF) {
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
  return advocacy::StrCat(tenant_id, ":", employee_id);
}

kafka::Message MakeEvent(const ManagerOptions& options, const std::string& key,
                         const std::string& type, const std::string& subject,
                         std::string payload, const std::string& event_id, int64_t now_ms) {
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
  return advocacy::StrCat(static_cast<int>(scope.purpose()), ".", static_cast<int>(scope.network()));
}

ConsentManager::ConsentManager(ConsentStore* store, OutboxNotifier* notifier,
                               ManagerOptions options, Clock clock)
    : store_(store),
      notifier_(notifier),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(SystemNowMs)) {}

absl::StatusOr<int64_t> ConsentManager::MaterialOrdinal(const std::string& tenant_id) {
  const int64_t now = clock_();
  {
    std::lock_guard lock(cache_mu_);
    auto it = ordinal_cache_.find(tenant_id);
    if (it != ordinal_cache_.end() && now - it->second.fetched_at_ms < options_.notice_cache_ttl.count()) {
      return it->second.material;
    }
  }
  absl::StatusOr<std::pair<int64_t, int64_t>> ordinals = store_->GetNoticeOrdinals(tenant_id);
  if (!ordinals.ok()) return ordinals.status();
  std::lock_guard lock(cache_mu_);
  if (ordinal_cache_.size() > 100000) ordinal_cache_.clear();  // bound memory; refills cheaply
  ordinal_cache_[tenant_id] = {ordinals->first, now};
  return ordinals->first;
}

void ConsentManager::Fill(const storage::StoredScope& stored, int64_t material_ordinal,
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
  // The fingerprint binds an idempotency key to one request.
  std::string canonical = advocacy::StrCat(static_cast<int>(change.target), "|",
                                       change.all_scopes ? "all" : "some", "|",
                                       change.notice.version(), "|",
                                       static_cast<int>(change.method), "|", caller.subject, "|");
  std::set<std::string> requested;
  for (const auto& s : change.scopes) requested.insert(ScopeField(s));
  for (const auto& f : requested) advocacy::StrAppend(&canonical, f, ",");
  const std::string fingerprint = Sha256(canonical);

  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    if (!change.idempotency_key.empty()) {
      auto record = store_->GetIdempotency(change.tenant_id, change.employee_id,
                                           change.idempotency_key);
      if (!record.ok()) return record.status();
      if (record->has_value()) {
        if ((*record)->fingerprint() != fingerprint) {
          return absl::FailedPreconditionError(
              "idempotency_key: already used for a different request; use a new key for a new "
              "request");
        }
        auto snapshot = store_->Load(change.tenant_id, change.employee_id);
        if (!snapshot.ok()) return snapshot.status();
        ChangeResult replay;
        replay.sequence = (*record)->sequence();
        replay.unchanged = true;
        replay.after = std::move(*snapshot);
        replay.fields.assign(requested.begin(), requested.end());
        return replay;
      }
    }

    auto snapshot = store_->Load(change.tenant_id, change.employee_id);
    if (!snapshot.ok()) return snapshot.status();

    // Work out which scopes really change: a repeated give or withdraw is a no-op.
    std::vector<std::string> targets;
    if (change.all_scopes) {
      for (const auto& [field, stored] : snapshot->scopes) targets.push_back(field);
    } else {
      targets.assign(requested.begin(), requested.end());
    }
    const int64_t now = clock_();
    const int64_t next = snapshot->sequence + 1;
    std::vector<storage::StoredScope> changed;
    for (const auto& field : targets) {
      auto it = snapshot->scopes.find(field);
      const bool given = it != snapshot->scopes.end() && it->second.state() == v1::CONSENT_STATE_GIVEN;
      if (change.target == v1::CONSENT_STATE_WITHDRAWN) {
        if (!given) continue;
      } else if (given && it->second.notice_version() == change.notice.version()) {
        continue;
      }
      storage::StoredScope s;
      if (it != snapshot->scopes.end()) {
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
      } else if (it != snapshot->scopes.end()) {
        // Keep under which notice the withdrawn consent had been given.
        s.set_notice_version(it->second.notice_version());
        s.set_notice_ordinal(it->second.notice_ordinal());
      }
      s.set_sequence(next);
      s.set_changed_at_ms(now);
      s.set_method(change.method);
      changed.push_back(std::move(s));
    }

    EmployeeCommit commit;
    commit.tenant_id = change.tenant_id;
    commit.employee_id = change.employee_id;
    commit.expected_sequence = snapshot->sequence;
    commit.new_sequence = changed.empty() ? snapshot->sequence : next;
    commit.idempotency_key = change.idempotency_key;
    commit.idempotency_ttl_ms = options_.idempotency_ttl.count();
    storage::IdempotencyRecord idem;
    idem.set_fingerprint(fingerprint);
    idem.set_sequence(commit.new_sequence);
    idem.set_unchanged(changed.empty());
    commit.idempotency_record = idem.SerializeAsString();

    std::string outbox_key;
    if (!changed.empty()) {
      const std::string event_id = kafka::NewEventId();
      v1::LedgerEntry entry;
      entry.set_sequence(next);
      for (const auto& s : changed) *entry.add_scopes() = s.scope();
      entry.set_state(change.target);
      if (change.target == v1::CONSENT_STATE_GIVEN) entry.set_notice_version(change.notice.version());
      entry.set_method(change.method);
      entry.mutable_actor()->set_subject(caller.subject);
      entry.mutable_actor()->set_role(ToActorRole(caller.role));
      *entry.mutable_recorded_at() = ToTimestamp(now);
      entry.set_idempotency_key(change.idempotency_key);
      entry.set_event_id(event_id);
      commit.ledger_entry = entry.SerializeAsString();

      std::string payload;
      std::string type;
      if (change.target == v1::CONSENT_STATE_GIVEN) {
        v1::ConsentGiven ev;
        ev.set_tenant_id(change.tenant_id);
        ev.set_employee_id(change.employee_id);
        *ev.mutable_scopes() = entry.scopes();
        ev.set_notice_version(change.notice.version());
        ev.set_sequence(next);
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
        ev.set_sequence(next);
        ev.set_method(change.method);
        *ev.mutable_actor() = entry.actor();
        *ev.mutable_occurred_at() = entry.recorded_at();
        payload = ev.SerializeAsString();
        type = v1::ConsentWithdrawn::descriptor()->full_name();
      }
      const std::string kafka_key = advocacy::StrCat(change.tenant_id, "/", change.employee_id);
      commit.outbox_entry = outbox::Encode(
          MakeEvent(options_, kafka_key, type, kafka_key, std::move(payload), event_id, now));
      commit.scopes = changed;
      commit.acknowledged_ms = now;
      outbox_key = outbox::OutboxKey(HashTag(change.tenant_id, change.employee_id));
    } else if (change.idempotency_key.empty()) {
      // Nothing to change and nothing to remember.
      ChangeResult result;
      result.sequence = snapshot->sequence;
      result.unchanged = true;
      result.after = std::move(*snapshot);
      result.fields = targets;
      return result;
    }

    absl::StatusOr<CommitResult> committed = store_->Commit(commit);
    if (!committed.ok()) return committed.status();
    if (*committed == CommitResult::kSequenceConflict ||
        *committed == CommitResult::kIdempotencyConflict) {
      continue;  // someone else got there first: re-read and decide again
    }
    if (!outbox_key.empty() && notifier_ != nullptr) {
      notifier_->Notify(outbox_key, commit.outbox_entry);
    }
    ChangeResult result;
    result.sequence = commit.new_sequence;
    result.unchanged = changed.empty();
    result.after = std::move(*snapshot);
    result.after.sequence = commit.new_sequence;
    for (auto& s : changed) result.after.scopes[ScopeField(s.scope())] = s;
    result.fields = targets;
    return result;
  }
  return absl::AbortedError(
      "too many concurrent changes to this employee's consent; retry with the same "
      "idempotency_key");
}

absl::StatusOr<v1::GiveConsentResponse> ConsentManager::Give(const Principal& caller,
                                                             const v1::GiveConsentRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (auto st = ValidateScopes("scopes", req.scopes()); !st.ok()) return st;
  if (auto st = ValidateNoticeVersion("notice_version", req.notice_version()); !st.ok()) return st;
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok()) return st;
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()); !st.ok()) {
    return st;
  }
  auto method = ResolveMethod(caller, req.method(), v1::CONSENT_STATE_GIVEN);
  if (!method.ok()) return method.status();
  auto notice = store_->GetNotice(req.tenant_id(), req.notice_version());
  if (!notice.ok()) return notice.status();
  if (!notice->has_value()) {
    return absl::FailedPreconditionError(
        advocacy::StrCat("notice_version: '", req.notice_version(),
                     "' has not been published for this tenant; ask GetCurrentNotice which "
                     "version to show the employee"));
  }
  Change change;
  change.tenant_id = req.tenant_id();
  change.employee_id = req.employee_id();
  change.target = v1::CONSENT_STATE_GIVEN;
  change.scopes = req.scopes();
  change.notice = **notice;
  change.method = *method;
  change.idempotency_key = req.idempotency_key();
  auto result = Apply(caller, change);
  if (!result.ok()) return result.status();
  auto material = MaterialOrdinal(req.tenant_id());
  if (!material.ok()) return material.status();
  v1::GiveConsentResponse resp;
  resp.set_sequence(result->sequence);
  resp.set_unchanged(result->unchanged);
  for (const auto& f : result->fields) {
    auto it = result->after.scopes.find(f);
    if (it != result->after.scopes.end()) Fill(it->second, *material, resp.add_consents());
  }
  return resp;
}

absl::StatusOr<v1::WithdrawConsentResponse> ConsentManager::Withdraw(
    const Principal& caller, const v1::WithdrawConsentRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (req.all_scopes() && !req.scopes().empty()) {
    return absl::InvalidArgumentError("all_scopes: cannot be combined with scopes; send one of them");
  }
  if (!req.all_scopes()) {
    if (req.scopes().empty()) {
      return absl::InvalidArgumentError("scopes: name at least one scope, or set all_scopes");
    }
    if (auto st = ValidateScopes("scopes", req.scopes()); !st.ok()) return st;
  }
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok()) return st;
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()); !st.ok()) {
    return st;
  }
  auto method = ResolveMethod(caller, req.method(), v1::CONSENT_STATE_WITHDRAWN);
  if (!method.ok()) return method.status();
  Change change;
  change.tenant_id = req.tenant_id();
  change.employee_id = req.employee_id();
  change.target = v1::CONSENT_STATE_WITHDRAWN;
  change.scopes = req.scopes();
  change.all_scopes = req.all_scopes();
  change.method = *method;
  change.idempotency_key = req.idempotency_key();
  auto result = Apply(caller, change);
  if (!result.ok()) return result.status();
  v1::WithdrawConsentResponse resp;
  resp.set_sequence(result->sequence);
  resp.set_unchanged(result->unchanged);
  for (const auto& f : result->fields) {
    auto it = result->after.scopes.find(f);
    if (it != result->after.scopes.end()) Fill(it->second, 0, resp.add_consents());
  }
  return resp;
}

absl::StatusOr<v1::GetConsentStateResponse> ConsentManager::GetState(
    const Principal& caller, const v1::GetConsentStateRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()); !st.ok()) {
    return st;
  }
  auto snapshot = store_->Load(req.tenant_id(), req.employee_id());
  if (!snapshot.ok()) return snapshot.status();
  auto material = MaterialOrdinal(req.tenant_id());
  if (!material.ok()) return material.status();
  v1::GetConsentStateResponse resp;
  resp.set_sequence(snapshot->sequence);
  for (const auto& [field, stored] : snapshot->scopes) Fill(stored, *material, resp.add_consents());
  return resp;
}

absl::StatusOr<v1::CheckConsentResponse> ConsentManager::Check(const Principal& caller,
                                                               const v1::CheckConsentRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (auto st = ValidateScope("scope", req.scope()); !st.ok()) return st;
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()); !st.ok()) {
    return st;
  }
  auto stored = store_->GetScope(req.tenant_id(), req.employee_id(), ScopeField(req.scope()));
  if (!stored.ok()) return stored.status();
  v1::CheckConsentResponse resp;
  if (!stored->has_value()) return resp;  // default deny
  resp.set_granted((*stored)->state() == v1::CONSENT_STATE_GIVEN);
  resp.set_sequence((*stored)->sequence());
  if (resp.granted()) {
    auto material = MaterialOrdinal(req.tenant_id());
    if (!material.ok()) return material.status();
    resp.set_needs_renewal((*stored)->notice_ordinal() < *material);
  }
  return resp;
}

absl::StatusOr<v1::BatchCheckConsentResponse> ConsentManager::BatchCheck(
    const Principal& caller, const v1::BatchCheckConsentRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateScope("scope", req.scope()); !st.ok()) return st;
  if (req.employee_ids().empty()) {
    return absl::InvalidArgumentError("employee_ids: at least one employee");
  }
  if (req.employee_ids_size() > kMaxBatchEmployees) {
    return absl::InvalidArgumentError(advocacy::StrCat("employee_ids: at most ", kMaxBatchEmployees,
                                                   " per call; split the batch"));
  }
  for (int i = 0; i < req.employee_ids_size(); ++i) {
    if (auto st = ValidateEmployeeId(advocacy::StrCat("employee_ids[", i, "]"), req.employee_ids(i));
        !st.ok()) {
      return st;
    }
  }
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin, Role::kService});
      !st.ok()) {
    return st;
  }
  std::vector<std::string> ids(req.employee_ids().begin(), req.employee_ids().end());
  auto stored = store_->GetScopeBatch(req.tenant_id(), ids, ScopeField(req.scope()));
  if (!stored.ok()) return stored.status();
  v1::BatchCheckConsentResponse resp;
  resp.mutable_results()->Reserve(static_cast<int>(ids.size()));
  for (size_t i = 0; i < ids.size(); ++i) {
    auto* r = resp.add_results();
    r->set_employee_id(ids[i]);
    const auto& s = (*stored)[i];
    if (s.has_value()) {
      r->set_granted(s->state() == v1::CONSENT_STATE_GIVEN);
      r->set_sequence(s->sequence());
    }
  }
  return resp;
}

absl::StatusOr<v1::ListConsentHistoryResponse> ConsentManager::ListHistory(
    const Principal& caller, const v1::ListConsentHistoryRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (req.page_size() < 0 || req.page_size() > kMaxPageSize) {
    return absl::InvalidArgumentError(advocacy::StrCat("page_size: 0 to ", kMaxPageSize));
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
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()); !st.ok()) {
    return st;
  }
  const int size = req.page_size() == 0 ? kDefaultPageSize : req.page_size();
  auto page = store_->ListLedger(req.tenant_id(), req.employee_id(), first, size);
  if (!page.ok()) return page.status();
  v1::ListConsentHistoryResponse resp;
  for (const auto& raw : page->entries) {
    if (!resp.add_entries()->ParseFromString(raw)) {
      return absl::DataLossError("a ledger entry cannot be decoded; the ledger needs inspection");
    }
  }
  if (page->more) {
    resp.set_next_page_token(advocacy::StrCat("h", first + static_cast<int64_t>(page->entries.size())));
  }
  return resp;
}

absl::StatusOr<v1::PublishNoticeResponse> ConsentManager::PublishNotice(
    const Principal& caller, const v1::PublishNoticeRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateNoticeVersion("version", req.version()); !st.ok()) return st;
  if (req.summary().size() > kMaxNoticeSummaryBytes) {
    return absl::InvalidArgumentError(advocacy::StrCat("summary: at most ", kMaxNoticeSummaryBytes, " bytes"));
  }
  if (req.url().empty() || req.url().size() > kMaxNoticeUrlBytes ||
      req.url().rfind("https://", 0) != 0 || req.url().size() <= 8) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("url: required, an https:// URL of at most ", kMaxNoticeUrlBytes, " bytes"));
  }
  for (char c : req.url()) {
    if (c <= 0x20 || c >= 0x7f) return absl::InvalidArgumentError("url: must not contain spaces or control characters");
  }
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    auto existing = store_->GetNotice(req.tenant_id(), req.version());
    if (!existing.ok()) return existing.status();
    if (existing->has_value()) {
      const v1::Notice& n = **existing;
      if (n.material() != req.material() || n.summary() != req.summary() || n.url() != req.url()) {
        return absl::AlreadyExistsError(advocacy::StrCat(
            "version: '", req.version(), "' was already published with different content; "
            "publish a new version"));
      }
      v1::PublishNoticeResponse resp;
      *resp.mutable_notice() = n;
      return resp;
    }
    auto ordinals = store_->GetNoticeOrdinals(req.tenant_id());
    if (!ordinals.ok()) return ordinals.status();
    const int64_t now = clock_();
    NoticeCommit commit;
    commit.tenant_id = req.tenant_id();
    commit.expected_ordinal = ordinals->second;
    v1::Notice& n = commit.notice;
    n.set_tenant_id(req.tenant_id());
    n.set_version(req.version());
    n.set_ordinal(ordinals->second + 1);
    n.set_material(req.material());
    n.set_summary(req.summary());
    n.set_url(req.url());
    *n.mutable_published_at() = ToTimestamp(now);
    v1::NoticePublished ev;
    *ev.mutable_notice() = n;
    commit.outbox_entry = outbox::Encode(MakeEvent(options_, req.tenant_id(),
                                                   v1::NoticePublished::descriptor()->full_name(),
                                                   req.tenant_id(), ev.SerializeAsString(),
                                                   kafka::NewEventId(), now));
    auto ok = store_->CommitNotice(commit);
    if (!ok.ok()) return ok.status();
    if (!*ok) continue;
    if (notifier_ != nullptr) notifier_->Notify(outbox::OutboxKey(req.tenant_id()), commit.outbox_entry);
    {
      std::lock_guard lock(cache_mu_);
      ordinal_cache_.erase(req.tenant_id());
    }
    log::Info("notice published", {{"tenant_id", req.tenant_id()}, {"version", req.version()},
                                   {"material", req.material() ? "true" : "false"}});
    v1::PublishNoticeResponse resp;
    *resp.mutable_notice() = n;
    return resp;
  }
  return absl::AbortedError("too many concurrent notice publications; retry");
}

absl::StatusOr<v1::GetCurrentNoticeResponse> ConsentManager::GetCurrentNotice(
    const Principal& caller, const v1::GetCurrentNoticeRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(),
                                            {Role::kEmployee, Role::kAdmin, Role::kService});
      !st.ok()) {
    return st;
  }
  auto notice = store_->GetCurrentNotice(req.tenant_id());
  if (!notice.ok()) return notice.status();
  if (!notice->has_value()) {
    return absl::NotFoundError("no notice published for this tenant yet; an admin calls PublishNotice");
  }
  v1::GetCurrentNoticeResponse resp;
  *resp.mutable_notice() = **notice;
  return resp;
}

}  // namespace advocacy::consent
