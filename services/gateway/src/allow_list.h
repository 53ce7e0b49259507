#pragma once

// Which RPCs browsers may call through the gateway, and which service answers each. The list is
// explicit and reviewed here: an RPC added to a proto is not reachable from a browser until it
// is added below. Never on it:
//  * service-to-service RPCs: CheckConsent and BatchCheckConsent (other services ask consent;
//    an admin who could batch-check employees could list who did not opt in), notifications'
//    Trigger and BulkTrigger;
//  * lists of people that would show who did not take part: content's GetLeaderboard, courses'
//    ListBroadcastRegistrations; notifications' ExplainDelivery (support tooling over gRPC).
// What a caller may do with an RPC on the list is still decided by the service, from the
// caller's token (role, tenant, subject), exactly as for any gRPC client.

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"

namespace google::protobuf {
class DescriptorPool;
class MethodDescriptor;
}  // namespace google::protobuf

namespace advocacy::gateway {

// One RPC browsers may call.
struct Route {
  std::string path;      // "/advocacy.consent.v1.ConsentService/GiveConsent"
  std::string upstream;  // "consent", "content", "courses", "notifications"
  const google::protobuf::MethodDescriptor* method = nullptr;
  // Callable without signing in (AnonymousRpcs): the gateway calls it with its own narrow
  // service identity when the browser has no session.
  bool anonymous = false;
};

// The RPCs (as "<Service full name>/<Method>") browsers may call.
const std::vector<std::string_view>& BrowserRpcs();
// Those of them anyone may call without signing in: VerifyCertificate (a certificate's code is
// meant to be checked by whoever the holder shows it to). Each needs the scope the gateway's own
// identity carries (courses:verify), and nothing else is reachable with it.
const std::vector<std::string_view>& AnonymousRpcs();

class AllowList {
 public:
  // The routes of `rpcs`, resolved in `pool`; the upstream of a route is its package's second
  // component (advocacy.<upstream>.v1). FAILED_PRECONDITION naming the RPC when it is not in
  // the pool, is not unary, or its package is not advocacy.<name>.v1.
  // `anonymous` must be a subset of `rpcs`.
  static absl::StatusOr<AllowList> Create(const std::vector<std::string_view>& rpcs,
                                          const google::protobuf::DescriptorPool& pool,
                                          const std::vector<std::string_view>& anonymous = {});
  // The route for a request path, or nullptr (not an RPC browsers may call).
  const Route* Find(std::string_view path) const;
  const std::vector<Route>& routes() const { return routes_; }
  // The upstreams the routes need, sorted.
  std::vector<std::string> upstreams() const;

 private:
  std::vector<Route> routes_;
  std::map<std::string, size_t, std::less<>> by_path_;
};

}  // namespace advocacy::gateway
