#pragma once

// Thin gRPC adapter: one rpc::Unary call per RPC (request id, authentication, metrics, status
// mapping), straight to a manager method. No domain logic here.

#include "advocacy/common/rpc.h"
#include "advocacy/courses/v1/courses_service.grpc.pb.h"
#include "broadcast_manager.h"
#include "catalog_manager.h"
#include "learning_manager.h"

namespace advocacy::courses {

class CoursesGrpcService final : public v1::CoursesService::Service {
 public:
  CoursesGrpcService(CatalogManager* catalog, LearningManager* learning,
                     BroadcastManager* broadcasts, rpc::Runtime runtime);
  grpc::Status CreateCourse(grpc::ServerContext* ctx, const v1::CreateCourseRequest* req,
                            v1::CreateCourseResponse* resp) override;
  grpc::Status UpdateCourse(grpc::ServerContext* ctx, const v1::UpdateCourseRequest* req,
                            v1::UpdateCourseResponse* resp) override;
  grpc::Status PublishCourse(grpc::ServerContext* ctx, const v1::PublishCourseRequest* req,
                             v1::PublishCourseResponse* resp) override;
  grpc::Status ArchiveCourse(grpc::ServerContext* ctx, const v1::ArchiveCourseRequest* req,
                             v1::ArchiveCourseResponse* resp) override;
  grpc::Status GetCourse(grpc::ServerContext* ctx, const v1::GetCourseRequest* req,
                         v1::GetCourseResponse* resp) override;
  grpc::Status ListCourses(grpc::ServerContext* ctx, const v1::ListCoursesRequest* req,
                           v1::ListCoursesResponse* resp) override;
  grpc::Status EnrollInCourse(grpc::ServerContext* ctx, const v1::EnrollInCourseRequest* req,
                              v1::EnrollInCourseResponse* resp) override;
  grpc::Status WithdrawEnrollment(grpc::ServerContext* ctx,
                                  const v1::WithdrawEnrollmentRequest* req,
                                  v1::WithdrawEnrollmentResponse* resp) override;
  grpc::Status CompleteLesson(grpc::ServerContext* ctx, const v1::CompleteLessonRequest* req,
                              v1::CompleteLessonResponse* resp) override;
  grpc::Status SubmitQuizAnswers(grpc::ServerContext* ctx, const v1::SubmitQuizAnswersRequest* req,
                                 v1::SubmitQuizAnswersResponse* resp) override;
  grpc::Status GetEnrollment(grpc::ServerContext* ctx, const v1::GetEnrollmentRequest* req,
                             v1::GetEnrollmentResponse* resp) override;
  grpc::Status ListEnrollments(grpc::ServerContext* ctx, const v1::ListEnrollmentsRequest* req,
                               v1::ListEnrollmentsResponse* resp) override;
  grpc::Status VerifyCertificate(grpc::ServerContext* ctx, const v1::VerifyCertificateRequest* req,
                                 v1::VerifyCertificateResponse* resp) override;
  grpc::Status CreateChecklist(grpc::ServerContext* ctx, const v1::CreateChecklistRequest* req,
                               v1::CreateChecklistResponse* resp) override;
  grpc::Status UpdateChecklist(grpc::ServerContext* ctx, const v1::UpdateChecklistRequest* req,
                               v1::UpdateChecklistResponse* resp) override;
  grpc::Status DeleteChecklist(grpc::ServerContext* ctx, const v1::DeleteChecklistRequest* req,
                               v1::DeleteChecklistResponse* resp) override;
  grpc::Status GetChecklist(grpc::ServerContext* ctx, const v1::GetChecklistRequest* req,
                            v1::GetChecklistResponse* resp) override;
  grpc::Status ListChecklists(grpc::ServerContext* ctx, const v1::ListChecklistsRequest* req,
                              v1::ListChecklistsResponse* resp) override;
  grpc::Status SetChecklistItem(grpc::ServerContext* ctx, const v1::SetChecklistItemRequest* req,
                                v1::SetChecklistItemResponse* resp) override;
  grpc::Status GetChecklistProgress(grpc::ServerContext* ctx,
                                    const v1::GetChecklistProgressRequest* req,
                                    v1::GetChecklistProgressResponse* resp) override;
  grpc::Status ScheduleBroadcast(grpc::ServerContext* ctx, const v1::ScheduleBroadcastRequest* req,
                                 v1::ScheduleBroadcastResponse* resp) override;
  grpc::Status UpdateBroadcast(grpc::ServerContext* ctx, const v1::UpdateBroadcastRequest* req,
                               v1::UpdateBroadcastResponse* resp) override;
  grpc::Status CancelBroadcast(grpc::ServerContext* ctx, const v1::CancelBroadcastRequest* req,
                               v1::CancelBroadcastResponse* resp) override;
  grpc::Status GetBroadcast(grpc::ServerContext* ctx, const v1::GetBroadcastRequest* req,
                            v1::GetBroadcastResponse* resp) override;
  grpc::Status ListBroadcasts(grpc::ServerContext* ctx, const v1::ListBroadcastsRequest* req,
                              v1::ListBroadcastsResponse* resp) override;
  grpc::Status RegisterForBroadcast(grpc::ServerContext* ctx,
                                    const v1::RegisterForBroadcastRequest* req,
                                    v1::RegisterForBroadcastResponse* resp) override;
  grpc::Status CancelBroadcastRegistration(grpc::ServerContext* ctx,
                                           const v1::CancelBroadcastRegistrationRequest* req,
                                           v1::CancelBroadcastRegistrationResponse* resp) override;
  grpc::Status ListBroadcastRegistrations(grpc::ServerContext* ctx,
                                          const v1::ListBroadcastRegistrationsRequest* req,
                                          v1::ListBroadcastRegistrationsResponse* resp) override;
  grpc::Status GetTenantPolicy(grpc::ServerContext* ctx, const v1::GetTenantPolicyRequest* req,
                               v1::GetTenantPolicyResponse* resp) override;
  grpc::Status SetTenantPolicy(grpc::ServerContext* ctx, const v1::SetTenantPolicyRequest* req,
                               v1::SetTenantPolicyResponse* resp) override;

 private:
  CatalogManager* catalog_;
  LearningManager* learning_;
  BroadcastManager* broadcasts_;
  rpc::Runtime runtime_;
};

}  // namespace advocacy::courses
