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
//   404/410, stub, to its column ─Gone()────► withdrawn after enough fetches in a row
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
#include <utility>
#include <vector>

#include "base/status.h"

namespace nianbao {

// A link of a page: what the crawler follows, or a report page's attachment.
struct Link {
  std::string url;   // absolute, no fragment
  std::string text;  // whitespace collapsed
};

// A document a report page links to (its 全真版 PDF, a Word file), fetched with the page and
// handed on with it: the page and its documents are one report, one journey.
struct FetchedDocument {
  std::string url;   // as linked (canonical)
  std::string text;  // the link's text
  std::string content_type;
  std::string body;    // the whole document
  std::string sha256;  // of body
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
  std::string sha256;  // of body, computed once; the stored hash for a 304. With documents:
                       // the report's hash, of the page's and theirs (crawler.h)
  std::chrono::system_clock::time_point fetched_at;
  Change change = Change::kNew;
  // The content last acknowledged downstream before this fetch ("" = never): equal to
  // sha256 when there is nothing to publish; otherwise the page is published again.
  std::string delivered_sha256;
  std::vector<Link> attachments;  // .pdf/.doc/.docx/.wps/.ofd/.xls(x) linked from the page
  // The attachments that may hold the report (documents the parser reads, not look-alikes by
  // their link text), fetched with their bodies when the report is handed on to be read;
  // empty when the page names none, or when the page is handed on unchanged.
  std::vector<FetchedDocument> documents;
  // How a 200 came over the wire, for the archive (empty for a 304).
  struct Wire {
    std::string request;                                       // the request head as sent
    std::string status_line;                                   // "HTTP/1.1 200 OK"
    std::vector<std::pair<std::string, std::string>> headers;  // as received, names lower-case
    std::string ip;                                            // the server's address
  } wire;
};

// Where the archive keeps a fetched page (archive/warc_writer.h: a WARC file and the offset
// of the page's response record).
struct ArchiveRef {
  std::string file;
  int64_t offset = 0;
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

// A report page that is not there any more, and what the crawler saw in its place.
struct GonePage {
  std::string source;
  std::string url;
  long status = 0;        // 404, 410; or the 200 of a deletion stub, the 30x of a redirect
  std::string seen;       // "http_404", "http_410", "stub", "redirect_to_column"
  std::string location;   // where a stub or redirect points, "" otherwise
  int fetches = 0;        // fetches in a row that found the page gone, this one included
  bool withdraw = false;  // `fetches` reached the source's withdraw_after
  std::chrono::system_clock::time_point fetched_at;
};

// How a page's journey ended. Exactly one per journey.
enum class PageStatus {
  kDelivered,  // every sink acknowledged its record (or it was not a report: nothing to send)
  kUnchanged,  // the content downstream already has
  kFailed,     // the fetch, the parse or a sink failed: handed on again by a later pass
  kSkipped,    // not attempted to the end: robots.txt, the page budget, a stop, a version
               // of the page already on its way
  kWithdrawn,  // the page is gone, and report.withdrawn reached every sink
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
  // A `portal =` source whose discovery found its column elsewhere than the last time
  // (source.moved): the column(s) before and now, '\n'-joined; both "" otherwise.
  std::string moved_from, moved_to;
};

// What a report's delivered versions left in the state: the status updater compares each new
// fetch with it (StateStore keeps it).
struct DeliveredContent {
  std::string fingerprint;  // parser::ContentFingerprint of the version delivered, or
                            // kWithdrawnContent after report.withdrawn
  std::string shape;        // what the version had (sections, cells), to spot a loss
};
struct DeliveredState {
  std::string fingerprint;  // "" when nothing was ever delivered
  std::string shape;
  std::string sha256;   // of the last page read to the end
  std::string suspect;  // a suspect change seen once, published if the next fetch agrees
  int64_t version = 0;  // the last version begun (0: none)
};
inline constexpr std::string_view kWithdrawnContent = "withdrawn";

// The state's side of a report's versions: what was delivered, and the version about to be
// (written ahead). Implemented by crawler::StateStore; used by the status updater.
class VersionLedger {
 public:
  virtual ~VersionLedger() = default;
  // What the report's delivered versions left; all empty when none (or the URL is unknown).
  virtual Result<DeliveredState> GetDelivered(const std::string& url) = 0;
  // Write-ahead of the next published version: its number for `content` (a fingerprint, or
  // kWithdrawnContent), recorded before anything is produced. The same content as the
  // pending version gets the same number again (a redelivery: same ce_id); other content
  // the next number. NotFound when the URL has no state.
  virtual Result<int64_t> BeginVersion(const std::string& url, const std::string& content) = 0;
  // The page with this hash was read to the end (it is not fetched without validators
  // again). With `content`, this version reached every sink: its fingerprint and shape are
  // kept, it is no longer pending, and a suspect change is forgotten.
  virtual Status MarkDelivered(const std::string& url, const std::string& sha256,
                               const DeliveredContent* content) = 0;
  // Remembers a suspect change (by fingerprint) until a second fetch agrees with it.
  virtual Status MarkSuspect(const std::string& url, const std::string& fingerprint) = 0;
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
  // The page is gone (GonePage): the tracker takes it and ends the journey.
  virtual void Gone(JourneyId id, GonePage page) = 0;
  // The journey ended in the crawler (a failed fetch, robots.txt, a stop).
  virtual void Ended(JourneyId id, PageStatus status, std::string reason) = 0;
  // Replaces the callback run (on the loop) when a slot frees; nullptr clears it. The
  // crawler sets it and clears it in its destructor.
  virtual void SetOnRoom(std::function<void()> on_room) = 0;
};

}  // namespace nianbao
