#include "archive/warc_writer.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

#include "archive/warc_reader.h"

namespace nianbao::archive {
namespace {

constexpr std::string_view kOpenSuffix = ".open";

std::string Errno(const std::string& what) { return what + ": " + std::strerror(errno); }

std::string Sha256Hex(std::string_view bytes) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_Digest(bytes.data(), bytes.size(), md, &len, EVP_sha256(), nullptr) != 1) return "";
  static const char* kHex = "0123456789abcdef";
  std::string out;
  for (unsigned int i = 0; i < len; ++i) {
    out += kHex[md[i] >> 4];
    out += kHex[md[i] & 15];
  }
  return out;
}

// "2026-12-05T08:00:00Z" (WARC-Date), or "20261205T080000Z" (file names) when compact.
std::string UtcStamp(std::chrono::system_clock::time_point t, bool compact) {
  std::time_t tt = std::chrono::system_clock::to_time_t(t);
  std::tm utc{};
  gmtime_r(&tt, &utc);
  char buf[32];
  std::strftime(buf, sizeof buf, compact ? "%Y%m%dT%H%M%SZ" : "%Y-%m-%dT%H:%M:%SZ", &utc);
  return buf;
}

// <urn:uuid:…>, a random (version 4) UUID.
Result<std::string> RecordId() {
  unsigned char b[16];
  if (RAND_bytes(b, sizeof b) != 1) return Status::Internal("no random bytes for a record id");
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x40);
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);
  char s[64];
  std::snprintf(s, sizeof s,
                "<urn:uuid:%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x>",
                b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                b[13], b[14], b[15]);
  return std::string(s);
}

// One gzip member holding `data`.
Result<std::string> Gzip(std::string_view data) {
  z_stream z{};
  if (deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) {
    return Status::Internal("deflateInit2 failed");
  }
  std::string out;
  out.resize(deflateBound(&z, data.size()) + 64);
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  int rc = deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  (void)deflateEnd(&z);
  if (rc != Z_STREAM_END) return Status::Internal("deflate did not finish");
  return out;
}

// The response head as stored: the body is stored decoded, so the framing headers that
// described the bytes on the wire are replaced by the stored body's length.
std::string ResponseHead(const WarcExchange& e) {
  std::string head = e.status_line + "\r\n";
  for (const auto& [name, value] : e.headers) {
    if (name == "content-encoding" || name == "transfer-encoding" || name == "content-length") {
      continue;
    }
    head += name + ": " + value + "\r\n";
  }
  head += "content-length: " + std::to_string(e.body.size()) + "\r\n\r\n";
  return head;
}

std::string Field(std::string_view name, std::string_view value) {
  return std::string(name) + ": " + std::string(value) + "\r\n";
}

// The offset just past the last complete gzip member of `bytes`.
size_t CompleteMembers(const std::string& bytes) {
  size_t good = 0, pos = 0;
  std::vector<unsigned char> sink(1 << 16);
  while (pos < bytes.size()) {
    z_stream z{};
    if (inflateInit2(&z, 15 + 16) != Z_OK) break;
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + pos));
    z.avail_in = static_cast<uInt>(bytes.size() - pos);
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = sink.data();
      z.avail_out = static_cast<uInt>(sink.size());
      rc = inflate(&z, Z_NO_FLUSH);
    }
    size_t used = z.total_in;
    (void)inflateEnd(&z);
    if (rc != Z_STREAM_END) break;
    pos += used;
    good = pos;
  }
  return good;
}

}  // namespace

Result<std::unique_ptr<WarcWriter>> WarcWriter::Open(WarcSettings settings) {
  std::error_code ec;
  std::filesystem::create_directories(settings.dir, ec);
  if (ec) {
    return Status::IoError("cannot create archive directory " + settings.dir + ": " + ec.message());
  }
  if (::access(settings.dir.c_str(), W_OK | X_OK) != 0) {
    return Status::IoError(Errno("archive directory " + settings.dir + " is not writable"));
  }
  auto recovered = Recover(settings.dir);
  if (!recovered.ok()) return recovered.status();
  if (settings.max_file_bytes <= 0) settings.max_file_bytes = 1;
  return std::unique_ptr<WarcWriter>(new WarcWriter(std::move(settings)));
}

WarcWriter::~WarcWriter() { (void)Close(); }

Result<int> WarcWriter::Recover(const std::string& dir) {
  int n = 0;
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
    std::string path = entry.path().string();
    if (path.size() <= kOpenSuffix.size() ||
        path.compare(path.size() - kOpenSuffix.size(), kOpenSuffix.size(), kOpenSuffix) != 0) {
      continue;
    }
    std::ifstream in(path, std::ios::binary);
    std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (!in.good() && !in.eof()) return Status::IoError(Errno("cannot read " + path));
    size_t keep = CompleteMembers(bytes);
    if (keep < bytes.size() && ::truncate(path.c_str(), static_cast<off_t>(keep)) != 0) {
      return Status::IoError(Errno("cannot cut the incomplete record off " + path));
    }
    std::string final_path = path.substr(0, path.size() - kOpenSuffix.size());
    if (std::rename(path.c_str(), final_path.c_str()) != 0) {
      return Status::IoError(Errno("cannot rename " + path));
    }
    ++n;
  }
  if (ec) return Status::IoError("cannot list archive directory " + dir + ": " + ec.message());
  return n;
}

Status WarcWriter::StartFile() {
  auto now = std::chrono::system_clock::now();
  // nianbao-<UTC time>-<serial>: a name taken (a restart within the second) takes the next
  // serial; "x" never opens an existing file.
  std::string path;
  for (int tries = 0; file_ == nullptr && tries < 1000; ++tries) {
    char serial[16];
    std::snprintf(serial, sizeof serial, "%05d", ++serial_);
    name_ = "nianbao-" + UtcStamp(now, true) + "-" + serial + ".warc.gz";
    path = settings_.dir + "/" + name_ + std::string(kOpenSuffix);
    // A closed file of that name (an earlier run within the same second) is taken too: the
    // rename at close would replace it.
    if (std::filesystem::exists(settings_.dir + "/" + name_)) continue;
    file_ = std::fopen(path.c_str(), "wbx");
    if (file_ == nullptr && errno != EEXIST) break;
  }
  if (file_ == nullptr) return Status::IoError(Errno("cannot create " + path));
  size_ = 0;
  if (retention()) payloads_.clear();  // each file self-contained: see WarcSettings
  auto id = RecordId();
  if (!id.ok()) return id.status();
  std::string fields = "software: " + settings_.software +
                       "\r\nformat: WARC File Format 1.1\r\n"
                       "conformsTo: http://iipc.github.io/warc-specifications/specifications/"
                       "warc-format/warc-1.1/\r\n";
  if (!settings_.sources_file.empty()) fields += "sources: " + settings_.sources_file + "\r\n";
  if (!settings_.parser_version.empty()) {
    fields += "nianbao-parser-version: " + settings_.parser_version + "\r\n";
  }
  std::string header = "WARC/1.1\r\n" + Field("WARC-Type", "warcinfo") +
                       Field("WARC-Record-ID", id.value()) +
                       Field("WARC-Date", UtcStamp(now, false)) + Field("WARC-Filename", name_) +
                       Field("Content-Type", "application/warc-fields");
  auto at = Append(header, fields);
  return at.ok() ? Status::Ok() : at.status();
}

Status WarcWriter::FinishFile() {
  if (file_ == nullptr) return Status::Ok();
  std::string open_path = settings_.dir + "/" + name_ + std::string(kOpenSuffix);
  bool ok = std::fflush(file_) == 0 && ::fsync(fileno(file_)) == 0;
  std::string err = ok ? "" : Errno("cannot write " + open_path);
  if (std::fclose(file_) != 0 && ok) {
    ok = false;
    err = Errno("cannot close " + open_path);
  }
  file_ = nullptr;
  if (!ok) return Status::IoError(err);
  std::string path = settings_.dir + "/" + name_;
  if (std::rename(open_path.c_str(), path.c_str()) != 0) {
    return Status::IoError(Errno("cannot rename " + open_path));
  }
  ++stats_.files_closed;
  return Status::Ok();
}

Result<int64_t> WarcWriter::Append(const std::string& header, std::string_view block) {
  std::string record = header + "Content-Length: " + std::to_string(block.size()) + "\r\n\r\n";
  record.append(block);
  record += "\r\n\r\n";
  auto gz = Gzip(record);
  if (!gz.ok()) return gz.status();
  int64_t offset = size_;
  const std::string& bytes = gz.value();
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
      std::fflush(file_) != 0) {
    int saved = errno;
    // A partial member must not stay in front of the next record: cut the file back.
    (void)::ftruncate(fileno(file_), static_cast<off_t>(offset));
    (void)std::fseek(file_, static_cast<long>(offset), SEEK_SET);
    errno = saved;
    return Status::IoError(
        Errno("cannot write " + settings_.dir + "/" + name_ + std::string(kOpenSuffix)));
  }
  size_ += static_cast<int64_t>(bytes.size());
  stats_.bytes_written += static_cast<int64_t>(bytes.size());
  return offset;
}

Result<WarcLocation> WarcWriter::Write(const WarcExchange& e) {
  std::lock_guard<std::mutex> lock(mu_);
  auto where = WriteLocked(e);
  if (!where.ok()) {
    ++stats_.write_errors;
  } else {
    ++(where.value().revisit ? stats_.revisits : stats_.responses);
  }
  return where;
}

WarcStats WarcWriter::stats() const {
  std::lock_guard<std::mutex> lock(mu_);
  return stats_;
}

Result<WarcLocation> WarcWriter::WriteLocked(const WarcExchange& e) {
  if (file_ != nullptr && size_ >= settings_.max_file_bytes) {
    if (Status s = FinishFile(); !s.ok()) return s;
  }
  if (file_ == nullptr) {
    if (Status s = StartFile(); !s.ok()) return s;
    if (retention()) {
      // A failure to remove old files does not fail the page: it is counted, and the next
      // file tries again.
      if (Status s = Prune(); !s.ok()) ++stats_.retention_errors;
    }
  }
  std::string digest = e.payload_sha256.empty() ? Sha256Hex(e.body) : e.payload_sha256;
  std::string date = UtcStamp(e.date, false);
  auto response_id = RecordId();
  auto request_id = RecordId();
  if (!response_id.ok()) return response_id.status();
  if (!request_id.ok()) return request_id.status();
  std::string head = ResponseHead(e);
  WarcLocation where;
  where.file = name_;
  auto original = payloads_.find(digest);
  where.revisit = original != payloads_.end();
  std::string header = "WARC/1.1\r\n" + Field("WARC-Type", where.revisit ? "revisit" : "response") +
                       Field("WARC-Record-ID", response_id.value()) + Field("WARC-Date", date) +
                       Field("WARC-Target-URI", e.target_uri);
  if (!e.ip.empty()) header += Field("WARC-IP-Address", e.ip);
  header += Field("WARC-Payload-Digest", "sha256:" + digest);
  std::string block;
  if (where.revisit) {
    // The same payload as an earlier response: only the head is kept, and where the body is.
    header +=
        Field("WARC-Profile", "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest") +
        Field("WARC-Refers-To", original->second.record_id) +
        Field("WARC-Refers-To-Target-URI", original->second.uri) +
        Field("WARC-Refers-To-Date", original->second.date);
    block = head;
  } else {
    block = head;
    block.append(e.body);
  }
  header += Field("WARC-Block-Digest", "sha256:" + Sha256Hex(block)) +
            Field("Content-Type", "application/http; msgtype=response");
  auto at = Append(header, block);
  if (!at.ok()) return at.status();
  where.offset = at.value();
  if (!where.revisit) payloads_[digest] = Original{e.target_uri, date, response_id.value()};
  if (retention()) newest_[e.target_uri] = name_;
  if (!e.request.empty()) {
    std::string req = "WARC/1.1\r\n" + Field("WARC-Type", "request") +
                      Field("WARC-Record-ID", request_id.value()) + Field("WARC-Date", date) +
                      Field("WARC-Target-URI", e.target_uri) +
                      Field("WARC-Concurrent-To", response_id.value()) +
                      Field("WARC-Block-Digest", "sha256:" + Sha256Hex(e.request)) +
                      Field("Content-Type", "application/http; msgtype=request");
    auto r = Append(req, e.request);
    if (!r.ok()) return r.status();
  }
  return where;
}

Status WarcWriter::Prune() {
  namespace fs = std::filesystem;
  std::vector<fs::path> closed;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(settings_.dir, ec)) {
    std::string name = entry.path().filename().string();
    if (name.rfind("nianbao-", 0) == 0 && name.size() > 8 &&
        name.compare(name.size() - 8, 8, ".warc.gz") == 0 && name != name_) {
      closed.push_back(entry.path());
    }
  }
  if (ec) return Status::IoError("cannot list " + settings_.dir + ": " + ec.message());
  std::sort(closed.begin(), closed.end());  // nianbao's names sort by time: oldest first
  int64_t total = size_;
  for (const auto& f : closed) total += static_cast<int64_t>(fs::file_size(f, ec));
  const auto cutoff = fs::file_time_type::clock::now() - settings_.max_age;
  for (const auto& f : closed) {
    bool too_big = settings_.max_total_bytes > 0 && total > settings_.max_total_bytes;
    bool too_old = settings_.max_age.count() > 0 && fs::last_write_time(f, ec) < cutoff && !ec;
    if (!too_big && !too_old) break;  // the rest are newer
    int64_t size = static_cast<int64_t>(fs::file_size(f, ec));
    int64_t before = size_;
    if (Status s = CarryForward(f.string()); !s.ok()) return s;
    if (!fs::remove(f, ec) || ec) {
      return Status::IoError("cannot remove " + f.string() + ": " + ec.message());
    }
    ++stats_.files_removed;
    total += (size_ - before) - size;
  }
  return Status::Ok();
}

Status WarcWriter::CarryForward(const std::string& path) {
  auto reader = WarcReader::Open(path);
  if (!reader.ok()) return reader.status();
  // Per URL the place of its last record in the file; per record id the place of each
  // response (what a revisit in the file points at).
  std::map<std::string, int64_t> last;
  std::map<std::string, int64_t> responses;
  WarcRecord rec;
  while (true) {
    auto got = reader.value()->Next(&rec);
    if (!got.ok()) continue;  // a damaged record cannot be carried; the others are
    if (!got.value()) break;
    if (rec.type() != "response" && rec.type() != "revisit") continue;
    if (rec.type() == "response") responses[std::string(rec.record_id())] = rec.offset;
    last[std::string(rec.target_uri())] = rec.offset;
  }
  const std::string removed = std::filesystem::path(path).filename().string();
  for (const auto& [uri, offset] : last) {
    auto newer = newest_.find(uri);
    if (newer != newest_.end() && newer->second != removed) continue;  // a copy stays
    auto r = WarcReader::ReadAt(path, offset);
    if (!r.ok()) continue;
    const WarcRecord& record = r.value();
    std::string block = record.block;
    if (record.type() == "revisit") {
      // The head is the revisit's own; the body the original's.
      auto at = responses.find(std::string(record.Field("WARC-Refers-To")));
      if (at == responses.end()) continue;  // its payload is not in this file
      auto original = WarcReader::ReadAt(path, at->second);
      if (!original.ok()) continue;
      auto http = ParseHttpResponse(original.value().block);
      if (!http.ok()) continue;
      block += http.value().body;
    }
    auto id = RecordId();
    if (!id.ok()) return id.status();
    std::string header = "WARC/1.1\r\n" + Field("WARC-Type", "response") +
                         Field("WARC-Record-ID", id.value()) + Field("WARC-Date", record.date()) +
                         Field("WARC-Target-URI", uri);
    if (!record.Field("WARC-IP-Address").empty()) {
      header += Field("WARC-IP-Address", record.Field("WARC-IP-Address"));
    }
    header += Field("WARC-Payload-Digest", record.Field("WARC-Payload-Digest")) +
              Field("WARC-Block-Digest", "sha256:" + Sha256Hex(block)) +
              Field("Content-Type", "application/http; msgtype=response");
    auto written = Append(header, block);
    if (!written.ok()) return written.status();
    newest_[uri] = name_;
    std::string digest(record.Field("WARC-Payload-Digest"));
    if (digest.rfind("sha256:", 0) == 0) {
      payloads_[digest.substr(7)] = Original{uri, std::string(record.date()), id.value()};
    }
    ++stats_.records_carried;
  }
  return Status::Ok();
}

Status WarcWriter::Close() {
  std::lock_guard<std::mutex> lock(mu_);
  Status s = FinishFile();
  if (!s.ok()) ++stats_.write_errors;
  return s;
}

}  // namespace nianbao::archive
