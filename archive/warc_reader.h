// Reading WARC files back (WARC/1.0 and 1.1, ISO 28500): nianbao's own archive, or any
// standard WARC of report pages (wget's --warc-file, Heritrix, warcio, another crawler), for
// `nianbao reparse` and the tests.
//
//   file ──► gzip member by member (or plain records) ──► WarcRecord (header fields + block)
//                                                      ──► ParseHttpResponse(block)
//
// Damage is reported, never fatal for the rest of the file: every error names the file and
// the byte offset (in the file as stored) of the damaged spot, and the next Next() goes on
// with the next record it can read:
//   - a gzip member that is corrupt: the reader looks for the next gzip member that holds a
//     WARC record and continues there;
//   - a record whose Content-Length lies (runs past its gzip member, or does not end in
//     CRLF CRLF where it says): that record is skipped;
//   - a file cut inside its last record (a crash, a copy in progress): the error, then the end;
//   - a file that is not WARC at all: one error at offset 0, then the end.
//
// Bounded memory: one record at a time, and a record's block is refused past
// max_record_bytes (its gzip member is still read through, to find the next one).
// Revisit records are returned as they are; following them to the stored payload is the
// caller's (ReadAt() reads the record a WARC-Refers-To names, by offset).
//
// Reads files only; no other I/O, no logging. Ownership: a reader owns its open file.
// Threading: one reader per thread; readers of the same file are independent.
#pragma once

#include <cstdint>
#include <cstdio>
#include <deque>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace nianbao::archive {

using WarcFields = std::vector<std::pair<std::string, std::string>>;

struct WarcRecord {
  std::string version;  // "WARC/1.1"
  WarcFields fields;    // the header fields as written, in order
  std::string block;    // Content-Length bytes
  std::string file;     // the path the record was read from
  int64_t offset = 0;   // of its gzip member (or of the record in an uncompressed file)

  // The value of a header field (names compare case-insensitively); "" when absent.
  std::string_view Field(std::string_view name) const;
  std::string_view type() const { return Field("WARC-Type"); }
  std::string_view record_id() const { return Field("WARC-Record-ID"); }
  std::string_view date() const { return Field("WARC-Date"); }
  std::string_view target_uri() const;  // without the <> some writers put around it
};

struct WarcReaderOptions {
  // A record whose block is larger is refused (an error naming it) and skipped. Default:
  // 64 MiB, four times the parser's own limit.
  int64_t max_record_bytes = 64ll << 20;
};

class WarcReader {
 public:
  // Opens the file. IoError (naming it) when it cannot be opened.
  static Result<std::unique_ptr<WarcReader>> Open(const std::string& path,
                                                  WarcReaderOptions options = {});
  ~WarcReader();
  WarcReader(const WarcReader&) = delete;
  WarcReader& operator=(const WarcReader&) = delete;

  // The next record into *record: true; false at the end of the file. An error
  // ("PATH: offset N: what") reports a damaged spot; call Next() again to go on.
  Result<bool> Next(WarcRecord* record);

  // The one record at `offset` of `path` (an offset from WarcRecord::offset, or from a
  // record's source.archive).
  static Result<WarcRecord> ReadAt(const std::string& path, int64_t offset,
                                   WarcReaderOptions options = {});

 private:
  WarcReader(std::string path, std::FILE* file, WarcReaderOptions options)
      : path_(std::move(path)), file_(file), options_(options) {}
  Status Error(int64_t offset, const std::string& what) const;
  Result<bool> NextGzip(WarcRecord* record);
  Result<bool> NextPlain(WarcRecord* record);
  // Parses the records of one decompressed gzip member into pending_.
  Status SplitMember(std::string_view data, int64_t offset);
  bool FindGzipMagic(int64_t from, int64_t* at);  // the next 1f 8b 08 at or after `from`

  std::string path_;
  std::FILE* file_ = nullptr;
  WarcReaderOptions options_;
  bool started_ = false;  // the format (gzip or not) is known
  bool gzip_ = false;
  bool done_ = false;
  bool resyncing_ = false;  // after a corrupt member: skipping to one that reads
  bool any_record_ = false;
  int64_t pos_ = 0;  // where the next member or record starts
  std::deque<WarcRecord> pending_;
};

// An HTTP response as a WARC response or revisit block holds it.
struct HttpResponse {
  int status = 0;           // 200
  std::string status_line;  // "HTTP/1.1 200 OK"
  WarcFields headers;       // as written
  std::string_view body;    // into the block: the bytes after the head (empty in a revisit)

  std::string_view Header(std::string_view name) const;  // case-insensitive; "" when absent
};

// The status line, headers and body of `block`. InvalidArgument when it is not an HTTP
// response. The result points into `block`.
Result<HttpResponse> ParseHttpResponse(std::string_view block);

// The body with its transfer coding (chunked) and content coding (gzip, deflate) removed, as
// other crawlers store it on the wire; nianbao's own records store it decoded already. At most
// `max_bytes` of output.
Result<std::string> DecodedBody(const HttpResponse& response, int64_t max_bytes);

}  // namespace nianbao::archive
