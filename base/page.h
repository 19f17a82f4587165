// The neutral values of a page's journey, shared by the crawler (which fetches), ingest (which
// parses and delivers) and the app (which wires them): a fetched report page, a fetch attempt,
// a source's pass, and the PageTracker through which the crawler hands every report page to
// the one status updater that owns it until its final status.
//
//   crawler                                   status updater (ingest, or the crawl command)
//   ───────                                   ──────────────
//   a report link is queued      ─Planned()─► journey opened: "planned"
//   the fetch may start?         ─TryStart()► a slot downstream (false: wait for on-room)
//   200 or 304                   ─Fetched()─► parse (thread pool) ─► sinks ─► acknowledged
//   failed, disallowed, stopped  ─Ended()──►  final status
//                                             every journey ends exactly once: delivered,
//                                             unchanged, failed, skipped or withdrawn
//
// Plain values and one interface (a seam between components, not an edge to the outside).
// Threading: the values are copied or moved freely; every PageTracker call, and the on-room
// callback, runs on the event-loop thread that owns the crawler.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace nianbao {

// A link of a page: what the crawler follows, or a report page's attachment.
struct Link {
  std::string url;   // absolute, no fragment
  std::string text;  // whitespace collapsed
};

// One fetched report page, as the crawler hands it on. Moved, never copied: the body is the
// buffer libcurl filled.
struct FetchedPage {
  enum class Change { kNew, kRevised, kUnchanged };
  std::string source;
  std::string url;        // as requested (canonical): the page's identity
  std::string final_url;  // after redirects
  long status = 0;        // 200, or 304 for an unchanged page (then body is empty)
  std::string content_type;
  std::string body;
  std::string sha256;  // of body, computed once; the stored hash for a 304
  std::chrono::system_clock::time_point fetched_at;
  Change change = Change::kNew;
  // The content last acknowledged downstream before this fetch ("" = never): equal to
  // sha256 when there is nothing to publish; otherwise the page is published again.
  std::string delivered_sha256;
  std::vector<Link> attachments;  // .pdf/.doc/.docx/.wps/.ofd/.xls(x) linked from the page
};

inline std::string_view ChangeName(FetchedPage::Change c) {
  switch (c) {
    case FetchedPage::Change::kRevised:
      return "revised";
    case FetchedPage::Change::kUnchanged:
      return "unchanged";
    case FetchedPage::Change::kNew:
      break;
  }
  return "new";
}

// How a page's journey ended. Exactly one per journey.
enum class PageStatus {
  kDelivered,  // every sink acknowledged its record (or it was not a report: nothing to send)
  kUnchanged,  // the content downstream already has
  kFailed,     // the fetch, the parse or a sink failed: handed on again by a later pass
  kSkipped,    // not attempted to the end: robots.txt, the page budget, a stop, a version
               // of the page already on its way
  kWithdrawn,  // the page is gone (reserved for the withdrawn-report event)
};

inline std::string_view PageStatusName(PageStatus s) {
  switch (s) {
    case PageStatus::kDelivered:
      return "delivered";
    case PageStatus::kUnchanged:
      return "unchanged";
    case PageStatus::kFailed:
      return "failed";
    case PageStatus::kSkipped:
      return "skipped";
    case PageStatus::kWithdrawn:
      return "withdrawn";
  }
  return "failed";
}

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

// Identifies one journey; never reused within a process.
using JourneyId = uint64_t;

// The owner of report pages from the moment the crawler plans a fetch until a final status.
// Implemented by ingest::StatusUpdater (the daemon) and by the crawl command.
class PageTracker {
 public:
  virtual ~PageTracker() = default;
  // The crawler queued a fetch of a report page; the journey starts here.
  virtual JourneyId Planned(const std::string& source, const std::string& url) = 0;
  // Asked before the fetch starts: true takes a slot downstream (backpressure); false means
  // no room now, and the on-room callback runs when a slot frees.
  virtual bool TryStart(JourneyId id) = 0;
  // The fetch produced a page (200, or 304): the tracker takes it and ends the journey.
  virtual void Fetched(JourneyId id, FetchedPage page) = 0;
  // The journey ended in the crawler (a failed fetch, robots.txt, a stop).
  virtual void Ended(JourneyId id, PageStatus status, std::string reason) = 0;
  // Replaces the callback run (on the loop) when a slot frees; nullptr clears it. The
  // crawler sets it and clears it in its destructor.
  virtual void SetOnRoom(std::function<void()> on_room) = 0;
};

}  // namespace nianbao
