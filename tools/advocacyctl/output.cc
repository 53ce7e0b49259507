#include "output.h"

#include <google/protobuf/duration.pb.h>
#include <google/protobuf/util/json_util.h>
#include <google/protobuf/util/time_util.h>

#include <algorithm>
#include <array>
#include <cstdio>

#include "absl/status/status.h"
#include "advocacy/common/strings.h"
#include "parsing.h"

namespace advocacy::ctl {
namespace {

namespace v1 = consent::v1;

std::string_view StateName(v1::ConsentState state) {
  switch (state) {
    case v1::CONSENT_STATE_GIVEN:
      return "given";
    case v1::CONSENT_STATE_WITHDRAWN:
      return "withdrawn";
    default:
      return "unspecified";
  }
}

// The CLI spelling of --method, so what is printed can be typed back.
std::string_view MethodName(v1::ConsentMethod method) {
  switch (method) {
    case v1::CONSENT_METHOD_APP_TOGGLE:
      return "app";
    case v1::CONSENT_METHOD_EMAIL_ONE_CLICK:
      return "email";
    case v1::CONSENT_METHOD_API:
      return "api";
    case v1::CONSENT_METHOD_ADMIN_ON_BEHALF:
      return "admin";
    default:
      return "unspecified";
  }
}

std::string_view RoleName(v1::ActorRole role) {
  switch (role) {
    case v1::ACTOR_ROLE_EMPLOYEE:
      return "employee";
    case v1::ACTOR_ROLE_ADMIN:
      return "admin";
    case v1::ACTOR_ROLE_SERVICE:
      return "service";
    default:
      return "unspecified";
  }
}

std::string Scopes(const google::protobuf::RepeatedPtrField<v1::ConsentScope>& scopes) {
  std::string out;
  for (const auto& scope : scopes) StrAppend(&out, out.empty() ? "" : ",", FormatScope(scope));
  return out.empty() ? "(none)" : out;
}

std::string Describe(const v1::Notice& n) {
  std::string out = StrCat("notice ", n.version(), " of tenant ", n.tenant_id(), " (ordinal ",
                           n.ordinal(), n.material() ? ", material" : "", ", published ",
                           FormatTimestamp(n.published_at()), ")");
  if (!n.summary().empty()) StrAppend(&out, ": ", n.summary());
  if (!n.url().empty()) StrAppend(&out, " <", n.url(), ">");
  return out;
}

std::string Describe(const v1::ScopeConsent& c) {
  std::string out = StrCat(FormatScope(c.scope()), " ", StateName(c.state()));
  if (c.state() == v1::CONSENT_STATE_GIVEN && !c.notice_version().empty()) {
    StrAppend(&out, " under notice ", c.notice_version());
  }
  StrAppend(&out, " (sequence ", c.sequence(), ", ", FormatTimestamp(c.changed_at()));
  if (c.needs_renewal()) out += ", needs renewal";
  out += ")";
  return out;
}

template <typename Response>
std::string DescribeChange(const Response& r) {
  std::string out = StrCat("sequence ", r.sequence(), r.unchanged() ? " (unchanged)" : "");
  for (const auto& c : r.consents()) StrAppend(&out, "\n  ", Describe(c));
  return out;
}

std::string Verdict(bool granted, int64_t sequence, bool needs_renewal) {
  return StrCat(granted ? "granted" : "not granted", " (sequence ", sequence,
                needs_renewal ? ", needs renewal" : "", ")");
}

// "0.042s", "3m05s", "2h10m": short enough to scan a column of services.
std::string FormatDuration(const google::protobuf::Duration& d) {
  const long long ms = std::max<long long>(0, d.seconds() * 1000LL + d.nanos() / 1000000);
  std::array<char, 32> buf{};
  if (ms < 60000) {
    std::snprintf(buf.data(), buf.size(), "%.3fs", static_cast<double>(ms) / 1000.0);
  } else if (ms < 3600000) {
    std::snprintf(buf.data(), buf.size(), "%lldm%02llds", ms / 60000, (ms / 1000) % 60);
  } else {
    std::snprintf(buf.data(), buf.size(), "%lldh%02lldm", ms / 3600000, (ms / 60000) % 60);
  }
  return buf.data();
}

// One consuming service's line, for GetPropagationStatus and WithdrawConsent.
std::string DescribeService(const v1::ServicePropagation& s, int64_t sequence) {
  std::string out = StrCat(s.service(), ": ");
  if (s.applied()) {
    StrAppend(&out, "applied ", FormatTimestamp(s.applied_time()), " (after ",
              FormatDuration(s.lag()));
    if (s.applied_sequence() != sequence) {
      StrAppend(&out, ", by the receipt of sequence ", s.applied_sequence());
    }
    out += ")";
  } else {
    StrAppend(&out, "NOT applied, waiting for ", FormatDuration(s.lag()),
              " (latest applied sequence ", s.latest_applied_sequence(), ")");
  }
  return out;
}

}  // namespace

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.always_print_primitive_fields = true;
  std::string out;
  const auto status = google::protobuf::util::MessageToJsonString(message, &out, options);
  if (!status.ok()) {
    return absl::InternalError(StrCat("cannot print the response as JSON: ", status.ToString()));
  }
  return out;
}

std::string FormatTimestamp(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  return google::protobuf::util::TimeUtil::ToString(ts);
}

std::string Human(const v1::PublishNoticeResponse& r) {
  return StrCat("published ", Describe(r.notice()));
}

std::string Human(const v1::GetCurrentNoticeResponse& r) {
  return StrCat("current ", Describe(r.notice()));
}

std::string Human(const v1::GiveConsentResponse& r) { return DescribeChange(r); }

std::string Human(const v1::WithdrawConsentResponse& r) {
  std::string out = DescribeChange(r);
  for (const auto& s : r.service_propagations()) {
    StrAppend(&out, "\n  ", DescribeService(s, r.sequence()));
  }
  const std::string waited = FormatDuration(r.propagation_wait());
  if (r.sequence() == 0) {
    out += "\nnothing to propagate: this employee never gave consent";
  } else if (r.fully_propagated()) {
    StrAppend(&out, "\nfully propagated: every consuming service had applied it (waited ", waited,
              ")");
  } else {
    std::string lagging;
    for (const auto& s : r.service_propagations()) {
      if (!s.applied()) StrAppend(&lagging, lagging.empty() ? "" : ", ", s.service());
    }
    StrAppend(&out, "\nNOT fully propagated (waited ", waited, ")");
    if (!lagging.empty()) StrAppend(&out, ": not yet applied by ", lagging);
    StrAppend(&out,
              "; the withdrawal is in force at the source; follow it with `consent "
              "propagation --sequence ",
              r.sequence(), "`");
  }
  return out;
}

std::string Human(const v1::CheckConsentResponse& r) {
  return Verdict(r.granted(), r.sequence(), r.needs_renewal());
}

std::string Human(const v1::GetConsentStateResponse& r) {
  std::string out = StrCat("sequence ", r.sequence());
  if (r.consents().empty()) out += " (no consent recorded: every scope is denied)";
  for (const auto& c : r.consents()) StrAppend(&out, "\n  ", Describe(c));
  return out;
}

std::string Human(const v1::ListConsentHistoryResponse& r) {
  std::string out;
  for (const auto& e : r.entries()) {
    if (!out.empty()) out += "\n";
    StrAppend(&out, "#", e.sequence(), " ", FormatTimestamp(e.recorded_at()), " ",
              StateName(e.state()), " ", Scopes(e.scopes()));
    if (!e.notice_version().empty()) StrAppend(&out, " under notice ", e.notice_version());
    StrAppend(&out, " by ", RoleName(e.actor().role()), " ", e.actor().subject(), " via ",
              MethodName(e.method()));
    if (!e.idempotency_key().empty()) StrAppend(&out, ", idempotency key ", e.idempotency_key());
    if (!e.event_id().empty()) StrAppend(&out, ", event ", e.event_id());
  }
  if (out.empty()) out = "no history";
  if (!r.next_page_token().empty()) {
    StrAppend(&out, "\nmore: --page-token ", r.next_page_token());
  }
  return out;
}

std::string Human(const v1::BatchCheckConsentResponse& r) {
  std::string out;
  for (const auto& result : r.results()) {
    if (!out.empty()) out += "\n";
    StrAppend(&out, result.employee_id(), ": ",
              Verdict(result.granted(), result.sequence(), /*needs_renewal=*/false));
  }
  return out.empty() ? "no results" : out;
}

std::string Human(const v1::GetPropagationStatusResponse& r) {
  std::string out =
      StrCat("sequence ", r.sequence(), " ", StateName(r.state()), " ", Scopes(r.scopes()),
             ", acknowledged ", FormatTimestamp(r.acknowledged_time()));
  for (const auto& s : r.services()) StrAppend(&out, "\n  ", DescribeService(s, r.sequence()));
  if (r.services().empty()) out += "\n  no consuming service is expected to report";
  StrAppend(&out, "\n", r.fully_applied() ? "fully applied" : "not fully applied");
  return out;
}

}  // namespace advocacy::ctl
