#include "sinks/kafka_sink.h"

#include <librdkafka/rdkafka.h>
#include <spdlog/fmt/fmt.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <mutex>
#include <sstream>
#include <thread>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "sinks/batch_queue.h"

// The sink thread's loop (Impl::Run), one step per iteration, so that every step is short
// (blocking calls take at most call_timeout) and Close() is noticed between steps:
//
//   no producer ............ create one                      (failure: back off)
//   not initialised ........ init_transactions(slice)        (timeout: call again)
//   no group ............... poll(0); take up to N batches from the queue (wait <= 100 ms)
//   group, no transaction .. begin_transaction
//   group, transaction ..... produce what is not produced; commit_transaction(slice)
//        commit OK ............. done(OK) for each batch of the group, in order
//        retriable / timeout ... commit again at the next step (it resumes)
//        abortable ............. abort_transaction, back off, produce the group again
//        fatal ................. destroy the producer, back off, start over
//   closing and nothing left, or the close deadline passed -> Shutdown()
//
// Shutdown: abort an unfinished transaction (bounded), destroy the producer, done(Unavailable)
// for the group and everything still queued.

namespace nianbao::sinks {
namespace {

using Clock = std::chrono::steady_clock;
using internal::BatchQueue;
using internal::QueuedBatch;

struct ConfDeleter {
  void operator()(rd_kafka_conf_t* conf) const { rd_kafka_conf_destroy(conf); }
};
using ConfPtr = std::unique_ptr<rd_kafka_conf_t, ConfDeleter>;

struct ProducerDeleter {
  void operator()(rd_kafka_t* rk) const { rd_kafka_destroy(rk); }
};
using ProducerPtr = std::unique_ptr<rd_kafka_t, ProducerDeleter>;

struct ErrorDeleter {
  void operator()(rd_kafka_error_t* error) const { rd_kafka_error_destroy(error); }
};
using ErrorPtr = std::unique_ptr<rd_kafka_error_t, ErrorDeleter>;

constexpr int64_t kNoDeadline = INT64_MAX;
// How often an idle sink thread polls the producer (delivery reports, error events).
constexpr auto kIdlePoll = std::chrono::milliseconds(100);
// Repeated warnings of one kind (a broker that stays down) are logged at most this often; the
// counters in Stats keep the full count.
constexpr auto kWarnInterval = std::chrono::seconds(10);
// Retriable failures are logged at debug until they have gone on this long.
constexpr auto kQuietRetries = std::chrono::seconds(3);

int64_t ToNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

bool HasFeature(const std::string& features, const std::string& feature) {
  std::stringstream in(features);
  std::string item;
  while (std::getline(in, item, ',')) {
    if (item == feature) return true;
  }
  return false;
}

// The codec to configure: the wanted one if this librdkafka has it, else zstd, lz4, none.
std::string ChooseCompression(const std::string& wanted, const std::string& features) {
  if (wanted == "none") return wanted;
  for (const std::string& codec : {wanted, std::string("zstd"), std::string("lz4")}) {
    if (HasFeature(features, codec)) return codec;
  }
  return "none";
}

std::string BuiltinFeatures(rd_kafka_conf_t* conf) {
  char buf[512];
  size_t size = sizeof(buf);
  if (rd_kafka_conf_get(conf, "builtin.features", buf, &size) != RD_KAFKA_CONF_OK) return "";
  return buf;
}

// Names the property and gives librdkafka's reason; the value is not repeated by us (it may be
// a password), librdkafka's own message may quote it for non-secret enum values.
Status SetProperty(rd_kafka_conf_t* conf, const std::string& name, const std::string& value) {
  char errstr[512];
  if (rd_kafka_conf_set(conf, name.c_str(), value.c_str(), errstr, sizeof(errstr)) !=
      RD_KAFKA_CONF_OK) {
    return Status::InvalidArgument(fmt::format("kafka property '{}': {}", name, errstr));
  }
  return Status::Ok();
}

// A refusal of one message that no retry fixes; the batch is reported with this Status.
bool IsPermanentMessageError(rd_kafka_resp_err_t err) {
  switch (err) {
    case RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
      return true;
    default:
      return false;
  }
}

}  // namespace

class KafkaSink::Impl {
 public:
  Impl(Options options, std::string compression)
      : options_(std::move(options)),
        compression_(std::move(compression)),
        transactional_(!options_.transactional_id.empty()),
        logger_(Logger("sinks.kafka")),
        queue_(options_.queue_capacity),
        backoff_(options_.retry_backoff_min) {}

  ~Impl() { (void)Close(std::chrono::milliseconds(0)); }
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Takes the configuration (callbacks are set here) and creates the first producer, so that a
  // configuration librdkafka rejects fails Create(). Before Start().
  Status Init(ConfPtr conf) {
    rd_kafka_conf_set_opaque(conf.get(), this);
    rd_kafka_conf_set_dr_msg_cb(conf.get(), &Impl::DeliveryCallback);
    rd_kafka_conf_set_error_cb(conf.get(), &Impl::ErrorCallback);
    rd_kafka_conf_set_log_cb(conf.get(), &Impl::LogCallback);
    conf_template_ = std::move(conf);
    return CreateProducer();
  }

  void Start() {
    thread_ = std::thread([this] { Run(); });
  }

  bool TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
    return queue_.TryPush(std::move(batch), std::move(done));
  }
  size_t pending() const { return queue_.pending(); }
  const std::string& compression() const { return compression_; }

  Stats stats() const {
    Stats s;
    s.batches_committed = batches_committed_.load(std::memory_order_relaxed);
    s.batches_failed = batches_failed_.load(std::memory_order_relaxed);
    s.transactions_committed = transactions_committed_.load(std::memory_order_relaxed);
    s.transactions_aborted = transactions_aborted_.load(std::memory_order_relaxed);
    s.messages_produced = messages_produced_.load(std::memory_order_relaxed);
    s.delivery_errors = delivery_errors_.load(std::memory_order_relaxed);
    s.retries = retries_.load(std::memory_order_relaxed);
    s.producer_restarts = producer_restarts_.load(std::memory_order_relaxed);
    s.client_errors = client_errors_.load(std::memory_order_relaxed);
    s.queue_depth = queue_.size();
    s.in_flight = in_flight_.load(std::memory_order_relaxed);
    s.oldest_pending_age = queue_.OldestPendingAge(std::chrono::steady_clock::now());
    return s;
  }

  Status Close(std::chrono::milliseconds deadline) {
    std::lock_guard<std::mutex> lock(close_mu_);
    if (!closed_) {
      // The deadline is published before the queue closes: the sink thread reads it only after
      // seeing the queue closed (under the queue's mutex).
      close_deadline_ns_.store(ToNs(Clock::now() + deadline));
      queue_.Close();
      if (thread_.joinable()) thread_.join();
      closed_ = true;
    }
    const uint64_t lost = unavailable_at_close_.load();
    if (lost == 0) return Status::Ok();
    return Status::Unavailable(
        fmt::format("kafka sink closed with {} batch(es) not committed", lost));
  }

 private:
  // A batch taken from the queue, until it is reported.
  struct InFlight {
    QueuedBatch q;
    bool produced = false;   // all its messages handed to the current producer/transaction
    uint64_t attempt = 0;    // msg_opaque of its messages; a new one per produce attempt
    size_t outstanding = 0;  // delivery reports still expected (idempotent mode)
    bool failed = false;     // a delivery report failed (idempotent mode)
  };

  enum class Produced { kAll, kNotNow };

  // ---- librdkafka callbacks. Nothing may throw through them: they are noexcept (a throw would
  // terminate rather than unwind through C), and spdlog catches its own errors.
  static void DeliveryCallback(rd_kafka_t* /*rk*/, const rd_kafka_message_t* msg,
                               void* opaque) noexcept {
    static_cast<Impl*>(opaque)->OnDelivery(*msg);
  }
  static void ErrorCallback(rd_kafka_t* /*rk*/, int err, const char* reason,
                            void* opaque) noexcept {
    static_cast<Impl*>(opaque)->OnError(static_cast<rd_kafka_resp_err_t>(err), reason);
  }
  // Called on librdkafka's threads.
  static void LogCallback(const rd_kafka_t* rk, int level, const char* fac,
                          const char* buf) noexcept {
    static_cast<Impl*>(rd_kafka_opaque(rk))->OnLog(level, fac, buf);
  }

  // Sink thread, inside poll/flush/commit.
  void OnDelivery(const rd_kafka_message_t& msg) {
    const auto attempt = static_cast<uint64_t>(reinterpret_cast<uintptr_t>(msg._private));
    if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR && msg.err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
        msg.err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
      delivery_errors_.fetch_add(1, std::memory_order_relaxed);
      if (ShouldWarn(last_delivery_warn_)) {
        logger_->warn("delivery to {} [{}] failed: {}",
                      msg.rkt != nullptr ? rd_kafka_topic_name(msg.rkt) : "?", msg.partition,
                      rd_kafka_err2str(msg.err));
      }
    }
    for (InFlight& f : group_) {
      if (f.attempt != attempt) continue;
      if (f.outstanding > 0) --f.outstanding;
      if (msg.err != RD_KAFKA_RESP_ERR_NO_ERROR) f.failed = true;
      break;
    }
  }

  // Sink thread, inside poll.
  void OnError(rd_kafka_resp_err_t err, const char* reason) {
    client_errors_.fetch_add(1, std::memory_order_relaxed);
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
      logger_->error("producer fatal error: {}", reason);  // acted upon in Run()
    } else if (ShouldWarn(last_client_warn_)) {
      logger_->warn("client error {}: {}", rd_kafka_err2name(err), reason);
    }
  }

  void OnLog(int level, const char* fac, const char* buf) {
    spdlog::level::level_enum lvl = spdlog::level::debug;
    if (level <= 2) {
      lvl = spdlog::level::err;
    } else if (level <= 4) {
      // Connection failures (FAIL) repeat while a broker is down; the error callback already
      // reports them, rate-limited.
      lvl = std::string_view(fac) == "FAIL" ? spdlog::level::debug : spdlog::level::warn;
    } else if (level == 5) {
      lvl = spdlog::level::info;
    }
    logger_->log(lvl, "librdkafka {}: {}", fac, buf);
  }

  // ---- the sink thread

  void Run() {
    while (!ShouldStop()) {
      if (!rk_) {
        Status s = CreateProducer();
        if (!s.ok()) {
          logger_->error("{}", s.ToString());
          Backoff();
        }
        continue;
      }
      char fatal[256];
      if (rd_kafka_fatal_error(rk_.get(), fatal, sizeof(fatal)) != RD_KAFKA_RESP_ERR_NO_ERROR) {
        RestartProducer(fatal);
        continue;
      }
      if (transactional_ && !txn_ready_) {
        InitTransactions();
        continue;
      }
      if (group_.empty()) {
        FillGroup();
        continue;
      }
      if (transactional_) {
        StepTransaction();
      } else {
        StepIdempotent();
      }
    }
    Shutdown();
  }

  bool ShouldStop() const {
    if (!queue_.closed()) return false;
    if (PastDeadline()) return true;
    return group_.empty() && queue_.size() == 0;
  }

  Clock::time_point Deadline() const {
    return Clock::time_point(std::chrono::nanoseconds(close_deadline_ns_.load()));
  }
  bool PastDeadline() const { return Clock::now() >= Deadline(); }

  // The timeout of one blocking call: call_timeout, or less when closing.
  int SliceMs() const {
    auto slice = options_.call_timeout;
    if (close_deadline_ns_.load() != kNoDeadline) {
      slice = std::min(
          slice, std::chrono::duration_cast<std::chrono::milliseconds>(Deadline() - Clock::now()));
    }
    return static_cast<int>(std::max<int64_t>(slice.count(), 1));
  }

  bool ShouldWarn(Clock::time_point& last) {
    const auto now = Clock::now();
    if (last != Clock::time_point() && now - last < kWarnInterval) return false;
    last = now;
    return true;
  }

  // Waits out the current backoff (never past the close deadline), polling the producer so that
  // its events are served, and doubles the next one.
  void Backoff() {
    const auto until = std::min(Clock::now() + backoff_, Deadline());
    backoff_ = std::min(backoff_ * 2, options_.retry_backoff_max);
    for (auto now = Clock::now(); now < until; now = Clock::now()) {
      const auto step =
          std::min<Clock::duration>(until - now, std::chrono::milliseconds(kIdlePoll));
      if (rk_) {
        const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(step).count();
        rd_kafka_poll(rk_.get(), static_cast<int>(std::max<int64_t>(ms, 1)));
      } else {
        std::this_thread::sleep_for(step);
      }
    }
  }

  Status CreateProducer() {
    rd_kafka_conf_t* conf = rd_kafka_conf_dup(conf_template_.get());
    char errstr[512];
    rd_kafka_t* rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, errstr, sizeof(errstr));
    if (rk == nullptr) {
      rd_kafka_conf_destroy(conf);  // rd_kafka_new() takes it only on success
      return Status::InvalidArgument(fmt::format("kafka producer configuration: {}", errstr));
    }
    rk_.reset(rk);
    txn_ready_ = false;
    txn_open_ = false;
    commit_in_progress_ = false;
    for (InFlight& f : group_) f.produced = false;
    return Status::Ok();
  }

  void RestartProducer(const std::string& reason) {
    logger_->error("recreating the producer after a fatal error: {}", reason);
    producer_restarts_.fetch_add(1, std::memory_order_relaxed);
    retries_.fetch_add(1, std::memory_order_relaxed);
    rk_.reset();  // its unfinished transaction is fenced by the next init_transactions
    txn_ready_ = false;
    txn_open_ = false;
    commit_in_progress_ = false;
    for (InFlight& f : group_) f.produced = false;
    Backoff();
  }

  void InitTransactions() {
    ErrorPtr e(rd_kafka_init_transactions(rk_.get(), SliceMs()));
    if (!e) {
      txn_ready_ = true;
      retry_streak_start_ = {};
      backoff_ = options_.retry_backoff_min;
      logger_->info("transactions initialised (transactional.id {})", options_.transactional_id);
      return;
    }
    HandleError("init_transactions", e.get());
  }

  void FillGroup() {
    rd_kafka_poll(rk_.get(), 0);
    std::vector<QueuedBatch> taken;
    queue_.PopUpTo(options_.max_batches_per_transaction, taken, Clock::now() + kIdlePoll);
    for (QueuedBatch& q : taken) group_.push_back(InFlight{std::move(q)});
    in_flight_.store(group_.size(), std::memory_order_relaxed);
  }

  void StepTransaction() {
    if (!txn_open_) {
      ErrorPtr e(rd_kafka_begin_transaction(rk_.get()));
      if (e) {
        HandleError("begin_transaction", e.get());
        return;
      }
      txn_open_ = true;
      for (InFlight& f : group_) f.produced = false;
    }
    if (ProduceGroup() != Produced::kAll) return;
    ErrorPtr e(rd_kafka_commit_transaction(rk_.get(), SliceMs()));
    if (e) {
      HandleError("commit_transaction", e.get());
      return;
    }
    txn_open_ = false;
    commit_in_progress_ = false;
    retry_streak_start_ = {};
    transactions_committed_.fetch_add(1, std::memory_order_relaxed);
    backoff_ = options_.retry_backoff_min;
    for (InFlight& f : group_) {
      batches_committed_.fetch_add(1, std::memory_order_relaxed);
      internal::Report(queue_, f.q, Status::Ok());
    }
    group_.clear();
    in_flight_.store(0, std::memory_order_relaxed);
  }

  void StepIdempotent() {
    if (ProduceGroup() != Produced::kAll) return;
    const bool waiting = std::any_of(group_.begin(), group_.end(),
                                     [](const InFlight& f) { return f.outstanding > 0; });
    if (waiting) rd_kafka_poll(rk_.get(), SliceMs());  // serves the delivery reports
    bool retry = false;
    std::vector<InFlight> rest;
    for (InFlight& f : group_) {
      if (f.outstanding > 0) {
        rest.push_back(std::move(f));
      } else if (f.failed) {
        f.produced = false;  // produce it again
        retry = true;
        rest.push_back(std::move(f));
      } else {
        batches_committed_.fetch_add(1, std::memory_order_relaxed);
        internal::Report(queue_, f.q, Status::Ok());
      }
    }
    group_ = std::move(rest);
    in_flight_.store(group_.size(), std::memory_order_relaxed);
    if (retry) {
      retries_.fetch_add(1, std::memory_order_relaxed);
      Backoff();
    } else if (group_.empty()) {
      backoff_ = options_.retry_backoff_min;
    }
  }

  // Hands every message of every batch not yet produced to librdkafka. kNotNow: try again at a
  // later step (the reason is handled here: deadline, refused batch reported, abort, restart).
  Produced ProduceGroup() {
    for (size_t i = 0; i < group_.size(); ++i) {
      InFlight& f = group_[i];
      if (f.produced) continue;
      f.attempt = next_attempt_++;
      f.outstanding = 0;
      f.failed = false;
      for (const Message& m : f.q.batch->messages) {
        const rd_kafka_resp_err_t err = ProduceOne(m, f.attempt);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
          ++f.outstanding;
          continue;
        }
        if (err == RD_KAFKA_RESP_ERR__TIMED_OUT) return Produced::kNotNow;  // close deadline
        if (IsPermanentMessageError(err)) {
          RefuseBatch(i, m, err);
        } else if (err == RD_KAFKA_RESP_ERR__FATAL) {
          RestartProducer(fmt::format("produce: {}", rd_kafka_err2str(err)));
        } else {
          // E.g. __STATE: the transaction already failed (a delivery error); commit would say
          // so too. Start this group over.
          logger_->warn("produce to {} refused: {}", m.topic, rd_kafka_err2str(err));
          if (transactional_) AbortForRetry();
          Backoff();
        }
        return Produced::kNotNow;
      }
      f.produced = true;
    }
    return Produced::kAll;
  }

  // One message; waits (serving delivery reports) while librdkafka's own queue is full.
  // Returns __TIMED_OUT only when the close deadline passes while waiting.
  rd_kafka_resp_err_t ProduceOne(const Message& m, uint64_t attempt) {
    while (true) {
      rd_kafka_headers_t* headers = nullptr;
      if (!m.headers.empty()) {
        headers = rd_kafka_headers_new(m.headers.size());
        for (const Header& h : m.headers) {
          rd_kafka_header_add(headers, h.key.data(), static_cast<ssize_t>(h.key.size()),
                              h.value.data(), static_cast<ssize_t>(h.value.size()));
        }
      }
      // rd_kafka_produceva: rd_kafka_producev's array form (same message: topic, key, value,
      // headers, opaque), whose RD_KAFKA_V_* macros would need C-style casts here.
      // MSG_F_COPY: librdkafka copies key and value, the batch stays ours until reported.
      rd_kafka_vu_t vu[6] = {};
      vu[0].vtype = RD_KAFKA_VTYPE_TOPIC;
      vu[0].u.cstr = m.topic.c_str();
      vu[1].vtype = RD_KAFKA_VTYPE_MSGFLAGS;
      vu[1].u.i = RD_KAFKA_MSG_F_COPY;
      vu[2].vtype = RD_KAFKA_VTYPE_KEY;
      vu[2].u.mem = {const_cast<char*>(m.key.data()), m.key.size()};
      vu[3].vtype = RD_KAFKA_VTYPE_VALUE;
      vu[3].u.mem = {const_cast<char*>(m.value.data()), m.value.size()};
      // The opaque is an integer tag (the attempt), not a pointer: a delivery report that
      // arrives after its batch was retried or reported matches nothing and cannot dangle.
      vu[4].vtype = RD_KAFKA_VTYPE_OPAQUE;
      vu[4].u.ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(attempt));
      size_t count = 5;
      if (headers != nullptr) {
        vu[5].vtype = RD_KAFKA_VTYPE_HEADERS;
        vu[5].u.headers = headers;
        count = 6;
      }
      ErrorPtr error(rd_kafka_produceva(rk_.get(), vu, count));
      const rd_kafka_resp_err_t err =
          error ? rd_kafka_error_code(error.get()) : RD_KAFKA_RESP_ERR_NO_ERROR;
      if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {  // librdkafka owns the headers now
        messages_produced_.fetch_add(1, std::memory_order_relaxed);
        return err;
      }
      if (headers != nullptr) rd_kafka_headers_destroy(headers);
      if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) return err;
      // Never block on a full local queue: serve delivery reports, which frees room.
      if (queue_.closed() && PastDeadline()) return RD_KAFKA_RESP_ERR__TIMED_OUT;
      rd_kafka_poll(rk_.get(), static_cast<int>(kIdlePoll.count()));
    }
  }

  // Reports group_[index] with the Status for `err` and takes it out of the group; the rest of
  // the group starts over in a new transaction, without the messages of the refused batch.
  // `m` is a message of that batch: formatted before the batch is moved.
  void RefuseBatch(size_t index, const Message& m, rd_kafka_resp_err_t err) {
    const std::string why = fmt::format(
        "kafka refused a message of batch {} (topic {}, key {}, {} bytes): {}",
        group_[index].q.batch->id, m.topic, m.key, m.value.size(), rd_kafka_err2str(err));
    InFlight refused = std::move(group_[index]);
    group_.erase(group_.begin() + static_cast<std::ptrdiff_t>(index));
    in_flight_.store(group_.size(), std::memory_order_relaxed);
    logger_->error("{}", why);
    batches_failed_.fetch_add(1, std::memory_order_relaxed);
    internal::Report(queue_, refused.q,
                     err == RD_KAFKA_RESP_ERR_MSG_SIZE_TOO_LARGE ? Status::TooLarge(why)
                                                                 : Status::InvalidArgument(why));
    if (transactional_) AbortForRetry();
  }

  // The error of a transactional call (init, begin, commit): what to do next step.
  void HandleError(const char* op, const rd_kafka_error_t* e) {
    const rd_kafka_resp_err_t code = rd_kafka_error_code(e);
    if (rd_kafka_error_is_fatal(e)) {
      RestartProducer(fmt::format("{}: {}", op, rd_kafka_error_string(e)));
      return;
    }
    if (rd_kafka_error_txn_requires_abort(e)) {
      logger_->warn("{} failed, aborting and retrying {} batch(es): {}", op, group_.size(),
                    rd_kafka_error_string(e));
      AbortForRetry();
      Backoff();
      return;
    }
    if (rd_kafka_error_is_retriable(e)) {
      // The call resumes where it stopped when made again at the next step. The first commit
      // to a new topic routinely outlasts one call_timeout (metadata), so only a streak of
      // retries is worth a warning.
      retries_.fetch_add(1, std::memory_order_relaxed);
      if (std::string_view(op) == "commit_transaction") commit_in_progress_ = true;
      const auto now = Clock::now();
      if (retry_streak_start_ == Clock::time_point()) retry_streak_start_ = now;
      if (now - retry_streak_start_ >= kQuietRetries && ShouldWarn(last_retry_warn_)) {
        logger_->warn(
            "{} still not done after {} s, retrying (broker down?): {}", op,
            std::chrono::duration_cast<std::chrono::seconds>(now - retry_streak_start_).count(),
            rd_kafka_error_string(e));
      } else {
        logger_->debug("{} not done yet, retrying: {}", op, rd_kafka_error_string(e));
      }
      if (code != RD_KAFKA_RESP_ERR__TIMED_OUT) Backoff();  // a timeout has waited already
      return;
    }
    // Neither retriable, abortable nor fatal: the producer is in a state we did not expect.
    // Starting over with a new producer is always safe (at least once).
    RestartProducer(fmt::format("{}: {}", op, rd_kafka_error_string(e)));
  }

  // Aborts the open transaction so that the group can be produced again. Retries a timed out
  // abort until it succeeds or the close deadline passes; restarts the producer if it fails.
  void AbortForRetry() {
    transactions_aborted_.fetch_add(1, std::memory_order_relaxed);
    retries_.fetch_add(1, std::memory_order_relaxed);
    for (InFlight& f : group_) f.produced = false;
    if (!txn_open_) return;
    while (true) {
      ErrorPtr e(rd_kafka_abort_transaction(rk_.get(), SliceMs()));
      if (!e) {
        txn_open_ = false;
        commit_in_progress_ = false;
        return;
      }
      if (rd_kafka_error_is_retriable(e.get()) && !rd_kafka_error_is_fatal(e.get())) {
        if (queue_.closed() && PastDeadline()) return;  // Shutdown() tries once more
        if (ShouldWarn(last_retry_warn_)) {
          logger_->warn("abort_transaction not done yet, retrying: {}",
                        rd_kafka_error_string(e.get()));
        }
        continue;
      }
      RestartProducer(fmt::format("abort_transaction: {}", rd_kafka_error_string(e.get())));
      return;
    }
  }

  void Shutdown() {
    if (rk_) {
      // An unfinished transaction is aborted by the broker after transaction.timeout.ms, or
      // when the next producer with this transactional.id initialises; aborting it here (bounded)
      // only frees read_committed consumers sooner. A commit in progress cannot be aborted.
      if (transactional_ && txn_open_ && commit_in_progress_) {
        logger_->warn("closing during an unfinished commit; the broker will abort it");
      } else if (transactional_ && txn_open_) {
        ErrorPtr e(
            rd_kafka_abort_transaction(rk_.get(), static_cast<int>(options_.call_timeout.count())));
        if (e) {
          logger_->warn("could not abort the unfinished transaction at close: {}",
                        rd_kafka_error_string(e.get()));
        }
      }
      const int left = rd_kafka_outq_len(rk_.get());
      if (left > 0) logger_->warn("closing with {} message(s) undelivered", left);
      rk_.reset();
    }
    std::vector<QueuedBatch> rest = queue_.DrainAll();
    const size_t lost = group_.size() + rest.size();
    if (lost > 0) {
      logger_->warn("closing: {} batch(es) not committed, reported unavailable", lost);
    }
    unavailable_at_close_.store(lost);
    batches_failed_.fetch_add(lost, std::memory_order_relaxed);
    for (InFlight& f : group_) {
      internal::Report(queue_, f.q,
                       Status::Unavailable(fmt::format(
                           "kafka sink closed before batch {} was committed", f.q.batch->id)));
    }
    group_.clear();
    in_flight_.store(0, std::memory_order_relaxed);
    for (QueuedBatch& q : rest) {
      internal::Report(queue_, q,
                       Status::Unavailable(fmt::format(
                           "kafka sink closed before batch {} was committed", q.batch->id)));
    }
  }

  const Options options_;
  const std::string compression_;
  const bool transactional_;
  std::shared_ptr<spdlog::logger> logger_;
  BatchQueue queue_;
  ConfPtr conf_template_;  // set by Init(), read-only afterwards

  // Sink thread only (and Init() before the thread starts).
  ProducerPtr rk_;
  bool txn_ready_ = false;           // init_transactions succeeded on rk_
  bool txn_open_ = false;            // begin_transaction called, not yet committed or aborted
  bool commit_in_progress_ = false;  // commit_transaction timed out; only commit may follow
  Clock::time_point retry_streak_start_{};  // first of consecutive retriable failures
  std::vector<InFlight> group_;
  uint64_t next_attempt_ = 1;
  std::chrono::milliseconds backoff_;
  Clock::time_point last_retry_warn_{};
  Clock::time_point last_delivery_warn_{};
  Clock::time_point last_client_warn_{};

  // Any thread.
  std::atomic<int64_t> close_deadline_ns_{kNoDeadline};  // steady_clock; set once by Close()
  std::atomic<uint64_t> batches_committed_{0};
  std::atomic<uint64_t> batches_failed_{0};
  std::atomic<uint64_t> transactions_committed_{0};
  std::atomic<uint64_t> transactions_aborted_{0};
  std::atomic<uint64_t> messages_produced_{0};
  std::atomic<uint64_t> delivery_errors_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> producer_restarts_{0};
  std::atomic<uint64_t> client_errors_{0};
  std::atomic<size_t> in_flight_{0};
  std::atomic<uint64_t> unavailable_at_close_{0};
  std::mutex close_mu_;
  bool closed_ = false;  // GUARDED_BY(close_mu_)
  std::thread thread_;
};

Result<std::unique_ptr<KafkaSink>> KafkaSink::Create(Options options) {
  if (options.brokers.empty()) return Status::InvalidArgument("kafka sink: brokers is empty");
  if (options.queue_capacity == 0) {
    return Status::InvalidArgument("kafka sink: queue_capacity is 0");
  }
  if (options.max_batches_per_transaction == 0) {
    return Status::InvalidArgument("kafka sink: max_batches_per_transaction is 0");
  }
  if (options.call_timeout.count() <= 0) {
    return Status::InvalidArgument("kafka sink: call_timeout must be positive");
  }
  if (options.retry_backoff_min.count() <= 0 ||
      options.retry_backoff_max < options.retry_backoff_min) {
    return Status::InvalidArgument("kafka sink: need 0 < retry_backoff_min <= retry_backoff_max");
  }

  ConfPtr conf(rd_kafka_conf_new());
  const std::string codec = ChooseCompression(options.compression, BuiltinFeatures(conf.get()));
  std::vector<std::pair<std::string, std::string>> props = {
      {"bootstrap.servers", options.brokers}, {"client.id", "nianbao"},
      {"enable.idempotence", "true"},         {"acks", "all"},
      {"compression.codec", codec},
  };
  if (!options.transactional_id.empty()) {
    props.emplace_back("transactional.id", options.transactional_id);
    props.emplace_back("transaction.timeout.ms",
                       std::to_string(options.transaction_timeout.count()));
  }
  for (const auto& [name, value] : options.properties) props.emplace_back(name, value);
  for (const auto& [name, value] : props) {
    Status s = SetProperty(conf.get(), name, value);
    if (!s.ok()) return s;
  }

  const std::string wanted = options.compression;
  auto impl = std::make_unique<Impl>(std::move(options), codec);
  if (codec != wanted) {
    Logger("sinks.kafka")
        ->warn("compression '{}' is not built into this librdkafka, using '{}'", wanted, codec);
  }
  Status s = impl->Init(std::move(conf));
  if (!s.ok()) return s;
  impl->Start();
  return std::unique_ptr<KafkaSink>(new KafkaSink(std::move(impl)));
}

Status CheckKafkaProperty(const std::string& name, const std::string& value) {
  ConfPtr conf(rd_kafka_conf_new());
  return SetProperty(conf.get(), name, value);
}

KafkaSink::KafkaSink(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
KafkaSink::~KafkaSink() = default;  // ~Impl closes

bool KafkaSink::TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
  return impl_->TrySubmit(std::move(batch), std::move(done));
}
size_t KafkaSink::pending() const { return impl_->pending(); }
Status KafkaSink::Close(std::chrono::milliseconds deadline) { return impl_->Close(deadline); }
KafkaSink::Stats KafkaSink::stats() const { return impl_->stats(); }
const std::string& KafkaSink::compression() const { return impl_->compression(); }

}  // namespace nianbao::sinks
