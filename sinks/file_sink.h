// FileSink: writes batches as JSON Lines (format: json_lines.h) to size-rotated files.
//
// Layout: every topic goes to one file series, <dir>/<base_name>-<seq>.jsonl, seq = 000001,
// 000002, ...; the highest seq is the file being appended to (after a restart too). One series
// rather than one per topic so that a batch (a record and its findings, two topics) is one
// write(2) to one file and can be all-or-nothing. Consumers filter on "topic". Closed files are
// never renamed or rewritten, so they can be shipped as soon as a higher seq appears.
//
// Rotation: before a batch whose lines would take the file past max_bytes, a new file is started
// (a batch larger than max_bytes gets a file of its own, the only way a file exceeds the limit);
// then the oldest files are deleted so that at most max_files remain, the current one included.
//
// Durability: a batch's lines are formatted into one buffer and written with write(2) in one
// call (looping only on short writes). With fsync (default), fdatasync follows, and done(OK)
// means the lines are on disk. If the write or the sync fails (disk full, quota, I/O error), the
// file is truncated back to its size before the batch and done gets Status::IoError naming the
// file and the OS error: no half batch is left behind. A missing or unwritable directory is
// retried at every batch (it is created if absent) and reported the same way, through done.
//
// Owner: the daemon. Threading: as Sink. One internal thread does every file operation and runs
// every `done`, one batch at a time, in submission order.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "sinks/sink.h"

namespace nianbao::sinks {

namespace internal {
class LineSinkCore;
class RotatingFile;
}  // namespace internal

struct FileSinkOptions {
  // Directory of the files; created (with parents) when missing. Required.
  std::string dir;
  // File name prefix: <base_name>-<seq>.jsonl. Default "nianbao".
  std::string base_name = "nianbao";
  // Size at which a new file is started. Default 64 MiB.
  uint64_t max_bytes = uint64_t{64} << 20;
  // Files kept, the one being written included; older ones are deleted. 0 = keep all.
  // Default 16.
  size_t max_files = 16;
  // fdatasync after every batch, before done(OK). Default true. false: done(OK) once the kernel
  // has the bytes (survives a crash of the daemon, not of the machine).
  bool fsync = true;
  // Batches accepted and not yet written. Default 64. Full: TrySubmit() refuses.
  size_t queue_capacity = 64;
};

struct FileSinkStats {
  uint64_t batches_written = 0;
  uint64_t bytes_written = 0;
  uint64_t write_errors = 0;  // batches reported with IoError
  uint64_t rotations = 0;     // files started after the first
  size_t queue_depth = 0;
};

class FileSink final : public Sink {
 public:
  using Options = FileSinkOptions;

  // Fails only on invalid options; file system errors surface through done.
  static Result<std::unique_ptr<FileSink>> Create(Options options);
  ~FileSink() override;  // Close(0 ms) if Close() was not called

  std::string_view name() const override { return "file"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) override;
  size_t pending() const override;
  Status Close(std::chrono::milliseconds deadline) override;

  FileSinkStats stats() const;  // any thread
  // The file currently appended to ("" before the first batch). Any thread.
  std::string current_path() const;

 private:
  explicit FileSink(Options options);

  std::unique_ptr<internal::RotatingFile> file_;  // used by core_'s thread only
  std::unique_ptr<internal::LineSinkCore> core_;  // last: its thread uses file_
};

}  // namespace nianbao::sinks
