#pragma once

// How advocacyctl prints responses: one short human line per fact by default, or the response as
// proto3 JSON with --json (field names in lowerCamelCase, enums by name, default values included
// so `granted: false` is visible rather than absent).

#include <google/protobuf/message.h>
#include <google/protobuf/timestamp.pb.h>

#include <string>

#include "absl/status/statusor.h"
#include "advocacy/consent/v1/consent_service.pb.h"

namespace advocacy::ctl {

absl::StatusOr<std::string> ToJson(const google::protobuf::Message& message);

// RFC 3339 in UTC, or "-" when unset.
std::string FormatTimestamp(const google::protobuf::Timestamp& ts);

// Each ends without a newline; multi-line results separate lines with '\n'.
std::string Human(const consent::v1::PublishNoticeResponse& response);
std::string Human(const consent::v1::GetCurrentNoticeResponse& response);
std::string Human(const consent::v1::GiveConsentResponse& response);
std::string Human(const consent::v1::WithdrawConsentResponse& response);
std::string Human(const consent::v1::CheckConsentResponse& response);
std::string Human(const consent::v1::GetConsentStateResponse& response);
std::string Human(const consent::v1::ListConsentHistoryResponse& response);
std::string Human(const consent::v1::BatchCheckConsentResponse& response);
std::string Human(const consent::v1::GetPropagationStatusResponse& response);

}  // namespace advocacy::ctl
