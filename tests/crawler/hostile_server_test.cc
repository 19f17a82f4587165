// Hostile servers: each transfer ends within its limits with its reason recorded, memory
// stays bounded (the body never exceeds max_body), and other transfers go on.
#include <gtest/gtest.h>
#include <zlib.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <optional>

#include "crawler/curl_fetcher.h"
#include "tests/crawler/test_http_server.h"

namespace nianbao::crawler {
namespace {

using nianbao::testing::HttpRequest;
using nianbao::testing::HttpResponse;
using nianbao::testing::TestHttpServer;
using namespace std::chrono_literals;

// 64 MiB of zeros, gzip-compressed to about 64 KB: a decompression bomb.
std::string GzipBomb() {
  z_stream z{};
  deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 9, Z_DEFAULT_STRATEGY);
  std::string zeros(1 << 20, '\0'), out(1 << 20, '\0'), result;
  for (int i = 0; i < 64; ++i) {
    z.next_in = reinterpret_cast<Bytef*>(zeros.data());
    z.avail_in = static_cast<uInt>(zeros.size());
    do {
      z.next_out = reinterpret_cast<Bytef*>(out.data());
      z.avail_out = static_cast<uInt>(out.size());
      deflate(&z, i == 63 ? Z_FINISH : Z_NO_FLUSH);
      result.append(out.data(), out.size() - z.avail_out);
    } while (z.avail_out == 0);
  }
  deflateEnd(&z);
  return result;
}

HttpResponse Hostile(const HttpRequest& req) {
  HttpResponse res;
  const std::string& t = req.target;
  if (t == "/silent") {
    res.delay = 60s;  // accepts, never answers
  } else if (t == "/trickle") {
    res.body = std::string(100, 'x');
    res.trickle = 1000ms;  // a byte a second
  } else if (t == "/endless") {
    res.endless = true;  // no length, no chunks: bytes until the client leaves
  } else if (t == "/chunked-forever") {
    res.raw = "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n";
    res.endless = true;
  } else if (t == "/gzip-bomb") {
    static const std::string bomb = GzipBomb();
    res.headers = {{"Content-Encoding", "gzip"}};
    res.body = bomb;
  } else if (t == "/huge-header") {
    res.headers = {{"X-Junk", std::string(3 << 20, 'h')}};
    res.body = "x";
  } else if (t.rfind("/hop/", 0) == 0) {
    int n = std::stoi(t.substr(5));
    res.status = 302;
    res.headers = {{"Location", "/hop/" + std::to_string(n + 1)}};
  } else if (t == "/reset") {
    res.headers = {{"Content-Length", "100000"}};
    res.body = std::string(100000, 'x');
    res.reset_after = 1000;
  } else if (t == "/bad-utf8") {
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    res.body = "<p>年度报告\xff\xfe\xc0 \xe5\xb9 mixed 年报</p>";
  } else {
    res.body = "ok";
  }
  return res;
}

class HostileServerTest : public ::testing::Test {
 protected:
  HostileServerTest() : server_(Hostile), fetcher_(io_) {}

  FetchRequest Request(const std::string& path) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, server_.Url(path));
    r.user_agent = "nianbao-test";
    r.connect_timeout = 2s;
    r.total_timeout = 3s;
    r.low_speed_limit = 10;
    r.low_speed_time = std::chrono::seconds(2);
    r.max_body = 1 << 20;
    r.max_redirects = 5;
    return r;
  }

  // Runs the transfers together with a normal one, which must still succeed.
  std::vector<FetchResult> FetchAll(std::vector<FetchRequest> reqs) {
    reqs.push_back(Request("/normal"));
    std::vector<std::optional<FetchResult>> out(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      fetcher_.Fetch(reqs[i], [&out, i](FetchResult r) { out[i] = std::move(r); });
    }
    auto deadline = std::chrono::steady_clock::now() + 30s;
    auto all = [&] {
      return std::all_of(out.begin(), out.end(), [](auto& o) { return o.has_value(); });
    };
    while (!all() && std::chrono::steady_clock::now() < deadline) io_.run_for(20ms);
    EXPECT_TRUE(all()) << "a transfer did not end";
    std::vector<FetchResult> results;
    for (auto& o : out) results.push_back(o.value_or(FetchResult{}));
    EXPECT_EQ(results.back().status, 200) << "the normal transfer beside them failed";
    EXPECT_EQ(results.back().body, "ok");
    results.pop_back();
    return results;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  TestHttpServer server_;
  CurlFetcher fetcher_;
};

TEST_F(HostileServerTest, EveryTransferEndsWithinItsLimitsWithItsReason) {
  auto start = std::chrono::steady_clock::now();
  auto r = FetchAll({Request("/silent"), Request("/trickle"), Request("/chunked-forever"),
                     Request("/gzip-bomb"), Request("/huge-header"), Request("/hop/0"),
                     Request("/reset"), Request("/endless")});
  EXPECT_LT(std::chrono::steady_clock::now() - start, 10s);
  EXPECT_EQ(r[0].error, FetchError::kTimeout) << "silent: " << r[0].error_message;
  EXPECT_EQ(r[1].error, FetchError::kTimeout) << "trickle: " << r[1].error_message;
  EXPECT_EQ(r[2].error, FetchError::kTooLarge) << "chunked: " << r[2].error_message;
  EXPECT_EQ(r[3].error, FetchError::kTooLarge) << "gzip bomb: " << r[3].error_message;
  EXPECT_NE(r[4].error, FetchError::kNone) << "huge header accepted";
  EXPECT_EQ(r[5].error, FetchError::kTooManyRedirects) << "50 hops: " << r[5].error_message;
  EXPECT_EQ(r[6].error, FetchError::kNetwork) << "reset: " << r[6].error_message;
  EXPECT_EQ(r[7].error, FetchError::kTooLarge) << "endless: " << r[7].error_message;
  for (const auto& x : r) {
    EXPECT_LE(x.body.size(), 1u << 20) << x.url;
    EXPECT_FALSE(x.error_message.empty()) << x.url;
  }
}

TEST_F(HostileServerTest, InvalidUtf8IsHandedOnAsBytes) {
  auto r = FetchAll({Request("/bad-utf8")});
  EXPECT_EQ(r[0].status, 200);
  EXPECT_NE(r[0].body.find("\xff\xfe"), std::string::npos);  // decoding is the parser's job
}

}  // namespace
}  // namespace nianbao::crawler
