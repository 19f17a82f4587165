// The crawler's pure helpers and its SQLite state: link extraction as list pages need it,
// and state that survives a reopen and refuses a damaged file.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "crawler/links.h"
#include "crawler/state_store.h"

namespace nianbao::crawler {
namespace {

TEST(Links, ResolvesRelativeLinksAndPrefersFullTitles) {
  std::string html = R"html(<html><head><base href="http://www.x.gov.cn/zfxxgk/ndbg/"></head><body>
    <a href="./202101/t20210119_1.html" title="甲镇2020年政府信息公开工作年度报告">甲镇2020年政府信息公开…</a>
    <a href="../index.html#top">上级</a>
    <a href="javascript:void(0)">打印</a>
    <a href="mailto:a@x.gov.cn">邮件</a>
    <a href="https://other.gov.cn/a.pdf"> 附件
      一 </a>
    <a>no href</a>
  </body></html>)html";
  auto links = ExtractLinks(html, "http://www.x.gov.cn/zfxxgk/ndbg/index.html");
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].url, "http://www.x.gov.cn/zfxxgk/ndbg/202101/t20210119_1.html");
  EXPECT_EQ(links[0].text, "甲镇2020年政府信息公开工作年度报告");
  EXPECT_EQ(links[1].url, "http://www.x.gov.cn/zfxxgk/index.html");
  EXPECT_EQ(links[2].url, "https://other.gov.cn/a.pdf");
  EXPECT_EQ(links[2].text, "附件 一");
}

TEST(Links, CapsTheNumberOfLinksAndSurvivesDeepNesting) {
  std::string many;
  for (int i = 0; i < 10000; ++i) many += "<a href=\"/p" + std::to_string(i) + "\">x</a>";
  EXPECT_EQ(ExtractLinks(many, "http://a.gov.cn/", 2000).size(), 2000u);
  std::string deep;
  for (int i = 0; i < 200000; ++i) deep += "<div>";
  deep += "<a href=\"/x\">x</a>";
  EXPECT_TRUE(ExtractLinks(deep, "http://a.gov.cn/").empty());
}

// A Word-exported page: thousands of self-closing tags, many of them in conditional comments,
// nest nothing; its links are read.
TEST(Links, SelfClosingTagsAndCommentsDoNotNest) {
  std::string page = "<html><head><!--[if gte mso 9]><xml><w:LatentStyles>";
  for (int i = 0; i < 5000; ++i) page += "<w:LsdException Locked=\"false\" Name=\"x\">";
  page += "</w:LatentStyles></xml><![endif]--></head><body>";
  for (int i = 0; i < 5000; ++i) page += "<o:p/>";
  page += "<a href=\"/files/report.pdf\">附件</a></body></html>";
  auto links = ExtractLinks(page, "http://a.gov.cn/");
  ASSERT_EQ(links.size(), 1u);
  EXPECT_EQ(links[0].url, "http://a.gov.cn/files/report.pdf");
}

TEST(Links, ReadsTrsPagingScript) {
  auto p = FindTrsPaging("<script>createPageHTML(5, 0, \"index\", \"shtml\");</script>");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pages, 5);
  EXPECT_EQ(p->stem, "index");
  EXPECT_EQ(p->extension, "shtml");
  EXPECT_FALSE(FindTrsPaging("<script>createPage(5)</script>").has_value());
}

TEST(Links, HostKeyAndPath) {
  EXPECT_EQ(HostKey("http://WWW.X.gov.cn:8080/a?b#c"), "www.x.gov.cn:8080");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn/a/b.html?c=1#d"), "/a/b.html?c=1");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn"), "/");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn?q"), "/?q");
  EXPECT_EQ(ResolveUrl("http://x.gov.cn/a/", "ftp://y/z"), "");
}

class StateStoreTest : public ::testing::Test {
 protected:
  StateStoreTest()
      : dir_(std::filesystem::temp_directory_path() /
             ("nianbao-state-test-" + std::to_string(::getpid()))) {
    std::filesystem::remove_all(dir_);
  }
  ~StateStoreTest() override { std::filesystem::remove_all(dir_); }
  std::filesystem::path dir_;
};

TEST_F(StateStoreTest, StateSurvivesAReopen) {
  {
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    UrlState s;
    s.url = "http://x.gov.cn/t1.html";
    s.source = "x";
    s.kind = "report";
    s.etag = "\"abc\"";
    s.last_modified = "Tue, 19 Jan 2021 02:00:00 GMT";
    s.sha256 = std::string(64, 'a');
    s.last_status = 200;
    s.next_due = 1700000000;
    ASSERT_TRUE(store.value()->Put(s).ok());
    ASSERT_TRUE(store.value()
                    ->PutLinks("http://x.gov.cn/", {{"http://x.gov.cn/t1.html", "甲"},
                                                    {"http://x.gov.cn/t2.html", "乙"}})
                    .ok());
    ASSERT_TRUE(store.value()->PutAttachments(s.url, {{"http://x.gov.cn/a.pdf", "附件"}}).ok());
    ASSERT_TRUE(store.value()->MarkDelivered(s.url, s.sha256).ok());
  }
  auto store = StateStore::Open(dir_.string());
  ASSERT_TRUE(store.ok());
  auto got = store.value()->Get("http://x.gov.cn/t1.html");
  ASSERT_TRUE(got.ok() && got.value());
  EXPECT_EQ(got.value()->etag, "\"abc\"");
  EXPECT_EQ(got.value()->last_modified, "Tue, 19 Jan 2021 02:00:00 GMT");
  EXPECT_EQ(got.value()->sha256, std::string(64, 'a'));
  EXPECT_EQ(got.value()->delivered_sha256, std::string(64, 'a'));
  EXPECT_EQ(got.value()->next_due, 1700000000);
  auto links = store.value()->GetLinks("http://x.gov.cn/");
  ASSERT_TRUE(links.ok());
  ASSERT_EQ(links.value().size(), 2u);
  EXPECT_EQ(links.value()[1].text, "乙");
  EXPECT_EQ(store.value()->GetAttachments("http://x.gov.cn/t1.html").value().size(), 1u);
  EXPECT_FALSE(store.value()->Get("http://x.gov.cn/none").value().has_value());
  EXPECT_EQ(store.value()->CountUrls("report").value(), 1);
}

TEST_F(StateStoreTest, ADamagedFileIsRefusedWithItsName) {
  std::filesystem::create_directories(dir_);
  {
    std::ofstream f(dir_ / "state.db", std::ios::binary);
    f << "SQLite format 3" << std::string(1, '\0') << std::string(5000, '\x7f');
  }
  auto store = StateStore::Open(dir_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("state.db"), std::string::npos)
      << store.status().ToString();
}

TEST_F(StateStoreTest, AStateDirThatIsAFileIsAnError) {
  std::ofstream(dir_.string()) << "x";
  auto store = StateStore::Open(dir_.string());
  EXPECT_FALSE(store.ok());
  std::filesystem::remove(dir_);
}

}  // namespace
}  // namespace nianbao::crawler
