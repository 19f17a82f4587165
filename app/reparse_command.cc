#include "app/reparse_command.h"

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "app/config.h"
#include "archive/warc_reader.h"
#include "base/logging.h"
#include "crawler/state_store.h"
#include "ingest/across_years.h"
#include "ingest/messages.h"
#include "ingest/status_updater.h"
#include "parser/history.h"
#include "parser/parser.h"
#include "parser/record_json.h"
#include "parser/version.h"
#include "sinks/file_sink.h"
#include "sinks/kafka_sink.h"

namespace nianbao::app {
namespace {

namespace fs = std::filesystem;
using Json = nlohmann::ordered_json;

// Changed reports handed to the sinks and not yet acknowledged: the bound on what waits.
constexpr size_t kMaxInFlight = 64;
// A record's body is refused past the parser's own limit.
constexpr int64_t kMaxBodyBytes = 16ll << 20;

// One response (or revisit) record of a report page, as pass 1 found it.
struct Entry {
  std::string file;
  int64_t offset = 0;
  std::string date;  // WARC-Date
  bool revisit = false;
  std::string refers_to;       // a revisit's WARC-Refers-To
  std::string payload_sha256;  // lower-case hex, "" when the digest is not SHA-256
  std::string parser_version;  // of the file's warcinfo; "" when it names none
};

// What is known of one report URL.
struct Page {
  std::string source;  // from the state; "" when unknown
  DeliveredState delivered;
  bool known = false;                 // the state has the URL
  std::optional<Entry> latest;        // the latest 200
  std::optional<Entry> delivered_at;  // the record of the page last delivered
};

struct Counts {
  int64_t files = 0, records = 0, read_errors = 0, pages = 0, unchanged = 0, changed = 0,
          new_reports = 0, not_a_report = 0, withdrawn = 0, unreadable = 0, published = 0,
          publish_failed = 0;
};

// Directories are read for *.warc and *.warc.gz (not the .open file being written), in name
// order: nianbao's names sort by time.
std::vector<std::string> ArchiveFiles(const std::vector<std::string>& paths, bool* ok) {
  std::vector<std::string> files;
  for (const auto& p : paths) {
    std::error_code ec;
    if (!fs::is_directory(p, ec)) {
      files.push_back(p);
      continue;
    }
    std::vector<std::string> in_dir;
    for (const auto& e : fs::directory_iterator(p, ec)) {
      std::string name = e.path().filename().string();
      auto ends = [&](std::string_view s) {
        return name.size() > s.size() && name.compare(name.size() - s.size(), s.size(), s) == 0;
      };
      if (ends(".warc") || ends(".warc.gz")) in_dir.push_back(e.path().string());
    }
    if (ec) {
      std::cerr << "nianbao reparse: " << p << ": " << ec.message() << "\n";
      *ok = false;
    }
    std::sort(in_dir.begin(), in_dir.end());
    files.insert(files.end(), in_dir.begin(), in_dir.end());
  }
  return files;
}

std::string Sha256Of(std::string_view digest) {
  constexpr std::string_view kPrefix = "sha256:";
  if (digest.substr(0, kPrefix.size()) != kPrefix) return "";
  std::string hex(digest.substr(kPrefix.size()));
  std::transform(hex.begin(), hex.end(), hex.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return hex.size() == 64 ? hex : "";
}

// `nianbao-parser-version` of a warcinfo record's fields.
std::string ParserVersionOf(const archive::WarcRecord& warcinfo) {
  std::string_view text = warcinfo.block;
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    constexpr std::string_view kName = "nianbao-parser-version:";
    if (line.substr(0, kName.size()) == kName) {
      std::string_view v = line.substr(kName.size());
      while (!v.empty() && (v.front() == ' ' || v.front() == '\t')) v.remove_prefix(1);
      while (!v.empty() && (v.back() == '\r' || v.back() == ' ')) v.remove_suffix(1);
      return std::string(v);
    }
  }
  return "";
}

// Collects completions from the sinks' threads for the main thread.
class Acks {
 public:
  void Done(size_t item, Status s) {
    std::lock_guard<std::mutex> lock(mu_);
    done_.emplace_back(item, std::move(s));
    cv_.notify_all();
  }
  // Waits until something is done or `deadline` passes; takes what is done.
  std::vector<std::pair<size_t, Status>> Wait(std::chrono::steady_clock::time_point deadline) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, deadline, [&] { return !done_.empty(); });
    std::vector<std::pair<size_t, Status>> out;
    out.swap(done_);
    return out;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::pair<size_t, Status>> done_;  // GUARDED_BY(mu_)
};

// A changed report on its way to the sinks.
struct Outgoing {
  std::string url;
  std::string sha256;
  bool known = false;  // the state has the URL: it records the delivery
  DeliveredContent content;
  size_t sinks_left = 0;
  bool failed = false;
};

class Reparse {
 public:
  explicit Reparse(const ReparseCommandOptions& o) : options_(o) {}

  int Run() {
    if (int rc = Prepare(); rc != 0) return rc;
    bool files_ok = true;
    std::vector<std::string> files = ArchiveFiles(paths_, &files_ok);
    if (files.empty()) {
      std::cerr << "nianbao reparse: no WARC files in " << Join(paths_) << "\n";
      return files_ok ? 0 : 1;
    }
    for (const auto& f : files) files_ok = IndexFile(f) && files_ok;
    ReadPages();
    int rc = FinishSinks();
    std::cerr << "nianbao reparse: " << counts_.files << " files, " << counts_.records
              << " records, " << counts_.read_errors << " damaged; " << counts_.pages
              << " report pages: " << counts_.unchanged << " unchanged, " << counts_.changed
              << " changed (" << counts_.new_reports << " not published before), "
              << counts_.not_a_report << " not a report, " << counts_.withdrawn
              << " withdrawn (left alone), " << counts_.unreadable << " unreadable";
    if (!options_.dry_run) {
      std::cerr << "; " << counts_.published << " published as report.reparsed, "
                << counts_.publish_failed << " failed";
    }
    std::cerr << std::endl;
    if (rc != 0) return rc;
    return files_ok && counts_.publish_failed == 0 ? 0 : 1;
  }

 private:
  static std::string Join(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
    return out;
  }

  int Usage(const std::string& what) {
    std::cerr << "nianbao reparse: " << what << "\n";
    return 2;
  }

  int Prepare() {
    static const std::regex kDate(R"(^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}:\d{2}Z)?$)");
    if (!options_.since.empty() && !std::regex_match(options_.since, kDate)) {
      return Usage("--since: expected YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got \"" + options_.since +
                   "\"");
    }
    if (!options_.dry_run && options_.config.empty()) {
      return Usage("publishing goes through the configured sinks: give --config (or --dry-run)");
    }
    std::string state_dir = options_.state_dir;
    paths_ = options_.paths;
    if (!options_.config.empty()) {
      auto config = LoadConfig(options_.config);
      if (!config.ok()) return Usage(config.status().message());
      config_ = std::move(config).value();
      if (Status s = ConfigureLogging(config_->log); !s.ok()) return Usage(s.message());
      if (state_dir.empty()) state_dir = config_->state_dir;
      if (paths_.empty()) paths_.push_back(config_->archive.dir);
    }
    if (paths_.empty()) return Usage("no archive: give WARC files or directories, or --config");
    if (!options_.source.empty() && state_dir.empty()) {
      return Usage(
          "--source needs the state (--state-dir or --config): it knows each page's source");
    }
    if (!state_dir.empty()) {
      if (!fs::exists(fs::path(state_dir) / "state.db")) {
        return Usage("no state in " + state_dir + " (state.db is missing)");
      }
      auto state = crawler::StateStore::Open(state_dir);
      if (!state.ok()) return Usage(state.status().message());
      state_ = std::move(state).value();
    }
    parse_.disabled_rules = options_.test_disable_rules;
    if (!options_.dry_run) {
      if (int rc = OpenSinks(state_dir); rc != 0) return rc;
    }
    return 0;
  }

  int OpenSinks(const std::string& state_dir) {
    const Config& c = *config_;
    if (c.kafka.enabled) {
      std::string brokers = c.kafka.brokers;
      if (brokers == "embedded") {
        // The embedded cluster lives in the running daemon: its address is in the state.
        std::ifstream in(state_dir + "/embedded-kafka.bootstrap");
        std::getline(in, brokers);
        if (brokers.empty()) {
          return Usage(
              "[kafka] brokers = \"embedded\": no daemon running with its embedded "
              "Kafka (" +
              state_dir + "/embedded-kafka.bootstrap)");
        }
      }
      auto kafka = sinks::KafkaSink::Create(KafkaSinkOptionsOf(c.kafka, brokers));
      if (!kafka.ok()) return Usage(c.path + ": [kafka]: " + kafka.status().message());
      sinks_.push_back(std::move(kafka).value());
    }
    if (c.file.enabled) {
      sinks::FileSink::Options fo;
      fo.dir = c.file.dir;
      fo.base_name = "nianbao-reparse";
      fo.max_bytes = static_cast<uint64_t>(c.file.max_bytes);
      fo.max_files = static_cast<size_t>(c.file.max_files);
      auto file = sinks::FileSink::Create(fo);
      if (!file.ok()) return Usage(c.path + ": [file]: " + file.status().message());
      sinks_.push_back(std::move(file).value());
    }
    if (c.stdout_sink) {
      std::cerr << "nianbao reparse: the [stdout] sink is not used: stdout carries reparse's "
                   "own lines\n";
    }
    if (sinks_.empty()) return Usage(c.path + ": no sink to publish to ([kafka] or [file])");
    return 0;
  }

  // Pass 1: which record to read again for each report URL.
  bool IndexFile(const std::string& path) {
    auto reader = archive::WarcReader::Open(path);
    if (!reader.ok()) {
      std::cerr << "nianbao reparse: " << reader.status().message() << "\n";
      return false;
    }
    ++counts_.files;
    std::string parser_version;
    archive::WarcRecord rec;
    while (true) {
      auto got = reader.value()->Next(&rec);
      if (!got.ok()) {
        ++counts_.read_errors;
        std::cerr << "nianbao reparse: " << got.status().message() << "\n";
        continue;
      }
      if (!got.value()) break;
      if (++counts_.records % 1000 == 0) {
        std::cerr << "nianbao reparse: " << counts_.records << " records read (" << path << ")\n";
      }
      std::string_view type = rec.type();
      if (type == "warcinfo") {
        parser_version = ParserVersionOf(rec);
        continue;
      }
      if (type != "response" && type != "revisit") continue;
      std::string uri(rec.target_uri());
      if (uri.rfind("http://", 0) != 0 && uri.rfind("https://", 0) != 0) continue;
      Entry e;
      e.file = path;
      e.offset = rec.offset;
      e.date = std::string(rec.date());
      e.revisit = type == "revisit";
      e.refers_to = std::string(rec.Field("WARC-Refers-To"));
      e.payload_sha256 = Sha256Of(rec.Field("WARC-Payload-Digest"));
      e.parser_version = parser_version;
      if (!e.revisit) {
        // Where payloads are, for the revisits that point at them.
        by_id_[std::string(rec.record_id())] = {path, rec.offset};
        if (!e.payload_sha256.empty()) by_digest_.try_emplace(e.payload_sha256, path, rec.offset);
      }
      auto http = archive::ParseHttpResponse(rec.block);
      if (!http.ok() || http.value().status != 200) continue;
      if (!options_.since.empty() && e.date < options_.since) continue;
      std::string url = parser::CanonicalizeUrl(uri);
      Page* page = PageOf(url);
      if (page == nullptr) continue;
      if (!page->latest || page->latest->date <= e.date) page->latest = e;
      if (!e.payload_sha256.empty() && e.payload_sha256 == page->delivered.sha256) {
        page->delivered_at = e;
      }
    }
    return true;
  }

  // The page of `url`, looked up in the state on first sight; nullptr when --source leaves
  // it out.
  Page* PageOf(const std::string& url) {
    auto [it, fresh] = pages_.try_emplace(url);
    Page& p = it->second;
    if (fresh && state_) {
      auto row = state_->Get(url);
      if (row.ok() && row.value()) {
        p.known = true;
        p.source = row.value()->source;
        auto d = state_->GetDelivered(url);
        if (d.ok()) p.delivered = d.value();
      }
      if (!row.ok()) std::cerr << "nianbao reparse: state: " << row.status().message() << "\n";
    }
    if (!options_.source.empty() && p.source != options_.source) return nullptr;
    return &p;
  }

  // A record's HTTP response with its payload: a revisit's from the record it refers to.
  Result<std::pair<archive::WarcRecord, archive::WarcRecord>> Load(const Entry& e) {
    auto rec = archive::WarcReader::ReadAt(e.file, e.offset);
    if (!rec.ok()) return rec.status();
    if (!e.revisit) return std::make_pair(rec.value(), std::move(rec).value());
    std::pair<std::string, int64_t> at;
    if (auto it = by_id_.find(e.refers_to); it != by_id_.end()) {
      at = it->second;
    } else if (auto d = by_digest_.find(e.payload_sha256); d != by_digest_.end()) {
      at = d->second;
    } else {
      return Status::NotFound(e.file + ": offset " + std::to_string(e.offset) +
                              ": a revisit whose payload is not in the archive read");
    }
    auto original = archive::WarcReader::ReadAt(at.first, at.second);
    if (!original.ok()) return original.status();
    return std::make_pair(std::move(rec).value(), std::move(original).value());
  }

  // Pass 2.
  void ReadPages() {
    for (auto& [url, page] : pages_) {
      const std::optional<Entry>& chosen = page.delivered_at ? page.delivered_at : page.latest;
      if (!chosen) continue;
      ++counts_.pages;
      if (page.delivered.fingerprint == kWithdrawnContent) {
        ++counts_.withdrawn;  // reparse does not bring a withdrawn report back
        continue;
      }
      auto loaded = Load(*chosen);
      if (!loaded.ok()) {
        ++counts_.unreadable;
        std::cerr << "nianbao reparse: " << loaded.status().message() << "\n";
        continue;
      }
      const auto& [head_rec, payload_rec] = loaded.value();
      auto head = archive::ParseHttpResponse(head_rec.block);
      auto payload = archive::ParseHttpResponse(payload_rec.block);
      if (!head.ok() || !payload.ok()) {
        ++counts_.unreadable;
        std::cerr << "nianbao reparse: " << chosen->file << ": offset " << chosen->offset
                  << ": not an HTTP response\n";
        continue;
      }
      auto body = archive::DecodedBody(payload.value(), kMaxBodyBytes);
      if (!body.ok()) {
        ++counts_.unreadable;
        std::cerr << "nianbao reparse: " << chosen->file << ": offset " << chosen->offset << ": "
                  << body.status().message() << "\n";
        continue;
      }
      parser::ParseInput in;
      in.bytes = body.value();
      in.content_type = std::string(head.value().Header("Content-Type"));
      if (in.content_type.empty()) in.content_type = payload.value().Header("Content-Type");
      in.url = std::string(head_rec.target_uri());
      in.fetched_at = chosen->date;
      auto out = parser::Parse(in, parse_);
      if (!out.ok() || !out.value().is_report) {
        ++counts_.not_a_report;
        continue;
      }
      std::string fingerprint = parser::ContentFingerprint(out.value());
      if (fingerprint == page.delivered.fingerprint) {
        ++counts_.unchanged;
        continue;
      }
      ++counts_.changed;
      AddAcrossYears(page.source, &out.value());  // after the fingerprint, as the daemon does
      const bool is_new = page.delivered.fingerprint.empty();
      if (is_new) ++counts_.new_reports;
      Json line;
      line["report_id"] = out.value().record.report_id;
      line["url"] = url;
      line["change"] = is_new ? "new" : "changed";
      line["archive"] = {{"file", fs::path(chosen->file).filename().string()},
                         {"offset", chosen->offset}};
      line["previous_fingerprint"] = is_new ? Json(nullptr) : Json(page.delivered.fingerprint);
      line["fingerprint"] = fingerprint;
      line["previous_parser_version"] =
          chosen->parser_version.empty() ? Json(nullptr) : Json(chosen->parser_version);
      line["parser_version"] = parser::ParserVersion();
      Json rules = Json::array();
      for (const auto& f : out.value().findings) rules.push_back(f.rule);
      line["findings"] = rules;
      std::cout << line.dump(-1, ' ', false, Json::error_handler_t::replace) << std::endl;
      if (!options_.dry_run) Publish(url, page, *chosen, out.value(), fingerprint, in.bytes);
    }
  }

  // The findings across years the daemon gave the record (docs/rules.md, "In the daemon"):
  // the pair with the previous year kept in the state. They are not part of the fingerprint,
  // so they never make a change by themselves; a republished record carries them as before.
  void AddAcrossYears(const std::string& source, parser::ParseOutput* out) const {
    if (!state_ || source.empty()) return;
    parser::YearSummary summary = parser::SummarizeYear(*out);
    if (config_) {
      for (const auto& src : config_->sources.sources) {
        if (src.name == source) {
          summary.organization_key =
              ingest::AliasedKey(summary.organization_key, src.organization_aliases);
        }
      }
    }
    auto findings = ingest::AgainstYearBefore(*state_, source, summary, out->record.report_id);
    if (!findings.ok()) return;  // as the daemon, which fails the page; here it stays as read
    for (auto& f : findings.value()) out->findings.push_back(std::move(f));
  }

  void Publish(const std::string& url, const Page& page, const Entry& at,
               const parser::ParseOutput& out, const std::string& fingerprint,
               std::string_view body) {
    // The version is written ahead, as the daemon does: a crash before the acks repeats this
    // version with the same ce_ids.
    int64_t version = 1;
    if (page.known) {
      auto v = state_->BeginVersion(url, fingerprint);
      if (!v.ok()) {
        ++counts_.publish_failed;
        std::cerr << "nianbao reparse: state: " << v.status().message() << "\n";
        return;
      }
      version = v.value();
    }
    std::optional<std::string> previous;
    if (!at.parser_version.empty()) previous = at.parser_version;
    std::tm tm{};
    std::chrono::system_clock::time_point fetched = std::chrono::system_clock::now();
    if (strptime(at.date.c_str(), "%Y-%m-%dT%H:%M:%S", &tm) != nullptr) {
      fetched = std::chrono::system_clock::from_time_t(timegm(&tm));
    }
    auto batch = std::make_shared<const sinks::Batch>(ingest::ReportBatch(
        config_->topics, page.source.empty() ? "reparse" : page.source, out,
        ingest::ReportEvent::kReparsed, version, fingerprint, fetched,
        ArchiveRef{fs::path(at.file).filename().string(), at.offset}, previous));
    Outgoing o;
    o.url = url;
    o.sha256 = at.payload_sha256.empty() ? parser::Sha256Hex(body) : at.payload_sha256;
    o.known = page.known;
    o.content.fingerprint = fingerprint;
    o.content.shape = ingest::ContentShape::Of(out.record).ToString();
    o.sinks_left = sinks_.size();
    size_t item = outgoing_.size();
    outgoing_.push_back(std::move(o));
    ++in_flight_;
    for (auto& sink : sinks_) {
      // A full sink: wait for acknowledgements (this is a batch command, not the event loop),
      // at most the shutdown deadline; a sink that still refuses fails the report.
      auto give_up = std::chrono::steady_clock::now() + config_->shutdown_deadline;
      while (!sink->TrySubmit(batch, [this, item](Status s) { acks_.Done(item, std::move(s)); })) {
        if (std::chrono::steady_clock::now() > give_up) {
          acks_.Done(item, Status::Unavailable(std::string(sink->name()) + " refused the batch"));
          break;
        }
        Drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
      }
    }
    while (in_flight_ >= kMaxInFlight) {
      Drain(std::chrono::steady_clock::now() + std::chrono::milliseconds(200));
    }
  }

  // Takes the acknowledgements in; a report acknowledged by every sink is marked delivered.
  void Drain(std::chrono::steady_clock::time_point deadline) {
    for (auto& [item, status] : acks_.Wait(deadline)) {
      Outgoing& o = outgoing_[item];
      if (!status.ok()) {
        if (!o.failed) {
          std::cerr << "nianbao reparse: " << o.url << ": " << status.message() << "\n";
        }
        o.failed = true;
      }
      if (--o.sinks_left != 0) continue;
      --in_flight_;
      if (o.failed) {
        ++counts_.publish_failed;
        continue;
      }
      ++counts_.published;
      if (o.known) {
        Status s = state_->MarkDelivered(o.url, o.sha256, &o.content);
        if (!s.ok()) std::cerr << "nianbao reparse: state: " << s.message() << "\n";
      }
    }
  }

  int FinishSinks() {
    if (sinks_.empty()) return 0;
    auto deadline = std::chrono::steady_clock::now() + config_->shutdown_deadline;
    while (in_flight_ > 0 && std::chrono::steady_clock::now() < deadline) Drain(deadline);
    for (auto& sink : sinks_) {
      Status s = sink->Close(std::chrono::milliseconds(5000));
      if (!s.ok()) std::cerr << "nianbao reparse: " << sink->name() << ": " << s.message() << "\n";
    }
    // Close() reports what was still pending as failed.
    Drain(std::chrono::steady_clock::now());
    if (in_flight_ > 0) {
      counts_.publish_failed += static_cast<int64_t>(in_flight_);
      return 1;
    }
    return 0;
  }

  const ReparseCommandOptions& options_;
  std::optional<Config> config_;
  std::vector<std::string> paths_;
  std::unique_ptr<crawler::StateStore> state_;
  parser::ParseOptions parse_;
  Acks acks_;  // before the sinks: a sink destroyed unclosed may still call back
  std::vector<std::unique_ptr<sinks::Sink>> sinks_;
  std::map<std::string, Page> pages_;                                 // by canonical URL, in order
  std::map<std::string, std::pair<std::string, int64_t>> by_id_;      // record id -> place
  std::map<std::string, std::pair<std::string, int64_t>> by_digest_;  // payload -> place
  Counts counts_;
  std::vector<Outgoing> outgoing_;
  size_t in_flight_ = 0;
};

}  // namespace

int RunReparseCommand(const ReparseCommandOptions& options) { return Reparse(options).Run(); }

}  // namespace nianbao::app
