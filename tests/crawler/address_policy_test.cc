// The address policy of fetches: the classification table and its edges, the sources file's
// keys, the fetcher's refusal after name resolution, and the crawler's handling of a refusal.
// Every server here listens on 127.0.0.0/8; a host name reaches it only through CURLOPT_RESOLVE
// entries, so no test sends a packet anywhere else.
#include "crawler/address_policy.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <cstring>
#include <filesystem>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/links.h"
#include "crawler/sources.h"
#include "tests/crawler/crawl_harness.h"
#include "tests/crawler/recording_tracker.h"
#include "tests/crawler/test_http_server.h"

namespace nianbao::crawler {
namespace {

using nianbao::testing::CrawlHarness;
using nianbao::testing::HttpRequest;
using nianbao::testing::HttpResponse;
using nianbao::testing::TestHttpServer;
using namespace std::chrono_literals;

// ---------------------------------------------------------------------------------------------
// Classification

struct Case {
  const char* address;
  AddressClass cls;
};

TEST(AddressClassTest, EachClassWithTheEdgesOfItsPrefixes) {
  const Case cases[] = {
      // loopback
      {"127.0.0.1", AddressClass::kLoopback},
      {"127.0.0.2", AddressClass::kLoopback},
      {"127.255.255.255", AddressClass::kLoopback},
      {"126.255.255.255", AddressClass::kPublic},
      {"128.0.0.0", AddressClass::kPublic},
      {"::1", AddressClass::kLoopback},
      {"[::1]", AddressClass::kLoopback},
      // private: RFC 1918
      {"9.255.255.255", AddressClass::kPublic},
      {"10.0.0.0", AddressClass::kPrivate},
      {"10.255.255.255", AddressClass::kPrivate},
      {"11.0.0.0", AddressClass::kPublic},
      {"172.15.255.255", AddressClass::kPublic},
      {"172.16.0.0", AddressClass::kPrivate},
      {"172.31.255.255", AddressClass::kPrivate},
      {"172.32.0.0", AddressClass::kPublic},
      {"192.167.255.255", AddressClass::kPublic},
      {"192.168.0.0", AddressClass::kPrivate},
      {"192.168.255.255", AddressClass::kPrivate},
      {"192.169.0.0", AddressClass::kPublic},
      // private: carrier-grade NAT (RFC 6598), our choice
      {"100.63.255.255", AddressClass::kPublic},
      {"100.64.0.0", AddressClass::kPrivate},
      {"100.127.255.255", AddressClass::kPrivate},
      {"100.128.0.0", AddressClass::kPublic},
      // private: IPv6 unique local and site-local
      {"fbff:ffff::1", AddressClass::kPublic},
      {"fc00::", AddressClass::kPrivate},
      {"fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", AddressClass::kPrivate},
      {"fec0::1", AddressClass::kPrivate},
      {"feff::1", AddressClass::kPrivate},
      // link-local
      {"169.253.255.255", AddressClass::kPublic},
      {"169.254.0.0", AddressClass::kLinkLocal},
      {"169.254.169.254", AddressClass::kLinkLocal},
      {"169.254.255.255", AddressClass::kLinkLocal},
      {"169.255.0.0", AddressClass::kPublic},
      {"fe7f:ffff::1", AddressClass::kPublic},
      {"fe80::", AddressClass::kLinkLocal},
      {"febf:ffff::1", AddressClass::kLinkLocal},
      // multicast
      {"223.255.255.255", AddressClass::kPublic},
      {"224.0.0.0", AddressClass::kMulticast},
      {"239.255.255.255", AddressClass::kMulticast},
      {"ff00::", AddressClass::kMulticast},
      {"ff02::1", AddressClass::kMulticast},
      {"feff:ffff::1", AddressClass::kPrivate},  // the byte below ff: site-local, not multicast
      // unspecified (and reserved)
      {"0.0.0.0", AddressClass::kUnspecified},
      {"0.255.255.255", AddressClass::kUnspecified},
      {"1.0.0.0", AddressClass::kPublic},
      {"::", AddressClass::kUnspecified},
      {"::2", AddressClass::kPublic},
      {"240.0.0.0", AddressClass::kUnspecified},
      {"255.255.255.255", AddressClass::kUnspecified},
      // IPv4-mapped IPv6: the class of the IPv4 address
      {"::ffff:127.0.0.1", AddressClass::kLoopback},
      {"::ffff:10.1.2.3", AddressClass::kPrivate},
      {"::ffff:172.32.0.0", AddressClass::kPublic},
      {"::ffff:169.254.169.254", AddressClass::kLinkLocal},
      {"::ffff:0.0.0.0", AddressClass::kUnspecified},
      {"::ffff:8.8.8.8", AddressClass::kPublic},
      // public
      {"8.8.8.8", AddressClass::kPublic},
      {"202.108.22.5", AddressClass::kPublic},
      {"2001:db8::1", AddressClass::kPublic},
      {"2400:3200::1", AddressClass::kPublic},
  };
  for (const Case& c : cases) {
    std::optional<AddressClass> got = ClassifyAddressText(c.address);
    ASSERT_TRUE(got.has_value()) << c.address;
    EXPECT_EQ(AddressClassName(*got), AddressClassName(c.cls)) << c.address;
  }
}

TEST(AddressClassTest, TextThatIsNoAddressHasNoClass) {
  for (const char* text : {"", "gov.test", "www.gov.cn", "1.2.3", "1.2.3.256", "::g", "[::1",
                           "127.0.0.1:80", "fe80::1%eth0"}) {
    EXPECT_FALSE(ClassifyAddressText(text).has_value()) << text;
  }
}

TEST(AddressClassTest, SocketAddressesOfBothFamiliesAndOthers) {
  sockaddr_in v4{};
  v4.sin_family = AF_INET;
  ASSERT_EQ(inet_pton(AF_INET, "10.0.0.1", &v4.sin_addr), 1);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<const sockaddr*>(&v4), sizeof v4),
            AddressClass::kPrivate);
  char text[INET6_ADDRSTRLEN];
  AddressText(reinterpret_cast<const sockaddr*>(&v4), sizeof v4, text, sizeof text);
  EXPECT_STREQ(text, "10.0.0.1");
  // Too short for its family: nothing to read, so not public.
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<const sockaddr*>(&v4), 4), AddressClass::kUnspecified);

  sockaddr_in6 v6{};
  v6.sin6_family = AF_INET6;
  ASSERT_EQ(inet_pton(AF_INET6, "::ffff:192.168.1.1", &v6.sin6_addr), 1);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<const sockaddr*>(&v6), sizeof v6),
            AddressClass::kPrivate);
  ASSERT_EQ(inet_pton(AF_INET6, "2001:db8::7", &v6.sin6_addr), 1);
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<const sockaddr*>(&v6), sizeof v6),
            AddressClass::kPublic);
  AddressText(reinterpret_cast<const sockaddr*>(&v6), sizeof v6, text, sizeof text);
  EXPECT_STREQ(text, "2001:db8::7");

  sockaddr_un local{};
  local.sun_family = AF_UNIX;
  EXPECT_EQ(ClassifyAddress(reinterpret_cast<const sockaddr*>(&local), sizeof local),
            AddressClass::kUnspecified);
  EXPECT_EQ(ClassifyAddress(nullptr, 0), AddressClass::kUnspecified);
}

TEST(AddressClassTest, ClassNames) {
  EXPECT_EQ(AddressClassName(AddressClass::kPublic), "public");
  EXPECT_EQ(AddressClassName(AddressClass::kLoopback), "loopback");
  EXPECT_EQ(AddressClassName(AddressClass::kPrivate), "private");
  EXPECT_EQ(AddressClassName(AddressClass::kLinkLocal), "link_local");
  EXPECT_EQ(AddressClassName(AddressClass::kMulticast), "multicast");
  EXPECT_EQ(AddressClassName(AddressClass::kUnspecified), "unspecified");
}

TEST(AddressPolicyTest, AnEntryUrlsHostIsItsLiteralsClassOrPublicForAName) {
  EXPECT_EQ(UrlHostClass("http://127.0.0.1:8080/col/"), AddressClass::kLoopback);
  EXPECT_EQ(UrlHostClass("http://[::1]:8080/"), AddressClass::kLoopback);
  EXPECT_EQ(UrlHostClass("https://10.2.3.4/xxgk/"), AddressClass::kPrivate);
  EXPECT_EQ(UrlHostClass("https://www.cqyb.gov.cn/bm/"), AddressClass::kPublic);
  EXPECT_EQ(UrlHostClass("http://localhost/"), AddressClass::kPublic);  // a name: not resolved
  EXPECT_FALSE(UrlHostClass("no url").has_value());
}

TEST(AddressPolicyTest, ASourceMayReachPublicAndItsEntriesClasses) {
  const AddressMask names = AllowedAddresses({"https://www.gov.cn/a/", "http://gov.test/"}, false);
  EXPECT_EQ(names, kPublicAddresses);
  const AddressMask loopback = AllowedAddresses({"http://127.0.0.1:8080/col/"}, false);
  EXPECT_TRUE(AddressAllowed(loopback, AddressClass::kLoopback));
  EXPECT_TRUE(AddressAllowed(loopback, AddressClass::kPublic));
  EXPECT_FALSE(AddressAllowed(loopback, AddressClass::kPrivate));
  EXPECT_FALSE(AddressAllowed(loopback, AddressClass::kLinkLocal));
  const AddressMask both = AllowedAddresses({"http://127.0.0.1/", "http://192.168.1.9/"}, false);
  EXPECT_TRUE(AddressAllowed(both, AddressClass::kPrivate));
  EXPECT_FALSE(AddressAllowed(both, AddressClass::kMulticast));
  EXPECT_EQ(AllowedAddresses({"https://www.gov.cn/"}, true), kAnyAddress);
  for (auto c : {AddressClass::kLoopback, AddressClass::kPrivate, AddressClass::kLinkLocal,
                 AddressClass::kMulticast, AddressClass::kUnspecified}) {
    EXPECT_FALSE(AddressAllowed(kPublicAddresses, c)) << AddressClassName(c);
    EXPECT_TRUE(AddressAllowed(kAnyAddress, c)) << AddressClassName(c);
  }
}

// ---------------------------------------------------------------------------------------------
// The sources file's keys

constexpr char kSource[] = R"toml(
[[source]]
name = "a"
entry = ["https://www.example.gov.cn/xxgk/zfxxgknb/"]
)toml";

TEST(AddressPolicySourcesTest, AllowPrivateAddressesIsOffByDefaultAndASetting) {
  auto plain = ParseSources(kSource, "s.toml");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_FALSE(plain.value().sources[0].settings.allow_private_addresses);
  EXPECT_TRUE(plain.value().global.resolve.empty());

  auto by_defaults =
      ParseSources(std::string("[defaults]\nallow_private_addresses = true\n") + kSource, "s.toml");
  ASSERT_TRUE(by_defaults.ok()) << by_defaults.status().ToString();
  EXPECT_TRUE(by_defaults.value().sources[0].settings.allow_private_addresses);

  auto by_source =
      ParseSources(std::string(kSource) + "allow_private_addresses = true\n", "s.toml");
  ASSERT_TRUE(by_source.ok()) << by_source.status().ToString();
  EXPECT_TRUE(by_source.value().sources[0].settings.allow_private_addresses);

  auto wrong = ParseSources(std::string(kSource) + "allow_private_addresses = \"yes\"\n", "s.toml");
  ASSERT_FALSE(wrong.ok());
  EXPECT_NE(wrong.status().message().find("allow_private_addresses"), std::string::npos)
      << wrong.status().message();
}

TEST(AddressPolicySourcesTest, ResolveEntriesAreHostPortAndAddresses) {
  auto ok = ParseSources(std::string("[global]\nresolve = [\"gov.test:80:127.0.0.1\", "
                                     "\"b.test:8443:127.0.0.2,::1\", \"c.test:1:[::1]\"]\n") +
                             kSource,
                         "s.toml");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok.value().global.resolve,
            (std::vector<std::string>{"gov.test:80:127.0.0.1", "b.test:8443:127.0.0.2,::1",
                                      "c.test:1:[::1]"}));
  for (const char* bad : {"gov.test", "gov.test:80", "gov.test:80:", "gov.test:0:127.0.0.1",
                          "gov.test:65536:127.0.0.1", "gov.test:x:127.0.0.1", "gov.test:80:gov.cn",
                          ":80:127.0.0.1", "gov.test:80:127.0.0.1,"}) {
    auto r =
        ParseSources(std::string("[global]\nresolve = [\"") + bad + "\"]\n" + kSource, "s.toml");
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.status().message().find("s.toml:2: [global]: resolve: "), std::string::npos)
        << r.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// The fetcher: the check after name resolution

class AddressFetchTest : public ::testing::Test {
 protected:
  FetchResult FetchOne(FetchRequest r) {
    std::optional<FetchResult> got;
    fetcher_.Fetch(std::move(r), [&](FetchResult res) { got = std::move(res); });
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!got && std::chrono::steady_clock::now() < deadline) io_.run_for(10ms);
    EXPECT_TRUE(got.has_value()) << "the fetch never finished";
    return got.value_or(FetchResult{});
  }
  // A request for http://gov.test:PORT/page, the name pinned to 127.0.0.1.
  FetchRequest ByName(AddressMask mask) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, Named("/page"));
    r.resolve = {"gov.test:" + std::to_string(server_.port()) + ":127.0.0.1"};
    r.allowed_addresses = mask;
    return r;
  }
  std::string Named(const std::string& path) {
    return "http://gov.test:" + std::to_string(server_.port()) + path;
  }

  TestHttpServer server_{[](const HttpRequest&) {
    HttpResponse res;
    res.body = "hello";
    return res;
  }};
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  CurlFetcher fetcher_{io_};
};

TEST_F(AddressFetchTest, ANameThatResolvesToLoopbackIsRefusedBeforeAnyPacket) {
  FetchResult r = FetchOne(ByName(kPublicAddresses));
  EXPECT_EQ(r.error, FetchError::kAddressNotAllowed) << r.error_message;
  EXPECT_EQ(FetchErrorName(r.error), "address_not_allowed");
  EXPECT_EQ(r.error_message, "address 127.0.0.1 (loopback) not allowed");
  EXPECT_EQ(r.status, 0);
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(AddressFetchTest, TheSameNameIsFetchedWhenLoopbackIsAllowed) {
  for (AddressMask mask : {kAnyAddress, static_cast<AddressMask>(
                                            kPublicAddresses | MaskOf(AddressClass::kLoopback))}) {
    FetchResult r = FetchOne(ByName(mask));
    EXPECT_EQ(r.error, FetchError::kNone) << r.error_message;
    EXPECT_EQ(r.status, 200);
    EXPECT_EQ(r.body, "hello");
  }
  EXPECT_EQ(server_.requests().size(), 2u);
}

TEST_F(AddressFetchTest, AnotherClassThanLoopbackDoesNotLetLoopbackThrough) {
  FetchResult r = FetchOne(ByName(kAnyAddress & ~MaskOf(AddressClass::kLoopback)));
  EXPECT_EQ(r.error, FetchError::kAddressNotAllowed) << r.error_message;
  EXPECT_TRUE(server_.requests().empty());
}

TEST_F(AddressFetchTest, ALiteralEntryOnLoopbackReachesAnotherLoopbackAddress) {
  TestHttpServer second(
      [](const HttpRequest&) {
        HttpResponse res;
        res.body = "second";
        return res;
      },
      "127.0.0.2");
  FetchRequest r = FetchRequestFor(SourceSettings{}, second.Url("/x"));
  r.allowed_addresses = AllowedAddresses({server_.Url("/col/")}, false);
  FetchResult got = FetchOne(r);
  EXPECT_EQ(got.error, FetchError::kNone) << got.error_message;
  EXPECT_EQ(got.body, "second");
  EXPECT_EQ(got.remote_ip, "127.0.0.2");
}

// A server on 127.0.0.1 that keeps its connections open (HTTP/1.1 keep-alive), so that libcurl
// reuses one: a connection opened for a transfer that allowed loopback must not carry the
// request of a transfer that does not. Counts the requests it answered.
class KeepAliveServer {
 public:
  KeepAliveServer() : acceptor_(io_, {boost::asio::ip::make_address("127.0.0.1"), 0}) {
    port_ = acceptor_.local_endpoint().port();
    thread_ = std::thread([this] {
      boost::system::error_code ec;
      boost::asio::ip::tcp::socket socket(io_);
      acceptor_.accept(socket, ec);
      // A client that keeps the connection idle (the fetcher's connection cache) ends the
      // loop after 5 s, so that the destructor never waits on it for longer.
      timeval idle{5, 0};
      if (!ec) setsockopt(socket.native_handle(), SOL_SOCKET, SO_RCVTIMEO, &idle, sizeof idle);
      std::string buffer;
      while (!ec) {
        size_t n =
            boost::asio::read_until(socket, boost::asio::dynamic_buffer(buffer), "\r\n\r\n", ec);
        if (ec) break;
        buffer.erase(0, n);
        ++requests;
        boost::asio::write(socket,
                           boost::asio::buffer(std::string_view(
                               "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello")),
                           ec);
      }
    });
  }
  ~KeepAliveServer() {
    boost::system::error_code ec;
    // Unblocks accept() if no client came, then read_until() when the client is gone.
    boost::asio::ip::tcp::socket wake(io_);
    wake.connect({boost::asio::ip::make_address("127.0.0.1"), port_}, ec);
    wake.close(ec);
    acceptor_.close(ec);
    thread_.join();
  }
  uint16_t port() const { return port_; }
  std::atomic<int> requests{0};

 private:
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  uint16_t port_ = 0;
  std::thread thread_;
};

TEST_F(AddressFetchTest, AConnectionReusedFromAnAllowedTransferCarriesNoRefusedRequest) {
  auto reused = std::make_unique<KeepAliveServer>();
  const std::string port = std::to_string(reused->port());
  auto request = [&](AddressMask mask) {
    FetchRequest r = FetchRequestFor(SourceSettings{}, "http://gov.test:" + port + "/a");
    r.resolve = {"gov.test:" + port + ":127.0.0.1"};
    r.http2 = false;
    r.allowed_addresses = mask;
    return r;
  };
  FetchResult first = FetchOne(request(kAnyAddress));
  EXPECT_EQ(first.error, FetchError::kNone) << first.error_message;
  EXPECT_EQ(first.body, "hello");
  FetchResult second = FetchOne(request(kPublicAddresses));
  EXPECT_EQ(second.error, FetchError::kAddressNotAllowed) << second.error_message;
  EXPECT_EQ(second.error_message, "address 127.0.0.1 (loopback) not allowed");
  EXPECT_EQ(reused->requests, 1);  // the second request was never sent
}

// ---------------------------------------------------------------------------------------------
// The crawler: a refusal is a failure of its own, not retried, never a withdrawal

// Delegates to a CurlFetcher, except for the URLs in `refuse`, which fail as the address policy
// fails them (kAddressNotAllowed) without any transfer: a refused hop of a source whose other
// pages are allowed, which loopback alone cannot stage (every loopback address is one class).
class RefusingFetcher final : public Fetcher {
 public:
  explicit RefusingFetcher(boost::asio::io_context& io) : io_(io), real_(io) {}
  void Fetch(FetchRequest request, Done done) override {
    if (refuse.count(request.url) != 0) {
      ++refused;
      FetchResult r;
      r.url = request.url;
      r.error = FetchError::kAddressNotAllowed;
      r.error_message = "address 10.0.0.1 (private) not allowed";
      boost::asio::post(io_, [done = std::move(done), r = std::move(r)]() mutable { done(r); });
      return;
    }
    real_.Fetch(std::move(request), std::move(done));
  }
  void CancelAll() override { real_.CancelAll(); }
  size_t in_flight() const override { return real_.in_flight(); }

  std::set<std::string> refuse;
  int refused = 0;

 private:
  boost::asio::io_context& io_;
  CurlFetcher real_;
};

class AddressCrawlTest : public ::testing::Test {
 protected:
  AddressCrawlTest() {
    harness_.fetcher_in_use = &fetcher_;
    Source s;
    s.name = "gov";
    s.entry = {server_.Url("/col/index.html")};
    s.report_url = R"(/t\d+\.html$)";
    s.report_text = "年度报告";
    s.allow_hosts = {HostKey(other_.Url("/")), HostKey(Named("/"))};
    s.settings.min_delay = 0ms;
    s.settings.backoff_base = 10ms;
    s.settings.total_timeout = 5s;
    config_.sources.push_back(s);
    config_.global.resolve = {"gov.test:" + std::to_string(server_.port()) + ":127.0.0.1"};
  }
  SourcePassStats Pass() {
    CrawlerOptions options;
    options.seed = 7;
    return CrawlHarness::First(harness_.RunPass(config_, options, 30s, 10ms));
  }

  std::string Named(const std::string& path) {
    return "http://gov.test:" + std::to_string(server_.port()) + path;
  }

  std::set<std::string> FetchedUrls() {
    std::set<std::string> urls;
    for (const auto& p : tracker_.pages) urls.insert(p.url);
    return urls;
  }

  // The column lists one report here and one on 127.0.0.2.
  TestHttpServer other_{[](const HttpRequest& req) {
                          HttpResponse res;
                          if (req.target == "/t2.html") {
                            res.body = "<html><body>report two</body></html>";
                          } else {
                            res.status = 404;
                          }
                          return res;
                        },
                        "127.0.0.2"};
  TestHttpServer server_{[this](const HttpRequest& req) {
    HttpResponse res;
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    if (req.target == "/col/index.html") {
      res.body =
          "<html><body><ul><li><a href=\"/col/t1.html\">甲镇2020年政府信息公开工作年度报告</a>"
          "</li><li><a href=\"" +
          other_.Url("/t2.html") +
          "\">乙镇2020年政府信息公开工作年度报告</a></li></ul></body></html>";
    } else if (req.target == "/col/t1.html") {
      res.body = "<html><body>report one</body></html>";
    } else if (req.target == "/robots.txt" && disallow_t1_) {
      res.body = "User-agent: *\nDisallow: /col/t1.html\n";
    } else {
      res.status = 404;  // robots.txt: none
    }
    return res;
  }};
  std::atomic<bool> disallow_t1_{false};  // robots.txt forbids /col/t1.html (else: none)
  CrawlHarness harness_{"address-test"};
  std::unique_ptr<StateStore>& state_ = harness_.state;
  SourcesConfig config_;
  boost::asio::io_context& io_ = harness_.io;
  RefusingFetcher fetcher_{io_};
  nianbao::testing::RecordingTracker& tracker_ = harness_.tracker;
};

TEST_F(AddressCrawlTest, ALiteralLoopbackEntryFollowsLinksToAnotherLoopbackAddress) {
  SourcePassStats s = Pass();
  EXPECT_EQ(s.failures.count("address_not_allowed"), 0u);
  EXPECT_EQ(s.reports_new, 2);
  EXPECT_EQ(FetchedUrls(),
            (std::set<std::string>{server_.Url("/col/t1.html"), other_.Url("/t2.html")}));
  EXPECT_EQ(s.health, "ok");
}

TEST_F(AddressCrawlTest, ANamedEntryResolvedToLoopbackIsRefusedAndTheServerSeesNothing) {
  config_.sources[0].entry = {Named("/col/index.html")};
  SourcePassStats s = Pass();
  // robots.txt and the entry page: both refused, neither asked twice.
  EXPECT_EQ(s.failures["address_not_allowed"], 1);
  EXPECT_EQ(s.failures.count("robots_unreachable"), 0u);
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(s.reports_new, 0);
  EXPECT_NE(s.health, "ok");
  EXPECT_TRUE(tracker_.pages.empty());
  EXPECT_TRUE(server_.requests().empty());
  EXPECT_TRUE(other_.requests().empty());
  auto st = state_->Get(Named("/col/index.html"));
  ASSERT_TRUE(st.ok() && st.value());
  EXPECT_EQ(st.value()->last_error, "address_not_allowed");
}

TEST_F(AddressCrawlTest, TheNamedEntryIsCrawledWithAllowPrivateAddresses) {
  config_.sources[0].entry = {Named("/col/index.html")};
  config_.sources[0].settings.allow_private_addresses = true;
  SourcePassStats s = Pass();
  EXPECT_EQ(s.failures.count("address_not_allowed"), 0u);
  EXPECT_EQ(s.reports_new, 2);
  EXPECT_EQ(FetchedUrls(), (std::set<std::string>{Named("/col/t1.html"), other_.Url("/t2.html")}));
  EXPECT_FALSE(server_.requests().empty());
}

TEST_F(AddressCrawlTest, ARobotsTxtRefusedToOneSourceIsStillReadForAnotherOnTheSameHost) {
  // Two sources on gov.test: the first refused (a name: public only), the second allowed. The
  // refusal leaves no verdict on the host, so the second reads robots.txt and obeys it.
  disallow_t1_ = true;
  config_.sources[0].entry = {Named("/col/index.html")};
  Source allowed = config_.sources[0];
  allowed.name = "gov-allowed";
  allowed.settings.allow_private_addresses = true;
  config_.sources.push_back(allowed);
  CrawlerOptions options;
  options.seed = 7;
  Crawler crawler(io_, fetcher_, *state_, tracker_, config_, options);
  std::optional<std::vector<SourcePassStats>> result;
  crawler.RunPass([&](std::vector<SourcePassStats> s) { result = std::move(s); });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!result && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(10ms);
    tracker_.Release();
  }
  ASSERT_TRUE(result.has_value() && result->size() == 2u);
  std::map<std::string, SourcePassStats> by_name;
  for (auto& s : *result) by_name[s.source] = s;
  EXPECT_EQ(by_name["gov"].failures["address_not_allowed"], 1);
  EXPECT_EQ(by_name["gov"].reports_new, 0);
  EXPECT_EQ(by_name["gov-allowed"].failures.count("address_not_allowed"), 0u);
  EXPECT_EQ(by_name["gov-allowed"].robots_disallowed, 1);  // /col/t1.html
  EXPECT_EQ(by_name["gov-allowed"].reports_new, 1);        // t2 on 127.0.0.2
  int robots = 0, t1 = 0;
  for (const auto& r : server_.requests()) {
    robots += r.target == "/robots.txt";
    t1 += r.target == "/col/t1.html";
  }
  EXPECT_EQ(robots, 1);
  EXPECT_EQ(t1, 0);
}

TEST_F(AddressCrawlTest, ARefusedReportIsAFailureNeitherRetriedNorGone) {
  SourcePassStats first = Pass();
  ASSERT_EQ(first.reports_new, 2);
  tracker_.pages.clear();
  // The report page now leads to a refused address (a redirect hop to 10.0.0.1 fails so).
  fetcher_.refuse = {server_.Url("/col/t1.html")};
  SourcePassStats s = Pass();
  EXPECT_EQ(fetcher_.refused, 1);  // asked once: not retried as if transient
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(s.failures["address_not_allowed"], 1);
  EXPECT_EQ(s.reports_failed, 1);
  EXPECT_EQ(s.reports_revised, 0);
  EXPECT_TRUE(tracker_.gone.empty());
  for (const auto& p : tracker_.pages) EXPECT_NE(p.url, server_.Url("/col/t1.html"));
  bool ended_failed = false;
  for (const auto& e : tracker_.ends) ended_failed |= e.reason == "address_not_allowed";
  EXPECT_TRUE(ended_failed);
  auto st = state_->Get(server_.Url("/col/t1.html"));
  ASSERT_TRUE(st.ok() && st.value());
  EXPECT_EQ(st.value()->last_error, "address_not_allowed");
  EXPECT_FALSE(st.value()->sha256.empty());  // the version fetched before is kept
}

}  // namespace
}  // namespace nianbao::crawler
