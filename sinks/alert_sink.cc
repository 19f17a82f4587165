#include "sinks/alert_sink.h"

#include <curl/curl.h>
#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <system_error>
#include <unordered_set>
#include <utility>
#include <vector>

#include "base/logging.h"
#include "base/retry_after.h"
#include "base/write_file.h"
#include "sinks/batch_queue.h"

namespace nianbao::sinks {
namespace {

using Clock = std::chrono::steady_clock;

int64_t ToNs(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

// An answer is read to learn whether it was refused; more than this is not needed.
constexpr size_t kMaxAnswerBytes = 64 << 10;

size_t OnBody(char* data, size_t size, size_t count, void* user) {
  auto* out = static_cast<std::string*>(user);
  const size_t n = size * count;
  out->append(data, std::min(n, kMaxAnswerBytes - std::min(out->size(), kMaxAnswerBytes)));
  return n;
}

struct Abort {
  const std::atomic<int64_t>* deadline_ns;
};

// Returning non-zero aborts the transfer: Close()'s deadline has passed.
int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  const auto* abort = static_cast<const Abort*>(user);
  return ToNs(Clock::now()) >= abort->deadline_ns->load() ? 1 : 0;
}

struct EasyDeleter {
  void operator()(CURL* h) const { curl_easy_cleanup(h); }
};
struct ListDeleter {
  void operator()(curl_slist* l) const { curl_slist_free_all(l); }
};

// The e-mail message, read by libcurl as the upload.
struct Upload {
  std::string_view data;
  size_t offset = 0;
};

size_t OnRead(char* buffer, size_t size, size_t count, void* user) {
  auto* up = static_cast<Upload*>(user);
  const size_t n = std::min(size * count, up->data.size() - up->offset);
  std::memcpy(buffer, up->data.data() + up->offset, n);
  up->offset += n;
  return n;
}

}  // namespace

// The ce_ids of the alerts this target has sent (or given up for good): a file of lines,
// appended and synced before a batch is acknowledged. Owner: the sink; its thread only.
class SentAlertLedger {
 public:
  static Result<std::unique_ptr<SentAlertLedger>> Open(const std::string& path,
                                                       size_t max_entries) {
    auto ledger = std::unique_ptr<SentAlertLedger>(new SentAlertLedger(path, max_entries));
    if (Status s = ledger->Load(); !s.ok()) return s;
    return ledger;
  }
  ~SentAlertLedger() {
    if (fd_ >= 0) ::close(fd_);
  }
  bool Contains(const std::string& key) const { return keys_.count(key) > 0; }
  // Appends `keys` (those not empty) and syncs the file.
  Status Add(const std::vector<std::string>& keys) {
    std::string lines;
    for (const auto& k : keys) {
      if (k.empty() || Contains(k)) continue;
      lines += k + "\n";
      Remember(k);
    }
    if (lines.empty()) return Status::Ok();
    size_t done = 0;
    while (done < lines.size()) {
      const ssize_t n = ::write(fd_, lines.data() + done, lines.size() - done);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return Status::IoError(path_ + ": " + std::generic_category().message(errno));
      done += static_cast<size_t>(n);
    }
    if (::fdatasync(fd_) != 0) {
      return Status::IoError(path_ + ": fdatasync: " + std::generic_category().message(errno));
    }
    return Status::Ok();
  }

 private:
  SentAlertLedger(std::string path, size_t max_entries)
      : path_(std::move(path)), max_entries_(std::max<size_t>(max_entries, 1)) {}

  void Remember(const std::string& key) {
    order_.push_back(key);
    keys_.insert(key);
    while (order_.size() > max_entries_) {
      keys_.erase(order_.front());
      order_.pop_front();
    }
  }

  // Reads the file (a torn last line from a crash is ignored: its alert was not acknowledged),
  // keeps the newest max_entries, rewrites the file when it holds more than twice that.
  Status Load() {
    size_t lines = 0;
    if (std::FILE* f = std::fopen(path_.c_str(), "rb")) {
      std::string text;
      char buffer[8192];
      size_t n = 0;
      while ((n = std::fread(buffer, 1, sizeof buffer, f)) > 0) text.append(buffer, n);
      const bool failed = std::ferror(f) != 0;
      std::fclose(f);
      if (failed) return Status::IoError(path_ + ": cannot read");
      size_t start = 0;
      for (size_t end; (end = text.find('\n', start)) != std::string::npos; start = end + 1) {
        if (end > start) Remember(text.substr(start, end - start));
        ++lines;
      }
      if (start < text.size()) ++lines;  // torn: rewritten below
      if (start < text.size() || lines > 2 * max_entries_) {
        if (Status s = Rewrite(); !s.ok()) return s;
      }
    } else if (errno != ENOENT) {
      return Status::IoError(path_ + ": " + std::generic_category().message(errno));
    }
    fd_ = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
    if (fd_ < 0) return Status::IoError(path_ + ": " + std::generic_category().message(errno));
    return Status::Ok();
  }

  Status Rewrite() {
    std::string text;
    for (const auto& k : order_) text += k + "\n";
    return WriteFileAtomically(path_, text);
  }

  const std::string path_;
  const size_t max_entries_;
  std::deque<std::string> order_;  // oldest first
  std::unordered_set<std::string> keys_;
  int fd_ = -1;
};

// At most `limit` messages in any `window`: the times of the last ones.
class AlertSink::RateLimit {
 public:
  RateLimit(int limit, Clock::duration window) : limit_(limit), window_(window) {}
  // When the next message may go (`now` if at once).
  Clock::time_point Next(Clock::time_point now) {
    while (!sent_.empty() && sent_.front() + window_ <= now) sent_.pop_front();
    if (limit_ <= 0 || sent_.size() < static_cast<size_t>(limit_)) return now;
    return sent_.front() + window_;
  }
  void Sent(Clock::time_point now) {
    if (limit_ > 0) sent_.push_back(now);
  }

 private:
  const int limit_;
  const Clock::duration window_;
  std::deque<Clock::time_point> sent_;
};

struct AlertSink::Held {
  internal::QueuedBatch q;
  Alert alert;
};

Result<std::unique_ptr<AlertSink>> AlertSink::Create(Options options) {
  const auto kinds = AlertKinds();
  const auto severities = AlertSeverities();
  if (std::find(kinds.begin(), kinds.end(), options.target.kind) == kinds.end()) {
    return Status::InvalidArgument("alert: unknown kind \"" + options.target.kind + "\"");
  }
  if (std::find(severities.begin(), severities.end(), options.target.min_severity) ==
      severities.end()) {
    return Status::InvalidArgument("alert: unknown min_severity \"" + options.target.min_severity +
                                   "\"");
  }
  if (options.target.url.empty()) return Status::InvalidArgument("alert: url is required");
  if (options.max_attempts < 1) return Status::InvalidArgument("alert: max_attempts < 1");
  if (options.target.kind == "email" &&
      (options.target.from.empty() || options.target.to.empty())) {
    return Status::InvalidArgument("alert: email needs from and to");
  }
  std::unique_ptr<SentAlertLedger> ledger;
  if (!options.ledger_path.empty()) {
    auto opened = SentAlertLedger::Open(options.ledger_path, options.ledger_max_entries);
    if (!opened.ok()) return opened.status();
    ledger = std::move(opened).value();
  }
  return std::unique_ptr<AlertSink>(new AlertSink(std::move(options), std::move(ledger)));
}

AlertSink::AlertSink(Options options, std::unique_ptr<SentAlertLedger> ledger)
    : options_(std::move(options)),
      name_("alert:" + options_.target.kind),
      rate_limit_(options_.target.rate_limit >= 0 ? options_.target.rate_limit
                                                  : AlertRateLimit(options_.target.kind)),
      logger_(Logger("sinks.alert")),
      ledger_(std::move(ledger)),
      rate_(std::make_unique<RateLimit>(rate_limit_, options_.rate_window)),
      queue_(std::make_unique<internal::BatchQueue>(options_.queue_capacity)),
      thread_([this] { Run(); }) {}

AlertSink::~AlertSink() { (void)Close(std::chrono::milliseconds(0)); }

bool AlertSink::TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
  return queue_->TryPush(std::move(batch), std::move(done));
}

size_t AlertSink::pending() const { return queue_->pending(); }

Status AlertSink::Close(std::chrono::milliseconds deadline) {
  std::lock_guard<std::mutex> close_lock(close_mu_);
  if (!closed_) {
    {
      std::lock_guard<std::mutex> lock(wait_mu_);
      close_deadline_ns_.store(ToNs(Clock::now() + deadline));
    }
    wait_cv_.notify_all();
    queue_->Close();
    if (thread_.joinable()) thread_.join();
    closed_ = true;
  }
  const uint64_t lost = unavailable_at_close_.load();
  if (lost == 0) return Status::Ok();
  return Status::Unavailable(name_ + " closed with " + std::to_string(lost) + " batch(es) unsent");
}

AlertSink::Stats AlertSink::stats() const {
  Stats s;
  s.sent = sent_.load(std::memory_order_relaxed);
  s.messages = messages_.load(std::memory_order_relaxed);
  s.digests = digests_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.refused = refused_.load(std::memory_order_relaxed);
  s.retries = retries_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  s.suppressed = suppressed_.load(std::memory_order_relaxed);
  s.ledger_errors = ledger_errors_.load(std::memory_order_relaxed);
  return s;
}

bool AlertSink::ClosingBy(Clock::time_point t) const {
  return ToNs(t) >= close_deadline_ns_.load();
}

bool AlertSink::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(wait_mu_);
  wait_cv_.wait_until(lock, until, [&] { return ClosingBy(Clock::now()); });
  return !ClosingBy(Clock::now());
}

void AlertSink::Run() {
  std::deque<Held> held;  // alerts waiting for their message, oldest first
  std::vector<internal::QueuedBatch> taken;
  while (true) {
    taken.clear();
    // Idle: wait for a batch (the wait only bounds the sleep; Close() wakes it). Holding
    // alerts back: take what has queued meanwhile, to join the digest, without waiting.
    // At most max_digest alerts held: with the queue's capacity, the sink's memory bound (the
    // rest wait in the queue, and a full queue refuses: backpressure).
    const size_t most = std::max<size_t>(options_.max_digest, 1);
    const size_t room = held.size() < most ? most - held.size() : 0;
    queue_->PopUpTo(room, taken,
                    held.empty() ? Clock::now() + std::chrono::seconds(1) : Clock::now());
    for (auto& q : taken) {
      Alert alert;
      if (!AlertOf(*q.batch, options_.target, &alert)) {
        skipped_.fetch_add(1, std::memory_order_relaxed);
        internal::Report(*queue_, q, Status::Ok());
      } else if (ledger_ && !alert.key.empty() && ledger_->Contains(alert.key)) {
        // Sent before a crash that came before the report was marked delivered.
        suppressed_.fetch_add(1, std::memory_order_relaxed);
        logger_->info("{}: alert {} already sent; not sent again", name_, alert.key);
        internal::Report(*queue_, q, Status::Ok());
      } else {
        held.push_back(Held{std::move(q), std::move(alert)});
      }
    }
    if (held.empty()) {
      if (taken.empty() && queue_->closed() && queue_->size() == 0) break;
      continue;
    }
    if (ClosingBy(Clock::now())) {
      for (auto& h : held) {
        unavailable_at_close_.fetch_add(1);
        failed_.fetch_add(1, std::memory_order_relaxed);
        internal::Report(*queue_, h.q,
                         Status::Unavailable(name_ + ": closed before the alert for " +
                                             h.q.batch->id + " was sent"));
      }
      held.clear();
      continue;
    }
    // The rate limit: wait for a slot, then take what came meanwhile into the same message.
    if (const auto next = rate_->Next(Clock::now()); next > Clock::now()) {
      (void)WaitUntil(next);
      continue;
    }
    SendSome(held);
  }
}

void AlertSink::SendSome(std::deque<Held>& held) {
  std::vector<Alert> alerts;
  for (size_t i = 0; i < held.size() && i < std::max<size_t>(options_.max_digest, 1); ++i) {
    alerts.push_back(held[i].alert);
  }
  alerts.resize(AlertsThatFit(options_.target.kind, alerts));
  const size_t n = alerts.size();
  const std::string what =
      n == 1 ? "alert " + (alerts[0].key.empty() ? held[0].q.batch->id : alerts[0].key)
             : "digest of " + std::to_string(n) + " alerts";
  const auto report = [&](const Status& status) {
    std::vector<std::string> keys;
    for (size_t i = 0; i < n; ++i) keys.push_back(held[i].alert.key);
    if (status.ok() && ledger_) {
      if (Status s = ledger_->Add(keys); !s.ok()) {
        ledger_errors_.fetch_add(1, std::memory_order_relaxed);
        logger_->error("{}: sent-alert ledger: {} (a crash now would send the {} again)", name_,
                       s.message(), what);
      }
    }
    for (size_t i = 0; i < n; ++i) {
      internal::Report(*queue_, held.front().q, status);
      held.pop_front();
    }
  };
  auto backoff = options_.retry_backoff_min;
  std::string why;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (ClosingBy(Clock::now())) break;
    if (attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
    // Built per attempt: the signatures carry the time of sending.
    const AlertRequest request = BuildAlertRequest(options_.target, alerts, options_.now());
    std::string answer;
    long retry_after = -1;
    std::string error;
    rate_->Sent(Clock::now());
    sending_.store(true, std::memory_order_release);
    struct Landed {
      std::atomic<bool>& sending;
      ~Landed() { sending.store(false, std::memory_order_release); }
    } landed{sending_};  // after the ledger write of report(), or at the end of the attempt
    const long status =
        request.smtp ? Mail(request, &error) : Post(request, &answer, &retry_after, &error);
    const AlertOutcome outcome = ClassifyAlertAnswer(options_.target.kind, status, answer, &why);
    if (!error.empty()) why += ": " + error;
    if (outcome == AlertOutcome::kDelivered) {
      sent_.fetch_add(n, std::memory_order_relaxed);
      messages_.fetch_add(1, std::memory_order_relaxed);
      if (n > 1) digests_.fetch_add(1, std::memory_order_relaxed);
      logger_->debug("{}: {} sent", name_, what);
      report(Status::Ok());
      return;
    }
    if (outcome == AlertOutcome::kRefused) {
      // For good: the same message would be refused again at every pass.
      refused_.fetch_add(n, std::memory_order_relaxed);
      logger_->error("{}: {} refused, given up: {}", name_, what, why);
      report(Status::Ok());
      return;
    }
    sending_.store(false, std::memory_order_release);  // not delivered: no copy to fear
    if (attempt == options_.max_attempts) break;
    auto wait = backoff;
    if (retry_after > 0) {
      wait = std::max<std::chrono::milliseconds>(wait, std::chrono::seconds(retry_after));
    }
    wait = std::min(wait, options_.retry_backoff_max);
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
    logger_->warn("{}: {} not delivered ({}); attempt {} of {} in {} ms", name_, what, why,
                  attempt + 1, options_.max_attempts, wait.count());
    const auto until = std::max(Clock::now() + wait, rate_->Next(Clock::now()));
    if (!WaitUntil(until)) break;
  }
  failed_.fetch_add(n, std::memory_order_relaxed);
  if (ClosingBy(Clock::now())) {
    unavailable_at_close_.fetch_add(n);
    report(Status::Unavailable(name_ + ": closed before the " + what + " was delivered"));
    return;
  }
  logger_->error("{}: {} given up after {} attempts: {} (sent again at the next pass)", name_, what,
                 options_.max_attempts, why);
  report(Status::Unavailable(name_ + ": given up after " + std::to_string(options_.max_attempts) +
                             " attempts: " + why));
}

long AlertSink::Mail(const AlertRequest& request, std::string* error) {
  std::unique_ptr<CURL, EasyDeleter> h(curl_easy_init());
  if (!h) {
    *error = "curl_easy_init failed";
    return 0;
  }
  curl_slist* list = nullptr;
  for (const auto& r : request.rcpt) {
    curl_slist* next = curl_slist_append(list, ("<" + r + ">").c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      *error = "out of memory";
      return 0;
    }
    list = next;
  }
  std::unique_ptr<curl_slist, ListDeleter> rcpt(list);
  Upload upload{request.body, 0};
  Abort abort{&close_deadline_ns_};
  const long timeout_ms = static_cast<long>(options_.request_timeout.count());
  const std::string from = "<" + request.mail_from + ">";
  CURLcode rc = CURLE_OK;
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h.get(), option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_PROTOCOLS_STR, "smtp,smtps");
  set(CURLOPT_MAIL_FROM, from.c_str());
  set(CURLOPT_MAIL_RCPT, rcpt.get());
  set(CURLOPT_UPLOAD, 1L);
  set(CURLOPT_READFUNCTION, &OnRead);
  set(CURLOPT_READDATA, &upload);
  set(CURLOPT_INFILESIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  // smtp:// with starttls: the session is upgraded before the login and the message, or the
  // transfer fails (CURLE_USE_SSL_FAILED); smtps:// is TLS from the start.
  set(CURLOPT_USE_SSL, options_.target.starttls ? static_cast<long>(CURLUSESSL_ALL)
                                                : static_cast<long>(CURLUSESSL_NONE));
  if (!options_.target.ca_file.empty()) set(CURLOPT_CAINFO, options_.target.ca_file.c_str());
  if (!options_.target.username.empty()) {
    set(CURLOPT_USERNAME, options_.target.username.c_str());
    set(CURLOPT_PASSWORD, options_.target.password.c_str());
  }
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_XFERINFOFUNCTION, &OnProgress);
  set(CURLOPT_XFERINFODATA, &abort);
  set(CURLOPT_NOPROGRESS, 0L);
  if (rc != CURLE_OK) {
    *error = std::string("curl_easy_setopt: ") + curl_easy_strerror(rc);
    return 0;
  }
  rc = curl_easy_perform(h.get());
  long reply = 0;
  if (curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &reply) != CURLE_OK) reply = 0;
  if (rc == CURLE_OK) return reply > 0 ? reply : 250;
  *error = curl_easy_strerror(rc);
  // What no retry changes, as the SMTP reply that says so.
  if (rc == CURLE_USE_SSL_FAILED) return 530;  // the server offers no STARTTLS
  if (rc == CURLE_LOGIN_DENIED) return 535;
  return reply >= 400 ? reply : 0;
}

long AlertSink::Post(const AlertRequest& request, std::string* answer, long* retry_after,
                     std::string* error) {
  std::unique_ptr<CURL, EasyDeleter> h(curl_easy_init());
  if (!h) {
    *error = "curl_easy_init failed";
    return 0;
  }
  curl_slist* list = nullptr;
  for (const auto& header : request.headers) {
    curl_slist* next = curl_slist_append(list, header.c_str());
    if (next == nullptr) {
      curl_slist_free_all(list);
      *error = "out of memory";
      return 0;
    }
    list = next;
  }
  std::unique_ptr<curl_slist, ListDeleter> headers(list);
  Abort abort{&close_deadline_ns_};
  const long timeout_ms = static_cast<long>(options_.request_timeout.count());
  CURLcode rc = CURLE_OK;
  // Every option is checked: a refused one ends the attempt as a network-level failure.
  const auto set = [&](CURLoption option, auto value) {
    if (rc == CURLE_OK) rc = curl_easy_setopt(h.get(), option, value);
  };
  set(CURLOPT_URL, request.url.c_str());
  set(CURLOPT_POST, 1L);
  set(CURLOPT_POSTFIELDS, request.body.c_str());
  set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  set(CURLOPT_HTTPHEADER, headers.get());
  set(CURLOPT_TIMEOUT_MS, timeout_ms);
  set(CURLOPT_CONNECTTIMEOUT_MS, timeout_ms);
  set(CURLOPT_NOSIGNAL, 1L);
  set(CURLOPT_PROTOCOLS_STR, "http,https");
  set(CURLOPT_WRITEFUNCTION, &OnBody);
  set(CURLOPT_WRITEDATA, answer);
  set(CURLOPT_XFERINFOFUNCTION, &OnProgress);
  set(CURLOPT_XFERINFODATA, &abort);
  set(CURLOPT_NOPROGRESS, 0L);
  set(CURLOPT_USERAGENT, "nianbao-alert/0.1");
  if (!options_.target.ca_file.empty()) set(CURLOPT_CAINFO, options_.target.ca_file.c_str());
  if (rc != CURLE_OK) {
    *error = std::string("curl_easy_setopt: ") + curl_easy_strerror(rc);
    return 0;
  }
  rc = curl_easy_perform(h.get());
  if (rc != CURLE_OK) {
    *error = curl_easy_strerror(rc);
    return 0;
  }
  long status = 0;
  if (curl_easy_getinfo(h.get(), CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) return 0;
  curl_header* header = nullptr;
  if (curl_easy_header(h.get(), "Retry-After", 0, CURLH_HEADER, -1, &header) == CURLHE_OK &&
      header != nullptr && header->value != nullptr) {
    // Delta-seconds or an HTTP-date, as the crawler reads it.
    if (auto seconds = RetryAfterSeconds(header->value, std::time(nullptr));
        seconds && *seconds > 0) {
      *retry_after = static_cast<long>(std::ceil(*seconds));
    }
  }
  return status;
}

}  // namespace nianbao::sinks
