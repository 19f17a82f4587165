#include "app/check_command.h"

#include <iostream>

#include "app/config.h"

namespace nianbao::app {

int RunCheckCommand(const CheckCommandOptions& options) {
  auto loaded = LoadConfig(options.config);
  if (!loaded.ok()) {
    std::cerr << loaded.status().message() << "\n";
    return 2;
  }
  const Config& c = loaded.value();
  std::string sinks;
  const auto add = [&sinks](bool on, const char* name) {
    if (on) sinks += (sinks.empty() ? "" : ", ") + std::string(name);
  };
  add(c.kafka.enabled, "kafka");
  add(c.file.enabled, "file");
  add(c.stdout_sink, "stdout");
  for (const auto& alert : c.alerts) add(true, ("alert:" + alert.kind).c_str());
  std::cout << options.config << ": ok: " << c.sources.sources.size() << " sources in "
            << c.sources_path << ", sinks: " << sinks
            << ", metrics: " << (c.metrics_listen.empty() ? "off" : c.metrics_listen) << "\n";
  return 0;
}

}  // namespace nianbao::app
