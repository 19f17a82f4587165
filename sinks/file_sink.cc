#include "sinks/file_sink.h"

#include <fcntl.h>
#include <spdlog/fmt/fmt.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <charconv>
#include <filesystem>
#include <mutex>
#include <system_error>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "sinks/line_sink_core.h"

namespace nianbao::sinks {
namespace internal {
namespace {

namespace fs = std::filesystem;

// Thread-safe, unlike strerror().
std::string ErrnoText(int err) { return std::error_code(err, std::generic_category()).message(); }

}  // namespace

// The current file of the series and its rotation. Used by the core thread only, except
// current_path() (any thread).
class RotatingFile {
 public:
  explicit RotatingFile(FileSinkOptions options)
      : options_(std::move(options)), logger_(Logger("sinks.file")) {}
  ~RotatingFile() { CloseFd(); }
  RotatingFile(const RotatingFile&) = delete;
  RotatingFile& operator=(const RotatingFile&) = delete;

  // Appends all of `lines` or nothing (see file_sink.h).
  Status Append(const std::string& lines) {
    if (fd_ < 0) {
      Status s = OpenCurrent();
      if (!s.ok()) return s;
    }
    if (size_ > 0 && size_ + lines.size() > options_.max_bytes) {
      Status s = StartFile(seq_ + 1);
      if (!s.ok()) return s;
    }
    const uint64_t before = size_;
    size_t off = 0;
    while (off < lines.size()) {
      const ssize_t n = ::write(fd_, lines.data() + off, lines.size() - off);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Undo(before, lines.size(), "write", errno);
      if (n == 0) return Undo(before, lines.size(), "write", EIO);
      off += static_cast<size_t>(n);
    }
    if (options_.fsync && ::fdatasync(fd_) != 0) {
      return Undo(before, lines.size(), "sync", errno);
    }
    size_ += lines.size();
    return Status::Ok();
  }

  std::string current_path() const {
    std::lock_guard<std::mutex> lock(path_mu_);
    return path_;
  }
  uint64_t rotations() const { return rotations_.load(std::memory_order_relaxed); }

 private:
  std::string PathFor(uint64_t seq) const {
    return (fs::path(options_.dir) / fmt::format("{}-{:06d}.jsonl", options_.base_name, seq))
        .string();
  }

  // The seqs of the series present in the directory, ascending.
  std::vector<uint64_t> ListSeries() const {
    std::vector<uint64_t> seqs;
    std::error_code ec;
    const std::string prefix = options_.base_name + "-";
    const std::string suffix = ".jsonl";
    for (fs::directory_iterator it(options_.dir, ec), end; !ec && it != end; it.increment(ec)) {
      const std::string name = it->path().filename().string();
      if (name.size() <= prefix.size() + suffix.size()) continue;
      if (name.compare(0, prefix.size(), prefix) != 0) continue;
      if (name.compare(name.size() - suffix.size(), suffix.size(), suffix) != 0) continue;
      const char* first = name.data() + prefix.size();
      const char* last = name.data() + name.size() - suffix.size();
      uint64_t seq = 0;
      auto [ptr, err] = std::from_chars(first, last, seq);
      if (err == std::errc() && ptr == last && seq > 0) seqs.push_back(seq);
    }
    std::sort(seqs.begin(), seqs.end());
    return seqs;
  }

  // After a start or an abandoned file: continue the newest file of the series, unless it is
  // full or ends in a partial line (a crash mid-write), then start the next one.
  Status OpenCurrent() {
    std::error_code ec;
    fs::create_directories(options_.dir, ec);
    if (ec) {
      return Status::IoError(
          fmt::format("cannot create directory {}: {}", options_.dir, ec.message()));
    }
    const std::vector<uint64_t> seqs = ListSeries();
    const uint64_t seq = seqs.empty() ? 1 : seqs.back();
    Status s = OpenFile(seq);
    if (!s.ok()) return s;
    bool partial_line = false;
    if (size_ > 0) {
      char last = '\n';
      partial_line = ::pread(fd_, &last, 1, static_cast<off_t>(size_ - 1)) == 1 && last != '\n';
    }
    if (size_ >= options_.max_bytes || partial_line) return StartFile(seq + 1);
    if (size_ == 0 && options_.fsync) SyncDir();
    Prune();
    return Status::Ok();
  }

  Status StartFile(uint64_t seq) {
    CloseFd();
    Status s = OpenFile(seq);
    if (!s.ok()) return s;
    rotations_.fetch_add(1, std::memory_order_relaxed);
    if (options_.fsync) SyncDir();  // the new name must survive a crash as well as its lines
    Prune();
    return Status::Ok();
  }

  Status OpenFile(uint64_t seq) {
    const std::string path = PathFor(seq);
    // O_RDWR only so that OpenCurrent() can read the last byte back; writes always append.
    const int fd = ::open(path.c_str(), O_RDWR | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0) {
      return Status::IoError(fmt::format("cannot open {}: {}", path, ErrnoText(errno)));
    }
    struct stat st {};
    if (::fstat(fd, &st) != 0) {
      const int err = errno;
      ::close(fd);
      return Status::IoError(fmt::format("cannot stat {}: {}", path, ErrnoText(err)));
    }
    fd_ = fd;
    seq_ = seq;
    size_ = static_cast<uint64_t>(st.st_size);
    std::lock_guard<std::mutex> lock(path_mu_);
    path_ = path;
    return Status::Ok();
  }

  // Truncates back to `before` so that no partial batch stays in the file. If even that fails
  // the file is abandoned (closed); the next batch reopens and, seeing the partial line, starts
  // a new file.
  Status Undo(uint64_t before, size_t bytes, const char* what, int err) {
    std::string msg =
        fmt::format("cannot {} {} bytes to {}: {}", what, bytes, current_path(), ErrnoText(err));
    if (::ftruncate(fd_, static_cast<off_t>(before)) != 0) {
      msg += fmt::format(" (and cannot truncate it back to {} bytes: {}; file abandoned)", before,
                         ErrnoText(errno));
      CloseFd();
    } else {
      size_ = before;
    }
    return Status::IoError(std::move(msg));
  }

  void Prune() {
    if (options_.max_files == 0) return;
    const std::vector<uint64_t> seqs = ListSeries();
    if (seqs.size() <= options_.max_files) return;
    const size_t excess = seqs.size() - options_.max_files;
    for (size_t i = 0; i < excess; ++i) {
      if (seqs[i] == seq_) continue;  // never the current file
      std::error_code ec;
      fs::remove(PathFor(seqs[i]), ec);
      if (ec) logger_->warn("cannot delete old file {}: {}", PathFor(seqs[i]), ec.message());
    }
  }

  void SyncDir() {
    const int dfd = ::open(options_.dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0) return;
    if (::fsync(dfd) != 0) logger_->warn("cannot sync directory {}: {}", options_.dir, errno);
    ::close(dfd);
  }

  void CloseFd() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    size_ = 0;
  }

  const FileSinkOptions options_;
  std::shared_ptr<spdlog::logger> logger_;
  int fd_ = -1;
  uint64_t seq_ = 0;
  uint64_t size_ = 0;  // bytes in the file, ours and what was there when opened
  std::atomic<uint64_t> rotations_{0};
  mutable std::mutex path_mu_;
  std::string path_;  // GUARDED_BY(path_mu_)
};

}  // namespace internal

Result<std::unique_ptr<FileSink>> FileSink::Create(Options options) {
  if (options.dir.empty()) return Status::InvalidArgument("file sink: dir is empty");
  if (options.base_name.empty() || options.base_name.find('/') != std::string::npos) {
    return Status::InvalidArgument(
        fmt::format("file sink: bad base_name '{}' (non-empty, no '/')", options.base_name));
  }
  if (options.max_bytes == 0) return Status::InvalidArgument("file sink: max_bytes is 0");
  if (options.queue_capacity == 0) {
    return Status::InvalidArgument("file sink: queue_capacity is 0");
  }
  return std::unique_ptr<FileSink>(new FileSink(std::move(options)));
}

FileSink::FileSink(Options options) {
  const size_t capacity = options.queue_capacity;
  file_ = std::make_unique<internal::RotatingFile>(std::move(options));
  internal::RotatingFile* file = file_.get();
  core_ = std::make_unique<internal::LineSinkCore>(
      "file", capacity,
      [file](const Batch&, const std::string& lines) { return file->Append(lines); });
}

FileSink::~FileSink() { core_.reset(); }  // joins the thread before file_ goes

bool FileSink::TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
  return core_->TrySubmit(std::move(batch), std::move(done));
}

size_t FileSink::pending() const { return core_->pending(); }

Status FileSink::Close(std::chrono::milliseconds deadline) { return core_->Close(deadline); }

FileSinkStats FileSink::stats() const {
  const internal::LineSinkStats c = core_->stats();
  FileSinkStats s;
  s.batches_written = c.batches_written;
  s.bytes_written = c.bytes_written;
  s.write_errors = c.write_errors;
  s.rotations = file_->rotations();
  s.queue_depth = c.queue_depth;
  return s;
}

std::string FileSink::current_path() const { return file_->current_path(); }

}  // namespace nianbao::sinks
