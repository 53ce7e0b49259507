#pragma once

// The gRPC edge of the courses service: a table from each RPC of advocacy.courses.v1.CoursesService
// to the domain function that answers it (rpc::UnaryService: request id, authentication, metrics
// and the one status mapping for all of them; the table is checked against the proto before
// serving).

#include <memory>

#include "advocacy/common/unary_service.h"
#include "broadcast_manager.h"
#include "catalog_manager.h"
#include "learning_manager.h"

namespace advocacy::courses {

std::unique_ptr<rpc::UnaryService> CoursesGrpcService(CatalogManager* catalog,
                                                      LearningManager* learning,
                                                      BroadcastManager* broadcasts,
                                                      rpc::Runtime runtime);

}  // namespace advocacy::courses
