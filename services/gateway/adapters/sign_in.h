#pragma once

// The browser sign-in's parts, built from the configuration on the service's runtime: the
// identity provider (discovered in the background every 5 s until it answers; readiness waits
// for it), the Redis session store, the session manager, and the gateway's own anonymous
// identity. Nothing is built without GATEWAY_OIDC_ISSUER (a warning says browsers cannot sign
// in then).

#include <memory>

#include "advocacy/common/service_runtime.h"
#include "allow_list.h"
#include "anonymous_identity.h"
#include "gateway_config.h"
#include "oidc_provider.h"
#include "redis_session_store.h"
#include "session_manager.h"

namespace advocacy::gateway {

struct SignIn {
  std::unique_ptr<OidcProvider> provider;
  std::unique_ptr<RedisSessionStore> store;
  std::unique_ptr<SessionManager> sessions;      // null without an issuer
  std::unique_ptr<AnonymousIdentity> anonymous;  // null without its client secret
};

SignIn BuildSignIn(const GatewayConfig& cfg, const AllowList& allow, runtime::ServiceRuntime& rt);

}  // namespace advocacy::gateway
