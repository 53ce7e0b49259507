#pragma once

// SessionStore on Redis, as the gateway's own ACL user (deploy/redis/acl-rules.conf: keys
// adv:gateway:* only, no scripts). Keys, each with a hash tag so a session and its lease share a
// slot:
//   adv:gateway:session:{<key>}   the session record (session.h JSON); TTL = the idle timeout,
//                                 extended on use, never beyond the session's absolute end
//   adv:gateway:lock:{<key>}      the lease of a token refresh (SET NX PX)
//   adv:gateway:login:{<sha256(state)>}  a sign-in in progress; TTL 10 min; GETDEL takes it
// <key> is already the SHA-256 of the browser's session id.

#include "advocacy/common/redis_client.h"
#include "session_ports.h"

namespace advocacy::gateway {

class RedisSessionStore final : public SessionStore {
 public:
  explicit RedisSessionStore(redis::Pool* pool) : pool_(pool) {}

  absl::Status PutLogin(const std::string& state, const LoginState& login,
                        std::chrono::seconds ttl) override;
  absl::StatusOr<std::optional<LoginState>> TakeLogin(const std::string& state) override;
  absl::Status Put(const std::string& key, const Session& session,
                   std::chrono::seconds ttl) override;
  absl::StatusOr<std::optional<Session>> Get(const std::string& key) override;
  absl::Status Touch(const std::string& key, std::chrono::seconds ttl) override;
  absl::Status Delete(const std::string& key) override;
  absl::StatusOr<bool> Lock(const std::string& key, std::chrono::milliseconds ttl) override;
  absl::Status Unlock(const std::string& key) override;

 private:
  redis::Pool* pool_;
};

}  // namespace advocacy::gateway
