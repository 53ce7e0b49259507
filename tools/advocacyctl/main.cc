// advocacyctl: the command line of the Advocacy gRPC APIs. This file only declares the command
// line and dispatches; the subcommands live in commands.cc.

// GCC 12 at -O2 reports a false "potential null pointer dereference" inside CLI11 2.1's inlined
// string helpers; the warning is about library code, so it is silenced for that header only.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnull-dereference"
#include <CLI/CLI.hpp>
#pragma GCC diagnostic pop

#include <exception>
#include <functional>
#include <iostream>
#include <limits>

#include "commands.h"

namespace {

using namespace advocacy::ctl;

int Main(int argc, char** argv) {
  CLI::App app{
      "advocacyctl: call the Advocacy consent service.\n"
      "Exit codes: 0 ok, 1 the call failed (error: <CODE>: <message> on stderr), 2 usage error.",
      "advocacyctl"};
  app.set_help_all_flag("--help-all", "Print help for every subcommand");
  app.set_version_flag("--version", "advocacyctl " ADVOCACY_VERSION);
  app.require_subcommand(1);
  // Global options may follow the subcommand too: `advocacyctl consent check ... --json`.
  app.fallthrough();

  GlobalOptions g;
  app.add_option("--addr", g.address, "host:port of the consent service")
      ->envname("ADVOCACY_CONSENT_ADDR")
      ->capture_default_str();
  app.add_option("--token", g.token, "Bearer JWT to send")->envname("ADVOCACY_TOKEN");
  app.add_option("--key-file", g.key_file, "Private key PEM used with --as to mint a token")
      ->envname("ADVOCACY_JWT_PRIVATE_KEY_FILE");
  app.add_option("--issuer", g.issuer, "iss of minted tokens")
      ->envname("ADVOCACY_JWT_ISSUER")
      ->capture_default_str();
  app.add_option("--audience", g.audience, "aud of minted tokens")
      ->envname("ADVOCACY_JWT_AUDIENCE")
      ->capture_default_str();
  app.add_option("--as", g.as,
                 "Mint a short-lived dev token for employee:<tenant>:<id>, admin:<tenant>:<id> "
                 "or service:<tenant>:<name> (needs --key-file; wins over --token)")
      ->envname("ADVOCACY_CTL_AS");
  app.add_option("--timeout", g.timeout, "Deadline of each call: 500ms, 5s, 1m, ...")
      ->envname("ADVOCACY_CTL_TIMEOUT")
      ->capture_default_str();
  app.add_flag("--json", g.json, "Print the response as proto3 JSON")->envname("ADVOCACY_CTL_JSON");

  std::function<int()> action;
  const std::string scope_help =
      "share:<network> | suggestions:<network> | email-tips | course-tips | leaderboard; "
      "network linkedin|facebook|instagram|x";

  // keygen
  KeygenArgs keygen;
  auto* keygen_cmd =
      app.add_subcommand("keygen", "Write a dev ES256 key pair (jwt-private.pem, jwt-public.pem)");
  keygen_cmd->add_option("--out-dir", keygen.out_dir, "Directory to write into")->required();
  keygen_cmd->add_flag("--force", keygen.force, "Replace an existing key pair");
  keygen_cmd->callback([&] { action = [&] { return RunKeygen(keygen); }; });

  // token
  TokenArgs token;
  auto* token_cmd = app.add_subcommand("token", "Print a dev token for --as");
  token_cmd->add_option("--ttl", token.ttl, "Lifetime: seconds, or 30m, 1h, ... (at most 24h)")
      ->capture_default_str();
  token_cmd->callback([&] { action = [&] { return RunToken(g, token); }; });

  // health
  HealthArgs health;
  auto* health_cmd = app.add_subcommand(
      "health", "grpc.health.v1 Check: prints SERVING or NOT_SERVING; exit 0 only when SERVING");
  health_cmd->add_option("--wait", health.wait,
                         "Retry until SERVING or this long has passed (e.g. 30s)");
  health_cmd->add_option("--service", health.service,
                         "Service name to ask about (default: the whole server)");
  health_cmd->callback([&] { action = [&] { return RunHealth(g, health); }; });

  // notice
  auto* notice_cmd = app.add_subcommand("notice", "Consent notices (policy versions)");
  notice_cmd->require_subcommand(1);

  NoticePublishArgs publish;
  auto* publish_cmd = notice_cmd->add_subcommand("publish", "Publish a new notice version (admin)");
  publish_cmd->add_option("--tenant", publish.tenant, "Tenant id")->required();
  publish_cmd->add_option("--version", publish.version, "Version label, 1-64 of [A-Za-z0-9._-]")
      ->required();
  publish_cmd->add_flag("--material", publish.material, "Earlier consents need renewal");
  publish_cmd->add_option("--summary", publish.summary, "What changed")->required();
  publish_cmd->add_option("--url", publish.url, "https URL of the full text")->required();
  publish_cmd->callback([&] { action = [&] { return RunNoticePublish(g, publish); }; });

  NoticeCurrentArgs current;
  auto* current_cmd = notice_cmd->add_subcommand("current", "Show the tenant's newest notice");
  current_cmd->add_option("--tenant", current.tenant, "Tenant id")->required();
  current_cmd->callback([&] { action = [&] { return RunNoticeCurrent(g, current); }; });

  // consent
  auto* consent_cmd = app.add_subcommand("consent", "Give, withdraw and check consent");
  consent_cmd->require_subcommand(1);

  GiveArgs give;
  auto* give_cmd = consent_cmd->add_subcommand("give", "Give consent for one or more scopes");
  give_cmd->add_option("--tenant", give.tenant, "Tenant id")->required();
  give_cmd->add_option("--employee", give.employee, "Employee id")->required();
  give_cmd->add_option("--scope", give.scopes, scope_help)->required()->delimiter(',');
  give_cmd->add_option("--notice", give.notice, "Notice version the employee was shown")
      ->required();
  give_cmd->add_option("--method", give.method, "app | api | admin (default: the caller's)");
  give_cmd->add_option("--idempotency-key", give.idempotency_key, "Makes a retry safe");
  give_cmd->callback([&] { action = [&] { return RunGive(g, give); }; });

  WithdrawArgs withdraw;
  auto* withdraw_cmd =
      consent_cmd->add_subcommand("withdraw", "Withdraw consent for scopes, or --all");
  withdraw_cmd->add_option("--tenant", withdraw.tenant, "Tenant id")->required();
  withdraw_cmd->add_option("--employee", withdraw.employee, "Employee id")->required();
  auto* withdraw_scope =
      withdraw_cmd->add_option("--scope", withdraw.scopes, scope_help)->delimiter(',');
  withdraw_cmd->add_flag("--all", withdraw.all, "Withdraw every scope")->excludes(withdraw_scope);
  withdraw_cmd->add_option("--method", withdraw.method,
                           "app | api | admin | email (default: the caller's)");
  withdraw_cmd->add_option("--idempotency-key", withdraw.idempotency_key, "Makes a retry safe");
  withdraw_cmd->callback([&] { action = [&] { return RunWithdraw(g, withdraw); }; });

  CheckArgs check;
  auto* check_cmd = consent_cmd->add_subcommand("check", "Is consent for one scope given?");
  check_cmd->add_option("--tenant", check.tenant, "Tenant id")->required();
  check_cmd->add_option("--employee", check.employee, "Employee id")->required();
  check_cmd->add_option("--scope", check.scope, scope_help)->required();
  check_cmd->callback([&] { action = [&] { return RunCheck(g, check); }; });

  EmployeeArgs state;
  auto* state_cmd = consent_cmd->add_subcommand("state", "Every scope the employee ever touched");
  state_cmd->add_option("--tenant", state.tenant, "Tenant id")->required();
  state_cmd->add_option("--employee", state.employee, "Employee id")->required();
  state_cmd->callback([&] { action = [&] { return RunState(g, state); }; });

  HistoryArgs history;
  auto* history_cmd = consent_cmd->add_subcommand("history", "The employee's ledger, oldest first");
  history_cmd->add_option("--tenant", history.tenant, "Tenant id")->required();
  history_cmd->add_option("--employee", history.employee, "Employee id")->required();
  history_cmd->add_option("--page-size", history.page_size, "1-100 (default 50)")
      ->check(CLI::Range(0, std::numeric_limits<int32_t>::max()));
  history_cmd->add_option("--page-token", history.page_token, "From the previous page");
  history_cmd->callback([&] { action = [&] { return RunHistory(g, history); }; });

  BatchCheckArgs batch;
  auto* batch_cmd =
      consent_cmd->add_subcommand("batch-check", "Check one scope for many employees");
  batch_cmd->add_option("--tenant", batch.tenant, "Tenant id")->required();
  batch_cmd->add_option("--scope", batch.scope, scope_help)->required();
  auto* employees =
      batch_cmd->add_option("--employees", batch.employees, "e1,e2,...")->delimiter(',');
  batch_cmd
      ->add_option("--employees-file", batch.employees_file,
                   "One id per line ('#' comments; '-' reads stdin)")
      ->excludes(employees);
  batch_cmd->callback([&] { action = [&] { return RunBatchCheck(g, batch); }; });

  PropagationArgs propagation;
  auto* propagation_cmd = consent_cmd->add_subcommand(
      "propagation", "Which consuming services applied a change of the employee, and when");
  propagation_cmd->add_option("--tenant", propagation.tenant, "Tenant id")->required();
  propagation_cmd->add_option("--employee", propagation.employee, "Employee id")->required();
  propagation_cmd
      ->add_option("--sequence", propagation.sequence,
                   "Sequence of the change (as give/withdraw print it); 0 = the latest")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()))
      ->capture_default_str();
  propagation_cmd->callback([&] { action = [&] { return RunPropagation(g, propagation); }; });

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" with exit code 0; every real parse error is a usage error.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!action) {
    std::cerr << "error: no subcommand given\n" << app.help();
    return kExitUsage;
  }
  return action();
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Main(argc, argv);
  } catch (const std::exception& e) {
    // Nothing below throws by design; if something does (out of memory, a library bug), say so
    // rather than abort with a core dump.
    std::cerr << "error: unexpected failure: " << e.what() << "\n";
    return advocacy::ctl::kExitRpcError;
  }
}
