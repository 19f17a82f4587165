// AlertSink: one [[alerts]] target (a generic JSON webhook, a 企业微信, 钉钉 or 飞书 group
// robot). Of every batch it is given, a report event (report.published / report.revised) with
// findings that pass the target's min_severity and filters becomes one POST in the target's
// format (sinks/alert_format.h); every other batch is acknowledged at once.
//
// Delivery: the same contract as every sink (sink.h), which is what makes an alert neither lost
// nor sent twice: the status updater marks a report version delivered only once every sink,
// this one included, acknowledged it; a crash before that fetches and hands the page on again
// (the alert is sent again: at least once), and an acknowledged version is never handed on
// again. An attempt that gets no answer, 429 or 5xx, or a robot's rate-limit code is retried
// after a backoff (retry_backoff_min doubling to retry_backoff_max, or the answer's
// Retry-After when longer, capped at retry_backoff_max), at most max_attempts times; then, or at
// once for another 4xx or a robot's error code in a 200 answer, the batch is reported failed
// (counted in stats().failed and logged): the page is not marked delivered, and the next pass
// hands it on again.
//
//   caller --TrySubmit--> [BatchQueue, bounded] --> sink thread: AlertOf(batch)? POST (libcurl
//                                                   easy, blocking, timeout) ... retries; done()
//
// Owner: the daemon, through std::unique_ptr<Sink>; Close() before destruction.
// Threading: TrySubmit(), pending(), stats() and Close() from any thread (Close() not from a
// `done` callback). One internal thread (a LineSinkCore's) makes every HTTP request and runs
// every `done`, one batch at a time, in submission order. Close() cuts a request or a backoff
// short at its deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sinks/alert_format.h"
#include "sinks/sink.h"

namespace spdlog {
class logger;
}

namespace nianbao::sinks {

namespace internal {
class LineSinkCore;
}  // namespace internal

struct AlertSinkOptions {
  AlertTarget target;  // kind and url required
  // One request, connection included. Default 10 s.
  std::chrono::milliseconds request_timeout{10'000};
  // Attempts per alert before it is reported failed. Default 5.
  int max_attempts = 5;
  // Backoff between attempts: from min, doubling, capped at max. Defaults 1 s and 60 s.
  std::chrono::milliseconds retry_backoff_min{1'000};
  std::chrono::milliseconds retry_backoff_max{60'000};
  // Batches accepted and not yet reported. Default 64; full: TrySubmit() refuses.
  size_t queue_capacity = 64;
  // The clock that dates signatures. Default: the system clock.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

struct AlertSinkStats {
  uint64_t sent = 0;     // alerts the target accepted
  uint64_t failed = 0;   // alerts given up (refused, or max_attempts used)
  uint64_t retries = 0;  // attempts after the first
  uint64_t skipped = 0;  // batches with nothing to alert on (acknowledged at once)
};

class AlertSink final : public Sink {
 public:
  using Options = AlertSinkOptions;
  using Stats = AlertSinkStats;

  // InvalidArgument for an unknown kind or severity, an empty url, max_attempts < 1.
  static Result<std::unique_ptr<AlertSink>> Create(Options options);
  ~AlertSink() override;  // Close(0 ms) if Close() was not called
  AlertSink(const AlertSink&) = delete;
  AlertSink& operator=(const AlertSink&) = delete;

  // "alert:KIND".
  std::string_view name() const override { return name_; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) override;
  size_t pending() const override;
  // Sends what is queued until `deadline` (a request or backoff running then is cut short),
  // reports the rest Unavailable, joins the thread.
  Status Close(std::chrono::milliseconds deadline) override;

  Stats stats() const;

 private:
  explicit AlertSink(Options options);
  Status Send(const Batch& batch);  // on the sink thread
  // One POST: the HTTP status (0: none) and the answer's body and Retry-After (seconds, -1).
  long Post(const AlertRequest& request, std::string* answer, long* retry_after,
            std::string* error);
  bool ClosingBy(std::chrono::steady_clock::time_point t) const;

  const Options options_;
  const std::string name_;
  std::shared_ptr<spdlog::logger> logger_;
  std::atomic<int64_t> close_deadline_ns_{INT64_MAX};  // steady_clock; set once by Close()
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;  // wakes a backoff when Close() is called
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> skipped_{0};
  std::unique_ptr<internal::LineSinkCore> core_;  // last: its thread calls Send()
};

}  // namespace nianbao::sinks
