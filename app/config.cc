#include "app/config.h"

#include <toml++/toml.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <set>
#include <sstream>
#include <vector>

namespace nianbao::app {
namespace {

// One key of the file: where it lives, and how its value is read into the Config.
struct Field {
  std::string_view table;  // "" for the top level
  std::string_view key;
  std::function<std::string(const toml::node&, Config&)> read;  // "" or the problem
};

std::string Line(const toml::node& n) { return std::to_string(n.source().begin.line); }

auto Text(std::string Config::*field, std::set<std::string> allowed = {}) {
  return [field, allowed](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected a string";
    if (!allowed.empty() && !allowed.count(*v)) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + a;
      return "expected one of " + list + ", got \"" + *v + "\"";
    }
    c.*field = *v;
    return "";
  };
}

template <typename Get>
auto TextAt(Get get) {
  return [get](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<std::string>();
    if (!v) return "expected a string";
    get(c) = *v;
    return "";
  };
}

template <typename Get>
auto IntAt(Get get, int64_t min, int64_t max) {
  return [get, min, max](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<int64_t>();
    if (!v || !n.is_integer()) return "expected an integer";
    if (*v < min || *v > max) {
      return "must be between " + std::to_string(min) + " and " + std::to_string(max);
    }
    get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*v);
    return "";
  };
}

template <typename Get>
auto FlagAt(Get get) {
  return [get](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<bool>();
    if (!v || !n.is_boolean()) return "expected true or false";
    get(c) = *v;
    return "";
  };
}

const std::vector<Field>& Fields() {
  static const std::vector<Field> fields = {
      {"", "sources", Text(&Config::sources_path)},
      {"", "state_dir", Text(&Config::state_dir)},
      {"log", "format", Text(&Config::log_format, {"text", "json"})},
      {"log", "level", Text(&Config::log_level, {"trace", "debug", "info", "warn", "error"})},
      {"ingest", "workers", IntAt([](Config& c) -> int& { return c.workers; }, 1, 64)},
      {"ingest", "queue", IntAt([](Config& c) -> int& { return c.queue; }, 1, 100000)},
      {"kafka", "enabled", FlagAt([](Config& c) -> bool& { return c.kafka.enabled; })},
      {"kafka", "brokers", TextAt([](Config& c) -> std::string& { return c.kafka.brokers; })},
      {"kafka", "embedded_brokers",
       IntAt([](Config& c) -> int& { return c.kafka.embedded_brokers; }, 1, 9)},
      {"kafka", "transactional_id",
       TextAt([](Config& c) -> std::string& { return c.kafka.transactional_id; })},
      {"kafka", "compression",
       TextAt([](Config& c) -> std::string& { return c.kafka.compression; })},
      {"kafka.topics", "reports",
       TextAt([](Config& c) -> std::string& { return c.topics.reports; })},
      {"kafka.topics", "findings",
       TextAt([](Config& c) -> std::string& { return c.topics.findings; })},
      {"kafka.topics", "fetches",
       TextAt([](Config& c) -> std::string& { return c.topics.fetches; })},
      {"kafka.topics", "sources",
       TextAt([](Config& c) -> std::string& { return c.topics.sources; })},
      {"file", "enabled", FlagAt([](Config& c) -> bool& { return c.file.enabled; })},
      {"file", "dir", TextAt([](Config& c) -> std::string& { return c.file.dir; })},
      {"file", "max_bytes",
       [](const toml::node& n, Config& c) -> std::string {
         if (auto i = n.value<int64_t>(); i && n.is_integer()) {
           c.file.max_bytes = *i;
         } else if (auto s = n.value<std::string>();
                    !s || !crawler::ParseSize(*s, &c.file.max_bytes)) {
           return "expected a size such as \"64MiB\"";
         }
         return c.file.max_bytes > 0 ? "" : "must be positive";
       }},
      {"file", "max_files", IntAt([](Config& c) -> int& { return c.file.max_files; }, 1, 10000)},
      {"stdout", "enabled", FlagAt([](Config& c) -> bool& { return c.stdout_sink; })},
      {"metrics", "listen", Text(&Config::metrics_listen)},
      {"shutdown", "deadline",
       [](const toml::node& n, Config& c) -> std::string {
         crawler::Seconds d;
         auto s = n.value<std::string>();
         if (!s || !crawler::ParseDuration(*s, &d) || d.count() <= 0) {
           return "expected a duration such as \"30s\"";
         }
         c.shutdown_deadline = std::chrono::duration_cast<std::chrono::milliseconds>(d);
         return "";
       }},
  };
  return fields;
}

const std::set<std::string>& Tables() {
  static const std::set<std::string> tables = {"log",          "ingest",           "kafka",
                                               "kafka.topics", "kafka.properties", "file",
                                               "stdout",       "metrics",          "shutdown"};
  return tables;
}

// Walks a table, reading known keys and refusing unknown ones; `prefix` is its dotted name.
Status Walk(const toml::table& t, const std::string& prefix, const std::string& path, Config& c) {
  for (const auto& [k, node] : t) {
    std::string key(k.str());
    std::string dotted = prefix.empty() ? key : prefix + "." + key;
    std::string where =
        path + ":" + Line(node) + ": " + (prefix.empty() ? "" : "[" + prefix + "] ");
    if (prefix == "kafka.properties") {
      auto v = node.value<std::string>();
      if (!v) return Status::InvalidArgument(where + key + ": librdkafka properties are strings");
      c.kafka.properties[key] = *v;
      continue;
    }
    if (node.is_table()) {
      if (!Tables().count(dotted)) {
        return Status::InvalidArgument(where + "unknown table [" + dotted + "]");
      }
      if (Status s = Walk(*node.as_table(), dotted, path, c); !s.ok()) return s;
      continue;
    }
    const Field* field = nullptr;
    for (const auto& f : Fields()) {
      if (f.table == prefix && f.key == key) field = &f;
    }
    if (field == nullptr) return Status::InvalidArgument(where + "unknown key \"" + key + "\"");
    if (std::string problem = field->read(node, c); !problem.empty()) {
      return Status::InvalidArgument(where + key + ": " + problem);
    }
  }
  return Status::Ok();
}

}  // namespace

Result<Config> LoadConfig(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  std::stringstream ss;
  ss << in.rdbuf();
  Config c;
  c.path = path;
  toml::table root;
  try {
    root = toml::parse(ss.str(), path);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  if (Status s = Walk(root, "", path, c); !s.ok()) return s;
  if (c.sources_path.empty()) {
    return Status::InvalidArgument(path + ":1: \"sources\" (the sources file) is required");
  }
  if (c.sources_path.front() != '/') {
    auto slash = path.rfind('/');
    if (slash != std::string::npos) c.sources_path = path.substr(0, slash + 1) + c.sources_path;
  }
  auto sources = crawler::LoadSources(c.sources_path);
  if (!sources.ok()) return sources.status();
  c.sources = std::move(sources).value();
  if (c.state_dir.empty()) c.state_dir = c.sources.global.state_dir;
  if (c.file.dir.empty()) c.file.dir = c.state_dir + "/out";
  if (c.kafka.enabled && c.kafka.brokers.empty()) {
    return Status::InvalidArgument(path +
                                   ": [kafka] brokers: empty (use \"embedded\" or "
                                   "\"host:port,...\", or enabled = false)");
  }
  if (!c.kafka.enabled && !c.file.enabled && !c.stdout_sink) {
    return Status::InvalidArgument(path + ": no sink enabled ([kafka], [file] or [stdout])");
  }
  return c;
}

}  // namespace nianbao::app
