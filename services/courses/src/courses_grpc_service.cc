#include "courses_grpc_service.h"

namespace advocacy::courses {

CoursesGrpcService::CoursesGrpcService(CatalogManager* catalog, LearningManager* learning,
                                       BroadcastManager* broadcasts, rpc::Runtime runtime)
    : catalog_(catalog), learning_(learning), broadcasts_(broadcasts), runtime_(runtime) {}

grpc::Status CoursesGrpcService::CreateCourse(grpc::ServerContext* ctx,
                                              const v1::CreateCourseRequest* req,
                                              v1::CreateCourseResponse* resp) {
  return Run("CreateCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CreateCourseRequest& r) {
               return catalog_->CreateCourse(p, r);
             });
}

grpc::Status CoursesGrpcService::UpdateCourse(grpc::ServerContext* ctx,
                                              const v1::UpdateCourseRequest* req,
                                              v1::UpdateCourseResponse* resp) {
  return Run("UpdateCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::UpdateCourseRequest& r) {
               return catalog_->UpdateCourse(p, r);
             });
}

grpc::Status CoursesGrpcService::PublishCourse(grpc::ServerContext* ctx,
                                               const v1::PublishCourseRequest* req,
                                               v1::PublishCourseResponse* resp) {
  return Run("PublishCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::PublishCourseRequest& r) {
               return catalog_->PublishCourse(p, r);
             });
}

grpc::Status CoursesGrpcService::ArchiveCourse(grpc::ServerContext* ctx,
                                               const v1::ArchiveCourseRequest* req,
                                               v1::ArchiveCourseResponse* resp) {
  return Run("ArchiveCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ArchiveCourseRequest& r) {
               return catalog_->ArchiveCourse(p, r);
             });
}

grpc::Status CoursesGrpcService::GetCourse(grpc::ServerContext* ctx,
                                           const v1::GetCourseRequest* req,
                                           v1::GetCourseResponse* resp) {
  return Run("GetCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetCourseRequest& r) {
               return catalog_->GetCourse(p, r);
             });
}

grpc::Status CoursesGrpcService::ListCourses(grpc::ServerContext* ctx,
                                             const v1::ListCoursesRequest* req,
                                             v1::ListCoursesResponse* resp) {
  return Run("ListCourses", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListCoursesRequest& r) {
               return catalog_->ListCourses(p, r);
             });
}

grpc::Status CoursesGrpcService::EnrollInCourse(grpc::ServerContext* ctx,
                                                const v1::EnrollInCourseRequest* req,
                                                v1::EnrollInCourseResponse* resp) {
  return Run("EnrollInCourse", ctx, req, resp,
             [this](const auth::Principal& p, const v1::EnrollInCourseRequest& r) {
               return learning_->Enroll(p, r);
             });
}

grpc::Status CoursesGrpcService::WithdrawEnrollment(grpc::ServerContext* ctx,
                                                    const v1::WithdrawEnrollmentRequest* req,
                                                    v1::WithdrawEnrollmentResponse* resp) {
  return Run("WithdrawEnrollment", ctx, req, resp,
             [this](const auth::Principal& p, const v1::WithdrawEnrollmentRequest& r) {
               return learning_->WithdrawEnrollment(p, r);
             });
}

grpc::Status CoursesGrpcService::CompleteLesson(grpc::ServerContext* ctx,
                                                const v1::CompleteLessonRequest* req,
                                                v1::CompleteLessonResponse* resp) {
  return Run("CompleteLesson", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CompleteLessonRequest& r) {
               return learning_->CompleteLesson(p, r);
             });
}

grpc::Status CoursesGrpcService::SubmitQuizAnswers(grpc::ServerContext* ctx,
                                                   const v1::SubmitQuizAnswersRequest* req,
                                                   v1::SubmitQuizAnswersResponse* resp) {
  return Run("SubmitQuizAnswers", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SubmitQuizAnswersRequest& r) {
               return learning_->SubmitQuizAnswers(p, r);
             });
}

grpc::Status CoursesGrpcService::GetEnrollment(grpc::ServerContext* ctx,
                                               const v1::GetEnrollmentRequest* req,
                                               v1::GetEnrollmentResponse* resp) {
  return Run("GetEnrollment", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetEnrollmentRequest& r) {
               return learning_->GetEnrollment(p, r);
             });
}

grpc::Status CoursesGrpcService::ListEnrollments(grpc::ServerContext* ctx,
                                                 const v1::ListEnrollmentsRequest* req,
                                                 v1::ListEnrollmentsResponse* resp) {
  return Run("ListEnrollments", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListEnrollmentsRequest& r) {
               return learning_->ListEnrollments(p, r);
             });
}

grpc::Status CoursesGrpcService::VerifyCertificate(grpc::ServerContext* ctx,
                                                   const v1::VerifyCertificateRequest* req,
                                                   v1::VerifyCertificateResponse* resp) {
  return Run("VerifyCertificate", ctx, req, resp,
             [this](const auth::Principal& p, const v1::VerifyCertificateRequest& r) {
               return learning_->VerifyCertificate(p, r);
             });
}

grpc::Status CoursesGrpcService::CreateChecklist(grpc::ServerContext* ctx,
                                                 const v1::CreateChecklistRequest* req,
                                                 v1::CreateChecklistResponse* resp) {
  return Run("CreateChecklist", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CreateChecklistRequest& r) {
               return catalog_->CreateChecklist(p, r);
             });
}

grpc::Status CoursesGrpcService::UpdateChecklist(grpc::ServerContext* ctx,
                                                 const v1::UpdateChecklistRequest* req,
                                                 v1::UpdateChecklistResponse* resp) {
  return Run("UpdateChecklist", ctx, req, resp,
             [this](const auth::Principal& p, const v1::UpdateChecklistRequest& r) {
               return catalog_->UpdateChecklist(p, r);
             });
}

grpc::Status CoursesGrpcService::DeleteChecklist(grpc::ServerContext* ctx,
                                                 const v1::DeleteChecklistRequest* req,
                                                 v1::DeleteChecklistResponse* resp) {
  return Run("DeleteChecklist", ctx, req, resp,
             [this](const auth::Principal& p, const v1::DeleteChecklistRequest& r) {
               return catalog_->DeleteChecklist(p, r);
             });
}

grpc::Status CoursesGrpcService::GetChecklist(grpc::ServerContext* ctx,
                                              const v1::GetChecklistRequest* req,
                                              v1::GetChecklistResponse* resp) {
  return Run("GetChecklist", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetChecklistRequest& r) {
               return catalog_->GetChecklist(p, r);
             });
}

grpc::Status CoursesGrpcService::ListChecklists(grpc::ServerContext* ctx,
                                                const v1::ListChecklistsRequest* req,
                                                v1::ListChecklistsResponse* resp) {
  return Run("ListChecklists", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListChecklistsRequest& r) {
               return catalog_->ListChecklists(p, r);
             });
}

grpc::Status CoursesGrpcService::SetChecklistItem(grpc::ServerContext* ctx,
                                                  const v1::SetChecklistItemRequest* req,
                                                  v1::SetChecklistItemResponse* resp) {
  return Run("SetChecklistItem", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SetChecklistItemRequest& r) {
               return learning_->SetChecklistItem(p, r);
             });
}

grpc::Status CoursesGrpcService::GetChecklistProgress(grpc::ServerContext* ctx,
                                                      const v1::GetChecklistProgressRequest* req,
                                                      v1::GetChecklistProgressResponse* resp) {
  return Run("GetChecklistProgress", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetChecklistProgressRequest& r) {
               return learning_->GetChecklistProgress(p, r);
             });
}

grpc::Status CoursesGrpcService::ScheduleBroadcast(grpc::ServerContext* ctx,
                                                   const v1::ScheduleBroadcastRequest* req,
                                                   v1::ScheduleBroadcastResponse* resp) {
  return Run("ScheduleBroadcast", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ScheduleBroadcastRequest& r) {
               return broadcasts_->Schedule(p, r);
             });
}

grpc::Status CoursesGrpcService::UpdateBroadcast(grpc::ServerContext* ctx,
                                                 const v1::UpdateBroadcastRequest* req,
                                                 v1::UpdateBroadcastResponse* resp) {
  return Run("UpdateBroadcast", ctx, req, resp,
             [this](const auth::Principal& p, const v1::UpdateBroadcastRequest& r) {
               return broadcasts_->Update(p, r);
             });
}

grpc::Status CoursesGrpcService::CancelBroadcast(grpc::ServerContext* ctx,
                                                 const v1::CancelBroadcastRequest* req,
                                                 v1::CancelBroadcastResponse* resp) {
  return Run("CancelBroadcast", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CancelBroadcastRequest& r) {
               return broadcasts_->Cancel(p, r);
             });
}

grpc::Status CoursesGrpcService::GetBroadcast(grpc::ServerContext* ctx,
                                              const v1::GetBroadcastRequest* req,
                                              v1::GetBroadcastResponse* resp) {
  return Run("GetBroadcast", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetBroadcastRequest& r) {
               return broadcasts_->Get(p, r);
             });
}

grpc::Status CoursesGrpcService::ListBroadcasts(grpc::ServerContext* ctx,
                                                const v1::ListBroadcastsRequest* req,
                                                v1::ListBroadcastsResponse* resp) {
  return Run("ListBroadcasts", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListBroadcastsRequest& r) {
               return broadcasts_->List(p, r);
             });
}

grpc::Status CoursesGrpcService::RegisterForBroadcast(grpc::ServerContext* ctx,
                                                      const v1::RegisterForBroadcastRequest* req,
                                                      v1::RegisterForBroadcastResponse* resp) {
  return Run("RegisterForBroadcast", ctx, req, resp,
             [this](const auth::Principal& p, const v1::RegisterForBroadcastRequest& r) {
               return broadcasts_->Register(p, r);
             });
}

grpc::Status CoursesGrpcService::CancelBroadcastRegistration(
    grpc::ServerContext* ctx, const v1::CancelBroadcastRegistrationRequest* req,
    v1::CancelBroadcastRegistrationResponse* resp) {
  return Run("CancelBroadcastRegistration", ctx, req, resp,
             [this](const auth::Principal& p, const v1::CancelBroadcastRegistrationRequest& r) {
               return broadcasts_->CancelRegistration(p, r);
             });
}

grpc::Status CoursesGrpcService::ListBroadcastRegistrations(
    grpc::ServerContext* ctx, const v1::ListBroadcastRegistrationsRequest* req,
    v1::ListBroadcastRegistrationsResponse* resp) {
  return Run("ListBroadcastRegistrations", ctx, req, resp,
             [this](const auth::Principal& p, const v1::ListBroadcastRegistrationsRequest& r) {
               return broadcasts_->ListRegistrations(p, r);
             });
}

grpc::Status CoursesGrpcService::GetTenantPolicy(grpc::ServerContext* ctx,
                                                 const v1::GetTenantPolicyRequest* req,
                                                 v1::GetTenantPolicyResponse* resp) {
  return Run("GetTenantPolicy", ctx, req, resp,
             [this](const auth::Principal& p, const v1::GetTenantPolicyRequest& r) {
               return catalog_->GetTenantPolicy(p, r);
             });
}

grpc::Status CoursesGrpcService::SetTenantPolicy(grpc::ServerContext* ctx,
                                                 const v1::SetTenantPolicyRequest* req,
                                                 v1::SetTenantPolicyResponse* resp) {
  return Run("SetTenantPolicy", ctx, req, resp,
             [this](const auth::Principal& p, const v1::SetTenantPolicyRequest& r) {
               return catalog_->SetTenantPolicy(p, r);
             });
}

}  // namespace advocacy::courses
