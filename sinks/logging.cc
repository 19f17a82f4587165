#include "sinks/logging.h"

#include <spdlog/sinks/stdout_color_sinks.h>

#include <mutex>

namespace nianbao::sinks::internal {

std::shared_ptr<spdlog::logger> SinkLogger(const std::string& name) {
  // Serialises our own get-or-create; another component may still register the same name
  // concurrently, which spdlog reports by throwing: caught below, then the winner is used.
  static std::mutex mu;
  std::lock_guard<std::mutex> lock(mu);
  if (auto logger = spdlog::get(name)) return logger;
  try {
    return spdlog::stderr_color_mt(name);
  } catch (const std::exception&) {
    if (auto logger = spdlog::get(name)) return logger;
    return spdlog::default_logger();
  }
}

}  // namespace nianbao::sinks::internal
