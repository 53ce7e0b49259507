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
      .Add("UpdateCourse", catalog, &CatalogManager::UpdateCourse)
      .Add("PublishCourse", catalog, &CatalogManager::PublishCourse)
      .Add("ArchiveCourse", catalog, &CatalogManager::ArchiveCourse)
      .Add("GetCourse", catalog, &CatalogManager::GetCourse)
      .Add("ListCourses", catalog, &CatalogManager::ListCourses)
      .Add("EnrollInCourse", learning, &LearningManager::Enroll)
      .Add("WithdrawEnrollment", learning, &LearningManager::WithdrawEnrollment)
      .Add("CompleteLesson", learning, &LearningManager::CompleteLesson)
      .Add("SubmitQuizAnswers", learning, &LearningManager::SubmitQuizAnswers)
      .Add("GetEnrollment", learning, &LearningManager::GetEnrollment)
      .Add("ListEnrollments", learning, &LearningManager::ListEnrollments)
      .Add("VerifyCertificate", learning, &LearningManager::VerifyCertificate)
      .Add("CreateChecklist", catalog, &CatalogManager::CreateChecklist)
      .Add("UpdateChecklist", catalog, &CatalogManager::UpdateChecklist)
      .Add("DeleteChecklist", catalog, &CatalogManager::DeleteChecklist)
      .Add("GetChecklist", catalog, &CatalogManager::GetChecklist)
      .Add("ListChecklists", catalog, &CatalogManager::ListChecklists)
      .Add("SetChecklistItem", learning, &LearningManager::SetChecklistItem)
      .Add("GetChecklistProgress", learning, &LearningManager::GetChecklistProgress)
      .Add("ScheduleBroadcast", broadcasts, &BroadcastManager::Schedule)
      .Add("UpdateBroadcast", broadcasts, &BroadcastManager::Update)
      .Add("CancelBroadcast", broadcasts, &BroadcastManager::Cancel)
      .Add("GetBroadcast", broadcasts, &BroadcastManager::Get)
      .Add("ListBroadcasts", broadcasts, &BroadcastManager::List)
      .Add("RegisterForBroadcast", broadcasts, &BroadcastManager::Register)
      .Add("CancelBroadcastRegistration", broadcasts, &BroadcastManager::CancelRegistration)
      .Add("ListBroadcastRegistrations", broadcasts, &BroadcastManager::ListRegistrations)
      .Add("GetTenantPolicy", catalog, &CatalogManager::GetTenantPolicy)
      .Add("SetTenantPolicy", catalog, &CatalogManager::SetTenantPolicy);
  return service;
}

}  // namespace advocacy::courses
