#include "crawler/discovery.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <string>
#include <vector>

namespace nianbao::crawler {
namespace {

// ---------------------------------------------------------------------------------------------
// Judging links

TEST(JudgeDiscoveryLinkTest, ColumnByTextAndBySlug) {
  LinkJudgement by_text =
      JudgeDiscoveryLink({"https://www.x.gov.cn/col/col123/index.html", "政府信息公开年报"});
  EXPECT_GT(by_text.column, 0);
  EXPECT_EQ(by_text.why, "text \"政府信息公开年报\"");
  LinkJudgement by_slug = JudgeDiscoveryLink({"https://www.x.gov.cn/xxgk/zfxxgknb/", "更多"});
  EXPECT_GT(by_slug.column, 0);
  EXPECT_EQ(by_slug.why, "URL slug \"zfxxgknb\"");
  // Both: surer than either alone.
  LinkJudgement both =
      JudgeDiscoveryLink({"https://www.x.gov.cn/xxgk/zfxxgknb/", "政府信息公开年报"});
  EXPECT_GT(both.column, by_text.column);
  EXPECT_GT(both.column, by_slug.column);
}

TEST(JudgeDiscoveryLinkTest, TheLongestTextWinsOverItsTail) {
  // "政府信息公开工作年度报告" is the column's full name; "年度报告" alone is weaker.
  EXPECT_GT(JudgeDiscoveryLink({"https://a.cn/1/", "政府信息公开工作年度报告"}).column,
            JudgeDiscoveryLink({"https://a.cn/2/", "年度报告"}).column);
}

TEST(JudgeDiscoveryLinkTest, DecoysAndDatedLinksAreNeither) {
  for (const char* text : {"政府信息公开指南", "政府信息公开制度", "年度工作计划",
                           "本地测试市统计年鉴", "2023年政务公开工作要点"}) {
    LinkJudgement j = JudgeDiscoveryLink({"https://a.cn/xxgk/zfxxgknb/x.html", text});
    EXPECT_EQ(j.column, 0) << text;
    EXPECT_EQ(j.disclosure, 0) << text;
  }
  // One year's report, even under the column's slug, is not the column.
  LinkJudgement dated = JudgeDiscoveryLink(
      {"https://a.cn/xxgk/zfxxgknb/t20230128_1.html", "2022年政府信息公开工作年度报告"});
  EXPECT_EQ(dated.column, 0);
  EXPECT_EQ(dated.disclosure, 0);
}

TEST(JudgeDiscoveryLinkTest, DisclosurePageIsNotAColumn) {
  LinkJudgement j = JudgeDiscoveryLink({"https://a.cn/zfxxgk/", "政府信息公开"});
  EXPECT_EQ(j.column, 0);
  EXPECT_EQ(j.disclosure, 40);  // text 30 + slug 10 (the table rows)
  EXPECT_EQ(JudgeDiscoveryLink({"https://a.cn/bsfw/", "办事服务"}).disclosure, 0);
}

TEST(SamePortalTest, HostsOfOnePortal) {
  EXPECT_TRUE(SamePortal("https://www.x.gov.cn/", "https://www.x.gov.cn/xxgk/"));
  EXPECT_TRUE(SamePortal("https://www.x.gov.cn/", "https://zwgk.x.gov.cn/col/"));
  EXPECT_TRUE(SamePortal("https://www.x.gov.cn/", "http://x.gov.cn/"));
  EXPECT_FALSE(SamePortal("https://www.x.gov.cn/", "https://www.y.gov.cn/"));
  EXPECT_FALSE(SamePortal("https://www.x.gov.cn/", "https://evilx.gov.cn/"));
  // Loopback hosts differ by port: each is a portal of its own.
  EXPECT_TRUE(SamePortal("http://127.0.0.1:8001/", "http://127.0.0.1:8001/a"));
  EXPECT_FALSE(SamePortal("http://127.0.0.1:8001/", "http://127.0.0.1:8002/a"));
}

// ---------------------------------------------------------------------------------------------
// Recognising the CMS

TEST(RecogniseCmsTest, SignaturesInTableOrder) {
  CmsGuess hanweb = RecogniseCms(
      "<div><script type=\"text/xml\"><datastore><recordset></recordset></datastore></script>",
      "https://www.x.gov.cn/col/col5678/index.html");
  EXPECT_EQ(hanweb.cms, "hanweb");
  EXPECT_EQ(hanweb.preset, "hanweb");  // this build has the preset
  CmsGuess static_hanweb = RecogniseCms("<a href=\"index_2.html\">下一页</a>",
                                        "https://www.x.gov.cn/col/col1234/index.html");
  EXPECT_EQ(static_hanweb.cms, "hanweb");
  EXPECT_EQ(static_hanweb.preset, "");  // a static list: the plain reader
  EXPECT_EQ(RecogniseCms("<script>createPageHTML(3, 0, \"index\", \"html\");</script>",
                         "https://a.cn/zfxxgk/zfxxgknb/")
                .cms,
            "trs");
  EXPECT_EQ(RecogniseCms("", "https://a.cn/zwgk/xxgknb/index.shtml").cms, "trs");
  EXPECT_EQ(RecogniseCms("var _CONFIG = {SID: '1'}", "https://a.cn/gkmlpt/annualreport").cms,
            "gkmlpt");
  EXPECT_EQ(RecogniseCms("$.post(url, {classsql: 'chnlid=12'})", "https://a.cn/x/").cms,
            "trs-search");
  EXPECT_EQ(RecogniseCms("paramJson={\"pageNo\":1}", "https://a.cn/x/").cms, "jpaas");
  CmsGuess plain = RecogniseCms("<ul><li><a href=\"a.html\">x</a></li></ul>", "https://a.cn/x/");
  EXPECT_EQ(plain.cms, "");
  EXPECT_EQ(plain.preset, "");
}

// ---------------------------------------------------------------------------------------------
// The walk, over pages served by a map (the fetches answer at once, in order)

struct FakePortal {
  std::map<std::string, std::pair<long, std::string>> pages;  // url -> status, body
  std::vector<std::string> asked;
  GetPage Get() {
    return [this](const std::string& url, std::function<void(PageRead)> done) {
      asked.push_back(url);
      FetchResult r;
      r.url = url;
      r.final_url = url;
      auto it = pages.find(url);
      r.status = it == pages.end() ? 404 : it->second.first;
      if (it != pages.end()) r.body = it->second.second;
      done(ReadPage(std::move(r),
                    [](std::string_view bytes, std::string_view) { return std::string(bytes); }));
    };
  }
};

DiscoveryResult DiscoverOn(FakePortal& portal, const std::string& start) {
  DiscoveryResult out;
  bool called = false;
  Discover(start, DiscoveryOptions{}, portal.Get(), [&](DiscoveryResult r) {
    out = std::move(r);
    called = true;
  });
  EXPECT_TRUE(called);
  return out;
}

constexpr char kHome[] = "https://www.x.gov.cn/";

TEST(DiscoverTest, HomeThenDisclosurePageThenColumn) {
  FakePortal p;
  p.pages[kHome] = {200,
                    "<a href=\"/zfxxgkzn/\">政府信息公开指南</a>"
                    "<a href=\"/zfxxgk/\">政府信息公开</a>"
                    "<a href=\"/xwzx/t1.html\">本市2022年政府信息公开工作年度报告发布会</a>"
                    "<a href=\"https://www.other.gov.cn/zfxxgk/\">政府信息公开</a>"};
  p.pages["https://www.x.gov.cn/zfxxgk/"] = {
      200, "<a href=\"zd/\">政府信息公开制度</a><a href=\"zfxxgknb/\">政府信息公开年报</a>"};
  p.pages["https://www.x.gov.cn/zfxxgk/zfxxgknb/"] = {
      200, "<a href=\"2023/t1.html\">2022年报告</a><a href=\"index_1.html\">下一页</a>"};
  DiscoveryResult r = DiscoverOn(p, kHome);
  ASSERT_EQ(r.columns.size(), 1u) << r.error;
  EXPECT_EQ(r.columns[0].url, "https://www.x.gov.cn/zfxxgk/zfxxgknb/");
  EXPECT_EQ(r.columns[0].via, "https://www.x.gov.cn/zfxxgk/");
  EXPECT_EQ(r.columns[0].link_text, "政府信息公开年报");
  EXPECT_EQ(r.columns[0].next_page_text, "下一页");
  EXPECT_EQ(r.columns[0].cms.cms, "");
  EXPECT_EQ(r.error, "");
  // The decoys, the dated news item and the other portal's link were never fetched.
  EXPECT_EQ(p.asked, (std::vector<std::string>{kHome, "https://www.x.gov.cn/zfxxgk/",
                                               "https://www.x.gov.cn/zfxxgk/zfxxgknb/"}));
}

TEST(DiscoverTest, ColumnThatFailsIsNotWritten) {
  FakePortal p;
  p.pages[kHome] = {200, "<a href=\"/xxgk/xxgknb/\">信息公开年报</a>"};
  DiscoveryResult r = DiscoverOn(p, kHome);
  EXPECT_TRUE(r.columns.empty());
  EXPECT_EQ(r.error, "column https://www.x.gov.cn/xxgk/xxgknb/: HTTP 404");
}

TEST(DiscoverTest, EveryColumnNamedInFullOnOnePageIsConfirmed) {
  // A 政府信息公开 page lists the portal's own column and its departments' and towns' side
  // by side; only one has a slug. A bare 年报 (a news item's word) stays out.
  FakePortal p;
  p.pages[kHome] = {200,
                    "<a href=\"/xxgk/xxgknb/\">政府信息公开年报</a>"
                    "<a href=\"/bmxxgk/nb/\">部门政府信息公开年报</a>"
                    "<a href=\"/xzxxgk/nb/\">乡镇政府信息公开年报</a>"
                    "<a href=\"/xwzx/nb.html\">年报</a>"};
  for (const char* path : {"xxgk/xxgknb/", "bmxxgk/nb/", "xzxxgk/nb/"})
    p.pages[std::string(kHome) + path] = {200, "<a href=\"t1.html\">x</a>"};
  DiscoveryResult r = DiscoverOn(p, kHome);
  ASSERT_EQ(r.columns.size(), 3u) << r.error;
  EXPECT_EQ(r.columns[0].url, "https://www.x.gov.cn/xxgk/xxgknb/");  // text and slug: surest
  EXPECT_EQ(r.columns[1].url, "https://www.x.gov.cn/bmxxgk/nb/");
  EXPECT_EQ(r.columns[2].url, "https://www.x.gov.cn/xzxxgk/nb/");
  EXPECT_EQ(std::count(p.asked.begin(), p.asked.end(), "https://www.x.gov.cn/xwzx/nb.html"), 0);
}

TEST(DiscoverTest, ColumnsBehindAGatewayAreBlockedNotFound) {
  // One column answers; one answers 521 (加速乐), one a 200 JS challenge.
  FakePortal p;
  p.pages[kHome] = {200,
                    "<a href=\"/xxgk/ndbg/\">政府信息公开年报</a>"
                    "<a href=\"/bm/ndbg/\">部门政府信息公开年报</a>"
                    "<a href=\"/jd/ndbg/\">街道政府信息公开年报</a>"};
  p.pages["https://www.x.gov.cn/xxgk/ndbg/"] = {200, "<a href=\"t1.html\">x</a>"};
  const std::string challenge =
      "<script>document.cookie=('__jsl_clearance=1700000000.123|0|abc%3D;max-age=3600;path=/');"
      "location.href=location.pathname+location.search</script>";
  p.pages["https://www.x.gov.cn/bm/ndbg/"] = {521, challenge};
  p.pages["https://www.x.gov.cn/jd/ndbg/"] = {200, challenge};
  DiscoveryResult r = DiscoverOn(p, kHome);
  ASSERT_EQ(r.columns.size(), 1u) << r.error;
  EXPECT_EQ(r.columns[0].url, "https://www.x.gov.cn/xxgk/ndbg/");
  ASSERT_EQ(r.blocked.size(), 2u);
  EXPECT_EQ(r.blocked[0].url, "https://www.x.gov.cn/bm/ndbg/");
  EXPECT_EQ(r.blocked[0].cms.why.rfind("blocked_by_gateway (HTTP 521, ", 0), 0u)
      << r.blocked[0].cms.why;
  EXPECT_EQ(r.blocked[1].url, "https://www.x.gov.cn/jd/ndbg/");
  EXPECT_EQ(r.blocked[1].cms.why.rfind("blocked_by_gateway (HTTP 200, ", 0), 0u)
      << r.blocked[1].cms.why;
  EXPECT_EQ(r.error, "");

  // Every column blocked: none found, and the reason says so.
  FakePortal q;
  q.pages[kHome] = {200, "<a href=\"/bm/ndbg/\">部门政府信息公开年报</a>"};
  q.pages["https://www.x.gov.cn/bm/ndbg/"] = {521, challenge};
  DiscoveryResult none = DiscoverOn(q, kHome);
  EXPECT_TRUE(none.columns.empty());
  EXPECT_EQ(none.blocked.size(), 1u);
  EXPECT_EQ(none.error, "every column found is behind an anti-bot gateway (blocked_by_gateway)");
}

TEST(DiscoverTest, AScriptFedListGetsItsTemplateFromPageOne) {
  // The column's list comes only from the JSONP call its script makes; page 1 is asked once,
  // with the column as Referer.
  FakePortal p;
  p.pages[kHome] = {200, "<a href=\"/xxgk/nb/index.html\">政府信息公开年报</a>"};
  p.pages["https://www.x.gov.cn/xxgk/nb/index.html"] = {
      200, "<script>function load(p) { s.src = 'api/list.jsp?callback=cb&page=' + p; }</script>"};
  std::vector<std::pair<std::string, std::string>> api_asked;
  GetApi api = [&](const std::string& url, const std::string& referer,
                   std::function<void(FetchResult)> done) {
    api_asked.emplace_back(url, referer);
    FetchResult r;
    r.url = url;
    r.status = 200;
    r.body = "cb({\"total\": 2, \"rows\": [{\"u\": \"/a/1.html\", \"t\": \"2022年年度报告\"}]})";
    done(std::move(r));
  };
  DiscoveryResult r;
  Discover(
      kHome, DiscoveryOptions{}, p.Get(), [&](DiscoveryResult got) { r = std::move(got); }, api);
  ASSERT_EQ(r.columns.size(), 1u) << r.error;
  EXPECT_EQ(api_asked, (std::vector<std::pair<std::string, std::string>>{
                           {"https://www.x.gov.cn/xxgk/nb/api/list.jsp?callback=cb&page=1",
                            "https://www.x.gov.cn/xxgk/nb/index.html"}}));
  ASSERT_TRUE(r.columns[0].list.has_value()) << r.columns[0].list_why;
  const ListTemplate& t = *r.columns[0].list;
  EXPECT_EQ(t.url, "api/list.jsp?callback=cb&page={page}");
  EXPECT_EQ(t.answer, "jsonp");
  EXPECT_EQ(t.callback, "cb");
  EXPECT_EQ(t.records, "rows");
  EXPECT_EQ(t.url_field, "u");
  EXPECT_EQ(t.title_field, "t");
  EXPECT_EQ(t.total_field, "total");
  const std::string toml = SourceToml(r.columns[0], "x.gov.cn", "");
  EXPECT_NE(toml.find("[source.list]\n"
                      "url = \"api/list.jsp?callback=cb&page={page}\"\n"
                      "answer = \"jsonp\"\n"
                      "callback = \"cb\"\n"
                      "records = \"rows\"\n"
                      "url_field = \"u\"\n"
                      "title_field = \"t\"\n"
                      "total_field = \"total\"\n"),
            std::string::npos)
      << toml;

  // An answer that cannot be read: no template, and the written source says why.
  api = [](const std::string& url, const std::string&, std::function<void(FetchResult)> done) {
    FetchResult bad;
    bad.url = url;
    bad.status = 200;
    bad.body = "cb({\"rows\": [";
    done(std::move(bad));
  };
  Discover(
      kHome, DiscoveryOptions{}, p.Get(), [&](DiscoveryResult got) { r = std::move(got); }, api);
  ASSERT_EQ(r.columns.size(), 1u);
  EXPECT_FALSE(r.columns[0].list.has_value());
  EXPECT_NE(SourceToml(r.columns[0], "x.gov.cn", "")
                .find("# its list is fed by a script: the page's script asks "
                      "api/list.jsp?callback=cb&page={page}; page 1's answer: a JSONP answer "
                      "without its closing parenthesis; write its [source.list] template"),
            std::string::npos);
}

TEST(DiscoverTest, AShellIsReadThroughToRecogniseItsList) {
  FakePortal p;
  p.pages[kHome] = {200,
                    "<a href=\"/a/xxgknb/\">政府信息公开年报</a>"
                    "<a href=\"/b/xxgknb/\">部门政府信息公开年报</a>"};
  // An iframe shell in front of a plain list: the shell stays the entry (the crawl follows it).
  p.pages["https://www.x.gov.cn/a/xxgknb/"] = {200, "<iframe src=\"list/\"></iframe>"};
  p.pages["https://www.x.gov.cn/a/xxgknb/list/"] = {
      200, "<a href=\"t1.html\">2022年年度报告</a><a href=\"index_1.html\">下一页</a>"};
  // A refresh shell in front of a Hanweb jpage list: the list is the entry, for the preset.
  p.pages["https://www.x.gov.cn/b/xxgknb/"] = {
      200, "<meta http-equiv=\"refresh\" content=\"0;url=/col/col9/index.html\">"};
  p.pages["https://www.x.gov.cn/col/col9/index.html"] = {
      200, "<script type=\"text/xml\"><datastore></datastore></script>"};
  DiscoveryResult r = DiscoverOn(p, kHome);
  ASSERT_EQ(r.columns.size(), 2u) << r.error;
  EXPECT_EQ(r.columns[0].url, "https://www.x.gov.cn/a/xxgknb/");
  EXPECT_EQ(r.columns[0].cms.preset, "");
  EXPECT_EQ(
      r.columns[0].cms.why.rfind("a shell in front of https://www.x.gov.cn/a/xxgknb/list/", 0), 0u)
      << r.columns[0].cms.why;
  EXPECT_EQ(r.columns[0].next_page_text, "下一页");
  EXPECT_EQ(r.columns[1].url, "https://www.x.gov.cn/col/col9/index.html");
  EXPECT_EQ(r.columns[1].cms.preset, "hanweb");
  EXPECT_EQ(
      r.columns[1].cms.why,
      "Hanweb's jpage datastore and dataproxy (behind the shell https://www.x.gov.cn/b/xxgknb/)");

  // A list page with an iframe of its own (a widget) lists reports: it is no shell.
  FakePortal q;
  q.pages[kHome] = {200, "<a href=\"/c/xxgknb/\">政府信息公开年报</a>"};
  q.pages["https://www.x.gov.cn/c/xxgknb/"] = {
      200, "<a href=\"t1.html\">2022年年度报告</a><iframe src=\"/share/\"></iframe>"};
  DiscoveryResult list = DiscoverOn(q, kHome);
  ASSERT_EQ(list.columns.size(), 1u);
  EXPECT_EQ(list.columns[0].url, "https://www.x.gov.cn/c/xxgknb/");
  EXPECT_EQ(std::count(q.asked.begin(), q.asked.end(), "https://www.x.gov.cn/share/"), 0);
}

TEST(DiscoverTest, NothingFoundSaysHowFarItLooked) {
  FakePortal p;
  p.pages[kHome] = {200, "<a href=\"/bsfw/\">办事服务</a>"};
  DiscoveryResult r = DiscoverOn(p, kHome);
  EXPECT_TRUE(r.columns.empty());
  EXPECT_EQ(r.error, "no annual-report column linked within 2 levels (1 pages read)");
}

TEST(DiscoverTest, StartPageFailing) {
  FakePortal p;
  DiscoveryResult r = DiscoverOn(p, kHome);
  EXPECT_EQ(r.error, "the start page failed: https://www.x.gov.cn/: HTTP 404");
}

TEST(DiscoverTest, PageLimitBoundsTheWalk) {
  // A portal of disclosure pages linking each other without end: the walk stops at its
  // level and page limits.
  FakePortal p;
  std::string links;
  for (int i = 0; i < 10; ++i) {
    links +=
        "<a href=\"/xxgk/" + std::to_string(i) + "/\">政府信息公开" + std::to_string(i) + "</a>";
  }
  p.pages[kHome] = {200, links};
  for (int i = 0; i < 10; ++i)
    p.pages[std::string(kHome) + "xxgk/" + std::to_string(i) + "/"] = {200, links};
  DiscoveryResult r = DiscoverOn(p, kHome);
  EXPECT_TRUE(r.columns.empty());
  // Home, then at most max_branch (3) pages per level, for max_levels (2) levels.
  EXPECT_LE(p.asked.size(), 1u + 3u + 3u);
}

// ---------------------------------------------------------------------------------------------
// Writing sources

TEST(SourceTomlTest, OneCommentedSourceWithThePreset) {
  FoundColumn c;
  c.url = "https://www.x.gov.cn/col/col5678/index.html";
  c.link_text = "政府信息公开年报";
  c.via = "https://www.x.gov.cn/";
  c.why = "text \"政府信息公开年报\"";
  c.cms = {"hanweb", "hanweb", "Hanweb's jpage datastore and dataproxy"};
  EXPECT_EQ(SourceToml(c, "x.gov.cn", "本市 (https://www.x.gov.cn/)"),
            "# 本市 (https://www.x.gov.cn/)\n"
            "# found on https://www.x.gov.cn/ as \"政府信息公开年报\" (text \"政府信息公开年报\")\n"
            "# CMS: hanweb (Hanweb's jpage datastore and dataproxy)\n"
            "[[source]]\n"
            "name = \"x.gov.cn\"\n"
            "entry = [\"https://www.x.gov.cn/col/col5678/index.html\"]\n"
            "report_text = '(19|20)\\d\\d.*(年度?报告|年报)'\n"
            "exclude_text = '图解|解读|要点|通知|指南|制度|计划'  # look-alikes in the same list\n"
            "cms = \"hanweb\"\n");
}

TEST(SourceTomlTest, ABlockedColumnIsACommentWithTheReason) {
  FoundColumn c;
  c.url = "https://www.x.gov.cn/bm/ndbg/";
  c.link_text = "部门政府信息公开年报";
  c.via = "https://www.x.gov.cn/xxgk/";
  c.why = "text \"政府信息公开年报\", URL slug \"ndbg\"";
  c.cms = {"", "", "blocked_by_gateway (HTTP 521, jsl_521)"};
  EXPECT_EQ(BlockedToml(c, "x.gov.cn-2", "本市 (https://www.x.gov.cn/)"),
            "# 本市 (https://www.x.gov.cn/)\n"
            "# found on https://www.x.gov.cn/xxgk/ as \"部门政府信息公开年报\" (text "
            "\"政府信息公开年报\", URL slug \"ndbg\")\n"
            "# NOT CRAWLABLE: https://www.x.gov.cn/bm/ndbg/: blocked_by_gateway (HTTP 521, "
            "jsl_521): the portal's anti-bot gateway refuses clients that do not run its script\n"
            "# [[source]]\n"
            "# name = \"x.gov.cn-2\"\n"
            "# entry = [\"https://www.x.gov.cn/bm/ndbg/\"]\n");
}

TEST(SourceNameForTest, HostWithoutWwwAndPort) {
  EXPECT_EQ(SourceNameFor("https://www.Nanjing.gov.cn/"), "nanjing.gov.cn");
  EXPECT_EQ(SourceNameFor("http://127.0.0.1:18481/"), "127.0.0.1-18481");
}

}  // namespace
}  // namespace nianbao::crawler
