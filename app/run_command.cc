#include "app/run_command.h"

#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "app/build_info.h"
#include "app/config.h"
#include "app/http_endpoint.h"
#include "app/metrics.h"
#include "app/process_metrics.h"
#include "app/status_board.h"
#include "app/status_page.h"
#include "app/systemd_notify.h"
#include "archive/warc_writer.h"
#include "base/logging.h"
#include "base/read_file.h"
#include "base/write_file.h"
#include "cluster/cluster_node.h"
#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/state_store.h"
#include "ingest/messages.h"
#include "ingest/status_updater.h"
#include "parser/charset.h"
#include "parser/parser.h"
#include "parser/version.h"
#include "sinks/alert_sink.h"
#include "sinks/embedded_kafka.h"
#include "sinks/file_sink.h"
#include "sinks/kafka_sink.h"
#include "sinks/stdout_sink.h"

namespace nianbao::app {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// How often at most the status board's snapshot is saved while it changes (and once more at
// the stop): a crash loses at most this much of what the page shows, never any data.
constexpr auto kBoardSaveEvery = 60s;
// A snapshot larger than this is not read back (the board's own bounds keep it to a few MB).
constexpr size_t kBoardSnapshotMaxBytes = 64u << 20;

// The status board's snapshot file (state_dir/status-board.json). Written from the CPU pool
// while the daemon runs and from the loop at its stop; the newest snapshot wins whoever
// writes last, and two writes never overlap.
class BoardFile {
 public:
  explicit BoardFile(std::string path) : path_(std::move(path)) {}
  const std::string& path() const { return path_; }
  Status Write(uint64_t generation, const std::string& text) {
    std::lock_guard<std::mutex> lock(mu_);
    if (generation <= written_) return Status::Ok();
    Status s = WriteFileAtomically(path_, text);
    if (s.ok()) written_ = generation;
    return s;
  }

 private:
  const std::string path_;
  std::mutex mu_;
  uint64_t written_ = 0;
};

// Fault injection for the end-to-end tests, off unless NIANBAO_FAULT_KILL_BEFORE_MARK=N is
// set: the process kills itself (SIGKILL, no cleanup) when the Nth report version has
// reached every sink, before the state records it: the one moment where a crash leaves a
// committed event that the state does not know about. The tests check that what is published
// after the restart still tells the truth (the same version again, the same ce_ids). It waits
// (at most 30 s) until no alert target has a message on the wire first: a crash between a
// target's answer and its sent ledger may send that message twice (sinks/alert_sink.h), a
// window of its own that this moment is not about.
class KillBeforeMark final : public VersionLedger {
 public:
  KillBeforeMark(VersionLedger& inner, long countdown, std::function<bool()> quiet)
      : inner_(inner), countdown_(countdown), quiet_(std::move(quiet)) {}
  Result<DeliveredState> GetDelivered(const std::string& url) override {
    return inner_.GetDelivered(url);
  }
  Result<int64_t> BeginVersion(const std::string& url, const std::string& content) override {
    return inner_.BeginVersion(url, content);
  }
  Status MarkDelivered(const std::string& url, const std::string& sha256,
                       const DeliveredContent* content) override {
    if (content != nullptr && --countdown_ == 0) {
      const auto until = std::chrono::steady_clock::now() + 30s;
      while (!quiet_() && std::chrono::steady_clock::now() < until) {
        std::this_thread::sleep_for(5ms);
      }
      (void)::raise(SIGKILL);
    }
    return inner_.MarkDelivered(url, sha256, content);
  }
  Status MarkSuspect(const std::string& url, const std::string& fingerprint) override {
    return inner_.MarkSuspect(url, fingerprint);
  }

  // The ledger the daemon uses: `inner`, or the fault injector when the variable is set.
  static VersionLedger& Wrap(VersionLedger& inner, std::unique_ptr<VersionLedger>& holder,
                             std::function<bool()> quiet) {
    const char* n = std::getenv("NIANBAO_FAULT_KILL_BEFORE_MARK");
    if (n == nullptr || std::atol(n) <= 0) return inner;
    holder = std::make_unique<KillBeforeMark>(inner, std::atol(n), std::move(quiet));
    return *holder;
  }

 private:
  VersionLedger& inner_;
  long countdown_;
  std::function<bool()> quiet_;
};

// The daemon's today, for report.missing: the clock, or NIANBAO_FAKE_TODAY=YYYY-MM-DD (for
// tests, docs/config.md): noon of that day in China Standard Time, whatever the clock says.
// false when the variable is set to something else.
bool FakeToday(std::optional<std::chrono::system_clock::time_point>* out) {
  const char* text = std::getenv("NIANBAO_FAKE_TODAY");
  if (text == nullptr) return true;
  int y = 0;
  unsigned m = 0, d = 0;
  char rest = 0;
  if (std::sscanf(text, "%4d-%2u-%2u%c", &y, &m, &d, &rest) != 3) return false;
  std::chrono::year_month_day day{std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}};
  if (!day.ok()) return false;
  *out = std::chrono::sys_days(day) + 4h;  // 12:00 at UTC+8
  return true;
}

// Per source, the sources file's organization_aliases (the status updater's form).
std::map<std::string, std::map<std::string, std::string>> AliasesOf(
    const crawler::SourcesConfig& sources) {
  std::map<std::string, std::map<std::string, std::string>> out;
  for (const auto& s : sources.sources) {
    if (!s.organization_aliases.empty()) out[s.name] = s.organization_aliases;
  }
  return out;
}

// The status updater's archive step: a fetched page as a WARC request/response pair. Runs on
// the CPU pool; the writer serialises its callers.
std::function<Result<ArchiveRef>(const FetchedPage&)> ArchiveWith(
    std::shared_ptr<archive::WarcWriter> writer) {
  return [writer = std::move(writer)](const FetchedPage& p) -> Result<ArchiveRef> {
    archive::WarcExchange e;
    e.target_uri = p.final_url.empty() ? p.url : p.final_url;
    e.date = p.fetched_at;
    e.ip = p.wire.ip;
    e.request = p.wire.request;
    e.status_line = p.wire.status_line.empty() ? "HTTP/1.1 200 OK" : p.wire.status_line;
    e.headers = p.wire.headers;
    e.body = p.body;
    e.payload_sha256 = p.sha256;
    auto where = writer->Write(e);
    if (!where.ok()) return where.status();
    return ArchiveRef{where.value().file, where.value().offset};
  };
}

// "127.0.0.1:9464" / "[::1]:9464" -> address, port.
bool SplitHostPort(const std::string& s, std::string* host, uint16_t* port) {
  auto colon = s.rfind(':');
  if (colon == std::string::npos) return false;
  *host = s.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']') {
    *host = host->substr(1, host->size() - 2);
  }
  try {
    int p = std::stoi(s.substr(colon + 1));
    if (p < 0 || p > 65535) return false;
    *port = static_cast<uint16_t>(p);
  } catch (...) {
    return false;
  }
  return true;
}

class Daemon {
 public:
  Daemon(Config config, RunCommandOptions options)
      : config_(std::make_shared<Config>(std::move(config))),
        options_(std::move(options)),
        cpu_(static_cast<size_t>(std::max(1, config_->workers))) {}

  int Run() {
    // The config was validated at load: the format and level are known ones.
    if (Status s = ConfigureLogging(config_->log); !s.ok()) std::cerr << s.message() << "\n";
    log_ = Logger("nianbao");
    if (!Open()) return 2;
    StartCrawler();
    Notify(notifier_.Ready());
    log_->info("ready: {} sources, {} parser threads, sinks: {}", config_->sources.sources.size(),
               config_->workers, SinkNames());
    ArmTimers();
    io_.run();
    log_->info("stopped");
    // --once is what a timer or a script runs: it must be able to tell that the pass left
    // work for the next one (the work itself is not lost: see docs/RELIABILITY.md).
    return options_.once && work_left_ ? 3 : 0;
  }

 private:
  bool Open() {
    if (!fetcher_.init_status().ok()) {
      log_->error("libcurl: {}", fetcher_.init_status().message());
      return false;
    }
    auto state = crawler::StateStore::Open(config_->state_dir);
    if (!state.ok()) {
      log_->error("{}", state.status().message());
      return false;
    }
    state_ = std::move(state).value();
    if (!FakeToday(&fake_today_)) {
      log_->error("NIANBAO_FAKE_TODAY: expected a date YYYY-MM-DD, got \"{}\"",
                  std::getenv("NIANBAO_FAKE_TODAY"));
      return false;
    }
    if (fake_today_)
      log_->warn("NIANBAO_FAKE_TODAY: today is {} (for tests)", std::getenv("NIANBAO_FAKE_TODAY"));
    if (config_->archive.enabled) {
      archive::WarcSettings ws;
      ws.dir = config_->archive.dir;
      ws.max_file_bytes = config_->archive.max_file_bytes;
      ws.max_total_bytes = config_->archive.max_total_bytes;
      ws.max_age = std::chrono::hours(24) * config_->archive.keep_days;
      ws.software = "nianbao/" + std::string(BuildVersion());
      ws.sources_file = config_->sources_path;
      ws.parser_version = parser::ParserVersion();
      auto writer = archive::WarcWriter::Open(std::move(ws));
      if (!writer.ok()) {
        log_->error("archive: {}", writer.status().message());
        return false;
      }
      archive_ = std::move(writer).value();
    }
    node_ = NodeName();
    if (config_->kafka.enabled) {
      std::string brokers = config_->kafka.brokers;
      if (brokers == "embedded") {
        sinks::EmbeddedKafka::Options eo;
        eo.brokers = config_->kafka.embedded_brokers;
        for (const auto& t : {config_->topics.reports, config_->topics.findings,
                              config_->topics.fetches, config_->topics.sources}) {
          eo.topics.push_back({t, 1});
        }
        auto embedded = sinks::EmbeddedKafka::Start(eo);
        if (!embedded.ok()) {
          log_->error("embedded kafka: {}", embedded.status().message());
          return false;
        }
        embedded_ = std::move(embedded).value();
        brokers = embedded_->bootstraps();
        log_->info("embedded kafka (librdkafka mock cluster) at {}", brokers);
        std::ofstream(config_->state_dir + "/embedded-kafka.bootstrap") << brokers << "\n";
      }
      auto kafka_options = KafkaSinkOptionsOf(config_->kafka, brokers);
      // Each node's producer needs its own transactional.id: the same one would fence the other.
      if (config_->cluster.enabled && !kafka_options.transactional_id.empty()) {
        kafka_options.transactional_id += "-" + node_;
      }
      auto kafka = sinks::KafkaSink::Create(std::move(kafka_options));
      if (!kafka.ok()) {
        log_->error("{}: [kafka]: {}", config_->path, kafka.status().message());
        return false;
      }
      kafka_ = kafka.value().get();
      sinks_.push_back(std::move(kafka).value());
    }
    if (config_->file.enabled) {
      sinks::FileSink::Options fo;
      fo.dir = config_->file.dir;
      fo.max_bytes = static_cast<uint64_t>(config_->file.max_bytes);
      fo.max_files = static_cast<size_t>(config_->file.max_files);
      auto file = sinks::FileSink::Create(fo);
      if (!file.ok()) {
        log_->error("{}: [file]: {}", config_->path, file.status().message());
        return false;
      }
      sinks_.push_back(std::move(file).value());
    }
    if (config_->stdout_sink) {
      auto out = sinks::StdoutSink::Create({});
      if (!out.ok()) {
        log_->error("[stdout]: {}", out.status().message());
        return false;
      }
      sinks_.push_back(std::move(out).value());
    }
    for (const auto& target : config_->alerts) {
      sinks::AlertSinkOptions ao;
      ao.target = target;
      ao.ledger_path = AlertLedgerPath(target);
      ao.max_attempts = target.max_attempts;
      ao.retry_backoff_min = target.retry_backoff_min;
      ao.retry_backoff_max = target.retry_backoff_max;
      auto alert = sinks::AlertSink::Create(std::move(ao));
      if (!alert.ok()) {
        log_->error("{}: [[alerts]]: {}", config_->path, alert.status().message());
        return false;
      }
      alerts_.push_back(
          {std::to_string(alerts_.size() + 1) + ":" + target.kind, alert.value().get(), {}});
      sinks_.push_back(std::move(alert).value());
    }
    if (!config_->metrics_listen.empty()) {
      std::string host;
      uint16_t port = 0;
      if (!SplitHostPort(config_->metrics_listen, &host, &port)) {
        log_->error("{}: [metrics] listen: expected address:port, got \"{}\"", config_->path,
                    config_->metrics_listen);
        return false;
      }
      HttpEndpointOptions eo;
      eo.allow_non_loopback = config_->metrics_allow_non_loopback;
      eo.basic_auth_user = config_->metrics_auth_user;
      eo.basic_auth_hash = config_->metrics_auth_password_hash;
      eo.tls_cert_file = config_->metrics_tls_cert;
      eo.tls_key_file = config_->metrics_tls_key;
      endpoint_ = std::make_unique<HttpEndpoint>(
          io_, metrics_, [this] { return Health(); }, eo);
      endpoint_->SetReadinessCheck([this] { return Ready(); });
      if (config_->status_enabled) {
        endpoint_->SetPageHandler([this](std::string_view path) -> std::optional<HttpPage> {
          auto page = RenderStatus(board_, path, std::chrono::system_clock::now());
          if (!page) return std::nullopt;
          return HttpPage{page->status, std::move(page->content_type), std::move(page->body)};
        });
      }
      if (Status s = endpoint_->Listen(host, port); !s.ok()) {
        log_->error("metrics endpoint {}: {}", config_->metrics_listen, s.message());
        return false;
      }
      log_->info("metrics and health on http://{}/metrics", config_->metrics_listen);
    }
    std::vector<sinks::Sink*> sinks;
    for (auto& s : sinks_) sinks.push_back(s.get());
    ingest::StatusUpdaterOptions uo;
    uo.max_pages = static_cast<size_t>(config_->queue);
    uo.max_bytes = static_cast<size_t>(config_->queue_bytes);
    uo.topics = config_->topics;
    if (archive_) uo.archive = ArchiveWith(archive_);
    if (config_->history.enabled) {
      uo.history = state_.get();
      uo.missing.grace_days = config_->history.missing_grace_days;
      uo.missing.before_watch = config_->history.missing_before_watch;
      uo.organization_aliases = AliasesOf(config_->sources);
    }
    uo.on_parsed = [this](std::chrono::duration<double> t) {
      metrics_.Observe(metric::kParseDurationSeconds, {}, t.count());
    };
    uo.on_delivered = [this](const std::string& source, const sinks::Batch& batch,
                             std::chrono::duration<double> since_fetch) {
      metrics_.Observe(metric::kDeliveryLatencySeconds, {}, since_fetch.count());
      board_.OnDelivered(source, batch, std::chrono::system_clock::now());
    };
    board_.SetSources(SourceNames());
    LoadBoard();
    metrics_.Set(metric::kBuildInfo, {{"version", std::string(BuildVersion())}}, 1);
    updater_ = std::make_unique<ingest::StatusUpdater>(
        io_, cpu_, sinks,
        KillBeforeMark::Wrap(*state_, fault_ledger_,
                             [this] {
                               return std::none_of(alerts_.begin(), alerts_.end(),
                                                   [](const auto& a) { return a.sink->sending(); });
                             }),
        uo,
        [this](const std::string& source, const std::string& url, PageStatus status,
               const std::string& reason) { OnPageEnd(source, url, status, reason); });
    if (config_->cluster.enabled && !StartCluster()) return false;
    signals_.add(SIGTERM);
    signals_.add(SIGINT);
    signals_.add(SIGHUP);
    WaitSignal();
    return true;
  }

  // [cluster] node, or the host name.
  std::string NodeName() const {
    if (!config_->cluster.node.empty()) return config_->cluster.node;
    char host[256] = {};
    if (::gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') return "nianbao";
    return host;
  }

  // Joins the group (docs/cluster.md); the crawler polls only the sources of the partitions
  // this node owns, once their state is restored.
  bool StartCluster() {
    cluster::ClusterOptions co;
    co.brokers = config_->kafka.brokers;
    co.group = config_->cluster.group;
    co.topic = config_->cluster.topic;
    co.changelog_topic = config_->cluster.changelog_topic;
    co.partitions = config_->cluster.partitions;
    co.node = node_;
    co.session_timeout = config_->cluster.session_timeout;
    co.revoke_timeout = std::min<std::chrono::milliseconds>(config_->cluster.session_timeout,
                                                            config_->shutdown_deadline / 2);
    co.properties = config_->kafka.properties;
    cluster::ClusterNode::Hooks hooks;
    hooks.on_owned = [this](const std::set<int32_t>& owned) {
      owned_partitions_ = owned;
      if (crawler_) crawler_->SetOwned(OwnedSources());
    };
    hooks.quiet = [this](const std::set<int32_t>& partitions) {
      if (updater_->open() > 0) return false;
      if (!crawler_) return true;
      const auto& sources = crawler_config_->sources.sources;
      for (size_t i = 0; i < sources.size(); ++i) {
        if (partitions.count(cluster::PartitionOfSource(sources[i], config_->cluster.partitions)) &&
            crawler_->PassActive(i)) {
          return false;
        }
      }
      return true;
    };
    auto node = cluster::ClusterNode::Start(io_, *state_, config_->sources, std::move(co),
                                            std::move(hooks));
    if (!node.ok()) {
      log_->error("{}: [cluster]: {}", config_->path, node.status().message());
      return false;
    }
    cluster_ = std::move(node).value();
    return true;
  }

  // Per source of the running crawler: whether its partition is owned here.
  std::vector<bool> OwnedSources() const {
    const auto& sources = crawler_config_->sources.sources;
    std::vector<bool> owned(sources.size());
    for (size_t i = 0; i < sources.size(); ++i) {
      owned[i] = owned_partitions_.count(
                     cluster::PartitionOfSource(sources[i], config_->cluster.partitions)) > 0;
    }
    return owned;
  }

  // Each target's sent-alert ledger (sinks/alert_sink.h): STATE_DIR/alerts/KIND-ID.sent, the id
  // from the kind and URL, so that reordering the tables keeps each target's ledger.
  std::string AlertLedgerPath(const sinks::AlertTarget& t) const {
    const std::string dir = config_->state_dir + "/alerts";
    std::error_code ec;
    std::filesystem::create_directories(dir, ec);  // a failure shows when the ledger opens
    return dir + "/" + t.kind + "-" + parser::Sha256Hex(t.kind + "\n" + t.url).substr(0, 16) +
           ".sent";
  }

  // Every page's final status, from the status updater.
  void OnPageEnd(const std::string& source, const std::string& url, PageStatus status,
                 const std::string& reason) {
    // The ends an operator must hear of one by one: a report taken down, and a page that
    // showed something other than its report (the stored version stands).
    if (status == PageStatus::kWithdrawn) {
      log_->info("report withdrawn source={} url={}", source, url);
    } else if (reason == "soft_error") {
      log_->warn(
          "soft error source={} url={}: the page is not the report it was; the "
          "delivered version stands",
          source, url);
    }
    if (status == PageStatus::kFailed && !reason.empty() && reason != "shutdown") {
      board_.OnError(source, reason + " " + url, std::chrono::system_clock::now());
    }
    bool undelivered =
        status == PageStatus::kFailed && (reason == "shutdown" || reason.rfind("sink:", 0) == 0);
    bool unrecorded = reason.rfind("state:", 0) == 0;
    if (undelivered) ++undelivered_;
    if (unrecorded) ++state_write_failures_;
  }

  // systemd notices a missing READY or watchdog ping itself; a failed send is only logged.
  void Notify(const Status& s) {
    if (!s.ok()) log_->warn("sd_notify: {}", s.message());
  }

  std::vector<std::string> SourceNames() const {
    std::vector<std::string> names;
    for (const auto& s : config_->sources.sources) names.push_back(s.name);
    return names;
  }

  std::string SinkNames() const {
    std::string names;
    for (const auto& s : sinks_) names += (names.empty() ? "" : ", ") + std::string(s->name());
    return names;
  }

  std::pair<bool, std::string> Health() const {
    if (stopping_) return {false, "stopping"};
    if (cluster_) {
      if (auto why = cluster_->stats().unreachable; !why.empty()) return {false, "cluster: " + why};
    }
    return {true, "ok"};
  }

  // /readyz: not while stopping, nor while a sink cannot deliver (its oldest batch waits past
  // [metrics] ready_max_undelivered_age) or holds more than ready_max_backlog batches.
  std::pair<bool, std::string> Ready() const {
    if (stopping_) return {false, "stopping"};
    const auto seconds = [](std::chrono::milliseconds d) {
      return std::to_string(d.count() / 1000) + "s";
    };
    if (kafka_ != nullptr) {
      const auto age = kafka_->stats().oldest_pending_age;
      if (age > config_->metrics_ready_max_undelivered_age) {
        return {false, "sink kafka: oldest undelivered batch waiting " + seconds(age) +
                           " (over [metrics] ready_max_undelivered_age = " +
                           seconds(config_->metrics_ready_max_undelivered_age) + ")"};
      }
    }
    if (config_->metrics_ready_max_backlog > 0) {
      for (const auto& sink : sinks_) {
        const auto pending = static_cast<int64_t>(sink->pending());
        if (pending > config_->metrics_ready_max_backlog) {
          return {false, "sink " + std::string(sink->name()) + ": " + std::to_string(pending) +
                             " batches waiting (over [metrics] ready_max_backlog = " +
                             std::to_string(config_->metrics_ready_max_backlog) + ")"};
        }
      }
    }
    return {true, ""};
  }

  crawler::CrawlerOptions CrawlerOptionsFor() {
    crawler::CrawlerOptions o;
    o.decode = [](std::string_view bytes, std::string_view ct) {
      return parser::DecodeToUtf8(bytes, ct).utf8;
    };
    o.track_delivery = true;
    o.cpu = &cpu_;
    // --once is one pass now, whatever the schedule says.
    o.schedule_from_state = !options_.once;
    o.on_fetch = [this](const FetchLogEntry& f) {
      metrics_.Inc(metric::kFetchesTotal,
                   {{"status", f.error.empty() ? std::to_string(f.status) : f.error}});
      metrics_.Inc(metric::kBytesTotal, {}, static_cast<double>(f.bytes));
      metrics_.Observe(metric::kFetchDurationSeconds, {{"kind", f.kind}}, f.elapsed.count());
      // A robots.txt that is not there (4xx) is no error: it allows everything.
      if (!f.error.empty() || (f.status >= 400 && !(f.kind == "robots" && f.status < 500))) {
        board_.OnError(
            f.source,
            (f.error.empty() ? "http_" + std::to_string(f.status) : f.error) + " " + f.url,
            std::chrono::system_clock::now());
      }
      updater_->PublishEvent(ingest::FetchBatch(config_->topics, f));
    };
    return o;
  }

  void StartCrawler() {
    crawler_config_ = config_;
    crawler_ = std::make_unique<crawler::Crawler>(io_, fetcher_, *state_, *updater_,
                                                  crawler_config_->sources, CrawlerOptionsFor());
    if (cluster_) {
      cluster_->SetSources(crawler_config_->sources);
      crawler_->SetOwned(OwnedSources());
    }
    if (options_.once) {
      crawler_->RunPass([this](std::vector<SourcePassStats> stats) {
        for (const auto& s : stats) OnPass(s);
        log_->info("pass complete over {} sources; delivering", stats.size());
        Shutdown();
      });
    } else {
      crawler_->RunForever([this](const SourcePassStats& s) { OnPass(s); });
    }
  }

  void OnPass(const SourcePassStats& s) {
    if (auto it = s.failures.find("state_write"); it != s.failures.end()) {
      state_write_failures_ += it->second;
      log_->error("state: {} writes to {} failed in source {}'s pass", it->second, state_->path(),
                  s.source);
    }
    // failed= counts report pages; failures= says why anything failed, entry pages and
    // robots.txt included (an unreachable source has failed=0 and its reasons here).
    std::string failures;
    for (const auto& [reason, n] : s.failures) {
      failures += (failures.empty() ? "" : ",") + reason + ":" + std::to_string(n);
    }
    auto level =
        s.health == "ok" || s.health == "stale" ? spdlog::level::info : spdlog::level::warn;
    log_->log(level,
              "pass source={} health={} lists={} reports={} new={} revised={} unchanged={} "
              "failed={} failures={} robots_disallowed={} requests={} {:.1f}s",
              s.source, s.health, s.list_pages, s.reports_found, s.reports_new, s.reports_revised,
              s.reports_unchanged, s.reports_failed, failures.empty() ? "-" : failures,
              s.robots_disallowed, s.requests, s.elapsed.count());
    if (s.health == "ok") {
      metrics_.Set(metric::kSourceLastSuccessTimestampSeconds, {{"source", s.source}},
                   static_cast<double>(std::time(nullptr)));
    }
    const auto now = std::chrono::system_clock::now();
    metrics_.Set(metric::kSourceLastPassTimestampSeconds, {{"source", s.source}},
                 static_cast<double>(std::chrono::system_clock::to_time_t(now)));
    for (std::string_view h : kSourceHealthValues) {
      metrics_.Set(metric::kSourceHealth, {{"source", s.source}, {"health", std::string(h)}},
                   h == s.health ? 1 : 0);
    }
    std::optional<SystemTime> next_due;
    if (auto due = state_->GetSourceDue(s.source); !options_.once && due.ok() && due.value()) {
      next_due = std::chrono::system_clock::from_time_t(static_cast<std::time_t>(*due.value()));
    }
    board_.OnPass(s, now, next_due);
    // Source events a sink failed earlier go again first, in their order.
    updater_->RetryHeldEvents();
    if (!s.moved_to.empty()) {
      updater_->PublishHeld(ingest::SourceMovedBatch(
          config_->topics, s, std::chrono::system_clock::now(), cluster_ ? node_ : ""));
    }
    auto [it, fresh] = health_.try_emplace(s.source, s.health);
    if (fresh || it->second != s.health) {
      it->second = s.health;
      updater_->PublishHeld(ingest::SourceBatch(
          config_->topics, s, std::chrono::system_clock::now(), cluster_ ? node_ : ""));
    }
    Notify(notifier_.Status("last pass: " + s.source + " " + s.health));
    // A source whose lists were read can say which reports never came (a source that was
    // unreachable or blocked says nothing of them).
    if (s.health == "ok" || s.health == "stale") {
      updater_->SweepMissing(s.source, fake_today_.value_or(std::chrono::system_clock::now()));
    }
  }

  void WaitSignal() {
    signals_.async_wait([this](const boost::system::error_code& ec, int sig) {
      if (ec) return;
      if (sig == SIGHUP) {
        Reload();
        WaitSignal();
        return;
      }
      log_->info("signal {}: stopping", sig == SIGTERM ? "SIGTERM" : "SIGINT");
      if (linger_timer_) {
        linger_timer_->cancel();
        return;
      }
      Shutdown();
    });
  }

  void Reload() {
    if (stopping_ || options_.once) return;
    if (reloading_) {
      log_->warn("reload: the previous reload is still waiting for its fetches; ignored");
      return;
    }
    Notify(notifier_.Reloading());
    // The configuration file and the sources file it names, read again; what a reload can
    // apply (the sources, [log]) is applied, the rest keeps its running value and is named.
    auto loaded = LoadConfig(config_->path);
    if (!loaded.ok()) {
      log_->error("reload refused, keeping the configuration in use: {}",
                  loaded.status().message());
      Notify(notifier_.Ready());
      return;
    }
    for (const auto& key : SettingsNeedingRestart(*config_, loaded.value())) {
      log_->warn("reload: {} changed; it takes effect at the next restart", key);
    }
    auto next = std::make_shared<Config>(*config_);
    next->sources = std::move(loaded.value().sources);
    next->sources_path = loaded.value().sources_path;
    next->log = loaded.value().log;
    if (Status st = ConfigureLogging(next->log); !st.ok()) log_->warn("reload: {}", st.message());
    config_ = next;
    updater_->SetOrganizationAliases(AliasesOf(config_->sources));
    board_.SetSources(SourceNames());
    reloading_ = true;
    log_->info("reload: {} sources; the running fetches finish first",
               config_->sources.sources.size());
    // The old crawler finishes its fetches (its pages go on to the updater, which outlives
    // it); at the deadline its transfers are cancelled. Then the new one starts.
    reload_timer_.expires_after(config_->shutdown_deadline);
    reload_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || !reloading_) return;
      log_->warn("reload: cancelling {} fetches in flight", fetcher_.in_flight());
      fetcher_.CancelAll();
    });
    crawler_->Stop([this] {
      reload_timer_.cancel();
      reloading_ = false;
      if (stopping_) return;  // a SIGTERM came meanwhile: Shutdown owns the crawler now
      crawler_.reset();
      StartCrawler();
      Notify(notifier_.Ready());
    });
  }

  // The one deadline of a stop: at half of it, fetches still in flight are cancelled; at the
  // end, pages still being parsed or delivered are abandoned and the sinks closed.
  void Shutdown() {
    if (stopping_) return;
    stopping_ = true;
    Notify(notifier_.Stopping());
    deadline_ = std::chrono::steady_clock::now() + config_->shutdown_deadline;
    deadline_timer_.expires_at(deadline_ - config_->shutdown_deadline / 2);
    deadline_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (ec || sinks_closing_) return;
      if (fetcher_.in_flight() > 0) {
        log_->warn("cancelling {} fetches in flight", fetcher_.in_flight());
        fetcher_.CancelAll();
      }
      deadline_timer_.expires_at(deadline_);
      deadline_timer_.async_wait([this](const boost::system::error_code& ec2) {
        if (ec2 || sinks_closing_) return;
        log_->warn("shutdown deadline: {} pages not delivered are left for the next run",
                   updater_->open());
        fetcher_.CancelAll();
        updater_->Abandon();
        CloseSinks();
      });
    });
    crawler_->Stop([this] { updater_->WhenIdle([this] { CloseSinks(); }); });
  }

  // Sinks flush within what is left of the deadline. Close() blocks, so it runs on the CPU
  // pool; the loop goes on serving the acknowledgements it reports.
  void CloseSinks() {
    if (sinks_closing_) return;
    sinks_closing_ = true;
    deadline_timer_.cancel();
    auto left = std::max(std::chrono::duration_cast<std::chrono::milliseconds>(
                             deadline_ - std::chrono::steady_clock::now()),
                         std::chrono::milliseconds(100));
    std::vector<sinks::Sink*> sinks;
    for (auto& s : sinks_) sinks.push_back(s.get());
    std::weak_ptr<Daemon*> self = self_;
    // The cluster first: the node leaves the group (its sources move at once) and its last
    // state reaches the changelog. Close() waits for the loop (the revoke), so not on it.
    cluster::ClusterNode* node = cluster_.get();
    if (node != nullptr) node->Flush();
    asio::post(cpu_, [sinks, node, left, log = log_, loop = io_.get_executor(), self] {
      if (node != nullptr) node->Close(left / 2);
      for (auto* s : sinks) {
        Status st = s->Close(left);
        if (!st.ok()) log->warn("sink {}: {}", s->name(), st.message());
      }
      asio::post(loop, [self] {
        if (auto d = self.lock()) (*d)->Finish();
      });
    });
  }

  void Finish() {
    SaveBoard(true);
    if (archive_) {
      // The file being written is closed and renamed; a parse still running past the
      // deadline that archives afterwards starts a new file, closed when the writer goes.
      if (Status s = archive_->Close(); !s.ok()) log_->error("archive: {}", s.message());
    }
    const auto& st = updater_->stats();
    log_->info(
        "delivered {} reports ({} new, {} revised), {} withdrawn, {} with the same content, "
        "{} soft errors, {} not reports, {} delivery failures",
        EndedAs(PageStatus::kDelivered), st.published, st.revised, st.withdrawn, st.same_content,
        st.soft_errors, st.not_a_report, st.delivery_failures);
    if (undelivered_ > 0 || state_write_failures_ > 0) {
      work_left_ = true;
      log_->warn(
          "work left for the next pass: {} reports undelivered, {} state writes failed (both "
          "are fetched and handed on again)",
          undelivered_, state_write_failures_);
    }
    if (options_.once && embedded_ && options_.linger_s > 0) {
      log_->info("embedded kafka stays up at {} for {:.0f}s (SIGTERM ends it)",
                 embedded_->bootstraps(), options_.linger_s);
      linger_timer_ = std::make_unique<asio::steady_timer>(
          io_, std::chrono::milliseconds(static_cast<int64_t>(options_.linger_s * 1000)));
      linger_timer_->async_wait([this](const boost::system::error_code&) { Stop(); });
      return;
    }
    Stop();
  }

  int64_t EndedAs(PageStatus s) const {
    auto it = updater_->stats().ended.find(s);
    return it == updater_->stats().ended.end() ? 0 : it->second;
  }

  void Stop() {
    signals_.cancel();
    for (auto* t : {&watchdog_timer_, &sample_timer_, &deadline_timer_, &reload_timer_}) {
      t->cancel();
    }
    if (endpoint_) endpoint_->Stop();
    guard_.reset();
    crawler_.reset();
    io_.stop();
  }

  void ArmTimers() {
    if (auto interval = notifier_.WatchdogInterval()) {
      watchdog_interval_ = std::chrono::duration_cast<std::chrono::milliseconds>(*interval);
      PingWatchdog();
    }
    Sample();
  }

  void PingWatchdog() {
    Notify(notifier_.Watchdog());
    watchdog_timer_.expires_after(watchdog_interval_);
    watchdog_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) PingWatchdog();
    });
  }

  // Copies the updater's counters into the registry, once a second.
  // What the status page showed before the restart; a snapshot that cannot be read is left
  // for the next save to replace, and the page starts empty.
  void LoadBoard() {
    board_file_ = std::make_shared<BoardFile>(config_->state_dir + "/status-board.json");
    std::error_code ec;
    if (!std::filesystem::exists(board_file_->path(), ec)) return;
    auto text = ReadFileCapped(board_file_->path(), kBoardSnapshotMaxBytes, "64 MiB",
                               "a status board snapshot");
    Status s = text.ok() ? board_.Restore(text.value()) : text.status();
    if (!s.ok()) {
      log_->warn("status board: {}: {}; the status page starts empty", board_file_->path(),
                 s.message());
      return;
    }
    board_saved_ = board_.generation();
    log_->info("status board: {} reports restored from {}", board_.reports().size(),
               board_file_->path());
  }

  // Saves the board when it changed: from the pool now and then, on the loop at the stop.
  void SaveBoard(bool now) {
    if (!board_file_ || board_.generation() == board_saved_) return;
    const auto t = std::chrono::steady_clock::now();
    if (!now && t - board_saved_at_ < kBoardSaveEvery) return;
    board_saved_ = board_.generation();
    board_saved_at_ = t;
    auto write = [file = board_file_, generation = board_saved_, text = board_.Snapshot(),
                  log = log_] {
      if (Status s = file->Write(generation, text); !s.ok()) {
        log->warn("status board: cannot save: {}", s.message());
      }
    };
    if (now) {
      write();
    } else {
      asio::post(cpu_, std::move(write));
    }
  }

  void Sample() {
    SaveBoard(false);
    const auto& st = updater_->stats();
    auto delta = [](int64_t now, int64_t& last) {
      int64_t d = now - last;
      last = now;
      return static_cast<double>(d);
    };
    metrics_.Inc(metric::kReportsTotal, {{"change", "new"}}, delta(st.published, last_.published));
    metrics_.Inc(metric::kReportsTotal, {{"change", "revised"}}, delta(st.revised, last_.revised));
    metrics_.Inc(metric::kReportsTotal, {{"change", "unchanged"}},
                 delta(EndedAs(PageStatus::kUnchanged), last_.unchanged));
    metrics_.Inc(metric::kReportsTotal, {{"change", "withdrawn"}},
                 delta(st.withdrawn, last_.withdrawn));
    metrics_.Inc(metric::kReportsTotal, {{"change", "soft_error"}},
                 delta(st.soft_errors, last_.soft_errors));
    for (const auto& [rule, n] : st.findings_by_rule) {
      int64_t& last = last_.findings[rule];
      metrics_.Inc(metric::kFindingsTotal, {{"rule", rule}}, static_cast<double>(n - last));
      last = n;
    }
    metrics_.Inc(metric::kDeliveryFailuresTotal, {},
                 delta(st.delivery_failures, last_.delivery_failures));
    if (auto p = ReadProcessStats()) {
      metrics_.Inc(metric::kProcessCpuSecondsTotal, {},
                   std::max(0.0, p->cpu_seconds - last_.cpu_seconds));
      last_.cpu_seconds = std::max(last_.cpu_seconds, p->cpu_seconds);
      metrics_.Set(metric::kProcessResidentMemoryBytes, {}, p->resident_bytes);
      metrics_.Set(metric::kProcessOpenFds, {}, p->open_fds);
      metrics_.Set(metric::kProcessStartTimeSeconds, {}, p->start_time_seconds);
    }
    if (kafka_ != nullptr) {
      auto ks = kafka_->stats();
      metrics_.Inc(metric::kKafkaDeliveryErrorsTotal, {},
                   delta(static_cast<int64_t>(ks.delivery_errors), last_.kafka_errors));
      metrics_.Inc(metric::kKafkaMessagesProducedTotal, {},
                   delta(static_cast<int64_t>(ks.messages_produced), last_.kafka_produced));
      metrics_.Inc(metric::kKafkaBatchesTotal, {{"outcome", "committed"}},
                   delta(static_cast<int64_t>(ks.batches_committed), last_.kafka_committed));
      metrics_.Inc(metric::kKafkaBatchesTotal, {{"outcome", "failed"}},
                   delta(static_cast<int64_t>(ks.batches_failed), last_.kafka_failed));
      metrics_.Inc(
          metric::kKafkaTransactionsTotal, {{"outcome", "committed"}},
          delta(static_cast<int64_t>(ks.transactions_committed), last_.kafka_tx_committed));
      metrics_.Inc(metric::kKafkaTransactionsTotal, {{"outcome", "aborted"}},
                   delta(static_cast<int64_t>(ks.transactions_aborted), last_.kafka_tx_aborted));
      metrics_.Set(metric::kQueueDepth, {{"queue", "kafka"}}, static_cast<double>(ks.queue_depth));
    }
    metrics_.Set(metric::kQueueDepth, {{"queue", "pages"}},
                 static_cast<double>(updater_->slots_used()));
    metrics_.Set(metric::kQueueBytes, {{"queue", "pages"}},
                 static_cast<double>(updater_->bytes_held()));
    if (archive_) {
      auto as = archive_->stats();
      metrics_.Inc(metric::kArchiveBytesTotal, {},
                   delta(as.bytes_written, last_.archive.bytes_written));
      metrics_.Inc(metric::kArchiveRecordsTotal, {{"type", "response"}},
                   delta(as.responses, last_.archive.responses));
      metrics_.Inc(metric::kArchiveRecordsTotal, {{"type", "revisit"}},
                   delta(as.revisits, last_.archive.revisits));
      metrics_.Inc(metric::kArchiveFilesTotal, {},
                   delta(as.files_closed, last_.archive.files_closed));
      metrics_.Inc(metric::kArchiveErrorsTotal, {},
                   delta(as.write_errors + as.retention_errors, last_.archive.write_errors));
    }
    for (auto& a : alerts_) {
      const auto now = a.sink->stats();
      const auto add = [&](const char* outcome, uint64_t value, uint64_t last) {
        metrics_.Inc(metric::kAlertsTotal, {{"target", a.label}, {"outcome", outcome}},
                     static_cast<double>(value - last));
      };
      add("sent", now.sent, a.last.sent);
      add("refused", now.refused, a.last.refused);
      add("failed", now.failed, a.last.failed);
      add("suppressed", now.suppressed, a.last.suppressed);
      add("retried", now.retries, a.last.retries);
      a.last = now;
    }
    if (cluster_) SampleCluster();
    sample_timer_.expires_after(1s);
    sample_timer_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec) Sample();
    });
  }

  void SampleCluster() {
    const auto cs = cluster_->stats();
    const Labels node{{"node", node_}};
    metrics_.Set(metric::kClusterPartitionsOwned, node, static_cast<double>(cs.partitions.size()));
    double sources = 0;
    if (crawler_) {
      for (bool owned : OwnedSources()) sources += owned ? 1 : 0;
    }
    metrics_.Set(metric::kClusterSourcesOwned, node, sources);
    ClusterView view{node_, cluster::MemberStateName(cs.state),
                     std::vector<int32_t>(cs.partitions.begin(), cs.partitions.end())};
    std::map<std::string, bool> polled_here;
    if (crawler_) {
      const auto mine = OwnedSources();
      for (size_t i = 0; i < mine.size(); ++i) {
        polled_here[crawler_config_->sources.sources[i].name] = mine[i];
      }
    }
    board_.SetCluster(std::move(view), polled_here);
    for (auto st : {cluster::MemberState::kJoining, cluster::MemberState::kStable,
                    cluster::MemberState::kRebalancing, cluster::MemberState::kUnreachable}) {
      metrics_.Set(metric::kClusterMemberState,
                   {{"node", node_}, {"state", cluster::MemberStateName(st)}},
                   st == cs.state ? 1 : 0);
    }
    for (int32_t p = 0; p < config_->cluster.partitions; ++p) {
      const bool owned = cs.partitions.count(p) > 0;
      if (!owned && !ever_owned_.count(p)) continue;  // no series for partitions never owned
      ever_owned_.insert(p);
      metrics_.Set(metric::kClusterPartitionOwned,
                   {{"node", node_}, {"partition", std::to_string(p)}}, owned ? 1 : 0);
    }
    metrics_.Inc(metric::kClusterChangelogRecordsTotal, {{"outcome", "produced"}},
                 static_cast<double>(cs.changelog_produced - last_.changelog_produced));
    metrics_.Inc(metric::kClusterChangelogRecordsTotal, {{"outcome", "failed"}},
                 static_cast<double>(cs.changelog_errors - last_.changelog_errors));
    metrics_.Inc(metric::kClusterChangelogRecordsTotal, {{"outcome", "restored"}},
                 static_cast<double>(cs.restored - last_.restored));
    last_.changelog_produced = cs.changelog_produced;
    last_.changelog_errors = cs.changelog_errors;
    last_.restored = cs.restored;
  }

  // Declared in dependency order: destroyed in reverse, the loop last. The crawler goes
  // before the status updater (it ends its open journeys there), the pool before both (its
  // work holds only weak references and posts to the loop).
  std::shared_ptr<Config> config_;
  std::shared_ptr<Config> crawler_config_;  // the one the running crawler borrows
  RunCommandOptions options_;
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> guard_ = asio::make_work_guard(io_);
  std::shared_ptr<spdlog::logger> log_;
  SystemdNotifier notifier_;
  MetricsRegistry metrics_;
  // What the status page shows; the endpoint's page handler reads it (declared before it).
  StatusBoard board_{StatusBoardOptions{static_cast<size_t>(config_->status_max_reports),
                                        static_cast<size_t>(config_->status_max_findings)}};
  std::shared_ptr<BoardFile> board_file_;  // shared with the pool's saves
  uint64_t board_saved_ = 0;               // the board's generation last saved
  std::chrono::steady_clock::time_point board_saved_at_{};
  std::unique_ptr<crawler::StateStore> state_;
  // Shared with the CPU pool's archive calls, which may outlive a shutdown's deadline.
  std::shared_ptr<archive::WarcWriter> archive_;
  std::unique_ptr<VersionLedger> fault_ledger_;  // tests only (KillBeforeMark)
  std::unique_ptr<sinks::EmbeddedKafka> embedded_;
  std::vector<std::unique_ptr<sinks::Sink>> sinks_;
  sinks::KafkaSink* kafka_ = nullptr;
  struct AlertTargetMetrics {
    std::string label;  // "1:wecom"
    sinks::AlertSink* sink;
    sinks::AlertSinkStats last;  // at the last sample
  };
  std::vector<AlertTargetMetrics> alerts_;
  std::unique_ptr<HttpEndpoint> endpoint_;
  std::unique_ptr<ingest::StatusUpdater> updater_;
  // [cluster]: the group membership and the changelog (after the state store it writes to,
  // before the crawler whose sources it chooses); nullptr alone.
  std::unique_ptr<cluster::ClusterNode> cluster_;
  std::string node_;                    // [cluster] node or the host name
  std::set<int32_t> owned_partitions_;  // loop thread
  std::set<int32_t> ever_owned_;        // for the partition gauges
  crawler::CurlFetcher fetcher_{io_};
  std::unique_ptr<crawler::Crawler> crawler_;
  asio::thread_pool cpu_;  // parsing, digests of fetched bodies, the sinks' close
  asio::signal_set signals_{io_};
  asio::steady_timer watchdog_timer_{io_};
  asio::steady_timer sample_timer_{io_};
  asio::steady_timer deadline_timer_{io_};
  asio::steady_timer reload_timer_{io_};
  std::unique_ptr<asio::steady_timer> linger_timer_;
  std::chrono::milliseconds watchdog_interval_{0};
  std::chrono::steady_clock::time_point deadline_;
  std::map<std::string, std::string> health_;
  std::optional<std::chrono::system_clock::time_point> fake_today_;  // NIANBAO_FAKE_TODAY
  struct {
    int64_t published = 0, revised = 0, unchanged = 0, withdrawn = 0, soft_errors = 0;
    int64_t kafka_errors = 0, kafka_produced = 0, kafka_committed = 0, kafka_failed = 0;
    int64_t kafka_tx_committed = 0, kafka_tx_aborted = 0, delivery_failures = 0;
    int64_t changelog_produced = 0, changelog_errors = 0, restored = 0;
    double cpu_seconds = 0;
    std::map<std::string, int64_t> findings;
    archive::WarcStats archive;
  } last_;
  // All on the loop thread. stopping_ is read by the metrics endpoint's handler, also on it.
  bool stopping_ = false;
  bool reloading_ = false;
  bool sinks_closing_ = false;
  int64_t undelivered_ = 0;
  int64_t state_write_failures_ = 0;
  bool work_left_ = false;  // set by Finish, read after the loop ends
  // What work on the CPU pool holds to come back to the daemon: a weak reference.
  std::shared_ptr<Daemon*> self_ = std::make_shared<Daemon*>(this);
};

}  // namespace

int RunDaemon(const RunCommandOptions& options) {
  auto config = LoadConfig(options.config);
  if (!config.ok()) {
    std::cerr << "nianbao run: " << config.status().message() << "\n";
    return 2;
  }
  Daemon daemon(std::move(config).value(), options);
  return daemon.Run();
}

}  // namespace nianbao::app
