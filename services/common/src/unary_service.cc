#include "advocacy/common/unary_service.h"

#include <google/protobuf/descriptor.h>

#include <algorithm>
#include <set>

#include "advocacy/common/strings.h"

namespace advocacy::rpc {

absl::Status AuthorizeServiceScope(const auth::Principal& caller, std::string_view method,
                                   std::string_view scope) {
  if (caller.role != auth::Role::kService) return absl::OkStatus();
  if (scope.empty()) {
    return absl::PermissionDeniedError(StrCat("service principal '", caller.subject,
                                              "' may not call ", method,
                                              ": it is not open to service identities"));
  }
  if (!std::binary_search(caller.scopes.begin(), caller.scopes.end(), scope)) {
    return absl::PermissionDeniedError(StrCat("service principal '", caller.subject,
                                              "' may not call ", method,
                                              ": its token lacks the "
                                              "scope '",
                                              scope, "'"));
  }
  return absl::OkStatus();
}

UnaryService::UnaryService(std::string full_name, Runtime runtime)
    : full_name_(std::move(full_name)), runtime_(runtime) {}

UnaryService::Entry& UnaryService::Register(std::string_view method,
                                            const std::string& request_type,
                                            const std::string& response_type) {
  entries_.push_back({.method = std::string(method),
                      .path = StrCat("/", full_name_, "/", method),
                      .request_type = request_type,
                      .response_type = response_type});
  return entries_.back();
}

UnaryService& UnaryService::ServiceScope(std::string scope) {
  if (!entries_.empty()) entries_.back().service_scope = std::move(scope);
  return *this;
}

std::string UnaryService::ServiceScopeOf(std::string_view method) const {
  for (const Entry& e : entries_) {
    if (e.method == method) return e.service_scope;
  }
  return "";
}

absl::Status UnaryService::Verify() const {
  const google::protobuf::ServiceDescriptor* service =
      google::protobuf::DescriptorPool::generated_pool()->FindServiceByName(full_name_);
  if (service == nullptr) {
    return absl::FailedPreconditionError(
        StrCat("the gRPC service ", full_name_, " is not in the linked protos"));
  }
  std::vector<std::string> problems;
  std::set<std::string> seen;
  for (const Entry& e : entries_) {
    if (!seen.insert(e.method).second) {
      problems.push_back(StrCat(e.method, " has two handlers"));
      continue;
    }
    const google::protobuf::MethodDescriptor* m = service->FindMethodByName(e.method);
    if (m == nullptr) {
      problems.push_back(StrCat(e.method, " is not an RPC of ", full_name_));
      continue;
    }
    if (m->client_streaming() || m->server_streaming()) {
      problems.push_back(StrCat(e.method, " streams; only unary RPCs are served here"));
    }
    if (m->input_type()->full_name() != e.request_type) {
      problems.push_back(StrCat(e.method, " takes ", m->input_type()->full_name(), ", its handler ",
                                e.request_type));
    }
    if (m->output_type()->full_name() != e.response_type) {
      problems.push_back(StrCat(e.method, " answers ", m->output_type()->full_name(),
                                ", its handler ", e.response_type));
    }
  }
  for (int i = 0; i < service->method_count(); ++i) {
    if (seen.count(service->method(i)->name()) == 0) {
      problems.push_back(StrCat(service->method(i)->name(), " has no handler"));
    }
  }
  if (problems.empty()) return absl::OkStatus();
  std::string message = StrCat("the gRPC adapter of ", full_name_, " does not match its proto:");
  for (const std::string& p : problems) StrAppend(&message, " ", p, ";");
  return absl::FailedPreconditionError(message);
}

}  // namespace advocacy::rpc
