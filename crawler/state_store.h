// Incremental crawl state in an embedded SQLite database (STATE_DIR/state.db).
//
// For every URL the crawler has fetched: its validators (ETag, Last-Modified), the SHA-256
// of the last body received, the last status or error, when it is due again, and for list
// pages the links found on them (so that a 304 on a list still yields its reports). Report
// pages also record their attachments. A failed fetch never overwrites the stored hash: a
// site that is down is not a changed report.
//
// Durability: WAL journal, synchronous=FULL, one transaction per completed fetch, so a
// crash or kill loses at most the fetches in flight. Opening checks integrity and writes once;
// a damaged, unreadable or unwritable file or directory is an error naming it (the caller
// decides to refuse to start). A write that fails later (a full disk) is returned to the
// caller, which must then keep nothing that relies on it: see Crawler::SaveState.
//
// Ownership: one StateStore per process, owned by the crawler's owner. Threading: used on
// the event-loop thread only (each call is a short indexed statement).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "base/status.h"
#include "crawler/links.h"

namespace nianbao::crawler {

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
  std::string delivered_sha256;  // the content last handed on and acknowledged downstream
};

class StateStore {
 public:
  // Creates the directory and the database when missing.
  static Result<std::unique_ptr<StateStore>> Open(const std::string& state_dir);
  ~StateStore();
  StateStore(const StateStore&) = delete;
  StateStore& operator=(const StateStore&) = delete;

  Result<std::optional<UrlState>> Get(const std::string& url);
  Status Put(const UrlState& state);
  // Replaces the links recorded for a list page.
  Status PutLinks(const std::string& list_url, const std::vector<Link>& links);
  Result<std::vector<Link>> GetLinks(const std::string& list_url);
  Status PutAttachments(const std::string& report_url, const std::vector<Link>& attachments);
  Result<std::vector<Link>> GetAttachments(const std::string& report_url);
  // Marks the content with this hash as delivered downstream.
  Status MarkDelivered(const std::string& url, const std::string& sha256);
  Result<int64_t> CountUrls(const std::string& kind);
  // When a source is next due (unix seconds), as its last pass planned; nullopt if never.
  Result<std::optional<int64_t>> GetSourceDue(const std::string& source);
  Status PutSourceDue(const std::string& source, int64_t next_due);

  const std::string& path() const { return path_; }

 private:
  StateStore(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  Status Exec(const char* sql);
  Status Error(const std::string& what) const;

  sqlite3* db_;
  std::string path_;
};

}  // namespace nianbao::crawler
