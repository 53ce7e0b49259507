#include "allow_list.h"

#include <google/protobuf/descriptor.h>

#include <set>

#include "advocacy/common/strings.h"
#include "text.h"

namespace advocacy::gateway {

const std::vector<std::string_view>& BrowserRpcs() {
  static const auto* rpcs = new std::vector<std::string_view>{
      // consent: the employee's own choices, the notices, and what each service applied.
      "advocacy.consent.v1.ConsentService/GiveConsent",
      "advocacy.consent.v1.ConsentService/WithdrawConsent",
      "advocacy.consent.v1.ConsentService/GetConsentState",
      "advocacy.consent.v1.ConsentService/ListConsentHistory",
      "advocacy.consent.v1.ConsentService/GetCurrentNotice",
      "advocacy.consent.v1.ConsentService/PublishNotice",
      "advocacy.consent.v1.ConsentService/GetPropagationStatus",
      // content: the editorial side and the employee's feed, shares and own figures.
      "advocacy.content.v1.ContentService/CreateItem",
      "advocacy.content.v1.ContentService/SubmitItem",
      "advocacy.content.v1.ContentService/PublishItem",
      "advocacy.content.v1.ContentService/ArchiveItem",
      "advocacy.content.v1.ContentService/GetItem",
      "advocacy.content.v1.ContentService/ListItems",
      "advocacy.content.v1.ContentService/GetTenantSettings",
      "advocacy.content.v1.ContentService/UpdateTenantSettings",
      "advocacy.content.v1.ContentService/GetFeed",
      "advocacy.content.v1.ContentService/RecordShare",
      "advocacy.content.v1.ContentService/PreviewShare",
      "advocacy.content.v1.ContentService/ListMyShares",
      "advocacy.content.v1.ContentService/SetMyShareCap",
      "advocacy.content.v1.ContentService/GetMySharingLimits",
      "advocacy.content.v1.ContentService/GetMyStats",
      "advocacy.content.v1.ContentService/GetGroupStats",
      // courses: catalog, learning, checklists, broadcasts, policy.
      "advocacy.courses.v1.CoursesService/CreateCourse",
      "advocacy.courses.v1.CoursesService/UpdateCourse",
      "advocacy.courses.v1.CoursesService/PublishCourse",
      "advocacy.courses.v1.CoursesService/ArchiveCourse",
      "advocacy.courses.v1.CoursesService/GetCourse",
      "advocacy.courses.v1.CoursesService/ListCourses",
      "advocacy.courses.v1.CoursesService/EnrollInCourse",
      "advocacy.courses.v1.CoursesService/WithdrawEnrollment",
      "advocacy.courses.v1.CoursesService/CompleteLesson",
      "advocacy.courses.v1.CoursesService/SubmitQuizAnswers",
      "advocacy.courses.v1.CoursesService/GetEnrollment",
      "advocacy.courses.v1.CoursesService/ListEnrollments",
      "advocacy.courses.v1.CoursesService/VerifyCertificate",
      "advocacy.courses.v1.CoursesService/CreateChecklist",
      "advocacy.courses.v1.CoursesService/UpdateChecklist",
      "advocacy.courses.v1.CoursesService/DeleteChecklist",
      "advocacy.courses.v1.CoursesService/GetChecklist",
      "advocacy.courses.v1.CoursesService/ListChecklists",
      "advocacy.courses.v1.CoursesService/SetChecklistItem",
      "advocacy.courses.v1.CoursesService/GetChecklistProgress",
      "advocacy.courses.v1.CoursesService/ScheduleBroadcast",
      "advocacy.courses.v1.CoursesService/UpdateBroadcast",
      "advocacy.courses.v1.CoursesService/CancelBroadcast",
      "advocacy.courses.v1.CoursesService/GetBroadcast",
      "advocacy.courses.v1.CoursesService/ListBroadcasts",
      "advocacy.courses.v1.CoursesService/RegisterForBroadcast",
      "advocacy.courses.v1.CoursesService/CancelBroadcastRegistration",
      "advocacy.courses.v1.CoursesService/GetTenantPolicy",
      "advocacy.courses.v1.CoursesService/SetTenantPolicy",
      // notifications: the employee's address and tip preferences.
      "advocacy.notifications.v1.NotificationsService/UpsertRecipient",
      "advocacy.notifications.v1.NotificationsService/GetRecipient",
      "advocacy.notifications.v1.NotificationsService/SetPreferences",
      "advocacy.notifications.v1.NotificationsService/GetPreferences",
  };
  return *rpcs;
}

const std::vector<std::string_view>& AnonymousRpcs() {
  static const auto* rpcs =
      new std::vector<std::string_view>{"advocacy.courses.v1.CoursesService/VerifyCertificate"};
  return *rpcs;
}

absl::StatusOr<AllowList> AllowList::Create(const std::vector<std::string_view>& rpcs,
                                            const google::protobuf::DescriptorPool& pool,
                                            const std::vector<std::string_view>& anonymous) {
  AllowList list;
  for (std::string_view rpc : rpcs) {
    const size_t slash = rpc.find('/');
    if (slash == std::string_view::npos) {
      return absl::FailedPreconditionError(StrCat("'", rpc, "' is not <Service>/<Method>"));
    }
    const std::string service_name(rpc.substr(0, slash));
    const google::protobuf::ServiceDescriptor* service = pool.FindServiceByName(service_name);
    const google::protobuf::MethodDescriptor* method =
        service == nullptr ? nullptr
                           : service->FindMethodByName(std::string(rpc.substr(slash + 1)));
    if (method == nullptr) {
      return absl::FailedPreconditionError(
          StrCat("the allow-listed RPC ", rpc, " is not in the compiled protos"));
    }
    if (method->client_streaming() || method->server_streaming()) {
      return absl::FailedPreconditionError(StrCat("the allow-listed RPC ", rpc, " is not unary"));
    }
    const std::vector<std::string_view> package = text::Split(service->file()->package(), '.');
    if (package.size() != 3 || package[0] != "advocacy" || package[2] != "v1") {
      return absl::FailedPreconditionError(
          StrCat("the allow-listed RPC ", rpc, " is not in a package advocacy.<service>.v1"));
    }
    Route route{.path = StrCat("/", rpc), .upstream = std::string(package[1]), .method = method};
    if (!list.by_path_.emplace(route.path, list.routes_.size()).second) {
      return absl::FailedPreconditionError(StrCat("the RPC ", rpc, " is allow-listed twice"));
    }
    list.routes_.push_back(std::move(route));
  }
  for (std::string_view rpc : anonymous) {
    auto it = list.by_path_.find(StrCat("/", rpc));
    if (it == list.by_path_.end()) {
      return absl::FailedPreconditionError(
          StrCat("the anonymous RPC ", rpc, " is not on the browser allow-list"));
    }
    list.routes_[it->second].anonymous = true;
  }
  return list;
}

const Route* AllowList::Find(std::string_view path) const {
  auto it = by_path_.find(path);
  return it == by_path_.end() ? nullptr : &routes_[it->second];
}

std::vector<std::string> AllowList::upstreams() const {
  std::set<std::string> names;
  for (const Route& r : routes_) names.insert(r.upstream);
  return {names.begin(), names.end()};
}

}  // namespace advocacy::gateway
