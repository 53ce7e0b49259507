#include "consent_client.h"

#include <algorithm>
#include <utility>

#include "advocacy/common/grpc_tls.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "notifications_config.h"

namespace advocacy::notifications {
namespace {

absl::Status CheckPurpose(cv1::Purpose purpose) {
  switch (purpose) {
    case cv1::PURPOSE_EMAIL_TIPS:
    case cv1::PURPOSE_COURSE_TIPS:
    case cv1::PURPOSE_LEADERBOARD:
      return absl::OkStatus();
    default:
      return absl::InvalidArgumentError(advocacy::StrCat(
          "purpose ", cv1::Purpose_Name(purpose),
          " is not a purpose without a network; notifications ask only about those"));
  }
}

absl::Status FromGrpc(const grpc::Status& s, std::string_view rpc) {
  if (s.ok()) return absl::OkStatus();
  return absl::Status(static_cast<absl::StatusCode>(s.error_code()),
                      advocacy::StrCat("consent service ", rpc, ": ", s.error_message()));
}

cv1::ConsentScope Scope(cv1::Purpose purpose) {
  cv1::ConsentScope scope;
  scope.set_purpose(purpose);
  return scope;
}

}  // namespace

GrpcConsentGateway::GrpcConsentGateway(std::shared_ptr<grpc::Channel> channel,
                                       std::function<absl::StatusOr<std::string>()> token_source,
                                       std::chrono::milliseconds deadline)
    : stub_(cv1::ConsentService::NewStub(std::move(channel))),
      token_source_(std::move(token_source)),
      deadline_(deadline) {}

absl::Status GrpcConsentGateway::Prepare(grpc::ClientContext* context) const {
  auto token = token_source_();
  if (!token.ok()) {
    log::Error(
        "notifications has no token for the consent service: the identity provider "
        "did not give one",
        {{"error", std::string(token.status().message())}});
    return absl::UnavailableError(advocacy::StrCat(
        "no token for the consent service from the identity provider: ", token.status().message()));
  }
  context->AddMetadata("authorization", advocacy::StrCat("Bearer ", *token));
  if (!log::CurrentRequestId().empty()) {
    context->AddMetadata("x-request-id", log::CurrentRequestId());
  }
  context->set_deadline(std::chrono::system_clock::now() + deadline_);
  return absl::OkStatus();
}

absl::StatusOr<std::vector<bool>> GrpcConsentGateway::BatchCheck(
    std::string_view tenant_id, cv1::Purpose purpose,
    const std::vector<std::string>& employee_ids) {
  RETURN_IF_ERROR(CheckPurpose(purpose));
  std::vector<bool> out;
  out.reserve(employee_ids.size());
  for (size_t start = 0; start < employee_ids.size(); start += kMaxBatch) {
    const size_t end = std::min(employee_ids.size(), start + kMaxBatch);
    cv1::BatchCheckConsentRequest req;
    req.set_tenant_id(std::string(tenant_id));
    *req.mutable_scope() = Scope(purpose);
    req.mutable_employee_ids()->Reserve(static_cast<int>(end - start));
    for (size_t i = start; i < end; ++i) req.add_employee_ids(employee_ids[i]);
    grpc::ClientContext ctx;
    RETURN_IF_ERROR(Prepare(&ctx));
    cv1::BatchCheckConsentResponse resp;
    RETURN_IF_ERROR(FromGrpc(stub_->BatchCheckConsent(&ctx, req, &resp), "BatchCheckConsent"));
    if (static_cast<size_t>(resp.results_size()) != end - start) {
      return absl::InternalError(advocacy::StrCat("consent service BatchCheckConsent answered ",
                                                  resp.results_size(), " results for ", end - start,
                                                  " employees"));
    }
    for (size_t i = start; i < end; ++i) {
      const auto& r = resp.results(static_cast<int>(i - start));
      if (r.employee_id() != employee_ids[i]) {
        return absl::InternalError(
            "consent service BatchCheckConsent answered out of order; no answer of the batch "
            "is used");
      }
      out.push_back(r.granted());
    }
  }
  return out;
}

absl::StatusOr<bool> GrpcConsentGateway::Check(std::string_view tenant_id,
                                               std::string_view employee_id, cv1::Purpose purpose) {
  RETURN_IF_ERROR(CheckPurpose(purpose));
  cv1::CheckConsentRequest req;
  req.set_tenant_id(std::string(tenant_id));
  req.set_employee_id(std::string(employee_id));
  *req.mutable_scope() = Scope(purpose);
  grpc::ClientContext ctx;
  RETURN_IF_ERROR(Prepare(&ctx));
  cv1::CheckConsentResponse resp;
  RETURN_IF_ERROR(FromGrpc(stub_->CheckConsent(&ctx, req, &resp), "CheckConsent"));
  return resp.granted();
}

absl::Status GrpcConsentGateway::Withdraw(std::string_view tenant_id, std::string_view employee_id,
                                          cv1::Purpose purpose, std::string_view idempotency_key) {
  RETURN_IF_ERROR(CheckPurpose(purpose));
  cv1::WithdrawConsentRequest req;
  req.set_tenant_id(std::string(tenant_id));
  req.set_employee_id(std::string(employee_id));
  *req.add_scopes() = Scope(purpose);
  req.set_method(cv1::CONSENT_METHOD_EMAIL_ONE_CLICK);
  req.set_idempotency_key(std::string(idempotency_key));
  grpc::ClientContext ctx;
  RETURN_IF_ERROR(Prepare(&ctx));
  cv1::WithdrawConsentResponse resp;
  return FromGrpc(stub_->WithdrawConsent(&ctx, req, &resp), "WithdrawConsent");
}

absl::StatusOr<std::unique_ptr<GrpcConsentGateway>> ConnectConsentGateway(
    const NotificationsConfig& config, std::shared_ptr<oidc::TokenSource> tokens) {
  auto credentials = grpc_tls::ChannelCredentials(config.runtime.grpc_tls);
  if (!credentials.ok()) return credentials.status();
  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  return std::make_unique<GrpcConsentGateway>(
      grpc::CreateCustomChannel(config.consent_addr, *credentials, channel_args),
      [tokens = std::move(tokens)] { return tokens->Get(); }, config.consent_deadline);
}

absl::Status ConsentTokenReadiness(const oidc::TokenSource& tokens) {
  const oidc::TokenSource::Stats s = tokens.stats();
  const auto now = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
  if (s.expires_at_unix > now) return absl::OkStatus();
  return absl::UnavailableError(
      advocacy::StrCat("no token for the consent service from the identity provider",
                       s.last_error.empty() ? "" : advocacy::StrCat(": ", s.last_error)));
}

}  // namespace advocacy::notifications
