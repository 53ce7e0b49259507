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

// What the command line fills in: the global options, each subcommand's arguments, and the
// action of the subcommand that was chosen. The subcommands' callbacks point into it, so it
// outlives parsing.
struct CommandLine {
  GlobalOptions global;
  std::function<int()> action;
  KeygenArgs keygen;
  TokenArgs token;
  HealthArgs health;
  NoticePublishArgs publish;
  NoticeCurrentArgs current;
  GiveArgs give;
  WithdrawArgs withdraw;
  CheckArgs check;
  EmployeeArgs state;
  HistoryArgs history;
  BatchCheckArgs batch;
  PropagationArgs propagation;
};

constexpr const char* kScopeHelp =
    "share:<network> | suggestions:<network> | email-tips | course-tips | leaderboard; "
    "network linkedin|facebook|instagram|x";

// Each has an environment variable, so scripts and the local stack need no flags.
void AddGlobalOptions(CLI::App& app, GlobalOptions& g) {
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
  app.add_flag("--oidc", g.oidc,
               "Get the token from the identity provider by client credentials (wins over "
               "--token; not with --as)")
      ->envname("ADVOCACY_CTL_OIDC");
  app.add_option("--oidc-token-url", g.oidc_token_url, "The provider's token endpoint (https)")
      ->envname("ADVOCACY_OIDC_TOKEN_URL");
  app.add_option("--oidc-client-id", g.oidc_client_id, "Client id at the provider")
      ->envname("ADVOCACY_OIDC_CLIENT_ID");
  app.add_option("--oidc-client-secret-file", g.oidc_secret_file, "File holding the client secret")
      ->envname("ADVOCACY_OIDC_CLIENT_SECRET_FILE");
  app.add_option("--oidc-ca-file", g.oidc_ca_file, "CA bundle (PEM) that verifies the provider")
      ->envname("ADVOCACY_OIDC_CA_FILE");
  app.add_option("--oidc-resource", g.oidc_resource,
                 "Resource indicator of the service the token is for (urn:advocacy:consent, "
                 "urn:advocacy:content, ...)")
      ->envname("ADVOCACY_OIDC_RESOURCE")
      ->capture_default_str();
  app.add_option("--oidc-scope", g.oidc_scope, "Scopes to ask for, space-separated")
      ->envname("ADVOCACY_OIDC_SCOPE");
  app.add_option("--tls-ca", g.tls_ca,
                 "CA bundle (PEM) that verifies the service's certificate (default: the system's "
                 "trust store)")
      ->envname("ADVOCACY_GRPC_TLS_CA_FILE");
  app.add_option("--tls-cert", g.tls_cert, "Client certificate (PEM) for mutual TLS")
      ->envname("ADVOCACY_CTL_TLS_CERT_FILE");
  app.add_option("--tls-key", g.tls_key, "Private key (PEM) of --tls-cert")
      ->envname("ADVOCACY_CTL_TLS_KEY_FILE");
  app.add_flag("--plaintext", g.plaintext,
               "Talk plaintext gRPC (only to a service started with ADVOCACY_GRPC_TLS=off)")
      ->envname("ADVOCACY_CTL_PLAINTEXT");
}

// keygen, token, health: the subcommands for setting up and probing a deployment.
void AddSetupCommands(CLI::App& app, CommandLine& c) {
  auto* keygen_cmd =
      app.add_subcommand("keygen", "Write a dev ES256 key pair (jwt-private.pem, jwt-public.pem)");
  keygen_cmd->add_option("--out-dir", c.keygen.out_dir, "Directory to write into")->required();
  keygen_cmd->add_flag("--force", c.keygen.force, "Replace an existing key pair");
  keygen_cmd->callback([&c] { c.action = [&c] { return RunKeygen(c.keygen); }; });

  auto* token_cmd = app.add_subcommand(
      "token",
      "Print a token: --oidc fetches one from the provider; --as mints an offline dev token");
  token_cmd->add_option("--ttl", c.token.ttl, "Lifetime: seconds, or 30m, 1h, ... (at most 24h)")
      ->capture_default_str();
  token_cmd->callback([&c] { c.action = [&c] { return RunToken(c.global, c.token); }; });

  auto* health_cmd = app.add_subcommand(
      "health", "grpc.health.v1 Check: prints SERVING or NOT_SERVING; exit 0 only when SERVING");
  health_cmd->add_option("--wait", c.health.wait,
                         "Retry until SERVING or this long has passed (e.g. 30s)");
  health_cmd->add_option("--service", c.health.service,
                         "Service name to ask about (default: the whole server)");
  health_cmd->callback([&c] { c.action = [&c] { return RunHealth(c.global, c.health); }; });
}

void AddNoticeCommands(CLI::App& app, CommandLine& c) {
  auto* notice_cmd = app.add_subcommand("notice", "Consent notices (policy versions)");
  notice_cmd->require_subcommand(1);

  auto* publish_cmd = notice_cmd->add_subcommand("publish", "Publish a new notice version (admin)");
  publish_cmd->add_option("--tenant", c.publish.tenant, "Tenant id")->required();
  publish_cmd->add_option("--version", c.publish.version, "Version label, 1-64 of [A-Za-z0-9._-]")
      ->required();
  publish_cmd->add_flag("--material", c.publish.material, "Earlier consents need renewal");
  publish_cmd->add_option("--summary", c.publish.summary, "What changed")->required();
  publish_cmd->add_option("--url", c.publish.url, "https URL of the full text")->required();
  publish_cmd->callback(
      [&c] { c.action = [&c] { return RunNoticePublish(c.global, c.publish); }; });

  auto* current_cmd = notice_cmd->add_subcommand("current", "Show the tenant's newest notice");
  current_cmd->add_option("--tenant", c.current.tenant, "Tenant id")->required();
  current_cmd->callback(
      [&c] { c.action = [&c] { return RunNoticeCurrent(c.global, c.current); }; });
}

// consent give / withdraw.
void AddConsentChangeCommands(CLI::App& consent_cmd, CommandLine& c) {
  auto* give_cmd = consent_cmd.add_subcommand("give", "Give consent for one or more scopes");
  give_cmd->add_option("--tenant", c.give.tenant, "Tenant id")->required();
  give_cmd->add_option("--employee", c.give.employee, "Employee id")->required();
  give_cmd->add_option("--scope", c.give.scopes, kScopeHelp)->required()->delimiter(',');
  give_cmd->add_option("--notice", c.give.notice, "Notice version the employee was shown")
      ->required();
  give_cmd->add_option("--method", c.give.method, "app | api | admin (default: the caller's)");
  give_cmd->add_option("--idempotency-key", c.give.idempotency_key, "Makes a retry safe");
  give_cmd->callback([&c] { c.action = [&c] { return RunGive(c.global, c.give); }; });

  auto* withdraw_cmd =
      consent_cmd.add_subcommand("withdraw", "Withdraw consent for scopes, or --all");
  withdraw_cmd->add_option("--tenant", c.withdraw.tenant, "Tenant id")->required();
  withdraw_cmd->add_option("--employee", c.withdraw.employee, "Employee id")->required();
  auto* withdraw_scope =
      withdraw_cmd->add_option("--scope", c.withdraw.scopes, kScopeHelp)->delimiter(',');
  withdraw_cmd->add_flag("--all", c.withdraw.all, "Withdraw every scope")->excludes(withdraw_scope);
  withdraw_cmd->add_option("--method", c.withdraw.method,
                           "app | api | admin | email (default: the caller's)");
  withdraw_cmd->add_option("--idempotency-key", c.withdraw.idempotency_key, "Makes a retry safe");
  withdraw_cmd->callback([&c] { c.action = [&c] { return RunWithdraw(c.global, c.withdraw); }; });
}

// consent check / state / history / batch-check / propagation.
void AddConsentReadCommands(CLI::App& consent_cmd, CommandLine& c) {
  auto* check_cmd = consent_cmd.add_subcommand("check", "Is consent for one scope given?");
  check_cmd->add_option("--tenant", c.check.tenant, "Tenant id")->required();
  check_cmd->add_option("--employee", c.check.employee, "Employee id")->required();
  check_cmd->add_option("--scope", c.check.scope, kScopeHelp)->required();
  check_cmd->callback([&c] { c.action = [&c] { return RunCheck(c.global, c.check); }; });

  auto* state_cmd = consent_cmd.add_subcommand("state", "Every scope the employee ever touched");
  state_cmd->add_option("--tenant", c.state.tenant, "Tenant id")->required();
  state_cmd->add_option("--employee", c.state.employee, "Employee id")->required();
  state_cmd->callback([&c] { c.action = [&c] { return RunState(c.global, c.state); }; });

  auto* history_cmd = consent_cmd.add_subcommand("history", "The employee's ledger, oldest first");
  history_cmd->add_option("--tenant", c.history.tenant, "Tenant id")->required();
  history_cmd->add_option("--employee", c.history.employee, "Employee id")->required();
  history_cmd->add_option("--page-size", c.history.page_size, "1-100 (default 50)")
      ->check(CLI::Range(0, std::numeric_limits<int32_t>::max()));
  history_cmd->add_option("--page-token", c.history.page_token, "From the previous page");
  history_cmd->callback([&c] { c.action = [&c] { return RunHistory(c.global, c.history); }; });

  auto* batch_cmd = consent_cmd.add_subcommand("batch-check", "Check one scope for many employees");
  batch_cmd->add_option("--tenant", c.batch.tenant, "Tenant id")->required();
  batch_cmd->add_option("--scope", c.batch.scope, kScopeHelp)->required();
  auto* employees =
      batch_cmd->add_option("--employees", c.batch.employees, "e1,e2,...")->delimiter(',');
  batch_cmd
      ->add_option("--employees-file", c.batch.employees_file,
                   "One id per line ('#' comments; '-' reads stdin)")
      ->excludes(employees);
  batch_cmd->callback([&c] { c.action = [&c] { return RunBatchCheck(c.global, c.batch); }; });

  auto* propagation_cmd = consent_cmd.add_subcommand(
      "propagation", "Which consuming services applied a change of the employee, and when");
  propagation_cmd->add_option("--tenant", c.propagation.tenant, "Tenant id")->required();
  propagation_cmd->add_option("--employee", c.propagation.employee, "Employee id")->required();
  propagation_cmd
      ->add_option("--sequence", c.propagation.sequence,
                   "Sequence of the change (as give/withdraw print it); 0 = the latest")
      ->check(CLI::Range(int64_t{0}, std::numeric_limits<int64_t>::max()))
      ->capture_default_str();
  propagation_cmd->callback(
      [&c] { c.action = [&c] { return RunPropagation(c.global, c.propagation); }; });
}

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

  CommandLine c;
  AddGlobalOptions(app, c.global);
  AddSetupCommands(app, c);
  AddNoticeCommands(app, c);
  auto* consent_cmd = app.add_subcommand("consent", "Give, withdraw and check consent");
  consent_cmd->require_subcommand(1);
  AddConsentChangeCommands(*consent_cmd, c);
  AddConsentReadCommands(*consent_cmd, c);

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // Help and version are "errors" with exit code 0; every real parse error is a usage error.
    return app.exit(e) == 0 ? kExitOk : kExitUsage;
  }
  if (!c.action) {
    std::cerr << "error: no subcommand given\n" << app.help();
    return kExitUsage;
  }
  return c.action();
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
