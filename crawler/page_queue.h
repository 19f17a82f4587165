// The bounded hand-off from the crawler (event-loop thread) to whoever consumes report pages
// (ingest's workers, or the crawl command).
//
// Backpressure policy: the producer never blocks the loop. TryPush() fails when the queue is
// full, and the crawler does not start a report fetch unless a slot is free for its result,
// so a slow consumer slows the crawl instead of growing memory. When Pop() frees a slot it
// calls the on-space callback (on the consumer's thread; the crawler's callback only posts
// to its loop).
//
// Threading: any number of producers and consumers; all members are thread-safe.
#pragma once

#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crawler/links.h"

namespace nianbao::crawler {

// One fetched report page, as the crawler hands it on.
struct FetchedPage {
  enum class Change { kNew, kRevised, kUnchanged };
  std::string source;
  std::string url;        // as requested (canonical)
  std::string final_url;  // after redirects
  long status = 0;        // 200, or 304 for an unchanged page (then body is empty)
  std::vector<std::pair<std::string, std::string>> headers;
  std::string content_type;
  std::string body;
  std::string sha256;  // of body; the stored hash for a 304
  std::chrono::system_clock::time_point fetched_at;
  Change change = Change::kNew;
  // The content last acknowledged downstream before this fetch ("" = never): equal to
  // sha256 when there is nothing to publish; otherwise the page is published again.
  std::string delivered_sha256;
  std::vector<Link> attachments;  // .pdf/.doc/.docx/.wps/.ofd/.xls(x) linked from the page
};

std::string_view ChangeName(FetchedPage::Change c);

template <typename T>
class BoundedQueue {
 public:
  explicit BoundedQueue(size_t capacity) : capacity_(capacity == 0 ? 1 : capacity) {}

  // False when full or closed; the item is left untouched then.
  bool TryPush(T& item) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (closed_ || items_.size() >= capacity_) return false;
      items_.push_back(std::move(item));
    }
    cv_.notify_one();
    return true;
  }

  // Waits up to `timeout` for an item; nullopt on timeout or when closed and drained.
  std::optional<T> Pop(std::chrono::milliseconds timeout) {
    std::optional<T> out;
    std::function<void()> on_space;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait_for(lock, timeout, [&] { return !items_.empty() || closed_; });
      if (items_.empty()) return out;
      out = std::move(items_.front());
      items_.pop_front();
      on_space = on_space_;
    }
    if (on_space) on_space();
    return out;
  }

  void Close() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      closed_ = true;
    }
    cv_.notify_all();
  }

  void SetOnSpace(std::function<void()> f) {
    std::lock_guard<std::mutex> lock(mu_);
    on_space_ = std::move(f);
  }

  size_t size() const {
    std::lock_guard<std::mutex> lock(mu_);
    return items_.size();
  }
  size_t capacity() const { return capacity_; }
  bool closed() const {
    std::lock_guard<std::mutex> lock(mu_);
    return closed_;
  }

 private:
  const size_t capacity_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<T> items_;             // GUARDED_BY(mu_)
  bool closed_ = false;             // GUARDED_BY(mu_)
  std::function<void()> on_space_;  // GUARDED_BY(mu_)
};

using PageQueue = BoundedQueue<FetchedPage>;

}  // namespace nianbao::crawler
