// KafkaSink: publishes batches to Kafka with a transactional, idempotent librdkafka producer,
// one transaction per group of queued batches, so that a read_committed consumer sees a report
// record and its findings together or not at all.
//
// Delivery: at least once, nothing dropped while the sink is open. A batch is reported through
// done(OK) once the transaction holding it is committed. Failures are retried, never reported:
//   abortable transaction error -> abort, back off, produce the same batches in a new transaction
//   retriable error or timeout  -> call again (init/commit/abort resume where they stopped)
//   fatal producer error        -> destroy the producer, create a new one, init, retry
//   broker down                 -> all of the above, forever, backing off from retry_backoff_min
//                                  doubling to retry_backoff_max, until Close()
// The only errors a batch gets: TooLarge / InvalidArgument when librdkafka refuses one of its
// messages outright (over message.max.bytes, invalid topic name; the rest of its group is
// retried without it), and Unavailable for what is still undelivered when Close()'s deadline
// passes.
//
// Order: batches are committed and reported in submission order. Messages with the same key go
// to the same partition (librdkafka's default partitioner) in submission order; after an abort a
// read_uncommitted consumer may see the aborted copies too, a read_committed one does not.
//
// Without transactional_id (idempotent mode) each batch completes when all its messages are
// acknowledged; a batch whose message failed is produced again (its other messages may then
// appear twice), and batches may complete out of order when one of them is retried.
//
// Owner: the daemon, through std::unique_ptr<Sink>; Close() before destruction.
// Threading: TrySubmit(), pending(), stats() and Close() may be called from any thread (Close()
// not from a `done` callback: it joins the thread that runs them). One internal thread, the
// "sink thread", owns the producer and makes every librdkafka call on it: the transactional API
// is blocking. Delivery reports, librdkafka error callbacks and every `done` run on that thread
// (inside rd_kafka_poll / commit / flush). librdkafka's log lines come from its own threads and
// go to the spdlog logger "sinks.kafka".
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sinks/sink.h"

namespace nianbao::sinks {

struct KafkaSinkOptions {
  // bootstrap.servers, e.g. "kafka1:9092,kafka2:9092". Required, no default.
  std::string brokers;
  // transactional.id. Default "nianbao-1". One per running daemon: a second producer with the
  // same id fences the first. Empty: idempotent producer without transactions (see above).
  std::string transactional_id = "nianbao-1";
  // compression.codec: "zstd" (default), "lz4", "snappy", "gzip" or "none". A codec this
  // librdkafka build lacks falls back to zstd, then lz4, then none (logged at start).
  std::string compression = "zstd";
  // Batches accepted and not yet taken into a transaction. Default 64. When full, TrySubmit()
  // refuses and the caller keeps the batch (backpressure).
  size_t queue_capacity = 64;
  // Queued batches grouped into one transaction. Default 16. 1 = one transaction per batch.
  size_t max_batches_per_transaction = 16;
  // transaction.timeout.ms; also caps message.timeout.ms. Default 60 s.
  std::chrono::milliseconds transaction_timeout{60'000};
  // Longest single blocking producer call (init/commit/abort resume after a timeout). Bounds how
  // far past its deadline Close() may return. Default 500 ms.
  std::chrono::milliseconds call_timeout{500};
  // Backoff before retrying after a failed attempt: from min, doubling, capped at max, reset by
  // a commit. Defaults 100 ms and 10 s.
  std::chrono::milliseconds retry_backoff_min{100};
  std::chrono::milliseconds retry_backoff_max{10'000};
  // Any other librdkafka producer property, passed through verbatim and applied last (so it
  // overrides the settings above), e.g. {"security.protocol", "ssl"}. Default none. An unknown
  // property or bad value fails Create() with a Status naming it.
  std::map<std::string, std::string> properties;
};

// Counters since Create(), readable from any thread (each a relaxed atomic load: consistent one
// by one, not as a set).
struct KafkaSinkStats {
  uint64_t batches_committed = 0;  // batches reported done(OK)
  uint64_t batches_failed = 0;     // batches reported with an error (refused message, Close)
  uint64_t transactions_committed = 0;
  uint64_t transactions_aborted = 0;  // aborts of a transaction that was then retried
  uint64_t messages_produced = 0;     // messages handed to librdkafka, retries included
  uint64_t delivery_errors = 0;       // failed delivery reports (purges after an abort excluded)
  uint64_t retries = 0;               // retried init/commit/abort calls and re-produced groups
  uint64_t producer_restarts = 0;     // producers recreated after a fatal error
  uint64_t client_errors = 0;         // librdkafka error events (e.g. all brokers down)
  size_t queue_depth = 0;             // batches waiting in the queue
  size_t in_flight = 0;               // batches taken by the sink thread, not yet reported
  // How long the oldest batch accepted and not yet reported has waited (zero when none): grows
  // while the brokers are down; the daemon's /readyz compares it with a threshold.
  std::chrono::milliseconds oldest_pending_age{0};
};

// Whether librdkafka accepts `value` for the producer property `name`, tried on a scratch
// configuration: Ok, or InvalidArgument naming the property with librdkafka's reason (the value
// is not repeated: it may be a password). For checking a configuration file where it is read,
// so that the message can name the file and line; Create() applies the same check.
Status CheckKafkaProperty(const std::string& name, const std::string& value);

class KafkaSink final : public Sink {
 public:
  using Options = KafkaSinkOptions;
  using Stats = KafkaSinkStats;

  // Validates the options, builds the producer configuration (an invalid property fails here,
  // naming it) and creates the producer; does not wait for a broker: init_transactions runs on
  // the sink thread, retried until the cluster answers.
  static Result<std::unique_ptr<KafkaSink>> Create(Options options);
  ~KafkaSink() override;  // Close(0 ms) if Close() was not called
  KafkaSink(const KafkaSink&) = delete;
  KafkaSink& operator=(const KafkaSink&) = delete;

  std::string_view name() const override { return "kafka"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) override;
  size_t pending() const override;
  // Stops accepting, keeps committing until the queue is empty or `deadline` passes, aborts an
  // unfinished transaction (bounded by call_timeout), destroys the producer, reports every batch
  // left with done(Unavailable) and returns Unavailable naming how many. Returns within
  // deadline + about call_timeout. A second call returns the first call's result.
  Status Close(std::chrono::milliseconds deadline) override;

  Stats stats() const;
  // The codec actually configured (after the fallback).
  const std::string& compression() const;

 private:
  class Impl;
  explicit KafkaSink(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace nianbao::sinks
