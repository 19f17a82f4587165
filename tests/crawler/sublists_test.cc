// Lists behind lists and gateways: the shell and sub-list rules (crawler/sublists.h), the
// gateway signatures (crawler/gateway.h), the sources keys that set them, and a crawl over a
// loopback portal whose columns hide behind shells, year and unit sub-columns and gateways.
#include "crawler/sublists.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <filesystem>
#include <map>
#include <mutex>
#include <set>

#include "crawler/crawler.h"
#include "crawler/curl_fetcher.h"
#include "crawler/gateway.h"
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

const std::string kPage = "http://www.example.gov.cn/zwgk/ndbg/index.html";

// ---------------------------------------------------------------------------------------------
// Shells

TEST(ShellTargetsTest, AnIframeShellLeadsToItsList) {
  std::string html =
      "<html><body><div class=\"nav\"><a href=\"/\">首页</a></div>"
      "<iframe id=\"list\" src=\"list/index.html?a=1&amp;b=2\" width=\"100%\"></iframe>"
      "</body></html>";
  EXPECT_EQ(
      FindShellTargets(html, kPage),
      std::vector<std::string>{"http://www.example.gov.cn/zwgk/ndbg/list/index.html?a=1&b=2"});
}

TEST(ShellTargetsTest, AMetaRefreshLeadsToItsTarget) {
  std::string html =
      "<html><head><meta http-equiv=\"Refresh\" content=\"0; url=../xxgknb/\"></head>"
      "<body>正在跳转</body></html>";
  EXPECT_EQ(FindShellTargets(html, kPage),
            std::vector<std::string>{"http://www.example.gov.cn/zwgk/xxgknb/"});
}

TEST(ShellTargetsTest, ScriptRedirectsRunAtLoadAreFollowed) {
  for (std::string code : {"location.href = \"/a/\";", "window.location='/a/';",
                           "top.location.href=\"/a/\"", "window.location.replace('/a/');",
                           "location.assign(\"/a/\")", "document.location = '/a/';"}) {
    std::string html =
        "<html><body><script type=\"text/javascript\">\n  " + code + "\n</script></body></html>";
    EXPECT_EQ(FindShellTargets(html, kPage),
              std::vector<std::string>{"http://www.example.gov.cn/a/"})
        << code;
  }
}

TEST(ShellTargetsTest, ConditionalOrDeferredRedirectsAreNot) {
  // A mobile-site switch, a click handler, a redirect in a function, a computed target (a
  // JS challenge's reload), an onclick attribute outside any script.
  for (std::string code : {"if (/iPhone/.test(navigator.userAgent)) { location.href = '/m/'; }",
                           "function go() { window.location = '/search/'; }",
                           "$('#btn').click(() => location.href = '/x/');",
                           "location.href = location.pathname + '?t=1';"}) {
    std::string html = "<html><body><script>" + code + "</script></body></html>";
    EXPECT_TRUE(FindShellTargets(html, kPage).empty()) << code;
  }
  std::string onclick =
      "<html><body><button onclick=\"location.href='/x/'\">搜索</button></body></html>";
  EXPECT_TRUE(FindShellTargets(onclick, kPage).empty());
}

TEST(ShellTargetsTest, ThePageItselfJavascriptAndDuplicatesAreDropped) {
  std::string html =
      "<html><head><meta http-equiv=\"refresh\" content=\"5;url=index.html\"></head><body>"
      "<iframe src=\"javascript:void(0)\"></iframe><iframe src=\"about:blank\"></iframe>"
      "<iframe src=\"l.html\"></iframe><frame src=\"l.html\">"
      "<script>location.href='l.html';</script></body></html>";
  EXPECT_EQ(FindShellTargets(html, kPage),
            std::vector<std::string>{"http://www.example.gov.cn/zwgk/ndbg/l.html"});
}

TEST(ShellTargetsTest, TargetsAreCapped) {
  std::string html;
  for (int i = 0; i < 50; ++i) html += "<iframe src=\"f" + std::to_string(i) + ".html\"></iframe>";
  EXPECT_EQ(FindShellTargets(html, kPage, 20).size(), 20u);
}

// ---------------------------------------------------------------------------------------------
// Sub-list rules

bool Sub(const std::string& text, const std::string& path) {
  return IsSublistLink(DefaultSublistRules(), Link{"http://www.example.gov.cn" + path, text});
}

TEST(SublistRulesTest, YearSubColumnsByTextOrFolder) {
  EXPECT_TRUE(Sub("2023年", "/zwgk/ndbg/col123/index.html"));
  EXPECT_TRUE(Sub(" 2022年度 ", "/zwgk/ndbg/abc/"));
  EXPECT_TRUE(Sub("2021", "/zwgk/ndbg/x/"));
  EXPECT_TRUE(Sub("政府信息公开年报2023", "/zwgk/gknb2023/"));
  EXPECT_TRUE(Sub("2022年年报", "/zwgk/ndbg/2022n/index.html"));
  EXPECT_TRUE(Sub("2020年度报告", "/zwgk/nb_2020/index.shtml"));
}

TEST(SublistRulesTest, UnitSubColumnsByNameAndFolder) {
  EXPECT_TRUE(Sub("区教育局", "/bmxxgk/jyj/xxgknb/"));
  EXPECT_TRUE(Sub("城关镇", "/xzxxgk/cgz/ndbg/index.html"));
  EXPECT_TRUE(Sub("区发展和改革委员会", "/bm/fgw/zfxxgknb/"));
}

TEST(SublistRulesTest, LookAlikesAreNot) {
  EXPECT_FALSE(Sub("2023年工作计划", "/zwgk/gzjh/2023/"));  // the year is not the caption
  EXPECT_FALSE(Sub("统计年鉴", "/tjsj/tjnj2022/"));         // no year in the text
  EXPECT_FALSE(Sub("政府信息公开指南", "/zwgk/xxgkzn/"));
  EXPECT_FALSE(Sub("区教育局", "/jyj/"));                     // the unit's home, no 年报 folder
  EXPECT_FALSE(Sub("区教育局2022年政府信息公开工作年度报告",  // a report, not a column
                   "/bmxxgk/jyj/xxgknb/202201/t20220120_1.html"));
}

TEST(SublistRulesTest, ASourcesOwnTableReplacesTheBuiltInOne) {
  std::vector<SublistRule> own{{"^往年$", ""}};
  EXPECT_TRUE(IsSublistLink(own, Link{"http://a.gov.cn/old/", "往年"}));
  EXPECT_FALSE(IsSublistLink(own, Link{"http://a.gov.cn/2023/", "2023年"}));
  EXPECT_FALSE(IsSublistLink({}, Link{"http://a.gov.cn/2023/", "2023年"}));
}

// ---------------------------------------------------------------------------------------------
// Gateway signatures

TEST(GatewayTest, A521IsAGatewaysWhateverItsBody) {
  EXPECT_EQ(GatewayChallenge(521, ""), "jsl_521");
  EXPECT_EQ(GatewayChallenge(521, "<html>report</html>"), "jsl_521");
}

TEST(GatewayTest, SmallChallengeScriptsAreRecognised) {
  EXPECT_EQ(GatewayChallenge(200,
                             "<script>document.cookie=('__jsl_clearance=1;max-age=3600;path=/');"
                             "location.href=location.pathname+location.search</script>"),
            "jsl_clearance");
  EXPECT_EQ(GatewayChallenge(200,
                             "<html><script>document.cookie='x=1';location.reload();"
                             "</script></html>"),
            "cookie_reload");
  EXPECT_EQ(GatewayChallenge(200, "<SCRIPT>var wzwschallenge='abc';</SCRIPT>"), "wzws_challenge");
}

TEST(GatewayTest, PagesAndOtherStatusesAreNot) {
  // A report page that happens to set a cookie in a script, but is large: a page.
  std::string report = "<html><script>document.cookie='v=1';location.reload();</script>" +
                       std::string(kChallengeMaxBytes, 'x') + "</html>";
  EXPECT_EQ(GatewayChallenge(200, report), "");
  EXPECT_EQ(GatewayChallenge(200, "<html><p>维护中</p></html>"), "");
  EXPECT_EQ(GatewayChallenge(200, "document.cookie location.reload"), "");  // no script
  EXPECT_EQ(GatewayChallenge(503, "<script>document.cookie='';location.reload()</script>"), "");
  EXPECT_EQ(GatewayChallenge(404, ""), "");
}

// ---------------------------------------------------------------------------------------------
// The sources keys

TEST(SublistSourcesTest, KeysAreReadAndChecked) {
  const std::string head = "[[source]]\nname = \"a\"\nentry = [\"https://a.gov.cn/\"]\n";
  auto plain = ParseSources(head, "s.toml");
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(plain.value().sources[0].sublists, DefaultSublistRules());
  EXPECT_EQ(plain.value().sources[0].settings.sublist_depth, 2);

  auto own = ParseSources(
      head + "sublist_depth = 1\nsublists = [{ text = '^\\d{4}年$' }, { url = '/nb\\d{4}/' }]\n",
      "s.toml");
  ASSERT_TRUE(own.ok()) << own.status().ToString();
  EXPECT_EQ(own.value().sources[0].sublists,
            (std::vector<SublistRule>{{"^\\d{4}年$", ""}, {"", "/nb\\d{4}/"}}));
  EXPECT_EQ(own.value().sources[0].settings.sublist_depth, 1);

  auto none = ParseSources(head + "sublists = []\n", "s.toml");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none.value().sources[0].sublists.empty());

  auto defaults = ParseSources("[defaults]\nsublist_depth = 0\n" + head, "s.toml");
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults.value().sources[0].settings.sublist_depth, 0);

  struct Bad {
    std::string text;
    std::string message;
  };
  for (const Bad& bad : std::vector<Bad>{
           {"sublists = [{ text = '(' }]\n", "s.toml:4: source \"a\": sublists: text: "},
           {"sublists = [{ txt = 'a' }]\n", "unknown key \"txt\" in a rule"},
           {"sublists = [{}]\n", "a rule needs text or url"},
           {"sublists = ['2023']\n", "an array of tables"},
           {"sublists = { text = 'a' }\n", "an array of tables"},
           {"sublist_depth = -1\n", "sublist_depth"},
       }) {
    auto r = ParseSources(head + bad.text, "s.toml");
    ASSERT_FALSE(r.ok()) << bad.text;
    EXPECT_NE(r.status().message().find(bad.message), std::string::npos)
        << bad.text << " -> " << r.status().message();
  }
}

// ---------------------------------------------------------------------------------------------
// A crawl

// A portal of fixed pages (path -> status and body); every request is logged by the server.
struct Pages {
  std::mutex mu;
  std::map<std::string, std::pair<int, std::string>> pages;

  HttpResponse Serve(const HttpRequest& req) {
    std::lock_guard<std::mutex> lock(mu);
    HttpResponse res;
    if (req.target == "/robots.txt") {
      res.body = "User-agent: *\nDisallow:\n";
      return res;
    }
    auto it = pages.find(req.target);
    if (it == pages.end()) {
      res.status = 404;
      return res;
    }
    res.status = it->second.first;
    res.headers = {{"Content-Type", "text/html; charset=utf-8"}};
    res.body = it->second.second;
    return res;
  }
  void Add(const std::string& path, std::string body, int status = 200) {
    std::lock_guard<std::mutex> lock(mu);
    pages[path] = {status, std::move(body)};
  }
  // A list page of links (href, text).
  void List(const std::string& path, const std::vector<std::pair<std::string, std::string>>& a,
            const std::string& extra = "") {
    std::string body = "<html><body><ul>";
    for (const auto& [href, text] : a) body += "<li><a href=\"" + href + "\">" + text + "</a></li>";
    Add(path, body + "</ul>" + extra + "</body></html>");
  }
  void Report(const std::string& path) {
    Add(path, "<html><body><h1>report " + path + "</h1></body></html>");
  }
};

class SublistCrawlTest : public ::testing::Test {
 protected:
  SublistCrawlTest() : server_([this](const HttpRequest& r) { return pages_.Serve(r); }) {
    source_.name = "sub";
    source_.report_url = R"(/t\d+\.html$)";
    source_.report_text = "年度报告";
    source_.exclude_text = "图解|通知";
    source_.settings.min_delay = 0ms;
    source_.settings.backoff_base = 50ms;
    source_.settings.total_timeout = 5s;
  }
  SourcePassStats Pass(std::vector<std::string> entry_paths) {
    config_.sources.clear();
    Source s = source_;
    for (const auto& p : entry_paths) s.entry.push_back(server_.Url(p));
    config_.sources.push_back(s);
    CrawlerOptions options = options_;
    options.seed = 7;
    auto result = harness_.RunPass(config_, options);
    EXPECT_TRUE(tracker_.open.empty()) << "a journey was left open by the pass";
    return CrawlHarness::First(result);
  }

  std::set<std::string> Fetched() {
    std::set<std::string> out;
    for (const auto& p : tracker_.pages) out.insert(p.url);
    return out;
  }
  size_t Asked(const std::string& path) {
    size_t n = 0;
    for (const auto& r : server_.requests()) n += r.target == path ? 1 : 0;
    return n;
  }

  Pages pages_;
  TestHttpServer server_;
  CrawlHarness harness_{"sublist-test"};
  const std::filesystem::path& state_dir_ = harness_.state_dir;
  std::unique_ptr<StateStore>& state_ = harness_.state;
  Source source_;
  CrawlerOptions options_;  // of every Pass() (its seed aside)
  SourcesConfig config_;
  boost::asio::io_context& io_ = harness_.io;
  CurlFetcher& fetcher_ = harness_.fetcher;
  nianbao::testing::RecordingTracker& tracker_ = harness_.tracker;
};

TEST_F(SublistCrawlTest, IframeRefreshAndScriptShellsLeadToTheirLists) {
  pages_.Add("/a/index.html", "<html><body><iframe src=\"list.html\"></iframe></body></html>");
  pages_.List("/a/list.html", {{"t1.html", "甲2022年政府信息公开工作年度报告"}});
  pages_.Add("/b/index.html",
             "<html><head><meta http-equiv=\"refresh\" content=\"0;url=/b/real/\"></head></html>");
  pages_.List("/b/real/", {{"t2.html", "乙2022年政府信息公开工作年度报告"}});
  pages_.Add("/c/index.html", "<html><script>window.location.href='/c/list/';</script></html>");
  pages_.List("/c/list/", {{"t3.html", "丙2022年政府信息公开工作年度报告"},
                           {"t4.html", "丙2022年政府信息公开工作年度报告（图解）"}});
  for (const char* p : {"/a/t1.html", "/b/real/t2.html", "/c/list/t3.html", "/c/list/t4.html"}) {
    pages_.Report(p);
  }
  SourcePassStats s = Pass({"/a/index.html", "/b/index.html", "/c/index.html"});
  EXPECT_EQ(Fetched(),
            (std::set<std::string>{server_.Url("/a/t1.html"), server_.Url("/b/real/t2.html"),
                                   server_.Url("/c/list/t3.html")}));
  EXPECT_EQ(s.list_pages, 6);
  EXPECT_EQ(s.health, "ok");
  EXPECT_EQ(Asked("/c/list/t4.html"), 0u);
}

TEST_F(SublistCrawlTest, ShellsPointingAtThemselvesOrEachOtherEndTheirLoop) {
  // a -> b (refresh), b -> a (script), a -> a (iframe): each asked once, and the pass ends.
  pages_.Add("/a/index.html",
             "<html><head><meta http-equiv=\"refresh\" content=\"0;url=/b/index.html\"></head>"
             "<body><iframe src=\"/a/index.html\"></iframe></body></html>");
  pages_.Add("/b/index.html", "<html><script>location.replace('/a/index.html')</script></html>");
  source_.settings.sublist_depth = 5;
  source_.settings.max_depth = 8;
  SourcePassStats s = Pass({"/a/index.html"});
  EXPECT_EQ(Asked("/a/index.html"), 1u);
  EXPECT_EQ(Asked("/b/index.html"), 1u);
  EXPECT_EQ(s.list_pages, 2);
  EXPECT_EQ(s.health, "stale");
}

TEST_F(SublistCrawlTest, YearAndUnitSubColumnsAreFollowedTheirLookAlikesAreNot) {
  pages_.List("/col/index.html", {{"gknb2023/", "2023年"},
                                  {"2022n/index.html", "2022年度"},
                                  {"/bm/jyj/xxgknb/", "区教育局"},
                                  {"/zwgk/gzjh/2023/", "2023年工作计划"},
                                  {"/tjsj/tjnj/", "统计年鉴"},
                                  {"/bm/jyj/", "区教育局"},
                                  {"/bm/tj/xxgknb/", "区统计局图解"},
                                  {"/zwgk/xxgkzn/", "政府信息公开指南"}});
  pages_.List("/col/gknb2023/", {{"t23.html", "本区2023年政府信息公开工作年度报告"}});
  pages_.List("/col/2022n/index.html", {{"t22.html", "本区2022年政府信息公开工作年度报告"}});
  pages_.List("/bm/jyj/xxgknb/", {{"t9.html", "区教育局2022年政府信息公开工作年度报告"}});
  for (const char* p :
       {"/col/gknb2023/t23.html", "/col/2022n/t22.html", "/bm/jyj/xxgknb/t9.html"}) {
    pages_.Report(p);
  }
  SourcePassStats s = Pass({"/col/index.html"});
  EXPECT_EQ(Fetched(), (std::set<std::string>{server_.Url("/col/gknb2023/t23.html"),
                                              server_.Url("/col/2022n/t22.html"),
                                              server_.Url("/bm/jyj/xxgknb/t9.html")}));
  for (const char* decoy :
       {"/zwgk/gzjh/2023/", "/tjsj/tjnj/", "/bm/jyj/", "/bm/tj/xxgknb/", "/zwgk/xxgkzn/"}) {
    EXPECT_EQ(Asked(decoy), 0u) << decoy;
  }
  EXPECT_EQ(s.health, "ok");
}

TEST_F(SublistCrawlTest, VerdictsNameTheShellAndTheSublistRule) {
  // What `nianbao sources test` prints: lists only, every link with its verdict.
  pages_.Add("/a/index.html", "<html><body><iframe src=\"list.html\"></iframe></body></html>");
  pages_.List("/a/list.html", {{"gknb2023/", "2023年"},
                               {"/zwgk/gzjh/2023/", "2023年工作计划"},
                               {"t1.html", "甲2022年政府信息公开工作年度报告"},
                               {"t2.html", "甲2022年政府信息公开工作年度报告（图解）"}});
  pages_.List("/a/gknb2023/", {{"t3.html", "甲2023年政府信息公开工作年度报告"}});
  std::map<std::string, std::string> verdicts;  // URL -> verdict
  std::map<std::string, std::string> texts;     // URL -> the link text shown
  std::set<std::string> lists;
  options_.lists_only = true;
  options_.on_link = [&](const std::string&, const std::string& list, const Link& l,
                         const std::string& verdict) {
    verdicts[l.url] = verdict;
    texts[l.url] = l.text;
    lists.insert(list);
  };
  Pass({"/a/index.html"});
  EXPECT_EQ(verdicts[server_.Url("/a/list.html")],
            "sub-list (a shell's target: iframe, meta refresh or script redirect)");
  EXPECT_EQ(texts[server_.Url("/a/list.html")], "");  // the crawler's marker is not shown
  const SublistRule& year = DefaultSublistRules()[0];
  EXPECT_EQ(verdicts[server_.Url("/a/gknb2023/")],
            "sub-list (sublists rule text '" + year.text + "' url '" + year.url + "')");
  EXPECT_EQ(verdicts[server_.Url("/zwgk/gzjh/2023/")],
            "ignored: report_url '" + source_.report_url + "' no match");
  EXPECT_EQ(verdicts[server_.Url("/a/t1.html")], "report");
  EXPECT_EQ(verdicts[server_.Url("/a/t2.html")], "excluded by exclude_text '图解|通知'");
  // The sub-list was read: its report shown, from its own page.
  EXPECT_EQ(verdicts[server_.Url("/a/gknb2023/t3.html")], "report");
  EXPECT_EQ(lists.count(server_.Url("/a/gknb2023/")), 1u);
  EXPECT_TRUE(Fetched().empty());  // lists only
}

TEST_F(SublistCrawlTest, DepthLimitsAndTheBudgetBoundSubLists) {
  // entry -> 2023年 -> 2023年 (a sub-column of a sub-column) -> ...
  pages_.List("/col/index.html", {{"/l1/", "2023年"}});
  pages_.List("/l1/", {{"/l2/", "2022年"}, {"t1.html", "甲2023年政府信息公开工作年度报告"}});
  pages_.List("/l2/", {{"/l3/", "2021年"}, {"t2.html", "乙2022年政府信息公开工作年度报告"}});
  pages_.List("/l3/", {{"t3.html", "丙2021年政府信息公开工作年度报告"}});
  for (const char* p : {"/l1/t1.html", "/l2/t2.html", "/l3/t3.html"}) pages_.Report(p);

  SourcePassStats s = Pass({"/col/index.html"});  // sublist_depth 2: /l1/ and /l2/
  EXPECT_EQ(Asked("/l2/"), 1u);
  EXPECT_EQ(Asked("/l3/"), 0u);
  EXPECT_EQ(s.reports_found, 2);

  source_.settings.sublist_depth = 0;  // none
  s = Pass({"/col/index.html"});
  EXPECT_EQ(Asked("/l1/"), 1u);
  EXPECT_EQ(s.list_pages, 1);

  source_.settings.sublist_depth = 5;
  source_.settings.max_depth = 3;  // a report at depth 3 at most: sub-lists to depth 2
  s = Pass({"/col/index.html"});
  EXPECT_EQ(Asked("/l3/"), 0u);

  source_.settings.max_depth = 10;
  source_.settings.page_budget = 3;  // the entry, /l1/ and one more page
  s = Pass({"/col/index.html"});
  EXPECT_EQ(s.list_pages + s.reports_new + s.reports_unchanged, 3);

  source_.sublists = {};  // the source turned the rules off
  source_.settings.page_budget = 200;
  s = Pass({"/col/index.html"});
  EXPECT_EQ(s.list_pages, 1);
}

TEST_F(SublistCrawlTest, A521OrAChallengeIsBlockedByGatewayAskedOnceAndNeverAPage) {
  pages_.Add("/jsl/index.html", "<html><body>521</body></html>", 521);
  pages_.Add("/js/index.html",
             "<html><script>document.cookie='__jsl_clearance=1;path=/';location.href=location."
             "pathname+location.search</script></html>");
  source_.settings.max_retries = 4;
  SourcePassStats s = Pass({"/jsl/index.html", "/js/index.html"});
  EXPECT_EQ(s.health, "blocked");
  EXPECT_EQ(s.failures[std::string(kBlockedByGateway)], 2);
  EXPECT_EQ(s.retries, 0);
  EXPECT_EQ(Asked("/jsl/index.html"), 1u);
  EXPECT_EQ(Asked("/js/index.html"), 1u);

  // A report page answered with a challenge: a failed fetch, not a page (new or revised).
  pages_.List("/col/index.html", {{"t1.html", "甲2022年政府信息公开工作年度报告"},
                                  {"t2.html", "乙2022年政府信息公开工作年度报告"}});
  pages_.Report("/col/t1.html");
  pages_.Add("/col/t2.html", "<script>document.cookie='a=b';location.reload()</script>");
  s = Pass({"/col/index.html"});
  EXPECT_EQ(Fetched(), std::set<std::string>{server_.Url("/col/t1.html")});
  EXPECT_EQ(s.reports_failed, 1);
  EXPECT_EQ(s.failures[std::string(kBlockedByGateway)], 1);
  EXPECT_EQ(s.health, "ok");
  ASSERT_FALSE(tracker_.ends.empty());
  EXPECT_EQ(tracker_.ends.back().reason, kBlockedByGateway);
}

// A page fetched for discovery (FetchPage) behind a 521 or a JS challenge is answered, never
// left waiting: `nianbao discover` on a gateway's portal hung for ever before.
TEST_F(SublistCrawlTest, APageFetchedBehindAGatewayIsAnsweredNotLeftWaiting) {
  pages_.Add("/jsl/index.html", "<html><body>521</body></html>", 521);
  pages_.Add("/js/index.html",
             "<html><script>document.cookie='__jsl_clearance=1;path=/';location.href=location."
             "pathname+location.search</script></html>");
  config_.sources.clear();
  Source s = source_;
  s.entry = {server_.Url("/jsl/index.html")};
  config_.sources.push_back(s);
  Crawler crawler(io_, fetcher_, *state_, tracker_, config_, CrawlerOptions{});
  std::map<std::string, FetchResult> answers;
  for (std::string path : {"/jsl/index.html", "/js/index.html"}) {
    crawler.FetchPage(0, server_.Url(path),
                      [&answers, path](FetchResult r) { answers[path] = std::move(r); });
  }
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (answers.size() < 2 && std::chrono::steady_clock::now() < deadline) io_.run_for(20ms);
  ASSERT_EQ(answers.size(), 2u) << "a page behind a gateway was never answered";
  EXPECT_EQ(answers["/jsl/index.html"].status, 521);
  EXPECT_EQ(answers["/js/index.html"].status, 200);
  EXPECT_EQ(Asked("/jsl/index.html"), 1u);  // not retried as a 5xx
}

TEST_F(SublistCrawlTest, APageFetchedWithHeadersSendsThem) {
  // Discovery asks a script-fed list's first page as the column page would: with its Referer.
  pages_.Add("/api/list.jsp?page=1", "cb({\"rows\": []})");
  config_.sources.clear();
  Source s = source_;
  s.entry = {server_.Url("/col/index.html")};
  config_.sources.push_back(s);
  Crawler crawler(io_, fetcher_, *state_, tracker_, config_, CrawlerOptions{});
  std::optional<FetchResult> answer;
  crawler.FetchPage(0, server_.Url("/api/list.jsp?page=1"),
                    [&](FetchResult r) { answer = std::move(r); },
                    {"Referer: " + server_.Url("/col/index.html")});
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (!answer && std::chrono::steady_clock::now() < deadline) io_.run_for(20ms);
  ASSERT_TRUE(answer.has_value());
  EXPECT_EQ(answer->status, 200);
  EXPECT_EQ(answer->body, "cb({\"rows\": []})");
  std::string referer;
  for (const auto& r : server_.requests()) {
    if (r.target == "/api/list.jsp?page=1" && r.headers.count("referer") > 0) {
      referer = r.headers.at("referer");
    }
  }
  EXPECT_EQ(referer, server_.Url("/col/index.html"));
}

}  // namespace
}  // namespace nianbao::crawler
