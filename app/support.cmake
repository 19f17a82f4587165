# nianbao_app_support: the operator-facing support code of the binary, in a library so that
# the tests link it too (the rest of app/ is not linked into tests):
#   metrics.cc         MetricsRegistry, Prometheus text exposition
#   http_endpoint.cc   GET /metrics, /healthz, /readyz and pages (Beast on the daemon's loop; TLS, basic auth)
#   systemd_notify.cc  sd_notify: READY, WATCHDOG, RELOADING, STOPPING, STATUS
#   status_board.cc    the status page's bounded state (sources, latest reports and findings)
#   status_page.cc     the status page: HTML and JSON of the board
#   process_metrics.cc CPU, memory, descriptors and start time of this process from /proc
# Included from app/CMakeLists.txt; paths are relative to this file.
find_package(spdlog REQUIRED)
pkg_check_modules(SYSTEMD REQUIRED IMPORTED_TARGET libsystemd)

add_library(nianbao_app_support
  ${CMAKE_CURRENT_LIST_DIR}/metrics.cc
  ${CMAKE_CURRENT_LIST_DIR}/http_endpoint.cc
  ${CMAKE_CURRENT_LIST_DIR}/systemd_notify.cc
  ${CMAKE_CURRENT_LIST_DIR}/status_board.cc
  ${CMAKE_CURRENT_LIST_DIR}/status_page.cc
  ${CMAKE_CURRENT_LIST_DIR}/process_metrics.cc
)
target_include_directories(nianbao_app_support PUBLIC ${PROJECT_SOURCE_DIR})
# Boost (Asio in the public header), Threads and the sinks' Batch (status_board.h) are part of
# the interface; libsystemd, spdlog, nlohmann-json and OpenSSL (the endpoint's TLS and basic
# auth) are implementation details of the .cc files.
target_link_libraries(nianbao_app_support
  PUBLIC nianbao_base nianbao_sink_interface Boost::headers Threads::Threads
  PRIVATE nianbao_log PkgConfig::SYSTEMD spdlog::spdlog nlohmann_json::nlohmann_json ssl crypto
          project_warnings project_sanitizers)
