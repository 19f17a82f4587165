// AlertSink: one [[alerts]] target (a generic JSON webhook, a 企业微信, 钉钉 or 飞书 group
// robot, or e-mail over SMTP). Of every batch it is given, a report event with findings that
// pass the target's min_severity and filters, or an alerting source event (source.unreachable,
// source.blocked, report.missing), becomes an alert in the target's format
// (sinks/alert_format.h); every other batch is acknowledged at once.
//
// Rate and bursts: at most `rate_limit` messages a minute (the kind's limit by default: wecom
// 20). Alerts that arrive while the limit holds them back wait together and go out as one
// digest ("nianbao: 12 new reports with errors" and a line each), as many as the target's size
// limit carries (wecom: 4096 bytes); the rest go in the next message.
//
// Delivery: the same contract as every sink (sink.h): a batch is acknowledged only once its
// alert is sent (or given up for good, below), so the status updater marks the report version
// delivered only then, and a crash or an outage before that hands the batch on again. Not
// twice: with a `ledger_path`, the ce_id of every alert sent is written there (fsync) before
// the batch is acknowledged, and a batch handed on again whose alert is in the ledger is
// acknowledged without a message (stats().suppressed). The one window left is a crash between
// the target's answer and that write; webhook and e-mail messages carry the ce_id
// (X-Nianbao-Delivery, Message-ID) for a receiver to drop the copy.
//
// Failures: no answer, 429, 5xx, a robot's rate-limit code, an SMTP 4xx: retried after a
// backoff (retry_backoff_min doubling to retry_backoff_max, or the answer's Retry-After when
// longer, capped at retry_backoff_max), at most max_attempts times; then the batch is reported
// failed (stats().failed, logged) and the next pass hands it on again: nothing is lost. Another
// 4xx, a robot's error code in a 200 answer, an SMTP 5xx, a login refused or a server without
// STARTTLS: given up at once and for good (stats().refused, logged as an error, in the ledger):
// the batch is acknowledged, so that a wrong key does not hold every report back for ever.
//
//   caller --TrySubmit--> [BatchQueue, bounded] --> sink thread: AlertOf(batch)? in the ledger?
//      held alerts (a burst) --rate limit--> one message (libcurl easy, blocking, timeout)
//      ... retries; ledger; done() for each batch of the message
//
// Owner: the daemon, through std::unique_ptr<Sink>; Close() before destruction.
// Threading: TrySubmit(), pending(), stats() and Close() from any thread (Close() not from a
// `done` callback). One internal thread makes every request and runs every `done`, in
// submission order. Close() cuts a request, a backoff or a rate-limit wait short at its
// deadline.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>

#include "base/status.h"
#include "sinks/alert_format.h"
#include "sinks/sink.h"

namespace spdlog {
class logger;
}

namespace nianbao::sinks {

namespace internal {
class BatchQueue;
struct QueuedBatch;
}  // namespace internal
class SentAlertLedger;

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
  // The rate limit's window: at most target.rate_limit messages in any such span. Default 1 min.
  std::chrono::milliseconds rate_window{60'000};
  // Alerts in one digest at most. Default 50.
  size_t max_digest = 50;
  // The sent-alert ledger: a file of ce_ids, one a line, this target's alone. "" = none (then
  // a batch handed on again after a crash is alerted again).
  std::string ledger_path;
  // The ce_ids the ledger remembers (the newest); older ones are dropped when it is opened. A
  // batch is handed on again only until its report is marked delivered, within a pass or two.
  // Default 10000.
  size_t ledger_max_entries = 10'000;
  // The clock that dates signatures. Default: the system clock.
  std::function<std::chrono::system_clock::time_point()> now = [] {
    return std::chrono::system_clock::now();
  };
};

struct AlertSinkStats {
  uint64_t sent = 0;           // alerts the target accepted
  uint64_t messages = 0;       // messages the target accepted (a digest is one)
  uint64_t digests = 0;        // of those, digests of more than one alert
  uint64_t failed = 0;         // alerts reported failed (max_attempts used, or closed): sent later
  uint64_t refused = 0;        // alerts given up for good (a permanent failure)
  uint64_t retries = 0;        // attempts after the first
  uint64_t skipped = 0;        // batches with nothing to alert on (acknowledged at once)
  uint64_t suppressed = 0;     // batches whose alert the ledger holds as sent (acknowledged)
  uint64_t ledger_errors = 0;  // ledger writes that failed (the alert was sent)
};

class AlertSink final : public Sink {
 public:
  using Options = AlertSinkOptions;
  using Stats = AlertSinkStats;

  // InvalidArgument for an unknown kind or severity, an empty url, max_attempts < 1, an email
  // target without from or to; IoError when the ledger cannot be opened.
  static Result<std::unique_ptr<AlertSink>> Create(Options options);
  ~AlertSink() override;  // Close(0 ms) if Close() was not called
  AlertSink(const AlertSink&) = delete;
  AlertSink& operator=(const AlertSink&) = delete;

  // "alert:KIND".
  std::string_view name() const override { return name_; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) override;
  size_t pending() const override;
  // True while a message is on the wire: from its request until its answer is judged (and,
  // when delivered, in the sent ledger). A crash in that span may send it twice (above); the
  // daemon's crash hook for tests waits it out (app/run_command.cc, KillBeforeMark).
  bool sending() const { return sending_.load(std::memory_order_acquire); }
  // Sends what is queued until `deadline` (a request or backoff running then is cut short),
  // reports the rest Unavailable, joins the thread.
  Status Close(std::chrono::milliseconds deadline) override;

  Stats stats() const;

 private:
  struct Held;  // an accepted batch and its alert, waiting for its message
  class RateLimit;

  AlertSink(Options options, std::unique_ptr<SentAlertLedger> ledger);
  void Run();  // the sink thread
  // Sends the first alerts of `held` (as many as one message carries), reports their batches
  // and removes them.
  void SendSome(std::deque<Held>& held);
  // One request: the HTTP status or SMTP reply code (0: none) and the answer's body and
  // Retry-After (seconds, -1).
  long Post(const AlertRequest& request, std::string* answer, long* retry_after,
            std::string* error);
  long Mail(const AlertRequest& request, std::string* error);
  bool ClosingBy(std::chrono::steady_clock::time_point t) const;
  // Sleeps until `until` or Close(); false when closing.
  bool WaitUntil(std::chrono::steady_clock::time_point until);

  const Options options_;
  const std::string name_;
  const int rate_limit_;  // messages per rate_window; 0 = none
  std::shared_ptr<spdlog::logger> logger_;
  std::unique_ptr<SentAlertLedger> ledger_;  // the sink thread's; null = none
  std::unique_ptr<RateLimit> rate_;          // the sink thread's
  std::unique_ptr<internal::BatchQueue> queue_;
  std::atomic<int64_t> close_deadline_ns_{INT64_MAX};  // steady_clock; set once by Close()
  std::mutex wait_mu_;
  std::condition_variable wait_cv_;  // wakes a wait when Close() is called
  std::mutex close_mu_;
  bool closed_ = false;  // GUARDED_BY(close_mu_)
  std::atomic<bool> sending_{false};
  std::atomic<uint64_t> unavailable_at_close_{0};
  std::atomic<uint64_t> sent_{0};
  std::atomic<uint64_t> messages_{0};
  std::atomic<uint64_t> digests_{0};
  std::atomic<uint64_t> failed_{0};
  std::atomic<uint64_t> refused_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> skipped_{0};
  std::atomic<uint64_t> suppressed_{0};
  std::atomic<uint64_t> ledger_errors_{0};
  std::thread thread_;  // last: started once everything above exists
};

}  // namespace nianbao::sinks
