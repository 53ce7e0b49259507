#pragma once

// The gRPC edge of the consent service: a table from each RPC of
// advocacy.consent.v1.ConsentService to the domain function that answers it (rpc::UnaryService:
// request id, authentication, metrics and the one status mapping for all of them; the table is
// checked against the proto before serving).

#include <memory>

#include "advocacy/common/unary_service.h"
#include "consent_manager.h"
#include "propagation_manager.h"
#include "propagation_waiter.h"

namespace advocacy::consent {

// `propagation` may be null: GetPropagationStatus then answers UNIMPLEMENTED. `waiter` may be
// null: WithdrawConsent then answers right after the commit, without propagation fields.
std::unique_ptr<rpc::UnaryService> ConsentGrpcService(ConsentManager* manager, rpc::Runtime runtime,
                                                      PropagationManager* propagation = nullptr,
                                                      PropagationWaiter* waiter = nullptr);

}  // namespace advocacy::consent
