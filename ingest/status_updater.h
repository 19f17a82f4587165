// The status updater: the one owner of every report page from the moment the crawler plans
// its fetch until the page ends in exactly one final status (base/page.h), as StormCrawler's
// status updater is for its URLs.
//
//   crawler ─Planned()─► journey "planned"
//           ─TryStart()► a slot (at most max_pages journeys hold one: the memory bound)
//           ─Fetched()─► the page already read? (same bytes) ────────► unchanged
//                        a version of the URL on its way? ───────────► skipped
//                        parse on the CPU pool (asio::thread_pool) ──┐
//                                         ┌──────── posted back ◄────┘
//                        not a report, where a report was ───────────► failed "soft_error"
//                          (a maintenance page, an error page): the stored version stands
//                        not a report, never was ── MarkDelivered ───► skipped
//                        same content fingerprint ── MarkDelivered ──► unchanged
//                          (a view counter, the time, the menus: never a revision)
//                        lost sections or most cells, first seen ────► failed "soft_error"
//                          (remembered as suspect; published when the next fetch agrees)
//                        its version written ahead (state) ─► event: version 1 published,
//                          later ones revised; ce_ids from report_id, event, version
//                        batch (record + findings), built once ─► every sink (shared)
//                           a full sink: the batch waits here and is offered again when a
//                           sink reports a batch done (never a sleeping thread)
//                        all sinks OK ──────── MarkDelivered ─────────► delivered
//                        a sink failed ───────────────────────────────► failed
//           ─Gone()────► gone fewer times than withdraw_after, or nothing delivered ─► failed
//                        else report.withdrawn (a version of its own) ─► withdrawn
//           ─Ended()───► failed / skipped (the crawler's own ends)
//
// The memory across years (with options.history; docs/rules.md, history.*): a report's
// summary is kept per source, organisation key and year as soon as it is parsed (so that two
// years parsed in one pass see each other, whichever comes first); its record gets the
// findings against year N−1, and the findings of year N+1 against it travel in its batch
// (event findings.across_years, keyed by year N+1's report). A report that a report.missing
// named carries report.found_late in its batch.
//
//   crawler pass over a source ends ─SweepMissing()─► once no journey of the source is open:
//       history ─► DueMissing (ingest/missing_reports.h) ─► report.missing, written ahead in
//       the state, marked sent when every sink acknowledged it (else sent again next sweep)
//
// Every end releases the journey's slot (the crawler's on-room callback resumes its
// fetches) and the claim on its URL (one version of a report on its way at a time: a newer
// version handed on beside an unacknowledged one could overtake it on another thread).
//
// Ownership: owned by the daemon, which also owns the loop, the CPU pool, the sinks and the
// ledger (the state's side of each report's versions, base/page.h); all must outlive it, and the
// crawler must be destroyed first. Threading: every member function runs on the loop thread; parse
// results and sink reports are posted back to it and hold only a weak reference, so that nothing
// reaches a destroyed updater.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/history.h"
#include "base/page.h"
#include "base/status.h"
#include "ingest/messages.h"
#include "ingest/missing_reports.h"
#include "parser/parser.h"
#include "sinks/sink.h"

namespace nianbao::ingest {

// What a report version has, to tell a correction from a page that lost part of the report
// (a cut, an export that dropped tables). Kept in the state as text: "sections=6 cells=120".
struct ContentShape {
  int sections = 0;  // sections found
  int cells = 0;     // table cells with a value
  std::string ToString() const;
  static ContentShape Of(const parser::Record& record);
  static ContentShape Parse(std::string_view text);  // zeros for text it cannot read
};
// Whether `after` lost what makes `before` a report: a section, or more than half its cells.
bool LosesContent(const ContentShape& before, const ContentShape& after);

// A report page with its documents (FetchedPage::documents), read as one report: the page and
// each document are parsed; the record is the page's when the page holds the tables (a cell
// read), else the first document's that does, else the page's. Its source.document names
// what the tables were read from (the page or the document), source.attachments every
// document. The report_id and source.url stay the page's. Pure: runs on the CPU pool.
//
// A page and its documents are one journey (one owner, one claim on the page's URL): the
// crawler hands them on together, and a revised document is a new hash of the report
// (FetchedPage::sha256) and, when its tables changed, a new fingerprint: report.revised. A
// page gone withdraws the report (the rules for pages); a document gone under a page that
// stays leaves the page read alone (a soft error when the page is only a note).
Result<parser::ParseOutput> ParseReport(const FetchedPage& page, parser::ParseInput in,
                                        const parser::ParseOptions& options);

struct StatusUpdaterOptions {
  // Report pages between the start of their fetch and their final status. Default 64.
  size_t max_pages = 64;
  // Bytes of report pages (bodies and their documents) from the start of their fetch to the end
  // of their parse: while at or over it, no new report fetch starts, so that a column of 5 MiB
  // pages cannot hold 64 of them. A fetch under way counts as a typical page (a moving average
  // of the bodies fetched so far), since its size is known only at its end; a fetched page
  // counts as its bytes. Peak memory is about this plus the parser threads' working sets.
  // Default 64 MiB; 0 = no bound but max_pages.
  size_t max_bytes = 64u << 20;
  Topics topics;
  parser::ParseOptions parse;
  // Keeps a fetched page (the archive); runs on the CPU pool before the parse, so it must be
  // safe to call from any thread. A failure ends the journey as failed ("archive: ..."):
  // nothing is published that the archive does not hold. nullptr: no archive.
  std::function<Result<ArchiveRef>(const FetchedPage&)> archive;
  // The memory across years (base/history.h; the daemon's StateStore). nullptr: no rules
  // across years, no report.missing, no report.found_late. Must outlive the updater.
  ReportHistory* history = nullptr;
  // When a report is called missing ([history] in the daemon's config).
  MissingPolicy missing;
  // Per source: an organisation's name as its reports write it -> the name its reports are
  // kept under (the sources file's organization_aliases). Matched by OrganizationKey.
  std::map<std::string, std::map<std::string, std::string>> organization_aliases;
  // Observers for the daemon's metrics and status page; optional, called on the loop thread.
  // on_parsed: how long one parse took on the CPU pool.
  std::function<void(std::chrono::duration<double> parse_time)> on_parsed;
  // on_delivered: a report version (or withdrawal) reached every sink: its source, the batch
  // delivered, and the time from the page's fetch to the last sink's acknowledgement.
  std::function<void(const std::string& source, const sinks::Batch& batch,
                     std::chrono::duration<double> since_fetch)>
      on_delivered;
};

// Counters, read on the loop thread (the daemon's metrics sampler).
struct StatusUpdaterStats {
  int64_t pages = 0;         // pages fetched and handed to the updater
  int64_t published = 0;     // report.published batches built
  int64_t revised = 0;       // report.revised batches built
  int64_t withdrawn = 0;     // report.withdrawn batches built
  int64_t same_content = 0;  // pages whose bytes changed but whose report did not
  int64_t soft_errors = 0;   // pages that were not (or no longer wholly) the report they were
  int64_t not_a_report = 0;
  int64_t parse_errors = 0;
  int64_t delivery_failures = 0;  // sink reports that were not OK
  int64_t events_dropped = 0;     // fetch-log events refused by a full sink; source events
                                  // dropped past kMaxHeldEvents
  int64_t events_held = 0;        // source events given again to a sink that refused or failed
  int64_t missing = 0;            // report.missing events sent (again, when unacknowledged)
  int64_t found_late = 0;         // report.found_late events built
  int64_t across_years = 0;       // findings.across_years findings built
  int64_t history_errors = 0;     // sweeps that could not read or write the history
  std::map<PageStatus, int64_t> ended;
  std::map<std::string, int64_t> findings_by_rule;
};

class StatusUpdater final : public PageTracker {
 public:
  // Observes every final status (logs, metrics); optional.
  using OnEnd = std::function<void(const std::string& source, const std::string& url,
                                   PageStatus status, const std::string& reason)>;

  StatusUpdater(boost::asio::io_context& loop, boost::asio::thread_pool& cpu,
                std::vector<sinks::Sink*> sinks, VersionLedger& ledger,
                StatusUpdaterOptions options, OnEnd on_end = nullptr);
  ~StatusUpdater() override;
  StatusUpdater(const StatusUpdater&) = delete;
  StatusUpdater& operator=(const StatusUpdater&) = delete;

  // PageTracker (base/page.h).
  JourneyId Planned(const std::string& source, const std::string& url) override;
  bool TryStart(JourneyId id) override;
  void Fetched(JourneyId id, FetchedPage page) override;
  void Gone(JourneyId id, GonePage page) override;
  void Ended(JourneyId id, PageStatus status, std::string reason) override;
  void SetOnRoom(std::function<void()> on_room) override;

  // A single event (the fetch log) to every sink; dropped and counted when a sink is full:
  // these are observability, not data.
  void PublishEvent(sinks::Batch batch);
  // A source event (source.ok/unreachable/blocked/stale, source.moved) to every sink. A sink
  // that refuses it (full) or fails it (an alert target down past its attempts) is held the
  // event and given it again at each RetryHeldEvents() until it takes it: the daemon emits a
  // health event only when the health changes, so one lost would never come again in this
  // run. At most kMaxHeldEvents are held (beyond, the oldest is dropped, counted and logged).
  // Held events live in memory: after a restart every source's health is emitted afresh.
  void PublishHeld(sinks::Batch batch);
  // Offers the held events again (the daemon calls it after each pass: a failed target is
  // not asked in a tight loop).
  void RetryHeldEvents();
  static constexpr size_t kMaxHeldEvents = 1000;

  // The crawler's pass over `source` ended: report.missing for each organisation whose
  // report on a year is past due (MissingPolicy), once no journey of the source is open any
  // more (a report still on its way is not missing). `now` is the daemon's today (a fake one
  // in tests). Nothing without options.history.
  void SweepMissing(const std::string& source, std::chrono::system_clock::time_point now);
  // Replaces options.organization_aliases (a reload of the sources file).
  void SetOrganizationAliases(std::map<std::string, std::map<std::string, std::string>> aliases);

  // Shutdown. `idle` runs (posted, once) when no journey is open any more.
  void WhenIdle(std::function<void()> idle);
  // The deadline passed: every journey still parsing or delivering ends as failed
  // ("shutdown"; a later pass hands it on again); late results are dropped.
  void Abandon();

  size_t open() const { return journeys_.size(); }
  size_t slots_used() const { return slots_used_; }
  // Bytes of pages being fetched (counted as typical pages) or held until their parse ended
  // (the max_bytes bound).
  size_t bytes_held() const { return bytes_held_; }
  const StatusUpdaterStats& stats() const { return stats_; }

 private:
  enum class Stage { kPlanned, kFetching, kParsing, kDelivering };
  struct Journey {
    std::string source;
    std::string url;
    Stage stage = Stage::kPlanned;
    bool has_slot = false;
    // What it holds of the byte bound: a typical page while it is fetched, then its page's
    // bytes while they wait for or are in the parse.
    size_t held_bytes = 0;
    bool claims_url = false;
    std::string sha256;
    DeliveredContent content;  // the version on its way (recorded once every sink has it)
    std::shared_ptr<const sinks::Batch> batch;
    size_t sinks_left = 0;
    bool sink_failed = false;
    std::string failure;
    std::optional<YearEntry> year_entry;            // the history's entry of the report on its way
    bool found_late = false;                        // its batch carries report.found_late
    std::chrono::steady_clock::time_point fetched;  // when the page came to the updater
  };
  struct Parsed {
    Result<parser::ParseOutput> output = Status::Internal("not parsed");
    Result<std::optional<ArchiveRef>> archived = std::optional<ArchiveRef>();
    FetchedPage page;  // the body stays here until the parse ended
    std::chrono::duration<double> parse_time{0};
  };

  void OnParsed(JourneyId id, Parsed parsed);
  // Gives back what a journey holds of the memory bound (its slot when `slot`, its bytes),
  // and lets the crawler resume if it was told to wait.
  void Release(Journey& j, bool slot);
  // Begins the journey's version (write-ahead) and hands its batch to every sink.
  void Deliver(JourneyId id, std::shared_ptr<const sinks::Batch> batch);
  void Offer(JourneyId id, size_t sink);
  void OnSinkDone(JourneyId id, Status status);
  void RetryWaiting();
  // The rules across years for a parsed report (see the diagram): appends year N's findings
  // to `out`, and to `extra` the messages its batch carries besides the record's.
  Status ApplyHistory(Journey& j, parser::ParseOutput& out, int64_t version,
                      std::chrono::system_clock::time_point at, std::vector<sinks::Message>* extra);
  // A report read again with its delivered content: its year is kept if none is (the
  // reports delivered before the state had this memory are read once more after the upgrade,
  // crawler/state_store.cc kMigrateToV4). No findings: nothing is published.
  Status KeepYear(const Journey& j, const parser::ParseOutput& out, int64_t version);
  std::string KeyOf(const std::string& source, const parser::YearSummary& summary) const;
  void RunSweep(const std::string& source, std::chrono::system_clock::time_point now);
  void OnMissingSent(MissingReport missing);
  // An event whose delivery matters: `done(true)` once every sink acknowledged it, false
  // when one refused or failed it. On the loop thread.
  void PublishTracked(sinks::Batch batch, std::function<void(bool)> done);
  void End(JourneyId id, PageStatus status, std::string reason);

  boost::asio::io_context& loop_;
  boost::asio::thread_pool& cpu_;
  std::vector<sinks::Sink*> sinks_;
  VersionLedger& ledger_;
  StatusUpdaterOptions options_;
  OnEnd on_end_;
  std::function<void()> on_room_;
  std::function<void()> idle_;
  JourneyId next_id_ = 1;
  std::map<JourneyId, Journey> journeys_;
  std::map<std::string, JourneyId> claims_;  // url -> the journey with a version on its way
  std::deque<std::pair<JourneyId, size_t>> waiting_;  // batches a full sink refused
  // Source events a sink refused or failed, to offer it again (PublishHeld).
  std::deque<std::pair<sinks::Sink*, std::shared_ptr<const sinks::Batch>>> held_events_;
  void OfferHeld(sinks::Sink* sink, std::shared_ptr<const sinks::Batch> batch);
  void Hold(sinks::Sink* sink, std::shared_ptr<const sinks::Batch> batch);
  // Whether a new fetch would take the held bytes to max_bytes (TryStart's byte test).
  bool FullOfBytes() const;
  size_t slots_used_ = 0;
  size_t bytes_held_ = 0;
  // A moving average of the report bodies fetched (with their documents): what a fetch under
  // way is counted as. 0 until the first.
  size_t typical_page_bytes_ = 0;
  bool room_wanted_ = false;  // TryStart said no since the last on-room call
  StatusUpdaterStats stats_;
  // Sweeps waiting for a source's journeys to end: source -> the sweep's today.
  std::map<std::string, std::chrono::system_clock::time_point> sweeps_;
  std::shared_ptr<StatusUpdater*> self_ = std::make_shared<StatusUpdater*>(this);
};

}  // namespace nianbao::ingest
