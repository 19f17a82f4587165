#include "sinks/alert_sink.h"

#include <curl/curl.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "base/logging.h"
#include "sinks/line_sink_core.h"

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

}  // namespace

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
  return std::unique_ptr<AlertSink>(new AlertSink(std::move(options)));
}

AlertSink::AlertSink(Options options)
    : options_(std::move(options)),
      name_("alert:" + options_.target.kind),
      logger_(Logger("sinks.alert")),
      core_(std::make_unique<internal::LineSinkCore>(
          name_, options_.queue_capacity,
          [this](const Batch& batch, const std::string&) { return Send(batch); })) {}

AlertSink::~AlertSink() { (void)Close(std::chrono::milliseconds(0)); }

bool AlertSink::TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
  return core_->TrySubmit(std::move(batch), std::move(done));
}

size_t AlertSink::pending() const { return core_->pending(); }

Status AlertSink::Close(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(wait_mu_);
    const int64_t at = ToNs(Clock::now() + deadline);
    if (at < close_deadline_ns_.load()) close_deadline_ns_.store(at);
  }
  wait_cv_.notify_all();
  return core_->Close(deadline);
}

AlertSink::Stats AlertSink::stats() const {
  Stats s;
  s.sent = sent_.load(std::memory_order_relaxed);
  s.failed = failed_.load(std::memory_order_relaxed);
  s.retries = retries_.load(std::memory_order_relaxed);
  s.skipped = skipped_.load(std::memory_order_relaxed);
  return s;
}

bool AlertSink::ClosingBy(Clock::time_point t) const {
  return ToNs(t) >= close_deadline_ns_.load();
}

Status AlertSink::Send(const Batch& batch) {
  Alert alert;
  if (!AlertOf(batch, options_.target, &alert)) {
    skipped_.fetch_add(1, std::memory_order_relaxed);
    return Status::Ok();
  }
  auto backoff = options_.retry_backoff_min;
  std::string why;
  for (int attempt = 1; attempt <= options_.max_attempts; ++attempt) {
    if (ClosingBy(Clock::now())) break;
    if (attempt > 1) retries_.fetch_add(1, std::memory_order_relaxed);
    // Built per attempt: the signatures carry the time of sending.
    const AlertRequest request = BuildAlertRequest(options_.target, alert, options_.now());
    std::string answer;
    long retry_after = -1;
    std::string error;
    const long status = Post(request, &answer, &retry_after, &error);
    const AlertOutcome outcome = ClassifyAlertAnswer(options_.target.kind, status, answer, &why);
    if (!error.empty()) why += ": " + error;
    if (outcome == AlertOutcome::kDelivered) {
      sent_.fetch_add(1, std::memory_order_relaxed);
      logger_->debug("{}: alert for {} sent", name_, alert.report_id);
      return Status::Ok();
    }
    if (outcome == AlertOutcome::kRefused) {
      failed_.fetch_add(1, std::memory_order_relaxed);
      logger_->error("{}: alert for {} refused: {}", name_, alert.report_id, why);
      return Status::InvalidArgument(name_ + ": refused: " + why);
    }
    if (attempt == options_.max_attempts) break;
    auto wait = backoff;
    if (retry_after > 0) {
      wait = std::max<std::chrono::milliseconds>(wait, std::chrono::seconds(retry_after));
    }
    wait = std::min(wait, options_.retry_backoff_max);
    backoff = std::min(backoff * 2, options_.retry_backoff_max);
    logger_->warn("{}: alert for {} not delivered ({}); attempt {} of {} in {} ms", name_,
                  alert.report_id, why, attempt + 1, options_.max_attempts, wait.count());
    std::unique_lock<std::mutex> lock(wait_mu_);
    const auto until = Clock::now() + wait;
    wait_cv_.wait_until(lock, until, [&] { return ClosingBy(Clock::now()); });
  }
  failed_.fetch_add(1, std::memory_order_relaxed);
  if (ClosingBy(Clock::now())) {
    return Status::Unavailable(name_ + ": closed before the alert for " + alert.report_id +
                               " was delivered");
  }
  logger_->error("{}: alert for {} given up after {} attempts: {}", name_, alert.report_id,
                 options_.max_attempts, why);
  return Status::Unavailable(name_ + ": given up after " + std::to_string(options_.max_attempts) +
                             " attempts: " + why);
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
    char* end = nullptr;
    const long seconds = std::strtol(header->value, &end, 10);
    if (end != header->value && seconds > 0) *retry_after = seconds;
  }
  return status;
}

}  // namespace nianbao::sinks
