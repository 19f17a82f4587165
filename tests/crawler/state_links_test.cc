// The crawler's pure helpers and its SQLite state: link extraction as list pages need it,
// and state that survives a reopen and refuses a damaged file.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <fstream>

#include "crawler/links.h"
#include "crawler/state_store.h"
#include "tests/support/scratch_dir.h"

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
  // 0-based: the second page is index_1.
  EXPECT_EQ(PageNames(*p, 20), (std::vector<std::string>{"index_1.shtml", "index_2.shtml",
                                                         "index_3.shtml", "index_4.shtml"}));
}

TEST(Links, ReadsTheOneBasedSixArgumentPager) {
  auto p = FindTrsPaging(
      "<div id='page_div'></div><script>createPageHTML('page_div',3,1,'index','shtml',25);"
      "</script>");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(p->pages, 3);
  // 1-based: there is no index_1; page 2 is index_2.
  EXPECT_EQ(PageNames(*p, 20), (std::vector<std::string>{"index_2.shtml", "index_3.shtml"}));
  auto dq = FindTrsPaging(R"(createPageHTML("pager", 2, 2, "list", "html", 14))");
  ASSERT_TRUE(dq.has_value());
  EXPECT_EQ(PageNames(*dq, 20), (std::vector<std::string>{"list_2.html"}));
}

TEST(Links, ReadsCountPageWithTheStemOfTheListUrl) {
  auto p = FindTrsPaging("<script>var countPage = 3;</script>", "http://a.gov.cn/col/list.shtml");
  ASSERT_TRUE(p.has_value());
  EXPECT_EQ(PageNames(*p, 20), (std::vector<std::string>{"list_1.shtml", "list_2.shtml"}));
  // A later page of the list names the same stem; a folder is its index.html.
  auto later = FindTrsPaging("var countPage = 2", "http://a.gov.cn/col/list_1.shtml");
  ASSERT_TRUE(later.has_value());
  EXPECT_EQ(PageNames(*later, 20), (std::vector<std::string>{"list_1.shtml"}));
  auto folder = FindTrsPaging("var countPage = '2'", "http://a.gov.cn/col/");
  ASSERT_TRUE(folder.has_value());
  EXPECT_EQ(PageNames(*folder, 20), (std::vector<std::string>{"index_1.html"}));
}

TEST(Links, MalformedPagersAreCappedOrIgnored) {
  // A page count of 10^9 (or more than an int holds) is capped by max_pages: 4 names.
  for (const char* html :
       {"createPageHTML(1000000000, 0, \"index\", \"html\")",
        "createPageHTML('d',999999999999,1,'index','shtml',5)", "var countPage = 1000000000"}) {
    auto p = FindTrsPaging(html, "http://a.gov.cn/c/");
    ASSERT_TRUE(p.has_value()) << html;
    EXPECT_EQ(PageNames(*p, 5).size(), 4u) << html;
  }
  // Zero pages, one page: nothing after the first.
  auto zero = FindTrsPaging("createPageHTML(0, 0, 'index', 'html')");
  ASSERT_TRUE(zero.has_value());
  EXPECT_TRUE(PageNames(*zero, 20).empty());
  EXPECT_TRUE(PageNames(*FindTrsPaging("var countPage = 1"), 20).empty());
  // Not a pager: negative or missing counts, a stem that is not a file name, a cut call.
  for (const char* html :
       {"createPageHTML(-3, 0, 'index', 'html')", "createPageHTML('d', , 1, 'index', 'shtml', 5)",
        "createPageHTML(3, 0, '../../etc', 'html')", "createPageHTML(3, 0, 'ind",
        "var countPage = ;", "var countPages = 4"}) {
    EXPECT_FALSE(FindTrsPaging(html).has_value()) << html;
  }
}

TEST(Links, HostKeyAndPath) {
  EXPECT_EQ(HostKey("http://WWW.X.gov.cn:8080/a?b#c"), "www.x.gov.cn:8080");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn/a/b.html?c=1#d"), "/a/b.html?c=1");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn"), "/");
  EXPECT_EQ(PathAndQuery("http://x.gov.cn?q"), "/?q");
  EXPECT_EQ(ResolveUrl("http://x.gov.cn/a/", "ftp://y/z"), "");
}

// The crawler resolves to the same canonical form the parser publishes (base/url.h), so a
// link written two ways is one page, one host, one state row.
TEST(Links, ResolvedLinksAndHostsAreCanonical) {
  EXPECT_EQ(ResolveUrl("http://x.gov.cn/a/", "HTTP://Example.GOV.cn:80/a/../b.html"),
            "http://example.gov.cn/b.html");
  EXPECT_EQ(ResolveUrl("http://x.gov.cn/a/b/", "../%7ec/./d.html#top"),
            "http://x.gov.cn/a/~c/d.html");
  EXPECT_EQ(HostKey("HTTP://Example.GOV.cn:80/x"), "example.gov.cn");
  EXPECT_EQ(HostKey("https://example.gov.cn:443/"), "example.gov.cn");
}

// The TRS deletion stub: a few hundred bytes that send the reader to the column. Quotes,
// case and spacing vary; a real report, or a page whose refresh is only a reload, is not one.
TEST(Links, FindsTheRefreshStubOfADeletedPage) {
  const std::string page = "http://x.gov.cn/zfxxgk/nb/202101/t1.html";
  EXPECT_EQ(FindRefreshStub("<html><head><meta http-equiv=\"refresh\" "
                            "content=\"0;url=/zfxxgk/nb/\"></head><body>该信息已删除</body></html>",
                            page),
            "http://x.gov.cn/zfxxgk/nb/");
  EXPECT_EQ(FindRefreshStub("<META HTTP-EQUIV=Refresh CONTENT='0; URL=../index.html'>", page),
            "http://x.gov.cn/zfxxgk/nb/index.html");
  EXPECT_EQ(FindRefreshStub("<meta http-equiv=\"refresh\" content=\"300\">", page), std::nullopt)
      << "a reload is not a pointer elsewhere";
  std::string report =
      "<meta http-equiv=\"refresh\" content=\"0;url=/\">" + std::string(kStubMaxBytes, 'x');
  EXPECT_EQ(FindRefreshStub(report, page), std::nullopt) << "too large to be a stub";
  EXPECT_EQ(FindRefreshStub("<html><body>正文</body></html>", page), std::nullopt);
}

TEST(Links, TellsARedirectToTheColumnFromAMove) {
  const std::string page = "http://x.gov.cn/zfxxgk/nb/202101/t1.html";
  const std::vector<std::string> entries = {"http://x.gov.cn/col/col1234/index.html"};
  EXPECT_TRUE(IsColumnOf("http://x.gov.cn/col/col1234/index.html", page, entries));
  EXPECT_TRUE(IsColumnOf("http://x.gov.cn/zfxxgk/nb/", page, entries));
  EXPECT_TRUE(IsColumnOf("http://x.gov.cn/zfxxgk/nb/index.html", page, entries));
  EXPECT_TRUE(IsColumnOf("http://x.gov.cn/zfxxgk/nb/202101/index_2.shtml", page, entries));
  EXPECT_TRUE(IsColumnOf("http://X.gov.cn:80/", page, entries)) << "the site's home";
  EXPECT_FALSE(IsColumnOf("http://x.gov.cn/zfxxgk/nb/202101/t1_new.html", page, entries))
      << "a page moved to another address is not gone";
  EXPECT_FALSE(IsColumnOf("http://x.gov.cn/error.html", page, entries)) << "an error page";
  EXPECT_FALSE(IsColumnOf("https://www.x.gov.cn/zfxxgk/nb/", page, entries)) << "another host";
  EXPECT_FALSE(IsColumnOf("http://x.gov.cn/zfxxgk/nb/?id=1", page, entries));
}

class StateStoreTest : public ::testing::Test {
 protected:
  nianbao::testing::ScratchDir scratch_{"state-test", nianbao::testing::ScratchDir::Start::kAbsent};
  const std::filesystem::path dir_ = scratch_.path();
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
    ASSERT_TRUE(store.value()->MarkDelivered(s.url, s.sha256, nullptr).ok());
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
  ASSERT_FALSE(store.ok());
  // Said as it is: not "not writable: Permission denied", which sends one to chmod.
  EXPECT_NE(store.status().message().find("is not a directory (a regular file"), std::string::npos)
      << store.status().ToString();
  EXPECT_EQ(store.status().message().find("Permission denied"), std::string::npos);
  std::filesystem::remove(dir_);
}

// Runs SQL on a state.db of the test's own making, outside StateStore.
void RunSql(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(file.c_str(), &db), SQLITE_OK);
  char* err = nullptr;
  int rc = sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err);
  std::string msg = err != nullptr ? err : "";
  sqlite3_free(err);
  sqlite3_close(db);
  ASSERT_EQ(rc, SQLITE_OK) << msg;
}

int64_t QueryInt(const std::filesystem::path& file, const std::string& sql) {
  sqlite3* db = nullptr;
  sqlite3_stmt* st = nullptr;
  int64_t v = -1;
  if (sqlite3_open(file.c_str(), &db) == SQLITE_OK &&
      sqlite3_prepare_v2(db, sql.c_str(), -1, &st, nullptr) == SQLITE_OK &&
      sqlite3_step(st) == SQLITE_ROW) {
    v = sqlite3_column_int64(st, 0);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

// The first layout of state.db, as nianbao wrote it before PRAGMA user_version was used.
constexpr const char* kFirstLayout = R"sql(
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE urls (url TEXT PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL,
  etag TEXT NOT NULL DEFAULT '', last_modified TEXT NOT NULL DEFAULT '',
  sha256 TEXT NOT NULL DEFAULT '', last_status INTEGER NOT NULL DEFAULT 0,
  last_error TEXT NOT NULL DEFAULT '', last_fetch INTEGER NOT NULL DEFAULT 0,
  next_due INTEGER NOT NULL DEFAULT 0, failures INTEGER NOT NULL DEFAULT 0,
  delivered_sha256 TEXT NOT NULL DEFAULT '');
CREATE TABLE links (list_url TEXT NOT NULL, position INTEGER NOT NULL, url TEXT NOT NULL,
  text TEXT NOT NULL, PRIMARY KEY (list_url, position));
CREATE TABLE attachments (report_url TEXT NOT NULL, url TEXT NOT NULL, text TEXT NOT NULL,
  first_seen INTEGER NOT NULL, PRIMARY KEY (report_url, url));
INSERT INTO meta (key, value) VALUES ('schema_version', '1');
)sql";

// The second layout (schema version 2): the first plus the write-ahead version by hash.
constexpr const char* kSecondLayoutChanges = R"sql(
CREATE TABLE source_due (source TEXT PRIMARY KEY, next_due INTEGER NOT NULL);
ALTER TABLE urls ADD COLUMN version INTEGER NOT NULL DEFAULT 0;
ALTER TABLE urls ADD COLUMN pending_sha256 TEXT NOT NULL DEFAULT '';
UPDATE meta SET value = '2' WHERE key = 'schema_version';
PRAGMA user_version = 2;
)sql";

TEST_F(StateStoreTest, TheSecondLayoutIsMigratedKeepingVersions) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db",
         std::string(kFirstLayout) + kSecondLayoutChanges +
             "INSERT INTO urls (url, source, kind, sha256, delivered_sha256, version, "
             "pending_sha256) VALUES ('http://x.gov.cn/t1.html', 'x', 'report', 'cc', 'bb', 3, "
             "'cc');");
  auto store = StateStore::Open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(QueryInt(dir_ / "state.db", "PRAGMA user_version"), StateStore::kSchemaVersion);
  auto got = store.value()->Get("http://x.gov.cn/t1.html");
  ASSERT_TRUE(got.ok() && got.value());
  EXPECT_EQ(got.value()->delivered_sha256, "bb");
  EXPECT_EQ(got.value()->gone_fetches, 0);
  auto delivered = store.value()->GetDelivered("http://x.gov.cn/t1.html");
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered.value().version, 3);
  EXPECT_EQ(delivered.value().fingerprint, "");
  // Version 3 was pending (possibly delivered): the next content is version 4, a revision.
  EXPECT_EQ(store.value()->BeginVersion("http://x.gov.cn/t1.html", "fp").value(), 4);
}

// The third layout (schema version 3): reports versioned by the fingerprint of their content.
constexpr const char* kThirdLayoutChanges = R"sql(
ALTER TABLE urls RENAME COLUMN pending_sha256 TO pending_content;
ALTER TABLE urls ADD COLUMN delivered_content TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN delivered_shape TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN suspect_content TEXT NOT NULL DEFAULT '';
ALTER TABLE urls ADD COLUMN gone_fetches INTEGER NOT NULL DEFAULT 0;
UPDATE meta SET value = '3' WHERE key = 'schema_version';
PRAGMA user_version = 3;
)sql";

TEST_F(StateStoreTest, TheThirdLayoutIsMigratedKeepingItsReportsAndGainsTheHistory) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db",
         std::string(kFirstLayout) + kSecondLayoutChanges + kThirdLayoutChanges +
             "INSERT INTO urls (url, source, kind, sha256, delivered_sha256, version, "
             "delivered_content) VALUES ('http://x.gov.cn/t1.html', 'x', 'report', 'cc', 'cc', "
             "2, 'fp2');");
  {
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto delivered = store.value()->GetDelivered("http://x.gov.cn/t1.html");
    ASSERT_TRUE(delivered.ok());
    EXPECT_EQ(delivered.value().version, 2);
    EXPECT_EQ(delivered.value().fingerprint, "fp2");
    // The delivered report is read once more in full (its year enters the history); its
    // validators and version stay.
    auto url = store.value()->Get("http://x.gov.cn/t1.html");
    ASSERT_TRUE(url.ok() && url.value());
    EXPECT_EQ(url.value()->delivered_sha256, "");
    EXPECT_EQ(url.value()->sha256, "cc");
    // The new tables are there, empty, and writable.
    EXPECT_TRUE(store.value()->YearsOf("x").value().empty());
    YearEntry e{"x", "甲镇人民政府", 2022, "rid", "http://x.gov.cn/t1.html", 2, "{}"};
    ASSERT_TRUE(store.value()->PutYear(e, false).ok());
  }
  EXPECT_EQ(QueryInt(dir_ / "state.db", "PRAGMA user_version"), 4);
  EXPECT_EQ(QueryInt(dir_ / "state.db", "SELECT COUNT(*) FROM years"), 1);
  // Opened again: nothing to migrate, the row stays.
  auto again = StateStore::Open(dir_.string());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again.value()->YearsOf("x").value().size(), 1u);
}

TEST_F(StateStoreTest, TheHistoryKeepsEachYearsLatestReportAndTheMissingOnes) {
  auto store = StateStore::Open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StateStore& s = *store.value();
  YearEntry e{"x", "甲镇人民政府", 2022, "r1", "http://x.gov.cn/a.html", 1, R"({"a":1})"};
  ASSERT_TRUE(s.PutYear(e, false).ok());
  // A later report of the same organisation and year replaces it; another year is its own.
  e.report_id = "r2";
  e.version = 3;
  ASSERT_TRUE(s.PutYear(e, false).ok());
  YearEntry other = e;
  other.year = 2021;
  other.report_id = "r0";
  ASSERT_TRUE(s.PutYear(other, false).ok());
  auto got = s.GetYear("x", "甲镇人民政府", 2022);
  ASSERT_TRUE(got.ok() && got.value());
  EXPECT_EQ(got.value()->report_id, "r2");
  EXPECT_EQ(got.value()->version, 3);
  EXPECT_EQ(got.value()->summary, R"({"a":1})");
  EXPECT_FALSE(s.GetYear("y", "甲镇人民政府", 2022).value().has_value());
  EXPECT_FALSE(s.GetYear("x", "甲镇人民政府", 2023).value().has_value());
  auto all = s.YearsOf("x");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all.value().size(), 2u);
  EXPECT_EQ(all.value()[0].year, 2021);  // by key, then year

  // A missing report, written ahead, then sent; the report that turns up marks it found late
  // in the same write as its entry.
  MissingReport m{"x", "甲镇人民政府", "甲镇人民政府", 2023, "2024-01-31", false, false};
  ASSERT_TRUE(s.PutMissing(m).ok());
  m.sent = true;
  ASSERT_TRUE(s.PutMissing(m).ok());
  EXPECT_EQ(s.MissingOf("x").value().size(), 1u);
  YearEntry late = e;
  late.year = 2023;
  ASSERT_TRUE(s.PutYear(late, true).ok());
  auto missing = s.GetMissing("x", "甲镇人民政府", 2023);
  ASSERT_TRUE(missing.ok() && missing.value());
  EXPECT_TRUE(missing.value()->sent);
  EXPECT_TRUE(missing.value()->found_late);
  EXPECT_EQ(missing.value()->deadline, "2024-01-31");

  // The first watch of a source is kept.
  EXPECT_EQ(s.WatchedSince("x", 100).value(), 100);
  EXPECT_EQ(s.WatchedSince("x", 200).value(), 100);
  EXPECT_EQ(s.WatchedSince("y", 300).value(), 300);
}

TEST_F(StateStoreTest, ADatabaseOfAnotherApplicationIsRefusedAndLeftAlone) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db", "CREATE TABLE people (name TEXT); INSERT INTO people VALUES ('x');");
  auto store = StateStore::Open(dir_.string());
  ASSERT_FALSE(store.ok());
  const std::string m = store.status().message();
  EXPECT_NE(m.find((dir_ / "state.db").string()), std::string::npos) << m;
  EXPECT_NE(m.find("no schema version; tables: people"), std::string::npos) << m;
  // Nothing of ours was added beside its tables.
  EXPECT_EQ(QueryInt(dir_ / "state.db", "SELECT COUNT(*) FROM sqlite_master WHERE type='table'"),
            1);
}

TEST_F(StateStoreTest, AnotherSchemaVersionInMetaIsRefusedNamingIt) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db",
         std::string(kFirstLayout) + "UPDATE meta SET value = '7' WHERE key = 'schema_version';");
  auto store = StateStore::Open(dir_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version '7' found"), std::string::npos)
      << store.status().ToString();
  EXPECT_NE(store.status().message().find("state.db"), std::string::npos);
}

TEST_F(StateStoreTest, ANewerUserVersionIsRefusedNamingIt) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db", std::string(kFirstLayout) + "PRAGMA user_version = 99;");
  auto store = StateStore::Open(dir_.string());
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.status().message().find("schema version 99 found"), std::string::npos)
      << store.status().ToString();
}

TEST_F(StateStoreTest, TheFirstLayoutIsMigratedKeepingItsRows) {
  std::filesystem::create_directories(dir_);
  RunSql(dir_ / "state.db", std::string(kFirstLayout) +
                                "INSERT INTO urls (url, source, kind, sha256, delivered_sha256) "
                                "VALUES ('http://x.gov.cn/t1.html', 'x', 'report', 'aa', 'aa');");
  {
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    auto got = store.value()->Get("http://x.gov.cn/t1.html");
    ASSERT_TRUE(got.ok() && got.value());
    EXPECT_EQ(got.value()->delivered_sha256, "aa");
    EXPECT_TRUE(store.value()->PutSourceDue("x", 1700000000).ok());
  }
  EXPECT_EQ(QueryInt(dir_ / "state.db", "PRAGMA user_version"), StateStore::kSchemaVersion);
  auto again = StateStore::Open(dir_.string());
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  auto due = again.value()->GetSourceDue("x");
  ASSERT_TRUE(due.ok() && due.value());
  EXPECT_EQ(*due.value(), 1700000000);
  EXPECT_FALSE(again.value()->GetSourceDue("y").value().has_value());
  // A report delivered under the first layout was its version 1: new content is version 2
  // (report.revised), never a second "published".
  auto v = again.value()->BeginVersion("http://x.gov.cn/t1.html", "bb");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v.value(), 2);
}

// Versions are written ahead: the number a content is published as is in the state before
// anything is produced, so a crash at any point (before or after the Kafka commit, before
// MarkDelivered) neither turns the next change into "published" nor gives one version two
// numbers. A revert to earlier content is a new version.
TEST_F(StateStoreTest, VersionsAreWrittenAheadAndSurviveACrash) {
  const std::string url = "http://x.gov.cn/t1.html";
  {
    auto store = StateStore::Open(dir_.string());
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    StateStore& st = *store.value();
    EXPECT_EQ(st.BeginVersion(url, "A").status().code(), Status::Code::kNotFound);
    UrlState u;
    u.url = url;
    u.source = "x";
    u.kind = "report";
    ASSERT_TRUE(st.Put(u).ok());
    EXPECT_EQ(st.BeginVersion(url, "A").value(), 1);
    EXPECT_EQ(st.BeginVersion(url, "A").value(), 1) << "a redelivery is the same version";
    const DeliveredContent a{"A", "sections=6 cells=100"}, b{"B", "sections=6 cells=100"};
    ASSERT_TRUE(st.MarkDelivered(url, "sha-a", &a).ok());
    EXPECT_EQ(st.BeginVersion(url, "B").value(), 2);
    ASSERT_TRUE(st.MarkDelivered(url, "sha-b", &b).ok());
    EXPECT_EQ(st.BeginVersion(url, "A").value(), 3) << "a revert is a version of its own";
    ASSERT_TRUE(st.MarkDelivered(url, "sha-a", &a).ok());
    EXPECT_EQ(st.BeginVersion(url, "C").value(), 4);
    // The process dies here: C may or may not have reached Kafka; it was never marked.
  }
  auto store = StateStore::Open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(store.value()->BeginVersion(url, "C").value(), 4) << "handed on again: same ce_ids";
  EXPECT_EQ(store.value()->BeginVersion(url, "D").value(), 5) << "the next change: a revision";
  auto got = store.value()->Get(url);
  ASSERT_TRUE(got.ok() && got.value());
  EXPECT_EQ(got.value()->delivered_sha256, "sha-a");
  auto delivered = store.value()->GetDelivered(url);
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered.value().fingerprint, "A");
  EXPECT_EQ(delivered.value().shape, "sections=6 cells=100");
  EXPECT_EQ(delivered.value().version, 5);
}

// A suspect change is kept until a version is delivered; a page read without a version
// (not a report) keeps the delivered version's fingerprint.
TEST_F(StateStoreTest, ASuspectChangeIsKeptUntilAVersionIsDelivered) {
  const std::string url = "http://x.gov.cn/t2.html";
  auto store = StateStore::Open(dir_.string());
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  StateStore& st = *store.value();
  UrlState u;
  u.url = url;
  u.source = "x";
  u.kind = "report";
  ASSERT_TRUE(st.Put(u).ok());
  EXPECT_TRUE(st.GetDelivered(url).value().fingerprint.empty());
  const DeliveredContent a{"A", "sections=6 cells=100"};
  ASSERT_EQ(st.BeginVersion(url, "A").value(), 1);
  ASSERT_TRUE(st.MarkDelivered(url, "sha-a", &a).ok());
  ASSERT_TRUE(st.MarkSuspect(url, "HALF").ok());
  EXPECT_EQ(st.GetDelivered(url).value().suspect, "HALF");
  ASSERT_TRUE(st.MarkDelivered(url, "sha-notice", nullptr).ok());
  EXPECT_EQ(st.GetDelivered(url).value().fingerprint, "A");
  EXPECT_EQ(st.GetDelivered(url).value().sha256, "sha-notice");
  EXPECT_EQ(st.GetDelivered(url).value().suspect, "HALF");
  ASSERT_TRUE(st.MarkDelivered(url, "sha-a", &a).ok());
  EXPECT_EQ(st.GetDelivered(url).value().suspect, "");
}

TEST_F(StateStoreTest, AFullDiskAtStartUpIsSaidAsSuchNotAsDamage) {
  // A state.db whose every write fails with ENOSPC (a link to /dev/full).
  std::filesystem::create_directories(dir_);
  std::filesystem::create_symlink("/dev/full", dir_ / "state.db");
  auto store = StateStore::Open(dir_.string());
  ASSERT_FALSE(store.ok());
  const std::string m = store.status().message();
  EXPECT_NE(m.find("the disk is full; free space on it"), std::string::npos) << m;
  EXPECT_EQ(m.find("damaged"), std::string::npos) << m;
  EXPECT_EQ(m.find("move it aside"), std::string::npos) << m;
}

TEST_F(StateStoreTest, CommitFetchWritesStateLinksAndAttachmentsTogetherOrNotAtAll) {
  auto opened = StateStore::Open(dir_.string());
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  StateStore& store = *opened.value();
  UrlState s;
  s.url = "http://x.gov.cn/t1.html";
  s.source = "x";
  s.kind = "report";
  s.sha256 = "v1";
  std::vector<Link> links{{"http://x.gov.cn/a.html", "甲"}};
  std::vector<Link> files{{"http://x.gov.cn/a.pdf", "附件"}, {"http://x.gov.cn/b.pdf", "附件二"}};
  ASSERT_TRUE(store.CommitFetch(s, &links, &files).ok());
  EXPECT_EQ(store.Get(s.url).value()->sha256, "v1");
  EXPECT_EQ(store.GetLinks(s.url).value().size(), 1u);
  EXPECT_EQ(store.GetAttachments(s.url).value().size(), 2u);

  // Null lists leave what is stored; a new list replaces it (b.pdf is gone from the page).
  s.sha256 = "v2";
  std::vector<Link> fewer{{"http://x.gov.cn/a.pdf", "附件"}};
  ASSERT_TRUE(store.CommitFetch(s, nullptr, &fewer).ok());
  EXPECT_EQ(store.GetLinks(s.url).value().size(), 1u);
  ASSERT_EQ(store.GetAttachments(s.url).value().size(), 1u);
  EXPECT_EQ(store.GetAttachments(s.url).value()[0].url, "http://x.gov.cn/a.pdf");

  // When the last statement fails, the state row and the links are as before.
  RunSql(dir_ / "state.db",
         "CREATE TRIGGER refuse BEFORE INSERT ON attachments "
         "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;");
  s.sha256 = "v3";
  std::vector<Link> other_links{{"http://x.gov.cn/c.html", "丙"}};
  std::vector<Link> new_file{{"http://x.gov.cn/c.pdf", "附件三"}};
  Status st = store.CommitFetch(s, &other_links, &new_file);
  ASSERT_FALSE(st.ok());
  EXPECT_NE(st.message().find("state.db"), std::string::npos) << st.ToString();
  EXPECT_EQ(store.Get(s.url).value()->sha256, "v2");
  ASSERT_EQ(store.GetLinks(s.url).value().size(), 1u);
  EXPECT_EQ(store.GetLinks(s.url).value()[0].url, "http://x.gov.cn/a.html");
  EXPECT_EQ(store.GetAttachments(s.url).value().size(), 1u);
}

}  // namespace
}  // namespace nianbao::crawler
