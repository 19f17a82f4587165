// StdoutSink: writes batches as JSON Lines (format: json_lines.h) to stdout, or to another
// FILE* (tests, or a pipe the daemon opened).
//
// A batch's lines go out in one fwrite() followed by fflush(), so lines from other stdio writers
// of this process cannot interleave inside a batch (stdio locks the stream per call); done(OK)
// after the flush. On a stream a failed write cannot be taken back: the batch gets IoError and
// the reader may have seen part of it (a consumer should ignore a line that does not parse).
// Log output of the sinks goes to stderr, never here.
//
// Owner: the daemon; the FILE* stays the caller's and must outlive the sink. Threading: as Sink.
// One internal thread does the writes and runs every `done`, in submission order. A stdout pipe
// nobody reads blocks that thread (and Close()); the queue then fills and TrySubmit() refuses.
#pragma once

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <memory>
#include <string_view>

#include "base/status.h"
#include "sinks/sink.h"

namespace nianbao::sinks {

namespace internal {
class LineSinkCore;
}

struct StdoutSinkOptions {
  // Where the lines go. Default nullptr = stdout.
  std::FILE* out = nullptr;
  // Batches accepted and not yet written. Default 64. Full: TrySubmit() refuses.
  size_t queue_capacity = 64;
};

struct StdoutSinkStats {
  uint64_t batches_written = 0;
  uint64_t bytes_written = 0;
  uint64_t write_errors = 0;
  size_t queue_depth = 0;
};

class StdoutSink final : public Sink {
 public:
  using Options = StdoutSinkOptions;

  static Result<std::unique_ptr<StdoutSink>> Create(Options options);
  ~StdoutSink() override;  // Close(0 ms) if Close() was not called

  std::string_view name() const override { return "stdout"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) override;
  size_t pending() const override;
  Status Close(std::chrono::milliseconds deadline) override;

  StdoutSinkStats stats() const;  // any thread

 private:
  explicit StdoutSink(Options options);

  std::unique_ptr<internal::LineSinkCore> core_;
};

}  // namespace nianbao::sinks
