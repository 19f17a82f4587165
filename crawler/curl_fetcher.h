// CurlFetcher: many transfers at once on one thread, libcurl's multi socket API driven by
// a Boost.Asio io_context.
//
//   Fetch() ─► easy handle ─► curl_multi_add_handle
//                                   │
//   curl ── CURLMOPT_SOCKETFUNCTION ─► OnSocket(fd, what) ─► watch fd with an Asio
//   curl ── CURLMOPT_TIMERFUNCTION  ─► OnTimer(ms)        ─► arm the steady_timer
//                                   │
//   Asio: fd readable/writable ─► curl_multi_socket_action(fd, IN/OUT) ─┐
//   Asio: timer expired        ─► curl_multi_socket_action(TIMEOUT)  ───┤
//                                                                       ▼
//                                          curl_multi_info_read: CURLMSG_DONE ─► done()
//
// Cookies: every transfer shares one in-memory cookie jar (a CURLSH share of
// CURL_LOCK_DATA_COOKIE, with libcurl's cookie engine switched on per handle and no file):
// a cookie set by an answer, a 302 included, goes back to its host (domain and path as
// RFC 6265 scopes it) on the next requests, as a browser would. Cookie-replay gateways
// (a 302 to the same URL with Set-Cookie) then let the next hop through. Nothing is written
// to disk; the jar lives as long as the fetcher. One thread uses the share, so it needs no
// lock functions.
//
// Ownership: the CurlFetcher owns the multi handle, the cookie share, every easy handle (in
// `transfers_`, keyed by handle, from Fetch() to the end of its transfer) and every
// socket watch (in `sockets_`, keyed by descriptor). The descriptors belong to libcurl: a watch
// release()s its descriptor instead of closing it. Asio handlers capture the key and a generation
// number, and return if the entry is gone or was replaced (libcurl reuses descriptor numbers). curl
// callbacks never throw and never call back into curl_multi_* (they only record state or arm Asio
// objects).
//
// Address policy: libcurl's open-socket callback refuses a connection to an address whose class
// the request does not allow (FetchRequest::allowed_addresses): curl then tries the host's next
// address, and fails the transfer when none is left; the pre-request callback checks the same
// for a connection reused from another transfer. Such a transfer ends with kAddressNotAllowed.
// Proxies from the environment (http_proxy, ...) are not used: through a proxy the connection
// goes to the proxy, and the server's address could not be checked.
//
// Handles and names: each transfer has a handle of its own, cleaned up when it ends (a handle
// reset with curl_easy_reset and used again leaked its cookie-file list under libcurl 7.88:
// LeakSanitizer, 17 bytes per handle). libcurl's DNS cache never expires entries (its expiry walks
// every entry per transfer); the fetcher drops a host name's entry 60 s after it was resolved,
// at that host's next request. Names pinned by FetchRequest::resolve stay pinned.
//
// Threading: everything, including construction and destruction, on the thread that runs
// the io_context. REQUIRES: the io_context outlives the CurlFetcher.
#pragma once

#include <curl/curl.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/posix/stream_descriptor.hpp>
#include <boost/asio/steady_timer.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "crawler/fetcher.h"

namespace nianbao::crawler {

// The key of libcurl's DNS cache for `url`: lower-case "host:port", the port explicit ("80"
// or "443" when the URL has none). "" for an address literal (it never goes stale, and
// libcurl's removal entries cannot name an IPv6 one) or a URL without a host.
std::string DnsCacheKey(const std::string& url);

class CurlFetcher final : public Fetcher {
 public:
  // Connections left open after a transfer, for the next request to their host (at most).
  static constexpr size_t kMaxIdleConnections = 256;

  explicit CurlFetcher(boost::asio::io_context& io,
                       size_t max_idle_connections = kMaxIdleConnections);
  ~CurlFetcher() override;
  CurlFetcher(const CurlFetcher&) = delete;
  CurlFetcher& operator=(const CurlFetcher&) = delete;

  void Fetch(FetchRequest request, Done done) override;
  void CancelAll() override;
  size_t in_flight() const override { return transfers_.size(); }

  // Whether libcurl could be set up (curl_global_init, curl_multi_init, every multi
  // option). When not OK, every Fetch() fails with kInternal and this message; the owner
  // should check it once at start-up and refuse to run.
  const Status& init_status() const { return init_status_; }

 private:
  struct Transfer;
  struct SocketWatch;

  // libcurl callbacks (C linkage trampolines forward here).
  static int SocketCallback(CURL* easy, curl_socket_t fd, int what, void* self, void*);
  static int TimerCallback(CURLM* multi, long timeout_ms, void* self);
  static size_t WriteCallback(char* data, size_t size, size_t n, void* transfer);
  static size_t HeaderCallback(char* data, size_t size, size_t n, void* transfer);
  // Sizes a body from the response's Content-Length before its first bytes are appended.
  static void ReserveBody(Transfer& t);
  // The address policy (crawler/address_policy.h): every connection libcurl opens, after name
  // resolution, and every request before it is sent (a reused connection included).
  static curl_socket_t OpenSocketCallback(void* transfer, curlsocktype purpose,
                                          curl_sockaddr* address) noexcept;
  static int PrereqCallback(void* transfer, char* primary_ip, char* local_ip, int primary_port,
                            int local_port) noexcept;

  void OnSocket(curl_socket_t fd, int what);
  void OnTimer(long timeout_ms);
  void Arm(curl_socket_t fd, SocketWatch& watch);
  void OnReady(curl_socket_t fd, uint64_t generation, int direction);
  void Action(curl_socket_t fd, int ev_bitmask);
  void CollectDone();
  void Finish(CURL* easy, CURLcode code);
  // Fails every transfer in flight with kInternal and `message` (their `done` is posted).
  void FailAll(const std::string& message);
  // Sets every option of a new easy handle; "" or the first failure, naming the option.
  static std::string Configure(CURL* easy, Transfer& t, CURLSH* cookies);

  boost::asio::io_context& io_;
  Status init_status_;
  CURLM* multi_ = nullptr;
  CURLSH* cookies_ = nullptr;  // the cookie jar every easy handle shares
  boost::asio::steady_timer timer_;
  std::map<CURL*, std::unique_ptr<Transfer>> transfers_;
  std::map<curl_socket_t, std::unique_ptr<SocketWatch>> sockets_;
  // When each host name ("host:port") was last resolved afresh: libcurl's DNS cache entries
  // never expire by themselves here; the fetcher drops a host's once it is kDnsMaxAge old.
  // One entry per host name fetched (address literals have none).
  std::unordered_map<std::string, std::chrono::steady_clock::time_point> resolved_;
  // The connections left open ("host:port" -> how many, and since when the last one was),
  // and their sum. libcurl 7.88 closes the oldest idle connection when its cache is full
  // (Curl_conncache_extract_oldest) and leaves that host's empty bundle in the cache, and
  // every such eviction walks every bundle: on a pass over thousands of hosts each finished
  // transfer walked thousands of bundles (90 % of the loop thread at 30,000 hosts). So the
  // cache is never full: a transfer keeps its connection only when its request says
  // keep_alive and fewer than max_idle_ connections are open or in use (the others are
  // closed at their end, CURLOPT_FORBID_REUSE, which removes their bundle), and libcurl's
  // own cap is far above that (CURLMOPT_MAXCONNECTS).
  struct Idle {
    size_t connections = 0;
    std::chrono::steady_clock::time_point since;
  };
  std::unordered_map<std::string, Idle> idle_;
  size_t idle_total_ = 0;
  size_t max_idle_;
  std::chrono::steady_clock::time_point idle_swept_;
  // Whether a transfer may keep its connection: room under max_idle_ for it (after a sweep
  // of the entries older than kIdleMaxAge, at most once a second, when there is none).
  bool IdleRoom(std::chrono::steady_clock::time_point now);
  uint64_t next_generation_ = 1;
  // Asio handlers hold a weak_ptr to this token: after destruction they find it expired and
  // return without touching the fetcher.
  std::shared_ptr<int> alive_ = std::make_shared<int>(0);
};

}  // namespace nianbao::crawler
