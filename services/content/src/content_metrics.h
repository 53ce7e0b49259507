#pragma once

// Engagement metrics by tenant and network:
//   advocacy_content_shares_total{service,tenant,network}
//   advocacy_content_clicks_total{service,tenant,network}
//   advocacy_content_items_published_total{service,tenant}
//   advocacy_content_active_advocates{service,tenant}   (shared in the active window)
// Thread-safe. Label sets are bounded by `max_tenants`; further tenants are reported as "other".

#include <cstdint>
#include <mutex>
#include <set>
#include <string>

#include "content_domain.h"

namespace prometheus {
class Registry;
class Counter;
class Gauge;
template <typename T>
class Family;
}  // namespace prometheus

namespace advocacy::content {

class ContentMetrics final {
 public:
  ContentMetrics(prometheus::Registry& registry, std::string service, size_t max_tenants = 1000);

  void Share(const std::string& tenant, cv1::Network network);
  void Click(const std::string& tenant, cv1::Network network);
  void ItemPublished(const std::string& tenant);
  void SetActiveAdvocates(const std::string& tenant, int64_t count);

 private:
  std::string TenantLabel(const std::string& tenant);

  std::string service_;
  size_t max_tenants_;
  prometheus::Family<prometheus::Counter>* shares_;
  prometheus::Family<prometheus::Counter>* clicks_;
  prometheus::Family<prometheus::Counter>* published_;
  prometheus::Family<prometheus::Gauge>* active_;
  std::mutex mu_;
  std::set<std::string> tenants_;  // guarded by mu_
};

}  // namespace advocacy::content
