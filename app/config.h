// The daemon's configuration file (docs/config.md) as one typed struct tree.
//
// LoadConfig() reads TOML with toml++, refuses unknown keys and wrong types with
// "FILE:LINE: [table] key: problem", resolves the sources path relative to the config file,
// and loads the sources file through crawler::LoadSources (whose errors name its own file
// and line). Every field carries its default here; docs/config.md shows them all.
//
// Threading: LoadConfig() is a pure function of the files; the structs are plain values.
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <string>

#include "base/status.h"
#include "crawler/sources.h"
#include "ingest/messages.h"

namespace nianbao::app {

struct KafkaConfig {
  bool enabled = true;
  std::string brokers = "embedded";  // "embedded" = librdkafka's mock cluster, in-process
  int embedded_brokers = 1;
  std::string transactional_id = "nianbao-1";
  std::string compression = "lz4";
  std::map<std::string, std::string> properties;  // passed straight to librdkafka
};

struct FileSinkConfig {
  bool enabled = false;
  std::string dir;  // "" = STATE_DIR/out
  int64_t max_bytes = 64 << 20;
  int max_files = 10;
};

struct Config {
  std::string path;                 // the file read
  std::string sources_path;         // absolute or relative to the working directory
  std::string state_dir;            // "" = [global].state_dir of the sources file
  std::string log_format = "text";  // or "json"
  std::string log_level = "info";   // trace, debug, info, warn, error
  int workers = 2;                  // parser threads
  int queue = 64;                   // report pages between crawler and parser
  ingest::Topics topics;
  KafkaConfig kafka;
  FileSinkConfig file;
  bool stdout_sink = false;
  std::string metrics_listen = "127.0.0.1:9464";  // "" = off
  std::chrono::milliseconds shutdown_deadline{30'000};
  bool exit_after_pass = false;    // --once: one pass, deliver, exit (demo and tests)
  crawler::SourcesConfig sources;  // loaded from sources_path
};

Result<Config> LoadConfig(const std::string& path);

}  // namespace nianbao::app
