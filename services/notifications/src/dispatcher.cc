#include "dispatcher.h"

#include <unistd.h>

#include <algorithm>
#include <map>
#include <utility>

#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "advocacy/notifications/v1/notifications_events.pb.h"
#include "schedule.h"
#include "templates.h"

namespace advocacy::notifications {

struct Dispatcher::Work {
  DueRef ref;
  const Profile* profile = nullptr;
  std::string owner;
  BeginResult begin;
  std::vector<std::string> suffixes;
};

namespace {

std::string PurposeName(cv1::Purpose p) { return std::string(cv1::Purpose_Name(p)); }

std::string RandomHex(size_t n) {
  std::random_device rd;
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) out.push_back(kDigits[rd() % 16]);
  return out;
}

std::string LocalPart(const std::string& address) { return address.substr(0, address.find('@')); }

}  // namespace

Dispatcher::Dispatcher(NotificationsStore* store, MailSender* sender, ConsentGateway* consent,
                       const UnsubscribeTokenSigner* signer, NotificationsMetrics* metrics,
                       outbox::Notifier* outbox, DispatcherOptions options)
    : store_(store),
      sender_(sender),
      consent_(consent),
      signer_(signer),
      metrics_(metrics),
      outbox_(outbox),
      options_(std::move(options)),
      owner_(options_.owner.empty()
                 ? advocacy::StrCat(RandomHex(12), ".", static_cast<int64_t>(getpid()))
                 : options_.owner),
      mail_domain_(DomainOf(options_.mail_from)),
      rng_(options_.seed != 0 ? options_.seed : std::random_device{}()) {
  if (options_.workers < 1) options_.workers = 1;
  if (options_.batch == 0) options_.batch = 1;
}

Dispatcher::~Dispatcher() { Stop(); }

absl::Time Dispatcher::Now() const { return options_.now ? options_.now() : absl::Now(); }

void Dispatcher::Start() {
  std::lock_guard lock(mu_);
  if (!threads_.empty() || stopping_) return;
  for (int i = 0; i < options_.workers; ++i) {
    threads_.emplace_back([this, i] { Loop(static_cast<size_t>(i)); });
  }
}

void Dispatcher::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void Dispatcher::Wake() {
  {
    std::lock_guard lock(mu_);
    ++wakeups_;
  }
  cv_.notify_all();
}

void Dispatcher::Loop(size_t worker) {
  bool warned = false;
  for (;;) {
    uint64_t seen = 0;
    {
      std::lock_guard lock(mu_);
      if (stopping_) return;
      seen = wakeups_;
    }
    auto n = RunOnce(worker);
    if (!n.ok()) {
      // One warning per outage, not one per poll.
      if (!warned) {
        log::Warning("the dispatcher cannot reach its queue; mails wait until it can",
                     {{"error", std::string(n.status().message())}});
        warned = true;
      }
    } else if (warned) {
      log::Info("the dispatcher reaches its queue again");
      warned = false;
    }
    if (n.ok() && *n > 0) continue;  // more may be due right away
    std::unique_lock lock(mu_);
    cv_.wait_for(lock, options_.poll_interval, [&] { return stopping_ || wakeups_ != seen; });
  }
}

std::chrono::milliseconds Dispatcher::Jitter(std::chrono::milliseconds cap) {
  if (cap.count() <= 0) return std::chrono::milliseconds(0);
  std::lock_guard lock(rng_mu_);
  std::uniform_int_distribution<int64_t> dist(0, cap.count());
  return std::chrono::milliseconds(dist(rng_));
}

std::chrono::milliseconds Dispatcher::Backoff(int attempts) {
  int64_t cap = options_.retry_base.count();
  for (int i = 1; i < attempts && cap < options_.retry_max.count(); ++i) cap *= 2;
  cap = std::min<int64_t>(cap, options_.retry_max.count());
  return Jitter(std::chrono::milliseconds(cap));
}

void Dispatcher::Settle(const std::vector<DueRef>& refs) {
  if (refs.empty()) return;
  // A failure leaves the entries behind; the next claim finds the digests settled and drops
  // them then.
  if (auto st = store_->RemoveDue(refs); !st.ok()) {
    log::Warning("settled digests stay in the due queue until the next claim drops them",
                 {{"error", std::string(st.message())}});
  }
}

absl::StatusOr<size_t> Dispatcher::RunOnce(size_t worker) {
  const absl::Time now = Now();
  const int64_t now_ms = ToMs(now);
  const int64_t lease_end = now_ms + options_.claim_lease.count();
  ASSIGN_OR_RETURN(const std::vector<DueRef> refs,
                   store_->ClaimDue(now_ms, lease_end, options_.batch));
  if (metrics_ != nullptr && (worker == 0 || now_ms - last_depth_update_ms_.load() > 1000)) {
    last_depth_update_ms_ = now_ms;
    if (auto depth = store_->QueueDepth(); depth.ok()) metrics_->SetQueueDepth(*depth);
  }
  if (refs.empty()) return 0;
  const std::string owner = advocacy::StrCat(owner_, "/", worker);
  // On failure the claims come back after the lease.
  ASSIGN_OR_RETURN(const std::vector<Profile> profiles, LoadProfiles(refs));
  Batch batch;
  for (size_t i = 0; i < refs.size(); ++i) {
    RETURN_IF_ERROR(Begin(refs[i], profiles[i], owner, now, lease_end, batch));
  }
  Settle(batch.settled);
  CheckConsentAndSend(batch.works, now);
  return refs.size();
}

absl::StatusOr<std::vector<Profile>> Dispatcher::LoadProfiles(const std::vector<DueRef>& refs) {
  std::map<std::string, std::vector<size_t>> by_tenant;
  for (size_t i = 0; i < refs.size(); ++i) by_tenant[refs[i].tenant_id].push_back(i);
  std::vector<Profile> profiles(refs.size());
  for (const auto& [tenant, idx] : by_tenant) {
    std::vector<std::string> employees;
    for (size_t i : idx) employees.push_back(refs[i].employee_id);
    ASSIGN_OR_RETURN(std::vector<Profile> loaded, store_->LoadProfiles(tenant, employees));
    for (size_t k = 0; k < idx.size(); ++k) profiles[idx[k]] = std::move(loaded[k]);
  }
  return profiles;
}

absl::Status Dispatcher::Begin(const DueRef& ref, const Profile& prof, const std::string& owner,
                               absl::Time now, int64_t lease_end, Batch& batch) {
  BeginRequest req;
  req.ref = ref;
  req.owner = owner;
  req.now_ms = ToMs(now);
  req.claim_until_ms = lease_end;
  if (!prof.recipient.has_value()) {
    req.skip_all = v1::SKIP_REASON_UNKNOWN_RECIPIENT;
  } else {
    const v1::Preferences& prefs = prof.preferences.prefs;
    if (prefs.has_quiet_hours()) {
      auto zone = LoadZone(prof.recipient->time_zone());
      const absl::TimeZone tz = zone.ok() ? *zone : absl::UTCTimeZone();
      if (IsQuiet(prefs.quiet_hours(), tz, now)) {
        // Quiet hours chosen after the job was planned: wait for their end.
        const absl::Time next = NextSendableTime(prefs.quiet_hours(), tz, now);
        return store_->Reschedule(ref, ToMs(next));
      }
    }
    req.weekly_cap = prefs.weekly_cap();
    req.topic_mask = TopicMask(prefs);
  }
  auto begun = store_->BeginSend(req);
  if (!begun.ok()) {
    log::Warning("a due digest could not be claimed; it comes back after the lease",
                 {{"digest", ref.Member()}, {"error", std::string(begun.status().message())}});
    return absl::OkStatus();
  }
  if (metrics_ != nullptr && begun->filtered > 0) {
    metrics_->Skipped(v1::SKIP_REASON_TOPIC_FILTERED, begun->filtered);
  }
  AddToBatch(ref, prof, owner, *std::move(begun), batch);
  return absl::OkStatus();
}

void Dispatcher::AddToBatch(const DueRef& ref, const Profile& prof, const std::string& owner,
                            BeginResult begun, Batch& batch) {
  switch (begun.outcome) {
    case BeginOutcome::kGo: {
      Work w;
      w.ref = ref;
      w.profile = &prof;
      w.owner = owner;
      w.begin = std::move(begun);
      for (const auto& item : w.begin.items) w.suffixes.push_back(item.first);
      batch.works.push_back(std::move(w));
      break;
    }
    case BeginOutcome::kBusy:
      break;  // another worker's claim; its entry comes back only if that worker dies
    case BeginOutcome::kSkipped:
      if (metrics_ != nullptr) {
        metrics_->Skipped(begun.skip_reason, begun.skipped - begun.filtered);
      }
      batch.settled.push_back(ref);
      break;
    case BeginOutcome::kSent:
      log::Info("the send ledger already records this mail as sent; not sending it again",
                {{"digest", ref.Member()}});
      batch.settled.push_back(ref);
      break;
    case BeginOutcome::kGone:
    case BeginOutcome::kEmpty:
      batch.settled.push_back(ref);
      break;
  }
}

void Dispatcher::CheckConsentAndSend(std::vector<Work>& works, absl::Time now) {
  std::map<std::pair<std::string, int>, std::vector<size_t>> groups;
  for (size_t i = 0; i < works.size(); ++i) {
    groups[{works[i].ref.tenant_id, static_cast<int>(works[i].begin.purpose)}].push_back(i);
  }
  std::vector<DueRef> settled;
  for (const auto& [key, idx] : groups) {
    std::vector<std::string> employees;
    for (size_t i : idx) employees.push_back(works[i].ref.employee_id);
    const auto purpose = static_cast<cv1::Purpose>(key.second);
    auto granted = consent_->BatchCheck(key.first, purpose, employees);
    if (!granted.ok() || granted->size() != employees.size()) {
      log::Warning("consent could not be confirmed; these mails wait and are tried again",
                   {{"tenant", key.first},
                    {"purpose", PurposeName(purpose)},
                    {"mails", std::to_string(idx.size())},
                    {"error", granted.ok() ? std::string("wrong number of answers")
                                           : std::string(granted.status().message())}});
      for (size_t i : idx) Release(works[i], now, options_.consent_retry);
      continue;
    }
    for (size_t k = 0; k < idx.size(); ++k) {
      if ((*granted)[k]) {
        SendOne(works[idx[k]], now);
      } else {
        SkipWithoutConsent(works[idx[k]], settled);
      }
    }
  }
  Settle(settled);
}

void Dispatcher::SkipWithoutConsent(Work& w, std::vector<DueRef>& settled) {
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kSkip;
  f.now_ms = ToMs(Now());
  f.skip_reason = v1::SKIP_REASON_NO_CONSENT;
  f.suffixes = w.suffixes;
  auto done = store_->FinishSend(f);
  if (done.ok() && done->applied) {
    // A digest cancelled meanwhile was counted by the cancellation.
    if (metrics_ != nullptr && !done->cancelled) {
      metrics_->Skipped(v1::SKIP_REASON_NO_CONSENT, static_cast<int64_t>(w.suffixes.size()));
    }
    settled.push_back(w.ref);
  }
}

void Dispatcher::Release(Work& w, absl::Time now, std::chrono::milliseconds delay) {
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kRelease;
  f.now_ms = ToMs(now);
  // At least half the delay, so a consent outage is not hammered.
  f.next_due_ms = ToMs(now) + delay.count() / 2 + Jitter(delay / 2).count();
  f.suffixes = w.suffixes;
  auto done = store_->FinishSend(f);
  if (done.ok() && done->applied) {
    if (done->cancelled) return Settle({w.ref});
    (void)store_->Reschedule(w.ref, f.next_due_ms);  // else the lease brings it back
  }
}

void Dispatcher::Fail(Work& w, const std::string& error, bool permanent, absl::Time now) {
  const std::string tag = advocacy::StrCat(w.ref.tenant_id, ":", w.ref.employee_id);
  const std::string key = advocacy::StrCat(w.ref.tenant_id, "/", w.ref.employee_id);
  v1::DeliveryFailed event;
  event.set_tenant_id(w.ref.tenant_id);
  event.set_employee_id(w.ref.employee_id);
  event.set_digest_id(w.ref.digest_id);
  for (const auto& s : w.suffixes) event.add_job_ids(JobId(w.ref.tenant_id, w.ref.employee_id, s));
  event.set_purpose(w.begin.purpose);
  event.set_attempts(w.begin.attempts + 1);
  event.set_error(error);
  event.set_permanent(permanent);
  event.set_message_id(
      MessageId(w.ref.tenant_id, w.ref.employee_id, w.ref.digest_id, mail_domain_));
  *event.mutable_failed_at() = ToTimestamp(now);
  kafka::Message m;
  m.topic = options_.dlq_topic;
  m.key = key;
  m.payload = event.SerializeAsString();
  m.headers = kafka::ToHeaders({.id = kafka::NewEventId(),
                                .source = "/advocacy/notifications",
                                .type = v1::DeliveryFailed::descriptor()->full_name(),
                                .time = kafka::NowRfc3339(),
                                .subject = key});
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kFail;
  f.now_ms = ToMs(now);
  f.detail = error;
  f.suffixes = w.suffixes;
  f.outbox_key = outbox::OutboxKey(kServiceName, tag);
  f.outbox_entry = outbox::Encode(m);
  auto done = store_->FinishSend(f);
  if (!done.ok()) {
    log::Error("a failed mail could not be recorded; it is tried again after the lease",
               {{"digest", w.ref.Member()}, {"error", std::string(done.status().message())}});
    return;
  }
  if (!done->applied) return;
  if (done->cancelled) return Settle({w.ref});  // consent withdrawn meanwhile: not wanted
  log::Warning("mail given up and dead-lettered", {{"digest", w.ref.Member()},
                                                   {"attempts", std::to_string(done->attempts)},
                                                   {"permanent", permanent ? "true" : "false"},
                                                   {"error", error}});
  if (outbox_ != nullptr) outbox_->Notify(f.outbox_key, f.outbox_entry);
  if (metrics_ != nullptr) metrics_->Failed();
  Settle({w.ref});
}

absl::StatusOr<OutgoingMail> Dispatcher::BuildMail(const Work& w, absl::Time now) {
  const v1::Recipient& rec = *w.profile->recipient;
  UnsubscribeClaims claims;
  claims.tenant_id = w.ref.tenant_id;
  claims.employee_id = w.ref.employee_id;
  claims.purpose = w.begin.purpose;
  claims.expires = now + options_.unsubscribe_ttl;
  ASSIGN_OR_RETURN(const std::string token, signer_->Sign(claims));
  ASSIGN_OR_RETURN(const std::string url, UnsubscribeUrl(options_.public_base_url, token));
  ASSIGN_OR_RETURN(auto headers, OneClickUnsubscribeHeaders(options_.public_base_url, token));
  std::vector<MailItem> items;
  for (const auto& [suffix, job] : w.begin.items) {
    items.push_back({job.title(), job.summary(), job.link()});
  }
  const std::string name = rec.display_name().empty() ? LocalPart(rec.email()) : rec.display_name();
  auto rendered = RenderMail(rec.locale(), name, items, url);
  if (!rendered.ok()) {
    return absl::InvalidArgumentError(
        advocacy::StrCat("the mail cannot be built: ", rendered.status().message()));
  }
  OutgoingMail mail;
  mail.from_address = options_.mail_from;
  mail.from_name = options_.mail_from_name;
  mail.to_address = rec.email();
  mail.to_name = rec.display_name();
  mail.subject = std::move(rendered->subject);
  mail.text = std::move(rendered->text);
  mail.html = std::move(rendered->html);
  mail.message_id = MessageId(w.ref.tenant_id, w.ref.employee_id, w.ref.digest_id, mail_domain_);
  mail.headers = std::move(headers);
  return mail;
}

void Dispatcher::SendOne(Work& w, absl::Time now) {
  auto mail = BuildMail(w, now);
  if (!mail.ok()) return Fail(w, std::string(mail.status().message()), true, now);
  // The last word before the relay commits: the consent service itself, not a view.
  const cv1::Purpose purpose = w.begin.purpose;
  bool refused = false;
  absl::Status guard_error;
  int64_t check_us = 0;
  const CommitGuard guard = [&]() -> absl::Status {
    check_us = absl::ToUnixMicros(Now());
    auto granted = consent_->Check(w.ref.tenant_id, w.ref.employee_id, purpose);
    if (!granted.ok()) {
      guard_error = granted.status();
      return absl::UnavailableError(advocacy::StrCat(
          "consent could not be confirmed right before sending: ", granted.status().message()));
    }
    if (!*granted) {
      refused = true;
      return absl::FailedPreconditionError(
          advocacy::StrCat("consent for ", PurposeName(purpose), " was withdrawn"));
    }
    return absl::OkStatus();
  };
  const absl::Status sent = sender_->Send(*mail, guard);
  const absl::Time after = Now();
  if (sent.ok()) return RecordSent(w, *mail, check_us, after);
  if (refused) return RecordRefused(w, after);
  if (!guard_error.ok()) {
    log::Warning("consent could not be re-checked right before sending; the mail waits",
                 {{"digest", w.ref.Member()}, {"error", std::string(guard_error.message())}});
    return Release(w, after, options_.consent_retry);
  }
  RetryOrFail(w, sent, after);
}

void Dispatcher::RecordSent(Work& w, const OutgoingMail& mail, int64_t check_us, absl::Time after) {
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kSent;
  f.now_ms = ToMs(after);
  f.message_id = mail.message_id;
  f.consent_check_us = check_us;
  f.suffixes = w.suffixes;
  auto done = store_->FinishSend(f);
  if (metrics_ != nullptr) metrics_->Sent();
  if (!done.ok()) {
    // The relay has the mail but the ledger does not say so: after the lease this digest is
    // sent again with the same Message-ID. Loud, because it is a duplicate in the making.
    log::Error("a sent mail could not be recorded; it will be sent again (same Message-ID)",
               {{"digest", w.ref.Member()},
                {"message_id", mail.message_id},
                {"error", std::string(done.status().message())}});
    return;
  }
  Settle({w.ref});
}

void Dispatcher::RecordRefused(Work& w, absl::Time after) {
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kSkip;
  f.now_ms = ToMs(after);
  f.skip_reason = v1::SKIP_REASON_NO_CONSENT;
  f.detail = "withdrawn before the relay committed the mail; the transaction was aborted";
  f.suffixes = w.suffixes;
  auto done = store_->FinishSend(f);
  if (done.ok() && done->applied) {
    if (metrics_ != nullptr && !done->cancelled) {
      metrics_->Skipped(v1::SKIP_REASON_NO_CONSENT, static_cast<int64_t>(w.suffixes.size()));
    }
    Settle({w.ref});
  }
}

void Dispatcher::RetryOrFail(Work& w, const absl::Status& sent, absl::Time after) {
  const std::string error(sent.message());
  if (!absl::IsUnavailable(sent)) return Fail(w, error, true, after);
  const int attempts = w.begin.attempts + 1;
  if (attempts >= options_.max_attempts) {
    return Fail(w, advocacy::StrCat("gave up after ", attempts, " attempts: ", error), false,
                after);
  }
  FinishRequest f;
  f.ref = w.ref;
  f.owner = w.owner;
  f.mode = FinishMode::kRetry;
  f.now_ms = ToMs(after);
  f.detail = error;
  f.next_due_ms = ToMs(after) + Backoff(attempts).count();
  f.suffixes = w.suffixes;
  auto done = store_->FinishSend(f);
  if (!done.ok() || !done->applied) return;
  if (done->cancelled) return Settle({w.ref});
  if (metrics_ != nullptr) metrics_->Retried();
  (void)store_->Reschedule(w.ref, f.next_due_ms);  // else the lease brings it back
  log::Info("mail not accepted yet; retrying",
            {{"digest", w.ref.Member()},
             {"attempt", std::to_string(attempts)},
             {"next_in_ms", std::to_string(f.next_due_ms - ToMs(after))},
             {"error", error}});
}

}  // namespace advocacy::notifications
