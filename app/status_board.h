// StatusBoard: what the status page (app/status_page.h) shows, kept in bounded memory.
//
// The daemon feeds it from what its components already report: every source's pass (the
// crawler's on_pass, with the next due time from the state), every fetch that failed (the
// crawler's on_fetch), every page that ended as failed (the status updater's on_end) and every
// report version that reached every sink (the status updater's on_delivered, with the batch
// that was delivered: the record and its findings as JSON, record-v1). The board keeps one row
// per configured source and the latest reports with their findings, newest first: at most
// max_reports reports and max_findings findings in all (the oldest reports go first), so a
// daemon that runs for months holds a bounded amount.
//
// What it keeps is the web's text as it came (titles, organisations, messages, URLs): the
// renderer escapes it, the board does not.
//
// A restart would leave the page empty of reports until new ones come, which can be months
// out of season: the daemon saves a Snapshot in its state directory now and then and at
// its stop, and Restores it at its start.
//
// Ownership: the daemon owns it, beside the metrics registry; the HTTP endpoint's page handler
// reads it through a reference and must not outlive it.
// Threading: not thread-safe. Every call, updates and reads alike, is made on the daemon's loop
// thread (the HTTP endpoint's handlers run there too).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/page.h"
#include "base/status.h"
#include "sinks/sink.h"

namespace nianbao::app {

struct StatusBoardOptions {
  // Reports kept (the latest delivered versions, one row per report). Default: 500.
  std::size_t max_reports = 500;
  // Findings kept over all the reports kept; the oldest reports are dropped to stay under it
  // (the newest report is kept whole even when it alone has more). Default: 5000.
  std::size_t max_findings = 5000;
};

using SystemTime = std::chrono::system_clock::time_point;

struct SourceRow {
  std::string name;
  std::string health = "unknown";       // "ok", "unreachable", "blocked", "stale"; "unknown" before
                                        // the first pass
  std::optional<SystemTime> last_pass;  // when the last pass ended
  std::optional<SystemTime> last_ok;    // when a pass last ended with health "ok"
  std::optional<SystemTime> next_due;   // when the next pass starts
  std::string last_error;               // e.g. "http_503 https://..." or a page's reason
  std::optional<SystemTime> last_error_at;
  int64_t passes = 0;
  int64_t reports_delivered = 0;  // report versions delivered since the daemon started
  int64_t findings = 0;           // findings of those versions
  std::optional<bool> owned;      // in a cluster: whether this node polls it now
  SourcePassStats last;           // the counts of the last pass
};

// In a cluster (docs/cluster.md): this node and what it owns.
struct ClusterView {
  std::string node;
  std::string state;  // "joining", "stable", "rebalancing", "unreachable"
  std::vector<int32_t> partitions;
};

struct FindingRow {
  std::string rule;
  std::string severity;
  std::string message;
  std::string path;  // "" when the finding has none
};

struct ReportRow {
  std::string report_id;
  std::string source;
  std::string url;
  std::string title;
  std::string organization;
  std::optional<int64_t> year;
  std::string event;  // "report.published", "report.revised", "report.withdrawn"
  int64_t version = 0;
  SystemTime delivered_at;
  std::vector<FindingRow> findings;
};

class StatusBoard {
 public:
  explicit StatusBoard(StatusBoardOptions options = {});

  // The configured sources, in the order of the sources file: each gets a row at once (health
  // "unknown" until its first pass). Rows of sources no longer named are kept with what they
  // last showed.
  void SetSources(const std::vector<std::string>& names);

  // A source's pass ended at `now`; `next_due` is when the next one starts (nullopt: none, as
  // with --once).
  void OnPass(const SourcePassStats& stats, SystemTime now, std::optional<SystemTime> next_due);

  // A fetch failed or a page ended as failed: the source's last error.
  void OnError(const std::string& source, const std::string& what, SystemTime now);

  // A batch reached every sink. Report batches (nianbao.report.v1 and its findings) and
  // withdrawals (nianbao.withdrawal.v1) become rows; anything else, or a message that is not
  // the JSON it should be, is ignored (the board shows, it does not check).
  void OnDelivered(const std::string& source, const sinks::Batch& batch, SystemTime now);

  // In a cluster: this node, its partitions, and which sources it polls now.
  void SetCluster(ClusterView view, const std::map<std::string, bool>& owned);
  const std::optional<ClusterView>& cluster() const { return cluster_; }

  // The board as one JSON text ("schema": "nianbao.status-board.v1", docs/config.md, "Status
  // page") for a restarted daemon to show again (Restore): the reports kept, and per source
  // what its row last showed (health, last pass, last ok, next due, last error). The counts
  // since the start are not in it.
  std::string Snapshot() const;
  // Loads a Snapshot into a board that has seen nothing yet: its reports within this board's
  // bounds, and the rows of its sources. A text that is not a snapshot is refused
  // (InvalidArgument, saying why) and the board is left as it was.
  Status Restore(std::string_view snapshot);
  // Bumped by every change: the daemon saves a snapshot only when this moved.
  uint64_t generation() const { return generation_; }

  const std::map<std::string, SourceRow>& sources() const { return sources_; }
  // The configured order first, then any other source seen.
  std::vector<const SourceRow*> SourcesInOrder() const;
  const SourceRow* FindSource(std::string_view name) const;
  // Newest first.
  const std::deque<ReportRow>& reports() const { return reports_; }
  const ReportRow* FindReport(std::string_view report_id) const;
  std::size_t findings_kept() const { return findings_kept_; }

 private:
  SourceRow& Row(const std::string& name);
  void Add(ReportRow row);

  const StatusBoardOptions options_;
  std::vector<std::string> order_;
  std::map<std::string, SourceRow> sources_;
  std::deque<ReportRow> reports_;
  std::size_t findings_kept_ = 0;
  std::optional<ClusterView> cluster_;
  uint64_t generation_ = 0;
};

}  // namespace nianbao::app
