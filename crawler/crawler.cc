#include "crawler/crawler.h"

#include <curl/curl.h>
#include <openssl/sha.h>
#include <re2/re2.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cmath>
#include <ctime>
#include <memory>

#include "base/logging.h"
#include "base/retry_after.h"
#include "crawler/sublists.h"

namespace nianbao::crawler {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

namespace {

std::string Sha256Hex(std::string_view bytes) {
  unsigned char d[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), d);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : d) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 15]);
  }
  return out;
}

// Replaces invalid UTF-8 with '?' so that Gumbo and RE2 see text (the default decoder).
std::string AssumeUtf8(std::string_view bytes, std::string_view) {
  std::string out;
  out.reserve(bytes.size());
  size_t i = 0;
  while (i < bytes.size()) {
    auto b = static_cast<unsigned char>(bytes[i]);
    size_t len = b < 0x80             ? 1
                 : (b & 0xE0) == 0xC0 ? 2
                 : (b & 0xF0) == 0xE0 ? 3
                 : (b & 0xF8) == 0xF0 ? 4
                                      : 0;
    bool ok = len > 0 && i + len <= bytes.size();
    for (size_t k = 1; ok && k < len; ++k) {
      ok = (static_cast<unsigned char>(bytes[i + k]) & 0xC0) == 0x80;
    }
    if (!ok) {
      out.push_back('?');
      ++i;
      continue;
    }
    out.append(bytes.substr(i, len));
    i += len;
  }
  return out;
}

bool Search(const std::string& pattern, const std::string& text) {
  if (pattern.empty()) return true;
  // Patterns were validated at load; RE2 objects are cheap enough to cache per pattern.
  static thread_local std::map<std::string, std::unique_ptr<RE2>> cache;
  auto& re = cache[pattern];
  if (!re) re = std::make_unique<RE2>(pattern);
  return re->ok() && RE2::PartialMatch(text, *re);
}

// Whether the URL's path ends in one of the attachment extensions (lower-case, with the dot).
bool IsAttachment(const std::string& url, const std::vector<std::string>& extensions) {
  std::string path = PathAndQuery(url);
  path = path.substr(0, path.find('?'));
  std::transform(path.begin(), path.end(), path.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  for (const auto& ext : extensions) {
    if (path.size() > ext.size() && path.compare(path.size() - ext.size(), ext.size(), ext) == 0) {
      return true;
    }
  }
  return false;
}

// Whether the bytes are a document's, by their magic numbers (PDF, a ZIP: DOCX or OFD, an
// OLE2 container: DOC or WPS): no HTML to look for links or a stub in.
bool LooksLikeDocument(std::string_view body) {
  static constexpr std::string_view kMagic[] = {"%PDF-", std::string_view("PK\x03\x04", 4),
                                                "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1"};
  for (auto m : kMagic) {
    if (body.substr(0, m.size()) == m) return true;
  }
  return false;
}

// Whether the page names a file with an attachment's extension anywhere (case-insensitive):
// one pass over the bytes, so that a report page without attachments (most of them) is not
// parsed a second time with Gumbo on the event loop just to find none.
bool MayHaveAttachments(std::string_view html, const std::vector<std::string>& extensions) {
  for (size_t dot = html.find('.'); dot != std::string_view::npos; dot = html.find('.', dot + 1)) {
    for (const auto& ext : extensions) {
      if (html.size() - dot < ext.size()) continue;
      bool same = true;
      for (size_t k = 1; k < ext.size() && same; ++k) {
        same = std::tolower(static_cast<unsigned char>(html[dot + k])) == ext[k];
      }
      if (same) return true;
    }
  }
  return false;
}

// Failure reasons of a pass (SourcePassStats::failures) that Finish() reads.
constexpr const char* kRobotsUnreachable = "robots_unreachable";
constexpr const char* kRedirectNotAllowed = "redirect_not_allowed";

// Marks the links that pagination produced, so that a list answered 304 is re-read the same.
constexpr const char* kPageLinkText = "\x01page";
// Marks the targets of a shell list page (an iframe, a refresh, a script redirect), likewise.
constexpr const char* kShellLinkText = "\x01shell";

int64_t UnixNow() { return static_cast<int64_t>(std::time(nullptr)); }

// When a URL is due again: with its source's next pass (without jitter: a record, not a plan).
int64_t DueAfterPass(const SourceSettings& settings) {
  auto due = Crawler::NextDue(settings, std::chrono::system_clock::now(), 0.5);
  return static_cast<int64_t>(std::chrono::system_clock::to_time_t(due));
}

template <typename D>
Clock::duration ToClock(D d) {
  return std::chrono::duration_cast<Clock::duration>(d);
}

}  // namespace

bool IsDocumentUrl(std::string_view url) {
  static const std::vector<std::string> kDocuments{".pdf", ".doc", ".docx", ".wps", ".ofd"};
  return IsAttachment(std::string(url), kDocuments);
}

Crawler::Crawler(asio::io_context& io, Fetcher& fetcher, StateStore& state, PageTracker& tracker,
                 const SourcesConfig& config, CrawlerOptions options)
    : io_(io),
      fetcher_(fetcher),
      state_(state),
      tracker_(tracker),
      config_(config),
      options_(std::move(options)),
      rng_(options_.seed != 0 ? options_.seed
                              : static_cast<uint64_t>(Clock::now().time_since_epoch().count())),
      dispatch_timer_(io),
      passes_(config.sources.size()) {
  if (!options_.decode) options_.decode = AssumeUtf8;
  log_ = Logger("crawler");
  // A freed slot downstream may unblock report fetches. The tracker calls this on the loop
  // thread, and the destructor clears it, so it never runs on a destroyed crawler.
  tracker_.SetOnRoom([this] { Dispatch(); });
}

Crawler::~Crawler() {
  tracker_.SetOnRoom(nullptr);
  self_.reset();
  // Pages planned or being fetched here will not be handed on by this crawler: end them,
  // so that the tracker releases their slots and their URLs.
  for (JourneyId id : journeys_) tracker_.Ended(id, PageStatus::kSkipped, "stopped");
}

std::chrono::system_clock::time_point Crawler::NextDue(const SourceSettings& s,
                                                       std::chrono::system_clock::time_point now,
                                                       double random01) {
  std::time_t t = std::chrono::system_clock::to_time_t(now);
  std::tm local{};
  localtime_r(&t, &local);
  int month = local.tm_mon + 1;
  bool in_season =
      std::find(s.season_months.begin(), s.season_months.end(), month) != s.season_months.end();
  double base = (in_season ? s.season_interval : s.interval).count();
  double factor = 1.0 + s.jitter * (2.0 * random01 - 1.0);
  return now + std::chrono::duration_cast<std::chrono::system_clock::duration>(
                   std::chrono::duration<double>(base * factor));
}

void Crawler::RunPass(PassDone done) {
  struct Collector {
    std::vector<SourcePassStats> stats;
    size_t remaining;
    PassDone done;
  };
  auto c = std::make_shared<Collector>();
  c->remaining = config_.sources.size();
  c->done = std::move(done);
  if (c->remaining == 0) {
    asio::post(io_, [c] { c->done({}); });
    return;
  }
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    StartSourcePass(i, [c](const SourcePassStats& s) {
      c->stats.push_back(s);
      if (--c->remaining == 0) c->done(std::move(c->stats));
    });
  }
}

void Crawler::RunForever(std::function<void(const SourcePassStats&)> on_pass) {
  on_pass_ = std::move(on_pass);
  source_timers_.clear();
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    source_timers_.push_back(std::make_unique<asio::steady_timer>(io_));
  }
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    if (Owned(i)) PollAt(i, FirstDue(i));
  }
}

std::chrono::system_clock::time_point Crawler::FirstDue(size_t i) const {
  // The last pass stored when this source is due again: a restart or a reload within the
  // interval waits for it instead of polling every portal at once. A source never polled
  // (or whose stored time cannot be read) is due now.
  auto now = std::chrono::system_clock::now();
  if (!options_.schedule_from_state) return now;
  auto stored = state_.GetSourceDue(config_.sources[i].name);
  if (stored.ok() && stored.value()) {
    return std::max(
        now, std::chrono::system_clock::from_time_t(static_cast<std::time_t>(*stored.value())));
  }
  return now;
}

void Crawler::SetOwned(std::vector<bool> owned) {
  std::vector<bool> before(config_.sources.size());
  for (size_t i = 0; i < before.size(); ++i) before[i] = Owned(i);
  owned_ = std::move(owned);
  if (source_timers_.empty()) return;  // RunForever not started: it reads owned_
  for (size_t i = 0; i < before.size(); ++i) {
    if (Owned(i) && !before[i]) {
      PollAt(i, FirstDue(i));
    } else if (!Owned(i) && before[i]) {
      source_timers_[i]->cancel();
    }
  }
}

void Crawler::PollAt(size_t i, std::chrono::system_clock::time_point due) {
  if (stopped_ || !Owned(i)) return;
  auto& timer = *source_timers_[i];
  timer.expires_after(std::max(due - std::chrono::system_clock::now(),
                               std::chrono::system_clock::duration::zero()));
  std::weak_ptr<Crawler*> self = self_;
  timer.async_wait([self, i](const boost::system::error_code& ec) {
    if (auto c = self.lock(); c && !ec) (*c)->PollSource(i);
  });
}

// A pass over source i, then a timer to its next due time, then again, until Stop().
void Crawler::PollSource(size_t i) {
  if (stopped_ || !Owned(i)) return;
  std::weak_ptr<Crawler*> self = self_;
  StartSourcePass(i, [self, i](const SourcePassStats& s) {
    auto c = self.lock();
    if (!c) return;
    Crawler& crawler = **c;
    std::uniform_real_distribution<double> u(0, 1);
    auto due = NextDue(crawler.config_.sources[i].settings, std::chrono::system_clock::now(),
                       u(crawler.rng_));
    SourcePassStats stats = s;
    if (Status st = crawler.state_.PutSourceDue(
            s.source, static_cast<int64_t>(std::chrono::system_clock::to_time_t(due)));
        !st.ok()) {
      // The schedule still holds in this process; only a restart would poll it early.
      ++stats.failures["state_write"];
    }
    if (crawler.on_pass_) crawler.on_pass_(stats);
    crawler.PollAt(i, due);
  });
}

void Crawler::Stop(std::function<void()> stopped) {
  stopped_ = true;
  stopped_cb_ = std::move(stopped);
  for (auto& t : source_timers_) t->cancel();
  // Requests not yet started are dropped; their passes end as the in-flight ones return.
  for (auto& [key, host] : hosts_) {
    for (auto& r : host.waiting) {
      if (r.kind == Kind::kReport) EndJourney(r, PageStatus::kSkipped, "stopped");
      EndPage(r, "cancelled");
      --passes_[r.source].outstanding;
    }
    host.waiting.clear();
    host.discovering = 0;
  }
  for (size_t i = 0; i < passes_.size(); ++i) {
    if (passes_[i].active && passes_[i].outstanding == 0) Finish(i);
  }
  MaybeStopped();
}

void Crawler::MaybeStopped() {
  if (!stopped_ || !stopped_cb_ || busy() != 0) return;
  asio::post(io_, std::move(stopped_cb_));
  stopped_cb_ = nullptr;
}

void Crawler::EndJourney(Request& r, PageStatus status, std::string reason) {
  if (r.journey == 0) return;
  journeys_.erase(r.journey);
  tracker_.Ended(r.journey, status, std::move(reason));
  r.journey = 0;
}

void Crawler::EndPage(Request& r, const char* why) {
  if (r.kind != Kind::kPage || !r.page_done) return;
  FetchResult res;
  res.url = r.url;
  res.error = FetchError::kInternal;
  res.error_message = why;
  asio::post(io_, [done = std::move(r.page_done), res = std::move(res)]() mutable {
    (*done)(std::move(res));
  });
}

void Crawler::FetchPage(size_t source, std::string url, PageDone done,
                        std::vector<std::string> headers) {
  FetchPage(source, std::move(url), std::move(done), std::move(headers), false);
}

void Crawler::FetchPage(size_t source, std::string url, PageDone done,
                        std::vector<std::string> headers, bool first) {
  Request r{source, std::move(url), Kind::kPage, 0, 0, 0, Clock::now()};
  r.page_done = std::make_shared<PageDone>(std::move(done));
  if (!headers.empty()) {
    r.call = std::make_shared<const ListCall>(ListCall{r.url, "GET", "", std::move(headers)});
  }
  Enqueue(std::move(r), first);
}

void Crawler::StartSourcePass(size_t source, std::function<void(const SourcePassStats&)> done) {
  SourcePass& p = passes_[source];
  if (p.active) return;  // still running from the previous schedule
  p = SourcePass{};
  p.active = true;
  p.started = Clock::now();
  p.stats.source = config_.sources[source].name;
  p.done = std::move(done);
  if (!config_.sources[source].portal.empty()) {
    StartPortalPass(source);
    return;
  }
  EnqueueEntries(source);
  if (p.outstanding == 0) Finish(source);
}

void Crawler::EnqueueEntries(size_t source) {
  SourcePass& p = passes_[source];
  const std::vector<std::string>& entries = config_.sources[source].entry;
  for (size_t i = 0; i < entries.size(); ++i) {
    const std::string& url = entries[i];
    Request r{source, url, Kind::kList, 0, 0, 0, Clock::now()};
    r.entry = i;
    p.seen.insert(url);
    ++p.budget_used;
    Enqueue(std::move(r));
  }
}

void Crawler::Enqueue(Request r, bool first) {
  if (stopped_) {
    if (r.kind == Kind::kReport) EndJourney(r, PageStatus::kSkipped, "stopped");
    EndPage(r, "cancelled");
    return;
  }
  if (r.kind == Kind::kReport && r.journey == 0) {
    r.journey = tracker_.Planned(config_.sources[r.source].name, r.url);
    journeys_.insert(r.journey);
  }
  ++passes_[r.source].outstanding;
  std::string key = HostKey(r.target());
  HostState& host = hosts_[key];
  host.Push(std::move(r), first);
  // Ranked again by its longer queue; not during a dispatch, which may be visiting it.
  if (host.awake && !dispatching_) {
    awake_.erase(*host.awake);
    host.awake.reset();
  }
  Wake(key, host);
  Dispatch();
}

void Crawler::Wake(const std::string& key, HostState& host) {
  if (host.awake) return;
  host.awake = AwakeRank{Rank(host), awake_order_++};
  awake_.emplace(*host.awake, key);
}

int64_t Crawler::Rank(const HostState& host) const {
  // What a list page waiting is counted as: the requests it may lead to, about a page of
  // links (columns list 10 to 20 reports a page).
  constexpr int64_t kListWeight = 20;
  // Above any time a host can need: robots.txt and the entry pages first. Until they are
  // read nothing is known of the host's work, and it may be the pass's busiest host.
  constexpr int64_t kUnknown = int64_t{1} << 60;
  if (host.waiting.empty()) return 0;
  const Request& front = host.waiting.front();
  const auto gap = Gap(host, front);
  const int64_t requests =
      static_cast<int64_t>(host.waiting.size()) + (kListWeight - 1) * host.discovering;
  const int64_t needed = std::min(
      std::chrono::duration_cast<std::chrono::microseconds>(gap).count() * requests, kUnknown - 1);
  const bool unknown = front.kind == Kind::kRobots || front.kind == Kind::kPage ||
                       (front.kind == Kind::kList && front.depth == 0 && front.page_number == 0);
  return -(unknown ? kUnknown : needed);
}

Clock::duration Crawler::Gap(const HostState& host, const Request& r) const {
  const SourceSettings& s = config_.sources[r.source].settings;
  auto delay = ToClock(s.min_delay);
  if (auto cd = host.rules.crawl_delay()) {
    // Honoured, but a hostile "Crawl-delay: 86400" must not stall a pass for a day.
    delay = std::max(
        delay, ToClock(std::chrono::duration<double>(std::min(*cd, s.max_crawl_delay.count()))));
  }
  return delay;
}

void Crawler::ScheduleDispatch(Clock::time_point when) {
  if (dispatch_at_ && *dispatch_at_ <= when && *dispatch_at_ > Clock::now()) return;
  dispatch_at_ = when;
  dispatch_timer_.expires_at(when);
  std::weak_ptr<Crawler*> self = self_;
  dispatch_timer_.async_wait([self](const boost::system::error_code& ec) {
    auto c = self.lock();
    if (ec || !c) return;
    (*c)->dispatch_at_.reset();
    (*c)->Dispatch();
  });
}

void Crawler::Dispatch() {
  if (stopped_) return;
  // A dispatch caused by a dispatch (a request that ends as it starts) runs after it: one pass
  // over awake_ at a time, so that none erases the host another is visiting.
  if (dispatching_) {
    dispatch_again_ = true;
    return;
  }
  dispatching_ = true;
  do {
    dispatch_again_ = false;
    DispatchAwake();
  } while (dispatch_again_ && !stopped_);
  dispatching_ = false;
}

void Crawler::DispatchAwake() {
  auto now = Clock::now();
  while (!sleeping_.empty() && sleeping_.begin()->first <= now) {
    auto node = sleeping_.extract(sleeping_.begin());
    auto h = hosts_.find(node.mapped());
    if (h == hosts_.end() || h->second.parked != node.key()) continue;  // woken since
    h->second.parked.reset();
    Wake(h->first, h->second);
  }
  auto park = [this](const std::string& key, HostState& host, Clock::time_point t) {
    if (host.parked && *host.parked <= t) return;
    host.parked = t;
    sleeping_.emplace(t, key);
  };
  for (auto it = awake_.begin();
       it != awake_.end() && in_flight_ < config_.global.max_concurrency;) {
    const std::string& key = it->second;
    HostState& host = hosts_[key];
    bool asleep = false;
    while (!host.waiting.empty() && in_flight_ < config_.global.max_concurrency) {
      Request& front = host.waiting.front();
      const SourceSettings& s = config_.sources[front.source].settings;
      auto refused = host.robots_refused.find(front.source);
      const bool robots_refused = refused != host.robots_refused.end() && now < refused->second;
      // robots.txt first, once per host and cache period.
      if (s.obey_robots && front.kind != Kind::kRobots && !robots_refused) {
        if (host.robots == HostState::Robots::kReady && now >= host.robots_expiry) {
          host.robots = HostState::Robots::kUnknown;
        }
        if (host.robots == HostState::Robots::kFetching) break;
        if (host.robots == HostState::Robots::kUnknown) {
          std::string robots_url = ResolveUrl(front.target(), "/robots.txt");
          host.robots = HostState::Robots::kFetching;
          ++passes_[front.source].outstanding;
          host.Push(Request{front.source, robots_url, Kind::kRobots, 0, 0, 0, now}, true);
          continue;
        }
      }
      if (host.in_flight >= s.per_host_concurrency) break;
      if (now < host.next_start) {
        park(key, host, host.next_start);
        asleep = true;
        break;
      }
      if (now < front.not_before) {
        // Retries wait their turn without holding back other requests to the host.
        auto ready = std::find_if(host.waiting.begin(), host.waiting.end(),
                                  [&](const Request& r) { return r.not_before <= now; });
        if (ready == host.waiting.end()) {
          auto first = std::min_element(
              host.waiting.begin(), host.waiting.end(),
              [](const Request& a, const Request& b) { return a.not_before < b.not_before; });
          park(key, host, first->not_before);
          asleep = true;
          break;
        }
        std::iter_swap(host.waiting.begin(), ready);
        continue;
      }
      if (front.kind != Kind::kRobots && s.obey_robots && !robots_refused &&
          !host.rules.Allowed(PathAndQuery(front.target()))) {
        Request r = host.PopFront();
        SourcePass& p = passes_[r.source];
        ++p.stats.robots_disallowed;
        if (r.depth == 0 && r.page_number == 0 && r.kind == Kind::kList) ++p.entries_blocked;
        if (r.kind == Kind::kReport) EndJourney(r, PageStatus::kSkipped, "robots_disallowed");
        EndPage(r, "robots_disallowed");
        if (--p.outstanding == 0) Finish(r.source);
        continue;
      }
      // Backpressure: a report fetch starts only with a slot downstream for its page; the
      // tracker's on-room callback resumes dispatch when one frees.
      if (front.kind == Kind::kReport && !front.started) {
        if (!tracker_.TryStart(front.journey)) break;
        front.started = true;
      }
      Request r = host.PopFront();
      const auto delay = Gap(host, r);
      Start(host, key, std::move(r));
      // From this start, not from the dispatch's `now`, and after it: a dispatch that starts
      // many transfers takes milliseconds, and so may Start's read of the URL's state before
      // the transfer begins; the gap to this host must not shrink by either.
      host.next_start = Clock::now() + delay;
    }
    // A host held back by a limit (robots.txt being read, its transfers, the tracker's room)
    // stays awake: the event that lifts the limit dispatches again.
    if (host.waiting.empty() || asleep) {
      host.awake.reset();
      it = awake_.erase(it);
    } else if (Rank(host) != it->first.first) {
      // Held back with fewer requests waiting than when it was ranked: ranked again.
      std::string moved = std::move(it->second);
      it = awake_.erase(it);
      host.awake.reset();
      Wake(moved, host);
    } else {
      ++it;
    }
  }
  if (!sleeping_.empty()) ScheduleDispatch(sleeping_.begin()->first);
}

FetchRequest Crawler::MakeRequest(const Source& src, const std::string& url,
                                  const UrlState* prior) const {
  FetchRequest f = FetchRequestFor(src.settings, url);
  // The address policy: a `portal =` source's entry is what its discovery found there, so
  // only the portal URL, written by the operator, speaks for it.
  f.allowed_addresses =
      AllowedAddresses(src.portal.empty() ? src.entry : std::vector<std::string>{src.portal},
                       src.settings.allow_private_addresses);
  f.resolve = config_.global.resolve;
  bool undelivered = options_.track_delivery && prior != nullptr && prior->kind == "report" &&
                     prior->delivered_sha256 != StoredReportSha(*prior);
  if (prior != nullptr && !prior->sha256.empty() && !undelivered) {
    if (!prior->etag.empty()) f.headers.push_back("If-None-Match: " + prior->etag);
    if (!prior->last_modified.empty()) {
      f.headers.push_back("If-Modified-Since: " + prior->last_modified);
    }
  }
  return f;
}

void Crawler::Start(HostState& host, const std::string& host_key, Request r) {
  const Source& src = config_.sources[r.source];
  std::optional<UrlState> prior;
  if (r.kind != Kind::kRobots && r.kind != Kind::kPage) {
    auto got = state_.Get(r.url);
    if (got.ok()) prior = got.value();
  }
  // A preset's lists are read in full every pass: the records behind its calls cannot be
  // validated, so a 304 of the column page would end the list at its first records.
  const bool conditional = r.kind != Kind::kList || src.preset == nullptr;
  FetchRequest req = MakeRequest(src, r.target(), prior && conditional ? &*prior : nullptr);
  if (r.call != nullptr) {
    req.method = r.call->method;
    req.body = r.call->body;
    req.headers.insert(req.headers.end(), r.call->headers.begin(), r.call->headers.end());
  }
  // Redirects of pages are followed by OnFetched, through the politeness gate; robots.txt
  // follows up to five itself (RFC 9309 2.3.1.2).
  req.max_redirects = r.kind == Kind::kRobots ? 5 : 0;
  // One byte over the limit tells a robots.txt that was cut (RFC 9309: 500 KiB parsed).
  if (r.kind == Kind::kRobots) req.max_body = src.settings.robots_max_body + 1;
  // The connection is worth keeping only for a next request within a server's usual
  // keep-alive time (Apache's default: 5 s).
  req.keep_alive = !host.waiting.empty() && Gap(host, r) <= std::chrono::seconds(5);
  ++host.in_flight;
  ++in_flight_;
  ++passes_[r.source].stats.requests;
  std::weak_ptr<Crawler*> self = self_;
  fetcher_.Fetch(std::move(req), [self, host_key, r](FetchResult res) mutable {
    if (auto c = self.lock()) (*c)->OnFetched(host_key, std::move(r), std::move(res));
  });
}

std::string Crawler::Reason(const FetchResult& res) const {
  if (res.error != FetchError::kNone) return std::string(FetchErrorName(res.error));
  if (res.status == 403 || res.status == 412) return "blocked_by_gateway";
  return "http_" + std::to_string(res.status);
}

// The work of a 200's body that needs a CPU: its hash, and what the crawler reads from it
// (a list's links and pagination; a report's attachments). Pure: runs on the CPU pool.
Crawler::Digest Crawler::MakeDigest(bool list, const FetchResult& res,
                                    const CrawlerOptions::Decode& decode,
                                    const std::vector<std::string>& extensions,
                                    const ListReader& reader) {
  Digest d;
  d.sha256 = Sha256Hex(res.body);
  d.gateway = GatewayChallenge(res.status, res.body);
  if (!d.gateway.empty()) return d;  // a challenge script: nothing of the page to read
  if (list) {
    std::string html = decode(res.body, res.Header("content-type"));
    if (reader.html) {
      d.links = ExtractLinks(html, res.final_url);
      // A preset's pages are its own calls (the trs preset reads these pagers itself).
      if (reader.preset == nullptr) d.paging = FindTrsPaging(html, res.final_url);
      d.shells = FindShellTargets(html, res.final_url);
    }
    if (reader.preset != nullptr) {
      // Records an HTML parser cannot see (script text, XML, JSON): read by the preset.
      d.reading = reader.html ? reader.preset->read_column(html, reader.base)
                              : reader.preset->read(html, reader.base, reader.list);
      d.links.insert(d.links.end(), d.reading.links.begin(), d.reading.links.end());
    }
  } else if (LooksLikeDocument(res.body)) {
    // A report published as a document (a list entry that links to it): the parser reads it.
  } else if (auto stub = FindRefreshStub(res.body, res.final_url)) {
    d.stub = std::move(stub);
  } else if (MayHaveAttachments(res.body, extensions)) {
    // The extensions are ASCII, so the raw bytes tell whether a page names one at all; most
    // report pages do not, and are neither decoded nor parsed a second time.
    std::string html = decode(res.body, res.Header("content-type"));
    for (auto& l : ExtractLinks(html, res.final_url)) {
      if (IsAttachment(l.url, extensions)) d.attachments.push_back(std::move(l));
    }
  }
  return d;
}

Crawler::ListReader Crawler::ReaderFor(const Request& r, const FetchResult& res) const {
  ListReader reader;
  const Source& src = config_.sources[r.source];
  if (r.kind != Kind::kList || src.preset == nullptr) return reader;
  reader.preset = src.preset;
  reader.list = src.list;
  // The column page is HTML with records inside; the answers to the preset's calls are the
  // preset's own format, their links relative to the column page.
  reader.html = r.cursor == nullptr;
  reader.base = r.cursor != nullptr ? r.cursor->column_url : res.final_url;
  return reader;
}

void Crawler::NextListCall(const Request& r, const FetchResult& res, const ListReading& reading) {
  SourcePass& p = passes_[r.source];
  const Source& src = config_.sources[r.source];
  const ListPreset* preset = src.preset;
  if (preset == nullptr) return;
  if (!reading.error.empty()) {
    // An answer that is not what the list promised (truncated JSON, another JSONP callback).
    ++p.stats.failures[reading.error];
    return;
  }
  auto cursor = std::make_shared<const ListCursor>(
      r.cursor != nullptr ? AdvanceCursor(*r.cursor, reading)
                          : StartCursor(reading, res.final_url, src.cms_params, src.list));
  std::string error;
  std::optional<ListCall> call = preset->next(*cursor, src.list, &error);
  if (!error.empty()) {
    // The page did not say enough to ask for the rest (and the source did not either).
    ++p.stats.failures[error];
    return;
  }
  if (!call || p.stats.list_pages + 1 > src.settings.max_pages ||
      p.budget_used >= src.settings.page_budget) {
    return;
  }
  // The identity of a POST in the state: one URL may serve many columns, told by the body.
  std::string id = call->method == "GET" ? call->url : call->url + "#" + call->body;
  if (!HostAllowed(src, call->url) || !p.seen.insert(id).second) return;
  ++p.budget_used;
  Request next{r.source, id, Kind::kList, r.depth, 0, r.page_number + 1, Clock::now()};
  next.entry = r.entry;
  next.call = std::make_shared<const ListCall>(std::move(*call));
  next.cursor = std::move(cursor);
  Enqueue(std::move(next));
}

void Crawler::OnFetched(const std::string& host_key, Request r, FetchResult res) {
  HostState& host = hosts_[host_key];
  --host.in_flight;
  --in_flight_;
  if (res.error == FetchError::kAddressNotAllowed) LogRefusal(r, res);
  if (res.error == FetchError::kNone && res.status == 200 && r.kind != Kind::kRobots &&
      r.kind != Kind::kPage) {
    // To the CPU pool and back: the loop thread never hashes or parses a body. The request
    // stays outstanding (its pass does not end) until OnDigested.
    ++digesting_;
    if (options_.cpu == nullptr) {
      Digest d =
          MakeDigest(r.kind == Kind::kList, res, options_.decode,
                     config_.sources[r.source].settings.attachment_extensions, ReaderFor(r, res));
      OnDigested(std::move(r), std::move(res), std::move(d));
    } else {
      struct Job {
        Request r;
        FetchResult res;
        Digest d;
      };
      auto job = std::make_shared<Job>(Job{std::move(r), std::move(res), {}});
      std::weak_ptr<Crawler*> self = self_;
      asio::post(*options_.cpu, [job, self, decode = options_.decode, loop = io_.get_executor(),
                                 extensions =
                                     config_.sources[job->r.source].settings.attachment_extensions,
                                 reader = ReaderFor(job->r, job->res)] {
        job->d = MakeDigest(job->r.kind == Kind::kList, job->res, decode, extensions, reader);
        asio::post(loop, [job, self] {
          if (auto c = self.lock()) {
            (*c)->OnDigested(std::move(job->r), std::move(job->res), std::move(job->d));
          }
        });
      });
    }
    Dispatch();
    return;
  }
  LogFetch(r, res, "");
  Route(r, res, nullptr);
  RequestDone(r.source);
}

void Crawler::OnDigested(Request r, FetchResult res, Digest d) {
  --digesting_;
  LogFetch(r, res, d.sha256);
  Route(r, res, &d);
  RequestDone(r.source);
}

void Crawler::RequestDone(size_t source) {
  SourcePass& p = passes_[source];
  if (--p.outstanding == 0) Finish(source);
  Dispatch();
  MaybeStopped();
}

void Crawler::LogRefusal(const Request& r, const FetchResult& res) {
  // Once per URL for the life of the crawler (a bounded memory: past it, at debug), with the
  // address and its class: an operator who meant to crawl an intranet sees why nothing comes.
  const bool first = refusals_logged_.size() < kMaxRefusalsLogged
                         ? refusals_logged_.insert(r.target()).second
                         : false;
  log_->log(first ? spdlog::level::warn : spdlog::level::debug,
            "address policy: source={} url={}: {} (allow_private_addresses = true allows it)",
            config_.sources[r.source].name, r.target(), res.error_message);
}

void Crawler::LogFetch(const Request& r, const FetchResult& res, const std::string& sha256) {
  log_->debug("fetch source={} url={} status={} error={} bytes={} attempt={}",
              config_.sources[r.source].name, r.target(), res.status, FetchErrorName(res.error),
              res.body.size(), r.attempt);
  if (!options_.on_fetch) return;
  FetchLogEntry e;
  e.source = config_.sources[r.source].name;
  e.url = r.target();
  // A page fetched for discovery (a home page, a column) is read for its links: a list.
  e.kind = r.kind == Kind::kList || r.kind == Kind::kPage ? "list"
           : r.kind == Kind::kReport                      ? "report"
                                                          : "robots";
  e.status = res.status;
  e.error = res.error == FetchError::kNone ? "" : std::string(FetchErrorName(res.error));
  e.bytes = static_cast<int64_t>(res.body.size());
  e.sha256 = sha256;
  e.started = res.started;
  e.elapsed = res.elapsed;
  e.attempt = r.attempt;
  options_.on_fetch(e);
}

// What a finished fetch means: a redirect hop, robots.txt, a retry, a failure, a list or a
// report. `d` is the digest of a 200's body (nullptr otherwise).
void Crawler::Route(Request& r, FetchResult& res, Digest* d) {
  const Source& src = config_.sources[r.source];
  bool redirect = res.error == FetchError::kNone && res.status >= 300 && res.status < 400 &&
                  res.status != 304 && !res.Header("location").empty();
  if (redirect && r.kind != Kind::kRobots) {
    const SourceSettings& s = src.settings;
    std::string next = ResolveUrl(r.target(), res.Header("location"));
    if (r.kind == Kind::kReport && !next.empty() && IsColumnOf(next, r.url, src.entry)) {
      // A deleted report that sends its readers to the column.
      Gone(r, res, "redirect_to_column", next);
    } else if (r.kind == Kind::kPage &&
               (next.empty() || !HostAllowed(src, next) || r.redirects >= s.max_redirects)) {
      (*r.page_done)(std::move(res));  // the caller decides where a redirect elsewhere leads
    } else if (!next.empty() && !HostAllowed(src, next)) {
      // allow_hosts holds on every hop: a page that moved to a host the source does not
      // allow is a failure of its own, and nothing is published under the original URL.
      Fail(r, res, kRedirectNotAllowed);
    } else if (next.empty() || r.redirects >= s.max_redirects) {
      FetchResult failed;
      failed.status = res.status;
      failed.error = next.empty() ? FetchError::kBadUrl : FetchError::kTooManyRedirects;
      Fail(r, failed, std::string(FetchErrorName(failed.error)));
    } else {
      r.hop = next;
      ++r.redirects;
      r.attempt = 0;
      r.not_before = Clock::now();
      Enqueue(std::move(r));  // counted again; the hop that ended is uncounted by the caller
    }
  } else if (r.kind == Kind::kRobots) {
    OnRobots(HostKey(r.target()), r, res);
  } else {
    bool transient = res.error != FetchError::kNone || res.status == 429 || res.status >= 500;
    // An address the policy refused is refused again on every attempt: not transient.
    bool final_error =
        res.error == FetchError::kTooLarge || res.error == FetchError::kTooManyRedirects ||
        res.error == FetchError::kBadUrl || res.error == FetchError::kAddressNotAllowed;
    if (res.error == FetchError::kNone &&
        (d != nullptr ? !d->gateway.empty() : !GatewayChallenge(res.status, {}).empty())) {
      BlockedByGateway(r, res);  // before the retry of 5xx: a 521 asked again answers 521
    } else if (transient && !final_error && !stopped_ && Retry(r, res)) {
      // requeued; outstanding count unchanged
    } else if (r.kind == Kind::kPage) {
      res.final_url = r.target();
      (*r.page_done)(std::move(res));
    } else if (r.kind == Kind::kList && r.page_number > 0 && res.status == 404) {
      // Probing index_{n}.html past the last page: the end of the list, not a failure.
    } else if (r.kind == Kind::kReport && res.error == FetchError::kNone &&
               (res.status == 404 || res.status == 410)) {
      Gone(r, res, Reason(res), "");
    } else if (res.error != FetchError::kNone || (res.status != 200 && res.status != 304)) {
      Fail(r, res, Reason(res));
    } else if (r.kind == Kind::kList) {
      OnList(r, res, d);
    } else {
      OnReport(r, res, d);
    }
  }
}

void Crawler::OnRobots(const std::string& host_key, const Request& r, const FetchResult& res) {
  HostState& host = hosts_[host_key];
  const SourceSettings& s = config_.sources[r.source].settings;
  RobotsVerdict v = JudgeRobotsResponse(res.status, res.error != FetchError::kNone, res.body,
                                        "nianbao", s.robots_cache, s.robots_retry);
  if (res.error == FetchError::kAddressNotAllowed) {
    // No outage and no verdict: the host's address is refused to this source, and so will be
    // every page of it, each counted as address_not_allowed (robots_unreachable would make the
    // host look down). Nothing is cached for the host: another source that may reach it reads
    // its robots.txt. Asked again after robots_retry (the sources file may have changed).
    host.robots_refused[r.source] = Clock::now() + ToClock(s.robots_retry);
    host.robots = HostState::Robots::kUnknown;
    return;
  }
  // Counted under its own reason so that Finish() tells an unreachable host from one whose
  // robots.txt forbids the crawl.
  if (v.unreachable) ++passes_[r.source].stats.failures[kRobotsUnreachable];
  host.rules = std::move(v.rules);
  host.robots = HostState::Robots::kReady;
  host.robots_expiry = Clock::now() + ToClock(v.valid_for);
}

bool Crawler::Retry(Request& r, const FetchResult& res) {
  const SourceSettings& s = config_.sources[r.source].settings;
  if (r.attempt >= s.max_retries) return false;
  double cap = std::min(s.backoff_max.count(), s.backoff_base.count() * std::pow(2.0, r.attempt));
  std::uniform_real_distribution<double> u(0, 1);
  double delay = cap * (0.5 + 0.5 * u(rng_));  // "equal jitter": never a tight loop
  if (auto secs = RetryAfterSeconds(res.Header("retry-after"), std::time(nullptr))) {
    delay = std::min(std::max(delay, *secs), s.backoff_max.count());
  }
  ++r.attempt;
  r.not_before = Clock::now() + ToClock(std::chrono::duration<double>(delay));
  ++passes_[r.source].stats.retries;
  Enqueue(std::move(r));  // counted again; OnFetched uncounts the attempt that failed
  return true;
}

void Crawler::Fail(Request& r, const FetchResult& res, const std::string& reason) {
  if (r.kind == Kind::kPage) {
    // A page asked for by FetchPage (discovery) is owed an answer whatever the outcome (a
    // gateway's refusal, a failure): its caller reads the result, or it waits for ever.
    FetchResult answer = res;
    answer.final_url = r.target();
    (*r.page_done)(std::move(answer));
    return;
  }
  SourcePass& p = passes_[r.source];
  ++p.stats.failures[reason];
  if (r.kind == Kind::kReport) ++p.stats.reports_failed;
  if (r.kind == Kind::kList && r.depth == 0 && r.page_number == 0) ++p.entries_failed;
  auto got = state_.Get(r.url);
  // The stored hash and validators stay: a failed fetch is never a change.
  SaveState(r, got.ok() && got.value() ? *got.value() : UrlState{}, res.status, reason);
  if (r.kind == Kind::kReport) EndJourney(r, PageStatus::kFailed, reason);
}

void Crawler::Gone(Request& r, const FetchResult& res, const std::string& seen,
                   std::string location) {
  SourcePass& p = passes_[r.source];
  const Source& src = config_.sources[r.source];
  ++p.stats.failures[seen];
  ++p.stats.reports_failed;
  auto got = state_.Get(r.url);
  UrlState s = got.ok() && got.value() ? *got.value() : UrlState{};
  // The stored hash and validators stay (a report that comes back is compared with them).
  ++s.gone_fetches;
  GonePage g;
  g.source = src.name;
  g.url = r.url;
  g.status = res.status;
  g.seen = seen;
  g.location = std::move(location);
  g.fetches = s.gone_fetches;
  g.withdraw = s.gone_fetches >= src.settings.withdraw_after;
  g.fetched_at = std::chrono::system_clock::now();
  SaveState(r, std::move(s), res.status, seen);
  JourneyId id = r.journey;
  journeys_.erase(id);
  r.journey = 0;
  tracker_.Gone(id, std::move(g));
}

void Crawler::SaveState(const Request& r, UrlState s, long status, const std::string& error,
                        const std::vector<Link>* links, const std::vector<Link>* attachments) {
  s.url = r.url;
  s.source = config_.sources[r.source].name;
  s.kind = r.kind == Kind::kList ? "list" : "report";
  s.last_status = status;
  s.last_error = error;
  s.last_fetch = UnixNow();
  s.next_due = DueAfterPass(config_.sources[r.source].settings);
  s.failures = error.empty() ? 0 : s.failures + 1;
  // One transaction for the whole fetch: its state, and a list's links or a report's
  // attachments. If it fails nothing changed: the stored hash, validators and links stay
  // as they were and agree with one another (a 304 next pass reads the links they go with),
  // and the page is fetched and handed on again. The crawl goes on; the operator sees the
  // count.
  if (Status st = state_.CommitFetch(s, links, attachments); !st.ok()) {
    ++passes_[r.source].stats.failures["state_write"];
  }
}

void Crawler::OnList(Request& r, const FetchResult& res, Digest* d) {
  SourcePass& p = passes_[r.source];
  ++p.stats.list_pages;
  const Source& src = config_.sources[r.source];
  std::vector<Link> links;
  auto prior = state_.Get(r.url);
  UrlState s = prior.ok() && prior.value() ? *prior.value() : UrlState{};
  if (d == nullptr) {  // 304: the links stored from the last 200
    auto stored = state_.GetLinks(r.url);
    if (stored.ok()) links = std::move(stored).value();
  } else {
    links = std::move(d->links);
    for (const std::string& u : d->shells) links.push_back(Link{u, kShellLinkText});
    // Pagination that the page announces rather than links: TRS createPageHTML(N, ...).
    if (d->paging) {
      for (const std::string& name : PageNames(*d->paging, src.settings.max_pages)) {
        std::string u = ResolveUrl(res.final_url, name);
        if (!u.empty()) links.push_back(Link{u, kPageLinkText});
      }
    }
    s.sha256 = d->sha256;
    s.etag = std::string(res.Header("etag"));
    s.last_modified = std::string(res.Header("last-modified"));
  }
  SaveState(r, std::move(s), res.status, "", d != nullptr ? &links : nullptr, nullptr);
  ProcessLinks(r, links);
  if (d != nullptr && src.preset != nullptr) NextListCall(r, res, d->reading);
  // index_{n}.html probing, the next page after each one that exists; not needed when the
  // page announced its page count (createPageHTML), whose pages are already queued.
  bool announced = std::any_of(links.begin(), links.end(),
                               [](const Link& l) { return l.text == kPageLinkText; });
  if (!src.page_pattern.empty() && !announced && r.page_number + 1 < src.settings.max_pages) {
    std::string name = src.page_pattern;
    name.replace(name.find("{n}"), 3, std::to_string(r.page_number + 1));
    // Against the entry this list descends from: each entry is paginated on its own.
    std::string next = ResolveUrl(src.entry[r.entry], name);
    if (!next.empty() && HostAllowed(src, next) && p.seen.insert(next).second &&
        p.budget_used < src.settings.page_budget) {
      ++p.budget_used;
      Request page{r.source, next, Kind::kList, r.depth, 0, r.page_number + 1, Clock::now()};
      page.entry = r.entry;
      Enqueue(std::move(page));
    }
  }
}

bool Crawler::HostAllowed(const Source& s, const std::string& url) const {
  std::string host = HostKey(url);
  for (const auto& e : s.entry) {
    if (HostKey(e) == host) return true;
  }
  for (const auto& h : s.allow_hosts) {
    if (h == host) return true;
  }
  return false;
}

bool Crawler::IsReportLink(const Source& s, const Link& l) const {
  // A document is a report of its own when the list names it as one (report_url, report_text);
  // other attachments (spreadsheets) never are.
  if (l.text == kPageLinkText ||
      (IsAttachment(l.url, s.settings.attachment_extensions) && !IsDocumentUrl(l.url))) {
    return false;
  }
  if (!s.exclude_text.empty() && Search(s.exclude_text, l.text)) return false;
  return Search(s.report_url, l.url) && Search(s.report_text, l.text);
}

std::string Crawler::Verdict(const Source& s, const Link& l) const {
  if (!HostAllowed(s, l.url)) return "ignored: another host (allow_hosts)";
  if (l.text == kPageLinkText) return "pagination (announced by the page's script)";
  if (l.text == kShellLinkText) {
    return "sub-list (a shell's target: iframe, meta refresh or script redirect)";
  }
  if (!s.next_page_text.empty() && Search(s.next_page_text, l.text)) {
    return "pagination (next_page_text '" + s.next_page_text + "')";
  }
  if (IsAttachment(l.url, s.settings.attachment_extensions) && !IsDocumentUrl(l.url)) {
    return "ignored: an attachment";
  }
  if (!s.exclude_text.empty() && Search(s.exclude_text, l.text)) {
    return "excluded by exclude_text '" + s.exclude_text + "'";
  }
  const bool url_ok = Search(s.report_url, l.url);
  const bool text_ok = url_ok && Search(s.report_text, l.text);
  if (text_ok) return "report";
  // Not a report: a sub-list when a rule says so (ProcessLinks asks in the same order).
  if (const SublistRule* rule = MatchingSublistRule(s.sublists, l); rule != nullptr) {
    return "sub-list (sublists rule text '" + rule->text + "' url '" + rule->url + "')";
  }
  if (!url_ok) return "ignored: report_url '" + s.report_url + "' no match";
  return "ignored: report_text '" + s.report_text + "' no match";
}

void Crawler::ProcessLinks(const Request& list, const std::vector<Link>& links) {
  SourcePass& p = passes_[list.source];
  const Source& src = config_.sources[list.source];
  for (const auto& l : links) {
    if (options_.on_link) {
      // The crawler's own markers (a page the pager announced, a shell's target) are no text.
      const bool marked = l.text == kPageLinkText || l.text == kShellLinkText;
      options_.on_link(src.name, list.url, marked ? Link{l.url, ""} : l, Verdict(src, l));
    }
    if (!HostAllowed(src, l.url)) continue;
    bool is_page = l.text == kPageLinkText ||
                   (!src.next_page_text.empty() && Search(src.next_page_text, l.text));
    if (is_page) {
      if (p.stats.list_pages + 1 > src.settings.max_pages) continue;
      if (p.budget_used >= src.settings.page_budget || !p.seen.insert(l.url).second) continue;
      ++p.budget_used;  // counted when queued: a flood of links must not all be queued
      Request page{list.source,          l.url,       Kind::kList, list.depth, 0,
                   list.page_number + 1, Clock::now()};
      page.entry = list.entry;
      Enqueue(std::move(page));
    } else if (l.text == kShellLinkText) {
      QueueSublist(list, l.url);
    } else if (IsReportLink(src, l)) {
      if (options_.lists_only || list.depth + 1 > src.settings.max_depth) continue;
      if (!p.seen.insert(l.url).second) continue;
      ++p.stats.reports_found;
      if (p.budget_used >= src.settings.page_budget) {
        ++p.stats.failures["page_budget"];
        continue;
      }
      ++p.budget_used;
      Enqueue(Request{list.source, l.url, Kind::kReport, list.depth + 1, 0, 0, Clock::now()});
    } else if (!src.exclude_text.empty() && Search(src.exclude_text, l.text)) {
      continue;  // a look-alike's link is no sub-list either
    } else if (IsSublistLink(src.sublists, l)) {
      QueueSublist(list, l.url);
    }
  }
}

void Crawler::QueueSublist(const Request& list, const std::string& url) {
  SourcePass& p = passes_[list.source];
  const Source& src = config_.sources[list.source];
  // One level deeper: within sublist_depth, and leaving a level for the reports it lists.
  const int depth = list.depth + 1;
  if (depth > src.settings.sublist_depth || depth + 1 > src.settings.max_depth) return;
  // The pass's seen URLs end loops: a shell pointing at itself or two shells at each other.
  if (!HostAllowed(src, url) || p.budget_used >= src.settings.page_budget) return;
  if (!p.seen.insert(url).second) return;
  ++p.budget_used;
  Request sub{list.source, url, Kind::kList, depth, 0, 0, Clock::now()};
  sub.entry = list.entry;
  Enqueue(std::move(sub));
}

void Crawler::BlockedByGateway(Request& r, const FetchResult& res) {
  Fail(r, res, std::string(kBlockedByGateway));
  if (r.kind == Kind::kList && r.depth == 0 && r.page_number == 0) {
    // Not unreachable: the portal answers, and refuses (source.blocked, as robots.txt would).
    --passes_[r.source].entries_failed;
    ++passes_[r.source].entries_blocked;
  }
}

struct Crawler::Bundle {
  size_t source = 0;
  JourneyId journey = 0;
  FetchedPage page;
  std::string page_sha;    // the page's own hash
  std::string stored;      // the report's hash as the state held it before this fetch
  bool page_body = false;  // page.body holds the page (it answered 200)
  struct Part {
    Link link;
    UrlState prior;  // its row in the state (empty: never fetched)
    std::string content_type, body, sha256, etag, last_modified;
    bool have_body = false;
    bool failed = false;
  };
  std::vector<Part> parts;
  int pending = 0;
  bool second_round = false;
  bool stopped = false;
};

// kPagePart: the report page itself, fetched again without validators in the second round.
constexpr size_t kPagePart = static_cast<size_t>(-1);

void Crawler::OnReport(Request& r, FetchResult& res, Digest* d) {
  SourcePass& p = passes_[r.source];
  const Source& src = config_.sources[r.source];
  auto prior = state_.Get(r.url);
  std::optional<UrlState> before = prior.ok() ? prior.value() : std::nullopt;
  if (d == nullptr && (!before || before->sha256.empty())) {
    // A 304 to a request that carried no validators of ours: nothing to compare with.
    Fail(r, res, "http_304_unsolicited");
    return;
  }
  if (d != nullptr && res.body.empty()) {
    // An empty 200 is no version of a report: the stored one stands, and the journey ends
    // here (a later pass fetches the page again with its validators).
    Fail(r, res, "empty_body");
    return;
  }
  if (d != nullptr && d->stub) {
    Gone(r, res, "stub", *d->stub);
    return;
  }
  if (!r.confirm_sha256.empty() && (d == nullptr || d->sha256 != r.confirm_sha256)) {
    // The second fetch disagrees with the first (or the server says nothing changed since
    // the stored version): the first body was cut. The stored version stands.
    Fail(r, res, "truncated");
    return;
  }
  if (d != nullptr && r.confirm_sha256.empty() && res.close_delimited &&
      (!before || (before->sha256 != d->sha256 && before->delivered_sha256 != d->sha256))) {
    // A changed body whose end was the connection's: asked again, politely, before anything
    // is recorded or handed on.
    r.confirm_sha256 = d->sha256;
    r.attempt = 0;
    r.not_before = Clock::now() + ToClock(src.settings.confirm_delay);
    Enqueue(std::move(r));  // counted again; OnDigested uncounts the fetch that ended
    return;
  }
  UrlState s = before ? *before : UrlState{};
  s.gone_fetches = 0;  // there again (a 304 included)
  FetchedPage page;
  page.source = src.name;
  page.url = r.url;
  page.final_url = res.final_url;
  page.status = res.status;
  page.content_type = std::string(res.Header("content-type"));
  page.fetched_at = std::chrono::system_clock::now();
  page.delivered_sha256 = before ? before->delivered_sha256 : "";
  if (d == nullptr) {
    page.change = FetchedPage::Change::kUnchanged;
    page.sha256 = before->sha256;
    if (auto a = state_.GetAttachments(r.url); a.ok()) page.attachments = std::move(a).value();
  } else {
    page.sha256 = std::move(d->sha256);
    page.attachments = std::move(d->attachments);
    page.change = !before || before->sha256.empty() ? FetchedPage::Change::kNew
                  : before->sha256 == page.sha256   ? FetchedPage::Change::kUnchanged
                                                    : FetchedPage::Change::kRevised;
    s.sha256 = page.sha256;
    page.wire.request = res.request_head;
    page.wire.status_line =
        "HTTP/" + (res.http_version.empty() ? std::string("1.1") : res.http_version) + " 200 OK";
    page.wire.headers = res.headers;
    page.wire.ip = res.remote_ip;
    s.etag = std::string(res.Header("etag"));
    s.last_modified = std::string(res.Header("last-modified"));
  }
  switch (page.change) {
    case FetchedPage::Change::kNew:
      ++p.stats.reports_new;
      break;
    case FetchedPage::Change::kRevised:
      ++p.stats.reports_revised;
      break;
    case FetchedPage::Change::kUnchanged:
      ++p.stats.reports_unchanged;
      break;
  }
  p.stats.attachments += static_cast<int>(page.attachments.size());
  SaveState(r, std::move(s), res.status, "", nullptr, d != nullptr ? &page.attachments : nullptr);
  // The body moves on (the buffer libcurl filled, never copied); the tracker owns the page
  // from here to its final status.
  page.body = std::move(res.body);
  JourneyId id = r.journey;
  r.journey = 0;
  std::vector<Link> documents = DocumentsOf(src, page.attachments);
  if (!documents.empty() && !LooksLikeDocument(page.body)) {
    // The journey stays open here (journeys_) until its documents are in.
    auto b = std::make_shared<Bundle>();
    b->source = r.source;
    b->journey = id;
    b->page_sha = page.sha256;
    b->page_body = !page.body.empty();
    b->page = std::move(page);
    std::vector<std::string> stored;
    for (auto& l : documents) {
      Bundle::Part part;
      part.link = std::move(l);
      if (auto got = state_.Get(part.link.url); got.ok() && got.value()) part.prior = *got.value();
      stored.push_back(part.prior.sha256);
      b->parts.push_back(std::move(part));
    }
    b->stored = CombinedSha256(before ? before->sha256 : "", stored);
    // Validators only when the report as stored is settled (with track_delivery: the one
    // delivered): then 304s are enough.
    FetchDocuments(b, Settled(*b, b->stored));
    return;
  }
  journeys_.erase(id);
  tracker_.Fetched(id, std::move(page));
}

std::string Crawler::CombinedSha256(const std::string& page_sha256,
                                    const std::vector<std::string>& document_sha256s) {
  std::string all = page_sha256;
  for (const auto& s : document_sha256s) {
    if (!s.empty()) all += "\n" + s;
  }
  return all.size() == page_sha256.size() ? page_sha256 : Sha256Hex(all);
}

std::vector<Link> Crawler::DocumentsOf(const Source& s,
                                       const std::vector<Link>& attachments) const {
  std::vector<Link> out;
  for (const auto& a : attachments) {
    if (out.size() >= kMaxDocuments) break;
    if (!IsDocumentUrl(a.url) || !HostAllowed(s, a.url)) continue;
    // A look-alike (图解, 解读, a notice): the source's own rule for list entries.
    if (!s.exclude_text.empty() && Search(s.exclude_text, a.text)) continue;
    out.push_back(a);
  }
  return out;
}

std::string Crawler::StoredReportSha(const UrlState& page) const {
  size_t source = config_.sources.size();
  for (size_t i = 0; i < config_.sources.size(); ++i) {
    if (config_.sources[i].name == page.source) source = i;
  }
  if (source == config_.sources.size()) return page.sha256;
  auto attachments = state_.GetAttachments(page.url);
  if (!attachments.ok()) return page.sha256;
  std::vector<std::string> shas;
  for (const auto& l : DocumentsOf(config_.sources[source], attachments.value())) {
    auto got = state_.Get(l.url);
    shas.push_back(got.ok() && got.value() ? got.value()->sha256 : "");
  }
  return CombinedSha256(page.sha256, shas);
}

bool Crawler::Settled(const Bundle& b, const std::string& report_sha) const {
  return !report_sha.empty() && (!options_.track_delivery || report_sha == b.page.delivered_sha256);
}

void Crawler::FetchDocuments(const std::shared_ptr<Bundle>& b, bool conditional) {
  std::vector<size_t> todo;
  if (b->second_round && !b->page_body) todo.push_back(kPagePart);
  for (size_t i = 0; i < b->parts.size(); ++i) {
    if (!b->second_round || (!b->parts[i].have_body && !b->parts[i].failed)) todo.push_back(i);
  }
  b->pending = static_cast<int>(todo.size());
  std::weak_ptr<Crawler*> self = self_;
  for (size_t i : todo) {
    std::vector<std::string> headers;
    std::string url = i == kPagePart ? b->page.url : b->parts[i].link.url;
    if (i != kPagePart && conditional && !b->parts[i].prior.sha256.empty()) {
      const UrlState& prior = b->parts[i].prior;
      if (!prior.etag.empty()) headers.push_back("If-None-Match: " + prior.etag);
      if (!prior.last_modified.empty()) {
        headers.push_back("If-Modified-Since: " + prior.last_modified);
      }
    }
    // Ahead of the reports waiting for a slot downstream: this report holds one already, and
    // would hold it forever behind them.
    FetchPage(
        b->source, url,
        [self, b, i](FetchResult res) {
          if (auto c = self.lock()) (*c)->OnDocument(b, i, std::move(res));
        },
        std::move(headers), true);
  }
}

void Crawler::OnDocument(const std::shared_ptr<Bundle>& b, size_t part, FetchResult res) {
  if (res.error == FetchError::kInternal && res.error_message == "cancelled") b->stopped = true;
  if (res.error != FetchError::kNone || (res.status != 200 && res.status != 304) ||
      (res.status == 304 && (part == kPagePart || b->parts[part].prior.sha256.empty()))) {
    const std::string reason = res.error == FetchError::kInternal ? res.error_message : Reason(res);
    log_->debug("document {} of {}: {}", part == kPagePart ? b->page.url : b->parts[part].link.url,
                b->page.url, reason);
    ++passes_[b->source].stats.failures["document_" + reason];
    if (part != kPagePart) b->parts[part].failed = true;
    DocumentDone(b);
    return;
  }
  if (res.status == 304) {
    b->parts[part].sha256 = b->parts[part].prior.sha256;
    DocumentDone(b);
    return;
  }
  // A 200: its hash on the CPU pool (a document may be tens of MiB), then back on the loop.
  // The pass stays open meanwhile (its report is not handed on yet).
  ++digesting_;
  ++passes_[b->source].outstanding;
  auto body = std::make_shared<FetchResult>(std::move(res));
  auto sha = std::make_shared<std::string>();
  std::weak_ptr<Crawler*> self = self_;
  auto back = [self, b, part, body, sha] {
    auto c = self.lock();
    if (!c) return;
    Crawler& crawler = **c;
    --crawler.digesting_;
    if (part == kPagePart) {
      b->page.body = std::move(body->body);
      b->page_sha = *sha;
      b->page_body = true;
    } else {
      Bundle::Part& p = b->parts[part];
      p.content_type = std::string(body->Header("content-type"));
      p.etag = std::string(body->Header("etag"));
      p.last_modified = std::string(body->Header("last-modified"));
      p.body = std::move(body->body);
      p.sha256 = *sha;
      p.have_body = true;
    }
    crawler.DocumentDone(b);
    crawler.RequestDone(b->source);
  };
  if (options_.cpu == nullptr) {
    *sha = Sha256Hex(body->body);
    back();
  } else {
    asio::post(*options_.cpu, [body, sha, back, loop = io_.get_executor()] {
      *sha = Sha256Hex(body->body);
      asio::post(loop, back);
    });
  }
}

void Crawler::DocumentDone(const std::shared_ptr<Bundle>& b) {
  if (--b->pending > 0) return;
  if (b->stopped) {
    journeys_.erase(b->journey);
    tracker_.Ended(b->journey, PageStatus::kSkipped, "stopped");
    MaybeStopped();
    return;
  }
  std::vector<std::string> shas;
  bool missing = !b->page_body;
  for (const auto& p : b->parts) {
    if (p.failed) continue;
    shas.push_back(p.sha256);
    missing = missing || !p.have_body;
  }
  const std::string now = CombinedSha256(b->page_sha, shas);
  if ((now != b->stored || !Settled(*b, now)) && missing && !b->second_round) {
    // Something changed (or was never delivered) and a part answered 304: its body is needed
    // to read the report, so it is fetched again whole.
    b->second_round = true;
    FetchDocuments(b, false);
    return;
  }
  HandOn(b);
}

void Crawler::HandOn(const std::shared_ptr<Bundle>& b) {
  FetchedPage page = std::move(b->page);
  std::vector<std::string> shas;
  for (auto& p : b->parts) {
    if (p.failed) continue;
    shas.push_back(p.sha256);
    if (!p.have_body) continue;
    UrlState s = p.prior;
    s.url = p.link.url;
    s.source = page.source;
    s.kind = "attachment";
    s.sha256 = p.sha256;
    s.etag = p.etag;
    s.last_modified = p.last_modified;
    s.last_status = 200;
    s.last_error.clear();
    s.failures = 0;
    s.last_fetch = std::chrono::duration_cast<std::chrono::seconds>(
                       std::chrono::system_clock::now().time_since_epoch())
                       .count();
    if (Status st = state_.CommitFetch(s, nullptr, nullptr); !st.ok()) {
      log_->warn("state: document {} of {}: {}", s.url, page.url, st.message());
    }
  }
  page.sha256 = CombinedSha256(b->page_sha, shas);
  const bool read = page.sha256 != b->stored || !Settled(*b, page.sha256);
  if (page.change == FetchedPage::Change::kUnchanged && page.sha256 != b->stored) {
    // The page is as it was, a document is not: the report is revised.
    page.change = FetchedPage::Change::kRevised;
    --passes_[b->source].stats.reports_unchanged;
    ++passes_[b->source].stats.reports_revised;
  }
  if (!read) {
    page.body.clear();  // nothing to read: the report as it was
  } else {
    for (auto& p : b->parts) {
      if (p.have_body) {
        page.documents.push_back(
            FetchedDocument{p.link.url, p.link.text, p.content_type, std::move(p.body), p.sha256});
      }
    }
  }
  journeys_.erase(b->journey);
  tracker_.Fetched(b->journey, std::move(page));
}

void Crawler::Finish(size_t source) {
  SourcePass& p = passes_[source];
  if (!p.active) return;
  p.active = false;
  const Source& src = config_.sources[source];
  int entries = static_cast<int>(src.entry.size());
  // Entries kept out by a robots.txt that could not be fetched are an unreachable host, not a
  // blocking one: only a robots.txt that answered and forbids the crawl blocks.
  bool robots_unreachable = p.stats.failures.count(kRobotsUnreachable) > 0;
  // (A portal source whose column was not found has no entry: unreachable.)
  if (entries > 0 && p.entries_blocked == entries && !robots_unreachable) {
    p.stats.health = "blocked";
  } else if (p.entries_failed + p.entries_blocked == entries) {
    p.stats.health = "unreachable";
  } else if (p.stats.reports_found == 0) {
    p.stats.health = "stale";
  } else {
    p.stats.health = "ok";
  }
  p.stats.elapsed = Clock::now() - p.started;
  auto done = std::move(p.done);
  SourcePassStats stats = p.stats;
  if (done) asio::post(io_, [done, stats] { done(stats); });
}

}  // namespace nianbao::crawler
