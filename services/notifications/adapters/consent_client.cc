#include "consent_client.h"

#include <algorithm>
#include <mutex>
#include <utility>

#include "advocacy/common/auth.h"
#include "advocacy/common/logging.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"
#include "notifications_config.h"

namespace advocacy::notifications {
namespace {

// Minted tokens live this long; the source re-mints kRefreshBefore ahead of expiry, so a
// token is never presented with less than a minute left (clock skew, slow calls).
constexpr std::chrono::seconds kTokenTtl{600};
constexpr std::chrono::seconds kRefreshBefore{60};

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
    return absl::InternalError(advocacy::StrCat(
        "cannot get a service token for the consent service: ", token.status().message()));
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

std::function<absl::StatusOr<std::string>()> MintingTokenSource(std::string private_key_pem,
                                                                std::string issuer,
                                                                std::string audience) {
  struct State {
    std::mutex mu;
    auth::MintOptions options;
    std::string token;                                 // guarded by mu
    std::chrono::system_clock::time_point refresh_at;  // guarded by mu
  };
  auto state = std::make_shared<State>();
  state->options.private_key_pem = std::move(private_key_pem);
  state->options.issuer = std::move(issuer);
  state->options.audience = std::move(audience);
  state->options.principal = {.tenant_id = std::string(auth::kAnyTenant),
                              .subject = "notifications",
                              .role = auth::Role::kService};
  state->options.ttl = kTokenTtl;
  return [state]() -> absl::StatusOr<std::string> {
    std::lock_guard lock(state->mu);
    const auto now = std::chrono::system_clock::now();
    if (state->token.empty() || now >= state->refresh_at) {
      ASSIGN_OR_RETURN(std::string token, auth::MintToken(state->options));
      state->token = std::move(token);
      state->refresh_at = now + kTokenTtl - kRefreshBefore;
    }
    return state->token;
  };
}

absl::StatusOr<std::unique_ptr<GrpcConsentGateway>> ConnectConsentGateway(
    const NotificationsConfig& config) {
  auto token_source = MintingTokenSource(config.signing_key_pem, config.runtime.jwt_issuer,
                                         config.runtime.jwt_audience);
  RETURN_IF_ERROR(token_source().status());
  grpc::ChannelArguments channel_args;
  channel_args.SetInt(GRPC_ARG_KEEPALIVE_TIME_MS, 30000);
  return std::make_unique<GrpcConsentGateway>(
      grpc::CreateCustomChannel(config.consent_addr, grpc::InsecureChannelCredentials(),
                                channel_args),
      std::move(token_source), config.consent_deadline);
}

}  // namespace advocacy::notifications
