// The crawler: passes over the sources' annual-report columns, politely and incrementally.
//
//   pass(source) ─► entry list pages ─► links ─┬─► report pages ─► PageQueue (bounded)
//                        ▲                     ├─► next list pages (next-page links,
//                        │                     │     createPageHTML(N…), index_{n}.html)
//                        └─────────────────────┴─► sub-lists one level deeper (iframe,
//                                                    refresh and script shells; year and unit
//                                                    sub-columns: sublists.h), to sublist_depth
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
// Gateways: a 521 or a JS-challenge page (gateway.h) is the failure blocked_by_gateway, never
// retried in the pass nor handed on; an entry page so answered counts as blocked.
//
// Distrust: a changed report body that ended with its connection (it may have been cut) is
// fetched again after confirm_delay and handed on only if both agree (else "truncated"); a
// report page answered 404/410, with a deletion stub, or with a redirect to its column is
// "gone", counted per URL and handed to the tracker (PageTracker::Gone).
//
// Documents: a list entry whose link names a document (.pdf/.doc/.docx/.wps/.ofd) is a report
// page of its own (max_document_body). A report page's attachments that may hold the report
// (documents, on the source's hosts, whose link text the source's exclude_text does not
// match: no 图解, 解读, 通知; at most kMaxDocuments) are fetched after the page and before it
// is handed on, each through FetchPage() (robots.txt, politeness, retries), with its own row
// in the state (kind "attachment", ETag and Last-Modified):
//
//   page 200/304 ─► documents? no ──────────────────────────────► tracker (as before)
//                    yes: fetch each (conditional when the stored report was delivered)
//                    ─► the report's hash: CombinedSha256(page, documents)
//                    ─► the delivered one? ── yes ──────────────► tracker: unchanged
//                    ─► a part answered 304 but something changed: that part again,
//                       without validators (a revised attachment under an unchanged page)
//                    ─► tracker: the page with its documents' bodies, one journey
//
// A document that fails is left out (the page is read without it; a page that is only a
// note is then no report, a soft error of a delivered one, read again the next pass).
//
// Ownership: the Crawler is owned by the command or daemon that runs the io_context; it
// borrows the Fetcher, the StateStore and the PageQueue, which must outlive it.
// Threading: every member function and callback runs on the io_context's thread, except
// the queue's on-space callback, which only posts to that thread.
#pragma once

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/thread_pool.hpp>
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

#include "base/page.h"
#include "crawler/fetcher.h"
#include "crawler/gateway.h"
#include "crawler/list_adapter.h"
#include "crawler/robots.h"
#include "crawler/sources.h"
#include "crawler/state_store.h"

namespace spdlog {
class logger;
}

namespace nianbao::crawler {

using nianbao::FetchedPage;
using nianbao::FetchLogEntry;
using nianbao::JourneyId;
using nianbao::PageStatus;
using nianbao::PageTracker;
using nianbao::SourcePassStats;

struct CrawlerOptions {
  // Decodes a page to UTF-8 for link extraction (the app passes the parser's charset
  // decoder); the default treats bytes as UTF-8 and replaces invalid sequences. Runs on the
  // CPU pool: it must be a pure function.
  using Decode = std::function<std::string(std::string_view bytes, std::string_view content_type)>;
  Decode decode;
  std::function<void(const FetchLogEntry&)> on_fetch;  // optional observer, loop thread
  uint64_t seed = 0;                                   // jitter; 0 = from the clock
  // When set, a report whose stored content was never acknowledged downstream
  // (StateStore::MarkDelivered) is fetched without validators, so that its body is handed
  // on again (at least once, after a crash or a broker outage). `crawl` leaves it off.
  bool track_delivery = false;
  // Where the CPU work of a fetched page runs (SHA-256, charset decoding, the Gumbo parse of
  // a list page, finding a report page's attachments): never on the event loop. nullptr runs
  // it inline (small tests only).
  boost::asio::thread_pool* cpu = nullptr;
  // With schedule_from_state, RunForever starts each source at the next due time stored by
  // its last pass (a restart or a reload does not poll every portal at once); RunPass and
  // sources never polled start at once.
  bool schedule_from_state = true;
  // `nianbao sources test`: every link of every list page with its verdict ("report",
  // "pagination", "excluded by exclude_text '…'", "ignored: …"), loop thread; and
  // lists_only, which reads the lists without fetching a report page.
  std::function<void(const std::string& source, const std::string& list_url, const Link& link,
                     const std::string& verdict)>
      on_link;
  bool lists_only = false;
};

class Crawler {
 public:
  using PassDone = std::function<void(std::vector<SourcePassStats>)>;

  // Borrows every argument; all must outlive the Crawler. Every report page goes to
  // `tracker`, which owns it from the moment its fetch is planned (base/page.h).
  Crawler(boost::asio::io_context& io, Fetcher& fetcher, StateStore& state, PageTracker& tracker,
          const SourcesConfig& config, CrawlerOptions options = {});
  // Ends every journey still open here (skipped, "stopped"): the tracker is never left with
  // a page nobody will hand on.
  ~Crawler();
  Crawler(const Crawler&) = delete;
  Crawler& operator=(const Crawler&) = delete;

  // One pass over every source; `done` runs once all of them finished.
  void RunPass(PassDone done);
  // Polls every source on its own interval (season profile, jitter) until Stop();
  // `on_pass` runs after each source's pass.
  void RunForever(std::function<void(const SourcePassStats&)> on_pass);
  // Stops starting requests; requests in flight finish, and pages already fetched are
  // handed on. `stopped` runs on the loop once nothing is in flight (the owner may then
  // destroy the crawler); the owner's deadline cancels the fetcher's transfers to hurry it.
  // `done` of RunPass still runs.
  void Stop(std::function<void()> stopped = nullptr);
  // One page of `source`'s hosts fetched outside the list-and-report walk (column discovery,
  // crawler/discovery.h), through the same gate as every request: robots.txt, per-host
  // concurrency, min delay, retries of 429/5xx/network errors; redirects are followed within
  // the source's hosts (a redirect elsewhere is handed over as it is). Nothing is stored.
  // `done` runs once on the loop: with the final answer, or with FetchError::kInternal when
  // robots.txt forbids the page ("robots_disallowed") or the crawler stops ("cancelled").
  // `headers` are sent with it ("Referer: …"), as a list call's are.
  using PageDone = std::function<void(FetchResult)>;
  void FetchPage(size_t source, std::string url, PageDone done,
                 std::vector<std::string> headers = {});
  // Transfers and CPU work in flight.
  int busy() const { return in_flight_ + digesting_; }
  // Cluster mode (cluster/cluster_node.h): RunForever polls only the sources whose entry is
  // true (all of them until this is first called; a shorter vector leaves the rest out). A
  // source newly owned is polled at its stored due time (at once when none is stored or it
  // is past); one no longer owned starts no new pass, and a pass of it under way finishes.
  // May be called before or after RunForever; loop thread.
  void SetOwned(std::vector<bool> owned);
  // Whether a pass of source i is under way.
  bool PassActive(size_t i) const { return i < passes_.size() && passes_[i].active; }

  // A report's hash with its documents: the page's own when there are none, else the SHA-256
  // of the page's and the documents' hashes, one a line. An empty hash (a document never
  // read, or not read this time) is left out.
  static std::string CombinedSha256(const std::string& page_sha256,
                                    const std::vector<std::string>& document_sha256s);
  // Documents fetched per report page, at most.
  static constexpr size_t kMaxDocuments = 4;

  // When a source is next due after a pass that ended at `now` (exposed for tests).
  static std::chrono::system_clock::time_point NextDue(const SourceSettings& s,
                                                       std::chrono::system_clock::time_point now,
                                                       double random01);

 private:
  enum class Kind { kList, kReport, kRobots, kPage };  // kPage: FetchPage()
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
    JourneyId journey = 0;  // report pages: the tracker's journey
    bool started = false;   // report pages: the tracker gave it a slot (kept across retries)
    // Report pages: the hash of a changed body that ended with its connection, while a
    // second fetch is asked whether it agrees.
    std::string confirm_sha256;
    // List pages: the index in Source::entry of the entry they paginate from.
    size_t entry = 0;
    // Lists of a preset (list_adapter.h): a request that is not a plain GET of `url` (then
    // `url` is its identity in the state: the call's URL, '#', its body), and where the list
    // stands. Shared: a request is copied on every retry and hop.
    std::shared_ptr<const ListCall> call;
    std::shared_ptr<const ListCursor> cursor;
    std::shared_ptr<PageDone> page_done;  // kPage: FetchPage()'s callback
    const std::string& target() const {
      if (!hop.empty()) return hop;
      return call ? call->url : url;
    }
  };
  // What the CPU pool computed from a 200's body.
  struct Digest {
    std::string sha256;
    std::vector<Link> links;          // list pages
    std::optional<TrsPaging> paging;  // list pages
    std::vector<Link> attachments;    // report pages
    std::optional<std::string> stub;  // report pages: a deletion stub's refresh target
    ListReading reading;              // list pages of a preset: what the answer said
    std::vector<std::string> shells;  // list pages: iframe, refresh, script targets (sublists.h)
    std::string_view gateway;         // a gateway's answer, not the page (gateway.h); "" if not
  };
  struct HostState {
    int in_flight = 0;
    std::chrono::steady_clock::time_point next_start;
    enum class Robots { kUnknown, kFetching, kReady } robots = Robots::kUnknown;
    RobotsRules rules = RobotsRules::AllowAll();
    std::chrono::steady_clock::time_point robots_expiry;
    // Sources whose robots.txt of this host the address policy refused, until when: their
    // requests skip robots.txt (each is refused itself), and no verdict is cached for the
    // host, so that a source allowed to reach it still reads its robots.txt.
    std::map<size_t, std::chrono::steady_clock::time_point> robots_refused;
    // Changed only through Push and PopFront, which keep `discovering`.
    std::deque<Request> waiting;
    // Robots.txt, list and discovery pages among `waiting`: while there are any, not all of
    // the host's work for the pass is known yet.
    int discovering = 0;
    // Lists go before reports (after the lists already waiting), so that a host's work for
    // the pass is known early: its rank in the dispatch (Crawler::Rank) counts it.
    void Push(Request r, bool front) {
      const bool discovers = r.kind != Kind::kReport;
      if (front) {
        waiting.push_front(std::move(r));
      } else if (discovers) {
        waiting.insert(waiting.begin() + discovering, std::move(r));
      } else {
        waiting.push_back(std::move(r));
      }
      discovering += discovers;
    }
    Request PopFront() {
      Request r = std::move(waiting.front());
      waiting.pop_front();
      discovering -= r.kind != Kind::kReport;
      return r;
    }
    // While set, the host sleeps in sleeping_ until then (its min_delay or a retry's wait).
    std::optional<std::chrono::steady_clock::time_point> parked;
    // While set, the host is in awake_ under this rank.
    std::optional<std::pair<int64_t, uint64_t>> awake;
  };
  struct SourcePass {
    bool active = false;
    int outstanding = 0;  // requests queued, waiting, in flight or being digested
    int budget_used = 0;
    int entries_failed = 0, entries_blocked = 0;
    std::set<std::string> seen;
    SourcePassStats stats;
    std::chrono::steady_clock::time_point started;
    std::function<void(const SourcePassStats&)> done;
  };

  void StartSourcePass(size_t source, std::function<void(const SourcePassStats&)> done);
  // Queues the entry list pages of the source's pass.
  void EnqueueEntries(size_t source);
  // A `portal =` source's pass begins with the discovery of its column (portal_pass.cc):
  // the column becomes the entry, a move is recorded in the pass's stats, then the entries.
  void StartPortalPass(size_t source);
  void PollSource(size_t source);
  void PollAt(size_t source, std::chrono::system_clock::time_point due);
  bool Owned(size_t source) const {
    return !owned_ || (source < owned_->size() && (*owned_)[source]);
  }
  // When source i is first due: its stored due time, not before now.
  std::chrono::system_clock::time_point FirstDue(size_t source) const;
  // `first`: ahead of the host's waiting requests (a report's documents).
  void Enqueue(Request r, bool first = false);
  void FetchPage(size_t source, std::string url, PageDone done, std::vector<std::string> headers,
                 bool first);
  void Dispatch();
  void DispatchAwake();  // one visit of the awake hosts (Dispatch without re-entry)
  void ScheduleDispatch(std::chrono::steady_clock::time_point when);
  void Start(HostState& host, const std::string& host_key, Request r);
  void OnFetched(const std::string& host_key, Request r, FetchResult res);
  // What a list's links resolve against and how it is read (a preset's answers are read by
  // the preset only).
  struct ListReader {
    const ListPreset* preset = nullptr;
    ListTemplate list;  // the source's (a copy: the reader goes to the CPU pool)
    std::string base;
    bool html = true;
  };
  static Digest MakeDigest(bool list, const FetchResult& res, const CrawlerOptions::Decode& decode,
                           const std::vector<std::string>& attachment_extensions,
                           const ListReader& reader);
  ListReader ReaderFor(const Request& r, const FetchResult& res) const;
  // Preset lists: queues the request after the answer `r` gave (`reading`), if any.
  void NextListCall(const Request& r, const FetchResult& res, const ListReading& reading);
  void OnDigested(Request r, FetchResult res, Digest d);
  void Route(Request& r, FetchResult& res, Digest* d);
  void LogFetch(const Request& r, const FetchResult& res, const std::string& sha256);
  void OnRobots(const std::string& host_key, const Request& r, const FetchResult& res);
  void OnList(Request& r, const FetchResult& res, Digest* d);
  void OnReport(Request& r, FetchResult& res, Digest* d);
  void ProcessLinks(const Request& list, const std::vector<Link>& links);
  // A sub-list or a shell's target (sublists.h): a list page one level deeper, if the depth
  // limits, the budget and the pass's seen URLs allow.
  void QueueSublist(const Request& list, const std::string& url);
  // A gateway answered instead of the page (gateway.h): a failure, never retried in the pass;
  // an entry page so answered counts as blocked.
  void BlockedByGateway(Request& r, const FetchResult& res);
  bool Retry(Request& r, const FetchResult& res);
  void Fail(Request& r, const FetchResult& res, const std::string& reason);
  // A report page is gone (`seen`: http_404, stub, ...): counted in the state and handed to
  // the tracker, which withdraws the report once enough fetches in a row found it gone.
  void Gone(Request& r, const FetchResult& res, const std::string& seen, std::string location);
  // Records the outcome of a fetch of r.url, with a list's links or a report's attachments
  // when given, in one transaction; an error keeps the stored hash and validators.
  void SaveState(const Request& r, UrlState s, long status, const std::string& error,
                 const std::vector<Link>* links = nullptr,
                 const std::vector<Link>* attachments = nullptr);
  void EndJourney(Request& r, PageStatus status, std::string reason);
  // A FetchPage() request ends without an answer (`why`: "cancelled", "robots_disallowed").
  void EndPage(Request& r, const char* why);
  void RequestDone(size_t source);
  void Finish(size_t source);
  void MaybeStopped();
  // A report page waiting for its documents (see the diagram at the top).
  struct Bundle;
  // The attachments of a page that are fetched as its documents.
  std::vector<Link> DocumentsOf(const Source& s, const std::vector<Link>& attachments) const;
  // The report's hash as the state holds it (the page's row, its documents' rows).
  std::string StoredReportSha(const UrlState& page) const;
  void FetchDocuments(const std::shared_ptr<Bundle>& b, bool conditional);
  // Whether the report with this hash needs no reading: it is the stored one's and, with
  // track_delivery, the delivered one's.
  bool Settled(const Bundle& b, const std::string& report_sha) const;
  void OnDocument(const std::shared_ptr<Bundle>& b, size_t part, FetchResult res);
  void DocumentDone(const std::shared_ptr<Bundle>& b);
  void HandOn(const std::shared_ptr<Bundle>& b);
  bool IsReportLink(const Source& s, const Link& l) const;
  // What ProcessLinks makes of a link, in words (CrawlerOptions::on_link).
  std::string Verdict(const Source& s, const Link& l) const;
  bool HostAllowed(const Source& s, const std::string& url) const;
  std::string Reason(const FetchResult& res) const;
  FetchRequest MakeRequest(const Source& s, const std::string& url, const UrlState* prior) const;
  void LogRefusal(const Request& r, const FetchResult& res);

  boost::asio::io_context& io_;
  Fetcher& fetcher_;
  StateStore& state_;
  PageTracker& tracker_;
  // A copy: the entry (and preset) of a `portal =` source is set by its discovery each pass.
  SourcesConfig config_;
  CrawlerOptions options_;
  std::mt19937_64 rng_;
  boost::asio::steady_timer dispatch_timer_;
  std::optional<std::chrono::steady_clock::time_point> dispatch_at_;
  std::map<std::string, HostState> hosts_;
  // Dispatch's worklists, so that a call costs the hosts that may start a request now, not
  // every host of the pass (a national pass has tens of thousands, mostly waiting out their
  // min_delay): awake_ holds the hosts with waiting requests that are not asleep, sleeping_
  // the others by the time they may start again.
  // awake_ is ordered by rank: first the hosts with robots.txt or an entry page to read (until
  // then nothing is known of their work), then the host that still needs the longest time
  // at its politeness limit (requests waiting x the gap between two of its starts, a list
  // page waiting counted as the page of reports it may lead to), then the one awake longest.
  // A pass cannot end before its busiest host has been asked for everything at one request
  // per min_delay, so when the transfers are all taken, a host with hundreds of reports to
  // go must not wait for a transfer behind hosts with one or two (most hosts, on a national
  // pass) or without a min_delay; and which host is the busiest is known only once the
  // hosts' lists are read. A host is ranked when it wakes, when a request is queued for it
  // outside a dispatch, and when a dispatch leaves it awake with fewer requests waiting.
  using AwakeRank = std::pair<int64_t, uint64_t>;  // (see Rank(), order of waking)
  void Wake(const std::string& key, HostState& host);
  // The first half of `host`'s AwakeRank: minus the time it still needs at its politeness
  // limit, in microseconds.
  int64_t Rank(const HostState& host) const;
  // The gap between two starts to `host` that `r` asks for: its source's min_delay, or the
  // host's robots.txt Crawl-delay (up to max_crawl_delay) when longer.
  std::chrono::steady_clock::duration Gap(const HostState& host, const Request& r) const;
  std::map<AwakeRank, std::string> awake_;
  uint64_t awake_order_ = 0;
  bool dispatching_ = false, dispatch_again_ = false;
  std::multimap<std::chrono::steady_clock::time_point, std::string> sleeping_;
  std::vector<SourcePass> passes_;
  std::vector<std::unique_ptr<boost::asio::steady_timer>> source_timers_;
  std::function<void(const SourcePassStats&)> on_pass_;  // RunForever's observer
  std::optional<std::vector<bool>> owned_;               // SetOwned; nullopt: every source
  std::set<JourneyId> journeys_;                         // planned here and not yet ended
  std::function<void()> stopped_cb_;
  int in_flight_ = 0;
  int digesting_ = 0;  // 200 bodies on the CPU pool
  bool stopped_ = false;
  // Handlers that outlive the crawler (timers, fetch and CPU-pool completions) hold a weak
  // reference and return when it is gone; only the loop thread ever dereferences it.
  std::shared_ptr<Crawler*> self_ = std::make_shared<Crawler*>(this);
  std::shared_ptr<spdlog::logger> log_;  // "crawler": per-URL events at debug
  // URLs whose refusal by the address policy was logged (LogRefusal), at most this many.
  static constexpr size_t kMaxRefusalsLogged = 10000;
  std::set<std::string> refusals_logged_;
};

}  // namespace nianbao::crawler
