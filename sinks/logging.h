// Named spdlog loggers for the sinks ("sinks.kafka", "sinks.file", "sinks.stdout").
//
// Internal to sinks/. Threading: SinkLogger() may be called from any thread; the loggers are the
// thread-safe (_mt) kind.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>

namespace nianbao::sinks::internal {

// Returns the registered logger `name`, registering a colour logger on stderr if there is none.
// stderr, not stdout: the stdout sink writes JSON Lines to stdout and log lines would corrupt them.
// Never throws; falls back to spdlog's default logger if registration fails.
std::shared_ptr<spdlog::logger> SinkLogger(const std::string& name);

}  // namespace nianbao::sinks::internal
