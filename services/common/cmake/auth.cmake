# advocacy_auth: JWT (ES256) verification with a bounded cache, authorization decisions, and
# token minting / key generation for dev tooling. OpenSSL verifies; libjwt mints. Both stay
# private: the public header exposes neither.
add_library(advocacy_auth STATIC
  src/auth.cc          # roles, ids, Authorize* (pure)
  src/auth_tokens.cc)  # TokenVerifier, MintToken, GenerateKeyPair (libjwt + OpenSSL)
add_library(advocacy::auth ALIAS advocacy_auth)
target_link_libraries(advocacy_auth
  PUBLIC advocacy::base absl::status absl::statusor
  PRIVATE PkgConfig::LIBJWT OpenSSL::Crypto absl::flat_hash_map absl::strings absl::time
          nlohmann_json::nlohmann_json)
advocacy_warnings(advocacy_auth)

if(ADVOCACY_BUILD_TESTS)
  add_executable(advocacy_auth_test test/auth_test.cc)
  target_link_libraries(advocacy_auth_test PRIVATE
    advocacy::auth PkgConfig::LIBJWT OpenSSL::Crypto absl::strings nlohmann_json::nlohmann_json GTest::gtest_main)
  advocacy_warnings(advocacy_auth_test)
  gtest_discover_tests(advocacy_auth_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
