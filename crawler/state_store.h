// Incremental crawl state in an embedded SQLite database (STATE_DIR/state.db).
//
// For every URL the crawler has fetched: its validators (ETag, Last-Modified), the SHA-256
// of the last body received, the last status or error, when it is due again, and for list
// pages the links found on them (so that a 304 on a list still yields its reports). Report
// pages also record their attachments. A failed fetch never overwrites the stored hash: a
// site that is down is not a changed report.
//
// Durability: WAL journal with synchronous=NORMAL, and one transaction per completed fetch
// (CommitFetch: the URL's row, its links and its attachments together or not at all). In WAL
// mode NORMAL syncs at checkpoints, not at every commit: a crash of the process loses
// nothing, and a power loss can only lose the last commits, leaving the database as it was at
// an earlier commit, never damaged. That is safe for at-least-once delivery: a state rolled
// back forgets that pages were fetched or delivered, so they are fetched and published again
// (a duplicate downstream, which consumers dedupe by report_id and sha256), never skipped.
// Opening checks integrity and writes once; a damaged, unreadable or unwritable file or
// directory, a full disk, or a database of another schema is an error naming the file (the
// caller decides to refuse to start). A write that fails later (a full disk) is returned to
// the caller, which must then keep nothing that relies on it: see Crawler::SaveState.
//
// Schema: `PRAGMA user_version` holds the schema version (kSchemaVersion). A database of
// version 0 with our tables and meta.schema_version '1' is the first layout, and version 2
// the second; version 3 is the layout before the memory across years (base/history.h); all
// are migrated in place. Any other version, or a file with other tables, is
// refused with the version found.
//
// Ownership: one StateStore per process, owned by the crawler's owner. Threading: used on
// the event-loop thread only (each call is a short indexed statement).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/history.h"
#include "base/status.h"
#include "crawler/links.h"

namespace nianbao::crawler {

using nianbao::DeliveredContent;  // base/page.h
using nianbao::DeliveredState;
using nianbao::VersionLedger;

struct UrlState {
  std::string url;     // canonical: as fetched
  std::string source;  // source name
  std::string kind;    // "list", "report", "robots"
  std::string etag;
  std::string last_modified;
  std::string sha256;            // of the last body received; "" until one was
  long last_status = 0;          // HTTP status of the last attempt; 0 = transport error
  std::string last_error;        // "" or the failure category ("timeout", "http_500", ...)
  int64_t last_fetch = 0;        // unix seconds
  int64_t next_due = 0;          // unix seconds
  int failures = 0;              // consecutive failed attempts
  std::string delivered_sha256;  // the page last read to the end downstream (published,
                                 // unchanged, or nothing to publish)
  int gone_fetches = 0;          // report pages: fetches in a row that found the page gone
};

// A table of the history (state_store.cc): its name, columns, and how a row is read.
template <typename Row>
struct HistoryTable;
class StmtCache;  // state_store.cc

class StateStore final : public VersionLedger, public ReportHistory {
 public:
  // The layout this build reads and writes (PRAGMA user_version).
  static constexpr int kSchemaVersion = 4;

  // Creates the directory and the database when missing; migrates our older layouts.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& state_dir);
  ~StateStore() override;
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  Result<std::optional<UrlState>> Get(const std::string& url);
  Status Put(const UrlState& state);
  // Replaces the links recorded for a list page.
  Status PutLinks(const std::string& list_url, const std::vector<Link>& links);
  Result<std::vector<Link>> GetLinks(const std::string& list_url);
  // Replaces the attachments recorded for a report page (one kept keeps its first_seen).
  Status PutAttachments(const std::string& report_url, const std::vector<Link>& attachments);
  Result<std::vector<Link>> GetAttachments(const std::string& report_url);
  // One completed fetch in one transaction: upserts the URL's state, replaces its links when
  // `links` is non-null and its attachments when `attachments` is non-null. On any failure
  // nothing is changed and the error names the file (and says "disk full" when it is).
  Status CommitFetch(const UrlState& state, const std::vector<Link>* links,
                     const std::vector<Link>* attachments);
  // When each source is due for its next pass (unix seconds), kept across restarts so that a
  // restart does not poll every portal at once; nullopt when never recorded.
  Result<std::optional<int64_t>> GetSourceDue(const std::string& source);
  Status PutSourceDue(const std::string& source, int64_t next_due_unix);
  // The column(s) a `portal =` source's discovery found last ("" when none yet), kept across
  // restarts so that a move is seen; several columns are joined with '\n'.
  Result<std::string> GetSourceColumn(const std::string& source);
  Status PutSourceColumn(const std::string& source, const std::string& columns);
  // VersionLedger (base/page.h): a report's versions, kept in the urls table.
  Result<DeliveredState> GetDelivered(const std::string& url) override;
  Result<int64_t> BeginVersion(const std::string& url, const std::string& content) override;
  Status MarkDelivered(const std::string& url, const std::string& sha256,
                       const DeliveredContent* content) override;
  Status MarkSuspect(const std::string& url, const std::string& fingerprint) override;
  Result<int64_t> CountUrls(const std::string& kind);
  // ReportHistory (base/history.h): the tables years, missing and source_watch.
  Result<std::optional<YearEntry>> GetYear(const std::string& source,
                                           const std::string& organization_key, int year) override;
  Result<std::vector<YearEntry>> YearsOf(const std::string& source) override;
  Status PutYear(const YearEntry& entry, bool found_late) override;
  Result<std::optional<MissingReport>> GetMissing(const std::string& source,
                                                  const std::string& organization_key,
                                                  int year) override;
  Result<std::vector<MissingReport>> MissingOf(const std::string& source) override;
  Status PutMissing(const MissingReport& missing) override;
  Result<int64_t> WatchedSince(const std::string& source, int64_t now) override;

  // The cluster's changelog (cluster/cluster_node.h). `on_written` runs on the caller's
  // thread after every successful write: of a URL's row, links or attachments (kind kUrl, key
  // the URL), or of a source's rows in source_due, source_watch, years or missing or of its
  // portal column (kind kSource, key the source name). Not after ImportUrl or ImportSource;
  // nullptr to stop.
  enum class WrittenKind { kUrl, kSource };
  using OnWritten = std::function<void(WrittenKind kind, const std::string& key)>;
  void SetOnWritten(OnWritten on_written);
  // A URL's whole state as one JSON object: {"url", "row": {column: value}, "links":
  // [[url, text]...], "attachments": [[url, text, first_seen]...]}; nullopt when the URL has
  // no row. The changelog record's value (docs/cluster.md).
  Result<std::optional<std::string>> ExportUrl(const std::string& url);
  // Replaces the URL's row, links and attachments with those of an ExportUrl record, in one
  // transaction. InvalidArgument for a record of another shape (nothing is written).
  Status ImportUrl(std::string_view record);
  // A source's whole state as one JSON object: {"source", "source_due": [{"next_due"}],
  // "source_watch": [{"since"}], "years": [{column: value}...], "missing": [{column:
  // value}...], "column": "..."} (every row of the tables keyed by source, and the portal
  // column); nullopt when the source has none of them. The changelog record's value.
  Result<std::optional<std::string>> ExportSource(const std::string& source);
  // Replaces every row of the source in those tables (and its portal column) with those of an
  // ExportSource record, in one transaction; a table the record lacks is emptied.
  // InvalidArgument naming the table and column for a record of another shape (nothing is
  // written).
  Status ImportSource(std::string_view record);

  const std::string& path() const { return path_; }

 private:
  StateStore(sqlite3* db, std::string path);
  Status Exec(const char* sql);
  // One statement of a single step through the statement cache (BEGIN, COMMIT).
  Status Run(std::string_view sql);
  Status Error(const std::string& what) const;
  // Checks the schema version, creates or migrates the tables; refuses a foreign file.
  Status PrepareSchema();
  // Runs `body` inside BEGIN IMMEDIATE ... COMMIT; rolls back when it or the commit fails.
  template <typename Body>
  Status InTransaction(Body&& body);
  // The rows of a history table (years, missing: state_store.cc) of one source, or of one
  // organisation's year in it when `key` (organisation key, year) is given, in key and year
  // order; `what` names the read in an error.
  template <typename Row>
  Result<std::vector<Row>> SelectHistory(const HistoryTable<Row>& table, const std::string& source,
                                         const std::optional<std::pair<std::string, int>>& key,
                                         const std::string& what);
  // The statements of a fetch, without a transaction of their own.
  Status UpsertUrl(const UrlState& state);
  Status ReplaceLinks(const std::string& list_url, const std::vector<Link>& links);
  Status ReplaceAttachments(const std::string& report_url, const std::vector<Link>& attachments);
  // `status`, after telling on_written_ of a successful write of `key`.
  Status Written(const std::string& url, Status status) {
    return Written(WrittenKind::kUrl, url, std::move(status));
  }
  Status Written(WrittenKind kind, const std::string& key, Status status);

  sqlite3* db_;
  std::string path_;
  std::unique_ptr<StmtCache> stmts_;  // before db_ closes (see the destructor)
  OnWritten on_written_;
};

}  // namespace nianbao::crawler
