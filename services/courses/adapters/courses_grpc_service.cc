#include "courses_grpc_service.h"

#include "advocacy/courses/v1/courses_service.grpc.pb.h"

namespace advocacy::courses {

std::unique_ptr<rpc::UnaryService> CoursesGrpcService(CatalogManager* catalog,
                                                      LearningManager* learning,
                                                      BroadcastManager* broadcasts,
                                                      rpc::Runtime runtime) {
  auto service =
      std::make_unique<rpc::UnaryService>(v1::CoursesService::service_full_name(), runtime);
  (*service)
      .Add("CreateCourse", catalog, &CatalogManager::CreateCourse)
      .ServiceScope("courses:write")
      .Add("UpdateCourse", catalog, &CatalogManager::UpdateCourse)
      .ServiceScope("courses:write")
      .Add("PublishCourse", catalog, &CatalogManager::PublishCourse)
      .ServiceScope("courses:write")
      .Add("ArchiveCourse", catalog, &CatalogManager::ArchiveCourse)
      .ServiceScope("courses:write")
      .Add("GetCourse", catalog, &CatalogManager::GetCourse)
      .ServiceScope("courses:read")
      .Add("ListCourses", catalog, &CatalogManager::ListCourses)
      .ServiceScope("courses:read")
      .Add("EnrollInCourse", learning, &LearningManager::Enroll)
      .ServiceScope("courses:write")
      .Add("WithdrawEnrollment", learning, &LearningManager::WithdrawEnrollment)
      .ServiceScope("courses:write")
      .Add("CompleteLesson", learning, &LearningManager::CompleteLesson)
      .ServiceScope("courses:write")
      .Add("SubmitQuizAnswers", learning, &LearningManager::SubmitQuizAnswers)
      .ServiceScope("courses:write")
      .Add("GetEnrollment", learning, &LearningManager::GetEnrollment)
      .ServiceScope("courses:read")
      .Add("ListEnrollments", learning, &LearningManager::ListEnrollments)
      .ServiceScope("courses:read")
      // A scope of its own: the gateway's anonymous identity may verify certificates and do
      // nothing else.
      .Add("VerifyCertificate", learning, &LearningManager::VerifyCertificate)
      .ServiceScope("courses:verify")
      .Add("CreateChecklist", catalog, &CatalogManager::CreateChecklist)
      .ServiceScope("courses:write")
      .Add("UpdateChecklist", catalog, &CatalogManager::UpdateChecklist)
      .ServiceScope("courses:write")
      .Add("DeleteChecklist", catalog, &CatalogManager::DeleteChecklist)
      .ServiceScope("courses:write")
      .Add("GetChecklist", catalog, &CatalogManager::GetChecklist)
      .ServiceScope("courses:read")
      .Add("ListChecklists", catalog, &CatalogManager::ListChecklists)
      .ServiceScope("courses:read")
      .Add("SetChecklistItem", learning, &LearningManager::SetChecklistItem)
      .ServiceScope("courses:write")
      .Add("GetChecklistProgress", learning, &LearningManager::GetChecklistProgress)
      .ServiceScope("courses:read")
      .Add("ScheduleBroadcast", broadcasts, &BroadcastManager::Schedule)
      .ServiceScope("courses:write")
      .Add("UpdateBroadcast", broadcasts, &BroadcastManager::Update)
      .ServiceScope("courses:write")
      .Add("CancelBroadcast", broadcasts, &BroadcastManager::Cancel)
      .ServiceScope("courses:write")
      .Add("GetBroadcast", broadcasts, &BroadcastManager::Get)
      .ServiceScope("courses:read")
      .Add("ListBroadcasts", broadcasts, &BroadcastManager::List)
      .ServiceScope("courses:read")
      .Add("RegisterForBroadcast", broadcasts, &BroadcastManager::Register)
      .ServiceScope("courses:write")
      .Add("CancelBroadcastRegistration", broadcasts, &BroadcastManager::CancelRegistration)
      .ServiceScope("courses:write")
      .Add("ListBroadcastRegistrations", broadcasts, &BroadcastManager::ListRegistrations)
      .ServiceScope("courses:read")
      .Add("GetTenantPolicy", catalog, &CatalogManager::GetTenantPolicy)
      .ServiceScope("courses:read")
      .Add("SetTenantPolicy", catalog, &CatalogManager::SetTenantPolicy)
      .ServiceScope("courses:write");
  return service;
}

}  // namespace advocacy::courses
