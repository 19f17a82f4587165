// HttpEndpoint on 127.0.0.1 and an ephemeral port: the routes, the status codes, the
// deadlines and limits, the loopback-only rule. The server runs on its own io_context thread,
// as in the daemon; the client is a raw socket on a second io_context with a time limit, so
// a server that fails to answer or to hang up fails the test instead of hanging it.
//
// SystemdNotifier is tested at the end of this file, against a Unix datagram socket standing
// in for systemd's NOTIFY_SOCKET.
#include "app/http_endpoint.h"

#include <gtest/gtest.h>
#include <openssl/evp.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio.hpp>
#include <chrono>
#include <cstddef>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "app/metrics.h"
#include "app/systemd_notify.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::app {
namespace {

namespace net = boost::asio;
using tcp = net::ip::tcp;
using std::chrono::milliseconds;
using namespace std::chrono_literals;

struct Reply {
  boost::system::error_code ec;  // of the read; eof when the server hung up cleanly
  std::string data;              // everything the server sent
  bool timed_out = false;        // the server neither answered nor hung up within the limit
  milliseconds elapsed{0};

  int status() const {
    if (!data.starts_with("HTTP/1.1 ") || data.size() < 12) return 0;
    return std::stoi(data.substr(9, 3));
  }
  std::string body() const {
    const auto pos = data.find("\r\n\r\n");
    return pos == std::string::npos ? "" : data.substr(pos + 4);
  }
  std::string headers() const { return data.substr(0, data.find("\r\n\r\n")); }
};

// Connects, sends `request` (nothing when empty) and reads until the server closes the
// connection or `limit` passes.
Reply Exchange(std::uint16_t port, const std::string& request, milliseconds limit = 5000ms) {
  net::io_context io;
  tcp::socket socket(io);
  Reply reply;
  bool done = false;
  const auto start = std::chrono::steady_clock::now();
  socket.async_connect({net::ip::make_address("127.0.0.1"), port},
                       [&](boost::system::error_code ec) {
                         if (ec) {
                           reply.ec = ec;
                           done = true;
                           return;
                         }
                         if (!request.empty()) {
                           // A write error (the server hung up on a huge request) is fine;
                           // the read tells what the server did.
                           net::async_write(socket, net::buffer(request),
                                            [](boost::system::error_code, std::size_t) {});
                         }
                         net::async_read(socket, net::dynamic_buffer(reply.data),
                                         [&](boost::system::error_code read_ec, std::size_t) {
                                           reply.ec = read_ec;
                                           done = true;
                                         });
                       });
  while (!done && std::chrono::steady_clock::now() - start < limit) {
    io.run_one_for(limit);
  }
  reply.timed_out = !done;
  reply.elapsed =
      std::chrono::duration_cast<milliseconds>(std::chrono::steady_clock::now() - start);
  return reply;
}

std::string Get(const std::string& path, const std::string& extra_headers = "") {
  return "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extra_headers +
         "Connection: close\r\n\r\n";
}

class HttpEndpointTest : public ::testing::Test {
 protected:
  void Start(HttpEndpointOptions options = {}) {
    endpoint_ = std::make_unique<HttpEndpoint>(
        io_, metrics_,
        [this]() -> std::pair<bool, std::string> {
          std::lock_guard<std::mutex> lock(mu_);
          if (health_throws_) throw std::runtime_error("boom");
          return health_;
        },
        options);
    if (endpoint_ready_) endpoint_->SetReadinessCheck(endpoint_ready_);
    if (endpoint_pages_) endpoint_->SetPageHandler(endpoint_pages_);
    const Status s = endpoint_->Listen("127.0.0.1", 0);
    ASSERT_TRUE(s.ok()) << s.ToString();
    ASSERT_NE(endpoint_->port(), 0);
    thread_ = std::thread([this] { io_.run(); });
  }

  // Stops the endpoint on its loop and waits for the loop to run out of work: every
  // session must be gone, or join() hangs and the test times out.
  void StopServer() {
    if (!thread_.joinable()) return;
    net::post(io_, [this] { endpoint_->Stop(); });
    work_.reset();
    thread_.join();
  }

  void TearDown() override {
    StopServer();
    endpoint_.reset();
  }

  void SetHealth(bool ok, std::string reason) {
    std::lock_guard<std::mutex> lock(mu_);
    health_ = {ok, std::move(reason)};
  }

  std::uint16_t port() const { return endpoint_->port(); }

  net::io_context io_;
  // Keeps run() going while no connection is open.
  net::executor_work_guard<net::io_context::executor_type> work_ = net::make_work_guard(io_);
  MetricsRegistry metrics_;
  std::mutex mu_;
  std::pair<bool, std::string> health_{true, ""};  // GUARDED_BY(mu_)
  bool health_throws_ = false;                     // GUARDED_BY(mu_)
  std::unique_ptr<HttpEndpoint> endpoint_;
  HttpEndpoint::HealthCheck endpoint_ready_;  // set before Start() to give /readyz a check
  HttpEndpoint::PageHandler endpoint_pages_;  // set before Start() to serve pages
  std::thread thread_;
};

TEST_F(HttpEndpointTest, MetricsServesTheRegistry) {
  Start();
  metrics_.Inc(metric::kFetchesTotal, {{"status", "200"}}, 3);
  const Reply r = Exchange(port(), Get("/metrics"));
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.status(), 200) << r.data;
  EXPECT_NE(r.headers().find("Content-Type: text/plain; version=0.0.4"), std::string::npos)
      << r.headers();
  EXPECT_NE(r.body().find("\nnianbao_fetches_total{status=\"200\"} 3\n"), std::string::npos)
      << r.body();
  EXPECT_NE(r.body().find("# TYPE nianbao_fetches_total counter\n"), std::string::npos);
  // A query string does not change the route.
  EXPECT_EQ(Exchange(port(), Get("/metrics?x=1")).status(), 200);
}

TEST_F(HttpEndpointTest, HealthzReportsTheHealthCheck) {
  Start();
  Reply r = Exchange(port(), Get("/healthz"));
  EXPECT_EQ(r.status(), 200) << r.data;
  EXPECT_EQ(r.body(), "ok\n");

  SetHealth(false, "kafka: broker unreachable for 120 s");
  r = Exchange(port(), Get("/healthz"));
  EXPECT_EQ(r.status(), 503) << r.data;
  EXPECT_EQ(r.body(), "kafka: broker unreachable for 120 s\n");

  {
    std::lock_guard<std::mutex> lock(mu_);
    health_throws_ = true;
  }
  r = Exchange(port(), Get("/healthz"));
  EXPECT_EQ(r.status(), 503) << r.data;
  EXPECT_NE(r.body().find("boom"), std::string::npos);
  // And the server is still there.
  EXPECT_EQ(Exchange(port(), Get("/metrics")).status(), 200);
}

// /readyz answers its own check, independently of /healthz (liveness).
TEST_F(HttpEndpointTest, ReadyzReportsTheReadinessCheck) {
  std::mutex ready_mu;
  std::pair<bool, std::string> ready{false, "sink kafka: oldest batch waiting 75s"};
  endpoint_ready_ = [&]() -> std::pair<bool, std::string> {
    std::lock_guard<std::mutex> lock(ready_mu);
    return ready;
  };
  Start();
  Reply r = Exchange(port(), Get("/readyz"));
  EXPECT_EQ(r.status(), 503) << r.data;
  EXPECT_EQ(r.body(), "sink kafka: oldest batch waiting 75s\n");
  // Liveness is a separate question: still 200.
  EXPECT_EQ(Exchange(port(), Get("/healthz")).status(), 200);

  {
    std::lock_guard<std::mutex> lock(ready_mu);
    ready = {true, ""};
  }
  r = Exchange(port(), Get("/readyz"));
  EXPECT_EQ(r.status(), 200) << r.data;
  EXPECT_EQ(r.body(), "ready\n");
  StopServer();
}

TEST_F(HttpEndpointTest, ReadyzWithoutACheckIsReady) {
  Start();
  const Reply r = Exchange(port(), Get("/readyz"));
  EXPECT_EQ(r.status(), 200) << r.data;
  EXPECT_EQ(r.body(), "ready\n");
}

TEST_F(HttpEndpointTest, UnknownPathIs404AndOtherMethodsAre405) {
  Start();
  EXPECT_EQ(Exchange(port(), Get("/")).status(), 404);
  EXPECT_EQ(Exchange(port(), Get("/metrics/extra")).status(), 404);

  const Reply post = Exchange(port(),
                              "POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                              "Connection: close\r\n\r\nhi");
  EXPECT_EQ(post.status(), 405) << post.data;
  EXPECT_NE(post.headers().find("Allow: GET"), std::string::npos) << post.headers();
  EXPECT_EQ(
      Exchange(port(), "HEAD /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n").status(),
      405);

  // Every answer is counted by status code.
  EXPECT_EQ(metrics_.Value(metric::kHttpRequestsTotal, {{"code", "404"}}), 2);
  EXPECT_EQ(metrics_.Value(metric::kHttpRequestsTotal, {{"code", "405"}}), 2);
}

TEST_F(HttpEndpointTest, MalformedRequestIs400) {
  Start();
  const Reply r = Exchange(port(), "NOT HTTP AT ALL\r\n\r\n");
  ASSERT_FALSE(r.timed_out);
  EXPECT_EQ(r.status(), 400) << r.data;
}

TEST_F(HttpEndpointTest, SilentClientIsDroppedAfterTheDeadline) {
  // Given a 200 ms deadline, when a client connects and sends nothing, then the server hangs
  // up soon after the deadline, without an answer.
  Start(HttpEndpointOptions{.io_timeout = 200ms});
  const Reply r = Exchange(port(), "", 5000ms);
  ASSERT_FALSE(r.timed_out) << "the server kept a silent connection open";
  EXPECT_TRUE(r.data.empty()) << r.data;
  EXPECT_GE(r.elapsed, 150ms);
  EXPECT_LT(r.elapsed, 3000ms);
}

TEST_F(HttpEndpointTest, TricklingClientIsDroppedAfterTheDeadline) {
  // The deadline covers the whole request, so sending a byte now and then does not help.
  Start(HttpEndpointOptions{.io_timeout = 300ms});
  net::io_context io;
  tcp::socket socket(io);
  socket.connect({net::ip::make_address("127.0.0.1"), port()});
  const auto start = std::chrono::steady_clock::now();
  bool dropped = false;
  boost::system::error_code ec;
  for (int i = 0; i < 40 && !dropped; ++i) {
    net::write(socket, net::buffer("G", 1), ec);
    if (ec) dropped = true;
    std::this_thread::sleep_for(100ms);
  }
  if (!dropped) {
    char c;
    socket.read_some(net::buffer(&c, 1), ec);
    dropped = static_cast<bool>(ec);
  }
  EXPECT_TRUE(dropped);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3000ms);
}

TEST_F(HttpEndpointTest, HugeRequestLineIsRefused) {
  // Given the default 8 KiB limit, when a client sends a 1 MB request line, then it gets
  // 431 (or, if its unread bytes make the close a reset, at least no 200) and the connection
  // ends promptly; the server keeps serving.
  Start();
  const std::string huge = "GET /" + std::string(1 << 20, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n";
  const Reply r = Exchange(port(), huge, 5000ms);
  ASSERT_FALSE(r.timed_out);
  EXPECT_TRUE(r.status() == 431 || (r.data.empty() && r.ec != net::error::eof))
      << "status " << r.status() << ", " << r.ec.message();
  EXPECT_EQ(Exchange(port(), Get("/healthz")).status(), 200);
}

TEST_F(HttpEndpointTest, HugeHeaderIsRefused) {
  // Headers a little over the limit and nothing after them: the answer arrives intact.
  Start(HttpEndpointOptions{.max_request_bytes = 1024});
  const Reply r = Exchange(port(), Get("/metrics", "X-Pad: " + std::string(2000, 'p') + "\r\n"));
  ASSERT_FALSE(r.timed_out);
  EXPECT_TRUE(r.status() == 431 || r.data.empty()) << r.data;
}

TEST_F(HttpEndpointTest, KeepAliveServesSeveralRequestsOnOneConnection) {
  Start();
  const std::string two = "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n" + Get("/metrics");
  const Reply r = Exchange(port(), two);
  ASSERT_FALSE(r.timed_out);
  const auto first = r.data.find("HTTP/1.1 200");
  ASSERT_NE(first, std::string::npos) << r.data;
  EXPECT_NE(r.data.find("HTTP/1.1 200", first + 1), std::string::npos) << r.data;
  EXPECT_NE(r.data.find("nianbao_bytes_total 0"), std::string::npos);
}

TEST_F(HttpEndpointTest, ConnectionsBeyondTheLimitAreClosed) {
  Start(HttpEndpointOptions{.io_timeout = 10s, .max_connections = 1});
  net::io_context io;
  tcp::socket idle(io);
  idle.connect({net::ip::make_address("127.0.0.1"), port()});
  // The idle connection holds the only slot: the next one is closed without an answer.
  const Reply refused = Exchange(port(), Get("/healthz"));
  ASSERT_FALSE(refused.timed_out);
  EXPECT_EQ(refused.status(), 0) << refused.data;
  // Once it goes, the slot is free again (the server notices the close asynchronously).
  idle.close();
  int status = 0;
  for (int i = 0; i < 50 && status != 200; ++i) {
    status = Exchange(port(), Get("/healthz")).status();
    if (status != 200) std::this_thread::sleep_for(20ms);
  }
  EXPECT_EQ(status, 200);
}

TEST_F(HttpEndpointTest, StopClosesOpenConnections) {
  Start(HttpEndpointOptions{.io_timeout = 30s});
  auto idle = std::async(std::launch::async, [p = port()] { return Exchange(p, "", 10000ms); });
  std::this_thread::sleep_for(200ms);  // let the server accept it
  StopServer();
  const Reply r = idle.get();
  EXPECT_FALSE(r.timed_out);
  EXPECT_LT(r.elapsed, 5000ms);
}

TEST(HttpEndpointListenTest, NonLoopbackAddressIsRefusedUnlessAllowed) {
  net::io_context io;
  MetricsRegistry metrics;
  {
    HttpEndpoint ep(io, metrics, {});
    const Status s = ep.Listen("0.0.0.0", 0);
    EXPECT_EQ(s.code(), Status::Code::kInvalidArgument);
    EXPECT_NE(s.message().find("non-loopback"), std::string::npos) << s.message();
    // It names the setting that exists.
    EXPECT_NE(s.message().find("[metrics] allow_non_loopback = true"), std::string::npos)
        << s.message();
    EXPECT_EQ(ep.Listen("192.0.2.1", 0).code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(ep.Listen("::", 0).code(), Status::Code::kInvalidArgument);
    EXPECT_EQ(ep.Listen("localhost", 0).code(), Status::Code::kInvalidArgument);  // not numeric
    EXPECT_EQ(ep.port(), 0);
  }
  {
    HttpEndpoint ep(io, metrics, {}, HttpEndpointOptions{.allow_non_loopback = true});
    const Status s = ep.Listen("0.0.0.0", 0);
    EXPECT_TRUE(s.ok()) << s.ToString();
    EXPECT_NE(ep.port(), 0);
  }
  {
    HttpEndpoint ep(io, metrics, {});
    EXPECT_TRUE(ep.Listen("127.0.0.2", 0).ok());  // all of 127/8 is loopback
  }
}

TEST(HttpEndpointListenTest, PortInUseAndSecondListenAreErrors) {
  net::io_context io;
  MetricsRegistry metrics;
  HttpEndpoint first(io, metrics, {});
  ASSERT_TRUE(first.Listen("127.0.0.1", 0).ok());
  EXPECT_EQ(first.Listen("127.0.0.1", 0).code(), Status::Code::kInvalidArgument);

  HttpEndpoint second(io, metrics, {});
  const Status s = second.Listen("127.0.0.1", first.port());
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  first.Stop();
  EXPECT_EQ(first.Listen("127.0.0.1", 0).code(), Status::Code::kInvalidArgument);
}

// --- Pages, basic auth, TLS ------------------------------------------------------------

TEST_F(HttpEndpointTest, PageHandlerAnswersOtherPathsAndNulloptIs404) {
  // Given a page handler that knows one path
  endpoint_pages_ = [](std::string_view path) -> std::optional<HttpPage> {
    if (path == "/") return HttpPage{200, "text/html; charset=utf-8", "<p>hi</p>"};
    return std::nullopt;
  };
  Start();
  // Then it answers that path, the query string cut off, and 404 for the others
  Reply r = Exchange(port(), Get("/?x=1"));
  EXPECT_EQ(r.status(), 200) << r.data;
  EXPECT_EQ(r.body(), "<p>hi</p>");
  EXPECT_NE(r.headers().find("Content-Type: text/html; charset=utf-8"), std::string::npos);
  EXPECT_EQ(Exchange(port(), Get("/nothing")).status(), 404);
  // and the built-in routes still come first
  EXPECT_EQ(Exchange(port(), Get("/healthz")).body(), "ok\n");
}

// SHA-256("abc") is FIPS 180-2's first example: salt "a", password "bc".
constexpr std::string_view kAbcHash =
    "sha256$a$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad";

std::string Base64(const std::string& text) {
  std::string out(4 * ((text.size() + 2) / 3) + 1, '\0');
  const int n = EVP_EncodeBlock(reinterpret_cast<unsigned char*>(out.data()),
                                reinterpret_cast<const unsigned char*>(text.data()),
                                static_cast<int>(text.size()));
  out.resize(static_cast<std::size_t>(n));
  return out;
}

TEST(PasswordHashTest, SaltedSha256) {
  EXPECT_TRUE(IsPasswordHash(kAbcHash));
  EXPECT_TRUE(PasswordMatches(kAbcHash, "bc"));
  EXPECT_FALSE(PasswordMatches(kAbcHash, "bd"));
  EXPECT_FALSE(PasswordMatches(kAbcHash, ""));
  EXPECT_FALSE(IsPasswordHash("sha256$a$BA7816BF"));  // short, upper case
  EXPECT_FALSE(
      IsPasswordHash("md5$a$ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  EXPECT_FALSE(PasswordMatches("plain", "plain"));
}

TEST_F(HttpEndpointTest, BasicAuth401WithoutThePasswordAnd200WithIt) {
  HttpEndpointOptions o;
  o.basic_auth_user = "ops";
  o.basic_auth_hash = std::string(kAbcHash);
  Start(o);
  // Without credentials: 401 and the challenge, on every path
  for (const char* path : {"/metrics", "/healthz", "/readyz", "/"}) {
    const Reply r = Exchange(port(), Get(path));
    EXPECT_EQ(r.status(), 401) << path << "\n" << r.data;
    EXPECT_NE(r.headers().find("WWW-Authenticate: Basic realm=\"nianbao\""), std::string::npos)
        << r.headers();
  }
  const auto auth = [](const std::string& user_password) {
    return "Authorization: Basic " + Base64(user_password) + "\r\n";
  };
  EXPECT_EQ(Exchange(port(), Get("/metrics", auth("ops:wrong"))).status(), 401);
  EXPECT_EQ(Exchange(port(), Get("/metrics", auth("root:bc"))).status(), 401);
  EXPECT_EQ(Exchange(port(), Get("/metrics", "Authorization: Basic !!!!\r\n")).status(), 401);
  EXPECT_EQ(Exchange(port(), Get("/metrics", "Authorization: Bearer x\r\n")).status(), 401);
  // With them: 200
  const Reply ok = Exchange(port(), Get("/metrics", auth("ops:bc")));
  EXPECT_EQ(ok.status(), 200) << ok.data;
  EXPECT_NE(ok.body().find("nianbao_http_requests_total{code=\"401\"}"), std::string::npos);
}

TEST(HttpEndpointListenTest, RefusesABadHashAndHalfATlsPair) {
  net::io_context io;
  MetricsRegistry metrics;
  HttpEndpoint bad_hash(io, metrics, {},
                        HttpEndpointOptions{.basic_auth_user = "ops", .basic_auth_hash = "x"});
  EXPECT_EQ(bad_hash.Listen("127.0.0.1", 0).code(), Status::Code::kInvalidArgument);
  HttpEndpoint half(io, metrics, {}, HttpEndpointOptions{.tls_cert_file = "/nonexistent"});
  EXPECT_EQ(half.Listen("127.0.0.1", 0).code(), Status::Code::kInvalidArgument);
  HttpEndpoint missing(io, metrics, {},
                       HttpEndpointOptions{.tls_cert_file = "/nonexistent/cert.pem",
                                           .tls_key_file = "/nonexistent/key.pem"});
  const Status s = missing.Listen("127.0.0.1", 0);
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  EXPECT_NE(s.message().find("/nonexistent/cert.pem"), std::string::npos) << s.ToString();
}

// Runs a command, returns its exit status and standard output.
std::pair<int, std::string> RunCommand(const std::string& command) {
  std::string out;
  FILE* p = ::popen(command.c_str(), "r");
  if (p == nullptr) return {-1, out};
  char buf[4096];
  std::size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) out.append(buf, n);
  const int status = ::pclose(p);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

TEST_F(HttpEndpointTest, TlsWithASelfSignedCertificate) {
  // Given a self-signed certificate for 127.0.0.1 made here with the openssl tool
  const testing::ScratchDir scratch("tls");
  const std::string dir = scratch.str();
  const auto [made, made_out] = RunCommand(
      "openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      dir + "/key.pem -out " + dir + "/cert.pem 2>&1");
  ASSERT_EQ(made, 0) << made_out;
  HttpEndpointOptions o;
  o.tls_cert_file = dir + "/cert.pem";
  o.tls_key_file = dir + "/key.pem";
  o.basic_auth_user = "ops";
  o.basic_auth_hash = std::string(kAbcHash);
  Start(o);
  const std::string url = "https://127.0.0.1:" + std::to_string(port());
  // When a client that trusts the certificate asks with the password: 200 over TLS
  const auto [code, out] =
      RunCommand("curl -sS --max-time 10 --cacert " + dir + "/cert.pem -u ops:bc " +
                 "-o /dev/null -w '%{http_code}' " + url + "/healthz");
  EXPECT_EQ(code, 0) << out;
  EXPECT_EQ(out, "200");
  // without it: 401, still over TLS
  const auto [code2, out2] =
      RunCommand("curl -sS --max-time 10 --cacert " + dir +
                 "/cert.pem -o /dev/null -w '%{http_code}' " + url + "/metrics");
  EXPECT_EQ(out2, "401") << code2;
  // A client that does not trust it gets no answer
  const auto [code3, out3] =
      RunCommand("curl -sS --max-time 10 -o /dev/null " + url + "/healthz 2>&1");
  EXPECT_NE(code3, 0) << out3;
  // and plain HTTP on the TLS port gets no HTTP answer
  const Reply plain = Exchange(port(), Get("/healthz"), 3000ms);
  EXPECT_EQ(plain.status(), 0) << plain.data;
}

// --- SystemdNotifier --------------------------------------------------------------------

// A stand-in for systemd's notification socket: an abstract-namespace Unix datagram socket
// that NOTIFY_SOCKET points at while the fixture lives.
class SystemdNotifierTest : public ::testing::Test {
 protected:
  void SetUp() override {
    fd_ = ::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    ASSERT_GE(fd_, 0);
    const std::string name = "nianbao-notify-test-" + std::to_string(::getpid());
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    addr.sun_path[0] = '\0';  // abstract: nothing to clean up in the file system
    name.copy(addr.sun_path + 1, sizeof(addr.sun_path) - 2);
    const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
    ASSERT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), len), 0);
    ::setenv("NOTIFY_SOCKET", ("@" + name).c_str(), 1);
  }
  void TearDown() override {
    ::unsetenv("NOTIFY_SOCKET");
    ::unsetenv("WATCHDOG_USEC");
    ::unsetenv("WATCHDOG_PID");
    if (fd_ >= 0) ::close(fd_);
  }
  // The datagram sd_notify sent (it is queued by the time sd_notify returns).
  std::string Received() {
    char buf[4096];
    const ssize_t n = ::recv(fd_, buf, sizeof(buf), MSG_DONTWAIT);
    return n > 0 ? std::string(buf, static_cast<std::size_t>(n)) : std::string();
  }

  int fd_ = -1;
  SystemdNotifier notifier_;
};

TEST_F(SystemdNotifierTest, SendsTheProtocolMessages) {
  EXPECT_TRUE(notifier_.active());
  ASSERT_TRUE(notifier_.Ready().ok());
  EXPECT_EQ(Received(), "READY=1");
  ASSERT_TRUE(notifier_.Status("crawling 12 sources\nREADY=1").ok());
  EXPECT_EQ(Received(), "STATUS=crawling 12 sources READY=1");  // one line, no injection
  ASSERT_TRUE(notifier_.Watchdog().ok());
  EXPECT_EQ(Received(), "WATCHDOG=1");
  ASSERT_TRUE(notifier_.Reloading().ok());
  EXPECT_TRUE(Received().starts_with("RELOADING=1\nMONOTONIC_USEC="));
  ASSERT_TRUE(notifier_.Stopping().ok());
  EXPECT_EQ(Received(), "STOPPING=1");
}

TEST_F(SystemdNotifierTest, NoOpOutsideSystemd) {
  ::unsetenv("NOTIFY_SOCKET");
  EXPECT_FALSE(notifier_.active());
  EXPECT_TRUE(notifier_.Ready().ok());
  EXPECT_TRUE(notifier_.Status("x").ok());
  EXPECT_TRUE(notifier_.Watchdog().ok());
  EXPECT_FALSE(notifier_.WatchdogInterval().has_value());
  EXPECT_EQ(Received(), "");
}

TEST_F(SystemdNotifierTest, UnreachableSocketIsAnError) {
  ::setenv("NOTIFY_SOCKET", "/nonexistent/nianbao/notify", 1);
  const Status s = notifier_.Ready();
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
}

TEST_F(SystemdNotifierTest, WatchdogIntervalIsHalfTheTimeout) {
  ::setenv("WATCHDOG_USEC", "60000000", 1);
  ::setenv("WATCHDOG_PID", std::to_string(::getpid()).c_str(), 1);
  EXPECT_EQ(notifier_.WatchdogInterval(), std::chrono::microseconds(30'000'000));
  // Meant for another process (a parent that did not clean up): not ours to ping.
  ::setenv("WATCHDOG_PID", std::to_string(::getpid() + 1).c_str(), 1);
  EXPECT_FALSE(notifier_.WatchdogInterval().has_value());
}

}  // namespace
}  // namespace nianbao::app
