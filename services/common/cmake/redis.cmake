# advocacy_redis: the hiredis-based client (connections, pool, Lua scripts, pipelining, TLS).
# hiredis and OpenSSL stay private: the public header forward-declares what it needs.
add_library(advocacy_redis STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/src/redis_client.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/redis_pool.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/redis_transport.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/redis_url.cc)
add_library(advocacy::redis ALIAS advocacy_redis)
target_link_libraries(advocacy_redis
  PUBLIC advocacy::base
  PRIVATE PkgConfig::HIREDIS OpenSSL::SSL OpenSSL::Crypto)
advocacy_warnings(advocacy_redis)

# advocacy_testing: helpers for tests of any library or service (a real redis-server, ...).
add_library(advocacy_testing STATIC ${CMAKE_CURRENT_SOURCE_DIR}/testing/redis_server.cc)
add_library(advocacy::testing ALIAS advocacy_testing)
target_include_directories(advocacy_testing PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(advocacy_testing PUBLIC advocacy::base)
advocacy_warnings(advocacy_testing)

if(ADVOCACY_BUILD_TESTS)
  add_executable(advocacy_redis_test ${CMAKE_CURRENT_SOURCE_DIR}/test/redis_client_test.cc)
  target_link_libraries(advocacy_redis_test PRIVATE
    advocacy::redis advocacy::testing GTest::gmock GTest::gtest_main Threads::Threads)
  advocacy_warnings(advocacy_redis_test)
  # Each test starts its own redis-server, so they can run in parallel under ctest -j.
  gtest_discover_tests(advocacy_redis_test DISCOVERY_TIMEOUT 30
                       PROPERTIES LABELS unit TIMEOUT 120)
endif()
