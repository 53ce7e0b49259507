#include "allow_list.h"

#include <google/protobuf/descriptor.h>
#include <gtest/gtest.h>

#include <set>

#include "advocacy/consent/v1/consent_service.pb.h"
#include "advocacy/content/v1/content_service.pb.h"
#include "advocacy/courses/v1/courses_service.pb.h"
#include "advocacy/notifications/v1/notifications_service.pb.h"

namespace advocacy::gateway {
namespace {

const google::protobuf::DescriptorPool& Pool() {
  // Registers the four service files in the generated pool.
  (void)consent::v1::GiveConsentRequest::descriptor();
  (void)content::v1::CreateItemRequest::descriptor();
  (void)courses::v1::CreateCourseRequest::descriptor();
  (void)notifications::v1::UpsertRecipientRequest::descriptor();
  return *google::protobuf::DescriptorPool::generated_pool();
}

TEST(AllowList, TheBrowserListResolvesAgainstTheProtos) {
  const auto list = AllowList::Create(BrowserRpcs(), Pool());
  ASSERT_TRUE(list.ok()) << list.status();
  EXPECT_EQ(list->routes().size(), BrowserRpcs().size());
  EXPECT_EQ(list->upstreams(),
            (std::vector<std::string>{"consent", "content", "courses", "notifications"}));
  const Route* give = list->Find("/advocacy.consent.v1.ConsentService/GiveConsent");
  ASSERT_NE(give, nullptr);
  EXPECT_EQ(give->upstream, "consent");
  EXPECT_EQ(give->method->input_type()->full_name(), "advocacy.consent.v1.GiveConsentRequest");
  const Route* feed = list->Find("/advocacy.content.v1.ContentService/GetFeed");
  ASSERT_NE(feed, nullptr);
  EXPECT_EQ(feed->upstream, "content");
}

TEST(AllowList, ServiceOnlyAndPeopleListingRpcsAreNeverExposed) {
  const auto list = AllowList::Create(BrowserRpcs(), Pool());
  ASSERT_TRUE(list.ok());
  for (const char* path : {"/advocacy.consent.v1.ConsentService/CheckConsent",
                           "/advocacy.consent.v1.ConsentService/BatchCheckConsent",
                           "/advocacy.notifications.v1.NotificationsService/Trigger",
                           "/advocacy.notifications.v1.NotificationsService/BulkTrigger",
                           "/advocacy.notifications.v1.NotificationsService/ExplainDelivery",
                           "/advocacy.content.v1.ContentService/GetLeaderboard",
                           "/advocacy.courses.v1.CoursesService/ListBroadcastRegistrations",
                           "/grpc.health.v1.Health/Check",
                           "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo"}) {
    EXPECT_EQ(list->Find(path), nullptr) << path;
  }
}

TEST(AllowList, EveryOtherRpcOfTheFourServicesIsListedOnPurpose) {
  // A new RPC must be decided on: added to BrowserRpcs or to the refused list here.
  const std::set<std::string> refused = {
      "advocacy.consent.v1.ConsentService/CheckConsent",
      "advocacy.consent.v1.ConsentService/BatchCheckConsent",
      "advocacy.notifications.v1.NotificationsService/Trigger",
      "advocacy.notifications.v1.NotificationsService/BulkTrigger",
      "advocacy.notifications.v1.NotificationsService/ExplainDelivery",
      "advocacy.content.v1.ContentService/GetLeaderboard",
      "advocacy.courses.v1.CoursesService/ListBroadcastRegistrations"};
  const std::set<std::string> listed(BrowserRpcs().begin(), BrowserRpcs().end());
  for (const char* name :
       {"advocacy.consent.v1.ConsentService", "advocacy.content.v1.ContentService",
        "advocacy.courses.v1.CoursesService", "advocacy.notifications.v1.NotificationsService"}) {
    const auto* service = Pool().FindServiceByName(name);
    ASSERT_NE(service, nullptr) << name;
    for (int i = 0; i < service->method_count(); ++i) {
      const std::string rpc = std::string(name) + "/" + service->method(i)->name();
      EXPECT_NE(listed.count(rpc) + refused.count(rpc), 0u) << rpc << " is in neither list";
      EXPECT_FALSE(listed.count(rpc) != 0 && refused.count(rpc) != 0) << rpc;
    }
  }
}

TEST(AllowList, OnlyCertificateVerificationIsAnonymous) {
  const auto list = AllowList::Create(BrowserRpcs(), Pool(), AnonymousRpcs());
  ASSERT_TRUE(list.ok()) << list.status();
  std::vector<std::string> anonymous;
  for (const Route& r : list->routes()) {
    if (r.anonymous) anonymous.push_back(r.path);
  }
  EXPECT_EQ(anonymous,
            (std::vector<std::string>{"/advocacy.courses.v1.CoursesService/VerifyCertificate"}));
  // An anonymous RPC must be on the browser list too.
  EXPECT_FALSE(AllowList::Create({"advocacy.consent.v1.ConsentService/GiveConsent"}, Pool(),
                                 {"advocacy.courses.v1.CoursesService/VerifyCertificate"})
                   .ok());
}

TEST(AllowList, AnRpcMissingFromTheProtosStopsTheStart) {
  const auto list = AllowList::Create({"advocacy.consent.v1.ConsentService/Nope"}, Pool());
  EXPECT_EQ(list.status().code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_NE(list.status().message().find("Nope"), std::string::npos);
  EXPECT_FALSE(AllowList::Create({"no-slash"}, Pool()).ok());
  EXPECT_FALSE(AllowList::Create({"advocacy.consent.v1.ConsentService/GiveConsent",
                                  "advocacy.consent.v1.ConsentService/GiveConsent"},
                                 Pool())
                   .ok());
}

}  // namespace
}  // namespace advocacy::gateway
