#include "broadcast_manager.h"

#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <limits>

#include "advocacy/common/clock.h"
#include "advocacy/common/digest.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/ids.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/outbox.h"
#include "advocacy/common/status_macros.h"
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
                                   outbox::Notifier* notifier, CoursesObserver* observer,
                                   DomainOptions options, Clock clock)
    : store_(store),
      catalog_(catalog),
      notifier_(notifier),
      observer_(observer),
      options_(std::move(options)),
      clock_(clock ? std::move(clock) : Clock(clock::UnixMillis)),
      events_(options_) {}

absl::StatusOr<BroadcastManager::Written> BroadcastManager::Write(const Target& target,
                                                                  const std::string& key,
                                                                  const std::string& fingerprint,
                                                                  const Decide& decide) {
  return idempotent::Write<Written>(
      RetryOptions(options_, "this broadcast"), key, fingerprint,
      [&] {
        return store_->GetBroadcastIdempotency(target.tenant_id, target.broadcast_id,
                                               target.employee_id, key);
      },
      [](const storage::v1::IdempotencyRecord& record) -> absl::StatusOr<Written> {
        return Written{.response = record.response(), .replayed = true};
      },
      [&] { return TryCommit(target, key, fingerprint, decide); });
}

idempotent::Attempt<BroadcastManager::Written> BroadcastManager::TryCommit(
    const Target& target, const std::string& key, const std::string& fingerprint,
    const Decide& decide) {
  const std::string& t = target.tenant_id;
  const std::string& b = target.broadcast_id;
  ASSIGN_OR_RETURN(const BroadcastSnapshot snap,
                   store_->LoadBroadcast(t, b, target.employee_id, target.waiting_head));
  const int64_t now = clock_();
  const int64_t next = snap.sequence + 1;
  ASSIGN_OR_RETURN(Change change, decide(snap, next, now));
  if (!change.changed() && key.empty()) return Written{.response = std::move(change.response)};

  BroadcastCommit commit;
  commit.tenant_id = t;
  commit.broadcast_id = b;
  commit.expected_sequence = snap.sequence;
  commit.new_sequence = change.changed() ? next : snap.sequence;
  commit.broadcast = change.broadcast;
  commit.seats = change.seats;
  commit.outbox_entries = change.outbox_entries;
  commit.idempotency_employee_id = target.employee_id;
  commit.idempotency_key = key;
  commit.idempotency_ttl_ms = options_.idempotency_ttl.count();
  storage::v1::IdempotencyRecord record;
  record.set_fingerprint(fingerprint);
  record.set_sequence(commit.new_sequence);
  record.set_response(change.response);
  commit.idempotency_record = record.SerializeAsString();
  ASSIGN_OR_RETURN(const CommitResult committed, store_->CommitBroadcast(commit));
  if (committed != CommitResult::kCommitted) return idempotent::kConflict;  // decide again
  if (notifier_ != nullptr) {
    const std::string outbox_key = outbox::OutboxKey(kServiceName, BroadcastTag(t, b));
    for (const auto& entry : commit.outbox_entries) notifier_->Notify(outbox_key, entry);
  }
  if (observer_ != nullptr) {
    for (const auto& o : change.outcomes) observer_->RegistrationChanged(o);
  }
  return Written{.response = std::move(change.response)};
}

absl::Status BroadcastManager::CheckCourse(const std::string& t, const v1::BroadcastDetails& d) {
  if (d.course_id().empty()) return absl::OkStatus();
  ASSIGN_OR_RETURN(const std::optional<v1::Course> c, catalog_->FindCourse(t, d.course_id()));
  if (!c.has_value() || c->state() != v1::COURSE_STATE_PUBLISHED) {
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
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ValidateBroadcastDetails("details", req.details(), clock_()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  RETURN_IF_ERROR(CheckCourse(req.tenant_id(), req.details()));
  const std::string& t = req.tenant_id();
  const std::string fingerprint =
      digest::Fingerprint({"ScheduleBroadcast", caller.subject, DeterministicBytes(req.details())});
  // With a key the id is derived from it, so a retry lands on the broadcast it created.
  const std::string id = NewId("b", t, req.idempotency_key());
  // The index first: a crash after it leaves an id that readers skip, never a broadcast that
  // cannot be listed.
  RETURN_IF_ERROR(store_->IndexBroadcast(t, id, ToMillis(req.details().starts_at())));
  const Decide decide = [&](const BroadcastSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    Change ch;
    v1::ScheduleBroadcastResponse resp;
    if (snap.broadcast.has_value()) {
      if (req.idempotency_key().empty()) {
        return absl::AbortedError("a new broadcast id was already taken; retry");
      }
      RETURN_IF_ERROR(
          idempotent::CheckFingerprint(snap.broadcast->create_fingerprint(), fingerprint));
      *resp.mutable_broadcast() = View(snap, true);
      ch.response = resp.SerializeAsString();
      return ch;
    }
    storage::v1::StoredBroadcast def;
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
  };
  const Target target{.tenant_id = t, .broadcast_id = id};
  ASSIGN_OR_RETURN(const Written written, Write(target, "", "", decide));
  log::Info("broadcast scheduled", {{"tenant_id", t}, {"broadcast_id", id}});
  return Parse<v1::ScheduleBroadcastResponse>(written.response);
}

absl::StatusOr<v1::UpdateBroadcastResponse> BroadcastManager::Update(
    const Principal& caller, const v1::UpdateBroadcastRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  RETURN_IF_ERROR(ValidateBroadcastDetails("details", req.details(), clock_()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  RETURN_IF_ERROR(CheckCourse(req.tenant_id(), req.details()));
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  RETURN_IF_ERROR(store_->IndexBroadcast(t, id, ToMillis(req.details().starts_at())));
  const Decide decide = [&](const BroadcastSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
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
      storage::v1::StoredBroadcast def = *snap.broadcast;
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
  };
  // The decision needs as much of the waiting list as the new capacity could seat.
  const Target target{.tenant_id = t, .broadcast_id = id, .waiting_head = req.details().capacity()};
  ASSIGN_OR_RETURN(const Written written, Write(target, "", "", decide));
  return Parse<v1::UpdateBroadcastResponse>(written.response);
}

absl::StatusOr<v1::CancelBroadcastResponse> BroadcastManager::Cancel(
    const Principal& caller, const v1::CancelBroadcastRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  RETURN_IF_ERROR(ValidateText("reason", req.reason(), 0, kMaxReasonBytes));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin}));
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  const Decide decide = [&](const BroadcastSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
    if (!snap.broadcast.has_value()) return NoBroadcast(id);
    Change ch;
    v1::CancelBroadcastResponse resp;
    if (snap.broadcast->broadcast().state() == v1::BROADCAST_STATE_CANCELLED) {
      *resp.mutable_broadcast() = View(snap, true);
      ch.response = resp.SerializeAsString();
      return ch;
    }
    storage::v1::StoredBroadcast def = *snap.broadcast;
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
  };
  const Target target{.tenant_id = t, .broadcast_id = id};
  ASSIGN_OR_RETURN(const Written written, Write(target, "", "", decide));
  log::Info("broadcast cancelled", {{"tenant_id", t}, {"broadcast_id", id}});
  return Parse<v1::CancelBroadcastResponse>(written.response);
}

absl::StatusOr<v1::GetBroadcastResponse> BroadcastManager::Get(const Principal& caller,
                                                               const v1::GetBroadcastRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  const bool employee = caller.role == Role::kEmployee;
  ASSIGN_OR_RETURN(const BroadcastSnapshot snap,
                   store_->LoadBroadcast(req.tenant_id(), req.broadcast_id(),
                                         employee ? caller.subject : "", 0));
  if (!snap.broadcast.has_value()) return NoBroadcast(req.broadcast_id());
  v1::GetBroadcastResponse resp;
  *resp.mutable_broadcast() =
      View(snap, !employee || snap.status == v1::REGISTRATION_STATUS_REGISTERED);
  if (employee) {
    auto* r = resp.mutable_registration();
    r->set_employee_id(caller.subject);
    r->set_status(snap.status);
    r->set_waiting_position(static_cast<int32_t>(snap.waiting_position));
  }
  return resp;
}

absl::StatusOr<v1::ListBroadcastsResponse> BroadcastManager::List(
    const Principal& caller, const v1::ListBroadcastsRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  ASSIGN_OR_RETURN(const int size,
                   PageSize("page_size", req.page_size(), kMaxPageSize, kDefaultPageSize));
  ASSIGN_OR_RETURN(const int64_t offset, PageOffset("page_token", req.page_token()));
  RETURN_IF_ERROR(auth::AuthorizeTenantAccess(caller, req.tenant_id(), kEveryone));
  const int64_t now = clock_();
  // Broadcasts still running started at most the longest duration ago.
  const int64_t min_start = req.include_past() ? std::numeric_limits<int64_t>::min()
                                               : now - int64_t{kMaxBroadcastMinutes} * 60 * 1000;
  ASSIGN_OR_RETURN(const Page page,
                   store_->ListBroadcastIds(req.tenant_id(), min_start, offset, size));
  ASSIGN_OR_RETURN(const std::vector<BroadcastSnapshot> snaps,
                   store_->LoadBroadcasts(req.tenant_id(), page.ids));
  v1::ListBroadcastsResponse resp;
  for (const auto& snap : snaps) {
    if (!snap.broadcast.has_value()) continue;  // indexed, never committed
    const v1::Broadcast& b = snap.broadcast->broadcast();
    if (!req.include_cancelled() && b.state() == v1::BROADCAST_STATE_CANCELLED) continue;
    const int64_t ends = StartsAt(b) + int64_t{b.details().duration_minutes()} * 60 * 1000;
    if (!req.include_past() && ends <= now) continue;
    *resp.add_broadcasts() = View(snap, caller.role != Role::kEmployee);
  }
  // A page may hold fewer than page_size broadcasts when some were filtered out.
  if (page.more)
    resp.set_next_page_token(PageToken(offset + static_cast<int64_t>(page.ids.size())));
  return resp;
}

absl::StatusOr<v1::RegisterForBroadcastResponse> BroadcastManager::Register(
    const Principal& caller, const v1::RegisterForBroadcastRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(ids::ValidateIdempotencyKey("idempotency_key", req.idempotency_key()));
  RETURN_IF_ERROR(AuthorizeSelf(caller, req.tenant_id(), req.employee_id()));
  const std::string& t = req.tenant_id();
  const std::string& id = req.broadcast_id();
  const std::string& e = req.employee_id();
  const Decide decide = [&](const BroadcastSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
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
  };
  const Target target{.tenant_id = t, .broadcast_id = id, .employee_id = e};
  const std::string fingerprint = digest::Fingerprint({"RegisterForBroadcast", e, id});
  ASSIGN_OR_RETURN(const Written written,
                   Write(target, req.idempotency_key(), fingerprint, decide));
  ASSIGN_OR_RETURN(v1::RegisterForBroadcastResponse resp,
                   Parse<v1::RegisterForBroadcastResponse>(written.response));
  if (written.replayed) resp.set_unchanged(true);
  return resp;
}

absl::StatusOr<v1::CancelBroadcastRegistrationResponse> BroadcastManager::CancelRegistration(
    const Principal& caller, const v1::CancelBroadcastRegistrationRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  RETURN_IF_ERROR(ids::ValidateEmployeeId("employee_id", req.employee_id()));
  RETURN_IF_ERROR(auth::AuthorizeEmployeeAccess(caller, req.tenant_id(), req.employee_id()));
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
  const Decide decide = [&](const BroadcastSnapshot& snap, int64_t next,
                            int64_t now) -> absl::StatusOr<Change> {
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
      ch.outbox_entries.push_back(RegistrationEvent(
          t, after, promoted, v1::REGISTRATION_STATUS_REGISTERED,
          v1::REGISTRATION_STATUS_WAITLISTED, v1::REGISTRATION_CHANGE_REASON_PROMOTED, next, now));
      ch.outcomes.emplace_back("promoted");
      resp.set_promoted_employee_id(promoted);
    }
    *resp.mutable_broadcast() = View(b, next, registered, waiting, caller.role == Role::kAdmin);
    ch.response = resp.SerializeAsString();
    return ch;
  };
  // The decision needs the head of the waiting list, who takes a freed seat.
  const Target target{.tenant_id = t, .broadcast_id = id, .employee_id = e, .waiting_head = 1};
  ASSIGN_OR_RETURN(const Written written, Write(target, "", "", decide));
  return Parse<v1::CancelBroadcastRegistrationResponse>(written.response);
}

absl::StatusOr<v1::ListBroadcastRegistrationsResponse> BroadcastManager::ListRegistrations(
    const Principal& caller, const v1::ListBroadcastRegistrationsRequest& req) {
  RETURN_IF_ERROR(ids::ValidateTenantId("tenant_id", req.tenant_id()));
  RETURN_IF_ERROR(ids::ValidateObjectId("broadcast_id", req.broadcast_id()));
  if (req.status() != v1::REGISTRATION_STATUS_UNSPECIFIED &&
      req.status() != v1::REGISTRATION_STATUS_REGISTERED &&
      req.status() != v1::REGISTRATION_STATUS_WAITLISTED) {
    return absl::InvalidArgumentError(
        "status: REGISTRATION_STATUS_REGISTERED (the default) or REGISTRATION_STATUS_WAITLISTED");
  }
  ASSIGN_OR_RETURN(const int size, PageSize("page_size", req.page_size(), kMaxRegistrationPage,
                                            kDefaultRegistrationPage));
  ASSIGN_OR_RETURN(const int64_t offset, PageOffset("page_token", req.page_token()));
  RETURN_IF_ERROR(
      auth::AuthorizeTenantAccess(caller, req.tenant_id(), {Role::kAdmin, Role::kService}));
  ASSIGN_OR_RETURN(const BroadcastSnapshot snap,
                   store_->LoadBroadcast(req.tenant_id(), req.broadcast_id(), "", 0));
  if (!snap.broadcast.has_value()) return NoBroadcast(req.broadcast_id());
  const bool waiting = req.status() == v1::REGISTRATION_STATUS_WAITLISTED;
  ASSIGN_OR_RETURN(const Page page,
                   store_->ListSeats(req.tenant_id(), req.broadcast_id(), waiting, offset, size));
  v1::ListBroadcastRegistrationsResponse resp;
  for (size_t i = 0; i < page.ids.size(); ++i) {
    auto* r = resp.add_registrations();
    r->set_employee_id(page.ids[i]);
    r->set_status(waiting ? v1::REGISTRATION_STATUS_WAITLISTED
                          : v1::REGISTRATION_STATUS_REGISTERED);
    if (waiting)
      r->set_waiting_position(static_cast<int32_t>(offset + static_cast<int64_t>(i) + 1));
  }
  if (page.more)
    resp.set_next_page_token(PageToken(offset + static_cast<int64_t>(page.ids.size())));
  return resp;
}

}  // namespace advocacy::courses
