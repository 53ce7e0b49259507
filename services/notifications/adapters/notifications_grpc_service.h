#pragma once

// The gRPC edge of the notifications service: a table from each RPC of
// advocacy.notifications.v1.NotificationsService to the domain function that answers it
// (rpc::UnaryService: request id, authentication, metrics and the one status mapping for all of
// them; the table is checked against the proto before serving).

#include <memory>

#include "advocacy/common/unary_service.h"
#include "notifications_manager.h"

namespace advocacy::notifications {

std::unique_ptr<rpc::UnaryService> NotificationsGrpcService(NotificationsManager* manager,
                                                            rpc::Runtime runtime);

}  // namespace advocacy::notifications
