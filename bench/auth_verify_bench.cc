// Micro-benchmarks of the token check every consent RPC runs before it touches Redis
// (rpc::Handle -> TokenVerifier::Verify). The load generator sends one token over and over, so
// the service pays the cached path; the uncached path is what a client pays per new token.

#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "advocacy/common/auth.h"

namespace advocacy::bench {
namespace {

struct Fixture {
  std::unique_ptr<auth::TokenVerifier> cached;
  std::unique_ptr<auth::TokenVerifier> uncached;
  std::string header;
};

// Built once: key generation and minting are not what is measured.
const Fixture& GetFixture() {
  static const Fixture* fixture = [] {
    auto keys = auth::GenerateKeyPair();
    if (!keys.ok()) {
      std::fprintf(stderr, "GenerateKeyPair failed: %s\n",
                   std::string(keys.status().message()).c_str());
      std::abort();
    }
    auth::MintOptions mint;
    mint.private_key_pem = keys->first;
    mint.issuer = "bench";
    mint.audience = "advocacy";
    mint.principal.tenant_id = "bench";
    mint.principal.subject = "consent-bench";
    mint.principal.role = auth::Role::kService;
    auto token = auth::MintToken(mint);
    auth::VerifierOptions options;
    options.public_key_pem = keys->second;
    options.issuer = "bench";
    options.audience = "advocacy";
    auto cached = auth::TokenVerifier::Create(options);
    options.cache_capacity = 0;
    auto uncached = auth::TokenVerifier::Create(options);
    if (!token.ok() || !cached.ok() || !uncached.ok()) {
      std::fprintf(stderr, "cannot set up the token fixture\n");
      std::abort();
    }
    auto* f = new Fixture{std::move(*cached), std::move(*uncached), "Bearer " + *token};
    return f;
  }();
  return *fixture;
}

void BM_VerifyCached(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto p = f.cached->Verify(f.header);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_VerifyCached)->ThreadRange(1, 2)->UseRealTime();

void BM_VerifyUncached(benchmark::State& state) {
  const Fixture& f = GetFixture();
  for (auto _ : state) {
    auto p = f.uncached->Verify(f.header);
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_VerifyUncached);

void BM_AuthorizeEmployeeAccess(benchmark::State& state) {
  auth::Principal p;
  p.tenant_id = "bench";
  p.subject = "consent-bench";
  p.role = auth::Role::kService;
  for (auto _ : state) {
    auto st = auth::AuthorizeEmployeeAccess(p, "bench", "e0000042");
    benchmark::DoNotOptimize(st);
  }
}
BENCHMARK(BM_AuthorizeEmployeeAccess);

}  // namespace
}  // namespace advocacy::bench
