#pragma once

// Free live broadcasts: scheduled sessions with a start time, a capacity and a join link.
// Registration gives a seat while seats are free and a place on a first-come-first-served
// waiting list after that; when a seat frees up (a cancellation, a larger capacity) it goes to
// the head of the waiting list in the same compare-and-set that freed it, with the events of
// both changes. The join link is shown to seat holders, admins and services only. This service
// never reminds anyone: the events tell the notifications service whom it may remind (see
// courses_events.proto). No gRPC and no Redis types here.

#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "advocacy/common/auth.h"
#include "advocacy/common/idempotent_write.h"
#include "advocacy/common/outbox.h"
#include "advocacy/courses/v1/courses_events.pb.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "catalog_manager.h"
#include "courses_domain.h"
#include "ports.h"

namespace advocacy::courses {

class BroadcastManager final {
 public:
  // `notifier` and `observer` may be null.
  BroadcastManager(CoursesStore* store, CatalogManager* catalog, outbox::Notifier* notifier,
                   CoursesObserver* observer, DomainOptions options, Clock clock = nullptr);

  absl::StatusOr<v1::ScheduleBroadcastResponse> Schedule(
      const auth::Principal& caller, const v1::ScheduleBroadcastRequest& request);
  absl::StatusOr<v1::UpdateBroadcastResponse> Update(const auth::Principal& caller,
                                                     const v1::UpdateBroadcastRequest& request);
  absl::StatusOr<v1::CancelBroadcastResponse> Cancel(const auth::Principal& caller,
                                                     const v1::CancelBroadcastRequest& request);
  absl::StatusOr<v1::GetBroadcastResponse> Get(const auth::Principal& caller,
                                               const v1::GetBroadcastRequest& request);
  absl::StatusOr<v1::ListBroadcastsResponse> List(const auth::Principal& caller,
                                                  const v1::ListBroadcastsRequest& request);
  absl::StatusOr<v1::RegisterForBroadcastResponse> Register(
      const auth::Principal& caller, const v1::RegisterForBroadcastRequest& request);
  absl::StatusOr<v1::CancelBroadcastRegistrationResponse> CancelRegistration(
      const auth::Principal& caller, const v1::CancelBroadcastRegistrationRequest& request);
  absl::StatusOr<v1::ListBroadcastRegistrationsResponse> ListRegistrations(
      const auth::Principal& caller, const v1::ListBroadcastRegistrationsRequest& request);

 private:
  struct Change {
    std::optional<storage::v1::StoredBroadcast> broadcast;  // the new definition, if it changed
    std::vector<SeatChange> seats;
    std::vector<std::string> outbox_entries;
    std::vector<std::string> outcomes;  // for metrics: "registered", "promoted", ...
    std::string response;
    bool changed() const { return broadcast.has_value() || !seats.empty(); }
  };
  using Decide = std::function<absl::StatusOr<Change>(const BroadcastSnapshot& snapshot,
                                                      int64_t next_sequence, int64_t now_ms)>;
  // What a write loads: the broadcast, with the registration of `employee_id` (who also owns
  // the idempotency key; empty for admin changes) and the first `waiting_head` people of the
  // waiting list, as much of it as the decision needs.
  struct Target {
    std::string tenant_id;
    std::string broadcast_id;
    std::string employee_id;
    int waiting_head = 0;
  };
  // The serialized response of a write, and whether it was replayed from the idempotency
  // record instead of decided now.
  struct Written {
    std::string response;
    bool replayed = false;
  };
  // One change of one broadcast (idempotent::Write): with a key, a recorded answer is replayed;
  // otherwise `decide` runs on a fresh snapshot until its commit wins.
  absl::StatusOr<Written> Write(const Target& target, const std::string& idempotency_key,
                                const std::string& fingerprint, const Decide& decide);
  // One attempt: load, decide, commit with the loaded sequence; then the relay's fast path and
  // the metrics.
  idempotent::Attempt<Written> TryCommit(const Target& target, const std::string& idempotency_key,
                                         const std::string& fingerprint, const Decide& decide);
  absl::Status CheckCourse(const std::string& tenant_id, const v1::BroadcastDetails& details);
  std::string RegistrationEvent(const std::string& tenant_id, const v1::Broadcast& broadcast,
                                const std::string& employee_id, v1::RegistrationStatus status,
                                v1::RegistrationStatus previous,
                                v1::RegistrationChangeReason reason, int64_t sequence,
                                int64_t now_ms) const;

  CoursesStore* store_;
  CatalogManager* catalog_;
  outbox::Notifier* notifier_;
  CoursesObserver* observer_;
  DomainOptions options_;
  Clock clock_;
  EventEncoder events_;
};

}  // namespace advocacy::courses
