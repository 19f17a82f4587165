// The archive: what was fetched, kept as WARC/1.1 (ISO 28500), the format every web-archive
// tool reads (pywb, warcio, Heritrix, wget), so that a report can be shown, a finding checked
// against its bytes and a newer parser run over last year's pages.
//
//   nianbao-20261205T080000Z-00001.warc.gz.open   the file being written
//     warcinfo                                    nianbao's version, the sources file
//     request  + response                         a fetch: the request head as sent; the
//                                                 status line, headers and body received
//     request  + revisit                          the same payload again (no second copy)
//   ─ full (max_file_bytes) or Close() ─► fsync, renamed to nianbao-…-00001.warc.gz
//
// Every record is a gzip member of its own, so a reader can seek to a record's offset, and a
// crash leaves at most the .open file, whose complete records stay readable: Open() cuts a
// leftover .open file after its last complete member and renames it.
//
// The body is stored as the crawler received it after content decoding (libcurl removes
// gzip/br): the response head says so, with Content-Encoding and Transfer-Encoding dropped
// and Content-Length set to the stored body's length, and WARC-Payload-Digest is the SHA-256
// of that body.
//
// Ownership: one writer per process, owned by the daemon. Threading: Write() and Close() may
// be called from any thread; a mutex serialises them (records are appended in call order).
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace nianbao::archive {

struct WarcSettings {
  std::string dir;                     // created when missing
  int64_t max_file_bytes = 1ll << 30;  // a file is closed once it is this large
  std::string software = "nianbao";    // warcinfo's `software`
  std::string sources_file;            // named in warcinfo
  // Retention (0: off). Closed files are removed, oldest first, while the archive is larger
  // than max_total_bytes, and once their last write is older than max_age. A file is read
  // before it goes: the newest record of each URL in it that this writer has written no
  // copy of since it opened is written again (in full) into the current file, so that no
  // page loses its last copy. With retention on, each file is self-contained (a revisit only
  // points into its own file), so that removing a whole file never leaves a revisit without
  // its payload.
  int64_t max_total_bytes = 0;
  std::chrono::seconds max_age{0};
  // The parser that reads the pages as they are written (parser/version.h), named in
  // warcinfo as `nianbao-parser-version`: what `nianbao reparse` calls the previous parser.
  std::string parser_version;
};

// One fetch, as it went over the wire.
struct WarcExchange {
  std::string target_uri;
  std::chrono::system_clock::time_point date;
  std::string ip;           // the server's address, "" when unknown
  std::string request;      // the request head: request line and headers, ending in CRLF CRLF
  std::string status_line;  // "HTTP/1.1 200 OK"
  std::vector<std::pair<std::string, std::string>> headers;  // as received
  std::string_view body;       // as delivered (content coding removed)
  std::string payload_sha256;  // lower-case hex SHA-256 of body; "" and it is computed
};

// Where a response (or revisit) record is: the file it will have once closed, and the offset
// of its gzip member.
struct WarcLocation {
  std::string file;
  int64_t offset = 0;
  bool revisit = false;
};

// What a writer did since it was opened (for /metrics).
struct WarcStats {
  int64_t bytes_written = 0;    // gzip bytes appended to archive files
  int64_t responses = 0;        // response records (a payload kept)
  int64_t revisits = 0;         // revisit records (a payload kept before)
  int64_t files_closed = 0;     // files closed and renamed (full, or Close())
  int64_t write_errors = 0;     // Write() or Close() calls that failed
  int64_t files_removed = 0;    // by retention
  int64_t records_carried = 0;  // by retention: a page's last copy written again
  int64_t retention_errors = 0;
};

class WarcWriter {
 public:
  static Result<std::unique_ptr<WarcWriter>> Open(WarcSettings settings);
  ~WarcWriter();
  WarcWriter(const WarcWriter&) = delete;
  WarcWriter& operator=(const WarcWriter&) = delete;

  // Appends the request and the response record (a revisit record when the payload was
  // written before by this writer). An error names the file; the record is then not in it.
  Result<WarcLocation> Write(const WarcExchange& exchange);
  // Closes and renames the file being written (if any). Write() after Close() opens a new one.
  Status Close();

  // Leftover .open files in `dir` (a crash): each is cut after its last complete gzip member
  // and renamed. Returns how many were recovered. Run by Open().
  static Result<int> Recover(const std::string& dir);

  WarcStats stats() const;

 private:
  explicit WarcWriter(WarcSettings settings) : settings_(std::move(settings)) {}
  Status StartFile();                                                         // REQUIRES: mu_ held
  Status FinishFile();                                                        // REQUIRES: mu_ held
  Result<int64_t> Append(const std::string& header, std::string_view block);  // mu_ held
  Result<WarcLocation> WriteLocked(const WarcExchange& exchange);             // mu_ held
  bool retention() const { return settings_.max_total_bytes > 0 || settings_.max_age.count() > 0; }
  Status Prune();                                // REQUIRES: mu_ held, a file open
  Status CarryForward(const std::string& path);  // REQUIRES: mu_ held, a file open

  WarcSettings settings_;
  mutable std::mutex mu_;
  WarcStats stats_;  // GUARDED_BY(mu_)
  std::FILE* file_ = nullptr;
  std::string name_;  // without ".open"
  int64_t size_ = 0;
  int serial_ = 0;
  struct Original {
    std::string uri, date, record_id;
  };
  std::map<std::string, Original> payloads_;   // payload SHA-256 -> its response record
  std::map<std::string, std::string> newest_;  // target URI -> the file of its latest record
};

}  // namespace nianbao::archive
