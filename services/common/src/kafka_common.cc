#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "advocacy/common/kafka.h"
#include "advocacy/common/logging.h"
#include "kafka_internal.h"

namespace advocacy::kafka {

std::string DeadLetterTopic(std::string_view topic, std::string_view consumer) {
  std::string out;
  out.reserve(topic.size() + consumer.size() + 5);
  out.append(topic).append(".").append(consumer).append(".dlq");
  return out;
}

const std::string* Message::FindHeader(std::string_view header_key) const {
  const auto it = std::find_if(headers.rbegin(), headers.rend(),
                               [&](const Header& h) { return h.key == header_key; });
  return it == headers.rend() ? nullptr : &it->value;
}

namespace internal {
namespace {

// librdkafka logs with syslog levels: 0-3 are errors, 4 warnings, 5-6 informational, 7 debug.
void LogCallback(const rd_kafka_t* rk, int level, const char* facility, const char* text) {
  log::Severity severity = log::Severity::kDebug;
  if (level <= 3) {
    severity = log::Severity::kError;
  } else if (level == 4) {
    severity = log::Severity::kWarning;
  } else if (level <= 6) {
    severity = log::Severity::kInfo;
  }
  log::Write(severity, "librdkafka",
             {{"client", rd_kafka_name(rk)}, {"facility", facility}, {"detail", text}});
}

}  // namespace

absl::Status ApplyConfig(rd_kafka_conf_t* conf,
                         const std::vector<std::pair<std::string, std::string>>& properties,
                         std::string_view role) {
  std::array<char, 512> errstr{};
  for (const auto& [name, value] : properties) {
    if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr.data(), errstr.size()) !=
        RD_KAFKA_CONF_OK) {
      // A secret never reaches a log line, not even when it is the rejected value.
      const std::string shown = IsSecretProperty(name) ? "<redacted>" : value;
      return absl::InvalidArgumentError(absl::StrCat("Kafka ", std::string(role), " setting '",
                                                     name, "'='", shown,
                                                     "' rejected: ", errstr.data()));
    }
  }
  return absl::OkStatus();
}

void InstallLogCallback(rd_kafka_conf_t* conf) { rd_kafka_conf_set_log_cb(conf, &LogCallback); }

std::string ErrorText(rd_kafka_resp_err_t err) {
  return absl::StrCat(rd_kafka_err2str(err), " (", rd_kafka_err2name(err), ")");
}

absl::StatusCode ToStatusCode(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_NO_ERROR:
      return absl::StatusCode::kOk;
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
      return absl::StatusCode::kResourceExhausted;
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
      return absl::StatusCode::kDeadlineExceeded;
    case RD_KAFKA_RESP_ERR__PURGE_QUEUE:
    case RD_KAFKA_RESP_ERR__PURGE_INFLIGHT:
    case RD_KAFKA_RESP_ERR__DESTROY:
      return absl::StatusCode::kCancelled;
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR_INVALID_MSG_SIZE:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
      return absl::StatusCode::kInvalidArgument;
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
      return absl::StatusCode::kNotFound;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
      return absl::StatusCode::kPermissionDenied;
    case RD_KAFKA_RESP_ERR__FATAL:
    case RD_KAFKA_RESP_ERR__STATE:
      return absl::StatusCode::kFailedPrecondition;
    default:
      return absl::StatusCode::kUnavailable;
  }
}

Message ToMessage(const rd_kafka_message_t& rkm) {
  Message m;
  if (rkm.rkt != nullptr) m.topic = rd_kafka_topic_name(rkm.rkt);
  if (rkm.key != nullptr) m.key.assign(static_cast<const char*>(rkm.key), rkm.key_len);
  if (rkm.payload != nullptr) m.payload.assign(static_cast<const char*>(rkm.payload), rkm.len);
  m.partition = rkm.partition;
  m.offset = rkm.offset;
  rd_kafka_timestamp_type_t ts_type = RD_KAFKA_TIMESTAMP_NOT_AVAILABLE;
  const int64_t ts = rd_kafka_message_timestamp(&rkm, &ts_type);
  if (ts_type != RD_KAFKA_TIMESTAMP_NOT_AVAILABLE) m.timestamp_ms = ts;
  rd_kafka_headers_t* headers = nullptr;
  if (rd_kafka_message_headers(&rkm, &headers) == RD_KAFKA_RESP_ERR_NO_ERROR &&
      headers != nullptr) {
    m.headers.reserve(rd_kafka_header_cnt(headers));
    const char* name = nullptr;
    const void* value = nullptr;
    size_t size = 0;
    for (size_t i = 0;
         rd_kafka_header_get_all(headers, i, &name, &value, &size) == RD_KAFKA_RESP_ERR_NO_ERROR;
         ++i) {
      // A null header value (Kafka allows it) reads as empty.
      m.headers.push_back(
          Header{name, value != nullptr ? std::string(static_cast<const char*>(value), size) : ""});
    }
  }
  return m;
}

bool ProbeBrokers(rd_kafka_t* rk, int timeout_ms) {
  const rd_kafka_metadata_t* metadata = nullptr;
  // all_topics=0 and no topic: asks only about topics this client already knows, which keeps
  // the request small on clusters with many topics.
  const rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, nullptr, &metadata, timeout_ms);
  if (metadata != nullptr) rd_kafka_metadata_destroy(metadata);
  return err == RD_KAFKA_RESP_ERR_NO_ERROR;
}

}  // namespace internal
}  // namespace advocacy::kafka
