// The daemon's configuration file (docs/config.md) as one typed struct tree.
//
// LoadConfig() reads TOML with toml++ (at most kMaxConfigBytes), refuses unknown keys and
// wrong types with "FILE:LINE: [table] key: problem", resolves the sources path relative to
// the config file, and loads the sources file through crawler::LoadSources (whose errors name
// its own file and line). Every default is in the structs below; docs/defaults.toml lists
// them all with a comment each, and tests/app/defaults_test.cc checks the two agree.
//
// Secrets: a value of [kafka.properties] and an [[alerts]] url, secret or password may be
// written "credential:NAME" (or { credential = "NAME" }): it is then read from
// $CREDENTIALS_DIRECTORY/NAME, the directory where systemd's LoadCredential= puts the service's
// credentials (systemd/README.md); or "env:NAME": the environment variable. A secret (an alert's
// secret or password, a Kafka property whose name ends in "password" or "secret") written as a
// literal is refused: the config file is readable by others.
//
// Reload (SIGHUP) applies the sources file and [log]; SettingsNeedingRestart() names every
// other setting that changed, for the daemon to warn about.
//
// Threading: LoadConfig() and ParseConfig() are pure functions of the files and of the
// environment ($CREDENTIALS_DIRECTORY, the variables named by "env:"); the structs are plain
// values.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "base/logging.h"
#include "base/status.h"
#include "crawler/sources.h"
#include "ingest/messages.h"
#include "sinks/alert_format.h"
#include "sinks/kafka_sink.h"

namespace nianbao::app {

// A configuration file is a few kilobytes; a bigger one is the wrong file (`/dev/zero`), and
// reading it whole would be an unbounded read.
inline constexpr size_t kMaxConfigBytes = 1 << 20;

// The producer's settings take their defaults from the sink (sinks/kafka_sink.h): one place.
inline const sinks::KafkaSinkOptions kKafkaSinkDefaults{};

struct KafkaConfig {
  bool enabled = true;
  std::string brokers = "embedded";  // "embedded" = librdkafka's mock cluster, in-process
  int embedded_brokers = 1;
  std::string transactional_id = kKafkaSinkDefaults.transactional_id;
  std::string compression = kKafkaSinkDefaults.compression;
  size_t queue_batches = kKafkaSinkDefaults.queue_capacity;
  size_t batches_per_transaction = kKafkaSinkDefaults.max_batches_per_transaction;
  std::chrono::milliseconds transaction_timeout = kKafkaSinkDefaults.transaction_timeout;
  std::chrono::milliseconds call_timeout = kKafkaSinkDefaults.call_timeout;
  std::chrono::milliseconds retry_backoff_min = kKafkaSinkDefaults.retry_backoff_min;
  std::chrono::milliseconds retry_backoff_max = kKafkaSinkDefaults.retry_backoff_max;
  // Passed straight to librdkafka (credentials already read); checked by librdkafka at load.
  std::map<std::string, std::string> properties;
};

struct FileSinkConfig {
  bool enabled = false;
  std::string dir;  // "" = STATE_DIR/out
  int64_t max_bytes = 64 << 20;
  int max_files = 10;
};

// [archive]: every fetched report page kept as WARC (archive/warc_writer.h).
struct ArchiveConfig {
  bool enabled = true;
  std::string dir;                     // "" = STATE_DIR/archive
  int64_t max_file_bytes = 1ll << 30;  // a file is closed at this size
  int64_t max_total_bytes = 0;         // retention: oldest files removed past this; 0 = no bound
  int keep_days = 0;                   // retention: files older than this removed; 0 = forever
};

// [history]: the daemon's memory of each organisation across years (docs/rules.md history.*,
// report.missing and report.found_late in docs/record-v1.md).
struct HistoryConfig {
  bool enabled = true;          // false: no rules across years, no report.missing / found_late
  int missing_grace_days = 14;  // days after a deadline before report.missing
  bool missing_before_watch = false;  // also the years past due before the first watch
};

// [cluster]: nodes sharing the sources through a Kafka consumer group (docs/cluster.md).
struct ClusterConfig {
  bool enabled = false;
  std::string group = "nianbao";                      // the consumer group's id
  int partitions = 12;                                // of both topics, created if missing
  std::string topic = "nianbao.cluster";              // the coordination topic
  std::string changelog_topic = "nianbao.state";      // the compacted crawl-state changelog
  std::string node;                                   // "" = the host name
  std::chrono::milliseconds session_timeout{10'000};  // a dead node's sources move after it
};

struct Config {
  std::string path;                // the file read
  std::string sources_path;        // absolute or relative to the working directory
  std::string state_dir;           // "" = [global].state_dir of the sources file
  LogSettings log;                 // [log] format and level
  int workers = 2;                 // parser threads
  int queue = 64;                  // report pages between crawler and parser
  int64_t queue_bytes = 64 << 20;  // their bytes from fetch to parse; 0 = no bound but queue
  ingest::Topics topics;
  KafkaConfig kafka;
  FileSinkConfig file;
  bool stdout_sink = false;
  ArchiveConfig archive;
  std::string metrics_listen = "127.0.0.1:9464";  // "" = off; address:port, checked at load
  bool metrics_allow_non_loopback = false;        // needed for a listen address off loopback
  // /readyz answers 503 while a sink's oldest undelivered batch has waited longer than this
  // (the brokers are down), or while a sink holds more than ready_max_backlog batches (0 = no
  // bound on the count).
  std::chrono::milliseconds metrics_ready_max_undelivered_age{60'000};
  int64_t metrics_ready_max_backlog = 0;
  // Basic auth on the listener: a user and a "sha256$SALT$HEX" hash (app/http_endpoint.h);
  // both or neither. TLS: a PEM certificate chain and its key; both or neither.
  std::string metrics_auth_user;
  std::string metrics_auth_password_hash;
  std::string metrics_tls_cert;
  std::string metrics_tls_key;
  // [status]: the status page on the metrics listener (app/status_page.h) and what it keeps.
  bool status_enabled = true;
  int64_t status_max_reports = 500;
  int64_t status_max_findings = 5000;
  std::chrono::milliseconds shutdown_deadline{30'000};
  HistoryConfig history;
  ClusterConfig cluster;
  // [[alerts]]: one alert sink per table (sinks/alert_sink.h); none by default. Secrets already
  // read from their references.
  std::vector<sinks::AlertTarget> alerts;
  crawler::SourcesConfig sources;  // loaded from sources_path
};

// Reads the config file and the sources file it names. Errors: "FILE:LINE: ..." as above
// (InvalidArgument), IoError when a file cannot be read or is over its size cap.
Result<Config> LoadConfig(const std::string& path);

// The keys of `toml_text` only, as written: no sources file loaded, no path resolved, no
// derived default filled in ([file] dir stays ""). `path` names the text in messages and
// `sources` is not required. For checks of the documented defaults.
Result<Config> ParseConfig(std::string_view toml_text, const std::string& path);

// Every key LoadConfig() accepts, as "key" (top level) or "[table] key", in the order of
// docs/config.md; and the tables, "kafka.properties" included.
std::vector<std::string> ConfigKeys();
std::vector<std::string> ConfigTables();

// The keys whose values differ between `a` and `b` ("[kafka] brokers", ...); [kafka.properties]
// counts as the one key "[kafka.properties]", and every [[alerts]] table as "[[alerts]]". The
// sources file's contents are not compared.
std::vector<std::string> DifferingSettings(const Config& a, const Config& b);

// The settings that changed between the running config and the one re-read on SIGHUP which a
// reload cannot apply: all but `sources` (the sources file is re-read) and [log] format and
// level. The daemon names them in a warning; they take effect at the next restart.
std::vector<std::string> SettingsNeedingRestart(const Config& running, const Config& reloaded);

// The Kafka sink's options from [kafka]; `brokers` is the bootstrap list actually used (the
// embedded cluster's when brokers = "embedded").
sinks::KafkaSinkOptions KafkaSinkOptionsOf(const KafkaConfig& kafka, std::string brokers);

}  // namespace nianbao::app
