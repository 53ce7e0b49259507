#include "notifications_manager.h"

#include <algorithm>
#include <thread>
#include <unordered_set>
#include <utility>

#include "advocacy/common/event_trust.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/content/v1/content_events.pb.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "schedule.h"

namespace advocacy::notifications {
namespace {

constexpr size_t kMaxSummaryFromEvent = 500;

absl::Status Invalid(std::string_view field, std::string_view why) {
  return absl::InvalidArgumentError(advocacy::StrCat(field, ": ", why));
}

// Preferences are the employee's own: the employee themselves or an admin of their tenant.
absl::Status AuthorizeSelfOrAdmin(const auth::Principal& p, const std::string& tenant,
                                  const std::string& employee) {
  if (p.tenant_id == tenant && ((p.role == auth::Role::kEmployee && p.subject == employee) ||
                                p.role == auth::Role::kAdmin)) {
    return absl::OkStatus();
  }
  return absl::PermissionDeniedError(
      advocacy::StrCat("only employee '", employee, "' of tenant '", tenant,
                       "' or an admin of that tenant may read or change these preferences"));
}

std::string PurposeName(cv1::Purpose p) { return std::string(cv1::Purpose_Name(p)); }

std::string AppLink(const std::string& base, std::string_view kind, std::string_view id) {
  std::string_view b = base;
  while (b.ends_with('/')) b.remove_suffix(1);
  return advocacy::StrCat(b, "/", kind, "/", advocacy::PercentEncode(id));
}

v1::DeliveryState DeliveryStateOf(const JobView& v) {
  switch (v.job.state()) {
    case v1::JOB_STATE_SENT:
      return v1::DELIVERY_STATE_SENT;
    case v1::JOB_STATE_SKIPPED:
    case v1::JOB_STATE_CANCELLED:
      return v1::DELIVERY_STATE_SKIPPED;
    case v1::JOB_STATE_FAILED:
      return v1::DELIVERY_STATE_FAILED;
    default:
      return v.attempts > 0 ? v1::DELIVERY_STATE_RETRYING : v1::DELIVERY_STATE_QUEUED;
  }
}

std::string SkipSentence(v1::SkipReason reason, cv1::Purpose purpose) {
  switch (reason) {
    case v1::SKIP_REASON_NO_CONSENT:
      return advocacy::StrCat("skipped: the employee had not consented to ", PurposeName(purpose),
                              " when consent was checked");
    case v1::SKIP_REASON_WEEKLY_CAP:
      return "skipped: the employee's weekly cap of mails was reached";
    case v1::SKIP_REASON_TOPIC_FILTERED:
      return "skipped: the topic is not among the employee's topics of interest";
    case v1::SKIP_REASON_UNKNOWN_RECIPIENT:
      return "skipped: there is no recipient record (no address) for the employee";
    case v1::SKIP_REASON_DUPLICATE:
      return "skipped: this mail was already sent once for the job, step and channel";
    default:
      return "skipped";
  }
}

std::string Rfc3339(int64_t ms) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E3SZ", FromMs(ms), absl::UTCTimeZone());
}

// The job of one consenting, interested recipient for one source, with its digest and due time
// from the employee's cadence, time zone and quiet hours.
MergeRequest PlanJob(const std::string& tenant, const std::string& source_hash,
                     const v1::NotificationContent& content, const Profile& prof, absl::Time now) {
  const v1::Preferences& prefs = prof.preferences.prefs;
  auto zone = LoadZone(prof.recipient->time_zone());
  const absl::TimeZone tz = zone.ok() ? *zone : absl::UTCTimeZone();
  MergeRequest m;
  m.tenant_id = tenant;
  m.employee_id = prof.employee_id;
  m.suffix = source_hash;
  absl::Time due = now;
  v1::JobState state = v1::JOB_STATE_PENDING;
  auto window = ComputeDigestWindow(prefs, tz, now);
  const bool instant = prefs.cadence() == v1::DIGEST_CADENCE_INSTANT ||
                       prefs.cadence() == v1::DIGEST_CADENCE_UNSPECIFIED || !window.ok();
  if (instant) {
    m.digest_base = advocacy::StrCat("i-", source_hash);
    if (prefs.has_quiet_hours()) due = NextSendableTime(prefs.quiet_hours(), tz, now);
    state = due > now ? v1::JOB_STATE_DELAYED : v1::JOB_STATE_PENDING;
  } else {
    m.digest_base = advocacy::StrCat(static_cast<int>(content.purpose()), "-", window->key);
    due = window->end;
    if (prefs.has_quiet_hours()) due = NextSendableTime(prefs.quiet_hours(), tz, due);
    state = v1::JOB_STATE_IN_DIGEST;
  }
  m.due_ms = ToMs(due);
  v1::Job& job = m.job;
  job.set_job_id(JobId(tenant, prof.employee_id, source_hash));
  job.set_tenant_id(tenant);
  job.set_employee_id(prof.employee_id);
  job.set_purpose(content.purpose());
  job.set_topic(content.topic());
  job.set_title(content.title());
  job.set_summary(content.summary());
  job.set_link(content.link());
  job.set_state(state);
  *job.mutable_create_time() = ToTimestamp(now);
  *job.mutable_due_time() = ToTimestamp(due);
  return m;
}

// What a job's stored state says about its delivery.
void ExplainJob(const JobView& v, v1::Explanation& x) {
  x.set_job_state(v.job.state());
  x.set_delivery_state(DeliveryStateOf(v));
  x.set_skip_reason(v.skip_reason);
  x.set_attempts(v.attempts);
  x.set_digest_id(v.digest_id);
  if (v.decide_ms > 0) *x.mutable_decide_time() = ToTimestamp(FromMs(v.decide_ms));
  switch (v.job.state()) {
    case v1::JOB_STATE_SENT:
      x.set_message_id(v.message_id);
      if (v.consent_check_us > 0) {
        *x.mutable_consent_check_time() = ToTimestamp(absl::FromUnixMicros(v.consent_check_us));
      }
      x.set_detail(advocacy::StrCat(
          "sent: the relay accepted the mail (digest ", v.digest_id, ", Message-ID <", v.message_id,
          ">) at ", Rfc3339(v.decide_ms), " after ", v.attempts, " attempt(s); consent for ",
          PurposeName(v.job.purpose()), " was confirmed by a check started at ",
          Rfc3339(v.consent_check_us / 1000)));
      break;
    case v1::JOB_STATE_SKIPPED:
      x.set_detail(v.detail.empty() ? SkipSentence(v.skip_reason, v.job.purpose())
                                    : advocacy::StrCat(SkipSentence(v.skip_reason, v.job.purpose()),
                                                       " (", v.detail, ")"));
      break;
    case v1::JOB_STATE_CANCELLED:
      x.set_detail(advocacy::StrCat("cancelled: ", v.detail.empty() ? "withdrawn" : v.detail,
                                    "; nothing was sent"));
      break;
    case v1::JOB_STATE_FAILED:
      x.set_detail(advocacy::StrCat("failed after ", v.attempts,
                                    " attempt(s) and sent to the dead-letter topic: ",
                                    v.detail.empty() ? v.last_error : v.detail));
      break;
    default: {
      if (v.due_ms > 0) *x.mutable_due_time() = ToTimestamp(FromMs(v.due_ms));
      std::string why = v.job.state() == v1::JOB_STATE_IN_DIGEST
                            ? "waiting in its digest for the end of the window"
                        : v.job.state() == v1::JOB_STATE_DELAYED
                            ? "held until the employee's quiet hours end"
                            : "waiting to be sent";
      if (v.attempts > 0) {
        why = advocacy::StrCat("retrying after ", v.attempts,
                               " failed attempt(s); last error: ", v.last_error);
      }
      x.set_detail(advocacy::StrCat(why, "; due at ", Rfc3339(v.due_ms)));
      break;
    }
  }
}

// A job that was never created: the skip record of its source says why.
void ExplainSkip(const SkipRecord& skip, v1::Explanation& x) {
  x.set_job_state(v1::JOB_STATE_SKIPPED);
  x.set_delivery_state(v1::DELIVERY_STATE_SKIPPED);
  x.set_skip_reason(skip.reason);
  *x.mutable_decide_time() = ToTimestamp(FromMs(skip.decide_ms));
  x.set_detail(SkipSentence(skip.reason, cv1::PURPOSE_UNSPECIFIED));
  if (skip.reason == v1::SKIP_REASON_NO_CONSENT) {
    x.set_detail(
        "skipped: the employee had not consented to the mail's purpose when the job "
        "was created");
  }
}

}  // namespace

NotificationsManager::NotificationsManager(NotificationsStore* store, ConsentGateway* consent,
                                           NotificationsMetrics* metrics,
                                           std::function<void()> wake, ManagerOptions options)
    : store_(store),
      consent_(consent),
      metrics_(metrics),
      wake_(std::move(wake)),
      options_(std::move(options)) {
  if (options_.fanout_chunk == 0) options_.fanout_chunk = 1000;
}

absl::Time NotificationsManager::Now() const { return options_.now ? options_.now() : absl::Now(); }

// ---------------------------------------------------------------------------------------------
// Recipients and preferences

absl::StatusOr<v1::UpsertRecipientResponse> NotificationsManager::UpsertRecipient(
    const P& p, const v1::UpsertRecipientRequest& r) {
  RETURN_IF_ERROR(ValidateRecipient(r.recipient(), "recipient"));
  const std::string& t = r.recipient().tenant_id();
  const std::string& e = r.recipient().employee_id();
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(p, t, {auth::Role::kAdmin, auth::Role::kService}));
  v1::Recipient rec = r.recipient();
  *rec.mutable_update_time() = ToTimestamp(Now());
  RETURN_IF_ERROR(store_->PutRecipient(rec));
  // Read the preferences after writing the record: a SetPreferences racing with this call
  // indexes its own (newer) version, and the index keeps the newest.
  ASSIGN_OR_RETURN(const PreferencesRecord prefs, store_->GetPreferences(t, e));
  RETURN_IF_ERROR(store_->IndexRecipient(t, e, TopicMask(prefs.prefs), prefs.version,
                                         /*only_if_present=*/false));
  v1::UpsertRecipientResponse out;
  *out.mutable_recipient() = std::move(rec);
  return out;
}

absl::StatusOr<v1::GetRecipientResponse> NotificationsManager::GetRecipient(
    const P& p, const v1::GetRecipientRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", r.employee_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(std::optional<v1::Recipient> rec,
                   store_->GetRecipient(r.tenant_id(), r.employee_id()));
  if (!rec.has_value()) {
    return absl::NotFoundError(
        advocacy::StrCat("no recipient '", r.employee_id(), "' in tenant '", r.tenant_id(), "'"));
  }
  v1::GetRecipientResponse out;
  *out.mutable_recipient() = *std::move(rec);
  return out;
}

absl::StatusOr<v1::SetPreferencesResponse> NotificationsManager::SetPreferences(
    const P& p, const v1::SetPreferencesRequest& r) {
  RETURN_IF_ERROR(ValidatePreferences(r.preferences(), "preferences"));
  const std::string& t = r.preferences().tenant_id();
  const std::string& e = r.preferences().employee_id();
  RETURN_IF_ERROR(AuthorizeSelfOrAdmin(p, t, e));
  v1::Preferences prefs = r.preferences();
  NormalizePreferences(&prefs);
  *prefs.mutable_update_time() = ToTimestamp(Now());
  ASSIGN_OR_RETURN(const int64_t version, store_->PutPreferences(prefs));
  RETURN_IF_ERROR(
      store_->IndexRecipient(t, e, TopicMask(prefs), version, /*only_if_present=*/true));
  v1::SetPreferencesResponse out;
  *out.mutable_preferences() = std::move(prefs);
  return out;
}

absl::StatusOr<v1::GetPreferencesResponse> NotificationsManager::GetPreferences(
    const P& p, const v1::GetPreferencesRequest& r) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", r.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", r.employee_id()));
  RETURN_IF_ERROR(AuthorizeSelfOrAdmin(p, r.tenant_id(), r.employee_id()));
  ASSIGN_OR_RETURN(PreferencesRecord prefs, store_->GetPreferences(r.tenant_id(), r.employee_id()));
  v1::GetPreferencesResponse out;
  *out.mutable_preferences() = std::move(prefs.prefs);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Triggers

absl::StatusOr<v1::TriggerResponse> NotificationsManager::Trigger(const P& p,
                                                                  const v1::TriggerRequest& r) {
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", r.employee_id()));
  ASSIGN_OR_RETURN(const v1::BulkTriggerResponse out,
                   TriggerMany(p, r.tenant_id(), {r.employee_id()}, r.content(),
                               r.idempotency_key(), "employee_id"));
  v1::TriggerResponse resp;
  resp.set_job_id(out.job_ids(0));
  return resp;
}

absl::StatusOr<v1::BulkTriggerResponse> NotificationsManager::BulkTrigger(
    const P& p, const v1::BulkTriggerRequest& r) {
  if (r.employee_ids().empty() || static_cast<size_t>(r.employee_ids_size()) > kMaxBulkEmployees) {
    return Invalid("employee_ids", advocacy::StrCat("must list 1 to ", kMaxBulkEmployees,
                                                    " employees (split larger sends)"));
  }
  std::vector<std::string> employees(r.employee_ids().begin(), r.employee_ids().end());
  return TriggerMany(p, r.tenant_id(), employees, r.content(), r.idempotency_key(), "employee_ids");
}

absl::StatusOr<v1::BulkTriggerResponse> NotificationsManager::TriggerMany(
    const P& p, const std::string& tenant, const std::vector<std::string>& employees,
    const v1::NotificationContent& content, const std::string& idempotency_key,
    std::string_view employees_field) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", tenant));
  if (employees.size() > 1) {
    for (size_t i = 0; i < employees.size(); ++i) {
      RETURN_IF_ERROR(
          ids::ValidateEmployeeId(advocacy::StrCat(employees_field, "[", i, "]"), employees[i]));
    }
  }
  RETURN_IF_ERROR(ValidateContent(content, "content"));
  // The key names the trigger's jobs (SourceHash), so a trigger without one cannot be retried
  // safely: unlike ids.h, which allows "no key", it is required here.
  if (idempotency_key.empty()) {
    return Invalid("idempotency_key", "required (repeat the same key to retry safely)");
  }
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", idempotency_key));
  RETURN_IF_ERROR(
      auth::AuthorizeTenantAccess(p, tenant, {auth::Role::kAdmin, auth::Role::kService}));
  // The body a repeat is compared with: who and what, not the key itself. Trigger and a
  // one-employee BulkTrigger with the same key and body are the same request.
  v1::BulkTriggerRequest body;
  body.set_tenant_id(tenant);
  for (const auto& e : employees) body.add_employee_ids(e);
  *body.mutable_content() = content;
  ASSIGN_OR_RETURN(const IdempotencyOutcome outcome,
                   store_->CheckIdempotency(tenant, idempotency_key, BodyHash(body),
                                            options_.retention_seconds));
  if (outcome == IdempotencyOutcome::kConflict) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "idempotency_key: '", idempotency_key,
        "' was already used for a different request; use a new key for a new notification"));
  }
  const std::string suffix = SourceHash("trigger", idempotency_key);
  // A repeat runs the fan-out again: every job it names exists already (nothing changes), and
  // jobs a crashed first attempt did not get to are created now.
  RETURN_IF_ERROR(FanOut(tenant, suffix, content, &employees).status());
  v1::BulkTriggerResponse out;
  for (const auto& e : employees) out.add_job_ids(JobId(tenant, e, suffix));
  out.set_replayed(outcome == IdempotencyOutcome::kReplay);
  return out;
}

absl::StatusOr<FanOutStats> NotificationsManager::FanOut(
    const std::string& tenant, const std::string& source_hash,
    const v1::NotificationContent& content, const std::vector<std::string>* employees) {
  FanOutStats stats;
  const absl::Time now = Now();
  std::unordered_set<std::string> seen;
  std::vector<IndexedEmployee> chunk;
  const auto flush = [&]() -> absl::Status {
    if (chunk.empty()) return absl::OkStatus();
    absl::Status st = FanOutChunk(tenant, source_hash, content, chunk, now, &stats);
    chunk.clear();
    return st;
  };
  if (employees != nullptr) {
    std::vector<std::string> unique;
    for (const auto& e : *employees) {
      if (seen.insert(e).second) unique.push_back(e);
    }
    for (size_t start = 0; start < unique.size(); start += options_.fanout_chunk) {
      const size_t end = std::min(unique.size(), start + options_.fanout_chunk);
      std::vector<std::string> part(unique.begin() + static_cast<ptrdiff_t>(start),
                                    unique.begin() + static_cast<ptrdiff_t>(end));
      ASSIGN_OR_RETURN(const std::vector<std::optional<uint32_t>> masks,
                       store_->LookupRecipients(tenant, part));
      for (size_t i = 0; i < part.size(); ++i) chunk.emplace_back(part[i], masks[i]);
      RETURN_IF_ERROR(flush());
    }
  } else {
    std::string cursor = "0";
    do {
      ASSIGN_OR_RETURN(IndexPage page,
                       store_->ScanRecipients(tenant, cursor, options_.fanout_chunk));
      cursor = page.next_cursor;
      for (auto& entry : page.entries) {
        // HSCAN may return an entry twice; the fan-out is idempotent anyway, this saves work.
        if (!seen.insert(entry.employee_id).second) continue;
        chunk.emplace_back(std::move(entry.employee_id), entry.mask);
        if (chunk.size() >= options_.fanout_chunk) {
          RETURN_IF_ERROR(flush());
        }
      }
    } while (cursor != "0");
    RETURN_IF_ERROR(flush());
  }
  return stats;
}

absl::Status NotificationsManager::FanOutChunk(const std::string& tenant,
                                               const std::string& source_hash,
                                               const v1::NotificationContent& content,
                                               const std::vector<IndexedEmployee>& chunk,
                                               absl::Time now, FanOutStats* stats) {
  stats->considered += static_cast<int64_t>(chunk.size());
  Skips skips;
  std::vector<std::string> candidates;
  for (const auto& [employee, mask] : chunk) {
    if (!mask.has_value()) {
      skips.emplace_back(employee, v1::SKIP_REASON_UNKNOWN_RECIPIENT);
    } else if (!MaskAllows(*mask, content.topic())) {
      skips.emplace_back(employee, v1::SKIP_REASON_TOPIC_FILTERED);
    } else {
      candidates.push_back(employee);
    }
  }
  ASSIGN_OR_RETURN(const std::vector<std::string> consenting,
                   Consenting(tenant, content.purpose(), candidates, &skips));
  if (!consenting.empty()) {
    ASSIGN_OR_RETURN(const std::vector<Profile> profiles, store_->LoadProfiles(tenant, consenting));
    std::vector<MergeRequest> merges;
    merges.reserve(profiles.size());
    for (const Profile& prof : profiles) {
      // The index may be older than the records: check them again.
      if (!prof.recipient.has_value()) {
        skips.emplace_back(prof.employee_id, v1::SKIP_REASON_UNKNOWN_RECIPIENT);
      } else if (!MaskAllows(TopicMask(prof.preferences.prefs), content.topic())) {
        skips.emplace_back(prof.employee_id, v1::SKIP_REASON_TOPIC_FILTERED);
      } else {
        merges.push_back(PlanJob(tenant, source_hash, content, prof, now));
      }
    }
    RETURN_IF_ERROR(CreateJobs(merges, now, stats));
  }
  return RecordSkipped(tenant, source_hash, skips, now, stats);
}

absl::StatusOr<std::vector<std::string>> NotificationsManager::Consenting(
    const std::string& tenant, cv1::Purpose purpose, const std::vector<std::string>& candidates,
    Skips* skips) {
  std::vector<std::string> consenting;
  if (candidates.empty()) return consenting;
  auto granted = consent_->BatchCheck(tenant, purpose, candidates);
  if (!granted.ok()) {
    // Fail closed: nobody is assumed to consent, and nothing is recorded as skipped either
    // (that would be a lie); the whole call is retried.
    return absl::UnavailableError(advocacy::StrCat(
        "the consent service could not confirm consent (", granted.status().message(),
        "); nothing was created for this chunk, retry"));
  }
  if (granted->size() != candidates.size()) {
    return absl::InternalError(
        "the consent service answered for a different number of "
        "employees than asked; nothing was created, retry");
  }
  for (size_t i = 0; i < candidates.size(); ++i) {
    if ((*granted)[i]) {
      consenting.push_back(candidates[i]);
    } else {
      skips->emplace_back(candidates[i], v1::SKIP_REASON_NO_CONSENT);
    }
  }
  return consenting;
}

absl::Status NotificationsManager::CreateJobs(const std::vector<MergeRequest>& merges,
                                              absl::Time now, FanOutStats* stats) {
  if (merges.empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::vector<MergeResult> results, store_->MergeJobs(merges, ToMs(now)));
  bool due_now = false;
  int64_t merged = 0;
  for (const auto& res : results) {
    if (res.created) {
      ++stats->created;
      if (res.merged) ++merged;
    } else {
      ++stats->existing;
    }
    if (res.open && res.due_ms <= ToMs(now)) due_now = true;
  }
  stats->merged += merged;
  if (metrics_ != nullptr) metrics_->Merged(merged);
  if (due_now && wake_) wake_();
  return absl::OkStatus();
}

absl::Status NotificationsManager::RecordSkipped(const std::string& tenant,
                                                 const std::string& source_hash, const Skips& skips,
                                                 absl::Time now, FanOutStats* stats) {
  if (skips.empty()) return absl::OkStatus();
  RETURN_IF_ERROR(
      store_->RecordSkips(tenant, source_hash, skips, ToMs(now), options_.retention_seconds));
  stats->skipped += static_cast<int64_t>(skips.size());
  if (metrics_ != nullptr) {
    std::map<int, int64_t> by_reason;
    for (const auto& s : skips) ++by_reason[s.second];
    for (const auto& [reason, n] : by_reason) {
      metrics_->Skipped(static_cast<v1::SkipReason>(reason), n);
    }
  }
  return absl::OkStatus();
}

// ---------------------------------------------------------------------------------------------
// Events

absl::Status NotificationsManager::FanOutEvent(const std::string& topic,
                                               const kafka::CloudEvent& ce,
                                               const std::string& tenant,
                                               const v1::NotificationContent& content) {
  if (auto st = ValidateContent(content, "event"); !st.ok()) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("a ", ce.type, " event cannot become a mail: ", st.message()));
  }
  const std::string suffix = SourceHash("event", advocacy::StrCat(topic, "\n", ce.id));
  ASSIGN_OR_RETURN(const FanOutStats stats, FanOut(tenant, suffix, content, nullptr));
  log::Info("event fanned out", {{"type", ce.type},
                                 {"event_id", ce.id},
                                 {"tenant", tenant},
                                 {"recipients", std::to_string(stats.considered)},
                                 {"jobs_created", std::to_string(stats.created)},
                                 {"skipped", std::to_string(stats.skipped)}});
  return absl::OkStatus();
}

absl::Status NotificationsManager::HandleContentEvent(const kafka::Message& message) {
  ASSIGN_OR_RETURN(const kafka::CloudEvent ce, kafka::FromHeaders(message.headers));
  if (ce.type == advocacy::content::v1::ItemPublished::descriptor()->full_name()) {
    advocacy::content::v1::ItemPublished e;
    if (!e.ParseFromString(message.payload)) {
      return absl::InvalidArgumentError("the ItemPublished body cannot be decoded");
    }
    const auto& item = e.item();
    RETURN_IF_ERROR(ids::ValidateTenantId("item.tenant_id", item.tenant_id()));
    // Content keys its item events by tenant: an event about one tenant under another's key is
    // not one content sent.
    RETURN_IF_ERROR(event_trust::CheckKey(message, item.tenant_id()));
    if (item.item_id().empty() || item.item_id().size() > 128) {
      return Invalid("item.item_id", "must be 1 to 128 bytes");
    }
    v1::NotificationContent content;
    content.set_purpose(cv1::PURPOSE_EMAIL_TIPS);
    content.set_topic(v1::TOPIC_CONTENT);
    content.set_title(Clip(item.title(), kMaxTitleBytes));
    for (const auto& nc : item.captions()) {
      if (!nc.captions().empty()) {
        content.set_summary(Clip(nc.captions(0), kMaxSummaryFromEvent));
        break;
      }
    }
    // The item's page in the app, always: that is where the employee sees the caption for each
    // network they opted into and shares with a tracked link (the item's own article URL is on
    // that page; a tip that linked straight to it would make sharing the untracked way).
    content.set_link(AppLink(options_.app_base_url, "content", item.item_id()));
    return FanOutEvent(options_.content_topic, ce, item.tenant_id(), content);
  }
  if (ce.type.rfind("advocacy.content.v1.", 0) == 0) return absl::OkStatus();  // not for us
  return absl::InvalidArgumentError(
      advocacy::StrCat("ce_type '", ce.type, "' is not an advocacy.content.v1 event"));
}

absl::Status NotificationsManager::HandleCoursesEvent(const kafka::Message& message) {
  ASSIGN_OR_RETURN(const kafka::CloudEvent ce, kafka::FromHeaders(message.headers));
  namespace co = ::advocacy::courses::v1;
  if (ce.type == co::CoursePublished::descriptor()->full_name()) {
    co::CoursePublished e;
    if (!e.ParseFromString(message.payload)) {
      return absl::InvalidArgumentError("the CoursePublished body cannot be decoded");
    }
    RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", e.tenant_id()));
    if (e.course_id().empty() || e.course_id().size() > 128) {
      return Invalid("course_id", "must be 1 to 128 bytes");
    }
    RETURN_IF_ERROR(
        event_trust::CheckKey(message, advocacy::StrCat(e.tenant_id(), "/course/", e.course_id())));
    v1::NotificationContent content;
    content.set_purpose(cv1::PURPOSE_COURSE_TIPS);
    content.set_topic(v1::TOPIC_COURSES);
    content.set_title(Clip(e.title(), kMaxTitleBytes));
    content.set_link(AppLink(options_.app_base_url, "courses", e.course_id()));
    return FanOutEvent(options_.courses_topic, ce, e.tenant_id(), content);
  }
  if (ce.type == co::BroadcastScheduled::descriptor()->full_name()) {
    co::BroadcastScheduled e;
    if (!e.ParseFromString(message.payload)) {
      return absl::InvalidArgumentError("the BroadcastScheduled body cannot be decoded");
    }
    const auto& b = e.broadcast();
    RETURN_IF_ERROR(ids::ValidateTenantId("broadcast.tenant_id", b.tenant_id()));
    if (b.broadcast_id().empty() || b.broadcast_id().size() > 128) {
      return Invalid("broadcast.broadcast_id", "must be 1 to 128 bytes");
    }
    RETURN_IF_ERROR(event_trust::CheckKey(
        message, advocacy::StrCat(b.tenant_id(), "/broadcast/", b.broadcast_id())));
    v1::NotificationContent content;
    content.set_purpose(cv1::PURPOSE_COURSE_TIPS);
    content.set_topic(v1::TOPIC_BROADCASTS);
    content.set_title(Clip(b.details().title(), kMaxTitleBytes));
    content.set_summary(Clip(b.details().description(), kMaxSummaryFromEvent));
    // The broadcast's page, not its join URL: the join URL is for seat holders only.
    content.set_link(AppLink(options_.app_base_url, "broadcasts", b.broadcast_id()));
    return FanOutEvent(options_.courses_topic, ce, b.tenant_id(), content);
  }
  if (ce.type.rfind("advocacy.courses.v1.", 0) == 0) return absl::OkStatus();  // not for us
  return absl::InvalidArgumentError(
      advocacy::StrCat("ce_type '", ce.type, "' is not an advocacy.courses.v1 event"));
}

// ---------------------------------------------------------------------------------------------
// Withdrawal

absl::Status NotificationsManager::OnConsentWithdrawn(const consent_view::ApplyResult& result) {
  for (const auto& field : result.withdrawn) {
    auto scope = consent_view::ConsentView::ParseScopeField(field);
    if (!scope.ok()) continue;  // a scope this service does not act on
    if (scope->purpose() != cv1::PURPOSE_EMAIL_TIPS &&
        scope->purpose() != cv1::PURPOSE_COURSE_TIPS) {
      continue;
    }
    RETURN_IF_ERROR(
        CancelForWithdrawal(result.tenant_id, result.employee_id, scope->purpose()).status());
  }
  return absl::OkStatus();
}

absl::StatusOr<int> NotificationsManager::CancelForWithdrawal(const std::string& tenant,
                                                              const std::string& employee,
                                                              cv1::Purpose purpose) {
  ASSIGN_OR_RETURN(
      auto cancelled,
      store_->CancelOpen(tenant, employee, purpose, ToMs(Now()),
                         advocacy::StrCat("consent for ", PurposeName(purpose), " was withdrawn")));
  if (metrics_ != nullptr) metrics_->Cancelled(cancelled.jobs);
  if (!cancelled.digest_ids.empty()) {
    std::vector<DueRef> refs;
    for (const auto& id : cancelled.digest_ids) refs.push_back({tenant, employee, id});
    // The queue entries are only hints once the digests are cancelled; a failure here leaves
    // them for the dispatcher, which drops them when it finds the digests settled.
    if (auto st = store_->RemoveDue(refs); !st.ok()) {
      log::Warning("cancelled digests stay in the due queue until the dispatcher drops them",
                   {{"error", std::string(st.message())}});
    }
  }
  if (!cancelled.sending.empty()) {
    // A send past its consent re-check may still be committed at the relay; the withdrawal is
    // only "applied" here once it is over either way.
    const auto until = std::chrono::steady_clock::now() + options_.in_flight_wait;
    for (;;) {
      ASSIGN_OR_RETURN(const bool done,
                       store_->SendsSettled(tenant, employee, cancelled.sending, ToMs(Now())));
      if (done) break;
      if (std::chrono::steady_clock::now() >= until) {
        return absl::DeadlineExceededError(
            advocacy::StrCat("a mail to employee '", employee, "' of tenant '", tenant,
                             "' was still being sent after ", options_.in_flight_wait.count(),
                             " ms; the withdrawal is applied again later"));
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  }
  if (cancelled.jobs > 0) {
    log::Info("jobs cancelled after a consent withdrawal",
              {{"tenant", tenant},
               {"employee", employee},
               {"purpose", PurposeName(purpose)},
               {"jobs", std::to_string(cancelled.jobs)}});
  }
  return cancelled.jobs;
}

// ---------------------------------------------------------------------------------------------
// Explain

absl::StatusOr<v1::ExplainDeliveryResponse> NotificationsManager::ExplainDelivery(
    const P& p, const v1::ExplainDeliveryRequest& r) {
  ASSIGN_OR_RETURN(const JobRef ref, ParseJobId(r.job_id(), "job_id"));
  RETURN_IF_ERROR(
      auth::AuthorizeTenantAccess(p, ref.tenant_id, {auth::Role::kAdmin, auth::Role::kService}));
  v1::ExplainDeliveryResponse out;
  v1::Explanation& x = *out.mutable_explanation();
  x.set_job_id(r.job_id());
  ASSIGN_OR_RETURN(const std::optional<JobView> view,
                   store_->GetJob(ref.tenant_id, ref.employee_id, ref.suffix));
  if (view.has_value()) {
    ExplainJob(*view, x);
    return out;
  }
  ASSIGN_OR_RETURN(const std::optional<SkipRecord> skip,
                   store_->GetSkip(ref.tenant_id, ref.suffix, ref.employee_id));
  if (skip.has_value()) {
    ExplainSkip(*skip, x);
    return out;
  }
  return absl::NotFoundError(
      advocacy::StrCat("job_id: no job '", r.job_id(),
                       "' (never created, or settled longer ago than the retention period)"));
}

}  // namespace advocacy::notifications
