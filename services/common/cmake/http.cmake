# advocacy_http: the small HTTP/1.1 server behind the browser-facing endpoints (content's
# tracked links, notifications' one-click unsubscribe), on Boost.Beast and Boost.Asio
# (header-only, Debian's libboost-dev; nothing of Boost appears in the public header).
add_library(advocacy_http STATIC ${CMAKE_CURRENT_SOURCE_DIR}/src/http_message.cc
                                 ${CMAKE_CURRENT_SOURCE_DIR}/src/http_server.cc)
add_library(advocacy::http ALIAS advocacy_http)
target_link_libraries(advocacy_http PUBLIC advocacy::base PRIVATE Boost::headers Threads::Threads)
advocacy_warnings(advocacy_http)

if(ADVOCACY_BUILD_TESTS)
  add_executable(advocacy_http_test ${CMAKE_CURRENT_SOURCE_DIR}/test/http_server_test.cc)
  target_link_libraries(advocacy_http_test PRIVATE advocacy::http GTest::gmock GTest::gtest_main)
  advocacy_warnings(advocacy_http_test)
  gtest_discover_tests(advocacy_http_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit TIMEOUT 120)
endif()
