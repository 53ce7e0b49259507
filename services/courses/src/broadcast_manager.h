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
#include "advocacy/courses/v1/courses_events.pb.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "catalog_manager.h"
#include "courses_domain.h"
#include "courses_store.h"

namespace advocacy::courses {

class BroadcastManager final {
 public:
  // `observer` may be null.
  BroadcastManager(CoursesStore* store, CatalogManager* catalog, OutboxNotifier* notifier,
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
    std::optional<storage::StoredBroadcast> broadcast;  // the new definition, if it changed
    std::vector<SeatChange> seats;
    std::vector<std::string> outbox_entries;
    std::vector<std::string> outcomes;  // for metrics: "registered", "promoted", ...
    std::string response;
    bool changed() const { return broadcast.has_value() || !seats.empty(); }
  };
  using Decide = std::function<absl::StatusOr<Change>(const BroadcastSnapshot& snapshot,
                                                      int64_t next_sequence, int64_t now_ms)>;
  // `employee_id` is the employee whose registration the snapshot reports and who owns the
  // idempotency key; `waiting_head` how much of the waiting list the decision needs.
  absl::StatusOr<std::string> Write(const std::string& tenant_id, const std::string& broadcast_id,
                                    const std::string& employee_id,
                                    const std::string& idempotency_key,
                                    const std::string& fingerprint, int waiting_head,
                                    const Decide& decide, bool* replayed);
  absl::Status CheckCourse(const std::string& tenant_id, const v1::BroadcastDetails& details);
  std::string RegistrationEvent(const std::string& tenant_id, const v1::Broadcast& broadcast,
                                const std::string& employee_id, v1::RegistrationStatus status,
                                v1::RegistrationStatus previous,
                                v1::RegistrationChangeReason reason, int64_t sequence,
                                int64_t now_ms) const;

  CoursesStore* store_;
  CatalogManager* catalog_;
  OutboxNotifier* notifier_;
  CoursesObserver* observer_;
  DomainOptions options_;
  Clock clock_;
  EventEncoder events_;
};

}  // namespace advocacy::courses
