// The status updater: the one owner of every report page from the moment the crawler plans
// its fetch until the page ends in exactly one final status (base/page.h), as StormCrawler's
// status updater is for its URLs.
//
//   crawler ─Planned()─► journey "planned"
//           ─TryStart()► a slot (at most max_pages journeys hold one: the memory bound)
//           ─Fetched()─► already delivered? ─────────────────────────► unchanged
//                        a version of the URL on its way? ───────────► skipped
//                        parse on the CPU pool (asio::thread_pool) ──┐
//                                         ┌──────── posted back ◄────┘
//                        not a report ──────── MarkDelivered ─────────► skipped
//                        its version written ahead (state) ─► event: version 1 published,
//                          later ones revised; ce_ids from report_id, event, version
//                        batch (record + findings), built once ─► every sink (shared)
//                           a full sink: the batch waits here and is offered again when a
//                           sink reports a batch done (never a sleeping thread)
//                        all sinks OK ──────── MarkDelivered ─────────► delivered
//                        a sink failed ───────────────────────────────► failed
//           ─Ended()───► failed / skipped (the crawler's own ends)
//
// Every end releases the journey's slot (the crawler's on-room callback resumes its
// fetches) and the claim on its URL (one version of a report on its way at a time: a newer
// version handed on beside an unacknowledged one could overtake it on another thread).
//
// Ownership: owned by the daemon, which also owns the loop, the CPU pool and the sinks; all
// must outlive it, and the crawler must be destroyed first. Threading: every member function
// runs on the loop thread; parse results and sink reports are posted back to it and hold
// only a weak reference, so that nothing reaches a destroyed updater.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/thread_pool.hpp>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "base/page.h"
#include "base/status.h"
#include "ingest/messages.h"
#include "parser/parser.h"
#include "sinks/sink.h"

namespace nianbao::ingest {

struct StatusUpdaterOptions {
  // Report pages between the start of their fetch and their final status. Default 64.
  size_t max_pages = 64;
  Topics topics;
  parser::ParseOptions parse;
};

// Counters, read on the loop thread (the daemon's metrics sampler).
struct StatusUpdaterStats {
  int64_t pages = 0;      // pages fetched and handed to the updater
  int64_t published = 0;  // report.published batches built
  int64_t revised = 0;    // report.revised batches built
  int64_t not_a_report = 0;
  int64_t parse_errors = 0;
  int64_t delivery_failures = 0;  // sink reports that were not OK
  int64_t events_dropped = 0;     // fetch-log / source events refused by a full sink
  std::map<PageStatus, int64_t> ended;
  std::map<std::string, int64_t> findings_by_rule;
};

class StatusUpdater final : public PageTracker {
 public:
  // The state's side of a journey (the daemon wires it to the crawler's StateStore).
  struct Ledger {
    // Write-ahead: the version number this content is published as, recorded before it is
    // produced (StateStore::BeginVersion). Version 1 is report.published, any later one
    // report.revised; the number is part of every ce_id of the version.
    std::function<Result<int64_t>(const std::string& url, const std::string& sha256)> begin_version;
    // Records that the content with this hash reached every sink.
    std::function<Status(const std::string& url, const std::string& sha256)> mark_delivered;
  };
  // Observes every final status (logs, metrics); optional.
  using OnEnd = std::function<void(const std::string& source, const std::string& url,
                                   PageStatus status, const std::string& reason)>;

  StatusUpdater(boost::asio::io_context& loop, boost::asio::thread_pool& cpu,
                std::vector<sinks::Sink*> sinks, Ledger ledger, StatusUpdaterOptions options,
                OnEnd on_end = nullptr);
  ~StatusUpdater() override;
  StatusUpdater(const StatusUpdater&) = delete;
  StatusUpdater& operator=(const StatusUpdater&) = delete;

  // PageTracker (base/page.h).
  JourneyId Planned(const std::string& source, const std::string& url) override;
  bool TryStart(JourneyId id) override;
  void Fetched(JourneyId id, FetchedPage page) override;
  void Ended(JourneyId id, PageStatus status, std::string reason) override;
  void SetOnRoom(std::function<void()> on_room) override;

  // A single event (fetch log, source health) to every sink; dropped and counted when a
  // sink is full: these are observability, not data.
  void PublishEvent(sinks::Batch batch);

  // Shutdown. `idle` runs (posted, once) when no journey is open any more.
  void WhenIdle(std::function<void()> idle);
  // The deadline passed: every journey still parsing or delivering ends as failed
  // ("shutdown"; a later pass hands it on again); late results are dropped.
  void Abandon();

  size_t open() const { return journeys_.size(); }
  size_t slots_used() const { return slots_used_; }
  const StatusUpdaterStats& stats() const { return stats_; }

 private:
  enum class Stage { kPlanned, kFetching, kParsing, kDelivering };
  struct Journey {
    std::string source;
    std::string url;
    Stage stage = Stage::kPlanned;
    bool has_slot = false;
    bool claims_url = false;
    std::string sha256;
    std::shared_ptr<const sinks::Batch> batch;
    size_t sinks_left = 0;
    bool sink_failed = false;
    std::string failure;
  };
  struct Parsed {
    Result<parser::ParseOutput> output = Status::Internal("not parsed");
    FetchedPage page;  // the body stays here until the parse ended
  };

  void OnParsed(JourneyId id, Parsed parsed);
  void Offer(JourneyId id, size_t sink);
  void OnSinkDone(JourneyId id, Status status);
  void RetryWaiting();
  void End(JourneyId id, PageStatus status, std::string reason);

  boost::asio::io_context& loop_;
  boost::asio::thread_pool& cpu_;
  std::vector<sinks::Sink*> sinks_;
  Ledger ledger_;
  StatusUpdaterOptions options_;
  OnEnd on_end_;
  std::function<void()> on_room_;
  std::function<void()> idle_;
  JourneyId next_id_ = 1;
  std::map<JourneyId, Journey> journeys_;
  std::map<std::string, JourneyId> claims_;  // url -> the journey with a version on its way
  std::deque<std::pair<JourneyId, size_t>> waiting_;  // batches a full sink refused
  size_t slots_used_ = 0;
  bool room_wanted_ = false;  // TryStart said no since the last on-room call
  StatusUpdaterStats stats_;
  std::shared_ptr<StatusUpdater*> self_ = std::make_shared<StatusUpdater*>(this);
};

}  // namespace nianbao::ingest
