#include "app/config.h"

#include <toml++/toml.h>

#include <algorithm>
#include <boost/asio/ip/address.hpp>
#include <cerrno>
#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <system_error>
#include <type_traits>
#include <utility>

#include "app/http_endpoint.h"
#include "base/near_miss.h"
#include "base/read_file.h"

namespace nianbao::app {
namespace {

// What is wrong with a value: "" when nothing.
using Reader = std::function<std::string(const toml::node&, Config&)>;
using Same = std::function<bool(const Config&, const Config&)>;

// One key of the file: where it lives, how its value is read into the Config, how two Configs
// are compared on it, and whether a reload applies it.
struct Field {
  std::string_view table;  // "" for the top level
  std::string_view key;
  Reader read;
  Same same;
  bool reloadable = false;
};

std::string Line(const toml::node& n) { return std::to_string(n.source().begin.line); }

// Getters are generic lambdas, `[](auto& c) -> auto& { return c.x; }`, so that one of them both
// writes the field of a Config being read and reads it from a const Config being compared.
template <typename Get>
Same SameBy(Get get) {
  return [get](const Config& a, const Config& b) { return get(a) == get(b); };
}

template <typename Get>
Field TextField(std::string_view table, std::string_view key, Get get,
                std::vector<std::string_view> allowed = {}) {
  Reader read = [get, allowed](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<std::string>();
    if (!v || !n.is_string()) return "expected a string";
    if (!allowed.empty() && std::find(allowed.begin(), allowed.end(), *v) == allowed.end()) {
      std::string list;
      for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
      return "expected one of " + list + ", got \"" + *v + "\"";
    }
    get(c) = *v;
    return "";
  };
  return {table, key, std::move(read), SameBy(get)};
}

template <typename Get>
Field IntField(std::string_view table, std::string_view key, Get get, int64_t min, int64_t max) {
  Reader read = [get, min, max](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<int64_t>();
    if (!v || !n.is_integer()) return "expected an integer";
    if (*v < min || *v > max) {
      return "must be between " + std::to_string(min) + " and " + std::to_string(max);
    }
    get(c) = static_cast<std::remove_reference_t<decltype(get(c))>>(*v);
    return "";
  };
  return {table, key, std::move(read), SameBy(get)};
}

template <typename Get>
Field FlagField(std::string_view table, std::string_view key, Get get) {
  Reader read = [get](const toml::node& n, Config& c) -> std::string {
    auto v = n.value<bool>();
    if (!v || !n.is_boolean()) return "expected true or false";
    get(c) = *v;
    return "";
  };
  return {table, key, std::move(read), SameBy(get)};
}

// A duration string ("500ms", "30s", "5m") into milliseconds, at least 1 ms.
template <typename Get>
Field DurationField(std::string_view table, std::string_view key, Get get) {
  Reader read = [get](const toml::node& n, Config& c) -> std::string {
    crawler::Seconds d;
    auto s = n.value<std::string>();
    if (!s || !n.is_string() || !crawler::ParseDuration(*s, &d)) {
      return "expected a duration such as \"30s\" or \"500ms\"";
    }
    if (d.count() > 366 * 86400.0) return "\"" + *s + "\" is over 366d";
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d);
    if (ms.count() <= 0) return "must be at least 1ms";
    get(c) = ms;
    return "";
  };
  return {table, key, std::move(read), SameBy(get)};
}

// A size ("64MiB" or bytes); 0 only where it means "no bound" (allow_zero).
template <typename Get>
Field SizeField(std::string_view table, std::string_view key, Get get, bool allow_zero = false) {
  Reader read = [get, allow_zero](const toml::node& n, Config& c) -> std::string {
    int64_t bytes = 0;
    if (auto i = n.value<int64_t>(); i && n.is_integer()) {
      bytes = *i;
    } else if (auto s = n.value<std::string>(); !s || !crawler::ParseSize(*s, &bytes)) {
      return "expected a size such as \"64MiB\"";
    }
    if (bytes < 0 || (bytes == 0 && !allow_zero)) return "must be positive";
    get(c) = bytes;
    return "";
  };
  return {table, key, std::move(read), SameBy(get)};
}

Field Reloadable(Field f) {
  f.reloadable = true;
  return f;
}

// The table of keys, in the order of docs/config.md and docs/defaults.toml. Adding a setting:
// a field in config.h, a row here, a line in both documents (tests/app/defaults_test.cc fails
// until docs/defaults.toml has it with the same default).
const std::vector<Field>& Fields() {
  static const auto* const fields = new std::vector<Field>{
      Reloadable(TextField(
          "", "sources", [](auto& c) -> auto& { return c.sources_path; })),
      TextField(
          "", "state_dir", [](auto& c) -> auto& { return c.state_dir; }),
      Reloadable(TextField("log", "format", [](auto& c) -> auto& { return c.log.format; },
                           {"text", "json"})),
      Reloadable(TextField("log", "level", [](auto& c) -> auto& { return c.log.level; },
                           {"trace", "debug", "info", "warn", "error"})),
      IntField(
          "ingest", "workers", [](auto& c) -> auto& { return c.workers; }, 1, 64),
      IntField(
          "ingest", "queue", [](auto& c) -> auto& { return c.queue; }, 1, 100000),
      SizeField(
          "ingest", "queue_bytes", [](auto& c) -> auto& { return c.queue_bytes; }, true),
      FlagField(
          "kafka", "enabled", [](auto& c) -> auto& { return c.kafka.enabled; }),
      TextField(
          "kafka", "brokers", [](auto& c) -> auto& { return c.kafka.brokers; }),
      IntField(
          "kafka", "embedded_brokers", [](auto& c) -> auto& { return c.kafka.embedded_brokers; }, 1,
          9),
      TextField(
          "kafka", "transactional_id", [](auto& c) -> auto& { return c.kafka.transactional_id; }),
      TextField("kafka", "compression", [](auto& c) -> auto& { return c.kafka.compression; },
                {"zstd", "lz4", "snappy", "gzip", "none"}),
      IntField(
          "kafka", "queue_batches", [](auto& c) -> auto& { return c.kafka.queue_batches; }, 1,
          100000),
      IntField(
          "kafka", "batches_per_transaction",
          [](auto& c) -> auto& { return c.kafka.batches_per_transaction; }, 1, 10000),
      DurationField(
          "kafka", "transaction_timeout",
          [](auto& c) -> auto& { return c.kafka.transaction_timeout; }),
      DurationField(
          "kafka", "call_timeout", [](auto& c) -> auto& { return c.kafka.call_timeout; }),
      DurationField(
          "kafka", "retry_backoff_min", [](auto& c) -> auto& { return c.kafka.retry_backoff_min; }),
      DurationField(
          "kafka", "retry_backoff_max", [](auto& c) -> auto& { return c.kafka.retry_backoff_max; }),
      TextField(
          "kafka.topics", "reports", [](auto& c) -> auto& { return c.topics.reports; }),
      TextField(
          "kafka.topics", "findings", [](auto& c) -> auto& { return c.topics.findings; }),
      TextField(
          "kafka.topics", "fetches", [](auto& c) -> auto& { return c.topics.fetches; }),
      TextField(
          "kafka.topics", "sources", [](auto& c) -> auto& { return c.topics.sources; }),
      FlagField(
          "file", "enabled", [](auto& c) -> auto& { return c.file.enabled; }),
      TextField(
          "file", "dir", [](auto& c) -> auto& { return c.file.dir; }),
      SizeField(
          "file", "max_bytes", [](auto& c) -> auto& { return c.file.max_bytes; }),
      IntField(
          "file", "max_files", [](auto& c) -> auto& { return c.file.max_files; }, 1, 10000),
      FlagField(
          "stdout", "enabled", [](auto& c) -> auto& { return c.stdout_sink; }),
      FlagField(
          "archive", "enabled", [](auto& c) -> auto& { return c.archive.enabled; }),
      TextField(
          "archive", "dir", [](auto& c) -> auto& { return c.archive.dir; }),
      SizeField(
          "archive", "max_file_size", [](auto& c) -> auto& { return c.archive.max_file_bytes; }),
      SizeField(
          "archive", "max_total_size", [](auto& c) -> auto& { return c.archive.max_total_bytes; },
          true),
      IntField(
          "archive", "keep_days", [](auto& c) -> auto& { return c.archive.keep_days; }, 0, 36600),
      TextField(
          "metrics", "listen", [](auto& c) -> auto& { return c.metrics_listen; }),
      FlagField(
          "metrics", "allow_non_loopback",
          [](auto& c) -> auto& { return c.metrics_allow_non_loopback; }),
      DurationField(
          "metrics", "ready_max_undelivered_age",
          [](auto& c) -> auto& { return c.metrics_ready_max_undelivered_age; }),
      IntField(
          "metrics", "ready_max_backlog",
          [](auto& c) -> auto& { return c.metrics_ready_max_backlog; }, 0, 1'000'000),
      TextField(
          "metrics", "auth_user", [](auto& c) -> auto& { return c.metrics_auth_user; }),
      TextField(
          "metrics", "auth_password_hash",
          [](auto& c) -> auto& { return c.metrics_auth_password_hash; }),
      TextField(
          "metrics", "tls_cert", [](auto& c) -> auto& { return c.metrics_tls_cert; }),
      TextField(
          "metrics", "tls_key", [](auto& c) -> auto& { return c.metrics_tls_key; }),
      FlagField(
          "status", "enabled", [](auto& c) -> auto& { return c.status_enabled; }),
      IntField(
          "status", "max_reports", [](auto& c) -> auto& { return c.status_max_reports; }, 1,
          100'000),
      IntField(
          "status", "max_findings", [](auto& c) -> auto& { return c.status_max_findings; }, 1,
          1'000'000),
      DurationField(
          "shutdown", "deadline", [](auto& c) -> auto& { return c.shutdown_deadline; }),
      FlagField(
          "history", "enabled", [](auto& c) -> auto& { return c.history.enabled; }),
      IntField(
          "history", "missing_grace_days",
          [](auto& c) -> auto& { return c.history.missing_grace_days; }, 0, 366),
      FlagField(
          "history", "missing_before_watch",
          [](auto& c) -> auto& { return c.history.missing_before_watch; }),
      FlagField(
          "cluster", "enabled", [](auto& c) -> auto& { return c.cluster.enabled; }),
      TextField(
          "cluster", "group", [](auto& c) -> auto& { return c.cluster.group; }),
      IntField(
          "cluster", "partitions", [](auto& c) -> auto& { return c.cluster.partitions; }, 1,
          10'000),
      TextField(
          "cluster", "topic", [](auto& c) -> auto& { return c.cluster.topic; }),
      TextField(
          "cluster", "changelog_topic", [](auto& c) -> auto& { return c.cluster.changelog_topic; }),
      TextField(
          "cluster", "node", [](auto& c) -> auto& { return c.cluster.node; }),
      DurationField(
          "cluster", "session_timeout", [](auto& c) -> auto& { return c.cluster.session_timeout; }),
  };
  return *fields;
}

constexpr std::string_view kTables[] = {
    "log",     "ingest",  "kafka",  "kafka.topics", "kafka.properties", "file",   "stdout",
    "archive", "metrics", "status", "shutdown",     "history",          "cluster"};

std::string KeyName(std::string_view table, std::string_view key) {
  return table.empty() ? std::string(key) : "[" + std::string(table) + "] " + std::string(key);
}

// A credential's contents: $CREDENTIALS_DIRECTORY/NAME, without one final line break (files
// written with `echo` end with one; a password never does).
std::string ReadCredential(const std::string& name, std::string* value) {
  constexpr size_t kMaxCredentialBytes = 64 << 10;
  if (name.empty() || name == "." || name == ".." || name.find('/') != std::string::npos) {
    return "credential \"" + name + "\" is not a file name";
  }
  const char* dir = std::getenv("CREDENTIALS_DIRECTORY");
  if (dir == nullptr || *dir == '\0') {
    return "credential \"" + name +
           "\": $CREDENTIALS_DIRECTORY is not set (give the service LoadCredential=" + name +
           ":FILE)";
  }
  const std::string file_path = std::string(dir) + "/" + name;
  std::FILE* f = std::fopen(file_path.c_str(), "rb");
  if (f == nullptr) {
    return "credential \"" + name + "\": cannot read " + file_path + ": " +
           std::generic_category().message(errno);
  }
  std::string text;
  char buffer[4096];
  size_t n = 0;
  while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0 && text.size() <= kMaxCredentialBytes) {
    text.append(buffer, n);
  }
  const int read_errno = std::ferror(f) ? errno : 0;
  std::fclose(f);
  if (read_errno != 0) {
    return "credential \"" + name + "\": cannot read " + file_path + ": " +
           std::generic_category().message(read_errno);
  }
  if (text.size() > kMaxCredentialBytes) {
    return "credential \"" + name + "\": " + file_path + " is larger than 64 KiB";
  }
  if (!text.empty() && text.back() == '\n') text.pop_back();
  if (!text.empty() && text.back() == '\r') text.pop_back();
  *value = std::move(text);
  return "";
}

// A secret written as a reference: "credential:NAME" (systemd's LoadCredential=), "env:NAME"
// (an environment variable), or { credential = "NAME" }. `*is_reference` false: a string that
// is none of these (the caller decides whether a literal is allowed).
std::string ReadSecretReference(const toml::node& node, std::string* value, bool* is_reference) {
  *is_reference = true;
  if (const auto* t = node.as_table()) {
    const auto* name = t->get_as<std::string>("credential");
    if (name == nullptr || t->size() != 1) {
      return "expected a string or { credential = \"NAME\" }";
    }
    return ReadCredential(name->get(), value);
  }
  auto s = node.value<std::string>();
  if (!s || !node.is_string()) return "expected a string";
  constexpr std::string_view kCredential = "credential:";
  constexpr std::string_view kEnv = "env:";
  if (s->rfind(kCredential, 0) == 0) return ReadCredential(s->substr(kCredential.size()), value);
  if (s->rfind(kEnv, 0) == 0) {
    const std::string name = s->substr(kEnv.size());
    const char* v = name.empty() ? nullptr : std::getenv(name.c_str());
    if (v == nullptr || *v == '\0') return "environment variable \"" + name + "\" is not set";
    *value = v;
    return "";
  }
  *is_reference = false;
  *value = *s;
  return "";
}

// A secret: a reference only. The config file is world-readable (systemd/README.md).
std::string ReadSecret(const toml::node& node, std::string* value) {
  bool is_reference = false;
  if (std::string p = ReadSecretReference(node, value, &is_reference); !p.empty()) return p;
  if (!is_reference && !value->empty()) {
    value->clear();
    return "a secret is not written in the config, which others can read: give \"credential:NAME\" "
           "(systemd LoadCredential=) or \"env:NAME\"";
  }
  return "";
}

// librdkafka properties that hold a secret: sasl.password, ssl.key.password,
// sasl.oauthbearer.client.secret, ...
bool IsSecretProperty(std::string_view key) {
  const auto ends = [&](std::string_view tail) {
    return key.size() >= tail.size() && key.substr(key.size() - tail.size()) == tail;
  };
  return ends("password") || ends("secret");
}

// A [kafka.properties] value: a string, or a secret reference (a secret property must be one);
// checked by librdkafka.
std::string ReadProperty(const std::string& key, const toml::node& node, Config& c) {
  std::string value;
  if (!node.is_string() && !node.is_table()) {
    return "librdkafka properties are strings (or { credential = \"NAME\" })";
  }
  if (IsSecretProperty(key)) {
    if (std::string problem = ReadSecret(node, &value); !problem.empty()) return problem;
  } else {
    bool is_reference = false;
    if (std::string problem = ReadSecretReference(node, &value, &is_reference); !problem.empty()) {
      return problem;
    }
  }
  if (Status s = sinks::CheckKafkaProperty(key, value); !s.ok()) return s.message();
  c.kafka.properties[key] = std::move(value);
  return "";
}

// The hint after "unknown key": the table the key belongs in, or the key of this table it is a
// near miss of (as the sources file answers, crawler/sources.cc); "" when nothing is close.
std::string KeyHint(std::string_view table, std::string_view key) {
  std::vector<std::string_view> here;
  for (const auto& f : Fields()) {
    if (f.table == table) here.push_back(f.key);
  }
  for (const auto& f : Fields()) {
    if (f.key == key && f.table != table) {
      return " (it belongs in " +
             (f.table.empty() ? std::string("the top level") : "[" + std::string(f.table) + "]") +
             ")";
    }
  }
  if (std::string_view near = NearestKey(key, here); !near.empty()) {
    return " (did you mean \"" + std::string(near) + "\"?)";
  }
  return "";
}

std::string TableHint(std::string_view dotted) {
  const std::vector<std::string_view> known(std::begin(kTables), std::end(kTables));
  if (std::string_view near = NearestKey(dotted, known); !near.empty()) {
    return " (did you mean [" + std::string(near) + "]?)";
  }
  return "";
}

// One [[alerts]] table: its keys, each read into the target; kind and url are required.
std::string ReadAlertList(const toml::node& node, std::vector<std::string>* out) {
  const auto* array = node.as_array();
  if (array == nullptr) return "expected a list of strings";
  for (const auto& item : *array) {
    auto v = item.value<std::string>();
    if (!v || !item.is_string()) return "expected a list of strings";
    out->push_back(*v);
  }
  return "";
}

std::string ReadAlertText(const toml::node& node, std::string* out) {
  auto v = node.value<std::string>();
  if (!v || !node.is_string()) return "expected a string";
  *out = *v;
  return "";
}

std::string ReadAlertChoice(const toml::node& node, const std::vector<std::string_view>& allowed,
                            std::string* out) {
  if (std::string p = ReadAlertText(node, out); !p.empty()) return p;
  if (std::find(allowed.begin(), allowed.end(), *out) != allowed.end()) return "";
  std::string list;
  for (const auto& a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
  return "expected one of " + list + ", got \"" + *out + "\"";
}

std::string ReadAlertDuration(const toml::node& node, std::chrono::milliseconds* out) {
  crawler::Seconds d;
  auto s = node.value<std::string>();
  if (!s || !node.is_string() || !crawler::ParseDuration(*s, &d)) {
    return "expected a duration such as \"30s\" or \"500ms\"";
  }
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(d);
  if (ms.count() <= 0 || d.count() > 86400.0) return "expected 1ms to 1d";
  *out = ms;
  return "";
}

using AlertKeyReader = std::function<std::string(const toml::node&, sinks::AlertTarget&)>;

const std::vector<std::pair<std::string_view, AlertKeyReader>>& AlertKeys() {
  static const auto* const keys = new std::vector<std::pair<std::string_view, AlertKeyReader>>{
      {"kind",
       [](const toml::node& n, sinks::AlertTarget& t) {
         return ReadAlertChoice(n, sinks::AlertKinds(), &t.kind);
       }},
      {"url",
       [](const toml::node& n, sinks::AlertTarget& t) {
         // A robot's URL carries its key: it may be a reference too.
         bool is_reference = false;
         return ReadSecretReference(n, &t.url, &is_reference);
       }},
      {"min_severity",
       [](const toml::node& n, sinks::AlertTarget& t) {
         return ReadAlertChoice(n, sinks::AlertSeverities(), &t.min_severity);
       }},
      {"secret",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadSecret(n, &t.secret); }},
      {"rules",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertList(n, &t.rules); }},
      {"sources",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertList(n, &t.sources); }},
      {"organizations", [](const toml::node& n,
                           sinks::AlertTarget& t) { return ReadAlertList(n, &t.organizations); }},
      {"rate_limit",
       [](const toml::node& n, sinks::AlertTarget& t) -> std::string {
         auto v = n.value<int64_t>();
         if (!v || !n.is_integer() || *v < 0 || *v > 100'000) {
           return "expected messages per minute, 0 (no limit) to 100000";
         }
         t.rate_limit = static_cast<int>(*v);
         return "";
       }},
      {"headers",
       [](const toml::node& n, sinks::AlertTarget& t) -> std::string {
         const auto* table = n.as_table();
         if (table == nullptr) return "expected a table of header names and values";
         for (const auto& [name, value] : *table) {
           auto v = value.value<std::string>();
           if (!v || !value.is_string()) return "expected a table of header names and values";
           t.headers.push_back(std::string(name.str()) + ": " + *v);
         }
         return "";
       }},
      {"max_attempts",
       [](const toml::node& n, sinks::AlertTarget& t) -> std::string {
         auto v = n.value<int64_t>();
         if (!v || !n.is_integer() || *v < 1 || *v > 100) return "expected 1 to 100";
         t.max_attempts = static_cast<int>(*v);
         return "";
       }},
      {"retry_backoff_min",
       [](const toml::node& n, sinks::AlertTarget& t) {
         return ReadAlertDuration(n, &t.retry_backoff_min);
       }},
      {"retry_backoff_max",
       [](const toml::node& n, sinks::AlertTarget& t) {
         return ReadAlertDuration(n, &t.retry_backoff_max);
       }},
      {"from",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertText(n, &t.from); }},
      {"to", [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertList(n, &t.to); }},
      {"username",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertText(n, &t.username); }},
      {"password",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadSecret(n, &t.password); }},
      {"ca_file",
       [](const toml::node& n, sinks::AlertTarget& t) { return ReadAlertText(n, &t.ca_file); }},
      {"starttls",
       [](const toml::node& n, sinks::AlertTarget& t) -> std::string {
         auto v = n.value<bool>();
         if (!v || !n.is_boolean()) return "expected true or false";
         t.starttls = *v;
         return "";
       }},
  };
  return *keys;
}

// [[alerts]]: an array of tables, each one target.
Status ReadAlerts(const toml::node& node, const std::string& path, Config& c) {
  const auto* array = node.as_array();
  if (array == nullptr || !array->is_array_of_tables()) {
    return Status::InvalidArgument(path + ":" + Line(node) +
                                   ": alerts: expected [[alerts]] tables");
  }
  for (const auto& item : *array) {
    const auto& table = *item.as_table();
    const std::string where = path + ":" + Line(item) + ": [[alerts]] ";
    sinks::AlertTarget target;
    for (const auto& [k, value] : table) {
      const std::string key(k.str());
      const std::string at = path + ":" + Line(value) + ": [[alerts]] ";
      const AlertKeyReader* reader = nullptr;
      std::vector<std::string_view> known;
      for (const auto& [name, read] : AlertKeys()) {
        known.push_back(name);
        if (name == key) reader = &read;
      }
      if (reader == nullptr) {
        std::string hint;
        if (std::string_view near = NearestKey(key, known); !near.empty()) {
          hint = " (did you mean \"" + std::string(near) + "\"?)";
        }
        return Status::InvalidArgument(at + "unknown key \"" + key + "\"" + hint);
      }
      if (std::string problem = (*reader)(value, target); !problem.empty()) {
        return Status::InvalidArgument(at + key + ": " + problem);
      }
    }
    if (target.kind.empty()) return Status::InvalidArgument(where + "kind: required");
    if (target.url.empty()) return Status::InvalidArgument(where + "url: required");
    if (target.retry_backoff_max < target.retry_backoff_min) {
      return Status::InvalidArgument(where + "retry_backoff_max: less than retry_backoff_min");
    }
    if (target.kind != "webhook" && !target.headers.empty()) {
      return Status::InvalidArgument(where + "headers: for kind = \"webhook\" only");
    }
    if (target.kind == "email" && (target.from.empty() || target.to.empty())) {
      return Status::InvalidArgument(where + "email: from and to are required");
    }
    if (target.kind != "email" &&
        (!target.from.empty() || !target.to.empty() || !target.username.empty() ||
         !target.password.empty() || !target.starttls)) {
      return Status::InvalidArgument(where +
                                     "from, to, username, password and starttls are "
                                     "for kind = \"email\"");
    }
    c.alerts.push_back(std::move(target));
  }
  return Status::Ok();
}

// Walks a table, reading known keys and refusing unknown ones; `prefix` is its dotted name.
Status Walk(const toml::table& t, const std::string& prefix, const std::string& path, Config& c) {
  for (const auto& [k, node] : t) {
    std::string key(k.str());
    std::string dotted = prefix.empty() ? key : prefix + "." + key;
    std::string where =
        path + ":" + Line(node) + ": " + (prefix.empty() ? "" : "[" + prefix + "] ");
    if (prefix.empty() && key == "alerts") {
      if (Status st = ReadAlerts(node, path, c); !st.ok()) return st;
      continue;
    }
    if (prefix == "kafka.properties") {
      if (std::string problem = ReadProperty(key, node, c); !problem.empty()) {
        return Status::InvalidArgument(where + key + ": " + problem);
      }
      continue;
    }
    if (node.is_table()) {
      if (std::find(std::begin(kTables), std::end(kTables), dotted) == std::end(kTables)) {
        return Status::InvalidArgument(where + "unknown table [" + dotted + "]" +
                                       TableHint(dotted));
      }
      if (Status s = Walk(*node.as_table(), dotted, path, c); !s.ok()) return s;
      continue;
    }
    const Field* field = nullptr;
    for (const auto& f : Fields()) {
      if (f.table == prefix && f.key == key) field = &f;
    }
    if (field == nullptr) {
      return Status::InvalidArgument(where + "unknown key \"" + key + "\"" + KeyHint(prefix, key));
    }
    if (std::string problem = field->read(node, c); !problem.empty()) {
      return Status::InvalidArgument(where + key + ": " + problem);
    }
  }
  return Status::Ok();
}

// "127.0.0.1:9464" / "[::1]:9464" -> address, port; "" or the problem.
std::string CheckListen(const std::string& listen, bool allow_non_loopback) {
  const auto colon = listen.rfind(':');
  if (colon == std::string::npos) return "expected address:port, got \"" + listen + "\"";
  std::string host = listen.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = listen.substr(colon + 1);
  int number = 0;
  const auto [end, error] = std::from_chars(port.data(), port.data() + port.size(), number);
  if (port.empty() || error != std::errc() || end != port.data() + port.size() || number < 0 ||
      number > 65535) {
    return "expected address:port with a port from 0 to 65535, got \"" + listen + "\"";
  }
  boost::system::error_code ec;
  const auto address = boost::asio::ip::make_address(host, ec);
  if (ec) return "\"" + host + "\" is not a numeric IPv4 or IPv6 address";
  bool loopback = address.is_loopback();
  if (address.is_v6() && address.to_v6().is_v4_mapped()) {
    loopback =
        boost::asio::ip::make_address_v4(boost::asio::ip::v4_mapped, address.to_v6()).is_loopback();
  }
  if (!loopback && !allow_non_loopback) {
    return "\"" + listen +
           "\" is not a loopback address; the metrics name the sources and the daemon's state: "
           "set allow_non_loopback = true in [metrics] to serve them off this host";
  }
  return "";
}

// Checks across keys, once the whole file is read; `root` gives the lines.
Status CheckTogether(const toml::table& root, const std::string& path, const Config& c) {
  const auto at = [&](std::string_view table, std::string_view key) {
    const toml::node* node = root.at_path(std::string(table) + "." + std::string(key)).node();
    return path + ":" + (node ? Line(*node) : std::string("1")) + ": [" + std::string(table) +
           "] " + std::string(key) + ": ";
  };
  if (!c.metrics_listen.empty()) {
    if (std::string p = CheckListen(c.metrics_listen, c.metrics_allow_non_loopback); !p.empty()) {
      return Status::InvalidArgument(at("metrics", "listen") + p);
    }
  }
  if (c.metrics_auth_user.empty() != c.metrics_auth_password_hash.empty()) {
    return Status::InvalidArgument(
        at("metrics", c.metrics_auth_user.empty() ? "auth_password_hash" : "auth_user") +
        "auth_user and auth_password_hash go together");
  }
  if (!c.metrics_auth_password_hash.empty() && !IsPasswordHash(c.metrics_auth_password_hash)) {
    return Status::InvalidArgument(at("metrics", "auth_password_hash") +
                                   "expected \"sha256$SALT$HEX\" with 64 lowercase hex digits "
                                   "(docs/config.md shows how to make one)");
  }
  if (c.metrics_tls_cert.empty() != c.metrics_tls_key.empty()) {
    return Status::InvalidArgument(
        at("metrics", c.metrics_tls_cert.empty() ? "tls_key" : "tls_cert") +
        "tls_cert and tls_key go together");
  }
  if (c.kafka.retry_backoff_max < c.kafka.retry_backoff_min) {
    return Status::InvalidArgument(at("kafka", "retry_backoff_max") +
                                   "must not be shorter than retry_backoff_min");
  }
  return Status::Ok();
}

}  // namespace

Result<Config> ParseConfig(std::string_view toml_text, const std::string& path) {
  toml::table root;
  try {
    root = toml::parse(toml_text, std::string_view(path));
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(path + ":" + std::to_string(e.source().begin.line) + ": " +
                                   std::string(e.description()));
  }
  Config c;
  c.path = path;
  if (Status s = Walk(root, "", path, c); !s.ok()) return s;
  if (Status s = CheckTogether(root, path, c); !s.ok()) return s;
  return c;
}

Result<Config> LoadConfig(const std::string& path) {
  auto text = ReadFileCapped(path, kMaxConfigBytes, "1 MiB", "a config file");
  if (!text.ok()) return text.status();
  auto parsed = ParseConfig(text.value(), path);
  if (!parsed.ok()) return parsed.status();
  Config c = std::move(parsed).value();
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
  if (c.archive.dir.empty()) c.archive.dir = c.state_dir + "/archive";
  if (c.kafka.enabled && c.kafka.brokers.empty()) {
    return Status::InvalidArgument(path +
                                   ": [kafka] brokers: empty (use \"embedded\" or "
                                   "\"host:port,...\", or enabled = false)");
  }
  if (c.cluster.enabled && (!c.kafka.enabled || c.kafka.brokers == "embedded")) {
    return Status::InvalidArgument(path +
                                   ": [cluster] enabled needs [kafka] enabled with brokers that "
                                   "every node reaches (not \"embedded\")");
  }
  if (!c.kafka.enabled && !c.file.enabled && !c.stdout_sink && c.alerts.empty()) {
    return Status::InvalidArgument(path +
                                   ": no sink enabled ([kafka], [file], [stdout] or [[alerts]])");
  }
  return c;
}

std::vector<std::string> ConfigKeys() {
  std::vector<std::string> keys;
  for (const auto& f : Fields()) keys.push_back(KeyName(f.table, f.key));
  return keys;
}

std::vector<std::string> ConfigTables() { return {std::begin(kTables), std::end(kTables)}; }

std::vector<std::string> DifferingSettings(const Config& a, const Config& b) {
  std::vector<std::string> keys;
  for (const auto& f : Fields()) {
    if (!f.same(a, b)) keys.push_back(KeyName(f.table, f.key));
  }
  if (a.kafka.properties != b.kafka.properties) keys.emplace_back("[kafka.properties]");
  if (a.alerts != b.alerts) keys.emplace_back("[[alerts]]");
  return keys;
}

std::vector<std::string> SettingsNeedingRestart(const Config& running, const Config& reloaded) {
  std::vector<std::string> keys;
  for (const auto& f : Fields()) {
    if (!f.reloadable && !f.same(running, reloaded)) keys.push_back(KeyName(f.table, f.key));
  }
  if (running.kafka.properties != reloaded.kafka.properties) {
    keys.emplace_back("[kafka.properties]");
  }
  if (running.alerts != reloaded.alerts) keys.emplace_back("[[alerts]]");
  return keys;
}

sinks::KafkaSinkOptions KafkaSinkOptionsOf(const KafkaConfig& kafka, std::string brokers) {
  sinks::KafkaSinkOptions o;
  o.brokers = std::move(brokers);
  o.transactional_id = kafka.transactional_id;
  o.compression = kafka.compression;
  o.queue_capacity = kafka.queue_batches;
  o.max_batches_per_transaction = kafka.batches_per_transaction;
  o.transaction_timeout = kafka.transaction_timeout;
  o.call_timeout = kafka.call_timeout;
  o.retry_backoff_min = kafka.retry_backoff_min;
  o.retry_backoff_max = kafka.retry_backoff_max;
  o.properties = kafka.properties;
  return o;
}

}  // namespace nianbao::app
