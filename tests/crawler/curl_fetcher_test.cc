// CurlFetcher against a loopback server: many transfers on one thread, and every way a
// transfer can end (response, redirect loop, body too large, timeout, refused, cancelled).
#include "crawler/curl_fetcher.h"

#include <gtest/gtest.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/write.hpp>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "tests/crawler/test_http_server.h"

namespace nianbao::crawler {
namespace {

using nianbao::testing::HttpRequest;
using nianbao::testing::HttpResponse;
using nianbao::testing::TestHttpServer;
using namespace std::chrono_literals;

HttpResponse Route(const HttpRequest& req) {
  HttpResponse res;
  if (req.target == "/ok") {
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"ETag", "\"v1\""}};
    res.body = "<html>年度报告</html>";
  } else if (req.target == "/etag") {
    if (req.headers.count("if-none-match") && req.headers.at("if-none-match") == "\"v1\"") {
      res.status = 304;
    } else {
      res.headers = {{"ETag", "\"v1\""}};
      res.body = "fresh";
    }
  } else if (req.target == "/redirect") {
    res.status = 302;
    res.headers = {{"Location", "/ok"}};
  } else if (req.target == "/to-file") {
    res.status = 302;
    res.headers = {{"Location", "file:///etc/passwd"}};
  } else if (req.target == "/loop/a") {
    res.status = 302;
    res.headers = {{"Location", "/loop/b"}};
  } else if (req.target == "/loop/b") {
    res.status = 302;
    res.headers = {{"Location", "/loop/a"}};
  } else if (req.target == "/big") {
    res.body.assign(2 << 20, 'x');
  } else if (req.target == "/sized") {
    res.body.assign(700 << 10, 'x');  // sent with its Content-Length
  } else if (req.target == "/chunked") {
    // 700 KiB in chunks of 10 KiB, no Content-Length.
    res.raw = "HTTP/1.1 200 X\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n";
    for (int i = 0; i < 70; ++i) res.raw += "2800\r\n" + std::string(10 << 10, 'y') + "\r\n";
    res.raw += "0\r\n\r\n";
  } else if (req.target == "/endless") {
    res.endless = true;
  } else if (req.target == "/stall") {
    res.stall = 5000ms;
    res.headers = {{"Content-Length", "10"}};
    res.body = "0123456789";
  } else if (req.target == "/500") {
    res.status = 500;
    res.body = "oops";
  } else if (req.target.rfind("/n/", 0) == 0) {
    res.body = req.target;
  } else if (req.target.rfind("/gw/", 0) == 0) {
    // A cookie-replay gateway: without its cookie, a 302 to the same URL that sets it.
    auto cookie = req.headers.find("cookie");
    if (cookie != req.headers.end() && cookie->second.find("gw_token=t0k3n") != std::string::npos) {
      res.body = "through " + req.target;
    } else {
      res.status = 302;
      res.headers = {{"Location", req.target}, {"Set-Cookie", "gw_token=t0k3n; Path=/"}};
    }
  } else {
    res.status = 404;
  }
  return res;
}

class CurlFetcherTest : public ::testing::Test {
 protected:
  CurlFetcherTest() : server_(Route), fetcher_(std::make_unique<CurlFetcher>(io_)) {}

  FetchRequest Request(const std::string& path) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, server_.Url(path));
    r.user_agent = "nianbao-test/1 (+https://example.invalid/contact)";
    r.total_timeout = 10s;
    r.max_body = 1 << 20;
    return r;
  }

  // Fetches one URL and runs the loop until it completes (or the test deadline passes).
  FetchResult FetchOne(FetchRequest r) {
    std::optional<FetchResult> out;
    fetcher_->Fetch(std::move(r), [&](FetchResult res) { out = std::move(res); });
    auto deadline = std::chrono::steady_clock::now() + 20s;
    while (!out && std::chrono::steady_clock::now() < deadline) io_.run_for(50ms);
    EXPECT_TRUE(out.has_value()) << "transfer never completed";
    return std::move(out).value_or(FetchResult{});  // moved: the body keeps its buffer
  }

  boost::asio::io_context io_;
  // Keeps run_for() from returning early (and stopping the context) when no handler is
  // pending for a moment, as the daemon's loop never runs out of work either.
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  TestHttpServer server_;
  std::unique_ptr<CurlFetcher> fetcher_;
};

TEST_F(CurlFetcherTest, FetchesABodyWithItsHeaders) {
  FetchResult r = FetchOne(Request("/ok"));
  EXPECT_EQ(r.error, FetchError::kNone) << r.error_message;
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "<html>年度报告</html>");
  EXPECT_EQ(r.Header("content-type"), "text/html; charset=utf-8");
  EXPECT_EQ(r.Header("etag"), "\"v1\"");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].headers.at("user-agent"), "nianbao-test/1 (+https://example.invalid/contact)");
}

TEST_F(CurlFetcherTest, SendsConditionalHeadersAndReports304) {
  FetchRequest req = Request("/etag");
  req.headers.push_back("If-None-Match: \"v1\"");
  FetchResult r = FetchOne(req);
  EXPECT_EQ(r.error, FetchError::kNone);
  EXPECT_EQ(r.status, 304);
  EXPECT_TRUE(r.body.empty());
}

TEST_F(CurlFetcherTest, RunsManyTransfersAtOnceOnOneThread) {
  constexpr int kCount = 100;
  int done = 0, ok = 0;
  for (int i = 0; i < kCount; ++i) {
    fetcher_->Fetch(Request("/n/" + std::to_string(i)), [&, i](FetchResult r) {
      ++done;
      if (r.status == 200 && r.body == "/n/" + std::to_string(i)) ++ok;
    });
  }
  EXPECT_EQ(done, 0) << "done must never run inside Fetch()";
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (done < kCount && std::chrono::steady_clock::now() < deadline) io_.run_for(50ms);
  EXPECT_EQ(done, kCount);
  EXPECT_EQ(ok, kCount);
  EXPECT_EQ(fetcher_->in_flight(), 0u);
}

TEST_F(CurlFetcherTest, ACookieSetByARedirectGoesBackOnTheNextRequestToTheHost) {
  // Hop by hop, as the crawler follows redirects: the 302 sets the cookie, the next request
  // (another transfer, another easy handle) carries it and passes; so does a later page.
  FetchRequest first = Request("/gw/col/index.html");
  first.max_redirects = 0;
  FetchResult hop = FetchOne(first);
  EXPECT_EQ(hop.status, 302);
  FetchResult again = FetchOne(first);
  EXPECT_EQ(again.status, 200);
  EXPECT_EQ(again.body, "through /gw/col/index.html");
  FetchRequest other = Request("/gw/col/t1.html");
  other.max_redirects = 0;
  EXPECT_EQ(FetchOne(other).body, "through /gw/col/t1.html");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].headers.count("cookie"), 0u);
  EXPECT_EQ(reqs[1].headers.at("cookie"), "gw_token=t0k3n");
  EXPECT_EQ(reqs[2].headers.at("cookie"), "gw_token=t0k3n");
}

TEST_F(CurlFetcherTest, AGatewayLetsAFollowedRedirectThroughWithItsCookie) {
  FetchRequest r = Request("/gw/page.html");
  r.max_redirects = 2;
  FetchResult res = FetchOne(r);
  EXPECT_EQ(res.status, 200);
  EXPECT_EQ(res.redirects, 1);
  EXPECT_EQ(res.body, "through /gw/page.html");
}

TEST_F(CurlFetcherTest, TheCookieJarIsTheFetchersOwnAndInMemory) {
  // A second fetcher starts with an empty jar: nothing was written anywhere for it to read.
  FetchRequest r = Request("/gw/a.html");
  r.max_redirects = 0;
  EXPECT_EQ(FetchOne(r).status, 302);
  EXPECT_EQ(FetchOne(r).status, 200);
  fetcher_ = std::make_unique<CurlFetcher>(io_);
  EXPECT_EQ(FetchOne(r).status, 302);
}

TEST_F(CurlFetcherTest, FollowsRedirectsAndStopsLoops) {
  FetchResult r = FetchOne(Request("/redirect"));
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.final_url, server_.Url("/ok"));
  EXPECT_EQ(r.redirects, 1);
  FetchResult loop = FetchOne(Request("/loop/a"));
  EXPECT_EQ(loop.error, FetchError::kTooManyRedirects) << loop.error_message;
}

TEST_F(CurlFetcherTest, AbortsBodiesOverTheLimit) {
  FetchResult big = FetchOne(Request("/big"));
  EXPECT_EQ(big.error, FetchError::kTooLarge);
  EXPECT_LE(big.body.size(), 1u << 20);
  FetchResult endless = FetchOne(Request("/endless"));
  EXPECT_EQ(endless.error, FetchError::kTooLarge);
  EXPECT_NE(endless.error_message.find("limit"), std::string::npos);
}

// The page queue's byte bound counts body sizes: a body must not hold twice its size (a
// buffer grown by doubling), whether its length was announced or not.
TEST_F(CurlFetcherTest, ABodyIsHeldInABufferOfItsSize) {
  FetchResult sized = FetchOne(Request("/sized"));
  ASSERT_EQ(sized.error, FetchError::kNone) << sized.error_message;
  ASSERT_EQ(sized.body.size(), 700u << 10);
  EXPECT_LT(sized.body.capacity(), sized.body.size() + sized.body.size() / 4);
  FetchResult chunked = FetchOne(Request("/chunked"));
  ASSERT_EQ(chunked.error, FetchError::kNone) << chunked.error_message;
  ASSERT_EQ(chunked.body, std::string(700 << 10, 'y'));
  EXPECT_LT(chunked.body.capacity(), chunked.body.size() + chunked.body.size() / 4);
}

TEST_F(CurlFetcherTest, TimesOutAStalledBody) {
  FetchRequest req = Request("/stall");
  req.total_timeout = 400ms;
  auto start = std::chrono::steady_clock::now();
  FetchResult r = FetchOne(req);
  EXPECT_EQ(r.error, FetchError::kTimeout) << r.error_message;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(CurlFetcherTest, ServerErrorsAreResponsesNotTransportErrors) {
  FetchResult r = FetchOne(Request("/500"));
  EXPECT_EQ(r.error, FetchError::kNone);
  EXPECT_EQ(r.status, 500);
}

TEST_F(CurlFetcherTest, RefusedConnectionIsAConnectError) {
  FetchRequest req = Request("/ok");
  uint16_t port = server_.port();
  server_.Stop();
  req.url = "http://127.0.0.1:" + std::to_string(port) + "/ok";
  FetchResult r = FetchOne(req);
  EXPECT_EQ(r.error, FetchError::kConnect) << r.error_message;
  EXPECT_EQ(r.status, 0);
}

TEST_F(CurlFetcherTest, BadUrlsFailCleanly) {
  FetchRequest req = Request("/ok");
  req.url = "ftp://127.0.0.1/x";
  EXPECT_EQ(FetchOne(req).error, FetchError::kBadUrl);
}

TEST_F(CurlFetcherTest, AnOptionLibcurlRefusesFailsTheTransferNamingIt) {
  // Given a user agent over libcurl's limit for a string option (8,000,000 bytes), which
  // curl_easy_setopt refuses with CURLE_BAD_FUNCTION_ARGUMENT;
  FetchRequest req = Request("/ok");
  req.user_agent.assign(8'000'001, 'a');
  // when it is fetched, then the transfer fails as an internal error naming the option,
  // and nothing is sent (a request without the option it was given is never made).
  FetchResult r = FetchOne(req);
  EXPECT_EQ(r.error, FetchError::kInternal);
  EXPECT_NE(r.error_message.find("CURLOPT_USERAGENT"), std::string::npos) << r.error_message;
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_EQ(fetcher_->in_flight(), 0u);
}

// An HTTP/1.1 server that keeps connections open (TestHttpServer closes every one): it
// answers every GET with "ok" and records, per connection, the requests it served and
// whether the client closed it.
class KeepAliveServer {
 public:
  struct Connection {
    int requests = 0;
    bool closed_by_client = false;
  };

  KeepAliveServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    accept_thread_ = std::thread([this] {
      for (;;) {
        auto socket = std::make_shared<boost::asio::ip::tcp::socket>(io_);
        boost::system::error_code ec;
        acceptor_.accept(*socket, ec);
        if (ec || stopped_) return;
        std::lock_guard<std::mutex> lock(mu_);
        size_t index = connections_.size();
        connections_.emplace_back();
        sockets_.push_back(socket);
        threads_.emplace_back([this, socket, index] { Serve(*socket, index); });
      }
    });
  }
  ~KeepAliveServer() {
    stopped_ = true;
    boost::system::error_code ec;
    boost::asio::ip::tcp::socket wake(io_);
    wake.connect(acceptor_.local_endpoint(), ec);
    accept_thread_.join();
    {
      std::lock_guard<std::mutex> lock(mu_);
      for (auto& s : sockets_) s->shutdown(boost::asio::ip::tcp::socket::shutdown_both, ec);
    }
    for (auto& t : threads_) t.join();
  }
  std::string Url(const std::string& path) const {
    return "http://127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port()) + path;
  }
  std::vector<Connection> connections() const {
    std::lock_guard<std::mutex> lock(mu_);
    return connections_;
  }
  // Waits until the client closed `n` connections (at most 5 s).
  bool WaitClosed(size_t n) const {
    for (int i = 0; i < 500; ++i) {
      size_t closed = 0;
      for (const auto& c : connections()) closed += c.closed_by_client;
      if (closed >= n) return true;
      std::this_thread::sleep_for(10ms);
    }
    return false;
  }

 private:
  void Serve(boost::asio::ip::tcp::socket& socket, size_t index) {
    boost::asio::streambuf in;
    for (;;) {
      boost::system::error_code ec;
      size_t n = boost::asio::read_until(socket, in, "\r\n\r\n", ec);
      if (ec) {
        std::lock_guard<std::mutex> lock(mu_);
        connections_[index].closed_by_client = ec == boost::asio::error::eof && !stopped_;
        return;
      }
      in.consume(n);
      {
        std::lock_guard<std::mutex> lock(mu_);
        ++connections_[index].requests;
      }
      static const std::string kResponse = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok";
      boost::asio::write(socket, boost::asio::buffer(kResponse), ec);
      if (ec) return;
    }
  }

  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  std::atomic<bool> stopped_{false};
  std::thread accept_thread_;
  mutable std::mutex mu_;
  std::vector<Connection> connections_;
  std::vector<std::shared_ptr<boost::asio::ip::tcp::socket>> sockets_;
  std::vector<std::thread> threads_;
};

TEST_F(CurlFetcherTest, KeepsAConnectionOnlyWhenItsRequestSaysTheHostComesBack) {
  KeepAliveServer server;
  auto get = [&](bool keep_alive) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, server.Url("/x"));
    r.keep_alive = keep_alive;
    FetchResult res = FetchOne(std::move(r));
    EXPECT_EQ(res.status, 200) << res.error_message;
  };
  // Given a request whose host comes back, then one whose host does not, then another;
  get(true);
  get(false);
  get(true);
  // Then the second reused the first's connection and closed it; the third opened one and
  // left it open for the next request. (Before, every connection stayed open up to
  // libcurl's cap, and its evictions walked every host's entry: CurlFetcher::idle_.)
  ASSERT_TRUE(server.WaitClosed(1)) << "the client closed no connection";
  std::this_thread::sleep_for(100ms);
  auto c = server.connections();
  ASSERT_EQ(c.size(), 2u);
  EXPECT_EQ(c[0].requests, 2);
  EXPECT_TRUE(c[0].closed_by_client);
  EXPECT_EQ(c[1].requests, 1);
  EXPECT_FALSE(c[1].closed_by_client);
}

TEST_F(CurlFetcherTest, LeavesAtMostMaxIdleConnectionsOpen) {
  fetcher_ = std::make_unique<CurlFetcher>(io_, 2);
  std::vector<std::unique_ptr<KeepAliveServer>> servers;
  for (int i = 0; i < 4; ++i) servers.push_back(std::make_unique<KeepAliveServer>());
  auto get = [&](KeepAliveServer& server) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, server.Url("/x"));
    r.keep_alive = true;
    FetchResult res = FetchOne(std::move(r));
    EXPECT_EQ(res.status, 200) << res.error_message;
  };
  // Given four hosts that each will be asked again, and room for two idle connections;
  for (auto& s : servers) get(*s);
  // Then the first two connections stay open, the last two are closed at their end;
  ASSERT_TRUE(servers[2]->WaitClosed(1) && servers[3]->WaitClosed(1))
      << "a connection over the budget was left open";
  std::this_thread::sleep_for(100ms);
  EXPECT_FALSE(servers[0]->connections().at(0).closed_by_client);
  EXPECT_FALSE(servers[1]->connections().at(0).closed_by_client);
  // And the first host's next request takes its open connection.
  get(*servers[0]);
  ASSERT_EQ(servers[0]->connections().size(), 1u);
  EXPECT_EQ(servers[0]->connections().at(0).requests, 2);
}

TEST_F(CurlFetcherTest, SetsUpWithoutError) { EXPECT_TRUE(fetcher_->init_status().ok()); }

TEST(DnsCacheKeyTest, NamesAHostAndItsPortAndNoAddressLiteral) {
  EXPECT_EQ(DnsCacheKey("http://WWW.Example.gov.cn/a/b.html"), "www.example.gov.cn:80");
  EXPECT_EQ(DnsCacheKey("https://www.example.gov.cn/"), "www.example.gov.cn:443");
  EXPECT_EQ(DnsCacheKey("https://www.example.gov.cn:8443/x?y=1"), "www.example.gov.cn:8443");
  EXPECT_EQ(DnsCacheKey("http://127.0.0.1:8080/"), "");
  EXPECT_EQ(DnsCacheKey("http://[::1]:8080/"), "");
  EXPECT_EQ(DnsCacheKey("not a url"), "");
  // The parts come from libcurl's URL parser, not from string search: credentials are not
  // part of the host, an explicit default port is kept as written, other schemes have none.
  EXPECT_EQ(DnsCacheKey("http://user:pw@Host.gov.cn:80/a"), "host.gov.cn:80");
  EXPECT_EQ(DnsCacheKey("http://user@a.gov.cn/"), "a.gov.cn:80");
  EXPECT_EQ(DnsCacheKey("HTTPS://a.gov.cn:443/"), "a.gov.cn:443");
  EXPECT_EQ(DnsCacheKey("ftp://a.gov.cn/"), "");
}

TEST_F(CurlFetcherTest, ANextRequestCarriesNothingOfTheLastOne) {
  // Given a POST with a body and a header of its own, then a body over its limit;
  FetchRequest post = Request("/n/first");
  post.method = "POST";
  post.body = "a=1";
  post.headers.push_back("X-Probe: first");
  FetchResult first = FetchOne(post);
  ASSERT_EQ(first.error, FetchError::kNone) << first.error_message;
  FetchRequest big = Request("/big");
  big.max_body = 1000;
  ASSERT_EQ(FetchOne(big).error, FetchError::kTooLarge);
  // when a plain GET follows, then it is a GET with none of the POST's header or body, its
  // own body limit and its own result.
  FetchResult next = FetchOne(Request("/n/next"));
  EXPECT_EQ(next.error, FetchError::kNone) << next.error_message;
  EXPECT_EQ(next.body, "/n/next");
  auto reqs = server_.requests();
  ASSERT_EQ(reqs.size(), 3u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].body, "a=1");
  EXPECT_EQ(reqs[0].headers.count("x-probe"), 1u);
  EXPECT_EQ(reqs[2].method, "GET");
  EXPECT_EQ(reqs[2].target, "/n/next");
  EXPECT_EQ(reqs[2].headers.count("x-probe"), 0u);
  EXPECT_EQ(reqs[2].headers.count("content-length"), 0u);
  EXPECT_TRUE(reqs[2].body.empty());
  EXPECT_EQ(reqs[2].headers.at("user-agent"), "nianbao-test/1 (+https://example.invalid/contact)");
}

TEST_F(CurlFetcherTest, RedirectsToOtherProtocolsAreRefused) {
  // The protocol filter holds for redirects too: a Location of file:// is not followed.
  FetchRequest req = Request("/to-file");
  FetchResult r = FetchOne(req);
  EXPECT_EQ(r.error, FetchError::kBadUrl) << r.error_message;
  EXPECT_TRUE(r.body.empty());
}

TEST_F(CurlFetcherTest, DestroyingWithTransfersInFlightCancelsThem) {
  int cancelled = 0;
  for (int i = 0; i < 5; ++i) {
    fetcher_->Fetch(Request("/stall"), [&](FetchResult r) {
      if (r.error == FetchError::kInternal && r.error_message == "cancelled") ++cancelled;
    });
  }
  io_.run_for(200ms);  // the transfers are connected and waiting
  fetcher_.reset();
  io_.run_for(200ms);
  EXPECT_EQ(cancelled, 5);
}

}  // namespace
}  // namespace nianbao::crawler
