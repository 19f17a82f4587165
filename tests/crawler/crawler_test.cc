// The crawler's pass logic against a loopback portal: discovery through pagination,
// conditional second passes, revisions, robots.txt, politeness measured from the server's
// own request log, retries, backpressure, and source health.
#include "crawler/crawler.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <atomic>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#include <ctime>
#include <deque>
#include <filesystem>
#include <mutex>

#include "crawler/curl_fetcher.h"
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

// An IMF-fixdate (RFC 9110 5.6.7) `ahead` seconds from now: "Tue, 19 Jan 2021 02:00:00 GMT".
std::string HttpDate(int ahead) {
  std::time_t t = std::time(nullptr) + ahead;
  std::tm gmt{};
  gmtime_r(&t, &gmt);
  char buf[64];
  size_t n = std::strftime(buf, sizeof buf, "%a, %d %b %Y %H:%M:%S GMT", &gmt);
  return std::string(buf, n);
}

// A TRS-style column: /col/index.html announces 3 pages in a script; each page lists two
// reports and one look-alike that is not a report.
struct Portal {
  std::mutex mu;
  std::map<std::string, std::string> pages;  // path -> body
  std::map<std::string, int> failures_left;  // path -> 500s to send before succeeding
  std::string robots = "User-agent: *\nDisallow: /private/\n";
  int retry_after_429 = 0;        // 429s with Retry-After: 1 to send for /col/t3.html
  bool retry_after_date = false;  // ... with an HTTP-date two seconds ahead instead
  std::map<std::string, std::string> redirects;  // path -> Location of a 302
  // path -> bodies sent without Content-Length, ended by closing the connection: one per
  // request, the last one again and again.
  std::map<std::string, std::deque<std::string>> close_delimited;

  Portal() {
    auto list = [](int page, const std::string& items) {
      return "<html><body><ul>" + items + "</ul><script>createPageHTML(3, " + std::to_string(page) +
             ", \"index\", \"html\");</script></body></html>";
    };
    auto item = [](const std::string& href, const std::string& title) {
      return "<li><a href=\"" + href + "\" title=\"" + title + "\">" + title + "</a></li>";
    };
    pages["/col/index.html"] =
        list(0, item("t1.html", "甲镇2020年政府信息公开工作年度报告") +
                    item("t2.html", "乙镇2020年政府信息公开工作年度报告") +
                    item("x1.html", "甲镇2020年政府信息公开工作年度报告（图解）"));
    pages["/col/index_1.html"] =
        list(1, item("t3.html", "丙镇2020年政府信息公开工作年度报告") +
                    item("/private/t4.html", "丁镇2020年政府信息公开工作年度报告") +
                    item("x2.html", "关于做好2020年政府信息公开工作年度报告的通知"));
    pages["/col/index_2.html"] = list(2, item("t5.html", "戊镇2020年政府信息公开工作年度报告") +
                                             item("t6.html", "己镇2020年政府信息公开工作年度报告"));
    for (const char* p : {"/col/t1.html", "/col/t2.html", "/col/t3.html", "/private/t4.html",
                          "/col/t5.html", "/col/t6.html", "/col/x1.html", "/col/x2.html"}) {
      pages[p] = std::string("<html><body><p>report ") + p +
                 "</p><a href=\"/files/a.pdf\">附件</a></body></html>";
    }
    // The attachment every report page names: a document, fetched with each page.
    pages["/files/a.pdf"] = "%PDF-1.4 the attachment";
  }

  HttpResponse Serve(const HttpRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    HttpResponse res;
    if (req.target == "/robots.txt") {
      res.body = robots;
      return res;
    }
    if (req.target == "/col/t3.html" && retry_after_429 > 0) {
      --retry_after_429;
      res.status = 429;
      res.headers = {{"Retry-After", retry_after_date ? HttpDate(2) : "1"}};
      return res;
    }
    if (auto r = redirects.find(req.target); r != redirects.end()) {
      res.status = 302;
      res.headers = {{"Location", r->second}};
      return res;
    }
    if (auto c = close_delimited.find(req.target); c != close_delimited.end()) {
      res.raw =
          "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n"
          "Connection: close\r\n\r\n" +
          c->second.front();
      if (c->second.size() > 1) c->second.pop_front();
      return res;
    }
    if (failures_left[req.target] > 0) {
      --failures_left[req.target];
      res.status = 500;
      return res;
    }
    auto it = pages.find(req.target);
    if (it == pages.end()) {
      res.status = 404;
      return res;
    }
    std::string etag = "\"" + std::to_string(std::hash<std::string>{}(it->second)) + "\"";
    auto inm = req.headers.find("if-none-match");
    if (inm != req.headers.end() && inm->second == etag) {
      res.status = 304;
      return res;
    }
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}, {"ETag", etag}};
    res.body = it->second;
    return res;
  }
};

class CrawlerTest : public ::testing::Test {
 protected:
  CrawlerTest() : server_([this](const HttpRequest& r) { return portal_.Serve(r); }) {
    Source s;
    s.name = "test-column";
    s.entry = {server_.Url("/col/index.html")};
    s.report_url = R"(/t\d+\.html$)";
    s.report_text = "年度报告";
    s.exclude_text = "图解|通知";
    s.settings.min_delay = 0ms;
    s.settings.per_host_concurrency = 2;
    s.settings.backoff_base = 100ms;
    s.settings.total_timeout = 5s;
    s.settings.confirm_delay = 50ms;
    config_.sources.push_back(s);
    config_.global.max_concurrency = 8;
  }
  // Runs one pass; the pages handed on are in `pages_`.
  SourcePassStats Pass() {
    CrawlerOptions options;
    options.seed = 7;
    options.cpu = cpu_;
    auto result = harness_.RunPass(config_, options, 60s, 20ms, [this] { Drain(); });
    EXPECT_TRUE(tracker_.open.empty()) << "a journey was left open by the pass";
    return CrawlHarness::First(result);
  }

  void Drain() {
    for (auto& p : tracker_.pages) pages_.push_back(std::move(p));
    tracker_.pages.clear();
    tracker_.Release();
  }

  std::vector<HttpRequest> RequestsFor(const std::string& path) {
    std::vector<HttpRequest> out;
    for (auto& r : server_.requests()) {
      if (r.target == path) out.push_back(r);
    }
    return out;
  }

  Portal portal_;
  TestHttpServer server_;
  CrawlHarness harness_{"crawler-test", 16};
  const std::filesystem::path& state_dir_ = harness_.state_dir;
  std::unique_ptr<StateStore>& state_ = harness_.state;
  SourcesConfig config_;
  boost::asio::io_context& io_ = harness_.io;
  CurlFetcher& fetcher_ = harness_.fetcher;
  nianbao::testing::RecordingTracker& tracker_ = harness_.tracker;
  boost::asio::thread_pool* cpu_ = nullptr;  // digests inline unless a test sets a pool
  std::vector<FetchedPage> pages_;
};

TEST_F(CrawlerTest, FindsEveryReportThroughPaginationAndSkipsLookAlikesAndDisallowed) {
  SourcePassStats s = Pass();
  EXPECT_EQ(s.health, "ok");
  EXPECT_EQ(s.list_pages, 3);
  EXPECT_EQ(s.reports_found, 6);  // t1..t6; x1 (图解) and x2 (通知) are look-alikes
  EXPECT_EQ(s.reports_new, 5);    // t4 is under /private/
  EXPECT_EQ(s.robots_disallowed, 1);
  EXPECT_TRUE(RequestsFor("/private/t4.html").empty());
  EXPECT_TRUE(RequestsFor("/col/x1.html").empty());
  EXPECT_TRUE(RequestsFor("/col/x2.html").empty());
  ASSERT_EQ(pages_.size(), 5u);
  std::set<std::string> urls;
  for (const auto& p : pages_) {
    urls.insert(p.url);
    EXPECT_EQ(p.change, FetchedPage::Change::kNew);
    EXPECT_EQ(p.status, 200);
    ASSERT_EQ(p.attachments.size(), 1u);
    EXPECT_EQ(p.attachments[0].url, server_.Url("/files/a.pdf"));
  }
  EXPECT_TRUE(urls.count(server_.Url("/col/t6.html")));
  EXPECT_EQ(RequestsFor("/robots.txt").size(), 1u);
}

TEST_F(CrawlerTest, PagePatternPaginatesEveryEntry) {
  // Two columns without a pager script, each with a second page reached only through
  // page_pattern; the second entry's page must be asked under its own folder.
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    auto list = [](const std::string& href, const std::string& title) {
      return "<html><body><a href=\"" + href + "\">" + title + "</a></body></html>";
    };
    portal_.pages["/a/index.html"] = list("t11.html", "甲2020年政府信息公开工作年度报告");
    portal_.pages["/a/index_1.html"] = list("t12.html", "乙2020年政府信息公开工作年度报告");
    portal_.pages["/b/index.html"] = list("t21.html", "丙2020年政府信息公开工作年度报告");
    portal_.pages["/b/index_1.html"] = list("t22.html", "丁2020年政府信息公开工作年度报告");
    for (const char* p : {"/a/t11.html", "/a/t12.html", "/b/t21.html", "/b/t22.html"}) {
      portal_.pages[p] = "<html><body>report</body></html>";
    }
  }
  config_.sources[0].entry = {server_.Url("/a/index.html"), server_.Url("/b/index.html")};
  config_.sources[0].page_pattern = "index_{n}.html";
  SourcePassStats s = Pass();
  std::set<std::string> urls;
  for (const auto& p : pages_) urls.insert(p.url);
  EXPECT_EQ(urls, (std::set<std::string>{server_.Url("/a/t11.html"), server_.Url("/a/t12.html"),
                                         server_.Url("/b/t21.html"), server_.Url("/b/t22.html")}));
  EXPECT_EQ(RequestsFor("/b/index_1.html").size(), 1u);
  // Probing stops at the first 404 of each entry; a 404 there is not a failure.
  EXPECT_EQ(RequestsFor("/a/index_2.html").size(), 1u);
  EXPECT_EQ(RequestsFor("/b/index_2.html").size(), 1u);
  EXPECT_EQ(s.health, "ok");
}

TEST_F(CrawlerTest, AOneBasedPagerSkipsIndex1) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    auto list = [](int cur, const std::string& href) {
      return "<html><body><a href=\"" + href + "\">戊2020年政府信息公开工作年度报告</a>" +
             "<script>createPageHTML('page_div',3," + std::to_string(cur) +
             ",'index','shtml',3);</script></body></html>";
    };
    portal_.pages["/s/index.shtml"] = list(1, "t31.html");
    portal_.pages["/s/index_2.shtml"] = list(2, "t32.html");
    portal_.pages["/s/index_3.shtml"] = list(3, "t33.html");
    for (const char* p : {"/s/t31.html", "/s/t32.html", "/s/t33.html"}) {
      portal_.pages[p] = "<html><body>report</body></html>";
    }
  }
  config_.sources[0].entry = {server_.Url("/s/index.shtml")};
  SourcePassStats s = Pass();
  EXPECT_EQ(s.list_pages, 3);
  EXPECT_EQ(s.reports_new, 3);
  EXPECT_TRUE(RequestsFor("/s/index_1.shtml").empty());
  EXPECT_EQ(s.health, "ok");
}

// A list of the source's own template: JSONP from an API, asked page after page with the
// column page as Referer, until the total the answers give.
TEST_F(CrawlerTest, AJsonpListTemplateIsAskedWithTheColumnAsReferer) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/n/index.html"] = "<html><body><ul id=\"list\"></ul></body></html>";
    portal_.pages["/api/list?cb=cb&page=1"] =
        R"js(cb({"n": 3, "rows": [{"u": "/col/t1.html", "t": "甲镇2020年政府信息公开工作年度报告"},)js"
        R"js({"u": "javascript:void(0)", "t": "乙镇2020年政府信息公开工作年度报告"}]});)js";
    portal_.pages["/api/list?cb=cb&page=2"] =
        R"js(cb({"n": 3, "rows": [{"u": "/col/t3.html", "t": "丙镇2020年政府信息公开工作年度报告"}]});)js";
  }
  Source& src = config_.sources[0];
  src.entry = {server_.Url("/n/index.html")};
  src.preset = &TemplateListPreset();
  src.list.url = "/api/list?cb=cb&page={page}";
  src.list.answer = "jsonp";
  src.list.callback = "cb";
  src.list.records = "rows";
  src.list.url_field = "u";
  src.list.title_field = "t";
  src.list.total_field = "n";
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 2);  // t1 and t3; the javascript: record is no link
  EXPECT_EQ(s.list_pages, 3);   // the column page and two calls: 2 + 1 records of 3
  for (const char* api : {"/api/list?cb=cb&page=1", "/api/list?cb=cb&page=2"}) {
    auto got = RequestsFor(api);
    ASSERT_EQ(got.size(), 1u) << api;
    EXPECT_EQ(got[0].headers["referer"], server_.Url("/n/index.html"));
  }
  EXPECT_TRUE(RequestsFor("/api/list?cb=cb&page=3").empty());
  EXPECT_TRUE(s.failures.empty());
}

// An answer of another callback, then one cut short: that list fails, counted under its
// reason; the links already read are still followed, and the pass ends.
TEST_F(CrawlerTest, AMalformedListAnswerFailsItsListAndIsCounted) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/n/index.html"] = "<html><body></body></html>";
    portal_.pages["/api/list?page=1"] =
        R"js(cb({"rows": [{"u": "/col/t1.html", "t": "甲镇2020年政府信息公开工作年度报告"}]}))js";
    portal_.pages["/api/list?page=2"] = R"js(other({"rows": []}))js";
  }
  Source& src = config_.sources[0];
  src.entry = {server_.Url("/n/index.html")};
  src.preset = &TemplateListPreset();
  src.list.url = "/api/list?page={page}";
  src.list.answer = "jsonp";
  src.list.callback = "cb";
  src.list.records = "rows";
  src.list.url_field = "u";
  src.list.title_field = "t";
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 1);
  EXPECT_EQ(s.failures["list_jsonp_callback"], 1);
  EXPECT_TRUE(RequestsFor("/api/list?page=3").empty());

  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/api/list?page=1"] = R"js(cb({"rows": [{"u": "/col/t1.html", "t": "甲)js";
  }
  s = Pass();
  EXPECT_EQ(s.failures["list_bad_jsonp"], 1);  // no closing parenthesis: not a whole call
  EXPECT_TRUE(RequestsFor("/api/list?page=2").size() == 1u);  // from the first pass only
}

TEST_F(CrawlerTest, SecondPassIsConditionalAndYieldsNothingNew) {
  Pass();
  size_t before = server_.requests().size();
  pages_.clear();
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 0);
  EXPECT_EQ(s.reports_unchanged, 5);
  EXPECT_EQ(s.list_pages, 3);  // lists answered 304 still yield their stored links
  auto all = server_.requests();
  for (size_t i = before; i < all.size(); ++i) {
    if (all[i].target == "/robots.txt") continue;
    EXPECT_TRUE(all[i].headers.count("if-none-match")) << all[i].target;
  }
  for (const auto& p : pages_) {
    EXPECT_EQ(p.change, FetchedPage::Change::kUnchanged);
    EXPECT_EQ(p.status, 304);
    EXPECT_FALSE(p.sha256.empty());
  }
}

// A full disk under the state: the links of a list page could not be stored. Had the list
// kept its ETag, the next pass would get a 304 and read the links stored before (none here):
// every report of the column silently gone. Its validators are dropped instead.
TEST_F(CrawlerTest, AListWhoseLinksWereNotStoredIsReadInFullNextPass) {
  auto sql = [this](const char* statement) {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((state_dir_ / "state.db").c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    EXPECT_EQ(sqlite3_exec(db, statement, nullptr, nullptr, &err), SQLITE_OK) << err;
    sqlite3_free(err);
    sqlite3_close(db);
  };
  // Refuses every write to the links table, as a full disk would.
  sql("CREATE TRIGGER no_links BEFORE INSERT ON links BEGIN SELECT RAISE(ABORT, 'full'); END");
  SourcePassStats first = Pass();
  EXPECT_EQ(first.failures["state_write"], 3);  // the three list pages
  EXPECT_EQ(first.reports_new, 5);              // the pass itself still finds them
  sql("DROP TRIGGER no_links");
  size_t before = server_.requests().size();
  pages_.clear();
  SourcePassStats second = Pass();
  EXPECT_EQ(second.reports_found, 6);
  EXPECT_EQ(second.reports_unchanged, 5);
  auto all = server_.requests();
  for (size_t i = before; i < all.size(); ++i) {
    if (all[i].target.rfind("/col/index", 0) == 0) {
      EXPECT_FALSE(all[i].headers.count("if-none-match")) << all[i].target;
    }
  }
}

TEST_F(CrawlerTest, AChangedReportComesOutRevised) {
  Pass();
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/col/t2.html"] += "<p>更正：规章 1 件</p>";
  }
  pages_.clear();
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_revised, 1);
  EXPECT_EQ(s.reports_unchanged, 4);
  int revised = 0;
  for (const auto& p : pages_) {
    if (p.change == FetchedPage::Change::kRevised) {
      ++revised;
      EXPECT_EQ(p.url, server_.Url("/col/t2.html"));
      EXPECT_NE(p.body.find("更正"), std::string::npos);
    }
  }
  EXPECT_EQ(revised, 1);
}

TEST_F(CrawlerTest, RetriesServerErrorsAndHonoursRetryAfter) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.failures_left["/col/t1.html"] = 2;
    portal_.retry_after_429 = 1;
  }
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 5);
  EXPECT_EQ(s.retries, 3);
  EXPECT_EQ(RequestsFor("/col/t1.html").size(), 3u);
  auto t3 = RequestsFor("/col/t3.html");
  ASSERT_EQ(t3.size(), 2u);
  EXPECT_GE(t3[1].received - t3[0].received, 950ms) << "Retry-After: 1 not honoured";
}

TEST_F(CrawlerTest, GivesUpAfterMaxRetriesAndRecordsTheFailure) {
  config_.sources[0].settings.max_retries = 2;
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.failures_left["/col/t5.html"] = 100;
    portal_.pages.erase("/col/t6.html");  // a 404: final, not retried
  }
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_failed, 2);
  EXPECT_EQ(s.failures["http_500"], 1);
  EXPECT_EQ(s.failures["http_404"], 1);
  EXPECT_EQ(RequestsFor("/col/t5.html").size(), 3u);
  EXPECT_EQ(RequestsFor("/col/t6.html").size(), 1u);
  auto st = state_->Get(server_.Url("/col/t5.html"));
  ASSERT_TRUE(st.ok() && st.value());
  EXPECT_EQ(st.value()->last_error, "http_500");
  EXPECT_EQ(st.value()->last_status, 500);
  // Due again with the source's next pass (24 h outside the season, 2 h in it).
  EXPECT_GT(st.value()->next_due, st.value()->last_fetch + 3600);
}

TEST_F(CrawlerTest, AFailedRefetchKeepsTheStoredHash) {
  Pass();
  auto before = state_->Get(server_.Url("/col/t1.html")).value();
  ASSERT_TRUE(before);
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.failures_left["/col/t1.html"] = 100;
  }
  config_.sources[0].settings.max_retries = 0;
  Pass();
  auto after = state_->Get(server_.Url("/col/t1.html")).value();
  ASSERT_TRUE(after);
  EXPECT_EQ(after->sha256, before->sha256);
  EXPECT_EQ(after->last_error, "http_500");
}

TEST_F(CrawlerTest, HoldsTheMinimumDelayBetweenRequestsToOneHost) {
  config_.sources[0].settings.min_delay = 250ms;
  config_.sources[0].settings.per_host_concurrency = 4;
  Pass();
  auto reqs = server_.requests();
  ASSERT_GE(reqs.size(), 9u);  // robots, 3 lists, 5 reports
  for (size_t i = 1; i < reqs.size(); ++i) {
    // Starts are 250 ms apart; when the server thread reads each request varies with
    // scheduling (much under a sanitizer on a loaded machine), hence the margin. Without the
    // gate the gaps are a few milliseconds.
    EXPECT_GE(reqs[i].received - reqs[i - 1].received, 150ms)
        << reqs[i - 1].target << " then " << reqs[i].target;
  }
}

TEST_F(CrawlerTest, ASlowConsumerHoldsBackReportFetches) {
  nianbao::testing::RecordingTracker small(2);
  std::atomic<bool> done{false};
  CrawlerOptions options;
  Crawler crawler(io_, fetcher_, *state_, small, config_, options);
  crawler.RunPass([&](std::vector<SourcePassStats>) { done = true; });
  for (int i = 0; i < 50; ++i) io_.run_for(20ms);  // a full second without consuming
  auto report_requests = [&] {
    int n = 0;
    for (auto& r : server_.requests()) n += r.target.find("/col/t") == 0 ? 1 : 0;
    return n;
  };
  EXPECT_EQ(report_requests(), 2) << "fetched more reports than the tracker has slots for";
  EXPECT_FALSE(done);
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!done && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(10ms);
    small.Release();
  }
  EXPECT_TRUE(done);
  EXPECT_EQ(small.pages.size(), 5u);
}

// A report page whose body is a note and its 全真版 PDF: the PDF comes with the page (one
// journey), the 图解 look-alike is never fetched; a second pass asks the PDF conditionally;
// a revised PDF under an unchanged page revises the report, and the page, answered 304, is
// fetched again whole so that both can be read.
TEST_F(CrawlerTest, AReportPagesDocumentComesWithItAndARevisedOneRevisesTheReport) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/col/t1.html"] =
        "<html><body><p>见附件。</p><a href=\"/files/t1.pdf\">甲镇2020年报告（全真版）</a>"
        "<a href=\"/files/t1-tujie.pdf\">图解：甲镇2020年报告</a></body></html>";
    portal_.pages["/files/t1.pdf"] = "%PDF-1.4 t1 first";
    portal_.pages["/files/t1-tujie.pdf"] = "%PDF-1.4 picture";
  }
  auto t1 = [&]() -> const FetchedPage* {
    for (const auto& p : pages_) {
      if (p.url == server_.Url("/col/t1.html")) return &p;
    }
    return nullptr;
  };
  Pass();
  const FetchedPage* p = t1();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->change, FetchedPage::Change::kNew);
  ASSERT_EQ(p->documents.size(), 1u);
  EXPECT_EQ(p->documents[0].url, server_.Url("/files/t1.pdf"));
  EXPECT_EQ(p->documents[0].text, "甲镇2020年报告（全真版）");
  EXPECT_EQ(p->documents[0].body, "%PDF-1.4 t1 first");
  EXPECT_EQ(p->attachments.size(), 2u);  // both named; only one is a document of the report
  EXPECT_TRUE(RequestsFor("/files/t1-tujie.pdf").empty());
  const std::string first_sha = p->sha256;
  EXPECT_EQ(first_sha,
            Crawler::CombinedSha256(state_->Get(p->url).value()->sha256, {p->documents[0].sha256}));

  pages_.clear();
  Pass();
  p = t1();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->change, FetchedPage::Change::kUnchanged);
  EXPECT_TRUE(p->documents.empty());
  EXPECT_EQ(p->sha256, first_sha);
  auto pdf = RequestsFor("/files/t1.pdf");
  ASSERT_EQ(pdf.size(), 2u);
  EXPECT_TRUE(pdf[1].headers.count("if-none-match"));

  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/files/t1.pdf"] = "%PDF-1.4 t1 corrected";
  }
  pages_.clear();
  size_t page_requests = RequestsFor("/col/t1.html").size();
  Pass();
  p = t1();
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(p->change, FetchedPage::Change::kRevised);
  EXPECT_NE(p->sha256, first_sha);
  ASSERT_EQ(p->documents.size(), 1u);
  EXPECT_EQ(p->documents[0].body, "%PDF-1.4 t1 corrected");
  EXPECT_NE(p->body.find("见附件"), std::string::npos);  // the page, fetched again whole
  auto page = RequestsFor("/col/t1.html");
  ASSERT_EQ(page.size(), page_requests + 2);  // 304, then without validators
  EXPECT_TRUE(page[page_requests].headers.count("if-none-match"));
  EXPECT_FALSE(page[page_requests + 1].headers.count("if-none-match"));
}

// Documents get max_document_body (32 MiB by default), pages max_body (8 MiB).
TEST(FetchRequestForTest, ADocumentsUrlGetsTheLargerBodyLimit) {
  SourceSettings s;
  s.max_body = 1000;
  s.max_document_body = 5000;
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/2021.PDF?x=1").max_body, 5000);
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/2021.docx").max_body, 5000);
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/2021.ofd").max_body, 5000);
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/2021.html").max_body, 1000);
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/2021.xlsx").max_body, 1000);
  EXPECT_EQ(FetchRequestFor(s, "http://a.test/r/index.html?f=a.pdf").max_body, 1000);
}

// A list entry that links straight to a document is a report page of its own; a spreadsheet
// is not, whatever its text.
TEST_F(CrawlerTest, AListEntryThatIsADocumentIsAReport) {
  config_.sources[0].report_url = R"(/t\d+\.(html|pdf|xls)$)";
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/col/index_2.html"] =
        "<html><body><a href=\"t7.pdf\">庚镇2020年政府信息公开工作年度报告</a>"
        "<a href=\"t8.xls\">辛镇2020年政府信息公开工作年度报告</a>"
        "<script>createPageHTML(3, 2, \"index\", \"html\");</script></body></html>";
    portal_.pages["/col/t7.pdf"] = "%PDF-1.4 /a.pdf (text) t7";
  }
  Pass();
  const FetchedPage* t7 = nullptr;
  for (const auto& p : pages_) {
    if (p.url == server_.Url("/col/t7.pdf")) t7 = &p;
  }
  ASSERT_NE(t7, nullptr);
  EXPECT_EQ(t7->body, "%PDF-1.4 /a.pdf (text) t7");
  EXPECT_TRUE(t7->attachments.empty());  // a document's bytes are not searched for links
  EXPECT_TRUE(t7->documents.empty());
  EXPECT_TRUE(RequestsFor("/col/t8.xls").empty());
}

// Every report the crawler plans ends its journey exactly once: handed on, or ended here
// with a reason (robots.txt, a failure). None is left open for the status updater.
TEST_F(CrawlerTest, EveryPlannedReportEndsItsJourneyOnce) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages.erase("/col/t6.html");  // a 404
  }
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_found, 6);
  EXPECT_EQ(pages_.size(), 4u);  // t1, t2, t3, t5
  std::map<std::string, int> reasons;
  for (const auto& e : tracker_.ends)
    ++reasons[std::string(PageStatusName(e.status)) + " " + e.reason];
  EXPECT_EQ(reasons["skipped robots_disallowed"], 1);  // t4
  EXPECT_EQ(tracker_.ends.size(), 1u);
  ASSERT_EQ(tracker_.gone.size(), 1u);  // t6: handed on as gone, once
  EXPECT_EQ(tracker_.gone[0].seen, "http_404");
  EXPECT_TRUE(tracker_.open.empty());
  EXPECT_TRUE(tracker_.started.empty()) << "a slot was never given back";
}

// Defect: an empty 200 replaced the stored hash and went on as a page with no body, which
// the pipeline dropped without releasing its claim. It is a failure of that fetch now: the
// stored version stands, and the journey ends.
TEST_F(CrawlerTest, AnEmptyReportBodyIsAFailedFetchAndKeepsTheStoredVersion) {
  Pass();
  auto before = state_->Get(server_.Url("/col/t2.html"));
  ASSERT_TRUE(before.ok() && before.value());
  std::string stored = before.value()->sha256;
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/col/t2.html"] = "";
  }
  pages_.clear();
  tracker_.ends.clear();
  SourcePassStats s = Pass();
  EXPECT_EQ(s.failures["empty_body"], 1);
  ASSERT_EQ(tracker_.ends.size(), 2u);  // t4 (robots) and t2
  bool t2_failed = false;
  for (const auto& e : tracker_.ends) {
    t2_failed |= e.status == PageStatus::kFailed && e.reason == "empty_body";
  }
  EXPECT_TRUE(t2_failed);
  for (const auto& p : pages_) EXPECT_NE(p.url, server_.Url("/col/t2.html"));
  auto after = state_->Get(server_.Url("/col/t2.html"));
  ASSERT_TRUE(after.ok() && after.value());
  EXPECT_EQ(after.value()->sha256, stored);
}

// Defect (issue 12, item 1): a 200 with Connection: close and no Content-Length, cut in the
// middle, was taken as complete: the stored hash was replaced and a revision went out. A
// changed body that ended with its connection is fetched again now; two different bodies
// fail as "truncated" and the stored version stands.
TEST_F(CrawlerTest, AChangedBodyEndedByItsConnectionThatDisagreesIsTruncated) {
  Pass();
  const std::string t2 = server_.Url("/col/t2.html");
  std::string stored = state_->Get(t2).value()->sha256;
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    const std::string whole = portal_.pages["/col/t2.html"] + "<p>更正</p>";
    portal_.close_delimited["/col/t2.html"] = {whole.substr(0, whole.size() / 2),
                                               whole.substr(0, whole.size() * 3 / 4)};
  }
  pages_.clear();
  tracker_.ends.clear();
  int before = static_cast<int>(RequestsFor("/col/t2.html").size());
  SourcePassStats s = Pass();
  EXPECT_EQ(static_cast<int>(RequestsFor("/col/t2.html").size()) - before, 2) << "asked again once";
  EXPECT_EQ(s.failures["truncated"], 1);
  for (const auto& p : pages_) EXPECT_NE(p.url, t2) << "a cut page was handed on";
  bool t2_failed = false;
  for (const auto& e : tracker_.ends) t2_failed |= e.reason == "truncated";
  EXPECT_TRUE(t2_failed);
  EXPECT_EQ(state_->Get(t2).value()->sha256, stored) << "the stored version must stand";
}

// ... and a whole body from a server that always closes instead of saying its length is
// handed on once the second fetch agrees; unchanged ones are not asked twice.
TEST_F(CrawlerTest, ABodyEndedByItsConnectionIsHandedOnWhenTheSecondFetchAgrees) {
  Pass();
  const std::string t2 = server_.Url("/col/t2.html");
  const std::string whole = portal_.pages["/col/t2.html"] + "<p>更正：规章 1 件</p>";
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.close_delimited["/col/t2.html"] = {whole};
  }
  pages_.clear();
  int before = static_cast<int>(RequestsFor("/col/t2.html").size());
  Pass();
  EXPECT_EQ(static_cast<int>(RequestsFor("/col/t2.html").size()) - before, 2);
  int handed = 0;
  for (const auto& p : pages_) {
    if (p.url != t2) continue;
    ++handed;
    EXPECT_EQ(p.body, whole);
    EXPECT_EQ(p.change, FetchedPage::Change::kRevised);
  }
  EXPECT_EQ(handed, 1);
  pages_.clear();
  before = static_cast<int>(RequestsFor("/col/t2.html").size());
  Pass();
  EXPECT_EQ(static_cast<int>(RequestsFor("/col/t2.html").size()) - before, 1)
      << "the same body: no second fetch";
}

// Defect (issue 12, item 3): a report page that is gone (404, a TRS deletion stub that
// refreshes to the column, a redirect to the column) is not a version of the report: it is
// handed to the tracker as gone, counted per URL, with withdraw set from withdraw_after
// fetches in a row on; a page that comes back resets the count.
TEST_F(CrawlerTest, AGonePageIsCountedUntilItIsWithdrawnAndResetWhenItComesBack) {
  Pass();
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages.erase("/col/t6.html");
    portal_.pages["/col/t5.html"] =
        "<html><head><meta http-equiv=\"refresh\" content=\"0;url=./index.html\"></head>"
        "<body>该信息已删除</body></html>";
    portal_.redirects["/col/t3.html"] = "/col/";
  }
  auto gone_by_url = [&] {
    std::map<std::string, GonePage> out;
    for (auto& g : tracker_.gone) out[g.url] = g;
    tracker_.gone.clear();
    return out;
  };
  Pass();
  auto first = gone_by_url();
  ASSERT_EQ(first.size(), 3u);
  const auto& t6 = first[server_.Url("/col/t6.html")];
  EXPECT_EQ(t6.seen, "http_404");
  EXPECT_EQ(t6.status, 404);
  const auto& t5 = first[server_.Url("/col/t5.html")];
  EXPECT_EQ(t5.seen, "stub");
  EXPECT_EQ(t5.location, server_.Url("/col/index.html"));
  const auto& t3 = first[server_.Url("/col/t3.html")];
  EXPECT_EQ(t3.seen, "redirect_to_column");
  EXPECT_EQ(t3.location, server_.Url("/col/"));
  for (auto& [url, g] : first) {
    EXPECT_EQ(g.fetches, 1) << url;
    EXPECT_FALSE(g.withdraw) << url << ": gone once is not gone";
  }
  Pass();
  auto second = gone_by_url();
  ASSERT_EQ(second.size(), 3u);
  for (auto& [url, g] : second) {
    EXPECT_EQ(g.fetches, 2) << url;
    EXPECT_TRUE(g.withdraw) << url;
  }
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.pages["/col/t6.html"] = "<html><body><p>report back</p></body></html>";
  }
  pages_.clear();
  Pass();
  bool back = false;
  for (const auto& p : pages_) back |= p.url == server_.Url("/col/t6.html");
  EXPECT_TRUE(back);
  EXPECT_EQ(state_->Get(server_.Url("/col/t6.html")).value()->gone_fetches, 0);
  EXPECT_EQ(gone_by_url().count(server_.Url("/col/t6.html")), 0u);
}

// Bodies are hashed and read on the CPU pool, not on the loop: the same pass, the same
// pages and hashes, with a pool of two threads.
TEST_F(CrawlerTest, DigestsOnTheCpuPoolGiveTheSamePass) {
  boost::asio::thread_pool pool(2);
  cpu_ = &pool;
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 5);
  EXPECT_EQ(s.list_pages, 3);
  ASSERT_EQ(pages_.size(), 5u);
  for (const auto& p : pages_) {
    EXPECT_EQ(p.sha256.size(), 64u);
    ASSERT_EQ(p.attachments.size(), 1u);
  }
  pool.join();
}

// A crawler destroyed in the middle of a pass (a SIGHUP reload) ends every journey it still
// holds, and the completions that arrive later (fetches, digests on the pool) find it gone
// instead of touching freed memory (ASan and TSan run this).
TEST_F(CrawlerTest, DestroyedMidPassEndsItsJourneysAndIgnoresLateCompletions) {
  boost::asio::thread_pool pool(2);
  for (int round = 0; round < 5; ++round) {
    CrawlerOptions options;
    options.cpu = &pool;
    auto crawler = std::make_unique<Crawler>(io_, fetcher_, *state_, tracker_, config_, options);
    crawler->RunPass([](std::vector<SourcePassStats>) {});
    for (int i = 0; i < round * 3 + 1; ++i) io_.run_for(2ms);
    crawler->Stop();
    crawler.reset();
    EXPECT_TRUE(tracker_.open.empty()) << "round " << round;
    for (int i = 0; i < 20; ++i) io_.run_for(5ms);  // late completions arrive here
    tracker_.Release();
    EXPECT_TRUE(tracker_.started.empty()) << "round " << round;
  }
  pool.join();
  io_.run_for(20ms);
}

// Defect: every start (and every reload) polled every source at once, ignoring the due time
// its last pass stored. A source not due waits; one never polled, or overdue, starts now.
TEST_F(CrawlerTest, RunForeverStartsEachSourceAtItsStoredDueTime) {
  Source later = config_.sources[0];
  later.name = "not-due";
  config_.sources.push_back(later);
  auto in_an_hour = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now() +
                                                         std::chrono::hours(1));
  ASSERT_TRUE(state_->PutSourceDue("not-due", static_cast<int64_t>(in_an_hour)).ok());
  ASSERT_TRUE(state_->PutSourceDue("test-column", 1).ok());  // overdue
  CrawlerOptions options;
  Crawler crawler(io_, fetcher_, *state_, tracker_, config_, options);
  std::vector<std::string> passes;
  crawler.RunForever([&](const SourcePassStats& s) { passes.push_back(s.source); });
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (passes.empty() && std::chrono::steady_clock::now() < deadline) {
    io_.run_for(20ms);
    Drain();
  }
  for (int i = 0; i < 10; ++i) io_.run_for(20ms);
  ASSERT_EQ(passes, std::vector<std::string>{"test-column"});
  // Its next due time is stored for the next start.
  auto due = state_->GetSourceDue("test-column");
  ASSERT_TRUE(due.ok() && due.value());
  EXPECT_GT(*due.value(), static_cast<int64_t>(in_an_hour));  // interval 24 h ± 10 %
  crawler.Stop();
  for (int i = 0; i < 5; ++i) io_.run_for(10ms);
}

// Cluster mode (cluster/cluster_node.h): only the sources owned are polled; a source newly
// owned is polled at its due time (overdue: at once), one no longer owned is not started.
TEST_F(CrawlerTest, RunForeverPollsOnlyTheSourcesOwned) {
  Source other = config_.sources[0];
  other.name = "other";
  config_.sources.push_back(other);
  ASSERT_TRUE(state_->PutSourceDue("test-column", 1).ok());  // both overdue
  ASSERT_TRUE(state_->PutSourceDue("other", 1).ok());
  Crawler crawler(io_, fetcher_, *state_, tracker_, config_, CrawlerOptions{});
  crawler.SetOwned({false, true});
  std::vector<std::string> passes;
  crawler.RunForever([&](const SourcePassStats& s) { passes.push_back(s.source); });
  auto run_until = [&](size_t n) {
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (passes.size() < n && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(20ms);
      Drain();
    }
    for (int i = 0; i < 10; ++i) io_.run_for(20ms);
  };
  run_until(1);
  ASSERT_EQ(passes, std::vector<std::string>{"other"});
  EXPECT_FALSE(crawler.PassActive(0));
  // The partitions move: test-column is owned now, other no longer.
  crawler.SetOwned({true, false});
  run_until(2);
  EXPECT_EQ(passes, (std::vector<std::string>{"other", "test-column"}));
  crawler.Stop();
  for (int i = 0; i < 5; ++i) io_.run_for(10ms);
}

TEST_F(CrawlerTest, HealthSaysUnreachableBlockedOrStale) {
  config_.sources[0].entry = {server_.Url("/gone/index.html")};
  EXPECT_EQ(Pass().health, "unreachable");
  config_.sources[0].entry = {server_.Url("/private/index.html")};
  EXPECT_EQ(Pass().health, "blocked");
  config_.sources[0].entry = {server_.Url("/col/index.html")};
  config_.sources[0].report_text = "没有这样的标题";
  EXPECT_EQ(Pass().health, "stale");
}

TEST_F(CrawlerTest, RetryAfterAsAnHttpDateIsHonoured) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.retry_after_429 = 1;
    portal_.retry_after_date = true;
  }
  SourcePassStats s = Pass();
  EXPECT_EQ(s.reports_new, 5);
  auto t3 = RequestsFor("/col/t3.html");
  ASSERT_EQ(t3.size(), 2u);
  // The date is two whole seconds ahead when sent; read at one-second resolution the wait is
  // over one second, where the backoff alone (base 100 ms) would be at most 100 ms.
  EXPECT_GE(t3[1].received - t3[0].received, 900ms) << "Retry-After as an HTTP-date ignored";
}

TEST_F(CrawlerTest, AHostThatRefusesConnectionsIsUnreachableNotBlocked) {
  // Given an entry on a port where nothing listens (robots.txt is refused as well);
  TestHttpServer gone([](const HttpRequest&) { return HttpResponse{}; });
  std::string url = gone.Url("/col/index.html");
  gone.Stop();
  config_.sources[0].entry = {url};
  // when a pass runs, then the source is unreachable, with the reason in its failures;
  SourcePassStats s = Pass();
  EXPECT_EQ(s.health, "unreachable");
  EXPECT_EQ(s.failures["robots_unreachable"], 1);
  // and without robots.txt the entry's own failure is the reason.
  config_.sources[0].settings.obey_robots = false;
  config_.sources[0].settings.max_retries = 0;
  s = Pass();
  EXPECT_EQ(s.health, "unreachable");
  EXPECT_EQ(s.failures["connect"], 1);
}

TEST_F(CrawlerTest, ARedirectToAHostNotAllowedFailsAndPublishesNothing) {
  // 127.0.0.1 is the source's host; "localhost" reaches the same server under another name,
  // which the source does not allow.
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.redirects["/col/t1.html"] =
        "http://localhost:" + std::to_string(server_.port()) + "/col/t2.html";
  }
  SourcePassStats s = Pass();
  EXPECT_EQ(s.failures["redirect_not_allowed"], 1);
  EXPECT_EQ(s.reports_failed, 1);
  EXPECT_EQ(s.reports_new, 4);
  for (const auto& p : pages_) EXPECT_NE(p.url, server_.Url("/col/t1.html")) << p.final_url;
  auto st = state_->Get(server_.Url("/col/t1.html"));
  ASSERT_TRUE(st.ok() && st.value());
  EXPECT_EQ(st.value()->last_error, "redirect_not_allowed");
  EXPECT_TRUE(st.value()->sha256.empty());
}

TEST_F(CrawlerTest, ARedirectWithinTheSourcesHostsIsFollowed) {
  {
    std::lock_guard<std::mutex> lock(portal_.mu);
    portal_.redirects["/col/t1.html"] = "/col/t5.html";
  }
  config_.sources[0].allow_hosts = {};
  SourcePassStats s = Pass();
  EXPECT_EQ(s.failures.count("redirect_not_allowed"), 0u);
  EXPECT_EQ(s.reports_new, 5);
}

TEST(CrawlerSchedule, SeasonIntervalFromJanuaryToMarchWithJitter) {
  SourceSettings s;
  s.interval = std::chrono::hours(24);
  s.season_interval = std::chrono::hours(2);
  s.jitter = 0.1;
  std::tm jan{};
  jan.tm_year = 2026 - 1900;
  jan.tm_mon = 0;
  jan.tm_mday = 15;
  jan.tm_hour = 12;
  auto t_jan = std::chrono::system_clock::from_time_t(std::mktime(&jan));
  std::tm jul = jan;
  jul.tm_mon = 6;
  auto t_jul = std::chrono::system_clock::from_time_t(std::mktime(&jul));
  using H = std::chrono::duration<double, std::ratio<3600>>;
  EXPECT_NEAR(H(Crawler::NextDue(s, t_jan, 0.5) - t_jan).count(), 2.0, 1e-6);
  EXPECT_NEAR(H(Crawler::NextDue(s, t_jul, 0.5) - t_jul).count(), 24.0, 1e-6);
  EXPECT_NEAR(H(Crawler::NextDue(s, t_jul, 0.0) - t_jul).count(), 21.6, 1e-6);
  EXPECT_NEAR(H(Crawler::NextDue(s, t_jul, 1.0) - t_jul).count(), 26.4, 1e-6);
}

}  // namespace
}  // namespace nianbao::crawler

namespace nianbao::crawler {
namespace {

// A calendar trap (a 下一页 link on every page, forever) and a page of 10,000 links: the pass
// ends within the source's bounds and the rest of the crawl goes on.
TEST(CrawlerTraps, EndlessPaginationAndLinkFloodsAreBounded) {
  TestHttpServer server([](const HttpRequest& req) {
    HttpResponse res;
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    if (req.target.rfind("/cal/", 0) == 0) {
      int n = std::stoi(req.target.substr(5));
      res.body = "<a href=\"/cal/" + std::to_string(n + 1) +
                 "\">下一页</a>"
                 "<a href=\"/r/t" +
                 std::to_string(n) + ".html\">某镇2020年政府信息公开工作年度报告</a>";
    } else if (req.target == "/flood") {
      for (int i = 0; i < 10000; ++i) {
        res.body += "<a href=\"/f/t" + std::to_string(i) + ".html\">某镇2020年年度报告</a>";
      }
    } else {
      res.body = "<p>report</p>";
    }
    return res;
  });
  CrawlHarness harness("traps");
  ASSERT_NE(harness.state, nullptr);
  SourcesConfig config;
  Source cal;
  cal.name = "calendar";
  cal.entry = {server.Url("/cal/0")};
  cal.report_text = "年度报告";
  cal.next_page_text = "下一页";
  cal.settings.min_delay = std::chrono::milliseconds(0);
  cal.settings.max_pages = 5;
  cal.settings.obey_robots = false;
  Source flood = cal;
  flood.name = "flood";
  flood.entry = {server.Url("/flood")};
  flood.settings.page_budget = 50;
  config.sources = {cal, flood};
  auto result = harness.RunPass(config, CrawlerOptions{});
  ASSERT_TRUE(result.has_value()) << "a trap kept the pass from ending";
  std::map<std::string, SourcePassStats> by;
  for (auto& s : *result) by[s.source] = s;
  EXPECT_EQ(by["calendar"].list_pages, 5);     // max_pages
  EXPECT_EQ(by["flood"].reports_found, 2000);  // links read from one page are capped
  EXPECT_LE(by["flood"].requests, 50);         // page_budget (the list page included)
  EXPECT_EQ(by["flood"].failures["page_budget"], 2000 - 49);
}

// Hosts waiting out their min_delay sleep apart from the ones that may start now (Dispatch
// visits only the latter), and wake for their next request: two hosts with the same column,
// one transfer at a time overall, every report of both fetched, each host's requests still
// min_delay apart.
TEST_F(CrawlerTest, SleepingHostsWakeForTheirNextRequests) {
  TestHttpServer second([this](const HttpRequest& r) { return portal_.Serve(r); });
  Source other = config_.sources[0];
  other.name = "second-host";
  other.entry = {second.Url("/col/index.html")};
  config_.sources.push_back(other);
  for (auto& s : config_.sources) {
    s.settings.min_delay = 200ms;
    s.settings.per_host_concurrency = 1;
  }
  config_.global.max_concurrency = 1;
  CrawlerOptions options;
  options.cpu = cpu_;
  auto result = harness_.RunPass(config_, options, 60s, 20ms, [this] { Drain(); });
  ASSERT_TRUE(result.has_value()) << "a sleeping host never woke";
  ASSERT_EQ(result->size(), 2u);
  for (const auto& s : *result) {
    EXPECT_EQ(s.health, "ok") << s.source;
    EXPECT_EQ(s.reports_new, 5) << s.source;  // t1..t6 but t4, under /private/
  }
  EXPECT_EQ(pages_.size(), 10u);
  for (TestHttpServer* server : {&server_, &second}) {
    auto reqs = server->requests();
    ASSERT_GE(reqs.size(), 9u);  // robots, 3 lists, 5 reports
    for (size_t i = 1; i < reqs.size(); ++i) {
      // 200 ms apart at the start; the margin is for when the server thread reads them.
      EXPECT_GE(reqs[i].received - reqs[i - 1].received, 120ms)
          << reqs[i - 1].target << " then " << reqs[i].target;
    }
  }
}

// A column of `reports` reports on one list page, each page answered after `delay`.
HttpResponse ServeColumn(const HttpRequest& req, int reports, std::chrono::milliseconds delay) {
  HttpResponse res;
  res.delay = delay;
  res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
  if (req.target == "/robots.txt") {
    res.body = "User-agent: *\nAllow: /\n";
  } else if (req.target == "/col/index.html") {
    res.body = "<html><body><ul>";
    for (int i = 1; i <= reports; ++i) {
      res.body += "<li><a href=\"t" + std::to_string(i) + ".html\">第" + std::to_string(i) +
                  "镇2020年政府信息公开工作年度报告</a></li>";
    }
    res.body += "</ul></body></html>";
  } else if (req.target.rfind("/col/t", 0) == 0) {
    res.body = "<html><body><p>report " + req.target + "</p></body></html>";
  } else {
    res.status = 404;
  }
  return res;
}

TEST_F(CrawlerTest, TheHostWithTheMostRequestsWaitingGetsTheNextFreeTransfer) {
  // Given one transfer overall, ten slow hosts (60 ms an answer, no min_delay) with six
  // reports each, and one busy host with ten reports and a min_delay of 100 ms, whose
  // address sorts after theirs; (before, awake hosts were served in the order of their
  // keys, and the busy host, awake every 100 ms, lost every free transfer to a slow host:
  // its pass ended after theirs, far past its politeness bound)
  std::vector<std::unique_ptr<TestHttpServer>> slow;
  for (int i = 0; i < 10; ++i) {
    slow.push_back(std::make_unique<TestHttpServer>(
        [](const HttpRequest& r) { return ServeColumn(r, 6, 60ms); }, "127.0.0.2"));
  }
  TestHttpServer busy([](const HttpRequest& r) { return ServeColumn(r, 10, 0ms); }, "127.0.0.9");
  Source templ = config_.sources[0];
  config_.sources.clear();
  auto add = [&](const std::string& name, const TestHttpServer& server, auto min_delay) {
    Source s = templ;
    s.name = name;
    s.entry = {server.Url("/col/index.html")};
    s.settings.min_delay = min_delay;
    s.settings.per_host_concurrency = 1;
    config_.sources.push_back(s);
  };
  add("busy", busy, 100ms);
  for (size_t i = 0; i < slow.size(); ++i) add("slow-" + std::to_string(i), *slow[i], 0ms);
  config_.global.max_concurrency = 1;
  // When the pass runs;
  CrawlerOptions options;
  options.cpu = cpu_;
  auto result = harness_.RunPass(config_, options, 60s, 20ms, [this] { Drain(); });
  ASSERT_TRUE(result.has_value());
  ASSERT_EQ(result->size(), 11u);
  for (const auto& s : *result) EXPECT_EQ(s.health, "ok") << s.source;
  ASSERT_EQ(pages_.size(), 70u);
  // Then the busy host, which needs 12 requests 100 ms apart (1.1 s), is done before the
  // slow hosts, which hold the one transfer for 10 x 8 x 60 ms = 4.8 s: lists first (the
  // slow hosts' take 1.2 s), then each time it woke it needed more time at its politeness
  // limit than any of them and took the next free transfer.
  auto busy_requests = busy.requests();
  ASSERT_EQ(busy_requests.size(), 12u);  // robots.txt, the list, 10 reports
  auto slow_last = std::chrono::steady_clock::time_point::min();
  for (const auto& server : slow) {
    for (const auto& r : server->requests()) slow_last = std::max(slow_last, r.received);
  }
  EXPECT_LT(busy_requests.back().received, slow_last)
      << "the busy host's last request came "
      << std::chrono::duration_cast<std::chrono::milliseconds>(busy_requests.back().received -
                                                               slow_last)
             .count()
      << " ms after the slow hosts' last";
}

}  // namespace
}  // namespace nianbao::crawler
