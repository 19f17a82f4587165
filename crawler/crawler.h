// The crawler: passes over the sources' annual-report columns, politely and incrementally.
//
//   pass(source) ─► entry list pages ─► links ─┬─► report pages ─► PageQueue (bounded)
//                        ▲                     └─► next list pages (next-page links,
//                        └───────────────────────    createPageHTML(N…), index_{n}.html)
//
//   every request: host queue ─► robots.txt (cached per host) ─► politeness gate
//                  (per-host concurrency, min delay between starts, global limit)
//                  ─► Fetcher ─► retry 429/5xx/network with backoff + jitter (Retry-After
//                  honoured), give up after max_retries; other 4xx are final
//
// Incremental: every request carries the stored ETag / Last-Modified; a 304, or a 200 whose
// SHA-256 equals the stored one, is "unchanged"; a report whose content changed is
// "revised". A list page answered 304 yields the links stored from its last 200. Failures
// never overwrite a stored hash.
//
// Ownership: the Crawler is owned by the command or daemon that runs the io_context; it
// borrows the Fetcher, the StateStore and the PageQueue, which must outlive it.
// Threading: every member function and callback runs on the io_context's thread, except
// the queue's on-space callback, which only posts to that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "crawler/fetcher.h"
#include "crawler/page_queue.h"
#include "crawler/robots.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"

namespace nianbao::crawler {

// What one pass over one source did.
struct SourcePassStats {
  std::string source;
  std::string health;  // "ok", "unreachable", "blocked", "stale" (spec: source.* events)
  int list_pages = 0;
  int reports_found = 0;
  int reports_new = 0;
  int reports_revised = 0;
  int reports_unchanged = 0;
  int reports_failed = 0;
  int robots_disallowed = 0;
  int attachments = 0;
  int requests = 0;  // HTTP requests sent, retries and robots.txt included
  int retries = 0;
  std::map<std::string, int> failures;  // by reason: "timeout", "http_404", "too_large", ...
  std::chrono::duration<double> elapsed{0};
};

// One fetch attempt, for logs and the fetch-log topic.
struct FetchLogEntry {
  std::string source;
  std::string url;
  std::string kind;  // "list", "report", "robots"
  long status = 0;
  std::string error;  // "" or a FetchErrorName
  int64_t bytes = 0;
  std::string sha256;
  std::chrono::system_clock::time_point started;
  std::chrono::duration<double> elapsed{0};
  int attempt = 0;
};

struct CrawlerOptions {
  // Decodes a page to UTF-8 for link extraction (the app passes the parser's charset
  // decoder); the default treats bytes as UTF-8 and replaces invalid sequences.
  std::function<std::string(std::string_view bytes, std::string_view content_type)> decode;
  std::function<void(const FetchLogEntry&)> on_fetch;  // optional observer
  uint64_t seed = 0;                                   // jitter; 0 = from the clock
  // When set, a report whose stored content was never acknowledged downstream
  // (StateStore::MarkDelivered) is fetched without validators, so that its body is handed
  // on again (at least once, after a crash or a broker outage). `crawl` leaves it off.
  bool track_delivery = false;
  // With track_delivery: asked before a page with undelivered content is handed on; false
  // means the owner already has a version of that URL on its way downstream (handed on by
  // an earlier pass and not yet acknowledged), so the page is not handed on now: once that
  // version is acknowledged, the next pass finds this content undelivered and hands it on.
  // Unset: always hand on.
  std::function<bool(const std::string& url, const std::string& sha256)> claim;
};

class Crawler {
 public:
  using PassDone = std::function<void(std::vector<SourcePassStats>)>;

  Crawler(boost::asio::io_context& io, Fetcher& fetcher, StateStore& state, PageQueue& queue,
          const SourcesConfig& config, CrawlerOptions options = {});
  ~Crawler();
  Crawler(const Crawler&) = delete;
  Crawler& operator=(const Crawler&) = delete;

  // One pass over every source; `done` runs once all of them finished.
  void RunPass(PassDone done);
  // Polls every source on its own interval (season profile, jitter) until Stop();
  // `on_pass` runs after each source's pass.
  void RunForever(std::function<void(const SourcePassStats&)> on_pass);
  // Stops starting requests; requests in flight finish. `done` of RunPass still runs.
  void Stop();

  // When a source is next due after a pass that ended at `now` (exposed for tests).
  static std::chrono::system_clock::time_point NextDue(const SourceSettings& s,
                                                       std::chrono::system_clock::time_point now,
                                                       double random01);

 private:
  enum class Kind { kList, kReport, kRobots };
  struct Request {
    size_t source;
    std::string url;
    Kind kind;
    int depth = 0;
    int attempt = 0;
    int page_number = 0;  // position in pagination, for index_{n}.html probing
    std::chrono::steady_clock::time_point not_before;
    // Redirects are followed here, not inside the fetcher, so that every hop passes the
    // politeness gate and robots.txt of its host. `url` stays the listed URL (the page's
    // identity in the state and downstream); `hop` is the URL fetched now.
    std::string hop;
    int redirects = 0;
    const std::string& target() const { return hop.empty() ? url : hop; }
  };
  struct HostState {
    int in_flight = 0;
    std::chrono::steady_clock::time_point next_start;
    enum class Robots { kUnknown, kFetching, kReady } robots = Robots::kUnknown;
    RobotsRules rules = RobotsRules::AllowAll();
    std::chrono::steady_clock::time_point robots_expiry;
    std::deque<Request> waiting;
  };
  struct SourcePass {
    bool active = false;
    int outstanding = 0;  // requests queued, waiting or in flight
    int budget_used = 0;
    int entries_failed = 0, entries_blocked = 0;
    std::set<std::string> seen;
    SourcePassStats stats;
    std::chrono::steady_clock::time_point started;
    std::function<void(const SourcePassStats&)> done;
  };

  void StartSourcePass(size_t source, std::function<void(const SourcePassStats&)> done);
  void PollSource(size_t source);
  void Enqueue(Request r);
  void Dispatch();
  void ScheduleDispatch(std::chrono::steady_clock::time_point when);
  void Start(HostState& host, const std::string& host_key, Request r);
  void OnFetched(const std::string& host_key, Request r, FetchResult res);
  void OnRobots(const std::string& host_key, const Request& r, const FetchResult& res);
  void OnList(Request& r, const FetchResult& res);
  void OnReport(Request& r, const FetchResult& res);
  void ProcessLinks(const Request& list, const std::vector<Link>& links);
  bool Retry(Request& r, const FetchResult& res);
  void Fail(Request& r, const FetchResult& res, const std::string& reason);
  // Records the outcome of a fetch of r.url; an error keeps the stored hash and validators.
  void SaveState(const Request& r, UrlState s, long status, const std::string& error);
  void Finish(size_t source);
  bool IsReportLink(const Source& s, const Link& l) const;
  bool HostAllowed(const Source& s, const std::string& url) const;
  std::string Reason(const FetchResult& res) const;
  FetchRequest MakeRequest(const Source& s, const std::string& url, const UrlState* prior) const;

  boost::asio::io_context& io_;
  Fetcher& fetcher_;
  StateStore& state_;
  PageQueue& queue_;
  const SourcesConfig& config_;
  CrawlerOptions options_;
  std::mt19937_64 rng_;
  boost::asio::steady_timer dispatch_timer_;
  std::optional<std::chrono::steady_clock::time_point> dispatch_at_;
  std::map<std::string, HostState> hosts_;
  std::vector<SourcePass> passes_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> source_timers_;
  std::function<void(const SourcePassStats&)> on_pass_;  // RunForever's observer
  int in_flight_ = 0;
  int reports_in_flight_ = 0;
  bool stopped_ = false;
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace nianbao::crawler
