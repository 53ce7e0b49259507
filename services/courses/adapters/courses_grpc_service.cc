#include "courses_grpc_service.h"

namespace advocacy::courses {

CoursesGrpcService::CoursesGrpcService(CatalogManager* catalog, LearningManager* learning,
                                       BroadcastManager* broadcasts, rpc::Runtime runtime)
    : catalog_(catalog), learning_(learning), broadcasts_(broadcasts), runtime_(runtime) {}

grpc::Status CoursesGrpcService::CreateCourse(grpc::ServerContext* ctx,
                                              const v1::CreateCourseRequest* req,
                                              v1::CreateCourseResponse* resp) {
  return rpc::Unary(runtime_, "CreateCourse", ctx, req, resp, catalog_,
                    &CatalogManager::CreateCourse);
}

grpc::Status CoursesGrpcService::UpdateCourse(grpc::ServerContext* ctx,
                                              const v1::UpdateCourseRequest* req,
                                              v1::UpdateCourseResponse* resp) {
  return rpc::Unary(runtime_, "UpdateCourse", ctx, req, resp, catalog_,
                    &CatalogManager::UpdateCourse);
}

grpc::Status CoursesGrpcService::PublishCourse(grpc::ServerContext* ctx,
                                               const v1::PublishCourseRequest* req,
                                               v1::PublishCourseResponse* resp) {
  return rpc::Unary(runtime_, "PublishCourse", ctx, req, resp, catalog_,
                    &CatalogManager::PublishCourse);
}

grpc::Status CoursesGrpcService::ArchiveCourse(grpc::ServerContext* ctx,
                                               const v1::ArchiveCourseRequest* req,
                                               v1::ArchiveCourseResponse* resp) {
  return rpc::Unary(runtime_, "ArchiveCourse", ctx, req, resp, catalog_,
                    &CatalogManager::ArchiveCourse);
}

grpc::Status CoursesGrpcService::GetCourse(grpc::ServerContext* ctx,
                                           const v1::GetCourseRequest* req,
                                           v1::GetCourseResponse* resp) {
  return rpc::Unary(runtime_, "GetCourse", ctx, req, resp, catalog_, &CatalogManager::GetCourse);
}

grpc::Status CoursesGrpcService::ListCourses(grpc::ServerContext* ctx,
                                             const v1::ListCoursesRequest* req,
                                             v1::ListCoursesResponse* resp) {
  return rpc::Unary(runtime_, "ListCourses", ctx, req, resp, catalog_,
                    &CatalogManager::ListCourses);
}

grpc::Status CoursesGrpcService::EnrollInCourse(grpc::ServerContext* ctx,
                                                const v1::EnrollInCourseRequest* req,
                                                v1::EnrollInCourseResponse* resp) {
  return rpc::Unary(runtime_, "EnrollInCourse", ctx, req, resp, learning_,
                    &LearningManager::Enroll);
}

grpc::Status CoursesGrpcService::WithdrawEnrollment(grpc::ServerContext* ctx,
                                                    const v1::WithdrawEnrollmentRequest* req,
                                                    v1::WithdrawEnrollmentResponse* resp) {
  return rpc::Unary(runtime_, "WithdrawEnrollment", ctx, req, resp, learning_,
                    &LearningManager::WithdrawEnrollment);
}

grpc::Status CoursesGrpcService::CompleteLesson(grpc::ServerContext* ctx,
                                                const v1::CompleteLessonRequest* req,
                                                v1::CompleteLessonResponse* resp) {
  return rpc::Unary(runtime_, "CompleteLesson", ctx, req, resp, learning_,
                    &LearningManager::CompleteLesson);
}

grpc::Status CoursesGrpcService::SubmitQuizAnswers(grpc::ServerContext* ctx,
                                                   const v1::SubmitQuizAnswersRequest* req,
                                                   v1::SubmitQuizAnswersResponse* resp) {
  return rpc::Unary(runtime_, "SubmitQuizAnswers", ctx, req, resp, learning_,
                    &LearningManager::SubmitQuizAnswers);
}

grpc::Status CoursesGrpcService::GetEnrollment(grpc::ServerContext* ctx,
                                               const v1::GetEnrollmentRequest* req,
                                               v1::GetEnrollmentResponse* resp) {
  return rpc::Unary(runtime_, "GetEnrollment", ctx, req, resp, learning_,
                    &LearningManager::GetEnrollment);
}

grpc::Status CoursesGrpcService::ListEnrollments(grpc::ServerContext* ctx,
                                                 const v1::ListEnrollmentsRequest* req,
                                                 v1::ListEnrollmentsResponse* resp) {
  return rpc::Unary(runtime_, "ListEnrollments", ctx, req, resp, learning_,
                    &LearningManager::ListEnrollments);
}

grpc::Status CoursesGrpcService::VerifyCertificate(grpc::ServerContext* ctx,
                                                   const v1::VerifyCertificateRequest* req,
                                                   v1::VerifyCertificateResponse* resp) {
  return rpc::Unary(runtime_, "VerifyCertificate", ctx, req, resp, learning_,
                    &LearningManager::VerifyCertificate);
}

grpc::Status CoursesGrpcService::CreateChecklist(grpc::ServerContext* ctx,
                                                 const v1::CreateChecklistRequest* req,
                                                 v1::CreateChecklistResponse* resp) {
  return rpc::Unary(runtime_, "CreateChecklist", ctx, req, resp, catalog_,
                    &CatalogManager::CreateChecklist);
}

grpc::Status CoursesGrpcService::UpdateChecklist(grpc::ServerContext* ctx,
                                                 const v1::UpdateChecklistRequest* req,
                                                 v1::UpdateChecklistResponse* resp) {
  return rpc::Unary(runtime_, "UpdateChecklist", ctx, req, resp, catalog_,
                    &CatalogManager::UpdateChecklist);
}

grpc::Status CoursesGrpcService::DeleteChecklist(grpc::ServerContext* ctx,
                                                 const v1::DeleteChecklistRequest* req,
                                                 v1::DeleteChecklistResponse* resp) {
  return rpc::Unary(runtime_, "DeleteChecklist", ctx, req, resp, catalog_,
                    &CatalogManager::DeleteChecklist);
}

grpc::Status CoursesGrpcService::GetChecklist(grpc::ServerContext* ctx,
                                              const v1::GetChecklistRequest* req,
                                              v1::GetChecklistResponse* resp) {
  return rpc::Unary(runtime_, "GetChecklist", ctx, req, resp, catalog_,
                    &CatalogManager::GetChecklist);
}

grpc::Status CoursesGrpcService::ListChecklists(grpc::ServerContext* ctx,
                                                const v1::ListChecklistsRequest* req,
                                                v1::ListChecklistsResponse* resp) {
  return rpc::Unary(runtime_, "ListChecklists", ctx, req, resp, catalog_,
                    &CatalogManager::ListChecklists);
}

grpc::Status CoursesGrpcService::SetChecklistItem(grpc::ServerContext* ctx,
                                                  const v1::SetChecklistItemRequest* req,
                                                  v1::SetChecklistItemResponse* resp) {
  return rpc::Unary(runtime_, "SetChecklistItem", ctx, req, resp, learning_,
                    &LearningManager::SetChecklistItem);
}

grpc::Status CoursesGrpcService::GetChecklistProgress(grpc::ServerContext* ctx,
                                                      const v1::GetChecklistProgressRequest* req,
                                                      v1::GetChecklistProgressResponse* resp) {
  return rpc::Unary(runtime_, "GetChecklistProgress", ctx, req, resp, learning_,
                    &LearningManager::GetChecklistProgress);
}

grpc::Status CoursesGrpcService::ScheduleBroadcast(grpc::ServerContext* ctx,
                                                   const v1::ScheduleBroadcastRequest* req,
                                                   v1::ScheduleBroadcastResponse* resp) {
  return rpc::Unary(runtime_, "ScheduleBroadcast", ctx, req, resp, broadcasts_,
                    &BroadcastManager::Schedule);
}

grpc::Status CoursesGrpcService::UpdateBroadcast(grpc::ServerContext* ctx,
                                                 const v1::UpdateBroadcastRequest* req,
                                                 v1::UpdateBroadcastResponse* resp) {
  return rpc::Unary(runtime_, "UpdateBroadcast", ctx, req, resp, broadcasts_,
                    &BroadcastManager::Update);
}

grpc::Status CoursesGrpcService::CancelBroadcast(grpc::ServerContext* ctx,
                                                 const v1::CancelBroadcastRequest* req,
                                                 v1::CancelBroadcastResponse* resp) {
  return rpc::Unary(runtime_, "CancelBroadcast", ctx, req, resp, broadcasts_,
                    &BroadcastManager::Cancel);
}

grpc::Status CoursesGrpcService::GetBroadcast(grpc::ServerContext* ctx,
                                              const v1::GetBroadcastRequest* req,
                                              v1::GetBroadcastResponse* resp) {
  return rpc::Unary(runtime_, "GetBroadcast", ctx, req, resp, broadcasts_, &BroadcastManager::Get);
}

grpc::Status CoursesGrpcService::ListBroadcasts(grpc::ServerContext* ctx,
                                                const v1::ListBroadcastsRequest* req,
                                                v1::ListBroadcastsResponse* resp) {
  return rpc::Unary(runtime_, "ListBroadcasts", ctx, req, resp, broadcasts_,
                    &BroadcastManager::List);
}

grpc::Status CoursesGrpcService::RegisterForBroadcast(grpc::ServerContext* ctx,
                                                      const v1::RegisterForBroadcastRequest* req,
                                                      v1::RegisterForBroadcastResponse* resp) {
  return rpc::Unary(runtime_, "RegisterForBroadcast", ctx, req, resp, broadcasts_,
                    &BroadcastManager::Register);
}

grpc::Status CoursesGrpcService::CancelBroadcastRegistration(
    grpc::ServerContext* ctx, const v1::CancelBroadcastRegistrationRequest* req,
    v1::CancelBroadcastRegistrationResponse* resp) {
  return rpc::Unary(runtime_, "CancelBroadcastRegistration", ctx, req, resp, broadcasts_,
                    &BroadcastManager::CancelRegistration);
}

grpc::Status CoursesGrpcService::ListBroadcastRegistrations(
    grpc::ServerContext* ctx, const v1::ListBroadcastRegistrationsRequest* req,
    v1::ListBroadcastRegistrationsResponse* resp) {
  return rpc::Unary(runtime_, "ListBroadcastRegistrations", ctx, req, resp, broadcasts_,
                    &BroadcastManager::ListRegistrations);
}

grpc::Status CoursesGrpcService::GetTenantPolicy(grpc::ServerContext* ctx,
                                                 const v1::GetTenantPolicyRequest* req,
                                                 v1::GetTenantPolicyResponse* resp) {
  return rpc::Unary(runtime_, "GetTenantPolicy", ctx, req, resp, catalog_,
                    &CatalogManager::GetTenantPolicy);
}

grpc::Status CoursesGrpcService::SetTenantPolicy(grpc::ServerContext* ctx,
                                                 const v1::SetTenantPolicyRequest* req,
                                                 v1::SetTenantPolicyResponse* resp) {
  return rpc::Unary(runtime_, "SetTenantPolicy", ctx, req, resp, catalog_,
                    &CatalogManager::SetTenantPolicy);
}

}  // namespace advocacy::courses
