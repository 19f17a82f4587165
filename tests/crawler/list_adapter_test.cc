// List adapters (crawler/list_adapter.h): each preset and the source's own template on answers
// in the shapes real portals give, the requests built from them, and malformed answers.
#include "crawler/list_adapter.h"

#include <gtest/gtest.h>

#include "crawler/links.h"

namespace nianbao::crawler {
namespace {

const ListPreset& Hanweb() {
  const ListPreset* p = FindListPreset("hanweb");
  EXPECT_NE(p, nullptr);
  return *p;
}

// A Hanweb column page as such portals write it: records in a text/xml script, the jpage
// call with its parameters, a static link of the page chrome.
constexpr const char* kColumnPage = R"html(<html><body>
<a href="/index.html">首页</a>
<div id="div1229"><script type="text/xml"><datastore>
<nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?page=1&webid=2&columnid=1234"></a>]]></nextgroup>
<recordset>
<record><![CDATA[<li><a href="/art/2024/1/20/art_1234_1.html" title="甲市2023年政府信息公开工作年度报告">甲市2023年…</a></li>]]></record>
<record><![CDATA[<li><a href="art_1234_2.html">乙区2023年政府信息公开工作年度报告</a></li>]]></record>
<record><![CDATA[<li><a href="javascript:void(0)">丙县2023年政府信息公开工作年度报告</a></li>]]></record>
</recordset></datastore></script></div>
<script language="javascript" src="/module/web/jpage/jpage.js"></script>
<script>
$(document).ready(function(){ $('#div1229').jpage({ dataStore: dataStore, totalRecord: 8,
  perpage: 3, proxyUrl: '/module/web/jpage/dataproxy.jsp', ajaxParam: {col:1,appid:1,webid:'2',
  path:'/',columnid:'1234',sourceContentType:'1',unitid:'5678',webname:'甲市 人民政府',
  permissiontype:0} }); });
</script></body></html>)html";

TEST(HanwebPreset, ReadsTheDatastoreAndTheJpageParameters) {
  ListReading r = Hanweb().read_column(kColumnPage, "http://a.gov.cn/col/col1234/index.html");
  EXPECT_EQ(r.records, 3);
  // The javascript: record has no link; the others resolve against the column page.
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(r.links[0].url, "http://a.gov.cn/art/2024/1/20/art_1234_1.html");
  EXPECT_EQ(r.links[0].text, "甲市2023年政府信息公开工作年度报告");  // the full title
  EXPECT_EQ(r.links[1].url, "http://a.gov.cn/col/col1234/art_1234_2.html");
  EXPECT_EQ(r.total, 8);
  EXPECT_EQ(r.per_page, 3);
  EXPECT_EQ(r.params.at("webid"), "2");
  EXPECT_EQ(r.params.at("columnid"), "1234");
  EXPECT_EQ(r.params.at("unitid"), "5678");
  EXPECT_EQ(r.params.at("webname"), "甲市 人民政府");
  EXPECT_EQ(r.params.at("permissiontype"), "0");
  EXPECT_EQ(r.params.at("dataproxy"), "/module/web/jpage/dataproxy.jsp");
}

TEST(HanwebPreset, AsksForTheRestWithPostsUntilTheTotal) {
  const std::string column = "http://a.gov.cn/col/col1234/index.html";
  ListReading page = Hanweb().read_column(kColumnPage, column);
  ListCursor c = StartCursor(page, column, {});
  std::string error;
  auto first = Hanweb().next(c, {}, &error);
  ASSERT_TRUE(first.has_value()) << error;
  EXPECT_EQ(first->method, "POST");
  EXPECT_EQ(first->url,
            "http://a.gov.cn/module/web/jpage/dataproxy.jsp?startrecord=4&endrecord=6&perpage=3");
  EXPECT_EQ(first->body,
            "col=1&appid=1&webid=2&path=%2F&columnid=1234&sourceContentType=1&unitid=5678"
            "&webname=%E7%94%B2%E5%B8%82+%E4%BA%BA%E6%B0%91%E6%94%BF%E5%BA%9C&permissiontype=0");
  EXPECT_EQ(first->headers, std::vector<std::string>{"Referer: " + column});

  // The proxy's answer: three more records of the eight.
  const std::string answer =
      "<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore><totalrecord>8</totalrecord>"
      "<recordset><record><![CDATA[<li><a href=\"/art/2024/1/2/art_1234_4.html\">丁</a>]]>"
      "</record><record><![CDATA[<li><a href=\"/art/2024/1/2/art_1234_5.html\">戊</a>]]>"
      "</record><record><![CDATA[<li><a href=\"/art/2024/1/2/art_1234_6.html\">己</a>]]>"
      "</record></recordset></datastore>";
  ListReading got = Hanweb().read_column(answer, column);
  EXPECT_EQ(got.records, 3);
  EXPECT_EQ(got.links.size(), 3u);
  c = AdvanceCursor(c, got);
  auto second = Hanweb().next(c, {}, &error);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->url.find("startrecord=7&endrecord=9&perpage=3"), std::string::npos);
  c = AdvanceCursor(c, got);  // records 7..9 asked: past the total of 8
  EXPECT_FALSE(Hanweb().next(c, {}, &error).has_value());
  EXPECT_TRUE(error.empty());
}

TEST(HanwebPreset, TheSourcesParametersWinOverThePages) {
  ListReading page = Hanweb().read_column(kColumnPage, "http://a.gov.cn/c/");
  ListCursor c = StartCursor(page, "http://a.gov.cn/c/", {{"columnid", "99"}, {"perpage", "50"}});
  std::string error;
  auto call = Hanweb().next(c, {}, &error);
  ASSERT_TRUE(call.has_value());
  EXPECT_NE(call->body.find("&columnid=99&"), std::string::npos);
  EXPECT_NE(call->url.find("startrecord=4&endrecord=53&perpage=50"), std::string::npos);
}

TEST(HanwebPreset, MalformedAnswersEndTheListOrFailItClearly) {
  const std::string column = "http://a.gov.cn/c/";
  std::string error;
  // A datastore with no records and no total: nothing to ask for.
  ListReading empty =
      Hanweb().read_column("<datastore><recordset></recordset></datastore>", column);
  EXPECT_EQ(empty.records, 0);
  EXPECT_FALSE(Hanweb().next(StartCursor(empty, column, {}), {}, &error).has_value());
  EXPECT_TRUE(error.empty());
  // Records and a total but no jpage call: the column id is missing, the list fails.
  ListReading bare = Hanweb().read_column(
      "<datastore><totalrecord>40</totalrecord><recordset><record><![CDATA[<a href='/a.html'>"
      "x</a>]]></record></recordset></datastore>",
      column);
  EXPECT_FALSE(Hanweb().next(StartCursor(bare, column, {}), {}, &error).has_value());
  EXPECT_EQ(error, "hanweb_no_columnid");
  // A cut record (no end of CDATA) is not a record.
  ListReading cut = Hanweb().read_column("<record><![CDATA[<li><a href='/a.html'>x</a>", column);
  EXPECT_EQ(cut.records, 0);
  EXPECT_TRUE(cut.links.empty());
  // A total of 10^9 with an answer that comes back empty: the list ends there.
  ListReading huge = Hanweb().read_column(
      std::string(kColumnPage)
          .replace(std::string(kColumnPage).find("totalRecord: 8"), 14, "totalRecord: 1000000000"),
      column);
  EXPECT_EQ(huge.total, 1000000000);
  ListCursor c = StartCursor(huge, column, {});
  error.clear();
  EXPECT_TRUE(Hanweb().next(c, {}, &error).has_value());
  c = AdvanceCursor(c, Hanweb().read_column("<datastore><totalrecord>1000000000</totalrecord>"
                                            "<recordset></recordset></datastore>",
                                            column));
  EXPECT_FALSE(Hanweb().next(c, {}, &error).has_value());
  // A page size of zero or of millions is brought within 1..300.
  ListReading odd = Hanweb().read_column("perpage: 0, columnid:'1'", column);
  EXPECT_EQ(StartCursor(odd, column, {}).per_page, 1);
  odd = Hanweb().read_column("perpage: 9999999, columnid:'1'", column);
  EXPECT_EQ(StartCursor(odd, column, {}).per_page, 300);
}

const ListPreset& Preset(std::string_view name) {
  const ListPreset* p = FindListPreset(name);
  EXPECT_NE(p, nullptr) << name;
  return *p;
}

// Runs a preset's list from the column page: the calls it makes, given each call's answer.
struct Walk {
  std::vector<ListCall> calls;
  std::string error;
};
Walk WalkList(const ListPreset& preset, const ListTemplate& t, std::string_view column_page,
              const std::string& column, const std::vector<std::string>& answers,
              const std::map<std::string, std::string>& source_params = {}) {
  Walk w;
  ListCursor c = StartCursor(preset.read_column(column_page, column), column, source_params, t);
  for (size_t i = 0;; ++i) {
    auto call = preset.next(c, t, &w.error);
    if (!call) break;
    w.calls.push_back(*call);
    if (i >= answers.size()) break;  // the test gave no answer: the walk stops here
    ListReading r = preset.read(answers[i], column, t);
    if (!r.error.empty()) {
      w.error = r.error;
      break;
    }
    c = AdvanceCursor(c, r);
  }
  return w;
}

// ---------------------------------------------------------------------------------------------
// trs

TEST(TrsPreset, OneBasedCreatePageHtmlAsksForPagesTwoAndThree) {
  const std::string column = "http://b.gov.cn/zwgk/xxgknb/index.shtml";
  const std::string page =
      "<ul><li><a href='./202201/t20220126_1.shtml'>甲</a></li></ul><div id='page_div'></div>"
      "<script>createPageHTML('page_div',3,1,'index','shtml',7);</script>";
  const std::string page2 = "<li><a href='./202101/t20210128_3.shtml'>乙</a></li>";
  Walk w = WalkList(Preset("trs"), Preset("trs").list, page, column, {page2, page2, page2});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;
  EXPECT_EQ(w.calls[0].url, "http://b.gov.cn/zwgk/xxgknb/index_2.shtml");
  EXPECT_EQ(w.calls[1].url, "http://b.gov.cn/zwgk/xxgknb/index_3.shtml");
  EXPECT_EQ(w.calls[0].method, "GET");
  EXPECT_EQ(w.calls[0].headers, std::vector<std::string>{"Referer: " + column});
  // The answers are HTML: their links are the records.
  ListReading r = Preset("trs").read(page2, column, Preset("trs").list);
  ASSERT_EQ(r.links.size(), 1u);
  EXPECT_EQ(r.links[0].url, "http://b.gov.cn/zwgk/xxgknb/202101/t20210128_3.shtml");
}

TEST(TrsPreset, NumberedFilesAndCountPage) {
  // The column is 1.html and says `var countPage = 3`: pages 2.html and 3.html.
  const std::string column = "http://b.gov.cn/xxgk/ndbg/1.html";
  Walk w = WalkList(Preset("trs"), Preset("trs").list,
                    "<script>var countPage = 3//共多少页</script><a href='a.html'>x</a>", column,
                    {"<a href='b.html'>y</a>", "<a href='c.html'>z</a>"});
  ASSERT_EQ(w.calls.size(), 2u);
  EXPECT_EQ(w.calls[0].url, "http://b.gov.cn/xxgk/ndbg/2.html");
  EXPECT_EQ(w.calls[1].url, "http://b.gov.cn/xxgk/ndbg/3.html");
  // The same pager read by the crawler for a source without preset (links.h).
  auto paging = FindTrsPaging("var countPage = 3", column);
  ASSERT_TRUE(paging.has_value());
  EXPECT_EQ(PageNames(*paging, 20), (std::vector<std::string>{"2.html", "3.html"}));
  // A folder column keeps the 0-based index_N names.
  paging = FindTrsPaging("var countPage = 3", "http://b.gov.cn/xxgk/ndbg/");
  ASSERT_TRUE(paging.has_value());
  EXPECT_EQ(PageNames(*paging, 20), (std::vector<std::string>{"index_1.html", "index_2.html"}));
}

TEST(TrsPreset, ListArgsGiveThePagerAndTheChannel) {
  const std::string column = "http://b.gov.cn/zfxxgk/nb/";
  Walk w = WalkList(Preset("trs"), Preset("trs").list,
                    "<script>var listArgs = {channelid: '4521', pageCount: 2, prefix: 'list', "
                    "suffix: 'htm'};</script>",
                    column, {"<a href='x.htm'>x</a>"});
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].url, "http://b.gov.cn/zfxxgk/nb/list_1.htm");
  ListReading r =
      Preset("trs").read_column("var listArgs = {channelid: '4521', pageCount: 2}", column);
  EXPECT_EQ(r.params.at("channelid"), "4521");
  EXPECT_EQ(r.pages, 2);
}

TEST(TrsPreset, AnEmptyDeepPageOrAHugeCountEndsTheList) {
  const std::string column = "http://b.gov.cn/c/index.html";
  // createPageHTML claims 10^9 pages; the second page is an empty stub: the list ends there.
  Walk w = WalkList(Preset("trs"), Preset("trs").list,
                    "<script>createPageHTML(1000000000, 0, \"index\", \"html\");</script>", column,
                    {"<html><body></body></html>"});
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].url, "http://b.gov.cn/c/index_1.html");
  // Pages that keep coming: cut at 10,000 calls by the preset itself (the crawler's max_pages
  // cuts far sooner), never a loop.
  ListCursor c = StartCursor(
      Preset("trs").read_column("createPageHTML(1000000000, 0, \"index\", \"html\")", column),
      column, {});
  std::string error;
  int calls = 0;
  while (Preset("trs").next(c, Preset("trs").list, &error) && calls < 20000) {
    ++calls;
    ListReading one;
    one.records = 1;
    c = AdvanceCursor(c, one);
  }
  EXPECT_EQ(calls, 9999);  // pages 2 … 10,000
  EXPECT_TRUE(error.empty());
  // No pager at all: a one-page list, no call, no failure.
  EXPECT_TRUE(WalkList(Preset("trs"), Preset("trs").list, "<a href='a.html'>a</a>", column, {})
                  .calls.empty());
}

// ---------------------------------------------------------------------------------------------
// trs-search (TRS 动静结合, the Fujian cluster)

constexpr const char* kTrsSearchPage = R"html(<html><body>
<ul class="list"><li><a href="./202201/t20220120_501.htm" title="某县2021年政府信息公开工作年度报告">某县…</a></li></ul>
<div id="pager"></div>
<script src="/fjdzapp/js/jquery.js"></script>
<script>
function loadPage(p) {
  $.ajax({ url: '/fjdzapp/search', type: 'POST', dataType: 'json',
    headers: { 'X-Requested-With': 'XMLHttpRequest' },
    data: { channelid: 884417, sortfield: '-docorderpri,-docreltime', classsql: 'chnlid=884417',
            page: p, prepage: 10 },
    success: function(d) { render(d); } });
}
</script></body></html>)html";

// The API's answer, page 2 of 3: two records, one with a javascript: URL.
constexpr const char* kTrsSearchAnswer = R"json({"pageCount": 3, "page": 2, "total": 25,
 "data": [
  {"docpuburl": "http://c.gov.cn/zwgk/nb/202101/t20210125_301.htm", "doctitle": "某县2020年政府信息公开工作年度报告", "pubdate": "2021-01-25"},
  {"docpuburl": "javascript:void(0)", "doctitle": "某县2019年政府信息公开工作年度报告", "pubdate": "2020-01-20"}
 ]})json";

TEST(TrsSearchPreset, DetectsTheApiAndTheChannelAndPostsFromPageTwo) {
  const std::string column = "http://c.gov.cn/zwgk/nb/";
  const ListPreset& p = Preset("trs-search");
  ListReading page = p.read_column(kTrsSearchPage, column);
  EXPECT_EQ(page.params.at("api"), "/fjdzapp/search");
  EXPECT_EQ(page.params.at("channelid"), "884417");
  Walk w = WalkList(p, p.list, kTrsSearchPage, column, {kTrsSearchAnswer, kTrsSearchAnswer});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;  // pages 2 and 3 of pageCount 3
  EXPECT_EQ(w.calls[0].url, "http://c.gov.cn/fjdzapp/search");
  EXPECT_EQ(w.calls[0].method, "POST");
  EXPECT_EQ(w.calls[0].body, "channelid=884417&classsql=chnlid%3D884417&page=2&prepage=10");
  EXPECT_EQ(w.calls[0].headers,
            (std::vector<std::string>{"Referer: " + column, "X-Requested-With: XMLHttpRequest"}));
  EXPECT_NE(w.calls[1].body.find("&page=3&"), std::string::npos);
  EXPECT_TRUE(w.error.empty());

  ListReading r = p.read(kTrsSearchAnswer, column, p.list);
  EXPECT_EQ(r.records, 2);
  ASSERT_EQ(r.links.size(), 1u);  // the javascript: record is counted, not followed
  EXPECT_EQ(r.links[0].url, "http://c.gov.cn/zwgk/nb/202101/t20210125_301.htm");
  EXPECT_EQ(r.links[0].text, "某县2020年政府信息公开工作年度报告");
  EXPECT_EQ(r.dates.at(r.links[0].url), "2021-01-25");
  EXPECT_EQ(r.pages, 3);
}

TEST(TrsSearchPreset, MalformedAnswersFailTheList) {
  const std::string column = "http://c.gov.cn/zwgk/nb/";
  const ListPreset& p = Preset("trs-search");
  // Truncated JSON.
  std::string cut(kTrsSearchAnswer);
  cut.resize(cut.size() / 2);
  EXPECT_EQ(p.read(cut, column, p.list).error, "list_bad_json");
  // An HTML error page where JSON was promised.
  EXPECT_EQ(p.read("<html><body>请求过于频繁</body></html>", column, p.list).error,
            "list_bad_json");
  // JSON without the records array.
  EXPECT_EQ(p.read(R"({"pageCount": 3, "msg": "error"})", column, p.list).error, "list_no_records");
  // Nesting ten thousand deep: refused before parsing.
  EXPECT_EQ(p.read(std::string(10000, '[') + std::string(10000, ']'), column, p.list).error,
            "list_bad_json");
  // A page that names no API: the list fails with the missing parameter.
  Walk w = WalkList(p, p.list, "<script>var channelid = 5;</script>", column, {});
  EXPECT_TRUE(w.calls.empty());
  EXPECT_EQ(w.error, "list_no_api");
  // The source names it.
  w = WalkList(p, p.list, "<script>var channelid = 5;</script>", column, {},
               {{"api", "/search/api"}});
  ASSERT_EQ(w.calls.size(), 1u);
  EXPECT_EQ(w.calls[0].url, "http://c.gov.cn/search/api");
  EXPECT_EQ(w.calls[0].body, "channelid=5&classsql=chnlid%3D5&page=2&prepage=10");
}

// ---------------------------------------------------------------------------------------------
// gkmlpt (Guangdong)

constexpr const char* kGkmlptPage = R"html(<!DOCTYPE html><html><head>
<script>window._CONFIG = {SID: '755031', TITLE: '政府信息公开', API: '/gkmlpt/api'};</script>
<script src="/gkmlpt/static/js/app.js"></script></head><body><div id="app"></div></body></html>)html";

TEST(GkmlptPreset, TheSidOfThePageAndTheCategoryOfTheColumn) {
  const std::string column = "http://d.gov.cn/gkmlpt/annualreport";
  const ListPreset& p = Preset("gkmlpt");
  const std::string answer1 = R"({"total": 3, "articles": [
    {"id": 1, "title": "2021年政府信息公开工作年度报告", "url": "http://d.gov.cn/gkmlpt/content/3/3791/post_3791001.html#2091", "date": 1643587200},
    {"id": 2, "title": "2020年政府信息公开工作年度报告", "url": "/gkmlpt/content/3/3221/post_3221002.html", "date": 1611100800}]})";
  const std::string answer2 = R"({"total": 3, "articles": [
    {"id": 3, "title": "2019年政府信息公开工作年度报告", "url": "/gkmlpt/content/2/2790/post_2790003.html", "date": 1579478400}]})";
  Walk w = WalkList(p, p.list, kGkmlptPage, column, {answer1, answer2});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;  // 2 + 1 records of 3: no third call
  EXPECT_EQ(w.calls[0].url, "http://d.gov.cn/gkmlpt/api/all/annualreport?page=1&sid=755031");
  EXPECT_EQ(w.calls[1].url, "http://d.gov.cn/gkmlpt/api/all/annualreport?page=2&sid=755031");
  EXPECT_EQ(w.calls[0].method, "GET");
  ListReading r = p.read(answer1, column, p.list);
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(r.links[0].url, "http://d.gov.cn/gkmlpt/content/3/3791/post_3791001.html");
  EXPECT_EQ(r.links[1].url, "http://d.gov.cn/gkmlpt/content/3/3221/post_3221002.html");
  EXPECT_EQ(r.total, 3);
  EXPECT_EQ(r.dates.at(r.links[1].url), "1611100800");
  // The category the page's script names wins over the column's slug.
  ListReading named = p.read_column("fetch('/gkmlpt/api/all/2991?page=1')", column);
  EXPECT_EQ(named.params.at("cat"), "2991");
}

TEST(GkmlptPreset, NoSidEmptyArticlesAndAHugeTotal) {
  const std::string column = "http://d.gov.cn/gkmlpt/annualreport";
  const ListPreset& p = Preset("gkmlpt");
  Walk w = WalkList(p, p.list, "<html><body>维护中</body></html>", column, {});
  EXPECT_TRUE(w.calls.empty());
  EXPECT_EQ(w.error, "list_no_sid");
  // An empty articles array ends the list after one call.
  w = WalkList(p, p.list, kGkmlptPage, column, {R"({"total": 0, "articles": []})"});
  EXPECT_EQ(w.calls.size(), 1u);
  EXPECT_TRUE(w.error.empty());
  // A total of 10^9 with one record per answer: the calls go on only as long as answers come,
  // and stop at the preset's own cap (the crawler's max_pages cuts sooner).
  ListCursor c = StartCursor(p.read_column(kGkmlptPage, column), column, {}, p.list);
  const std::string one =
      R"({"total": 1000000000, "articles": [{"url": "/a.html", "title": "a"}]})";
  std::string error;
  int calls = 0;
  while (p.next(c, p.list, &error) && calls < 20000) {
    ++calls;
    c = AdvanceCursor(c, p.read(one, column, p.list));
  }
  EXPECT_EQ(calls, 10000);
}

// ---------------------------------------------------------------------------------------------
// jpaas (Hanweb JPaaS)

constexpr const char* kJpaasPage = R"html(<html><body>
<div class="list" id="unit_1"></div>
<script>
var unitUrl = '/jpaas-publish-server/front/page/build/unit';
var unitParams = { webId: '8c9f2a', pageId: '7716', tagId: 'list1', tplSetId: 'p1Tq' };
</script></body></html>)html";

TEST(JpaasPreset, PageNumbersInParamJsonAndTheHtmlInsideTheAnswer) {
  const std::string column = "http://e.gov.cn/col/col7716/index.html";
  const ListPreset& p = Preset("jpaas");
  const std::string answer =
      R"({"success": true, "data": {"html": "<ul><li><a href=\"/art/2022/1/25/art_7716_901.html\" title=\"2021年政府信息公开工作年度报告\">2021年…</a><span>2022-01-25</span></li><li><a href=\"javascript:;\">更多</a></li></ul>"}})";
  Walk w = WalkList(p, p.list, kJpaasPage, column, {answer, R"({"data": {"html": ""}})"});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;  // the second answer is empty: the end
  EXPECT_EQ(w.calls[0].url,
            "http://e.gov.cn/jpaas-publish-server/front/page/build/unit?webId=8c9f2a&pageId=7716"
            "&parseType=bulidstatic&pageType=column&tagId=list1&tplSetId=p1Tq"
            "&paramJson=%7B%22pageNo%22%3A1%2C%22pageSize%22%3A%2215%22%7D");
  EXPECT_NE(w.calls[1].url.find("%22pageNo%22%3A2%2C"), std::string::npos);
  ListReading r = p.read(answer, column, p.list);
  ASSERT_EQ(r.links.size(), 1u);  // javascript: is not a link
  EXPECT_EQ(r.links[0].url, "http://e.gov.cn/art/2022/1/25/art_7716_901.html");
  EXPECT_EQ(r.links[0].text, "2021年政府信息公开工作年度报告");
  // No html string where the preset expects it: the list fails.
  EXPECT_EQ(p.read(R"({"data": {"list": []}})", column, p.list).error, "list_no_html");
  // A page that names no unit URL: the path JPaaS sites serve it at; no unit: the list fails.
  ListReading bare = p.read_column("<div class='list'></div>", column);
  EXPECT_EQ(bare.params.at("api"), "/jpaas-publish-server/front/page/build/unit");
  w = WalkList(p, p.list, "<div class='list'></div>", column, {});
  EXPECT_TRUE(w.calls.empty());
  EXPECT_EQ(w.error, "list_no_webId");
}

// ---------------------------------------------------------------------------------------------
// The source's own template

TEST(ListTemplate, JsonpWithACallbackAndAReferer) {
  ListTemplate t;
  t.url = "/api/nb.jsp?cb=jsonp_nb&col={col}&start={start}&end={end}&offset={offset}&n={size}";
  t.answer = "jsonp";
  t.callback = "jsonp_nb";
  t.records = "result.items";
  t.url_field = "link";
  t.title_field = "name";
  t.total_field = "result.count";
  t.page_size = 2;
  const std::string column = "http://f.gov.cn/xxgk/nb/";
  const ListPreset& p = TemplateListPreset();
  const std::string a1 =
      R"(/**/jsonp_nb({"result": {"count": 3, "items": [{"link": "a/1.html", "name": "一"}, {"link": "a/2.html", "name": " 二 \n 年报 "}]}});)";
  const std::string a2 =
      R"(jsonp_nb({"result": {"count": 3, "items": [{"link": "a/3.html", "name": "三"}]}}))";
  Walk w = WalkList(p, t, "<html></html>", column, {a1, a2}, {{"col", "甲 乙"}});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;
  EXPECT_EQ(
      w.calls[0].url,
      "http://f.gov.cn/api/nb.jsp?cb=jsonp_nb&col=%E7%94%B2+%E4%B9%99&start=1&end=2&offset=0&n=2");
  EXPECT_NE(w.calls[1].url.find("&start=3&end=4&offset=2&"), std::string::npos);
  EXPECT_EQ(w.calls[0].headers, std::vector<std::string>{"Referer: " + column});
  ListReading r = p.read(a1, column, t);
  ASSERT_EQ(r.links.size(), 2u);
  EXPECT_EQ(r.links[1].url, "http://f.gov.cn/xxgk/nb/a/2.html");
  EXPECT_EQ(r.links[1].text, "二 年报");
  // Another callback, or no call at all: the list fails.
  EXPECT_EQ(p.read("other_cb({\"result\": {}})", column, t).error, "list_jsonp_callback");
  EXPECT_EQ(p.read("{\"result\": {}}", column, t).error, "list_bad_jsonp");
  // Cut before its closing parenthesis: not a complete call.
  EXPECT_EQ(p.read("jsonp_nb({\"result\": {\"count\": 3, \"items\": [", column, t).error,
            "list_bad_jsonp");
  // Complete call, truncated JSON inside.
  EXPECT_EQ(p.read("jsonp_nb({\"result\": {\"count\": 3, \"items\": [)", column, t).error,
            "list_bad_json");
  // A missing placeholder names itself.
  w = WalkList(p, t, "<html></html>", column, {});
  EXPECT_EQ(w.error, "list_no_col");
}

TEST(ListTemplate, JsonBodyHeadersAndZeroBasedPages) {
  ListTemplate t;
  t.url = "/service/list";
  t.method = "POST";
  t.body = R"({"pageNo":{page},"pageSize":{size},"column":"{col}"})";
  t.body_type = "json";
  t.headers = {{"Referer", "{column}?from=list"}, {"Origin", "http://g.gov.cn"}};
  t.first_page = 0;
  t.answer = "json";
  t.records = "";  // the answer is the array itself
  t.pages_field = "";
  const std::string column = "http://g.gov.cn/nb/index.html";
  const ListPreset& p = TemplateListPreset();
  Walk w = WalkList(p, t, "", column, {R"([{"url": "/a.html", "title": "a"}])", "[]"},
                    {{"col", "x\"y"}});
  ASSERT_EQ(w.calls.size(), 2u) << w.error;
  EXPECT_EQ(w.calls[0].body, R"({"pageNo":0,"pageSize":15,"column":"x\"y"})");
  EXPECT_NE(w.calls[1].body.find("\"pageNo\":1,"), std::string::npos);
  EXPECT_EQ(w.calls[0].headers, (std::vector<std::string>{"Referer: " + column + "?from=list",
                                                          "Origin: http://g.gov.cn",
                                                          "Content-Type: application/json"}));
  // Pages counted from 0: a pages_field of 2 allows pages 0 and 1 only.
  t.pages_field = "n";
  t.records = "items";
  const std::string two = R"({"n": 2, "items": [{"url": "/a.html"}]})";
  w = WalkList(p, t, "", column, {two, two, two}, {{"col", "x"}});
  EXPECT_EQ(w.calls.size(), 2u) << w.error;
}

TEST(ListTemplate, XmlAndHtmlAnswers) {
  const std::string column = "http://h.gov.cn/col/";
  const ListPreset& p = TemplateListPreset();
  ListTemplate t;
  t.url = "/list?p={page}";
  t.answer = "xml";
  ListReading r = p.read(
      "<data><totalrecord>2</totalrecord><record><![CDATA[<a href='/1.html'>一</a>]]></record>"
      "<record><![CDATA[<a href='javascript:show(2)'>二</a>]]></record></data>",
      column, t);
  EXPECT_EQ(r.records, 2);
  ASSERT_EQ(r.links.size(), 1u);
  EXPECT_EQ(r.links[0].url, "http://h.gov.cn/1.html");
  EXPECT_EQ(r.total, 2);
  t.answer = "html";
  r = p.read("<a href='/2.html'>二</a><a href='mailto:x@h.gov.cn'>信箱</a>", column, t);
  ASSERT_EQ(r.links.size(), 1u);
  EXPECT_EQ(r.links[0].url, "http://h.gov.cn/2.html");
}

TEST(ListPresets, OnlyKnownNames) {
  EXPECT_EQ(FindListPreset("nope"), nullptr);
  EXPECT_EQ(ListPresetNames(),
            (std::vector<std::string_view>{"trs", "hanweb", "trs-search", "gkmlpt", "jpaas"}));
  EXPECT_EQ(FormEncode("a b/c&d=é"), "a+b%2Fc%26d%3D%C3%A9");
}

}  // namespace
}  // namespace nianbao::crawler
