// The one narrow interface every output implements: Kafka, JSON Lines files, stdout.
//
// The ingest pipeline turns a report page into a Batch: the record and its findings,
// which must reach consumers together (Kafka: one transaction, so a read_committed
// consumer never sees one without the other). Fetch-log and source-health events are
// batches of one message. A sink accepts a batch without blocking, or refuses it when its
// bounded queue is full (the caller keeps it and slows down: backpressure); it reports each
// accepted batch exactly once through `done`: OK once the batch is durable (Kafka:
// committed), or an error (then the caller does not mark the page delivered, and it is
// published again later: at least once, same keys).
//
// Ownership: the daemon owns its sinks and destroys them after Close().
// Threading: TrySubmit() may be called from any thread; `done` runs on the sink's own
// thread and must only hand off (post to the caller's loop), never block.
//
// A batch is shared, immutable, among the sinks it goes to: the caller builds it once and
// every sink holds the same one (no copy per sink).
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace nianbao::sinks {

struct Header {
  std::string key;
  std::string value;
};

struct Message {
  std::string topic;  // the configured topic name, e.g. "nianbao.reports"
  std::string key;    // report_id, canonical URL or source name (spec record-v1)
  std::string value;  // JSON
  std::vector<Header> headers;
};

// Messages published all together or not at all.
struct Batch {
  std::string id;  // for logs, e.g. "<report_id>@<sha256 prefix>"
  std::vector<Message> messages;
};

class Sink {
 public:
  using Done = std::function<void(Status)>;
  virtual ~Sink() = default;

  virtual std::string_view name() const = 0;
  // Takes a reference to the batch and returns true, or returns false when the sink's queue
  // is full or the sink is closed. REQUIRES: batch != nullptr.
  virtual bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) = 0;
  // The same for a batch of the caller's own: moved from when taken, left untouched when
  // refused.
  bool TrySubmit(Batch& batch, Done done) {
    auto shared = std::make_shared<Batch>(std::move(batch));
    if (TrySubmit(std::shared_ptr<const Batch>(shared), std::move(done))) return true;
    batch = std::move(*shared);
    return false;
  }
  // Batches accepted and not yet reported through `done`.
  virtual size_t pending() const = 0;
  // Stops accepting batches, delivers what it can until `deadline`, reports every batch
  // still pending through its `done` with Status::Unavailable, and returns how it went.
  virtual Status Close(std::chrono::milliseconds deadline) = 0;
};

}  // namespace nianbao::sinks
