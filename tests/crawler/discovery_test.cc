#include "crawler/discovery.h"

#include <gtest/gtest.h>

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

TEST(SourceNameForTest, HostWithoutWwwAndPort) {
  EXPECT_EQ(SourceNameFor("https://www.Nanjing.gov.cn/"), "nanjing.gov.cn");
  EXPECT_EQ(SourceNameFor("http://127.0.0.1:18481/"), "127.0.0.1-18481");
}

}  // namespace
}  // namespace nianbao::crawler
