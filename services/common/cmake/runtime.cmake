# advocacy_grpc_tls: TLS credentials of gRPC servers and channels from watched PEM files. Small
# on purpose: advocacyctl, the load generators and the integration tests link it without the
# whole runtime.
add_library(advocacy_grpc_tls STATIC ${CMAKE_CURRENT_SOURCE_DIR}/src/grpc_tls.cc)
add_library(advocacy::grpc_tls ALIAS advocacy_grpc_tls)
target_link_libraries(advocacy_grpc_tls PUBLIC advocacy::base gRPC::grpc++ PRIVATE OpenSSL::Crypto)
advocacy_warnings(advocacy_grpc_tls)

# advocacy_common: config, metrics, outbox relay, gRPC edge and server bootstrap.
add_library(advocacy_common STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/src/auth_metrics.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/config.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/consent_view.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/event_trust.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/grpc_tls_config.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_security_config.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/metrics.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/outbox.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/rpc.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/server.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/service_runtime.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/unary_service.cc)
add_library(advocacy::common ALIAS advocacy_common)
target_link_libraries(advocacy_common
  PUBLIC advocacy::base advocacy::redis advocacy::kafka advocacy::auth advocacy::grpc_tls
         advocacy::http
         gRPC::grpc++ gRPC::grpc++_reflection prometheus-cpp::pull prometheus-cpp::core
         advocacy::proto
  PRIVATE nlohmann_json::nlohmann_json absl::synchronization absl::time)
advocacy_warnings(advocacy_common)
# The consent view's Redis scripts (lua/, linted by luacheck), as advocacy::consent_view::lua::k*Lua.
advocacy_lua_scripts(advocacy_common HEADER consent_view_lua.h
  NAMESPACE advocacy::consent_view::lua
  SCRIPTS lua/consent_view_apply.lua lua/consent_view_granted.lua)

if(ADVOCACY_BUILD_TESTS)
  add_executable(advocacy_common_test
    ${CMAKE_CURRENT_SOURCE_DIR}/test/auth_metrics_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/config_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/consent_view_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/event_trust_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/grpc_tls_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/kafka_security_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/metrics_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/outbox_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/server_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/service_runtime_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/unary_service_test.cc)
  target_link_libraries(advocacy_common_test PRIVATE advocacy::common advocacy::grpc_proto advocacy::testing
                                                     advocacy::kafka_testing GTest::gtest_main GTest::gmock)
  advocacy_warnings(advocacy_common_test)
  gtest_discover_tests(advocacy_common_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
