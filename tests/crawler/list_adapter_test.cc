// List presets (crawler/list_adapter.h): the Hanweb datastore of a column page, the answers of
// its dataproxy, the requests built from both, and malformed answers.
#include "crawler/list_adapter.h"

#include <gtest/gtest.h>

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
  ListReading r = Hanweb().read(kColumnPage, "http://a.gov.cn/col/col1234/index.html");
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
  ListReading page = Hanweb().read(kColumnPage, column);
  ListCursor c = StartCursor(page, column, {});
  std::string error;
  auto first = Hanweb().next(c, &error);
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
  ListReading got = Hanweb().read(answer, column);
  EXPECT_EQ(got.records, 3);
  EXPECT_EQ(got.links.size(), 3u);
  c = AdvanceCursor(c, got);
  auto second = Hanweb().next(c, &error);
  ASSERT_TRUE(second.has_value());
  EXPECT_NE(second->url.find("startrecord=7&endrecord=9&perpage=3"), std::string::npos);
  c = AdvanceCursor(c, got);  // records 7..9 asked: past the total of 8
  EXPECT_FALSE(Hanweb().next(c, &error).has_value());
  EXPECT_TRUE(error.empty());
}

TEST(HanwebPreset, TheSourcesParametersWinOverThePages) {
  ListReading page = Hanweb().read(kColumnPage, "http://a.gov.cn/c/");
  ListCursor c = StartCursor(page, "http://a.gov.cn/c/", {{"columnid", "99"}, {"perpage", "50"}});
  std::string error;
  auto call = Hanweb().next(c, &error);
  ASSERT_TRUE(call.has_value());
  EXPECT_NE(call->body.find("&columnid=99&"), std::string::npos);
  EXPECT_NE(call->url.find("startrecord=4&endrecord=53&perpage=50"), std::string::npos);
}

TEST(HanwebPreset, MalformedAnswersEndTheListOrFailItClearly) {
  const std::string column = "http://a.gov.cn/c/";
  std::string error;
  // A datastore with no records and no total: nothing to ask for.
  ListReading empty = Hanweb().read("<datastore><recordset></recordset></datastore>", column);
  EXPECT_EQ(empty.records, 0);
  EXPECT_FALSE(Hanweb().next(StartCursor(empty, column, {}), &error).has_value());
  EXPECT_TRUE(error.empty());
  // Records and a total but no jpage call: the column id is missing, the list fails.
  ListReading bare = Hanweb().read(
      "<datastore><totalrecord>40</totalrecord><recordset><record><![CDATA[<a href='/a.html'>"
      "x</a>]]></record></recordset></datastore>",
      column);
  EXPECT_FALSE(Hanweb().next(StartCursor(bare, column, {}), &error).has_value());
  EXPECT_EQ(error, "hanweb_no_columnid");
  // A cut record (no end of CDATA) is not a record.
  ListReading cut = Hanweb().read("<record><![CDATA[<li><a href='/a.html'>x</a>", column);
  EXPECT_EQ(cut.records, 0);
  EXPECT_TRUE(cut.links.empty());
  // A total of 10^9 with an answer that comes back empty: the list ends there.
  ListReading huge = Hanweb().read(
      std::string(kColumnPage)
          .replace(std::string(kColumnPage).find("totalRecord: 8"), 14, "totalRecord: 1000000000"),
      column);
  EXPECT_EQ(huge.total, 1000000000);
  ListCursor c = StartCursor(huge, column, {});
  error.clear();
  EXPECT_TRUE(Hanweb().next(c, &error).has_value());
  c = AdvanceCursor(c, Hanweb().read("<datastore><totalrecord>1000000000</totalrecord>"
                                     "<recordset></recordset></datastore>",
                                     column));
  EXPECT_FALSE(Hanweb().next(c, &error).has_value());
  // A page size of zero or of millions is brought within 1..300.
  ListReading odd = Hanweb().read("perpage: 0, columnid:'1'", column);
  EXPECT_EQ(StartCursor(odd, column, {}).per_page, 1);
  odd = Hanweb().read("perpage: 9999999, columnid:'1'", column);
  EXPECT_EQ(StartCursor(odd, column, {}).per_page, 300);
}

TEST(ListPresets, OnlyKnownNames) {
  EXPECT_EQ(FindListPreset("nope"), nullptr);
  EXPECT_EQ(ListPresetNames(), std::vector<std::string_view>{"hanweb"});
  EXPECT_EQ(FormEncode("a b/c&d=é"), "a+b%2Fc%26d%3D%C3%A9");
}

}  // namespace
}  // namespace nianbao::crawler
