#include "broadcast_manager.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <limits>

#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/strings.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "courses_validation.h"

namespace advocacy::courses {
namespace {

using auth::Principal;
using auth::Role;

constexpr std::initializer_list<Role> kEveryone = {Role::kEmployee, Role::kAdmin, Role::kService};
constexpr int kMaxRegistrationPage = 1000;
constexpr int kDefaultRegistrationPage = 100;

absl::Status NoBroadcast(const std::string& b) {
  return absl::NotFoundError(
      advocacy::StrCat("broadcast_id: no broadcast '", b, "' in this tenant"));
}

int64_t StartsAt(const v1::Broadcast& b) { return ToMillis(b.details().starts_at()); }

// The broadcast as stored, with the counts and sequence of `snap` adjusted by `seat_delta` and
// `waiting_delta`, and the join link only for those allowed to see it.
v1::Broadcast View(const v1::Broadcast& def, int64_t sequence, int64_t registered, int64_t waiting,
                   bool with_join_url) {
  v1::Broadcast b = def;
  b.set_sequence(sequence);
  b.set_registered_count(static_cast<int32_t>(registered));
  b.set_waiting_count(static_cast<int32_t>(waiting));
  if (!with_join_url) b.mutable_details()->clear_join_url();
  return b;
}

v1::Broadcast View(const BroadcastSnapshot& snap, bool with_join_url) {
  return View(snap.broadcast->broadcast(), snap.sequence, snap.registered_count, snap.waiting_count,
              with_join_url);
}

template <typename Message>
absl::StatusOr<Message> Parse(const std::string& bytes) {
  Message m;
  if (!m.ParseFromString(bytes)) {
    return absl::DataLossError("a remembered response cannot be decoded; retry with a new key");
  }
  return m;
}

}  // namespace

BroadcastManager::BroadcastManager(CoursesStore* store, CatalogManager* catalog,
                                   OutboxNotifier* notifier, CoursesObserver* observer,
                                   DomainOptions options, Clock clock)
    : store_(store),
      catalog_(catalog),
      notifier_(notifier),
      observer_(observer),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(SystemNowMs)),
      events_(options_) {}

absl::StatusOr<std::string> BroadcastManager::Write(const std::string& t, const std::string& b,
                                                    const std::string& e, const std::string& key,
                                                    const std::string& fingerprint,
                                                    int waiting_head, const Decide& decide,
                                                    bool* replayed) {
  *replayed = false;
  for (int attempt = 0; attempt < options_.max_commit_attempts; ++attempt) {
    if (!key.empty()) {
      auto record = store_->GetBroadcastIdempotency(t, b, e, key);
      if (!record.ok()) return record.status();
      if (record->has_value()) {
        if ((*record)->fingerprint() != fingerprint) {
          return absl::FailedPreconditionError(
              "idempotency_key: already used for a different request; use a new key for a new "
              "request");
        }
        *replayed = true;
        return (*record)->response();
      }
    }
    auto snap = store_->LoadBroadcast(t, b, e, waiting_head);
    if (!snap.ok()) return snap.status();
    const int64_t now = clock_();
    const int64_t next = snap->sequence + 1;
    auto change = decide(*snap, next, now);
    if (!change.ok()) return change.status();
    if (!change->changed() && key.empty()) return std::move(change->response);

    BroadcastCommit commit;
    commit.tenant_id = t;
    commit.broadcast_id = b;
    commit.expected_sequence = snap->sequence;
    commit.new_sequence = change->changed() ? next : snap->sequence;
    commit.broadcast = change->broadcast;
    commit.seats = change->seats;
    commit.outbox_entries = change->outbox_entries;
    commit.idempotency_employee_id = e;
    commit.idempotency_key = key;
    commit.idempotency_ttl_ms = options_.idempotency_ttl.count();
    storage::IdempotencyRecord record;
    record.set_fingerprint(fingerprint);
    record.set_sequence(commit.new_sequence);
    record.set_response(change->response);
    commit.idempotency_record = record.SerializeAsString();
    auto committed = store_->CommitBroadcast(commit);
    if (!committed.ok()) return committed.status();
    if (*committed != CommitResult::kCommitted) continue;  // re-read and decide again
    if (notifier_ != nullptr) {
      const std::string outbox_key = outbox::OutboxKey(BroadcastTag(t, b));
      for (const auto& entry : commit.outbox_entries) notifier_->Notify(outbox_key, entry);
    }
    if (observer_ != nullptr) {
      for (const auto& o : change->outcomes) observer_->RegistrationChanged(o);
    }
    return std::move(change->response);
  }
  return absl::AbortedError(
      "too many concurrent changes to this broadcast; retry (with the same idempotency_key, if "
      "any)");
}

absl::Status BroadcastManager::CheckCourse(const std::string& t, const v1::BroadcastDetails& d) {
  if (d.course_id().empty()) return absl::OkStatus();
  auto c = catalog_->FindCourse(t, d.course_id());
  if (!c.ok()) return c.status();
  if (!c->has_value() || (*c)->state() != v1::COURSE_STATE_PUBLISHED) {
    return absl::FailedPreconditionError(advocacy::StrCat(
        "details.course_id: '", d.course_id(), "' is not a published course of this tenant"));
  }
  return absl::OkStatus();
}

std::string BroadcastManager::RegistrationEvent(const std::string& t, const v1::Broadcast& b,
                                                const std::string& e, v1::RegistrationStatus status,
                                                v1::RegistrationStatus previous,
                                                v1::RegistrationChangeReason reason,
                                                int64_t sequence, int64_t now) const {
  v1::BroadcastRegistrationChanged ev;
  ev.set_tenant_id(t);
  ev.set_broadcast_id(b.broadcast_id());
  ev.set_employee_id(e);
  ev.set_status(status);
  ev.set_previous_status(previous);
  ev.set_reason(reason);
  *ev.mutable_starts_at() = b.details().starts_at();
  ev.set_sequence(sequence);
  *ev.mutable_occurred_at() = ToTimestamp(now);
  return events_.Encode(BroadcastEventKey(t, b.broadcast_id()), ev, now);
}

absl::StatusOr<v1::ScheduleBroadcastResponse> BroadcastManager::Schedule(
    const Principal& caller, const v1::ScheduleBroadcastRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateBroadcastDetails("details", req.details(), clock_()); !st.ok()) return st;
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok())
    return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  if (auto st = CheckCourse(req.tenant_id(), req.details()); !st.ok()) return st;
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      Fingerprint({"ScheduleBroadcast", caller.subject, DeterministicBytes(req.details())});
  // With a key the id is derived from it, so a retry lands on the broadcast it created.
  const std::string id = NewId("b", t, req.idempotency_key());
  // The index first: a crash after it leaves an id that readers skip, never a broadcast that
  // cannot be listed.
  if (auto st = store_->IndexBroadcast(t, id, ToMillis(req.details().starts_at())); !st.ok()) {
    return st;
  }
  bool replayed = false;
  auto bytes = Write(
      t, id, "", "", "", 0,
      [&](const BroadcastSnapshot& snap, int64_t next, int64_t now) -> absl::StatusOr<Change> {
        Change ch;
        v1::ScheduleBroadcastResponse resp;
        if (snap.broadcast.has_value()) {
          if (req.idempotency_key().empty()) {
            return absl::AbortedError("a new broadcast id was already taken; retry");
          }
          if (snap.broadcast->create_fingerprint() != fingerprint) {
            return absl::FailedPreconditionError(
                "idempotency_key: already used to schedule a different broadcast; use a new key");
          }
          *resp.mutable_broadcast() = View(snap, true);
          ch.response = resp.SerializeAsString();
          return ch;
        }
        storage::StoredBroadcast def;
        v1::Broadcast& b = *def.mutable_broadcast();
        b.set_broadcast_id(id);
        b.set_tenant_id(t);
        *b.mutable_details() = req.details();
        b.set_state(v1::BROADCAST_STATE_SCHEDULED);
        *b.mutable_created_at() = ToTimestamp(now);
        *b.mutable_updated_at() = ToTimestamp(now);
        def.set_create_fingerprint(fingerprint);
        *resp.mutable_broadcast() = View(b, next, 0, 0, true);
        v1::BroadcastScheduled ev;
        *ev.mutable_broadcast() = resp.broadcast();
        ev.set_sequence(next);
        *ev.mutable_occurred_at() = ToTimestamp(now);
        ch.outbox_entries.push_back(events_.Encode(BroadcastEventKey(t, id), ev, now));
        ch.broadcast = std::move(def);
        ch.response = resp.SerializeAsString();
        return ch;
      },
      &replayed);
  if (!bytes.ok()) return bytes.status();
  log::Info("broadcast scheduled", {{"tenant_id", t}, {"broadcast_id", id}});
  return Parse<v1::ScheduleBroadcastResponse>(*bytes);
}

absl::StatusOr<v1::UpdateBroadcastResponse> BroadcastManager::Update(
    const Principal& caller, const v1::UpdateBroadcastRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (auto st = ValidateBroadcastDetails("details", req.details(), clock_()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  if (auto st = CheckCourse(req.tenant_id(), req.details()); !st.ok()) return st;
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  if (auto st = store_->IndexBroadcast(t, id, ToMillis(req.details().starts_at())); !st.ok()) {
    return st;
  }
  bool replayed = false;
  auto bytes = Write(
      t, id, "", "", "", req.details().capacity(),
      [&](const BroadcastSnapshot& snap, int64_t next, int64_t now) -> absl::StatusOr<Change> {
        if (!snap.broadcast.has_value()) return NoBroadcast(id);
        const v1::Broadcast& current = snap.broadcast->broadcast();
        if (current.state() == v1::BROADCAST_STATE_CANCELLED) {
          return absl::FailedPreconditionError(advocacy::StrCat(
              "broadcast_id: '", id, "' was cancelled; schedule a new broadcast instead"));
        }
        if (now >= StartsAt(current)) {
          return absl::FailedPreconditionError(advocacy::StrCat(
              "broadcast_id: '", id, "' has already started and can no longer be changed"));
        }
        if (req.details().capacity() < snap.registered_count) {
          return absl::FailedPreconditionError(
              advocacy::StrCat("details.capacity: ", snap.registered_count,
                               " people hold a seat; the capacity cannot go below that"));
        }
        Change ch;
        v1::UpdateBroadcastResponse resp;
        const bool details_changed =
            DeterministicBytes(current.details()) != DeterministicBytes(req.details());
        v1::Broadcast next_def = current;
        if (details_changed) {
          *next_def.mutable_details() = req.details();
          *next_def.mutable_updated_at() = ToTimestamp(now);
        }
        const int64_t free_seats = req.details().capacity() - snap.registered_count;
        const auto promote = static_cast<size_t>(
            std::min<int64_t>(free_seats, static_cast<int64_t>(snap.waiting_head.size())));
        if (!details_changed && promote == 0) {
          *resp.mutable_broadcast() = View(snap, true);
          ch.response = resp.SerializeAsString();
          return ch;
        }
        if (details_changed) {
          storage::StoredBroadcast def = *snap.broadcast;
          *def.mutable_broadcast() = next_def;
          ch.broadcast = std::move(def);
        }
        const v1::Broadcast after =
            View(next_def, next, snap.registered_count + static_cast<int64_t>(promote),
                 snap.waiting_count - static_cast<int64_t>(promote), true);
        if (details_changed) {
          v1::BroadcastChanged ev;
          *ev.mutable_broadcast() = after;
          *ev.mutable_previous_starts_at() = current.details().starts_at();
          ev.set_sequence(next);
          *ev.mutable_occurred_at() = ToTimestamp(now);
          ch.outbox_entries.push_back(events_.Encode(BroadcastEventKey(t, id), ev, now));
        }
        for (size_t i = 0; i < promote; ++i) {
          const std::string& p = snap.waiting_head[i];
          ch.seats.push_back({SeatOp::kRemoveWaiting, p, 0});
          ch.seats.push_back({SeatOp::kAddSeat, p, next});
          ch.outbox_entries.push_back(RegistrationEvent(
              t, after, p, v1::REGISTRATION_STATUS_REGISTERED, v1::REGISTRATION_STATUS_WAITLISTED,
              v1::REGISTRATION_CHANGE_REASON_PROMOTED, next, now));
          ch.outcomes.emplace_back("promoted");
          resp.add_promoted_employee_ids(p);
        }
        *resp.mutable_broadcast() = after;
        ch.response = resp.SerializeAsString();
        return ch;
      },
      &replayed);
  if (!bytes.ok()) return bytes.status();
  return Parse<v1::UpdateBroadcastResponse>(*bytes);
}

absl::StatusOr<v1::CancelBroadcastResponse> BroadcastManager::Cancel(
    const Principal& caller, const v1::CancelBroadcastRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (auto st = ValidateText("reason", req.reason(), 0, kMaxReasonBytes); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}); !st.ok()) {
    return st;
  }
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  bool replayed = false;
  auto bytes = Write(
      t, id, "", "", "", 0,
      [&](const BroadcastSnapshot& snap, int64_t next, int64_t now) -> absl::StatusOr<Change> {
        if (!snap.broadcast.has_value()) return NoBroadcast(id);
        Change ch;
        v1::CancelBroadcastResponse resp;
        if (snap.broadcast->broadcast().state() == v1::BROADCAST_STATE_CANCELLED) {
          *resp.mutable_broadcast() = View(snap, true);
          ch.response = resp.SerializeAsString();
          return ch;
        }
        storage::StoredBroadcast def = *snap.broadcast;
        v1::Broadcast& b = *def.mutable_broadcast();
        b.set_state(v1::BROADCAST_STATE_CANCELLED);
        b.set_cancel_reason(req.reason());
        *b.mutable_updated_at() = ToTimestamp(now);
        v1::BroadcastCancelled ev;
        ev.set_tenant_id(t);
        ev.set_broadcast_id(id);
        ev.set_reason(req.reason());
        *ev.mutable_starts_at() = b.details().starts_at();
        ev.set_sequence(next);
        *ev.mutable_occurred_at() = ToTimestamp(now);
        ch.outbox_entries.push_back(events_.Encode(BroadcastEventKey(t, id), ev, now));
        *resp.mutable_broadcast() = View(b, next, snap.registered_count, snap.waiting_count, true);
        ch.broadcast = std::move(def);
        ch.response = resp.SerializeAsString();
        return ch;
      },
      &replayed);
  if (!bytes.ok()) return bytes.status();
  log::Info("broadcast cancelled", {{"tenant_id", t}, {"broadcast_id", id}});
  return Parse<v1::CancelBroadcastResponse>(*bytes);
}

absl::StatusOr<v1::GetBroadcastResponse> BroadcastManager::Get(const Principal& caller,
                                                               const v1::GetBroadcastRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  const bool employee = caller.role == Role::kEmployee;
  auto snap =
      store_->LoadBroadcast(req.tenant_id(), req.broadcast_id(), employee ? caller.subject : "", 0);
  if (!snap.ok()) return snap.status();
  if (!snap->broadcast.has_value()) return NoBroadcast(req.broadcast_id());
  v1::GetBroadcastResponse resp;
  *resp.mutable_broadcast() =
      View(*snap, !employee || snap->status == v1::REGISTRATION_STATUS_REGISTERED);
  if (employee) {
    auto* r = resp.mutable_registration();
    r->set_employee_id(caller.subject);
    r->set_status(snap->status);
    r->set_waiting_position(static_cast<int32_t>(snap->waiting_position));
  }
  return resp;
}

absl::StatusOr<v1::ListBroadcastsResponse> BroadcastManager::List(
    const Principal& caller, const v1::ListBroadcastsRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  auto size = PageSize("page_size", req.page_size(), kMaxPageSize, kDefaultPageSize);
  if (!size.ok()) return size.status();
  auto offset = PageOffset("page_token", req.page_token());
  if (!offset.ok()) return offset.status();
  if (auto st = auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone); !st.ok())
    return st;
  const int64_t now = clock_();
  // Broadcasts still running started at most the longest duration ago.
  const int64_t min_start = req.include_past() ? std::numeric_limits<int64_t>::min()
                                               : now - int64_t{kMaxBroadcastMinutes} * 60 * 1000;
  auto page = store_->ListBroadcastIds(req.tenant_id(), min_start, *offset, *size);
  if (!page.ok()) return page.status();
  auto snaps = store_->LoadBroadcasts(req.tenant_id(), page->ids);
  if (!snaps.ok()) return snaps.status();
  v1::ListBroadcastsResponse resp;
  for (const auto& snap : *snaps) {
    if (!snap.broadcast.has_value()) continue;  // indexed, never committed
    const v1::Broadcast& b = snap.broadcast->broadcast();
    if (!req.include_cancelled() && b.state() == v1::BROADCAST_STATE_CANCELLED) continue;
    const int64_t ends = StartsAt(b) + int64_t{b.details().duration_minutes()} * 60 * 1000;
    if (!req.include_past() && ends <= now) continue;
    *resp.add_broadcasts() = View(snap, caller.role != Role::kEmployee);
  }
  // A page may hold fewer than page_size broadcasts when some were filtered out.
  if (page->more) {
    resp.set_next_page_token(PageToken(*offset + static_cast<int64_t>(page->ids.size())));
  }
  return resp;
}

absl::StatusOr<v1::RegisterForBroadcastResponse> BroadcastManager::Register(
    const Principal& caller, const v1::RegisterForBroadcastRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (auto st = ValidateIdempotencyKey("idempotency_key", req.idempotency_key()); !st.ok())
    return st;
  if (auto st = AuthorizeSelf(caller, req.tenant_id(), req.employee_id()); !st.ok()) return st;
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  const std::string& e = req.employee_id();
  bool replayed = false;
  auto bytes = Write(
      t, id, e, req.idempotency_key(), Fingerprint({"RegisterForBroadcast", e, id}), 0,
      [&](const BroadcastSnapshot& snap, int64_t next, int64_t now) -> absl::StatusOr<Change> {
        if (!snap.broadcast.has_value()) return NoBroadcast(id);
        const v1::Broadcast& b = snap.broadcast->broadcast();
        Change ch;
        v1::RegisterForBroadcastResponse resp;
        auto* reg = resp.mutable_registration();
        reg->set_employee_id(e);
        if (snap.status != v1::REGISTRATION_STATUS_NONE) {
          reg->set_status(snap.status);
          reg->set_waiting_position(static_cast<int32_t>(snap.waiting_position));
          *resp.mutable_broadcast() = View(snap, snap.status == v1::REGISTRATION_STATUS_REGISTERED);
          resp.set_unchanged(true);
          ch.response = resp.SerializeAsString();
          return ch;
        }
        if (b.state() == v1::BROADCAST_STATE_CANCELLED) {
          return absl::FailedPreconditionError(
              advocacy::StrCat("broadcast_id: '", id, "' was cancelled"));
        }
        if (now >= StartsAt(b)) {
          return absl::FailedPreconditionError(
              advocacy::StrCat("broadcast_id: '", id, "' started at ",
                               google::protobuf::util::TimeUtil::ToString(b.details().starts_at()),
                               "; registration is closed"));
        }
        int64_t registered = snap.registered_count;
        int64_t waiting = snap.waiting_count;
        if (snap.registered_count < b.details().capacity()) {
          ch.seats.push_back({SeatOp::kAddSeat, e, next});
          reg->set_status(v1::REGISTRATION_STATUS_REGISTERED);
          ++registered;
          ch.outcomes.emplace_back("registered");
        } else {
          ch.seats.push_back({SeatOp::kAddWaiting, e, next});
          reg->set_status(v1::REGISTRATION_STATUS_WAITLISTED);
          reg->set_waiting_position(static_cast<int32_t>(snap.waiting_count + 1));
          ++waiting;
          ch.outcomes.emplace_back("waitlisted");
        }
        const v1::Broadcast after = View(b, next, registered, waiting, true);
        ch.outbox_entries.push_back(
            RegistrationEvent(t, after, e, reg->status(), v1::REGISTRATION_STATUS_NONE,
                              v1::REGISTRATION_CHANGE_REASON_REGISTERED, next, now));
        *resp.mutable_broadcast() =
            View(b, next, registered, waiting, reg->status() == v1::REGISTRATION_STATUS_REGISTERED);
        ch.response = resp.SerializeAsString();
        return ch;
      },
      &replayed);
  if (!bytes.ok()) return bytes.status();
  auto resp = Parse<v1::RegisterForBroadcastResponse>(*bytes);
  if (resp.ok() && replayed) resp->set_unchanged(true);
  return resp;
}

absl::StatusOr<v1::CancelBroadcastRegistrationResponse> BroadcastManager::CancelRegistration(
    const Principal& caller, const v1::CancelBroadcastRegistrationRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (auto st = ValidateEmployeeId("employee_id", req.employee_id()); !st.ok()) return st;
  if (auto st = auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id());
      !st.ok()) {
    return st;
  }
  if (caller.role == Role::kService) {
    return absl::PermissionDeniedError(advocacy::StrCat(
        "service '", caller.subject,
        "' may not cancel registrations: the employee or an admin of the tenant does"));
  }
  const v1::RegistrationChangeReason reason =
      caller.role == Role::kAdmin ? v1::REGISTRATION_CHANGE_REASON_CANCELLED_BY_ADMIN
                                  : v1::REGISTRATION_CHANGE_REASON_CANCELLED_BY_EMPLOYEE;
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  const std::string& e = req.employee_id();
  bool replayed = false;
  auto bytes = Write(
      t, id, e, "", "", 1,
      [&](const BroadcastSnapshot& snap, int64_t next, int64_t now) -> absl::StatusOr<Change> {
        if (!snap.broadcast.has_value()) return NoBroadcast(id);
        const v1::Broadcast& b = snap.broadcast->broadcast();
        Change ch;
        v1::CancelBroadcastRegistrationResponse resp;
        if (snap.status == v1::REGISTRATION_STATUS_NONE) {
          *resp.mutable_broadcast() = View(snap, caller.role == Role::kAdmin);
          resp.set_unchanged(true);
          ch.response = resp.SerializeAsString();
          return ch;
        }
        int64_t registered = snap.registered_count;
        int64_t waiting = snap.waiting_count;
        std::string promoted;
        if (snap.status == v1::REGISTRATION_STATUS_WAITLISTED) {
          ch.seats.push_back({SeatOp::kRemoveWaiting, e, 0});
          --waiting;
        } else {
          ch.seats.push_back({SeatOp::kRemoveSeat, e, 0});
          --registered;
          // The freed seat goes to the head of the waiting list in this same commit.
          const bool open = b.state() == v1::BROADCAST_STATE_SCHEDULED && now < StartsAt(b);
          if (open && !snap.waiting_head.empty() && registered < b.details().capacity()) {
            promoted = snap.waiting_head.front();
            ch.seats.push_back({SeatOp::kRemoveWaiting, promoted, 0});
            ch.seats.push_back({SeatOp::kAddSeat, promoted, next});
            ++registered;
            --waiting;
          }
        }
        const v1::Broadcast after = View(b, next, registered, waiting, true);
        ch.outbox_entries.push_back(RegistrationEvent(t, after, e, v1::REGISTRATION_STATUS_NONE,
                                                      snap.status, reason, next, now));
        ch.outcomes.emplace_back("cancelled");
        if (!promoted.empty()) {
          ch.outbox_entries.push_back(
              RegistrationEvent(t, after, promoted, v1::REGISTRATION_STATUS_REGISTERED,
                                v1::REGISTRATION_STATUS_WAITLISTED,
                                v1::REGISTRATION_CHANGE_REASON_PROMOTED, next, now));
          ch.outcomes.emplace_back("promoted");
          resp.set_promoted_employee_id(promoted);
        }
        *resp.mutable_broadcast() = View(b, next, registered, waiting, caller.role == Role::kAdmin);
        ch.response = resp.SerializeAsString();
        return ch;
      },
      &replayed);
  if (!bytes.ok()) return bytes.status();
  return Parse<v1::CancelBroadcastRegistrationResponse>(*bytes);
}

absl::StatusOr<v1::ListBroadcastRegistrationsResponse> BroadcastManager::ListRegistrations(
    const Principal& caller, const v1::ListBroadcastRegistrationsRequest& req) {
  if (auto st = ValidateTenantId("tenant_id", req.tenant_id()); !st.ok()) return st;
  if (auto st = ValidateLabel("broadcast_id", req.broadcast_id()); !st.ok()) return st;
  if (req.status() != v1::REGISTRATION_STATUS_UNSPECIFIED &&
      req.status() != v1::REGISTRATION_STATUS_REGISTERED &&
      req.status() != v1::REGISTRATION_STATUS_WAITLISTED) {
    return absl::InvalidArgumentError(
        "status: REGISTRATION_STATUS_REGISTERED (the default) or REGISTRATION_STATUS_WAITLISTED");
  }
  auto size =
      PageSize("page_size", req.page_size(), kMaxRegistrationPage, kDefaultRegistrationPage);
  if (!size.ok()) return size.status();
  auto offset = PageOffset("page_token", req.page_token());
  if (!offset.ok()) return offset.status();
  if (auto st =
          auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin, Role::kService});
      !st.ok()) {
    return st;
  }
  auto snap = store_->LoadBroadcast(req.tenant_id(), req.broadcast_id(), "", 0);
  if (!snap.ok()) return snap.status();
  if (!snap->broadcast.has_value()) return NoBroadcast(req.broadcast_id());
  const bool waiting = req.status() == v1::REGISTRATION_STATUS_WAITLISTED;
  auto page = store_->ListSeats(req.tenant_id(), req.broadcast_id(), waiting, *offset, *size);
  if (!page.ok()) return page.status();
  v1::ListBroadcastRegistrationsResponse resp;
  for (size_t i = 0; i < page->ids.size(); ++i) {
    auto* r = resp.add_registrations();
    r->set_employee_id(page->ids[i]);
    r->set_status(waiting ? v1::REGISTRATION_STATUS_WAITLISTED
                          : v1::REGISTRATION_STATUS_REGISTERED);
    if (waiting)
      r->set_waiting_position(static_cast<int32_t>(*offset + static_cast<int64_t>(i) + 1));
  }
  if (page->more) {
    resp.set_next_page_token(PageToken(*offset + static_cast<int64_t>(page->ids.size())));
  }
  return resp;
}

}  // namespace advocacy::courses
