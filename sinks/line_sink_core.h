// LineSinkCore: the thread and bounded queue behind the JSON Lines sinks (file, stdout).
//
// Internal to sinks/. Owner: one FileSink or StdoutSink. Threading: TrySubmit(), pending(),
// stats() and Close() from any thread (Close() not from a `done` callback: it joins the thread
// that runs them). The writer function and every `done` run on the core's own thread, one batch
// at a time, in submission order.
//
//   caller --TrySubmit--> [BatchQueue, bounded] --> core thread: lines = FormatJsonLines(batch)
//                                                    status = write(batch, lines); done(status)
//
// Write errors are counted (stats().write_errors) and logged at most once per 10 s, each line
// with the number of batches that failed since the last one.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include "sinks/batch_queue.h"
#include "sinks/sink.h"

namespace spdlog {
class logger;
}

namespace nianbao::sinks::internal {

struct LineSinkStats {
  uint64_t batches_written = 0;  // batches reported OK
  uint64_t bytes_written = 0;    // bytes of the lines of those batches
  uint64_t write_errors = 0;     // batches reported with an error by the writer
  size_t queue_depth = 0;        // batches waiting, not yet taken by the thread
};

// At most one error line per `interval`, each saying how many errors it stands for: a full
// disk fails every batch, and one line per batch would bury everything else in the log.
// Threading: one thread (the core's).
class ErrorLogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit ErrorLogLimiter(Clock::duration interval) : interval_(interval) {}
  // An error at `now`: the number of errors the line to log now stands for (this one and those
  // held back since the last line), or 0 when this one is held back (and counted).
  uint64_t Error(Clock::time_point now);
  // A success at `now`: the errors held back and not yet logged (0 if none); resets the count.
  uint64_t Success();

 private:
  const Clock::duration interval_;
  std::optional<Clock::time_point> last_line_;
  uint64_t held_back_ = 0;
};

class LineSinkCore {
 public:
  // Writes all the batch's `lines` or none of them; OK once they are as durable as the sink
  // promises. Runs on the core thread only.
  using WriteFn = std::function<Status(const Batch& batch, const std::string& lines)>;

  LineSinkCore(std::string name, size_t queue_capacity, WriteFn write);
  ~LineSinkCore();  // Close(0 ms) if not closed
  LineSinkCore(const LineSinkCore&) = delete;
  LineSinkCore& operator=(const LineSinkCore&) = delete;

  bool TrySubmit(std::shared_ptr<const Batch> batch, Sink::Done done) {
    return queue_.TryPush(std::move(batch), std::move(done));
  }
  size_t pending() const { return queue_.pending(); }
  LineSinkStats stats() const;
  // Writes what is queued until `deadline`, reports the rest Unavailable, joins the thread.
  // A write already in progress is waited for (a local write; a blocked stdout pipe is the one
  // case that can hold Close() past its deadline).
  Status Close(std::chrono::milliseconds deadline);

 private:
  void Run();

  const std::string name_;
  const WriteFn write_;
  std::shared_ptr<spdlog::logger> logger_;
  BatchQueue queue_;
  std::atomic<int64_t> close_deadline_ns_{INT64_MAX};  // steady_clock; set once by Close()
  std::atomic<uint64_t> batches_written_{0};
  std::atomic<uint64_t> bytes_written_{0};
  std::atomic<uint64_t> write_errors_{0};
  std::atomic<uint64_t> unavailable_at_close_{0};
  ErrorLogLimiter error_log_{std::chrono::seconds(10)};  // used by the core thread only
  std::mutex close_mu_;
  bool closed_ = false;  // GUARDED_BY(close_mu_)
  std::thread thread_;   // last: started once everything above exists
};

}  // namespace nianbao::sinks::internal
