#include "sinks/line_sink_core.h"

#include <spdlog/fmt/fmt.h>

#include <utility>
#include <vector>

#include "base/logging.h"
#include "sinks/json_lines.h"

namespace nianbao::sinks::internal {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ToNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

uint64_t ErrorLogLimiter::Error(Clock::time_point now) {
  ++held_back_;
  if (last_line_ && now - *last_line_ < interval_) return 0;
  last_line_ = now;
  return std::exchange(held_back_, 0);
}

uint64_t ErrorLogLimiter::Success() {
  // The next error after a recovery is news: logged at once.
  last_line_.reset();
  return std::exchange(held_back_, 0);
}

LineSinkCore::LineSinkCore(std::string name, size_t queue_capacity, WriteFn write)
    : name_(std::move(name)),
      write_(std::move(write)),
      logger_(Logger("sinks." + name_)),
      queue_(queue_capacity),
      thread_([this] { Run(); }) {}

LineSinkCore::~LineSinkCore() { (void)Close(std::chrono::milliseconds(0)); }

LineSinkStats LineSinkCore::stats() const {
  LineSinkStats s;
  s.batches_written = batches_written_.load(std::memory_order_relaxed);
  s.bytes_written = bytes_written_.load(std::memory_order_relaxed);
  s.write_errors = write_errors_.load(std::memory_order_relaxed);
  s.queue_depth = queue_.size();
  return s;
}

Status LineSinkCore::Close(std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> lock(close_mu_);
  if (!closed_) {
    close_deadline_ns_.store(ToNs(Clock::now() + deadline));
    queue_.Close();
    if (thread_.joinable()) thread_.join();
    closed_ = true;
  }
  const uint64_t lost = unavailable_at_close_.load();
  if (lost == 0) return Status::Ok();
  return Status::Unavailable(
      fmt::format("{} sink closed with {} batch(es) unwritten", name_, lost));
}

void LineSinkCore::Run() {
  std::vector<QueuedBatch> work;
  while (true) {
    work.clear();
    // The wait only bounds how long an idle thread sleeps; Close() wakes it at once.
    queue_.PopUpTo(1, work, Clock::now() + std::chrono::seconds(1));
    if (work.empty()) {
      if (queue_.closed()) break;
      continue;
    }
    QueuedBatch& q = work.front();
    if (ToNs(Clock::now()) >= close_deadline_ns_.load()) {
      unavailable_at_close_.fetch_add(1);
      Report(queue_, q,
             Status::Unavailable(
                 fmt::format("{} sink closed before batch {} was written", name_, q.batch->id)));
      continue;
    }
    const std::string lines = FormatJsonLines(*q.batch);
    Status s = write_(*q.batch, lines);
    if (s.ok()) {
      batches_written_.fetch_add(1, std::memory_order_relaxed);
      bytes_written_.fetch_add(lines.size(), std::memory_order_relaxed);
      if (uint64_t missed = error_log_.Success(); missed > 0) {
        logger_->warn("writing again; {} more batch(es) were not written since the last report",
                      missed);
      }
    } else {
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      if (uint64_t n = error_log_.Error(Clock::now()); n > 0) {
        logger_->error("batch {} not written: {} ({} batch(es) not written since the last report)",
                       q.batch->id, s.ToString(), n);
      }
    }
    Report(queue_, q, std::move(s));
  }
  // Closed and empty: every accepted batch has been reported.
}

}  // namespace nianbao::sinks::internal
