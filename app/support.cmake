# nianbao_app_support: the operator-facing support code of the binary, in a library so that
# the tests link it too (the rest of app/ is not linked into tests):
#   metrics.cc         MetricsRegistry, Prometheus text exposition
#   http_endpoint.cc   GET /metrics and /healthz on loopback (Boost.Beast on the daemon's loop)
#   systemd_notify.cc  sd_notify: READY, WATCHDOG, RELOADING, STOPPING, STATUS
# Included from app/CMakeLists.txt; paths are relative to this file.
find_package(spdlog REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

add_library(nianbao_app_support
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_endpoint.cc
  ${CMAKE_CURRENT_LIST_DIR}/systemd_notify.cc
)
target_include_directories(nianbao_app_support PUBLIC ${PROJECT_SOURCE_DIR})
# Boost (Asio in the public header) and Threads are part of the interface; libsystemd and
# spdlog are implementation details of the .cc files.
target_link_libraries(nianbao_app_support
  PUBLIC nianbao_base Boost::headers Threads::Threads
  PRIVATE nianbao_log PkgConfig::SYSTEMD spdlog::spdlog project_warnings project_sanitizers)
