// StatusBoard (what the status page keeps, within its bounds) and the status page's HTML and
// JSON (routes, escaping of what came from the web). The batches are written here by hand in
// the shape of record-v1 (docs/record-v1.md), as the status updater hands them on.
#include "app/status_page.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "app/status_board.h"

namespace nianbao::app {
namespace {

using Json = nlohmann::json;
using namespace std::chrono_literals;

const SystemTime kNoon = std::chrono::system_clock::from_time_t(1764936000);  // 2025-12-05 12:00Z

sinks::Batch ReportBatch(const std::string& report_id, const std::string& org, int year,
                         const std::vector<std::pair<std::string, std::string>>& findings,
                         const std::string& url = "https://www.gd.gov.cn/zwgk/ndbg/2024.html",
                         int version = 1) {
  sinks::Batch b;
  b.id = report_id + "@v" + std::to_string(version);
  Json record = {{"schema", "nianbao.report.v1"},
                 {"report_id", report_id},
                 {"source", {{"url", url}}},
                 {"title", org + std::to_string(year) + "年政府信息公开工作年度报告"},
                 {"organization", org},
                 {"year", year},
                 {"version", version}};
  const std::string event = version == 1 ? "report.published" : "report.revised";
  b.messages.push_back({"nianbao.reports", report_id, record.dump(), {{"event", event}}});
  for (const auto& [rule, message] : findings) {
    Json f = {{"schema", "nianbao.finding.v1"},
              {"report_id", report_id},
              {"rule", rule},
              {"severity", "error"},
              {"path", "applications.total"},
              {"message", message}};
    b.messages.push_back({"nianbao.findings", report_id, f.dump(), {{"event", event}}});
  }
  return b;
}

TEST(StatusBoardTest, KeepsDeliveredReportsNewestFirstOneRowPerReport) {
  StatusBoard board;
  board.SetSources({"gd", "bj"});
  board.OnDelivered("gd", ReportBatch("r1", "广东省人民政府办公厅", 2024, {{"R1", "总数不符"}}),
                    kNoon);
  board.OnDelivered("bj", ReportBatch("r2", "北京市人民政府办公厅", 2023, {}), kNoon);
  ASSERT_EQ(board.reports().size(), 2u);
  EXPECT_EQ(board.reports()[0].report_id, "r2");
  const ReportRow* r1 = board.FindReport("r1");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->organization, "广东省人民政府办公厅");
  EXPECT_EQ(r1->year, 2024);
  EXPECT_EQ(r1->url, "https://www.gd.gov.cn/zwgk/ndbg/2024.html");
  EXPECT_EQ(r1->event, "report.published");
  ASSERT_EQ(r1->findings.size(), 1u);
  EXPECT_EQ(r1->findings[0].rule, "R1");
  EXPECT_EQ(r1->findings[0].message, "总数不符");
  EXPECT_EQ(board.findings_kept(), 1u);

  // A revision of r1 (its finding fixed) replaces the row and goes to the top
  board.OnDelivered("gd", ReportBatch("r1", "广东省人民政府办公厅", 2024, {}, "https://x/", 2),
                    kNoon);
  ASSERT_EQ(board.reports().size(), 2u);
  EXPECT_EQ(board.reports()[0].report_id, "r1");
  EXPECT_EQ(board.reports()[0].event, "report.revised");
  EXPECT_EQ(board.reports()[0].version, 2);
  EXPECT_EQ(board.findings_kept(), 0u);
  EXPECT_EQ(board.FindSource("gd")->reports_delivered, 2);
  EXPECT_EQ(board.FindSource("gd")->findings, 1);

  // Events that are not reports are not rows
  sinks::Batch event;
  event.messages.push_back({"nianbao.sources", "gd", R"({"schema":"nianbao.source.v1"})", {}});
  board.OnDelivered("gd", event, kNoon);
  sinks::Batch junk;
  junk.messages.push_back({"nianbao.reports", "x", "not json", {}});
  board.OnDelivered("gd", junk, kNoon);
  EXPECT_EQ(board.reports().size(), 2u);
}

TEST(StatusBoardTest, BoundsReportsAndFindings) {
  StatusBoard board(StatusBoardOptions{.max_reports = 3, .max_findings = 4});
  for (int i = 0; i < 5; ++i) {
    board.OnDelivered("gd", ReportBatch("r" + std::to_string(i), "org", 2024, {}), kNoon);
  }
  ASSERT_EQ(board.reports().size(), 3u);
  EXPECT_EQ(board.reports().back().report_id, "r2");  // r0 and r1 dropped
  EXPECT_EQ(board.FindReport("r0"), nullptr);

  // Three findings each: a second such report pushes the total to 6 > 4, so only it stays
  board.OnDelivered("gd", ReportBatch("f1", "org", 2024, {{"A", "a"}, {"B", "b"}, {"C", "c"}}),
                    kNoon);
  EXPECT_EQ(board.findings_kept(), 3u);
  board.OnDelivered("gd", ReportBatch("f2", "org", 2024, {{"A", "a"}, {"B", "b"}, {"C", "c"}}),
                    kNoon);
  EXPECT_EQ(board.findings_kept(), 3u);
  ASSERT_EQ(board.reports().size(), 1u);
  EXPECT_EQ(board.reports().front().report_id, "f2");
  // One report over the bound on its own is still kept whole
  board.OnDelivered(
      "gd",
      ReportBatch("big", "org", 2024, {{"A", "a"}, {"B", "b"}, {"C", "c"}, {"D", "d"}, {"E", "e"}}),
      kNoon);
  EXPECT_EQ(board.reports().size(), 1u);
  EXPECT_EQ(board.findings_kept(), 5u);
}

TEST(StatusBoardTest, SourcesKeepTheirPassErrorAndOrder) {
  StatusBoard board;
  board.SetSources({"zz", "aa"});
  SourcePassStats s;
  s.source = "zz";
  s.health = "unreachable";
  s.reports_found = 7;
  board.OnPass(s, kNoon, kNoon + std::chrono::hours(2));
  board.OnError("aa", "http_503 https://aa/", kNoon);
  const auto rows = board.SourcesInOrder();
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]->name, "zz");  // the order of the sources file, not the alphabet
  EXPECT_EQ(rows[0]->health, "unreachable");
  EXPECT_EQ(rows[0]->last.reports_found, 7);
  EXPECT_EQ(rows[1]->health, "unknown");
  EXPECT_EQ(rows[1]->last_error, "http_503 https://aa/");
}

// A restarted daemon shows what the page showed before: the reports with their findings and
// each source's last pass and error come back from the snapshot; the counts since the start
// begin again at 0.
TEST(StatusBoardTest, SnapshotRestoresReportsAndSourceRows) {
  StatusBoard before;
  before.SetSources({"gd", "bj"});
  before.OnDelivered("gd", ReportBatch("r1", "广东省人民政府办公厅", 2024, {{"R1", "总数不符"}}),
                     kNoon);
  before.OnDelivered("bj", ReportBatch("r2", "北京市人民政府办公厅", 2023, {}), kNoon + 1s);
  SourcePassStats s;
  s.source = "gd";
  s.health = "ok";
  before.OnPass(s, kNoon, kNoon + 2h);
  before.OnError("bj", "http_503 https://bj/", kNoon + 3s);

  StatusBoard after;
  after.SetSources({"gd", "bj"});
  const uint64_t generation = after.generation();
  ASSERT_TRUE(after.Restore(before.Snapshot()).ok());
  EXPECT_GT(after.generation(), generation);
  ASSERT_EQ(after.reports().size(), 2u);
  EXPECT_EQ(after.reports()[0].report_id, "r2");  // still newest first
  const ReportRow* r1 = after.FindReport("r1");
  ASSERT_NE(r1, nullptr);
  EXPECT_EQ(r1->organization, "广东省人民政府办公厅");
  EXPECT_EQ(r1->year, 2024);
  EXPECT_EQ(r1->event, "report.published");
  EXPECT_EQ(r1->version, 1);
  EXPECT_EQ(r1->delivered_at, kNoon);
  ASSERT_EQ(r1->findings.size(), 1u);
  EXPECT_EQ(r1->findings[0].rule, "R1");
  EXPECT_EQ(r1->findings[0].message, "总数不符");
  EXPECT_EQ(r1->findings[0].path, "applications.total");
  EXPECT_EQ(after.findings_kept(), 1u);
  const SourceRow* gd = after.FindSource("gd");
  ASSERT_NE(gd, nullptr);
  EXPECT_EQ(gd->health, "ok");
  EXPECT_EQ(gd->last_pass, kNoon);
  EXPECT_EQ(gd->last_ok, kNoon);
  EXPECT_EQ(gd->next_due, kNoon + 2h);
  EXPECT_EQ(gd->reports_delivered, 0);  // since this start
  const SourceRow* bj = after.FindSource("bj");
  ASSERT_NE(bj, nullptr);
  EXPECT_EQ(bj->health, "unknown");
  EXPECT_FALSE(bj->last_pass.has_value());
  EXPECT_EQ(bj->last_error, "http_503 https://bj/");
  EXPECT_EQ(bj->last_error_at, kNoon + 3s);
}

TEST(StatusBoardTest, RestoreKeepsTheBoardsOwnBounds) {
  StatusBoard before({10, 100});
  for (int i = 0; i < 10; ++i) {
    before.OnDelivered("gd", ReportBatch("r" + std::to_string(i), "org", 2024, {}), kNoon);
  }
  StatusBoard after({3, 100});
  ASSERT_TRUE(after.Restore(before.Snapshot()).ok());
  ASSERT_EQ(after.reports().size(), 3u);
  EXPECT_EQ(after.reports()[0].report_id, "r9");  // the newest stay
  EXPECT_EQ(after.reports()[2].report_id, "r7");
}

TEST(StatusBoardTest, RestoreRefusesWhatIsNotASnapshotAndChangesNothing) {
  StatusBoard board;
  board.SetSources({"gd"});
  board.OnDelivered("gd", ReportBatch("r1", "org", 2024, {}), kNoon);
  const uint64_t generation = board.generation();
  const Json good = Json::parse(board.Snapshot());
  Json no_id = good;
  no_id["reports"].push_back({{"title", "no report_id"}, {"delivered_at", 1}});
  Json bad_finding = good;
  bad_finding["reports"][0]["findings"] = Json::array({"not an object"});
  Json no_name = good;
  no_name["sources"].push_back({{"health", "ok"}});
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"", "not JSON"},
      {"{\"schema\": \"nianbao.status-board.v1\"", "not JSON"},
      {"[]", "not JSON"},
      {R"({"schema": "nianbao.report.v1", "sources": [], "reports": []})", "schema is not"},
      {R"({"schema": "nianbao.status-board.v1", "sources": []})", "no sources or reports"},
      {no_id.dump(), "a report without report_id"},
      {bad_finding.dump(), "a finding that is not an object"},
      {no_name.dump(), "a source without a name"},
  };
  for (const auto& [text, why] : cases) {
    Status s = board.Restore(text);
    EXPECT_FALSE(s.ok()) << text;
    EXPECT_NE(s.message().find(why), std::string::npos) << text << ": " << s.message();
  }
  EXPECT_EQ(board.generation(), generation);
  ASSERT_EQ(board.reports().size(), 1u);
  EXPECT_EQ(board.reports()[0].report_id, "r1");
}

TEST(StatusPageTest, OverviewShowsSourcesAndFindingsEscaped) {
  StatusBoard board;
  board.SetSources({"广东"});
  SourcePassStats s;
  s.source = "广东";
  s.health = "ok";
  board.OnPass(s, kNoon, kNoon + std::chrono::hours(24));
  board.OnDelivered("广东",
                    ReportBatch("r1", "<script>alert(1)</script>局", 2024, {{"R1", "a & b < c"}},
                                "javascript:alert(1)"),
                    kNoon);
  const auto page = RenderStatus(board, "/", kNoon);
  ASSERT_TRUE(page);
  EXPECT_EQ(page->status, 200u);
  EXPECT_EQ(page->content_type, "text/html; charset=utf-8");
  const std::string& html = page->body;
  EXPECT_NE(html.find("<meta name=\"viewport\""), std::string::npos);
  EXPECT_EQ(html.find("<script"), std::string::npos) << "nothing from the web runs";
  EXPECT_NE(html.find("&lt;script&gt;alert(1)&lt;/script&gt;局"), std::string::npos);
  EXPECT_NE(html.find("a &amp; b &lt; c"), std::string::npos);
  // The source links to its page by its percent-encoded name (UTF-8 of 广东)
  EXPECT_NE(html.find("href=\"/sources/%E5%B9%BF%E4%B8%9C\""), std::string::npos);
  EXPECT_NE(html.find("href=\"/reports/r1\""), std::string::npos);
  EXPECT_NE(html.find("2025-12-06T12:00:00Z"), std::string::npos) << "next due shown";
  EXPECT_EQ(html.find("src="), std::string::npos) << "no external asset";

  // The report page does not link a javascript: URL
  const auto report = RenderStatus(board, "/reports/r1", kNoon);
  ASSERT_TRUE(report);
  EXPECT_EQ(report->status, 200u);
  EXPECT_EQ(report->body.find("href=\"javascript"), std::string::npos);
  EXPECT_NE(report->body.find("javascript:alert(1)"), std::string::npos);

  const auto source = RenderStatus(board, "/sources/%E5%B9%BF%E4%B8%9C", kNoon);
  ASSERT_TRUE(source);
  EXPECT_EQ(source->status, 200u);
  EXPECT_NE(source->body.find("Source 广东"), std::string::npos);
}

TEST(StatusPageTest, ReportPageLinksAWebUrl) {
  StatusBoard board;
  board.OnDelivered("gd", ReportBatch("r1", "org", 2024, {{"R1", "m"}}), kNoon);
  const auto page = RenderStatus(board, "/reports/r1", kNoon);
  ASSERT_TRUE(page);
  EXPECT_NE(page->body.find("href=\"https://www.gd.gov.cn/zwgk/ndbg/2024.html\""),
            std::string::npos);
}

TEST(StatusPageTest, ApiAnswersJsonAndUnknownsAre404) {
  StatusBoard board;
  board.SetSources({"gd"});
  board.OnDelivered("gd", ReportBatch("r1", "org", 2024, {{"R1", "m"}}), kNoon);
  auto reports = RenderStatus(board, "/api/reports", kNoon);
  ASSERT_TRUE(reports);
  EXPECT_EQ(reports->content_type, "application/json");
  const Json all = Json::parse(reports->body);
  ASSERT_EQ(all.size(), 1u);
  EXPECT_EQ(all[0]["report_id"], "r1");
  EXPECT_EQ(all[0]["year"], 2024);
  EXPECT_EQ(all[0]["findings"][0]["rule"], "R1");
  EXPECT_EQ(all[0]["delivered_at"], "2025-12-05T12:00:00Z");

  const Json one = Json::parse(RenderStatus(board, "/api/reports/r1", kNoon)->body);
  EXPECT_EQ(one["organization"], "org");
  const Json sources = Json::parse(RenderStatus(board, "/api/sources", kNoon)->body);
  ASSERT_EQ(sources.size(), 1u);
  EXPECT_EQ(sources[0]["name"], "gd");
  EXPECT_EQ(sources[0]["health"], "unknown");
  EXPECT_TRUE(sources[0]["last_pass"].is_null());

  EXPECT_EQ(RenderStatus(board, "/api/reports/nope", kNoon)->status, 404u);
  EXPECT_EQ(RenderStatus(board, "/reports/nope", kNoon)->status, 404u);
  EXPECT_EQ(RenderStatus(board, "/sources/nope", kNoon)->status, 404u);
  EXPECT_EQ(RenderStatus(board, "/sources/%zz", kNoon)->status, 404u);
  EXPECT_EQ(RenderStatus(board, "/sources/a/b", kNoon)->status, 404u);
  EXPECT_FALSE(RenderStatus(board, "/metricz", kNoon));
}

TEST(StatusPageTest, EscapingHelpers) {
  EXPECT_EQ(HtmlEscape("<a href=\"x\">'&'</a>"),
            "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
  EXPECT_EQ(PercentEncode("a b/é"), "a%20b%2F%C3%A9");
  EXPECT_EQ(PercentDecode("a%20b%2F%C3%A9"), "a b/é");
  EXPECT_FALSE(PercentDecode("%2"));
  EXPECT_FALSE(PercentDecode("%g0"));
}

}  // namespace
}  // namespace nianbao::app
