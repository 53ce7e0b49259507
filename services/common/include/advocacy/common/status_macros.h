#pragma once

// Early returns on errors, so that a function reads as its happy path:
//
//   RETURN_IF_ERROR(ValidateTenantId("tenant_id", request.tenant_id()));
//   ASSIGN_OR_RETURN(Snapshot snapshot, store_->Load(tenant, employee));
//
// RETURN_IF_ERROR(expr): `expr` is an absl::Status; when it is not OK the enclosing function
// returns it (the function may return absl::Status or any absl::StatusOr<T>).
// ASSIGN_OR_RETURN(lhs, expr): `expr` is an absl::StatusOr<T>; when it holds a value, `lhs`
// (a declaration or an existing variable) takes it by move, otherwise its status is returned.
// Each use declares a hidden variable named after the line, so a second ASSIGN_OR_RETURN on the
// same line does not compile.

#include <utility>

#include "absl/status/status.h"
#include "absl/status/statusor.h"

// Macros, not functions: they return from the function that uses them, which no function can.
// NOLINTBEGIN(cppcoreguidelines-macro-usage)
#define ADVOCACY_STATUS_CONCAT_INNER(a, b) a##b
#define ADVOCACY_STATUS_CONCAT(a, b) ADVOCACY_STATUS_CONCAT_INNER(a, b)

#define RETURN_IF_ERROR(expr)                                               \
  do {                                                                      \
    if (::absl::Status advocacy_status_ = (expr); !advocacy_status_.ok()) { \
      return advocacy_status_;                                              \
    }                                                                       \
  } while (false)

// `lhs` may be a declaration ("const Foo foo"), which parentheses would break; `statusor` is a
// name made by ADVOCACY_STATUS_CONCAT.
// NOLINTBEGIN(bugprone-macro-parentheses)
#define ADVOCACY_ASSIGN_OR_RETURN_IMPL(statusor, lhs, expr) \
  auto statusor = (expr);                                   \
  if (!statusor.ok()) return std::move(statusor).status();  \
  lhs = std::move(statusor).value()
// NOLINTEND(bugprone-macro-parentheses)

#define ASSIGN_OR_RETURN(lhs, expr) \
  ADVOCACY_ASSIGN_OR_RETURN_IMPL(ADVOCACY_STATUS_CONCAT(advocacy_statusor_, __LINE__), lhs, expr)
// NOLINTEND(cppcoreguidelines-macro-usage)
