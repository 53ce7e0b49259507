#pragma once

// The Redis keys of the consent service, in one place: the consent store and the propagation
// store share the employee's hash tag {tenant:employee}, so a script of either touches one slot.

#include <string>
#include <string_view>

#include "advocacy/common/strings.h"

namespace advocacy::consent::keys {

inline std::string Tag(std::string_view t, std::string_view e) {
  return advocacy::StrCat("{", t, ":", e, "}");
}
// hash: "_seq" and one field per scope -> StoredScope.
inline std::string Scopes(std::string_view t, std::string_view e) {
  return advocacy::StrCat("adv:consent:", Tag(t, e), ":s");
}
// list: LedgerEntry, index = sequence - 1.
inline std::string Ledger(std::string_view t, std::string_view e) {
  return advocacy::StrCat("adv:consent:", Tag(t, e), ":l");
}
// string: IdempotencyRecord.
inline std::string Idempotency(std::string_view t, std::string_view e, std::string_view key) {
  return advocacy::StrCat("adv:consent:", Tag(t, e), ":i:", key);
}
// hash: the tenant's notices.
inline std::string Notices(std::string_view t) {
  return advocacy::StrCat("adv:consent:{", t, "}:n");
}
// zset: changes not yet applied by every expected service; score = sequence,
// member = "<sequence>:<acknowledged ms>".
inline std::string Pending(std::string_view t, std::string_view e) {
  return advocacy::StrCat("adv:consent:", Tag(t, e), ":p");
}
// zset: receipts of one consuming service; score = sequence, member = "<sequence>:<applied ms>".
inline std::string Receipts(std::string_view t, std::string_view e, std::string_view service) {
  return advocacy::StrCat("adv:consent:", Tag(t, e), ":r:", service);
}
// zset (one global key per service, NOT in an employee's slot): employees with a change the
// service has not applied; score = acknowledged ms of the oldest such change, member
// IndexMember(t, e).
inline std::string UnappliedIndex(std::string_view service) {
  return advocacy::StrCat("adv:consent:unapplied:", service);
}
// "tenant/employee": neither id may contain '/'.
inline std::string IndexMember(std::string_view t, std::string_view e) {
  return advocacy::StrCat(t, "/", e);
}
// SCAN pattern of every Pending() key ('{' and '}' are not glob characters).
inline constexpr std::string_view kPendingPattern = "adv:consent:{*}:p";

}  // namespace advocacy::consent::keys
