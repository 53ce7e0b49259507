#include "advocacy/common/logging.h"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <mutex>
#include <nlohmann/json.hpp>

namespace advocacy::log {
namespace {

std::mutex g_mu;
std::string g_service = "unknown";  // guarded by g_mu for writes; read after Init
std::atomic<int> g_min{static_cast<int>(Severity::kInfo)};
thread_local std::string t_request_id;

const char* Name(Severity s) {
  switch (s) {
    case Severity::kDebug:
      return "DEBUG";
    case Severity::kInfo:
      return "INFO";
    case Severity::kWarning:
      return "WARNING";
    case Severity::kError:
      return "ERROR";
  }
  return "INFO";
}

std::string Timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto secs = std::chrono::system_clock::to_time_t(now);
  const auto millis =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  char out[48];
  std::snprintf(out, sizeof(out), "%.*s.%03dZ", static_cast<int>(n), buf, static_cast<int>(millis));
  return out;
}

}  // namespace

void Init(std::string_view service, Severity min_severity) {
  std::lock_guard lock(g_mu);
  g_service = std::string(service);
  g_min.store(static_cast<int>(min_severity));
}

bool ParseSeverity(std::string_view text, Severity* out) {
  if (text == "debug")
    *out = Severity::kDebug;
  else if (text == "info")
    *out = Severity::kInfo;
  else if (text == "warning" || text == "warn")
    *out = Severity::kWarning;
  else if (text == "error")
    *out = Severity::kError;
  else
    return false;
  return true;
}

namespace {

template <typename Fields>
void WriteFields(Severity severity, std::string_view message, const Fields& fields) {
  if (static_cast<int>(severity) < g_min.load(std::memory_order_relaxed)) return;
  nlohmann::json j;
  j["ts"] = Timestamp();
  j["severity"] = Name(severity);
  {
    std::lock_guard lock(g_mu);
    j["service"] = g_service;
  }
  if (!t_request_id.empty()) j["request_id"] = t_request_id;
  j["message"] = std::string(message);
  for (const auto& [k, v] : fields) j[std::string(k)] = v;
  // Invalid UTF-8 from callers must never throw out of a log call.
  std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  line.push_back('\n');
  std::lock_guard lock(g_mu);
  std::fwrite(line.data(), 1, line.size(), stdout);
  std::fflush(stdout);
}

}  // namespace

void Write(Severity severity, std::string_view message, std::initializer_list<Field> fields) {
  WriteFields(severity, message, fields);
}

void Write(Severity severity, std::string_view message, const std::vector<Field>& fields) {
  WriteFields(severity, message, fields);
}

RequestIdScope::RequestIdScope(std::string request_id) : previous_(std::move(t_request_id)) {
  t_request_id = std::move(request_id);
}
RequestIdScope::~RequestIdScope() { t_request_id = std::move(previous_); }

const std::string& CurrentRequestId() { return t_request_id; }

}  // namespace advocacy::log
