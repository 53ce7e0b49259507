# advocacy_kafka: idempotent producer, at-least-once consumer with dead letters, CloudEvents
# headers. librdkafka's C API only; its headers stay out of include/ (see src/kafka_internal.h).
add_library(advocacy_kafka STATIC
  ${CMAKE_CURRENT_SOURCE_DIR}/src/cloud_event.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_common.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_producer.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_security.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_consumer.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_dead_letter_writer.cc
  ${CMAKE_CURRENT_SOURCE_DIR}/src/kafka_deferred_progress.cc)
add_library(advocacy::kafka ALIAS advocacy_kafka)
target_link_libraries(advocacy_kafka
  PUBLIC advocacy::base
  PRIVATE PkgConfig::RDKAFKA absl::random_random absl::time Threads::Threads)
advocacy_warnings(advocacy_kafka)

# advocacy_kafka_testing: librdkafka's mock cluster and a topic reader, for unit tests; the local
# stack's real broker for the few that need one (testing/real_kafka.h).
add_library(advocacy_kafka_testing STATIC ${CMAKE_CURRENT_SOURCE_DIR}/testing/kafka_mock.cc
                                          ${CMAKE_CURRENT_SOURCE_DIR}/testing/real_kafka.cc)
add_library(advocacy::kafka_testing ALIAS advocacy_kafka_testing)
target_include_directories(advocacy_kafka_testing PUBLIC ${CMAKE_CURRENT_SOURCE_DIR})
target_link_libraries(advocacy_kafka_testing PUBLIC advocacy::kafka PRIVATE PkgConfig::RDKAFKA)
advocacy_warnings(advocacy_kafka_testing)

if(ADVOCACY_BUILD_TESTS)
  # Runs against librdkafka's in-process mock cluster: no broker needed.
  add_executable(advocacy_kafka_test
    ${CMAKE_CURRENT_SOURCE_DIR}/test/cloud_event_test.cc
    ${CMAKE_CURRENT_SOURCE_DIR}/test/kafka_test.cc)
  target_link_libraries(advocacy_kafka_test PRIVATE
    advocacy::kafka advocacy::kafka_testing GTest::gtest_main Threads::Threads)
  advocacy_warnings(advocacy_kafka_test)
  gtest_discover_tests(advocacy_kafka_test DISCOVERY_TIMEOUT 30 PROPERTIES LABELS unit)
endif()
