#include "ingest/pipeline.h"

#include <boost/asio/post.hpp>
#include <memory>

namespace nianbao::ingest {

namespace asio = boost::asio;

Pipeline::Pipeline(asio::io_context& loop, crawler::PageQueue& pages,
                   std::vector<sinks::Sink*> sinks, PipelineOptions options, Delivered on_delivered,
                   Failed on_failed)
    : loop_(loop),
      pages_(pages),
      sinks_(std::move(sinks)),
      options_(std::move(options)),
      on_delivered_(std::move(on_delivered)),
      on_failed_(std::move(on_failed)) {}

Pipeline::~Pipeline() {
  abandon_ = true;
  pages_.Close();
  Join();
}

void Pipeline::Start() {
  int n = std::max(1, options_.workers);
  for (int i = 0; i < n; ++i) workers_.emplace_back([this] { Work(); });
}

void Pipeline::Join() {
  for (auto& w : workers_) {
    if (w.joinable()) w.join();
  }
  workers_.clear();
}

void Pipeline::Work() {
  while (!abandon_) {
    auto page = pages_.Pop(std::chrono::milliseconds(100));
    if (!page) {
      if (pages_.closed() && pages_.size() == 0) return;
      continue;
    }
    Process(*page);
  }
}

void Pipeline::PublishEvent(const sinks::Batch& batch) {
  for (auto* sink : sinks_) {
    sinks::Batch copy = batch;
    if (!sink->TrySubmit(copy, [](Status) {})) ++stats_.events_dropped;
  }
}

void Pipeline::Process(crawler::FetchedPage& page) {
  ++stats_.pages;
  if (page.sha256 == page.delivered_sha256 || page.body.empty()) {
    ++stats_.skipped_delivered;  // unchanged and already published (or a bodiless 304)
    return;
  }
  auto mark_delivered = [this, url = page.url, sha = page.sha256] {
    asio::post(loop_, [this, url, sha] { on_delivered_(url, sha); });
  };
  auto mark_failed = [this, url = page.url, sha = page.sha256] {
    if (on_failed_) asio::post(loop_, [this, url, sha] { on_failed_(url, sha); });
  };
  parser::ParseInput in;
  in.bytes = page.body;
  in.content_type = page.content_type;
  in.url = page.url;
  in.fetched_at = Rfc3339(page.fetched_at);
  auto out = parser::Parse(in, options_.parse);
  if (!out.ok()) {
    ++stats_.parse_errors;
    mark_delivered();  // nothing to publish; do not fetch it without validators forever
    return;
  }
  if (!out.value().is_report) {
    ++stats_.not_a_report;
    mark_delivered();
    return;
  }
  {
    std::lock_guard<std::mutex> lock(stats_.mu);
    for (const auto& f : out.value().findings) ++stats_.findings_by_rule[f.rule];
  }
  ReportEvent event =
      page.delivered_sha256.empty() ? ReportEvent::kPublished : ReportEvent::kRevised;
  ++(event == ReportEvent::kPublished ? stats_.published : stats_.revised);
  sinks::Batch batch =
      ReportBatch(options_.topics, page.source, out.value(), event, page.fetched_at);

  // Marked delivered once every sink acknowledged; one failure leaves it for the next pass.
  struct Tally {
    std::atomic<int> remaining;
    std::atomic<bool> failed{false};
  };
  auto tally = std::make_shared<Tally>();
  tally->remaining = static_cast<int>(sinks_.size());
  for (auto* sink : sinks_) {
    sinks::Batch copy = batch;
    auto done = [this, tally, mark_delivered, mark_failed](Status s) {
      if (!s.ok()) {
        tally->failed = true;
        ++stats_.delivery_failures;
      }
      if (--tally->remaining != 0) return;
      if (!tally->failed) {
        ++stats_.delivered;
        mark_delivered();
      } else {
        mark_failed();
      }
    };
    // Backpressure: a full sink holds this worker, the page queue fills, the crawler waits.
    while (!sink->TrySubmit(copy, done)) {
      if (abandon_) {
        tally->failed = true;
        if (--tally->remaining == 0) mark_failed();
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
}

}  // namespace nianbao::ingest
