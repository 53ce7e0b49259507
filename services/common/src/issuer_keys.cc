#include "issuer_keys.h"

#include <algorithm>
#include <utility>

#include "absl/container/flat_hash_map.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "advocacy/common/logging.h"

namespace advocacy::auth::internal {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr seconds kFirstRetry{1};
constexpr seconds kMaxRetry{300};

int64_t UnixNow() {
  return std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string KidList(const KeySet& set) {
  return absl::StrJoin(set.keys, ",", [](std::string* out, const KeyPtr& key) {
    absl::StrAppend(out, key->kid.empty() ? "(no kid)" : key->kid, "/", JwsAlgName(key->alg));
  });
}

}  // namespace

KeyPtr KeySet::Find(const std::optional<std::string>& kid) const {
  if (kid.has_value()) {
    for (const KeyPtr& key : keys) {
      if (key->kid == *kid) return key;
    }
  }
  // Without a kid there is no choice to make only when there is one key.
  if (keys.size() == 1 && (!kid.has_value() || keys.front()->kid.empty())) return keys.front();
  return nullptr;
}

IssuerKeys::IssuerKeys(Options options)
    : issuer_(std::move(options.issuer)),
      policy_(options.policy),
      source_(std::move(options.source)),
      key_epoch_(options.key_epoch),
      on_status_(std::move(options.on_status)),
      keys_(std::make_shared<const KeySet>(KeySet{std::move(options.static_keys)})) {
  if (!keys_->keys.empty()) last_success_unix_ = UnixNow();
}

IssuerKeys::~IssuerKeys() { Stop(); }

absl::Status IssuerKeys::LoadNow() {
  if (source_ == nullptr) return absl::OkStatus();
  {
    std::lock_guard lock(mu_);
    in_flight_ = true;
  }
  return LoadOnce();
}

void IssuerKeys::Start() {
  if (source_ == nullptr) {
    if (on_status_) on_status_(Status());
    return;
  }
  {
    std::lock_guard lock(mu_);
    // Loaded at start (a file): next on its lifetime, already scheduled. Otherwise: at once.
    if (keys_->keys.empty()) next_refresh_ = steady_clock::now();
  }
  thread_ = std::thread([this] { Run(); });
}

void IssuerKeys::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cancel_.store(true);
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void IssuerKeys::Run() {
  std::unique_lock lock(mu_);
  while (!stopping_) {
    cv_.wait_until(lock, next_refresh_, [this] { return stopping_ || refresh_requested_; });
    if (stopping_) break;
    if (!refresh_requested_ && steady_clock::now() < next_refresh_) continue;
    refresh_requested_ = false;
    in_flight_ = true;
    lock.unlock();
    LoadOnce().IgnoreError();  // recorded in the status and logged
    lock.lock();
  }
}

absl::Status IssuerKeys::LoadOnce() {
  absl::StatusOr<JwksDocument> document = source_->Load(cancel_);
  absl::StatusOr<ParsedJwks> parsed =
      document.ok() ? ParseJwks(document->body, policy_.max_keys, policy_.max_bytes)
                    : absl::StatusOr<ParsedJwks>(document.status());
  IssuerKeyStatus status;
  std::string previous_error;
  std::string kids_before;
  std::string kids_after;
  {
    std::lock_guard lock(mu_);
    previous_error = last_error_;
    kids_before = KidList(*keys_);
    if (parsed.ok()) {
      ApplyLocked(*parsed, document->max_age);
    } else if (!absl::IsCancelled(parsed.status())) {
      FailLocked(parsed.status());
    }
    kids_after = KidList(*keys_);
    in_flight_ = false;
    ++generation_;
    status = StatusLocked();
  }
  cv_.notify_all();
  if (absl::IsCancelled(parsed.status())) return parsed.status();
  if (on_status_) on_status_(status);
  // Logged on changes only: a refresh every few minutes that finds the same keys says nothing.
  if (parsed.ok() && (kids_after != kids_before || !previous_error.empty())) {
    log::Info("identity provider keys loaded", {{"issuer", issuer_},
                                                {"source", status.source},
                                                {"keys", kids_after},
                                                {"skipped", absl::StrJoin(parsed->skipped, "; ")}});
  } else if (!parsed.ok() && status.last_error != previous_error) {
    log::Warning(status.key_ids.empty()
                     ? "cannot load the identity provider keys; tokens of this issuer are refused"
                     : "cannot refresh the identity provider keys; the keys loaded before stay "
                       "in use",
                 {{"issuer", issuer_}, {"error", status.last_error}});
  }
  return parsed.status();
}

void IssuerKeys::ApplyLocked(const ParsedJwks& parsed,
                             std::optional<std::chrono::seconds> max_age) {
  absl::flat_hash_map<std::string, KeyPtr> before;
  for (const KeyPtr& key : keys_->keys) before.emplace(key->fingerprint, key);
  KeySet next;
  for (const KeyPtr& key : parsed.keys) {
    auto it = before.find(key->fingerprint);
    if (it != before.end()) {
      next.keys.push_back(it->second);  // the same key: keep the object
      before.erase(it);
    } else {
      next.keys.push_back(key);
    }
  }
  // Whatever is left in `before` has left the JWKS: its tokens must fail from now on, cached
  // verifications included.
  if (!before.empty() && key_epoch_ != nullptr) key_epoch_->fetch_add(1);
  keys_ = std::make_shared<const KeySet>(std::move(next));
  last_skipped_ = parsed.skipped;
  last_error_.clear();
  last_success_unix_ = UnixNow();
  consecutive_failures_ = 0;
  ++loads_;
  const seconds lifetime = std::clamp(max_age.value_or(policy_.default_lifetime),
                                      policy_.min_lifetime, policy_.max_lifetime);
  next_refresh_ = steady_clock::now() + lifetime;
}

void IssuerKeys::FailLocked(const absl::Status& error) {
  last_error_ = std::string(error.message());
  ++loads_;
  ++failures_;
  consecutive_failures_ = std::min<uint32_t>(consecutive_failures_ + 1, 30);
  // 1 s, 2 s, 4 s, ... up to 5 min, each +-20 % so that replicas do not retry in step.
  seconds retry = kFirstRetry * (int64_t{1} << std::min<uint32_t>(consecutive_failures_ - 1, 9));
  retry = std::min(retry, kMaxRetry);
  std::uniform_int_distribution<int64_t> jitter(retry.count() * 800, retry.count() * 1200);
  next_refresh_ = steady_clock::now() + std::chrono::milliseconds(jitter(jitter_));
}

IssuerKeys::Found IssuerKeys::Find(const std::optional<std::string>& kid) {
  std::unique_lock lock(mu_);
  if (KeyPtr key = keys_->Find(kid)) return {std::move(key), true};
  if (source_ == nullptr || stopping_) return {nullptr, !keys_->keys.empty()};
  const auto now = steady_clock::now();
  if (!in_flight_) {
    if (kid_refresh_granted_ && now - last_kid_refresh_ < policy_.unknown_kid_interval) {
      return {nullptr, !keys_->keys.empty()};  // rate-limited: no wait, no request
    }
    kid_refresh_granted_ = true;
    last_kid_refresh_ = now;
    ++unknown_kid_refreshes_;
    refresh_requested_ = true;
    cv_.notify_all();
  }
  if (policy_.unknown_kid_wait.count() > 0) {
    const uint64_t target = generation_ + 1;  // the refresh running, or the one just asked for
    cv_.wait_until(lock, now + policy_.unknown_kid_wait,
                   [&] { return generation_ >= target || stopping_; });
  }
  KeyPtr key = keys_->Find(kid);
  return {std::move(key), !keys_->keys.empty()};
}

bool IssuerKeys::Usable() const {
  std::lock_guard lock(mu_);
  return !keys_->keys.empty();
}

IssuerKeyStatus IssuerKeys::Status() const {
  std::lock_guard lock(mu_);
  return StatusLocked();
}

IssuerKeyStatus IssuerKeys::StatusLocked() const {
  IssuerKeyStatus status{.issuer = issuer_,
                         .source = source_ != nullptr ? source_->Describe() : "static key",
                         .last_success_unix = last_success_unix_,
                         .last_error = last_error_,
                         .loads = loads_,
                         .failures = failures_,
                         .unknown_kid_refreshes = unknown_kid_refreshes_};
  for (const KeyPtr& key : keys_->keys) status.key_ids.push_back(key->kid);
  return status;
}

}  // namespace advocacy::auth::internal
