#include "content_metrics.h"

#include "prometheus/counter.h"
#include "prometheus/family.h"
#include "prometheus/gauge.h"
#include "prometheus/registry.h"

namespace advocacy::content {

ContentMetrics::ContentMetrics(prometheus::Registry& registry, std::string service,
                               size_t max_tenants)
    : service_(std::move(service)),
      max_tenants_(max_tenants),
      shares_(&prometheus::BuildCounter()
                   .Name("advocacy_content_shares_total")
                   .Help("Shares recorded (now or scheduled)")
                   .Register(registry)),
      clicks_(&prometheus::BuildCounter()
                   .Name("advocacy_content_clicks_total")
                   .Help("Tracked-link clicks counted")
                   .Register(registry)),
      published_(&prometheus::BuildCounter()
                      .Name("advocacy_content_items_published_total")
                      .Help("Items published")
                      .Register(registry)),
      active_(&prometheus::BuildGauge()
                   .Name("advocacy_content_active_advocates")
                   .Help("Employees who shared within the active window")
                   .Register(registry)) {}

std::string ContentMetrics::TenantLabel(const std::string& tenant) {
  std::lock_guard lock(mu_);
  if (tenants_.count(tenant) != 0) return tenant;
  if (tenants_.size() >= max_tenants_) return "other";
  tenants_.insert(tenant);
  return tenant;
}

void ContentMetrics::Share(const std::string& tenant, cv1::Network network) {
  shares_
      ->Add({{"service", service_},
             {"tenant", TenantLabel(tenant)},
             {"network", std::string(NetworkSlug(network))}})
      .Increment();
}

void ContentMetrics::Click(const std::string& tenant, cv1::Network network) {
  clicks_
      ->Add({{"service", service_},
             {"tenant", TenantLabel(tenant)},
             {"network", std::string(NetworkSlug(network))}})
      .Increment();
}

void ContentMetrics::ItemPublished(const std::string& tenant) {
  published_->Add({{"service", service_}, {"tenant", TenantLabel(tenant)}}).Increment();
}

void ContentMetrics::SetActiveAdvocates(const std::string& tenant, int64_t count) {
  active_->Add({{"service", service_}, {"tenant", TenantLabel(tenant)}})
      .Set(static_cast<double>(count));
}

}  // namespace advocacy::content
