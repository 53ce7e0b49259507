// Live broadcasts: capacity, the FIFO waiting list, promotion in the same commit as the
// cancellation that freed the seat, the join link's visibility, and the events for reminders.

#include "broadcast_manager.h"

#include <gtest/gtest.h>

#include <set>
#include <thread>

#include "advocacy/courses/v1/courses_events.pb.h"
#include "courses_test_util.h"

namespace advocacy::courses::testing {
namespace {

using absl::StatusCode;

class BroadcastTest : public CoursesFixture {
 protected:
  v1::BroadcastDetails Details(int capacity) {
    v1::BroadcastDetails d;
    d.set_title("Live: your LinkedIn profile in 30 minutes");
    d.set_description("Questions welcome.");
    *d.mutable_starts_at() = ToTimestamp(now_ms_ + 7 * 24 * 3600 * 1000LL);
    d.set_duration_minutes(30);
    d.set_capacity(capacity);
    d.set_join_url("https://meet.example/live-1");
    d.set_language("en");
    return d;
  }
  std::string Schedule(int capacity, const std::string& key = "") {
    v1::ScheduleBroadcastRequest req;
    req.set_tenant_id(kTenant);
    *req.mutable_details() = Details(capacity);
    req.set_idempotency_key(key);
    auto r = broadcasts_.Schedule(Admin(), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok() ? r->broadcast().broadcast_id() : "";
  }
  absl::StatusOr<v1::RegisterForBroadcastResponse> Register(const std::string& b,
                                                            const std::string& e,
                                                            const std::string& key = "") {
    v1::RegisterForBroadcastRequest req;
    req.set_tenant_id(kTenant);
    req.set_broadcast_id(b);
    req.set_employee_id(e);
    req.set_idempotency_key(key);
    return broadcasts_.Register(Employee(e), req);
  }
  absl::StatusOr<v1::CancelBroadcastRegistrationResponse> Unregister(
      const std::string& b, const std::string& e, const auth::Principal* who = nullptr) {
    v1::CancelBroadcastRegistrationRequest req;
    req.set_tenant_id(kTenant);
    req.set_broadcast_id(b);
    req.set_employee_id(e);
    return broadcasts_.CancelRegistration(who != nullptr ? *who : Employee(e), req);
  }
  std::vector<v1::Registration> Seats(const std::string& b, bool waiting) {
    v1::ListBroadcastRegistrationsRequest req;
    req.set_tenant_id(kTenant);
    req.set_broadcast_id(b);
    req.set_status(waiting ? v1::REGISTRATION_STATUS_WAITLISTED
                           : v1::REGISTRATION_STATUS_REGISTERED);
    auto r = broadcasts_.ListRegistrations(Service(), req);
    EXPECT_TRUE(r.ok()) << r.status();
    return r.ok()
               ? std::vector<v1::Registration>(r->registrations().begin(), r->registrations().end())
               : std::vector<v1::Registration>{};
  }
  static std::vector<std::string> Ids(const std::vector<v1::Registration>& regs) {
    std::vector<std::string> out;
    for (const auto& r : regs) out.push_back(r.employee_id());
    return out;
  }
  std::vector<v1::BroadcastRegistrationChanged> RegistrationEvents(const std::string& b) {
    std::vector<v1::BroadcastRegistrationChanged> out;
    for (const auto& ev : Events(advocacy::StrCat(kTenant, "/broadcast/", b))) {
      if (ev.type != "advocacy.courses.v1.BroadcastRegistrationChanged") continue;
      v1::BroadcastRegistrationChanged r;
      EXPECT_TRUE(r.ParseFromString(ev.message.payload));
      out.push_back(r);
    }
    return out;
  }
};

TEST_F(BroadcastTest, FullBroadcastQueuesAndACancellationPromotesTheNextPerson) {
  const std::string b = Schedule(2);
  auto a = Register(b, "anna");
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_EQ(a->registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(a->broadcast().details().join_url(), "https://meet.example/live-1");
  ASSERT_EQ(Register(b, "bo")->registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  auto c = Register(b, "cai");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->registration().status(), v1::REGISTRATION_STATUS_WAITLISTED);
  EXPECT_EQ(c->registration().waiting_position(), 1);
  EXPECT_TRUE(c->broadcast().details().join_url().empty());  // no seat, no link
  auto d = Register(b, "dina");
  EXPECT_EQ(d->registration().waiting_position(), 2);
  EXPECT_EQ(d->broadcast().registered_count(), 2);
  EXPECT_EQ(d->broadcast().waiting_count(), 2);
  // Registering again changes nothing.
  EXPECT_TRUE(Register(b, "cai")->unchanged());

  const int commits_before = memory_.broadcast_commits();
  auto cancelled = Unregister(b, "anna");
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->promoted_employee_id(), "cai");
  EXPECT_EQ(memory_.broadcast_commits(), commits_before + 1);  // one atomic step
  EXPECT_EQ(cancelled->broadcast().registered_count(), 2);
  EXPECT_EQ(cancelled->broadcast().waiting_count(), 1);
  EXPECT_EQ(Ids(Seats(b, false)), (std::vector<std::string>{"bo", "cai"}));
  const auto waiting = Seats(b, true);
  ASSERT_EQ(waiting.size(), 1u);
  EXPECT_EQ(waiting[0].employee_id(), "dina");
  EXPECT_EQ(waiting[0].waiting_position(), 1);

  v1::GetBroadcastRequest get;
  get.set_tenant_id(kTenant);
  get.set_broadcast_id(b);
  auto cai = broadcasts_.Get(Employee("cai"), get);
  ASSERT_TRUE(cai.ok());
  EXPECT_EQ(cai->registration().status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_FALSE(cai->broadcast().details().join_url().empty());
  auto dina = broadcasts_.Get(Employee("dina"), get);
  EXPECT_EQ(dina->registration().waiting_position(), 1);
  EXPECT_TRUE(dina->broadcast().details().join_url().empty());

  const auto events = RegistrationEvents(b);
  ASSERT_EQ(events.size(), 6u);
  EXPECT_EQ(events[4].employee_id(), "anna");
  EXPECT_EQ(events[4].status(), v1::REGISTRATION_STATUS_NONE);
  EXPECT_EQ(events[4].previous_status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(events[4].reason(), v1::REGISTRATION_CHANGE_REASON_CANCELLED_BY_EMPLOYEE);
  EXPECT_EQ(events[5].employee_id(), "cai");
  EXPECT_EQ(events[5].status(), v1::REGISTRATION_STATUS_REGISTERED);
  EXPECT_EQ(events[5].reason(), v1::REGISTRATION_CHANGE_REASON_PROMOTED);
  EXPECT_EQ(events[4].sequence(), events[5].sequence());
  EXPECT_EQ(events[5].sequence(), 6);  // scheduled, 4 registrations, the cancellation
  EXPECT_EQ(observer_.registrations,
            (std::vector<std::string>{"registered", "registered", "waitlisted", "waitlisted",
                                      "cancelled", "promoted"}));

  // Leaving the waiting list promotes nobody.
  auto dina_leaves = Unregister(b, "dina");
  ASSERT_TRUE(dina_leaves.ok());
  EXPECT_TRUE(dina_leaves->promoted_employee_id().empty());
  EXPECT_TRUE(Unregister(b, "dina")->unchanged());
}

TEST_F(BroadcastTest, ALargerCapacityPromotesInQueueOrderAndASmallerOneIsRefused) {
  const std::string b = Schedule(1);
  for (const char* e : {"e1", "e2", "e3", "e4"}) ASSERT_TRUE(Register(b, e).ok());
  v1::UpdateBroadcastRequest update;
  update.set_tenant_id(kTenant);
  update.set_broadcast_id(b);
  *update.mutable_details() = Details(3);
  auto grown = broadcasts_.Update(Admin(), update);
  ASSERT_TRUE(grown.ok()) << grown.status();
  EXPECT_EQ(std::vector<std::string>(grown->promoted_employee_ids().begin(),
                                     grown->promoted_employee_ids().end()),
            (std::vector<std::string>{"e2", "e3"}));
  EXPECT_EQ(Ids(Seats(b, false)), (std::vector<std::string>{"e1", "e2", "e3"}));
  EXPECT_EQ(Ids(Seats(b, true)), (std::vector<std::string>{"e4"}));
  *update.mutable_details() = Details(2);
  auto shrink = broadcasts_.Update(Admin(), update);
  EXPECT_EQ(shrink.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(shrink.status(), "details.capacity"));

  // Moving the start time is a BroadcastChanged event with the old time.
  *update.mutable_details() = Details(3);
  update.mutable_details()->mutable_starts_at()->set_seconds(
      update.details().starts_at().seconds() + 3600);
  ASSERT_TRUE(broadcasts_.Update(Admin(), update).ok());
  const auto events = Events(advocacy::StrCat(kTenant, "/broadcast/", b));
  ASSERT_EQ(events.back().type, "advocacy.courses.v1.BroadcastChanged");
  v1::BroadcastChanged changed;
  ASSERT_TRUE(changed.ParseFromString(events.back().message.payload));
  EXPECT_EQ(
      changed.broadcast().details().starts_at().seconds() - changed.previous_starts_at().seconds(),
      3600);
  EXPECT_EQ(changed.broadcast().registered_count(), 3);
}

TEST_F(BroadcastTest, CancelledOrStartedBroadcastsTakeNoRegistrations) {
  const std::string b = Schedule(10);
  ASSERT_TRUE(Register(b, "e1").ok());
  v1::CancelBroadcastRequest cancel;
  cancel.set_tenant_id(kTenant);
  cancel.set_broadcast_id(b);
  cancel.set_reason("The speaker is ill");
  auto cancelled = broadcasts_.Cancel(Admin(), cancel);
  ASSERT_TRUE(cancelled.ok()) << cancelled.status();
  EXPECT_EQ(cancelled->broadcast().state(), v1::BROADCAST_STATE_CANCELLED);
  EXPECT_EQ(Register(b, "e2").status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Events().back().type, "advocacy.courses.v1.BroadcastCancelled");

  const std::string soon = Schedule(10);
  now_ms_ += 8 * 24 * 3600 * 1000LL;
  auto late = Register(soon, "e2");
  EXPECT_EQ(late.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(late.status().message().find("registration is closed"), std::string::npos);
  EXPECT_EQ(Register("b-nope", "e2").status().code(), StatusCode::kNotFound);
  // ':' is not part of an employee id (it separates tenant and employee in keys).
  auto colon = Register(b, "anna:2");
  EXPECT_EQ(colon.status().code(), StatusCode::kInvalidArgument);
  EXPECT_TRUE(StartsWithField(colon.status(), "employee_id"));
}

TEST_F(BroadcastTest, RegistrationIsVoluntaryAndAdminsMayCancelOnly) {
  const std::string b = Schedule(1);
  v1::RegisterForBroadcastRequest req;
  req.set_tenant_id(kTenant);
  req.set_broadcast_id(b);
  req.set_employee_id("e1");
  EXPECT_EQ(broadcasts_.Register(Admin(), req).status().code(), StatusCode::kPermissionDenied);
  EXPECT_EQ(broadcasts_.Register(Employee("e2"), req).status().code(),
            StatusCode::kPermissionDenied);
  EXPECT_EQ(broadcasts_.Register(Employee("e1", "other"), req).status().code(),
            StatusCode::kPermissionDenied);
  ASSERT_TRUE(Register(b, "e1").ok());
  ASSERT_TRUE(Register(b, "e2").ok());
  const auth::Principal service = Service();
  EXPECT_EQ(Unregister(b, "e1", &service).status().code(), StatusCode::kPermissionDenied);
  const auth::Principal other = Employee("e2");
  EXPECT_EQ(Unregister(b, "e1", &other).status().code(), StatusCode::kPermissionDenied);
  const auth::Principal admin = Admin();
  auto by_admin = Unregister(b, "e1", &admin);
  ASSERT_TRUE(by_admin.ok()) << by_admin.status();
  EXPECT_EQ(by_admin->promoted_employee_id(), "e2");
  EXPECT_EQ(RegistrationEvents(b)[2].reason(), v1::REGISTRATION_CHANGE_REASON_CANCELLED_BY_ADMIN);
  v1::ScheduleBroadcastRequest schedule;
  schedule.set_tenant_id(kTenant);
  *schedule.mutable_details() = Details(5);
  EXPECT_EQ(broadcasts_.Schedule(Employee("e1"), schedule).status().code(),
            StatusCode::kPermissionDenied);
  v1::ListBroadcastRegistrationsRequest list;
  list.set_tenant_id(kTenant);
  list.set_broadcast_id(b);
  EXPECT_EQ(broadcasts_.ListRegistrations(Employee("e2"), list).status().code(),
            StatusCode::kPermissionDenied);
}

TEST_F(BroadcastTest, IdempotentScheduleAndRegistration) {
  const std::string b = Schedule(1, "live-1");
  EXPECT_EQ(Schedule(1, "live-1"), b);
  v1::ScheduleBroadcastRequest req;
  req.set_tenant_id(kTenant);
  *req.mutable_details() = Details(99);
  req.set_idempotency_key("live-1");
  EXPECT_EQ(broadcasts_.Schedule(Admin(), req).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(Events(advocacy::StrCat(kTenant, "/broadcast/", b)).size(), 1u);

  ASSERT_TRUE(Register(b, "e1", "r-1").ok());
  ASSERT_TRUE(Unregister(b, "e1").ok());
  // A late retry of the registration does not register again.
  auto retry = Register(b, "e1", "r-1");
  ASSERT_TRUE(retry.ok());
  EXPECT_TRUE(retry->unchanged());
  EXPECT_TRUE(Seats(b, false).empty());
}

TEST_F(BroadcastTest, BadDetailsNameTheField) {
  struct Case {
    std::string field;
    std::function<void(v1::BroadcastDetails&)> mutate;
  };
  const int64_t now = now_ms_;
  const std::vector<Case> cases = {
      {"details.title", [](auto& d) { d.clear_title(); }},
      {"details.starts_at", [](auto& d) { d.clear_starts_at(); }},
      {"details.starts_at", [&](auto& d) { *d.mutable_starts_at() = ToTimestamp(now - 1000); }},
      {"details.starts_at",
       [&](auto& d) { *d.mutable_starts_at() = ToTimestamp(now + 3 * 366 * 24 * 3600 * 1000LL); }},
      {"details.duration_minutes", [](auto& d) { d.set_duration_minutes(2); }},
      {"details.capacity", [](auto& d) { d.set_capacity(0); }},
      {"details.capacity", [](auto& d) { d.set_capacity(10001); }},
      {"details.join_url", [](auto& d) { d.set_join_url("meet.example/x"); }},
      {"details.language", [](auto& d) { d.clear_language(); }},
      {"details.course_id", [](auto& d) { d.set_course_id("not a course"); }},
  };
  for (const auto& tc : cases) {
    v1::ScheduleBroadcastRequest req;
    req.set_tenant_id(kTenant);
    *req.mutable_details() = Details(5);
    tc.mutate(*req.mutable_details());
    auto r = broadcasts_.Schedule(Admin(), req);
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << tc.field;
    EXPECT_TRUE(StartsWithField(r.status(), tc.field));
  }
  v1::ScheduleBroadcastRequest req;
  req.set_tenant_id(kTenant);
  *req.mutable_details() = Details(5);
  req.mutable_details()->set_course_id("c-unknown");
  auto r = broadcasts_.Schedule(Admin(), req);
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(StartsWithField(r.status(), "details.course_id"));
}

TEST_F(BroadcastTest, ListShowsUpcomingByStartTimeWithoutLinksForEmployees) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) {
    v1::ScheduleBroadcastRequest req;
    req.set_tenant_id(kTenant);
    *req.mutable_details() = Details(5);
    // Scheduled in reverse order of start.
    *req.mutable_details()->mutable_starts_at() = ToTimestamp(now_ms_ + (10 - i) * 3600 * 1000LL);
    ids.push_back(broadcasts_.Schedule(Admin(), req)->broadcast().broadcast_id());
  }
  v1::CancelBroadcastRequest cancel;
  cancel.set_tenant_id(kTenant);
  cancel.set_broadcast_id(ids[4]);
  ASSERT_TRUE(broadcasts_.Cancel(Admin(), cancel).ok());
  v1::ListBroadcastsRequest req;
  req.set_tenant_id(kTenant);
  req.set_page_size(2);
  std::vector<std::string> seen;
  for (int page = 0; page < 10; ++page) {
    auto r = broadcasts_.List(Employee("e1"), req);
    ASSERT_TRUE(r.ok()) << r.status();
    for (const auto& b : r->broadcasts()) {
      seen.push_back(b.broadcast_id());
      EXPECT_TRUE(b.details().join_url().empty());
    }
    if (r->next_page_token().empty()) break;
    req.set_page_token(r->next_page_token());
  }
  EXPECT_EQ(seen, (std::vector<std::string>{ids[3], ids[2], ids[1], ids[0]}));
  // Eleven hours on, the first four have ended.
  now_ms_ += 11 * 3600 * 1000LL;
  req.set_page_token("");
  req.set_page_size(0);
  EXPECT_EQ(broadcasts_.List(Employee("e1"), req)->broadcasts_size(), 0);
  req.set_include_past(true);
  req.set_include_cancelled(true);
  EXPECT_EQ(broadcasts_.List(Admin(), req)->broadcasts_size(), 5);
}

TEST_F(BroadcastTest, ConcurrentRegistrationsNeverExceedTheCapacity) {
  const std::string b = Schedule(5);
  constexpr int kEmployees = 24;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = t; i < kEmployees; i += 4) {
        auto r = Register(b, "e" + std::to_string(i));
        EXPECT_TRUE(r.ok()) << r.status();
      }
    });
  }
  for (auto& th : threads) th.join();
  const auto seated = Seats(b, false);
  const auto waiting = Seats(b, true);
  EXPECT_EQ(seated.size(), 5u);
  EXPECT_EQ(waiting.size(), static_cast<size_t>(kEmployees - 5));
  // The first five registration events got the seats, in sequence order.
  const auto events = RegistrationEvents(b);
  ASSERT_EQ(events.size(), static_cast<size_t>(kEmployees));
  std::set<int64_t> seqs;
  std::vector<std::pair<int64_t, std::string>> by_seq;
  for (const auto& ev : events) {
    seqs.insert(ev.sequence());
    by_seq.emplace_back(ev.sequence(), ev.employee_id());
  }
  EXPECT_EQ(seqs.size(), static_cast<size_t>(kEmployees));
  std::sort(by_seq.begin(), by_seq.end());
  std::vector<std::string> first_five;
  for (int i = 0; i < 5; ++i) first_five.push_back(by_seq[static_cast<size_t>(i)].second);
  EXPECT_EQ(Ids(seated), first_five);
  std::vector<std::string> queue;
  for (size_t i = 5; i < by_seq.size(); ++i) queue.push_back(by_seq[i].second);
  EXPECT_EQ(Ids(waiting), queue);

  // Everyone seated leaves: the queue moves up in order.
  for (const auto& s : seated) ASSERT_TRUE(Unregister(b, s.employee_id()).ok());
  std::vector<std::string> next_five(queue.begin(), queue.begin() + 5);
  EXPECT_EQ(Ids(Seats(b, false)), next_five);
}

}  // namespace
}  // namespace advocacy::courses::testing
