#include "crawler/curl_fetcher.h"

#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/post.hpp>
#include <cctype>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "base/url.h"
#include "crawler/links.h"

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
    case FetchError::kAddressNotAllowed:
      return "address_not_allowed";
    case FetchError::kInternal:
      return "internal";
  }
  return "internal";
}

namespace {

// The request head as an archive keeps it (WARC request record).
std::string RequestHead(const FetchRequest& r) {
  std::string target = PathAndQuery(r.url);
  std::string head = "GET " + target + " HTTP/1.1\r\nHost: " + HostKey(r.url) + "\r\n";
  if (!r.user_agent.empty()) head += "User-Agent: " + r.user_agent + "\r\n";
  for (const auto& h : r.headers) head += h + "\r\n";
  return head + "\r\n";
}

}  // namespace

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

// Sets the options of one easy handle and keeps the first failure, named: a transfer that
// runs without an option it was given (a protocol filter, a timeout, a size cap) must fail,
// not silently run without it.
class EasyOptions {
 public:
  explicit EasyOptions(CURL* easy) : easy_(easy) {}

  template <typename T>
  void Set(CURLoption option, T value) {
    if (!error_.empty()) return;
    if (CURLcode c = curl_easy_setopt(easy_, option, value); c != CURLE_OK) Failed(option, c);
  }

  // http and https only, for the request and every redirect. CURLOPT_PROTOCOLS_STR exists
  // from libcurl 7.85 on; an older library (at build or at run time) gets the bitmask it
  // understands instead of an option it would ignore.
  void SetProtocols() {
#if CURL_AT_LEAST_VERSION(7, 85, 0)
    if (!error_.empty()) return;
    CURLcode c = curl_easy_setopt(easy_, CURLOPT_PROTOCOLS_STR, "http,https");
    if (c == CURLE_OK) c = curl_easy_setopt(easy_, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    if (c == CURLE_OK) return;
    if (c != CURLE_UNKNOWN_OPTION) return Failed(CURLOPT_PROTOCOLS_STR, c);
#endif
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
    Set(CURLOPT_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
    Set(CURLOPT_REDIR_PROTOCOLS, static_cast<long>(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#pragma GCC diagnostic pop
  }

  // "" when every option was set, else "curl_easy_setopt CURLOPT_X: <libcurl's words>".
  const std::string& error() const { return error_; }

 private:
  void Failed(CURLoption option, CURLcode code) {
    const curl_easyoption* known = curl_easy_option_by_id(option);
    std::string name = known != nullptr ? std::string("CURLOPT_") + known->name
                                        : "option " + std::to_string(static_cast<int>(option));
    error_ = "curl_easy_setopt " + name + ": " + curl_easy_strerror(code);
  }

  CURL* easy_;
  std::string error_;
};

// Caps what one response may send as headers (curl has its own, larger, per-line limit).
constexpr size_t kMaxHeaderBytes = 256 * 1024;

// How long a resolved host name is used before it is asked again (libcurl's own default).
// libcurl's expiry of its DNS cache (CURLOPT_DNS_CACHE_TIMEOUT) walks the whole cache at the
// end of every transfer (libcurl 7.88, multi_done), so with an entry per host a pass over
// thousands of hosts paid a walk over all of them per request (13 % of the loop thread at
// 3,000 hosts). The handles therefore never expire entries (-1: no walk) and the fetcher
// expires them itself, one host at a time: the first request to a host after this age
// removes the host's entry (a "-host:port" CURLOPT_RESOLVE entry) and so resolves it again.
constexpr auto kDnsMaxAge = std::chrono::seconds(60);

// An idle connection older than this is closed by libcurl (CURLOPT_MAXAGE_CONN) and no
// longer counted against max_idle_connections.
constexpr auto kIdleMaxAge = std::chrono::seconds(30);

// libcurl's cap on its connection cache: never reached while max_idle_connections holds
// (see CurlFetcher::idle_), so that libcurl never evicts.
constexpr long kConnectionCacheCap = 1L << 20;

// Bodies of at least this size that grew without a Content-Length are trimmed to their size
// when the transfer ends (CurlFetcher::Finish).
constexpr size_t kShrinkBodyBytes = 256 * 1024;

}  // namespace

std::string DnsCacheKey(const std::string& url) {
  auto [host, port] = url::SplitHostAndPort(url);
  if (host.empty() || host.front() == '[') return {};                         // IPv6
  if (host.find_first_not_of("0123456789.") == std::string::npos) return {};  // IPv4
  return host + ":" + port;
}

// One transfer in flight: its easy handle's buffers and the caller's completion.
struct CurlFetcher::Transfer {
  CURL* easy = nullptr;  // the handle this transfer runs on (for queries in callbacks)
  FetchRequest request;
  Done done;
  FetchResult result;
  curl_slist* headers = nullptr;
  size_t header_bytes = 0;
  curl_slist* resolve = nullptr;  // CURLOPT_RESOLVE entries
  std::string connection;         // "host:port" of the URL ("" when it has none)
  bool keeps = false;             // may leave its connection open (CurlFetcher::idle_)
  bool too_large = false;
  // The last address the policy refused, and its class (set by libcurl's callbacks).
  bool refused = false;
  AddressClass refused_class = AddressClass::kPublic;
  char refused_address[INET6_ADDRSTRLEN] = {};
  char error[CURL_ERROR_SIZE] = {};
  ~Transfer() {
    curl_slist_free_all(headers);
    curl_slist_free_all(resolve);
  }
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

CurlFetcher::CurlFetcher(asio::io_context& io, size_t max_idle_connections)
    : io_(io), timer_(io), max_idle_(max_idle_connections) {
  if (!GlobalInit()) {
    init_status_ = Status::Internal("curl_global_init failed");
    return;
  }
  multi_ = curl_multi_init();
  if (multi_ == nullptr) {
    init_status_ = Status::Internal("curl_multi_init failed");
    return;
  }
  cookies_ = curl_share_init();
  if (cookies_ == nullptr) {
    init_status_ = Status::Internal("curl_share_init failed");
    return;
  }
  if (CURLSHcode sc = curl_share_setopt(cookies_, CURLSHOPT_SHARE, CURL_LOCK_DATA_COOKIE);
      sc != CURLSHE_OK) {
    init_status_ = Status::Internal(std::string("curl_share_setopt CURL_LOCK_DATA_COOKIE: ") +
                                    curl_share_strerror(sc));
    return;
  }
  auto set = [this](CURLMoption option, const char* name, auto value) {
    if (!init_status_.ok()) return;
    if (CURLMcode mc = curl_multi_setopt(multi_, option, value); mc != CURLM_OK) {
      init_status_ = Status::Internal(std::string("curl_multi_setopt ") + name + ": " +
                                      curl_multi_strerror(mc));
    }
  };
  set(CURLMOPT_SOCKETFUNCTION, "CURLMOPT_SOCKETFUNCTION", &CurlFetcher::SocketCallback);
  set(CURLMOPT_SOCKETDATA, "CURLMOPT_SOCKETDATA", static_cast<void*>(this));
  set(CURLMOPT_TIMERFUNCTION, "CURLMOPT_TIMERFUNCTION", &CurlFetcher::TimerCallback);
  set(CURLMOPT_TIMERDATA, "CURLMOPT_TIMERDATA", static_cast<void*>(this));
  // Concurrency limits are the scheduler's; the multi handle only multiplexes HTTP/2.
  set(CURLMOPT_PIPELINING, "CURLMOPT_PIPELINING", static_cast<long>(CURLPIPE_MULTIPLEX));
  set(CURLMOPT_MAXCONNECTS, "CURLMOPT_MAXCONNECTS", kConnectionCacheCap);
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
  if (multi_ != nullptr) curl_multi_cleanup(multi_);
  // After every easy handle that used it is gone (CancelAll cleaned them up): a share still
  // in use refuses to be cleaned up, and is then left to the process's end.
  if (cookies_ != nullptr) (void)curl_share_cleanup(cookies_);
  alive_.reset();
}

void CurlFetcher::Fetch(FetchRequest request, Done done) {
  auto t = std::make_unique<Transfer>();
  t->request = std::move(request);
  t->done = std::move(done);
  t->result.url = t->request.url;
  t->result.started = std::chrono::system_clock::now();
  t->result.request_head = RequestHead(t->request);
  auto fail_now = [this](std::unique_ptr<Transfer> failed, std::string message) {
    failed->result.error = FetchError::kInternal;
    failed->result.error_message = std::move(message);
    asio::post(io_, [d = std::move(failed->done), r = std::move(failed->result)]() mutable {
      d(std::move(r));
    });
  };
  if (!init_status_.ok()) return fail_now(std::move(t), init_status_.message());
  const auto now = std::chrono::steady_clock::now();
  auto [host, port] = url::SplitHostAndPort(t->request.url);
  if (!host.empty()) t->connection = host + ":" + port;
  if (std::string key = DnsCacheKey(t->request.url); !key.empty()) {
    // The host's cached addresses are dropped once they are kDnsMaxAge old (see above).
    auto [it, added] = resolved_.try_emplace(std::move(key), now);
    if (!added && now - it->second >= kDnsMaxAge) {
      t->request.resolve.insert(t->request.resolve.begin(), "-" + it->first);
      it->second = now;
    }
  }
  // This transfer takes the host's idle connection, if one is open (libcurl reuses it).
  if (auto it = idle_.find(t->connection); it != idle_.end()) {
    --idle_total_;
    if (--it->second.connections == 0) idle_.erase(it);
  }
  t->keeps = t->request.keep_alive && !t->connection.empty() && IdleRoom(now);
  CURL* easy = curl_easy_init();
  if (easy == nullptr) return fail_now(std::move(t), "curl_easy_init failed");
  if (std::string error = Configure(easy, *t, cookies_); !error.empty()) {
    curl_easy_cleanup(easy);
    return fail_now(std::move(t), std::move(error));
  }
  transfers_.emplace(easy, std::move(t));
  CURLMcode mc = curl_multi_add_handle(multi_, easy);
  if (mc != CURLM_OK) {
    auto node = transfers_.extract(easy);
    curl_easy_cleanup(easy);
    fail_now(std::move(node.mapped()),
             std::string("curl_multi_add_handle: ") + curl_multi_strerror(mc));
  }
}

std::string CurlFetcher::Configure(CURL* easy, Transfer& t, CURLSH* cookies) {
  const FetchRequest& r = t.request;
  for (const auto& h : r.headers) {
    curl_slist* grown = curl_slist_append(t.headers, h.c_str());
    if (grown == nullptr) return "curl_slist_append failed (out of memory)";
    t.headers = grown;
  }
  for (const auto& entry : r.resolve) {
    curl_slist* grown = curl_slist_append(t.resolve, entry.c_str());
    if (grown == nullptr) return "curl_slist_append failed (out of memory)";
    t.resolve = grown;
  }
  t.easy = easy;
  EasyOptions o(easy);
  o.Set(CURLOPT_URL, r.url.c_str());
  if (r.method == "POST") {
    // The body is copied by libcurl, so the request may move; its size is given, not strlen.
    o.Set(CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(r.body.size()));
    o.Set(CURLOPT_COPYPOSTFIELDS, r.body.c_str());
    o.Set(CURLOPT_POSTREDIR, 0L);  // a redirected POST becomes a GET (RFC 9110 15.4)
  } else if (r.method != "GET") {
    return "unsupported method " + r.method;
  }
  o.SetProtocols();
  o.Set(CURLOPT_NOSIGNAL, 1L);
  o.Set(CURLOPT_DNS_CACHE_TIMEOUT, -1L);  // expired by the fetcher, host by host (kDnsMaxAge)
  // Closed at the end unless counted against max_idle_connections (see CurlFetcher::idle_).
  o.Set(CURLOPT_FORBID_REUSE, t.keeps ? 0L : 1L);
  o.Set(CURLOPT_MAXAGE_CONN, static_cast<long>(kIdleMaxAge.count()));
  o.Set(CURLOPT_WRITEFUNCTION, &CurlFetcher::WriteCallback);
  o.Set(CURLOPT_WRITEDATA, static_cast<void*>(&t));
  o.Set(CURLOPT_HEADERFUNCTION, &CurlFetcher::HeaderCallback);
  o.Set(CURLOPT_HEADERDATA, static_cast<void*>(&t));
  o.Set(CURLOPT_ERRORBUFFER, static_cast<char*>(t.error));
  // The cookie engine on, reading no file ("" is no file), and the jar shared between handles
  // (see the header): cookies stay in memory.
  o.Set(CURLOPT_COOKIEFILE, "");
  o.Set(CURLOPT_SHARE, cookies);
  o.Set(CURLOPT_FOLLOWLOCATION, r.max_redirects > 0 ? 1L : 0L);
  o.Set(CURLOPT_MAXREDIRS, static_cast<long>(r.max_redirects));
  o.Set(CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(r.connect_timeout.count()));
  o.Set(CURLOPT_TIMEOUT_MS, static_cast<long>(r.total_timeout.count()));
  o.Set(CURLOPT_LOW_SPEED_LIMIT, r.low_speed_limit);
  o.Set(CURLOPT_LOW_SPEED_TIME, static_cast<long>(r.low_speed_time.count()));
  o.Set(CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(r.max_body));
  o.Set(CURLOPT_ACCEPT_ENCODING, "");  // every encoding libcurl decodes
  o.Set(CURLOPT_USERAGENT, r.user_agent.c_str());
  o.Set(CURLOPT_HTTPHEADER, t.headers);
  o.Set(CURLOPT_HTTP_VERSION,
        static_cast<long>(r.http2 ? CURL_HTTP_VERSION_2TLS : CURL_HTTP_VERSION_1_1));
  // No CURLOPT_PIPEWAIT: waiting to multiplex on a connection that is still being set up
  // let one stalled page hold back every other transfer to its host.
  o.Set(CURLOPT_SSL_VERIFYPEER, r.tls_verify ? 1L : 0L);
  o.Set(CURLOPT_SSL_VERIFYHOST, r.tls_verify ? 2L : 0L);
  if (!r.ca_bundle.empty()) o.Set(CURLOPT_CAINFO, r.ca_bundle.c_str());
  // The address policy (see the header). "" turns off the proxies of the environment.
  o.Set(CURLOPT_PROXY, "");
  o.Set(CURLOPT_OPENSOCKETFUNCTION, &CurlFetcher::OpenSocketCallback);
  o.Set(CURLOPT_OPENSOCKETDATA, static_cast<void*>(&t));
  o.Set(CURLOPT_PREREQFUNCTION, &CurlFetcher::PrereqCallback);
  o.Set(CURLOPT_PREREQDATA, static_cast<void*>(&t));
  if (t.resolve != nullptr) o.Set(CURLOPT_RESOLVE, t.resolve);
  return o.error();
}

bool CurlFetcher::IdleRoom(std::chrono::steady_clock::time_point now) {
  auto room = [this] { return idle_total_ + transfers_.size() < max_idle_; };
  if (room() || now - idle_swept_ < std::chrono::seconds(1)) return room();
  idle_swept_ = now;
  for (auto it = idle_.begin(); it != idle_.end();) {
    if (now - it->second.since < kIdleMaxAge) {
      ++it;
      continue;
    }
    idle_total_ -= it->second.connections;
    it = idle_.erase(it);
  }
  return room();
}

void CurlFetcher::CancelAll() { FailAll("cancelled"); }

void CurlFetcher::FailAll(const std::string& message) {
  std::vector<CURL*> handles;
  for (auto& [easy, t] : transfers_) handles.push_back(easy);
  for (CURL* easy : handles) {
    auto node = transfers_.extract(easy);
    // A handle curl refuses to remove is still cleaned up: nothing else can be done with it.
    (void)curl_multi_remove_handle(multi_, easy);
    curl_easy_cleanup(easy);
    FetchResult& res = node.mapped()->result;
    res.error = FetchError::kInternal;
    res.error_message = message;
    asio::post(io_, [d = std::move(node.mapped()->done), r = std::move(res)]() mutable { d(r); });
  }
}

curl_socket_t CurlFetcher::OpenSocketCallback(void* transfer, curlsocktype purpose,
                                              curl_sockaddr* address) noexcept {
  auto* t = static_cast<Transfer*>(transfer);
  // CURLSOCKTYPE_IPCXN is every connection of HTTP(S); the others (FTP's active mode) are
  // not opened by an http/https-only handle, and are held to the same rule all the same.
  (void)purpose;
  const auto length = static_cast<socklen_t>(address->addrlen);
  const AddressClass c = ClassifyAddress(&address->addr, length);
  if (!AddressAllowed(t->request.allowed_addresses, c)) {
    t->refused = true;
    t->refused_class = c;
    AddressText(&address->addr, length, t->refused_address, sizeof t->refused_address);
    return CURL_SOCKET_BAD;  // curl tries the host's next address, if any
  }
  // What libcurl would do itself, with the descriptor closed on exec.
  const int fd = socket(address->family, address->socktype | SOCK_CLOEXEC, address->protocol);
  return fd < 0 ? CURL_SOCKET_BAD : fd;
}

int CurlFetcher::PrereqCallback(void* transfer, char* primary_ip, char*, int, int) noexcept {
  auto* t = static_cast<Transfer*>(transfer);
  // A connection opened for another transfer (another source, another policy) and reused.
  const AddressClass c = ClassifyAddressText(primary_ip != nullptr ? primary_ip : "")
                             .value_or(AddressClass::kUnspecified);
  if (AddressAllowed(t->request.allowed_addresses, c)) return CURL_PREREQFUNC_OK;
  t->refused = true;
  t->refused_class = c;
  std::snprintf(t->refused_address, sizeof t->refused_address, "%s",
                primary_ip != nullptr ? primary_ip : "");
  return CURL_PREREQFUNC_ABORT;
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
  if (t->result.body.empty()) ReserveBody(*t);
  t->result.body.append(data, bytes);
  return bytes;
}

// A body grown by appends ends with up to twice its size allocated (and, while it grows, the
// old buffer beside the new one): 5 MiB pages held 8 MiB each, and the page queue's byte bound
// counts sizes. So the body is sized once from Content-Length, never beyond max_body (a
// compressed body's length is a lower bound: it still grows from there).
void CurlFetcher::ReserveBody(Transfer& t) {
  curl_off_t length = -1;
  if (curl_easy_getinfo(t.easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &length) != CURLE_OK) return;
  if (length <= 0) return;  // unknown (chunked, or closed by the server)
  t.result.body.reserve(
      static_cast<size_t>(std::min<curl_off_t>(length, std::max<int64_t>(t.request.max_body, 0))));
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
  CURLMcode mc = curl_multi_socket_action(multi_, fd, ev_bitmask, &running);
  CollectDone();
  // CURLM_BAD_SOCKET: a descriptor curl has already forgotten (its readiness raced with its
  // removal); nothing is lost. Anything else leaves the multi handle in a state no transfer
  // can be trusted to finish from: every transfer fails now rather than hang to its timeout.
  if (mc != CURLM_OK && mc != CURLM_BAD_SOCKET) {
    FailAll(std::string("curl_multi_socket_action: ") + curl_multi_strerror(mc));
  }
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
  if (t.keeps) {
    // Counted as open whether or not the server kept it: the budget errs on the safe side.
    Idle& idle = idle_[t.connection];
    ++idle.connections;
    ++idle_total_;
    idle.since = std::chrono::steady_clock::now();
  }
  // Each query of a finished handle is checked: a value libcurl could not give stays at its
  // neutral default (no status, no redirect, zero times) instead of being read uninitialised.
  long status = 0;
  if (curl_easy_getinfo(easy, CURLINFO_RESPONSE_CODE, &status) != CURLE_OK) status = 0;
  r.status = status;
  char* effective = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_EFFECTIVE_URL, &effective) != CURLE_OK) effective = nullptr;
  r.final_url = effective != nullptr ? effective : r.url;
  long redirects = 0;
  if (curl_easy_getinfo(easy, CURLINFO_REDIRECT_COUNT, &redirects) != CURLE_OK) redirects = 0;
  r.redirects = static_cast<int>(redirects);
  auto seconds = [easy](CURLINFO info) {
    double value = 0;
    return curl_easy_getinfo(easy, info, &value) == CURLE_OK ? value : 0.0;
  };
  r.elapsed = std::chrono::duration<double>(seconds(CURLINFO_TOTAL_TIME));
  r.connect_time = std::chrono::duration<double>(seconds(CURLINFO_CONNECT_TIME));
  r.first_byte_time = std::chrono::duration<double>(seconds(CURLINFO_STARTTRANSFER_TIME));
  r.error = MapError(code, t.too_large);
  // A body of unknown length grew by doubling: give the slack back before it waits in the
  // page queue (a copy, only when it saves a quarter of a large body).
  if (r.body.size() >= kShrinkBodyBytes && r.body.capacity() - r.body.size() > r.body.size() / 4) {
    r.body.shrink_to_fit();
  }
  // A refused address fails the transfer only when no other address of the host was allowed
  // and answered: curl then reports that it could not connect (or that a callback aborted).
  if (t.refused && (code == CURLE_COULDNT_CONNECT || code == CURLE_ABORTED_BY_CALLBACK)) {
    r.error = FetchError::kAddressNotAllowed;
  }
  // HTTP/1.x without Content-Length or chunked framing ends its body by closing the
  // connection: a cut in the middle looks exactly like the end (RFC 9112 6.3, item 8).
  long version = CURL_HTTP_VERSION_NONE;
  if (curl_easy_getinfo(easy, CURLINFO_HTTP_VERSION, &version) != CURLE_OK) {
    version = CURL_HTTP_VERSION_NONE;
  }
  bool http1 = version == CURL_HTTP_VERSION_1_0 || version == CURL_HTTP_VERSION_1_1;
  static const std::map<long, std::string> kVersionNames = {{CURL_HTTP_VERSION_1_0, "1.0"},
                                                            {CURL_HTTP_VERSION_1_1, "1.1"},
                                                            {CURL_HTTP_VERSION_2_0, "2"},
                                                            {CURL_HTTP_VERSION_3, "3"}};
  if (auto v = kVersionNames.find(version); v != kVersionNames.end()) r.http_version = v->second;
  char* ip = nullptr;
  if (curl_easy_getinfo(easy, CURLINFO_PRIMARY_IP, &ip) == CURLE_OK && ip != nullptr) {
    r.remote_ip = ip;
  }
  r.close_delimited = http1 && r.status == 200 && r.Header("content-length").empty() &&
                      r.Header("transfer-encoding").find("chunked") == std::string_view::npos;
  if (r.error != FetchError::kNone) {
    r.error_message =
        t.too_large ? "body over the limit of " + std::to_string(t.request.max_body) + " bytes"
        : r.error == FetchError::kAddressNotAllowed
            ? "address " + std::string(t.refused_address) + " (" +
                  std::string(AddressClassName(t.refused_class)) + ") not allowed"
        : t.error[0] != '\0' ? std::string(t.error)
                             : std::string(curl_easy_strerror(code));
  }
  (void)curl_multi_remove_handle(multi_, easy);  // a done handle: removal cannot fail usefully
  curl_easy_cleanup(easy);
  // Completion runs on the loop, outside this call chain, so a `done` that starts the next
  // transfer never re-enters curl_multi_socket_action.
  asio::post(io_, [d = std::move(t.done), res = std::move(r)]() mutable { d(std::move(res)); });
}

}  // namespace nianbao::crawler
