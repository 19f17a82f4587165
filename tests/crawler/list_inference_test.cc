#include "crawler/list_inference.h"

#include <gtest/gtest.h>

#include <string>

namespace nianbao::crawler {
namespace {

// ---------------------------------------------------------------------------------------------
// The call a page's script makes

TEST(FindScriptListCallTest, JsonpCallWithAPageVariable) {
  const std::string page =
      "<ul id=\"nb-list\"></ul><script>\n"
      "function load(p) { var s = document.createElement('script');\n"
      "  s.src = '/api/nb/list.jsp?callback=jsonp_nb&col=32&page=' + p + '&size=5';\n"
      "  document.body.appendChild(s); }\nload(1);\n</script>";
  auto call = FindScriptListCall(page);
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->url, "/api/nb/list.jsp?callback=jsonp_nb&col=32&page={page}&size=5");
  EXPECT_EQ(call->page_param, "page");
}

TEST(FindScriptListCallTest, PageParameterLastAndOtherNames) {
  auto call = FindScriptListCall("<script>$.getJSON(\"/list?pageNo=\" + n, show);</script>");
  ASSERT_TRUE(call.has_value());
  EXPECT_EQ(call->url, "/list?pageNo={page}");
  EXPECT_EQ(call->page_param, "pageNo");
}

TEST(FindScriptListCallTest, NoCallWithoutAPageParameterOrOutsideScripts) {
  // A variable that is not a page number (an id), a static URL, a URL in the page's text.
  EXPECT_FALSE(FindScriptListCall("<script>var u = '/a.jsp?id=' + id;</script>").has_value());
  EXPECT_FALSE(FindScriptListCall("<script>var u = '/a.jsp?page=1';</script>").has_value());
  EXPECT_FALSE(FindScriptListCall("<p>'/a.jsp?page=' + p</p>").has_value());
  // Braces would be read as placeholders of the template.
  EXPECT_FALSE(FindScriptListCall("<script>u = '/a?q={x}&page=' + p;</script>").has_value());
}

// ---------------------------------------------------------------------------------------------
// The answer's shape

TEST(InferJsonListTest, JsonpRowsWithLinkNameTimeAndTotal) {
  // The shape of the local portal's cms-jsonp API (tests/portal/local_portal.py, JsonpApi).
  InferredList r = InferJsonList(
      "jsonp_nb({\"total\": 9, \"rows\": ["
      "{\"link\": \"content/202201/6001.html\", \"name\": "
      "\"洛市镇2021年政府信息公开工作年度报告\", "
      "\"time\": \"2022-01-28\"},"
      "{\"link\": \"content/202201/6002.html\", \"name\": "
      "\"王店镇2021年政府信息公开工作年度报告\", "
      "\"time\": \"2022-01-27\"}]});");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.list.answer, "jsonp");
  EXPECT_EQ(r.list.callback, "jsonp_nb");
  EXPECT_EQ(r.list.records, "rows");
  EXPECT_EQ(r.list.url_field, "link");
  EXPECT_EQ(r.list.title_field, "name");
  EXPECT_EQ(r.list.date_field, "time");
  EXPECT_EQ(r.list.total_field, "total");
  EXPECT_EQ(r.list.url, "");
}

TEST(InferJsonListTest, NestedRecordsBesideOtherArrays) {
  // An array of numbers and an array of objects without URLs come first by name; the records
  // are data.list, with absolute URLs and no date; the count is data.totalCount.
  InferredList r = InferJsonList(
      "{\"code\": 0, \"data\": {\"a\": [1, 2], \"b\": [{\"k\": \"无链接\"}],"
      " \"list\": [{\"title\": \"本市2022年政府信息公开工作年度报告\","
      " \"url\": \"https://www.x.gov.cn/art/2023/1/18/art_1_1.html\"}], \"totalCount\": 31}}");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.list.answer, "json");
  EXPECT_EQ(r.list.callback, "");
  EXPECT_EQ(r.list.records, "data.list");
  EXPECT_EQ(r.list.url_field, "url");
  EXPECT_EQ(r.list.title_field, "title");
  EXPECT_EQ(r.list.date_field, "");
  EXPECT_EQ(r.list.total_field, "data.totalCount");
}

TEST(InferJsonListTest, RecordsAtTheRoot) {
  InferredList r =
      InferJsonList("[{\"href\": \"/nb/1.htm\", \"t\": \"2023年报\", \"d\": \"2023年1月18日\"}]");
  ASSERT_EQ(r.error, "");
  EXPECT_EQ(r.list.records, "");
  EXPECT_EQ(r.list.url_field, "href");
  EXPECT_EQ(r.list.title_field, "t");
  EXPECT_EQ(r.list.date_field, "d");
  EXPECT_EQ(r.list.total_field, "");
}

TEST(InferJsonListTest, MalformedAnswersAreErrorsNotCrashes) {
  EXPECT_EQ(InferJsonList("{\"rows\": [{\"link\": \"/a.html\", \"name\": \"年").error, "not JSON");
  EXPECT_EQ(InferJsonList("cb({\"rows\": []}").error,
            "a JSONP answer without its closing parenthesis");
  EXPECT_EQ(InferJsonList("<html><body>404 Not Found</body></html>").error, "not JSON");
  EXPECT_EQ(InferJsonList("").error, "not JSON");
  EXPECT_EQ(InferJsonList(std::string(100, '[') + std::string(100, ']')).error,
            "JSON nested too deep");
  // JSON, but no records: an empty list, records without URLs, URLs without titles.
  const std::string none = "no array of records with a URL field and a Chinese title field";
  EXPECT_EQ(InferJsonList("{\"total\": 0, \"rows\": []}").error, none);
  EXPECT_EQ(InferJsonList("{\"rows\": [{\"name\": \"年度报告\"}]}").error, none);
  EXPECT_EQ(InferJsonList("{\"rows\": [{\"link\": \"/a.html\", \"name\": \"report\"}]}").error,
            none);
  // A javascript: URL is not a URL of a page.
  EXPECT_EQ(
      InferJsonList("{\"rows\": [{\"link\": \"javascript:void(0)\", \"name\": \"年报\"}]}").error,
      none);
}

}  // namespace
}  // namespace nianbao::crawler
