#include "parsing.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "advocacy/consent/v1/consent_service.pb.h"
#include "output.h"

namespace advocacy::ctl {
namespace {

namespace v1 = consent::v1;
using std::chrono::milliseconds;

TEST(ParseScope, AcceptsEveryDocumentedForm) {
  struct Case {
    std::string text;
    v1::Purpose purpose;
    v1::Network network;
  };
  const std::vector<Case> cases = {
      {"share:linkedin", v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_LINKEDIN},
      {"share:facebook", v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_FACEBOOK},
      {"suggestions:instagram", v1::PURPOSE_CONTENT_SUGGESTIONS, v1::NETWORK_INSTAGRAM},
      {"suggestions:x", v1::PURPOSE_CONTENT_SUGGESTIONS, v1::NETWORK_X},
      {"email-tips", v1::PURPOSE_EMAIL_TIPS, v1::NETWORK_UNSPECIFIED},
      {"course-tips", v1::PURPOSE_COURSE_TIPS, v1::NETWORK_UNSPECIFIED},
      {"leaderboard", v1::PURPOSE_LEADERBOARD, v1::NETWORK_UNSPECIFIED},
      {"Share:LinkedIn", v1::PURPOSE_SHARE_CONTENT, v1::NETWORK_LINKEDIN},
  };
  for (const Case& c : cases) {
    auto scope = ParseScope(c.text);
    ASSERT_TRUE(scope.ok()) << c.text << ": " << scope.status();
    EXPECT_EQ(scope->purpose(), c.purpose) << c.text;
    EXPECT_EQ(scope->network(), c.network) << c.text;
  }
}

TEST(ParseScope, RejectsBadSyntaxWithAHelpfulMessage) {
  for (const std::string& bad : std::vector<std::string>{
           "", "share", "share:", "share:myspace", "email-tips:linkedin", "tips", ":linkedin",
           "share:linkedin:extra", std::string("share:\x1b[31m")}) {
    auto scope = ParseScope(bad);
    ASSERT_FALSE(scope.ok()) << bad;
    EXPECT_EQ(scope.status().code(), absl::StatusCode::kInvalidArgument);
    const std::string message(scope.status().message());
    EXPECT_EQ(message.find('\x1b'), std::string::npos) << "control bytes must be escaped";
  }
  EXPECT_NE(std::string(ParseScope("share").status().message()).find("needs a network"),
            std::string::npos);
  EXPECT_NE(std::string(ParseScope("nope").status().message()).find("email-tips"),
            std::string::npos);
}

TEST(FormatScope, RoundTripsAndNamesUnknownValues) {
  for (const char* text :
       {"share:linkedin", "suggestions:x", "email-tips", "course-tips", "leaderboard"}) {
    EXPECT_EQ(FormatScope(*ParseScope(text)), text);
  }
  v1::ConsentScope future;
  future.set_purpose(static_cast<v1::Purpose>(42));
  future.set_network(static_cast<v1::Network>(9));
  EXPECT_EQ(FormatScope(future), "purpose(42):network(9)");
}

TEST(ParseDuration, UnitsAndBareSeconds) {
  EXPECT_EQ(*ParseDuration("500ms"), milliseconds(500));
  EXPECT_EQ(*ParseDuration("5s"), milliseconds(5000));
  EXPECT_EQ(*ParseDuration("5"), milliseconds(5000));
  EXPECT_EQ(*ParseDuration("2m"), milliseconds(120000));
  EXPECT_EQ(*ParseDuration("1h"), milliseconds(3600000));
  EXPECT_EQ(*ParseDuration("0s"), milliseconds(0));
  for (const char* bad : {"", "s", "-5s", "5 s", "5sec", "1.5s", "99999999999999h", "366000h"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

TEST(ParsePrincipal, RolesTenantsAndIds) {
  auto p = ParsePrincipal("employee:acme:e-1");
  ASSERT_TRUE(p.ok()) << p.status();
  EXPECT_EQ(p->role, auth::Role::kEmployee);
  EXPECT_EQ(p->tenant_id, "acme");
  EXPECT_EQ(p->subject, "e-1");

  auto with_colon = ParsePrincipal("admin:acme:urn:user:7");
  ASSERT_TRUE(with_colon.ok());
  EXPECT_EQ(with_colon->subject, "urn:user:7");

  auto any = ParsePrincipal("service:*:notifications");
  ASSERT_TRUE(any.ok());
  EXPECT_EQ(any->tenant_id, "*");

  for (const char* bad : {"", "employee", "employee:acme", "employee:acme:", "boss:acme:e1",
                          "employee::e1", "employee:*:e1", "admin:*:a1", "employee:acme:e 1"}) {
    EXPECT_FALSE(ParsePrincipal(bad).ok()) << bad;
  }
}

TEST(ParseMethod, KnownSpellings) {
  EXPECT_EQ(*ParseMethod(""), v1::CONSENT_METHOD_UNSPECIFIED);
  EXPECT_EQ(*ParseMethod("app"), v1::CONSENT_METHOD_APP_TOGGLE);
  EXPECT_EQ(*ParseMethod("API"), v1::CONSENT_METHOD_API);
  EXPECT_EQ(*ParseMethod("admin"), v1::CONSENT_METHOD_ADMIN_ON_BEHALF);
  EXPECT_EQ(*ParseMethod("email"), v1::CONSENT_METHOD_EMAIL_ONE_CLICK);
  EXPECT_FALSE(ParseMethod("toggle").ok());
}

TEST(SplitEmployeeIds, SeparatorsCommentsAndOrder) {
  EXPECT_EQ(SplitEmployeeIds("e1,e2, e3\n\n# a comment, with commas\ne4 # trailing\r\ne#5\ne1"),
            (std::vector<std::string>{"e1", "e2", "e3", "e4", "e#5", "e1"}));
  EXPECT_TRUE(SplitEmployeeIds("").empty());
  EXPECT_TRUE(SplitEmployeeIds(" ,\n# only a comment").empty());
}

TEST(IsValidUtf8, AcceptsUtf8AndRejectsMalformedBytes) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("acme"));
  EXPECT_TRUE(IsValidUtf8("Zürich \xe2\x82\xac \xf0\x9f\x98\x80"));
  for (const char* bad :
       {"\xff", "ac\xc3", "\xc0\xaf", "\xed\xa0\x80", "\xf4\x90\x80\x80", "\xe2\x28\xa1"}) {
    EXPECT_FALSE(IsValidUtf8(bad)) << bad;
  }
}

TEST(CheckUtf8Fields, NamesTheBadFieldIncludingRepeatedOnes) {
  v1::GiveConsentRequest ok;
  ok.set_tenant_id("acme");
  ok.set_employee_id("José");
  EXPECT_TRUE(CheckUtf8Fields(ok).ok());

  v1::GiveConsentRequest bad = ok;
  bad.set_notice_version("v\xff");
  auto st = CheckUtf8Fields(bad);
  EXPECT_EQ(st.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(std::string(st.message()).find("notice_version"), std::string::npos);

  v1::BatchCheckConsentRequest batch;
  batch.add_employee_ids("e1");
  batch.add_employee_ids("e\xc3");
  EXPECT_NE(std::string(CheckUtf8Fields(batch).message()).find("employee_ids"), std::string::npos);
}

TEST(Human, CheckAndBatchLines) {
  v1::CheckConsentResponse check;
  check.set_granted(true);
  check.set_sequence(3);
  check.set_needs_renewal(true);
  EXPECT_EQ(Human(check), "granted (sequence 3, needs renewal)");

  v1::BatchCheckConsentResponse batch;
  auto* r = batch.add_results();
  r->set_employee_id("e1");
  r->set_granted(false);
  EXPECT_EQ(Human(batch), "e1: not granted (sequence 0)");
}

TEST(Human, PropagationStatusShowsEachServiceAndTheVerdict) {
  v1::GetPropagationStatusResponse r;
  r.set_sequence(7);
  r.set_state(v1::CONSENT_STATE_WITHDRAWN);
  *r.add_scopes() = *ParseScope("share:linkedin");
  r.mutable_acknowledged_time()->set_seconds(1767225600);  // 2026-01-01T00:00:00Z
  auto* content = r.add_services();
  content->set_service("content");
  content->set_applied(true);
  content->set_applied_sequence(8);
  content->mutable_applied_time()->set_seconds(1767225600);
  content->mutable_applied_time()->set_nanos(42000000);
  content->mutable_lag()->set_nanos(42000000);
  auto* notifications = r.add_services();
  notifications->set_service("notifications");
  notifications->set_latest_applied_sequence(5);
  notifications->mutable_lag()->set_seconds(185);
  EXPECT_EQ(Human(r),
            "sequence 7 withdrawn share:linkedin, acknowledged 2026-01-01T00:00:00Z\n"
            "  content: applied 2026-01-01T00:00:00.042Z (after 0.042s, by the receipt of "
            "sequence 8)\n"
            "  notifications: NOT applied, waiting for 3m05s (latest applied sequence 5)\n"
            "not fully applied");
}

TEST(Human, WithdrawalSaysWhetherEveryServiceAppliedIt) {
  v1::WithdrawConsentResponse r;
  r.set_sequence(7);
  auto* consent = r.add_consents();
  *consent->mutable_scope() = *ParseScope("share:linkedin");
  consent->set_state(v1::CONSENT_STATE_WITHDRAWN);
  consent->set_sequence(7);
  consent->mutable_changed_at()->set_seconds(1767225600);
  auto* content = r.add_service_propagations();
  content->set_service("content");
  content->set_applied(true);
  content->set_applied_sequence(7);
  content->mutable_applied_time()->set_seconds(1767225600);
  content->mutable_applied_time()->set_nanos(6000000);
  content->mutable_lag()->set_nanos(6000000);
  r.set_fully_propagated(true);
  r.mutable_propagation_wait()->set_nanos(7000000);
  EXPECT_EQ(Human(r),
            "sequence 7\n"
            "  share:linkedin withdrawn (sequence 7, 2026-01-01T00:00:00Z)\n"
            "  content: applied 2026-01-01T00:00:00.006Z (after 0.006s)\n"
            "fully propagated: every consuming service had applied it (waited 0.007s)");

  auto* notifications = r.add_service_propagations();
  notifications->set_service("notifications");
  notifications->set_latest_applied_sequence(6);
  notifications->mutable_lag()->set_seconds(3);
  r.set_fully_propagated(false);
  r.mutable_propagation_wait()->set_seconds(3);
  r.mutable_propagation_wait()->set_nanos(0);
  EXPECT_EQ(Human(r),
            "sequence 7\n"
            "  share:linkedin withdrawn (sequence 7, 2026-01-01T00:00:00Z)\n"
            "  content: applied 2026-01-01T00:00:00.006Z (after 0.006s)\n"
            "  notifications: NOT applied, waiting for 3.000s (latest applied sequence 6)\n"
            "NOT fully propagated (waited 3.000s): not yet applied by notifications; the "
            "withdrawal is in force at the source; follow it with `consent propagation "
            "--sequence 7`");

  v1::WithdrawConsentResponse never;
  never.set_unchanged(true);
  never.set_fully_propagated(true);
  EXPECT_EQ(Human(never),
            "sequence 0 (unchanged)\nnothing to propagate: this employee never gave consent");
}

TEST(ToJson, IncludesDefaultValues) {
  v1::CheckConsentResponse check;
  auto json = ToJson(check);
  ASSERT_TRUE(json.ok());
  EXPECT_NE(json->find("\"granted\":false"), std::string::npos) << *json;
}

}  // namespace
}  // namespace advocacy::ctl
