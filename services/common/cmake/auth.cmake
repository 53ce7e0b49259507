# advocacy_auth: JWT verification (RS256, PS256, ES256; keys from JWKS files or https URLs, or a
# static key) with a bounded cache, the issuers file, authorization decisions, and token minting
# / key generation for dev tooling. OpenSSL verifies, libcurl fetches JWKS documents, libjwt
# mints. All stay private: the public headers expose none of them.
add_library(advocacy_auth STATIC
  src/auth.cc            # roles, ids, Authorize* (pure)
  src/auth_config.cc     # ParseIssuersFile, ValidateVerifierOptions
  src/auth_tokens.cc     # MintToken, GenerateKeyPair (libjwt + OpenSSL)
  src/issuer_keys.cc     # one issuer's keys: cache, background refresh, unknown-kid refresh
  src/jwk.cc             # JWKS / PEM -> keys pinned to an algorithm; signature checks (OpenSSL)
  src/jwks_source.cc     # JWKS from a file or an https URL (libcurl)
  src/oidc_client.cc     # client-credentials tokens from the IdP (libcurl), cached
  src/token_claims.cc    # exp/nbf/iat/lifetime, audience, claims -> Principal (pure)
  src/token_verifier.cc) # TokenVerifier: header, issuer, key, signature, cache, readiness
add_library(advocacy::auth ALIAS advocacy_auth)
target_link_libraries(advocacy_auth
  PUBLIC advocacy::base absl::status absl::statusor
  PRIVATE PkgConfig::LIBJWT OpenSSL::Crypto CURL::libcurl Threads::Threads absl::cord
          absl::flat_hash_map absl::flat_hash_set absl::strings absl::time
          nlohmann_json::nlohmann_json)
advocacy_warnings(advocacy_auth)

if(ADVOCACY_BUILD_TESTS)
  # auth_test: the verifier's checks on one static key (and the Authorize* decisions);
  # jwks_test: JWKS keys, algorithms, rotation, refresh and the issuers file, on files;
  # jwks_https_test: the same over a real local https server (test/jwks_https_server.py, a CA
  # and certificate made by the test with the openssl CLI).
  add_executable(advocacy_auth_test test/auth_test.cc test/jwks_test.cc
                                    test/jwks_https_test.cc test/jose_testing.cc)
  target_include_directories(advocacy_auth_test PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/src)
  target_compile_definitions(advocacy_auth_test PRIVATE
    ADVOCACY_JWKS_TEST_SERVER="${CMAKE_CURRENT_SOURCE_DIR}/test/jwks_https_server.py")
  target_link_libraries(advocacy_auth_test PRIVATE
    advocacy::auth PkgConfig::LIBJWT OpenSSL::Crypto absl::strings nlohmann_json::nlohmann_json
    GTest::gtest_main)
  advocacy_warnings(advocacy_auth_test)
  gtest_discover_tests(advocacy_auth_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
