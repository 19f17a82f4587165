#include "ingest/status_updater.h"

#include <boost/asio/post.hpp>
#include <utility>

#include "base/logging.h"

namespace nianbao::ingest {

namespace asio = boost::asio;

StatusUpdater::StatusUpdater(asio::io_context& loop, asio::thread_pool& cpu,
                             std::vector<sinks::Sink*> sinks, Ledger ledger,
                             StatusUpdaterOptions options, OnEnd on_end)
    : loop_(loop),
      cpu_(cpu),
      sinks_(std::move(sinks)),
      ledger_(std::move(ledger)),
      options_(std::move(options)),
      on_end_(std::move(on_end)) {
  if (options_.max_pages == 0) options_.max_pages = 1;
}

StatusUpdater::~StatusUpdater() { self_.reset(); }

JourneyId StatusUpdater::Planned(const std::string& source, const std::string& url) {
  JourneyId id = next_id_++;
  Journey& j = journeys_[id];
  j.source = source;
  j.url = url;
  return id;
}

bool StatusUpdater::TryStart(JourneyId id) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return true;  // not ours (ended): nothing to hold back
  Journey& j = it->second;
  if (j.has_slot) return true;
  if (slots_used_ >= options_.max_pages) {
    room_wanted_ = true;
    return false;
  }
  ++slots_used_;
  j.has_slot = true;
  j.stage = Stage::kFetching;
  return true;
}

void StatusUpdater::SetOnRoom(std::function<void()> on_room) { on_room_ = std::move(on_room); }

void StatusUpdater::Fetched(JourneyId id, FetchedPage page) {
  ++stats_.pages;
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;  // abandoned at shutdown: the next pass fetches it again
  Journey& j = it->second;
  j.sha256 = page.sha256;
  if (page.sha256 == page.delivered_sha256) {
    End(id, PageStatus::kUnchanged, "");
    return;
  }
  if (page.body.empty()) {
    // A 304 for content never acknowledged (a server that ignores a request without
    // validators): nothing to publish now; the next pass asks again without validators.
    End(id, PageStatus::kFailed, "no_body");
    return;
  }
  auto [claim, fresh] = claims_.try_emplace(page.url, id);
  if (!fresh && claim->second != id) {
    // An older version of this page is still on its way: once it is acknowledged, the next
    // pass finds this content undelivered and hands it on.
    End(id, PageStatus::kSkipped, "version_in_flight");
    return;
  }
  j.claims_url = true;
  j.stage = Stage::kParsing;

  // To the CPU pool and back. The task holds only values: the page (moved, with its body),
  // the parse options, the loop's executor and a weak reference to this updater.
  auto parsed = std::make_shared<Parsed>();
  parsed->page = std::move(page);
  std::weak_ptr<StatusUpdater*> self = self_;
  asio::post(cpu_, [parsed, self, id, parse = options_.parse, loop = loop_.get_executor()] {
    const FetchedPage& p = parsed->page;
    parser::ParseInput in;
    in.bytes = p.body;
    in.content_type = p.content_type;
    in.url = p.url;
    in.fetched_at = Rfc3339(p.fetched_at);
    in.sha256 = p.sha256;  // hashed once, by the crawler's digest
    parsed->output = parser::Parse(in, parse);
    parsed->page.body = std::string();  // not needed any more: free it on this thread
    asio::post(loop, [parsed, self, id] {
      if (auto u = self.lock()) (*u)->OnParsed(id, std::move(*parsed));
    });
  });
}

void StatusUpdater::OnParsed(JourneyId id, Parsed parsed) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;  // abandoned
  Journey& j = it->second;
  if (!parsed.output.ok()) {
    ++stats_.parse_errors;
    // Nothing can be published from it; marked so that it is not fetched without validators
    // on every pass. A new version of the page is read again.
    (void)ledger_.mark_delivered(j.url, j.sha256);
    End(id, PageStatus::kSkipped, "unparseable: " + parsed.output.status().message());
    return;
  }
  const parser::ParseOutput& out = parsed.output.value();
  if (!out.is_report) {
    ++stats_.not_a_report;
    (void)ledger_.mark_delivered(j.url, j.sha256);
    End(id, PageStatus::kSkipped, "not_a_report");
    return;
  }
  for (const auto& f : out.findings) ++stats_.findings_by_rule[f.rule];
  // The version is written to the state before anything is produced: after a crash at any
  // point, the next different content is a revision, and this content, handed on again,
  // is the same version with the same ce_ids.
  auto version = ledger_.begin_version(j.url, j.sha256);
  if (!version.ok()) {
    End(id, PageStatus::kFailed, "state: " + version.status().message());
    return;
  }
  ReportEvent event = version.value() <= 1 ? ReportEvent::kPublished : ReportEvent::kRevised;
  ++(event == ReportEvent::kPublished ? stats_.published : stats_.revised);
  j.batch = std::make_shared<const sinks::Batch>(
      ReportBatch(options_.topics, j.source, out, event, version.value(), parsed.page.fetched_at));
  j.stage = Stage::kDelivering;
  j.sinks_left = sinks_.size();
  if (sinks_.empty()) {
    End(id, PageStatus::kFailed, "no sink");
    return;
  }
  for (size_t s = 0; s < sinks_.size(); ++s) Offer(id, s);
}

// Hands the journey's batch to sink `s`; a full sink keeps it waiting here.
void StatusUpdater::Offer(JourneyId id, size_t s) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  std::weak_ptr<StatusUpdater*> self = self_;
  auto done = [self, id, loop = loop_.get_executor()](Status status) {
    // On the sink's thread: hand off only.
    asio::post(loop, [self, id, status = std::move(status)]() mutable {
      if (auto u = self.lock()) (*u)->OnSinkDone(id, std::move(status));
    });
  };
  if (!sinks_[s]->TrySubmit(it->second.batch, std::move(done))) waiting_.emplace_back(id, s);
}

void StatusUpdater::OnSinkDone(JourneyId id, Status status) {
  // A sink finished a batch: it has room again for the ones waiting.
  RetryWaiting();
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  Journey& j = it->second;
  if (!status.ok()) {
    ++stats_.delivery_failures;
    j.sink_failed = true;
    j.failure = status.message();
  }
  if (--j.sinks_left != 0) return;
  if (j.sink_failed) {
    End(id, PageStatus::kFailed, "sink: " + j.failure);
    return;
  }
  if (Status s = ledger_.mark_delivered(j.url, j.sha256); !s.ok()) {
    // Delivered, but the state does not know it: the page is published again after the next
    // fetch (at least once). Said in the reason so the operator sees it.
    End(id, PageStatus::kDelivered, "state: " + s.message());
    return;
  }
  End(id, PageStatus::kDelivered, "");
}

void StatusUpdater::RetryWaiting() {
  size_t n = waiting_.size();
  for (size_t i = 0; i < n && !waiting_.empty(); ++i) {
    auto [id, s] = waiting_.front();
    waiting_.pop_front();
    Offer(id, s);  // refused again: back at the end of the line
  }
}

void StatusUpdater::PublishEvent(sinks::Batch batch) {
  auto shared = std::make_shared<const sinks::Batch>(std::move(batch));
  std::weak_ptr<StatusUpdater*> self = self_;
  for (auto* sink : sinks_) {
    auto done = [self, loop = loop_.get_executor()](Status) {
      asio::post(loop, [self] {
        if (auto u = self.lock()) (*u)->RetryWaiting();
      });
    };
    if (!sink->TrySubmit(shared, std::move(done))) ++stats_.events_dropped;
  }
}

void StatusUpdater::Ended(JourneyId id, PageStatus status, std::string reason) {
  End(id, status, std::move(reason));
}

void StatusUpdater::End(JourneyId id, PageStatus status, std::string reason) {
  auto it = journeys_.find(id);
  if (it == journeys_.end()) return;
  Journey j = std::move(it->second);
  journeys_.erase(it);
  ++stats_.ended[status];
  Logger("ingest")->debug("page source={} url={} status={} reason={}", j.source, j.url,
                          PageStatusName(status), reason);
  if (j.claims_url) {
    if (auto c = claims_.find(j.url); c != claims_.end() && c->second == id) claims_.erase(c);
  }
  if (on_end_) on_end_(j.source, j.url, status, reason);
  if (j.has_slot) {
    --slots_used_;
    if (room_wanted_ && on_room_) {
      room_wanted_ = false;
      // Posted: the crawler may be inside a call into this updater right now.
      std::weak_ptr<StatusUpdater*> self = self_;
      asio::post(loop_, [self] {
        if (auto u = self.lock(); u && (*u)->on_room_) (*u)->on_room_();
      });
    }
  }
  if (journeys_.empty() && idle_) asio::post(loop_, std::exchange(idle_, nullptr));
}

void StatusUpdater::WhenIdle(std::function<void()> idle) {
  if (journeys_.empty()) {
    asio::post(loop_, std::move(idle));
    return;
  }
  idle_ = std::move(idle);
}

void StatusUpdater::Abandon() {
  std::vector<JourneyId> late;
  for (const auto& [id, j] : journeys_) {
    if (j.stage == Stage::kParsing || j.stage == Stage::kDelivering) late.push_back(id);
  }
  for (JourneyId id : late) End(id, PageStatus::kFailed, "shutdown");
  waiting_.clear();
}

}  // namespace nianbao::ingest
