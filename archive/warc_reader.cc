#include "archive/warc_reader.h"

#include <sys/stat.h>
#include <zlib.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <vector>

namespace nianbao::archive {
namespace {

constexpr size_t kChunk = 1 << 16;
// A record head (the WARC header fields) longer than this is not a head.
constexpr size_t kMaxHead = 1 << 20;

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) {
    s.remove_suffix(1);
  }
  return s;
}

std::string_view Lookup(const WarcFields& fields, std::string_view name) {
  for (const auto& [n, v] : fields) {
    if (EqualsIgnoreCase(n, name)) return v;
  }
  return {};
}

// "Name: value" lines (a line starting with a space or tab continues the one before).
void ParseFields(std::string_view text, WarcFields* fields) {
  while (!text.empty()) {
    size_t eol = text.find('\n');
    std::string_view line = text.substr(0, eol);
    text = eol == std::string_view::npos ? std::string_view() : text.substr(eol + 1);
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    if ((line.front() == ' ' || line.front() == '\t') && !fields->empty()) {
      fields->back().second += " " + std::string(Trim(line));
      continue;
    }
    size_t colon = line.find(':');
    if (colon == std::string_view::npos) continue;
    fields->emplace_back(std::string(Trim(line.substr(0, colon))),
                         std::string(Trim(line.substr(colon + 1))));
  }
}

bool ParseLength(std::string_view text, int64_t* out) {
  if (text.empty() || text.size() > 18) return false;
  int64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  *out = n;
  return true;
}

// The head of a record (version line and fields, without the blank line) into `rec`, and its
// Content-Length. "" when it reads, else what is wrong.
std::string ParseHead(std::string_view head, WarcRecord* rec, int64_t* length) {
  size_t eol = head.find("\r\n");
  std::string_view version = head.substr(0, eol);
  if (version.substr(0, 5) != "WARC/") return "not a WARC record (no WARC/ version line)";
  rec->version = std::string(version);
  ParseFields(eol == std::string_view::npos ? std::string_view() : head.substr(eol + 2),
              &rec->fields);
  if (!ParseLength(Lookup(rec->fields, "Content-Length"), length)) {
    return "record without a valid Content-Length";
  }
  return "";
}

struct Member {
  enum Kind { kOk, kTruncated, kCorrupt } kind = kOk;
  std::string data;
  bool too_large = false;
  int64_t consumed = 0;
  std::string error;
};

// Inflates the gzip member at the reader's current file position; at most `cap` bytes of it
// are kept (the rest is read through, so that the member's end is known).
Member InflateMember(std::FILE* file, int64_t cap) {
  Member m;
  z_stream z{};
  if (inflateInit2(&z, 15 + 16) != Z_OK) {
    m.kind = Member::kCorrupt;
    m.error = "inflateInit2 failed";
    return m;
  }
  std::vector<unsigned char> in(kChunk), out(kChunk);
  int rc = Z_OK;
  while (true) {
    if (z.avail_in == 0) {
      size_t n = std::fread(in.data(), 1, in.size(), file);
      if (n == 0) {
        m.kind = Member::kTruncated;
        break;
      }
      z.next_in = in.data();
      z.avail_in = static_cast<uInt>(n);
    }
    z.next_out = out.data();
    z.avail_out = static_cast<uInt>(out.size());
    rc = inflate(&z, Z_NO_FLUSH);
    size_t produced = out.size() - z.avail_out;
    if (!m.too_large) {
      if (static_cast<int64_t>(m.data.size() + produced) > cap) {
        m.too_large = true;
        m.data.clear();
        m.data.shrink_to_fit();
      } else {
        m.data.append(reinterpret_cast<const char*>(out.data()), produced);
      }
    }
    if (rc == Z_STREAM_END) break;
    if (rc == Z_BUF_ERROR && z.avail_in == 0) continue;  // needs more input
    if (rc != Z_OK) {
      m.kind = Member::kCorrupt;
      m.error = z.msg != nullptr ? z.msg : "inflate error " + std::to_string(rc);
      break;
    }
  }
  m.consumed = static_cast<int64_t>(z.total_in);
  (void)inflateEnd(&z);
  return m;
}

int64_t FileSize(std::FILE* file) {
  struct stat st {};
  if (fstat(fileno(file), &st) != 0) return -1;
  return static_cast<int64_t>(st.st_size);
}

}  // namespace

std::string_view WarcRecord::Field(std::string_view name) const { return Lookup(fields, name); }

std::string_view WarcRecord::target_uri() const {
  std::string_view uri = Field("WARC-Target-URI");
  if (uri.size() >= 2 && uri.front() == '<' && uri.back() == '>') {
    uri = uri.substr(1, uri.size() - 2);
  }
  return uri;
}

Result<std::unique_ptr<WarcReader>> WarcReader::Open(const std::string& path,
                                                     WarcReaderOptions options) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return Status::IoError(path + ": " + std::strerror(errno));
  return std::unique_ptr<WarcReader>(new WarcReader(path, f, options));
}

WarcReader::~WarcReader() {
  if (file_ != nullptr) (void)std::fclose(file_);
}

Status WarcReader::Error(int64_t offset, const std::string& what) const {
  return Status::Corruption(path_ + ": offset " + std::to_string(offset) + ": " + what);
}

Result<bool> WarcReader::Next(WarcRecord* record) {
  if (!started_) {
    started_ = true;
    unsigned char magic[2] = {0, 0};
    if (std::fseek(file_, static_cast<long>(pos_), SEEK_SET) != 0) {
      done_ = true;
      return Status::IoError(path_ + ": " + std::strerror(errno));
    }
    size_t n = std::fread(magic, 1, 2, file_);
    gzip_ = n == 2 && magic[0] == 0x1f && magic[1] == 0x8b;
  }
  return gzip_ ? NextGzip(record) : NextPlain(record);
}

bool WarcReader::FindGzipMagic(int64_t from, int64_t* at) {
  if (std::fseek(file_, static_cast<long>(from), SEEK_SET) != 0) return false;
  std::vector<unsigned char> buf(kChunk);
  int64_t base = from;
  size_t keep = 0;  // bytes carried over from the chunk before (a magic split across chunks)
  while (true) {
    size_t n = std::fread(buf.data() + keep, 1, buf.size() - keep, file_);
    if (n == 0) return false;
    size_t len = keep + n;
    for (size_t i = 0; i + 2 < len; ++i) {
      if (buf[i] == 0x1f && buf[i + 1] == 0x8b && buf[i + 2] == 0x08) {
        *at = base + static_cast<int64_t>(i);
        return true;
      }
    }
    keep = std::min<size_t>(2, len);
    std::memmove(buf.data(), buf.data() + len - keep, keep);
    base += static_cast<int64_t>(len - keep);
  }
}

Status WarcReader::SplitMember(std::string_view data, int64_t offset) {
  size_t p = 0;
  while (true) {
    while (p < data.size() && (data[p] == '\r' || data[p] == '\n')) ++p;
    if (p >= data.size()) return Status::Ok();
    size_t head_end = data.find("\r\n\r\n", p);
    if (head_end == std::string_view::npos) {
      return Error(offset, data.substr(p, 5) == "WARC/" ? "record head without its end"
                                                        : "not a WARC record (no WARC/ line)");
    }
    WarcRecord rec;
    int64_t length = 0;
    std::string bad = ParseHead(data.substr(p, head_end - p), &rec, &length);
    if (!bad.empty()) return Error(offset, bad);
    size_t start = head_end + 4;
    if (length > static_cast<int64_t>(data.size() - start)) {
      return Error(offset, "Content-Length " + std::to_string(length) +
                               " runs past the end of the record (" +
                               std::to_string(data.size() - start) + " bytes follow its head)");
    }
    size_t end = start + static_cast<size_t>(length);
    if (data.substr(end, 4) != "\r\n\r\n") {
      return Error(offset, "the record does not end where its Content-Length (" +
                               std::to_string(length) + ") says");
    }
    rec.block = std::string(data.substr(start, static_cast<size_t>(length)));
    rec.file = path_;
    rec.offset = offset;
    pending_.push_back(std::move(rec));
    any_record_ = true;
    p = end + 4;
  }
}

Result<bool> WarcReader::NextGzip(WarcRecord* record) {
  const int64_t size = FileSize(file_);
  while (true) {
    if (!pending_.empty()) {
      *record = std::move(pending_.front());
      pending_.pop_front();
      return true;
    }
    if (done_) return false;
    if (resyncing_) {
      int64_t at = 0;
      if (!FindGzipMagic(pos_, &at)) {
        done_ = true;
        return false;
      }
      pos_ = at;
    }
    if (pos_ >= size) {
      done_ = true;
      return false;
    }
    const int64_t start = pos_;
    if (std::fseek(file_, static_cast<long>(start), SEEK_SET) != 0) {
      done_ = true;
      return Status::IoError(path_ + ": " + std::strerror(errno));
    }
    Member m = InflateMember(file_, options_.max_record_bytes + static_cast<int64_t>(kMaxHead));
    if (m.kind != Member::kOk) {
      if (resyncing_) {
        pos_ = start + 1;  // not the start of a member after all: look further
        continue;
      }
      if (m.kind == Member::kTruncated) {
        done_ = true;
        return Error(start, "the file ends inside this gzip member (a record cut short)");
      }
      resyncing_ = true;
      pos_ = start + 1;
      return Error(start, "corrupt gzip data (" + m.error + "); reading on at the next record");
    }
    const bool was_resyncing = resyncing_;
    resyncing_ = false;
    pos_ = start + m.consumed;
    if (m.too_large) {
      return Error(start,
                   "record over " + std::to_string(options_.max_record_bytes) + " bytes, skipped");
    }
    if (was_resyncing && m.data.substr(0, 5) != "WARC/") {
      // Bytes that looked like a gzip member inside a damaged one: keep looking.
      resyncing_ = true;
      pos_ = start + 1;
      continue;
    }
    const bool first = !any_record_ && start == 0;
    Status s = SplitMember(m.data, start);
    if (!s.ok()) {
      if (first && m.data.substr(0, 5) != "WARC/") {
        done_ = true;
        return Error(0, "not a WARC file (gzip data that does not start with a WARC record)");
      }
      return s;
    }
  }
}

Result<bool> WarcReader::NextPlain(WarcRecord* record) {
  if (done_) return false;
  if (std::fseek(file_, static_cast<long>(pos_), SEEK_SET) != 0) {
    done_ = true;
    return Status::IoError(path_ + ": " + std::strerror(errno));
  }
  // The head: read in chunks up to its blank line.
  std::string buf;
  size_t head_end = std::string::npos;
  size_t skip = 0;
  while (head_end == std::string::npos && buf.size() < kMaxHead) {
    char chunk[4096];
    size_t n = std::fread(chunk, 1, sizeof chunk, file_);
    if (n == 0) break;
    buf.append(chunk, n);
    while (skip < buf.size() && (buf[skip] == '\r' || buf[skip] == '\n')) ++skip;
    if (skip < buf.size()) head_end = buf.find("\r\n\r\n", skip);
  }
  if (skip >= buf.size()) {
    done_ = true;
    return false;  // only line ends left: the end
  }
  const int64_t start = pos_ + static_cast<int64_t>(skip);
  const bool first = !any_record_ && pos_ == 0;
  if (buf.compare(skip, 5, "WARC/") != 0) {
    done_ = true;
    return Error(start, first ? "not a WARC file (no WARC/ version line)"
                              : "not a WARC record (no WARC/ version line); the rest is not read");
  }
  if (head_end == std::string::npos) {
    done_ = true;
    return Error(start, "the file ends inside this record's head");
  }
  WarcRecord rec;
  int64_t length = 0;
  std::string bad = ParseHead(std::string_view(buf).substr(skip, head_end - skip), &rec, &length);
  if (!bad.empty()) {
    done_ = true;
    return Error(start, bad + "; the rest is not read");
  }
  if (length > options_.max_record_bytes) {
    done_ = true;
    return Error(start, "record over " + std::to_string(options_.max_record_bytes) +
                            " bytes; the rest is not read");
  }
  const int64_t block_at = pos_ + static_cast<int64_t>(head_end + 4);
  if (std::fseek(file_, static_cast<long>(block_at), SEEK_SET) != 0) {
    done_ = true;
    return Status::IoError(path_ + ": " + std::strerror(errno));
  }
  rec.block.resize(static_cast<size_t>(length));
  char tail[4] = {0, 0, 0, 0};
  if (std::fread(rec.block.data(), 1, rec.block.size(), file_) != rec.block.size()) {
    done_ = true;
    return Error(start, "Content-Length " + std::to_string(length) +
                            " runs past the end of the file (a record cut short)");
  }
  size_t got_tail = std::fread(tail, 1, 4, file_);
  pos_ = block_at + length + static_cast<int64_t>(got_tail);
  if (got_tail != 4 || std::memcmp(tail, "\r\n\r\n", 4) != 0) {
    // The length lies: the next record is found by its version line.
    pos_ = block_at;
    std::string window;
    int64_t window_at = block_at;
    bool found = false;
    if (std::fseek(file_, static_cast<long>(block_at), SEEK_SET) == 0) {
      char chunk[4096];
      size_t n = 0;
      while (!found && (n = std::fread(chunk, 1, sizeof chunk, file_)) > 0) {
        window.append(chunk, n);
        size_t at = window.find("\nWARC/");
        if (at != std::string::npos) {
          pos_ = window_at + static_cast<int64_t>(at) + 1;
          found = true;
        } else if (window.size() > 8) {
          window_at += static_cast<int64_t>(window.size() - 8);
          window.erase(0, window.size() - 8);
        }
      }
    }
    if (!found) done_ = true;
    return Error(start, "the record does not end where its Content-Length (" +
                            std::to_string(length) + ") says");
  }
  rec.file = path_;
  rec.offset = start;
  any_record_ = true;
  *record = std::move(rec);
  return true;
}

Result<WarcRecord> WarcReader::ReadAt(const std::string& path, int64_t offset,
                                      WarcReaderOptions options) {
  auto reader = Open(path, options);
  if (!reader.ok()) return reader.status();
  WarcReader& r = *reader.value();
  r.pos_ = offset;
  r.any_record_ = true;  // not the start of the file: no "not a WARC file"
  WarcRecord rec;
  auto got = r.Next(&rec);
  if (!got.ok()) return got.status();
  if (!got.value()) return r.Error(offset, "no record here (the end of the file)");
  return rec;
}

std::string_view HttpResponse::Header(std::string_view name) const { return Lookup(headers, name); }

Result<HttpResponse> ParseHttpResponse(std::string_view block) {
  HttpResponse r;
  size_t head_end = block.find("\r\n\r\n");
  size_t sep = 4;
  if (head_end == std::string_view::npos) {
    head_end = block.find("\n\n");
    sep = 2;
  }
  std::string_view head = block.substr(0, head_end);
  size_t eol = head.find('\n');
  std::string_view line = head.substr(0, eol);
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.substr(0, 5) != "HTTP/") return Status::InvalidArgument("not an HTTP response");
  r.status_line = std::string(line);
  size_t sp = line.find(' ');
  if (sp == std::string_view::npos || line.size() < sp + 4) {
    return Status::InvalidArgument("HTTP status line without a status: " + r.status_line);
  }
  r.status = 0;
  for (char c : line.substr(sp + 1, 3)) {
    if (c < '0' || c > '9') {
      return Status::InvalidArgument("HTTP status line without a status: " + r.status_line);
    }
    r.status = r.status * 10 + (c - '0');
  }
  if (eol != std::string_view::npos) ParseFields(head.substr(eol + 1), &r.headers);
  r.body = head_end == std::string_view::npos ? std::string_view() : block.substr(head_end + sep);
  return r;
}

namespace {

Result<std::string> Dechunk(std::string_view in, int64_t max_bytes) {
  std::string out;
  while (true) {
    size_t eol = in.find("\r\n");
    if (eol == std::string_view::npos) return Status::Corruption("chunked body without an end");
    std::string_view size_text = in.substr(0, eol);
    size_t semi = size_text.find(';');
    if (semi != std::string_view::npos) size_text = size_text.substr(0, semi);
    size_text = Trim(size_text);
    if (size_text.empty() || size_text.size() > 15) {
      return Status::Corruption("chunked body with a bad chunk size");
    }
    int64_t n = 0;
    for (char c : size_text) {
      int d = std::isxdigit(static_cast<unsigned char>(c))
                  ? (std::isdigit(static_cast<unsigned char>(c)) ? c - '0' : (c | 0x20) - 'a' + 10)
                  : -1;
      if (d < 0) return Status::Corruption("chunked body with a bad chunk size");
      n = n * 16 + d;
    }
    in.remove_prefix(eol + 2);
    if (n == 0) return out;
    if (n > static_cast<int64_t>(in.size())) return Status::Corruption("chunked body cut short");
    if (static_cast<int64_t>(out.size()) + n > max_bytes) {
      return Status::TooLarge("body over " + std::to_string(max_bytes) + " bytes");
    }
    out.append(in.substr(0, static_cast<size_t>(n)));
    in.remove_prefix(static_cast<size_t>(n));
    if (in.substr(0, 2) == "\r\n") in.remove_prefix(2);
  }
}

Result<std::string> Inflate(std::string_view in, bool gzip, int64_t max_bytes) {
  z_stream z{};
  // gzip: 15 + 16; deflate: zlib-wrapped (15), as most servers send it.
  if (inflateInit2(&z, gzip ? 15 + 16 : 15) != Z_OK) return Status::Internal("inflateInit2");
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  z.avail_in = static_cast<uInt>(in.size());
  std::string out;
  std::vector<unsigned char> buf(kChunk);
  int rc = Z_OK;
  while (rc == Z_OK) {
    z.next_out = buf.data();
    z.avail_out = static_cast<uInt>(buf.size());
    rc = inflate(&z, Z_NO_FLUSH);
    out.append(reinterpret_cast<const char*>(buf.data()), buf.size() - z.avail_out);
    if (static_cast<int64_t>(out.size()) > max_bytes) rc = Z_MEM_ERROR;
  }
  (void)inflateEnd(&z);
  if (rc == Z_MEM_ERROR) return Status::TooLarge("body over " + std::to_string(max_bytes));
  if (rc != Z_STREAM_END)
    return Status::Corruption("body: bad " + std::string(gzip ? "gzip" : "deflate"));
  return out;
}

}  // namespace

Result<std::string> DecodedBody(const HttpResponse& response, int64_t max_bytes) {
  std::string body;
  std::string_view te = response.Header("Transfer-Encoding");
  if (te.find("chunked") != std::string_view::npos) {
    auto d = Dechunk(response.body, max_bytes);
    if (!d.ok()) return d.status();
    body = std::move(d).value();
  } else {
    if (static_cast<int64_t>(response.body.size()) > max_bytes) {
      return Status::TooLarge("body over " + std::to_string(max_bytes) + " bytes");
    }
    body = std::string(response.body);
  }
  std::string_view ce = Trim(response.Header("Content-Encoding"));
  if (EqualsIgnoreCase(ce, "gzip") || EqualsIgnoreCase(ce, "x-gzip")) {
    return Inflate(body, true, max_bytes);
  }
  if (EqualsIgnoreCase(ce, "deflate")) return Inflate(body, false, max_bytes);
  return body;
}

}  // namespace nianbao::archive
