#pragma once

// Structured JSON logs on stdout, one object per line:
//   {"ts":"2026-11-27T22:54:26.123Z","severity":"INFO","service":"consent",
//    "request_id":"...","message":"...", ...fields}
// Thread-safe. The request id comes from the calling thread's RequestIdScope.

#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace advocacy::log {

enum class Severity { kDebug = 0, kInfo = 1, kWarning = 2, kError = 3 };

// Sets the service name and the minimum severity; call once at start.
void Init(std::string_view service, Severity min_severity);
// Parses "debug" | "info" | "warning" | "error"; false on anything else.
bool ParseSeverity(std::string_view text, Severity* out);

using Field = std::pair<std::string_view, std::string>;

void Write(Severity severity, std::string_view message, std::initializer_list<Field> fields = {});
// The same with fields known only at run time.
void Write(Severity severity, std::string_view message, const std::vector<Field>& fields);

inline void Debug(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kDebug, m, f);
}
inline void Info(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kInfo, m, f);
}
inline void Warning(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kWarning, m, f);
}
inline void Error(std::string_view m, std::initializer_list<Field> f = {}) {
  Write(Severity::kError, m, f);
}

// Binds a request id to the current thread for the lifetime of the scope.
class RequestIdScope final {
 public:
  explicit RequestIdScope(std::string request_id);
  ~RequestIdScope();
  RequestIdScope(const RequestIdScope&) = delete;
  RequestIdScope& operator=(const RequestIdScope&) = delete;

 private:
  std::string previous_;
};

const std::string& CurrentRequestId();

}  // namespace advocacy::log
