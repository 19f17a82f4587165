// BatchQueue: the bounded FIFO between a sink's callers and the sink's own thread.
//
// Internal to sinks/. Owner: one sink. Threading: TryPush(), size(), pending(), Close() from any
// thread; PopUpTo(), DrainAll() and MarkReported() from the sink's thread only.
// Backpressure: TryPush() refuses when `capacity` batches wait (or after Close()) and then leaves
// the caller's batch untouched; the caller keeps it and slows down. Nothing here blocks a caller.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "sinks/sink.h"

namespace nianbao::sinks::internal {

struct QueuedBatch {
  std::shared_ptr<const Batch> batch;
  Sink::Done done;
};

class BatchQueue {
 public:
  explicit BatchQueue(size_t capacity) : capacity_(capacity) {}

  // Takes `batch` and returns true, or returns false.
  bool TryPush(std::shared_ptr<const Batch> batch, Sink::Done done) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || queue_.size() >= capacity_) return false;
      queue_.push_back(QueuedBatch{std::move(batch), std::move(done)});
      accepted_at_.push_back(std::chrono::steady_clock::now());
      ++pending_;
    }
    cv_.notify_one();
    return true;
  }

  // Appends up to `max` batches to `out`, oldest first. When none is queued, waits until one is,
  // the queue is closed, or `until`. Returns how many were appended.
  size_t PopUpTo(size_t max, std::vector<QueuedBatch>& out,
                 std::chrono::steady_clock::time_point until) {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait_until(lock, until, [this] { return closed_ || !queue_.empty(); });
    size_t n = 0;
    while (n < max && !queue_.empty()) {
      out.push_back(std::move(queue_.front()));
      queue_.pop_front();
      ++n;
    }
    return n;
  }

  // Takes every queued batch (used at shutdown to report them).
  std::vector<QueuedBatch> DrainAll() {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<QueuedBatch> out;
    out.reserve(queue_.size());
    for (auto& q : queue_) out.push_back(std::move(q));
    queue_.clear();
    return out;
  }

  // Refuses further pushes and wakes the sink thread.
  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  // Called by the sink thread just before it runs a batch's `done`, so that pending() already
  // excludes the batch when the callback runs.
  void MarkReported() {
    std::lock_guard<std::mutex> lock(mu_);
    --pending_;
    if (!accepted_at_.empty()) accepted_at_.pop_front();
  }

  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }
  // Batches waiting in the queue (not yet taken by the sink thread).
  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return queue_.size();
  }
  // Batches accepted and not yet reported: queued plus taken by the sink thread.
  size_t pending() const {
    std::lock_guard<std::mutex> lock(mu_);
    return pending_;
  }
  // How long the oldest batch accepted and not yet reported has waited at `now`; zero when none
  // is pending. Batches are taken as reported in the order accepted: exact for the sinks that
  // report in order (transactional Kafka, files, stdout), an estimate for those that may not.
  // For readiness: a sink that cannot deliver shows it here first.
  std::chrono::milliseconds OldestPendingAge(std::chrono::steady_clock::time_point now) const {
    std::lock_guard<std::mutex> lock(mu_);
    if (accepted_at_.empty() || now <= accepted_at_.front()) return {};
    return std::chrono::duration_cast<std::chrono::milliseconds>(now - accepted_at_.front());
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<QueuedBatch> queue_;  // GUARDED_BY(mu_)
  size_t pending_ = 0;             // GUARDED_BY(mu_)
  // When each pending batch was accepted, oldest first (pending_ entries).
  std::deque<std::chrono::steady_clock::time_point> accepted_at_;  // GUARDED_BY(mu_)
  bool closed_ = false;                                            // GUARDED_BY(mu_)
};

// Runs `q.done(status)` after marking it reported. `done` must only hand off (sink.h).
inline void Report(BatchQueue& queue, QueuedBatch& q, Status status) {
  queue.MarkReported();
  if (q.done) q.done(std::move(status));
}

}  // namespace nianbao::sinks::internal
