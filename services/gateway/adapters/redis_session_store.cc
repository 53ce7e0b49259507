#include "redis_session_store.h"

#include "advocacy/common/digest.h"
#include "advocacy/common/status_macros.h"
#include "advocacy/common/strings.h"

namespace advocacy::gateway {
namespace {

std::string SessionKey(const std::string& key) { return StrCat("adv:gateway:session:{", key, "}"); }
std::string LockKey(const std::string& key) { return StrCat("adv:gateway:lock:{", key, "}"); }
std::string LoginKey(const std::string& state) {
  return StrCat("adv:gateway:login:{", digest::Hex(digest::Sha256Bytes(state)), "}");
}

}  // namespace

absl::Status RedisSessionStore::PutLogin(const std::string& state, const LoginState& login,
                                         std::chrono::seconds ttl) {
  return pool_
      ->Run({"SET", LoginKey(state), EncodeLogin(login), "EX", std::to_string(ttl.count())},
            "a sign-in's state")
      .status();
}

absl::StatusOr<std::optional<LoginState>> RedisSessionStore::TakeLogin(const std::string& state) {
  ASSIGN_OR_RETURN(const redis::Reply reply,
                   pool_->Run({"GETDEL", LoginKey(state)}, "a sign-in's state"));
  if (reply.is_nil()) return std::optional<LoginState>();
  ASSIGN_OR_RETURN(LoginState login, DecodeLogin(reply.str));
  return std::optional<LoginState>(std::move(login));
}

absl::Status RedisSessionStore::Put(const std::string& key, const Session& session,
                                    std::chrono::seconds ttl) {
  return pool_
      ->Run({"SET", SessionKey(key), EncodeSession(session), "EX", std::to_string(ttl.count())},
            "a session")
      .status();
}

absl::StatusOr<std::optional<Session>> RedisSessionStore::Get(const std::string& key) {
  ASSIGN_OR_RETURN(const redis::Reply reply, pool_->Run({"GET", SessionKey(key)}, "a session"));
  if (reply.is_nil()) return std::optional<Session>();
  ASSIGN_OR_RETURN(Session session, DecodeSession(reply.str));
  return std::optional<Session>(std::move(session));
}

absl::Status RedisSessionStore::Touch(const std::string& key, std::chrono::seconds ttl) {
  return pool_->Run({"EXPIRE", SessionKey(key), std::to_string(ttl.count())}, "a session's life")
      .status();
}

absl::Status RedisSessionStore::Delete(const std::string& key) {
  return pool_->Run({"DEL", SessionKey(key)}, "a session").status();
}

absl::StatusOr<bool> RedisSessionStore::Lock(const std::string& key,
                                             std::chrono::milliseconds ttl) {
  ASSIGN_OR_RETURN(const redis::Reply reply,
                   pool_->Run({"SET", LockKey(key), "1", "NX", "PX", std::to_string(ttl.count())},
                              "a session's refresh lease"));
  return reply.is_status();
}

absl::Status RedisSessionStore::Unlock(const std::string& key) {
  return pool_->Run({"DEL", LockKey(key)}, "a session's refresh lease").status();
}

}  // namespace advocacy::gateway
