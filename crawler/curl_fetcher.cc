#include "crawler/curl_fetcher.h"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cctype>
#include <vector>

namespace nianbao::crawler {

namespace asio = boost::asio;

std::string_view FetchErrorName(FetchError e) {
  switch (e) {
    case FetchError::kNone:
      return "none";
    case FetchError::kDns:
      return "dns";
    case FetchError::kConnect:
      return "connect";
    case FetchError::kTls:
      return "tls";
    case FetchError::kTimeout:
      return "timeout";
    case FetchError::kTooLarge:
      return "too_large";
    case FetchError::kTooManyRedirects:
      return "too_many_redirects";
    case FetchError::kNetwork:
      return "network";
    case FetchError::kBadUrl:
      return "bad_url";
    case FetchError::kInternal:
      return "internal";
  }
  return "internal";
}

std::string_view FetchResult::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (k == name) return v;
  }
  return {};
}

namespace {

// libcurl's process-wide initialisation, done once before the first multi handle exists
// (thread-safe through the static's initialisation guarantee).
bool GlobalInit() {
  static const bool ok = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  return ok;
}

FetchError MapError(CURLcode code, bool too_large) {
  if (too_large) return FetchError::kTooLarge;
  switch (code) {
    case CURLE_OK:
      return FetchError::kNone;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
      return FetchError::kDns;
    case CURLE_COULDNT_CONNECT:
      return FetchError::kConnect;
    case CURLE_OPERATION_TIMEDOUT:
      return FetchError::kTimeout;
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
      return FetchError::kTls;
    case CURLE_TOO_MANY_REDIRECTS:
      return FetchError::kTooManyRedirects;
    case CURLE_FILESIZE_EXCEEDED:
      return FetchError::kTooLarge;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return FetchError::kBadUrl;
    default:
      return FetchError::kNetwork;
  }
}

std::string Trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return std::string(s);
}

// Caps what one response may send as headers (curl has its own, larger, per-line limit).
constexpr size_t kMaxHeaderBytes = 256 * 1024;

}  // namespace

// One transfer in flight: its easy handle's buffers and the caller's completion.
struct CurlFetcher::Transfer {
  FetchRequest request;
  Done done;
  FetchResult result;
  curl_slist* headers = nullptr;
  size_t header_bytes = 0;
  bool too_large = false;
  char error[CURL_ERROR_SIZE] = {};
  ~Transfer() { curl_slist_free_all(headers); }
};

// One descriptor libcurl asked us to watch.
struct CurlFetcher::SocketWatch {
  explicit SocketWatch(asio::io_context& io) : sd(io) {}
  asio::posix::stream_descriptor sd;
  uint64_t generation = 0;
  int what = 0;  // CURL_POLL_IN / OUT / INOUT
  bool read_pending = false;
  bool write_pending = false;
};

CurlFetcher::CurlFetcher(asio::io_context& io) : io_(io), timer_(io) {
  GlobalInit();
  multi_ = curl_multi_init();
  curl_multi_setopt(multi_, CURLMOPT_SOCKETFUNCTION, &CurlFetcher::SocketCallback);
  curl_multi_setopt(multi_, CURLMOPT_SOCKETDATA, this);
  curl_multi_setopt(multi_, CURLMOPT_TIMERFUNCTION, &CurlFetcher::TimerCallback);
  curl_multi_setopt(multi_, CURLMOPT_TIMERDATA, this);
  // Concurrency limits are the scheduler's; the multi handle only multiplexes HTTP/2.
  curl_multi_setopt(multi_, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
}

CurlFetcher::~CurlFetcher() {
  CancelAll();
  for (auto& [fd, watch] : sockets_) {
    boost::system::error_code ec;
    watch->sd.cancel(ec);
    watch->sd.release();
  }
  sockets_.clear();
  timer_.cancel();
  curl_multi_cleanup(multi_);
  alive_.reset();
}

void CurlFetcher::Fetch(FetchRequest request, Done done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->result.url = t->request.url;
  t->result.started = std::chrono::system_clock::now();
  CURL* easy = curl_easy_init();
  if (easy == nullptr) {
    t->result.error = FetchError::kInternal;
    t->result.error_message = "curl_easy_init failed";
    asio::post(io_, [d = std::move(t->done), r = std::move(t->result)]() mutable { d(r); });
    return;
  }
  const FetchRequest& r = t->request;
  for (const auto& h : r.headers) t->headers = curl_slist_append(t->headers, h.c_str());
  curl_easy_setopt(easy, CURLOPT_URL, r.url.c_str());
  curl_easy_setopt(easy, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(easy, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(easy, CURLOPT_WRITEFUNCTION, &CurlFetcher::WriteCallback);
  curl_easy_setopt(easy, CURLOPT_WRITEDATA, t.get());
  curl_easy_setopt(easy, CURLOPT_HEADERFUNCTION, &CurlFetcher::HeaderCallback);
  curl_easy_setopt(easy, CURLOPT_HEADERDATA, t.get());
  curl_easy_setopt(easy, CURLOPT_ERRORBUFFER, t->error);
  curl_easy_setopt(easy, CURLOPT_FOLLOWLOCATION, r.max_redirects > 0 ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects));
  curl_easy_setopt(easy, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_LIMIT, r.low_speed_limit);
  curl_easy_setopt(easy, CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
  curl_easy_setopt(easy, CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body));
  curl_easy_setopt(easy, CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
  curl_easy_setopt(easy, CURLOPT_USERAGENT, r.user_agent.c_str());
  curl_easy_setopt(easy, CURLOPT_HTTPHEADER, t->headers);
  curl_easy_setopt(easy, CURLOPT_HTTP_VERSION,
                   r.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1);
  // No CURLOPT_PIPEWAIT: waiting to multiplex on a connection that is still being set up
  // let one stalled page hold back every other transfer to its host.
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYPEER, r.tls_verify ? 1L : 0L);
  curl_easy_setopt(easy, CURLOPT_SSL_VERIFYHOST, r.tls_verify ? 2L : 0L);
  if (!r.ca_bundle.empty()) curl_easy_setopt(easy, CURLOPT_CAINFO, r.ca_bundle.c_str());
  transfers_.emplace(easy, std::move(t));
  CURLMcode mc = curl_multi_add_handle(multi_, easy);
  if (mc != CURLM_OK) {
    auto node = transfers_.extract(easy);
    curl_easy_cleanup(easy);
    node.mapped()->result.error = FetchError::kInternal;
    node.mapped()->result.error_message = curl_multi_strerror(mc);
    asio::post(io_, [d = std::move(node.mapped()->done),
                     res = std::move(node.mapped()->result)]() mutable { d(res); });
  }
}

void CurlFetcher::CancelAll() {
  std::vector<CURL*> handles;
  for (auto& [easy, t] : transfers_) handles.push_back(easy);
  for (CURL* easy : handles) {
    auto node = transfers_.extract(easy);
    curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
    FetchResult& res = node.mapped()->result;
    res.error = FetchError::kInternal;
    res.error_message = "cancelled";
    asio::post(io_, [d = std::move(node.mapped()->done), r = std::move(res)]() mutable { d(r); });
  }
}

int CurlFetcher::SocketCallback(CURL*, curl_socket_t fd, int what, void* self, void*) {
  static_cast<CurlFetcher*>(self)->OnSocket(fd, what);
  return 0;
}

int CurlFetcher::TimerCallback(CURLM*, long timeout_ms, void* self) {
  static_cast<CurlFetcher*>(self)->OnTimer(timeout_ms);
  return 0;
}

size_t CurlFetcher::WriteCallback(char* data, size_t size, size_t n, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  size_t bytes = size * n;
  t->result.bytes_received += static_cast<int64_t>(bytes);
  if (static_cast<int64_t>(t->result.body.size() + bytes) > t->request.max_body) {
    t->too_large = true;
    return 0;  // aborts the transfer with CURLE_WRITE_ERROR
  }
  t->result.body.append(data, bytes);
  return bytes;
}

size_t CurlFetcher::HeaderCallback(char* data, size_t size, size_t n, void* transfer) {
  auto* t = static_cast<Transfer*>(transfer);
  size_t bytes = size * n;
  t->header_bytes += bytes;
  if (t->header_bytes > kMaxHeaderBytes) return 0;  // a header of megabytes: abort
  std::string_view line(data, bytes);
  if (line.rfind("HTTP/", 0) == 0) {
    t->result.headers.clear();  // a new response (after a redirect or a 100 Continue)
    t->header_bytes = bytes;
    return bytes;
  }
  auto colon = line.find(':');
  if (colon == std::string_view::npos) return bytes;
  std::string name(line.substr(0, colon));
  std::transform(name.begin(), name.end(), name.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  t->result.headers.emplace_back(std::move(name), Trim(line.substr(colon + 1)));
  return bytes;
}

void CurlFetcher::OnSocket(curl_socket_t fd, int what) {
  if (what == CURL_POLL_REMOVE) {
    auto it = sockets_.find(fd);
    if (it == sockets_.end()) return;
    boost::system::error_code ec;
    it->second->sd.cancel(ec);
    it->second->sd.release();  // libcurl closes the descriptor, not us
    sockets_.erase(it);
    return;
  }
  auto it = sockets_.find(fd);
  if (it == sockets_.end()) {
    auto watch = std::make_unique<SocketWatch>(io_);
    boost::system::error_code ec;
    watch->sd.assign(fd, ec);
    if (ec) return;  // curl will time the transfer out; nothing to watch
    watch->generation = next_generation_++;
    it = sockets_.emplace(fd, std::move(watch)).first;
  }
  it->second->what = what;
  Arm(fd, *it->second);
}

void CurlFetcher::Arm(curl_socket_t fd, SocketWatch& watch) {
  std::weak_ptr<int> alive = alive_;
  uint64_t gen = watch.generation;
  if ((watch.what & CURL_POLL_IN) && !watch.read_pending) {
    watch.read_pending = true;
    watch.sd.async_wait(asio::posix::stream_descriptor::wait_read,
                        [this, alive, fd, gen](const boost::system::error_code& ec) {
                          if (alive.expired()) return;
                          OnReady(fd, gen, ec ? 0 : CURL_CSELECT_IN);
                        });
  }
  if ((watch.what & CURL_POLL_OUT) && !watch.write_pending) {
    watch.write_pending = true;
    watch.sd.async_wait(asio::posix::stream_descriptor::wait_write,
                        [this, alive, fd, gen](const boost::system::error_code& ec) {
                          if (alive.expired()) return;
                          OnReady(fd, gen, ec ? -1 : CURL_CSELECT_OUT);
                        });
  }
}

// direction: CURL_CSELECT_IN or _OUT when ready; 0 / -1 when the read / write wait was
// cancelled or failed.
void CurlFetcher::OnReady(curl_socket_t fd, uint64_t generation, int direction) {
  auto it = sockets_.find(fd);
  if (it == sockets_.end() || it->second->generation != generation) return;  // stale
  SocketWatch& watch = *it->second;
  bool is_read = direction == CURL_CSELECT_IN || direction == 0;
  (is_read ? watch.read_pending : watch.write_pending) = false;
  if (direction <= 0) return;
  Action(fd, direction);
  // The wait is one-shot: watch again if curl still wants this direction.
  it = sockets_.find(fd);
  if (it != sockets_.end() && it->second->generation == generation) Arm(fd, *it->second);
}

void CurlFetcher::OnTimer(long timeout_ms) {
  if (timeout_ms < 0) {
    timer_.cancel();
    return;
  }
  // Never call socket_action from inside curl's callback: the timer fires on the loop.
  timer_.expires_after(std::chrono::milliseconds(timeout_ms));
  std::weak_ptr<int> alive = alive_;
  timer_.async_wait([this, alive](const boost::system::error_code& ec) {
    if (alive.expired() || ec) return;
    Action(CURL_SOCKET_TIMEOUT, 0);
  });
}

void CurlFetcher::Action(curl_socket_t fd, int ev_bitmask) {
  int running = 0;
  curl_multi_socket_action(multi_, fd, ev_bitmask, &running);
  CollectDone();
}

void CurlFetcher::CollectDone() {
  int queued = 0;
  while (CURLMsg* msg = curl_multi_info_read(multi_, &queued)) {
    if (msg->msg == CURLMSG_DONE) Finish(msg->easy_handle, msg->data.result);
  }
}

void CurlFetcher::Finish(CURL* easy, CURLcode code) {
  auto node = transfers_.extract(easy);
  if (node.empty()) return;
  Transfer& t = *node.mapped();
  FetchResult& r = t.result;
  long status = 0;
  curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status);
  r.status = status;
  char* effective = nullptr;
  curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective);
  r.final_url = effective != nullptr ? effective : r.url;
  long redirects = 0;
  curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects);
  r.redirects = static_cast<int>(redirects);
  double total = 0, connect = 0, first_byte = 0;
  curl_easy_getinfo(easy, CURLINFO_TOTAL_TIME, &total);
  curl_easy_getinfo(easy, CURLINFO_CONNECT_TIME, &connect);
  curl_easy_getinfo(easy, CURLINFO_STARTTRANSFER_TIME, &first_byte);
  r.elapsed = std::chrono::duration<double>(total);
  r.connect_time = std::chrono::duration<double>(connect);
  r.first_byte_time = std::chrono::duration<double>(first_byte);
  r.error = MapError(code, t.too_large);
  if (r.error != FetchError::kNone) {
    r.error_message =
        t.too_large ? "body over the limit of " + std::to_string(t.request.max_body) + " bytes"
        : t.error[0] != '\0' ? std::string(t.error)
                             : std::string(curl_easy_strerror(code));
  }
  curl_multi_remove_handle(multi_, easy);
  curl_easy_cleanup(easy);
  // Completion runs on the loop, outside this call chain, so a `done` that starts the next
  // transfer never re-enters curl_multi_socket_action.
  asio::post(io_, [d = std::move(t.done), res = std::move(r)]() mutable { d(std::move(res)); });
}

}  // namespace nianbao::crawler
