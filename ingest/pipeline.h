// The ingest pipeline: from a fetched report page to acknowledged messages.
//
//   crawler ─► PageQueue (bounded) ─► N workers: parse (parser::Parse) ─► Batch
//                                        │            (record + findings)
//                                        ▼
//                         every Sink: TrySubmit, retried while full (backpressure)
//                                        │
//            all sinks done(OK) ─► post to the loop: on_delivered(url, sha256)
//                                  (the daemon marks the page delivered in the state)
//
// A page whose content was already delivered is skipped; a page that is not a report
// (meta.not_a_report) or cannot be parsed is not published, and is marked delivered so it
// is not fetched again and again. A batch that a sink fails is not marked: the crawler
// fetches the page without validators next pass and it is published again (at least once,
// same keys, same ce_id).
//
// Ownership: owned by the daemon, which also owns the queue, the sinks and the loop; all
// must outlive it. Threading: workers are the pipeline's own threads (parsing never runs on
// the event loop); on_delivered runs on the loop thread; Stats are atomics.
#pragma once

#include <atomic>
#include <boost/asio/io_context.hpp>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "crawler/page_queue.h"
#include "ingest/messages.h"
#include "parser/parser.h"
#include "sinks/sink.h"

namespace nianbao::ingest {

struct PipelineOptions {
  int workers = 2;  // parser threads
  Topics topics;
  parser::ParseOptions parse;
};

struct PipelineStats {
  std::atomic<int64_t> pages{0};
  std::atomic<int64_t> skipped_delivered{0};
  std::atomic<int64_t> not_a_report{0};
  std::atomic<int64_t> parse_errors{0};
  std::atomic<int64_t> published{0};
  std::atomic<int64_t> revised{0};
  std::atomic<int64_t> delivered{0};
  std::atomic<int64_t> delivery_failures{0};
  std::atomic<int64_t> events_dropped{0};
  std::mutex mu;
  std::map<std::string, int64_t> findings_by_rule;  // GUARDED_BY(mu)
};

class Pipeline {
 public:
  // Called on the loop thread once every sink acknowledged the page's batch (or once a page
  // that is not a report has been looked at).
  using Delivered = std::function<void(const std::string& url, const std::string& sha256)>;

  // Called on the loop thread when a sink failed a page's batch (it is published again
  // after the crawler fetches the page again).
  using Failed = std::function<void(const std::string& url, const std::string& sha256)>;

  Pipeline(boost::asio::io_context& loop, crawler::PageQueue& pages,
           std::vector<sinks::Sink*> sinks, PipelineOptions options, Delivered on_delivered,
           Failed on_failed = nullptr);
  ~Pipeline();
  Pipeline(const Pipeline&) = delete;
  Pipeline& operator=(const Pipeline&) = delete;

  void Start();
  // Returns once the page queue is closed and drained (or `abandon` is set) and every
  // worker has finished. Batches already handed to sinks complete through the sinks.
  void Join();
  // Workers stop waiting for full sinks and drop what they hold (shutdown deadline passed).
  void Abandon() { abandon_ = true; }

  // A single event (fetch log, source health) to every sink; dropped and counted when a
  // sink is full: these are observability, not data. Any thread.
  void PublishEvent(const sinks::Batch& batch);

  PipelineStats& stats() { return stats_; }

 private:
  void Work();
  void Process(crawler::FetchedPage& page);

  boost::asio::io_context& loop_;
  crawler::PageQueue& pages_;
  std::vector<sinks::Sink*> sinks_;
  PipelineOptions options_;
  Delivered on_delivered_;
  Failed on_failed_;
  std::vector<std::thread> workers_;
  std::atomic<bool> abandon_{false};
  PipelineStats stats_;
};

}  // namespace nianbao::ingest
