// The status updater's memory across years (base/history.h, docs/rules.md history.*): the
// findings of a pair go with the later year's record whichever year comes first; the
// sources file's aliases join two names of one body; report.missing once per organisation
// and year after the deadline and the grace period, never for a year already past due when
// the source was first watched (unless asked); report.found_late with the report that comes
// after its report.missing. Pairs from tests/fixtures/history (see parser/history_test.cc).
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/thread_pool.hpp>
#include <nlohmann/json.hpp>

#include "ingest/missing_reports.h"
#include "ingest/status_updater.h"
#include "parser/history.h"
#include "tests/ingest/memory_history.h"
#include "tests/ingest/memory_ledger.h"
#include "tests/ingest/test_pages.h"

namespace nianbao::ingest {
namespace {

using namespace std::chrono_literals;
using Json = nlohmann::json;

// Records every batch and acknowledges it at once (or refuses it while `full`).
class AckingSink : public sinks::Sink {
 public:
  std::string_view name() const override { return "acking"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const sinks::Batch> batch, Done done) override {
    if (full) return false;
    batches.push_back(batch);
    done(Status::Ok());
    return true;
  }
  size_t pending() const override { return 0; }
  Status Close(std::chrono::milliseconds) override { return Status::Ok(); }

  std::vector<std::shared_ptr<const sinks::Batch>> batches;
  bool full = false;
};

std::string HistoryText(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/history/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HeaderOf(const sinks::Message& m, const std::string& key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "<absent>";
}

// A time on a day in China Standard Time (noon there).
std::chrono::system_clock::time_point Day(int y, unsigned m, unsigned d) {
  return std::chrono::sys_days(std::chrono::year_month_day{
             std::chrono::year{y}, std::chrono::month{m}, std::chrono::day{d}}) +
         4h;
}

class HistoryUpdaterTest : public ::testing::Test {
 protected:
  HistoryUpdaterTest() { Make(StatusUpdaterOptions{}); }

  void Make(StatusUpdaterOptions o) {
    o.history = &history_;
    updater_ = std::make_unique<StatusUpdater>(io_, cpu_, std::vector<sinks::Sink*>{&sink_},
                                               ledger_, std::move(o));
  }

  // Hands on one fixture at `url` as the crawler would and runs the loop until it ended.
  void Deliver(const std::string& fixture, const std::string& url) {
    FetchedPage p = testing::TextPage("s", url, HistoryText(fixture));
    JourneyId id = updater_->Planned(p.source, p.url);
    ASSERT_TRUE(updater_->TryStart(id));
    updater_->Fetched(id, std::move(p));
    RunUntilIdle();
  }

  void RunUntilIdle() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (updater_->open() > 0 && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
    }
    io_.run_for(5ms);
    ASSERT_EQ(updater_->open(), 0u) << "a journey never ended";
  }

  // The messages of every batch so far on `topic`, with their JSON.
  std::vector<std::pair<sinks::Message, Json>> On(const std::string& topic) const {
    std::vector<std::pair<sinks::Message, Json>> out;
    for (const auto& b : sink_.batches) {
      for (const auto& m : b->messages) {
        if (m.topic == topic) out.emplace_back(m, Json::parse(m.value));
      }
    }
    return out;
  }

  // The history.* findings published so far, as (key, rule, event header).
  std::vector<std::tuple<std::string, std::string, std::string>> HistoryFindings() const {
    std::vector<std::tuple<std::string, std::string, std::string>> out;
    for (const auto& [m, j] : On("nianbao.findings")) {
      const std::string rule = j["rule"];
      if (rule.rfind("history.", 0) == 0) out.emplace_back(m.key, rule, HeaderOf(m, "event"));
    }
    return out;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  boost::asio::thread_pool cpu_{2};
  AckingSink sink_;
  testing::MemoryLedger ledger_;
  testing::MemoryHistory history_;
  std::unique_ptr<StatusUpdater> updater_;
};

const std::string kUrl2019 = "http://qs.gov.cn/ndbg/2019.html";
const std::string kUrl2020 = "http://qs.gov.cn/ndbg/2020.html";
const std::string kUrl2021 = "http://qs.gov.cn/ndbg/2021.html";

TEST_F(HistoryUpdaterTest, TheLaterYearsRecordCarriesThePairsFindings) {
  Deliver("qingshi_2020.txt", kUrl2020);
  Deliver("qingshi_2021_faulty.txt", kUrl2021);
  ASSERT_EQ(sink_.batches.size(), 2u);
  const std::string id2021 = parser::ReportIdForUrl(kUrl2021);
  auto found = HistoryFindings();
  // 二、上年结转 其他 and 总计 against 2020's 四 (parser/history_test.cc), and section 五 copied.
  int carried = 0, copied = 0;
  for (const auto& [key, rule, event] : found) {
    EXPECT_EQ(key, id2021);
    EXPECT_EQ(event, "report.published");
    carried += rule == "history.carried_over";
    copied += rule == "history.text_copied";
  }
  EXPECT_EQ(carried, 2);
  EXPECT_EQ(copied, 1);
  // Both years are in the history, under one key (东山县青石镇人民政府 and 青石镇人民政府).
  EXPECT_EQ(history_.years.size(), 2u);
  EXPECT_TRUE(history_.GetYear("s", "青石镇人民政府", 2021).value().has_value());
}

TEST_F(HistoryUpdaterTest, WhenTheEarlierYearComesSecondItsBatchCarriesTheLaterYearsFindings) {
  Deliver("qingshi_2021_faulty.txt", kUrl2021);
  EXPECT_TRUE(HistoryFindings().empty());
  Deliver("qingshi_2020.txt", kUrl2020);
  ASSERT_EQ(sink_.batches.size(), 2u);
  const std::string id2021 = parser::ReportIdForUrl(kUrl2021);
  auto found = HistoryFindings();
  ASSERT_EQ(found.size(), 3u);
  for (const auto& [key, rule, event] : found) {
    EXPECT_EQ(key, id2021) << rule;
    EXPECT_EQ(event, "findings.across_years");
  }
  // In 2020's batch, naming 2021's record and the version it belongs to.
  const auto& batch = *sink_.batches[1];
  EXPECT_EQ(batch.messages[0].key, parser::ReportIdForUrl(kUrl2020));
  for (const auto& [m, j] : On("nianbao.findings")) {
    if (HeaderOf(m, "event") != "findings.across_years") continue;
    EXPECT_EQ(j["report_id"], id2021);
    EXPECT_EQ(j["report_version"], 1);
    EXPECT_EQ(j["year"], 2021);
    EXPECT_EQ(j["source_url"], kUrl2021);
    EXPECT_EQ(HeaderOf(m, "ce_type"), "cn.gov.nianbao.finding");
  }
}

TEST_F(HistoryUpdaterTest, AConsistentPairIsQuietInEitherOrder) {
  Deliver("qingshi_2021.txt", kUrl2021);
  Deliver("qingshi_2020.txt", kUrl2020);
  Deliver("qingshi_2019.txt", kUrl2019);
  EXPECT_EQ(sink_.batches.size(), 3u);
  EXPECT_TRUE(HistoryFindings().empty());
}

TEST_F(HistoryUpdaterTest, AnAliasJoinsTwoNamesOfOneBody) {
  // 白河镇's 2020 report is qingshi_2020_faulty under another name: without an alias it is
  // another organisation, and nothing is compared.
  Deliver("qingshi_2019.txt", kUrl2019);
  Deliver("baihe_2020.txt", "http://qs.gov.cn/ndbg/baihe.html");
  EXPECT_TRUE(HistoryFindings().empty());

  StatusUpdaterOptions o;
  o.organization_aliases["s"]["白河镇人民政府"] = "东山县青石镇人民政府";
  history_ = testing::MemoryHistory{};
  ledger_ = testing::MemoryLedger{};
  sink_.batches.clear();
  Make(o);
  Deliver("qingshi_2019.txt", kUrl2019);
  Deliver("baihe_2020.txt", "http://qs.gov.cn/ndbg/baihe.html");
  int carried = 0;
  for (const auto& [key, rule, event] : HistoryFindings())
    carried += rule == "history.carried_over";
  EXPECT_EQ(carried, 2);
  EXPECT_TRUE(history_.GetYear("s", "青石镇人民政府", 2020).value().has_value());
}

TEST_F(HistoryUpdaterTest, AMissingReportIsSaidOnceAfterTheDeadlineAndGrace) {
  Deliver("qingshi_2021.txt", kUrl2021);  // a town: its 2022 report is due 2023-01-31
  sink_.batches.clear();
  updater_->SweepMissing("s", Day(2023, 1, 10));  // the first watch of the source
  updater_->SweepMissing("s", Day(2023, 2, 14));  // the deadline + 14 days: not yet
  RunUntilIdle();
  EXPECT_TRUE(On("nianbao.sources").empty());
  updater_->SweepMissing("s", Day(2023, 2, 15));
  RunUntilIdle();
  auto events = On("nianbao.sources");
  ASSERT_EQ(events.size(), 1u);
  const auto& [m, j] = events[0];
  EXPECT_EQ(m.key, "s");
  EXPECT_EQ(HeaderOf(m, "event"), "report.missing");
  EXPECT_EQ(HeaderOf(m, "schema"), "nianbao.missing.v1");
  EXPECT_EQ(HeaderOf(m, "ce_type"), "cn.gov.nianbao.report.missing");
  EXPECT_EQ(HeaderOf(m, "ce_source"), "nianbao/s");
  EXPECT_EQ(j["organization"], "青石镇人民政府");
  EXPECT_EQ(j["organization_key"], "青石镇人民政府");
  EXPECT_EQ(j["year"], 2022);
  EXPECT_EQ(j["deadline"], "2023-01-31");
  EXPECT_EQ(j["last_report"]["report_id"], parser::ReportIdForUrl(kUrl2021));
  EXPECT_EQ(j["last_report"]["year"], 2021);
  // Acknowledged: recorded as sent, and never said again.
  auto row = history_.GetMissing("s", "青石镇人民政府", 2022).value();
  ASSERT_TRUE(row.has_value());
  EXPECT_TRUE(row->sent);
  updater_->SweepMissing("s", Day(2023, 6, 1));
  RunUntilIdle();
  EXPECT_EQ(On("nianbao.sources").size(), 1u);
}

TEST_F(HistoryUpdaterTest, TheSweepWaitsUntilNoPageOfTheSourceIsOnItsWay) {
  Deliver("qingshi_2021.txt", kUrl2021);
  updater_->SweepMissing("s", Day(2023, 1, 10));
  // A page of the source still being fetched (it could be the report on 2022), and one of
  // another source.
  JourneyId open = updater_->Planned("s", "http://qs.gov.cn/ndbg/2022.html");
  ASSERT_TRUE(updater_->TryStart(open));
  JourneyId other = updater_->Planned("t", "http://t.gov.cn/a.html");
  ASSERT_TRUE(updater_->TryStart(other));
  updater_->SweepMissing("s", Day(2023, 3, 1));
  io_.run_for(5ms);
  EXPECT_TRUE(On("nianbao.sources").empty());
  updater_->Ended(open, PageStatus::kFailed, "timeout");
  io_.run_for(5ms);
  EXPECT_EQ(On("nianbao.sources").size(), 1u);  // the other source's page does not hold it
  updater_->Ended(other, PageStatus::kFailed, "timeout");
}

TEST_F(HistoryUpdaterTest, AMissingReportNotAcknowledgedIsSentAgainUnderTheSameId) {
  Deliver("qingshi_2021.txt", kUrl2021);
  updater_->SweepMissing("s", Day(2023, 1, 10));
  sink_.full = true;
  updater_->SweepMissing("s", Day(2023, 3, 1));
  RunUntilIdle();
  auto row = history_.GetMissing("s", "青石镇人民政府", 2022).value();
  ASSERT_TRUE(row.has_value());  // written ahead
  EXPECT_FALSE(row->sent);
  sink_.full = false;
  sink_.batches.clear();
  updater_->SweepMissing("s", Day(2023, 3, 2));
  RunUntilIdle();
  ASSERT_EQ(On("nianbao.sources").size(), 1u);
  EXPECT_TRUE(history_.GetMissing("s", "青石镇人民政府", 2022).value()->sent);
}

TEST_F(HistoryUpdaterTest, AYearPastDueBeforeTheFirstWatchIsNotReportedUnlessAsked) {
  Deliver("qingshi_2021.txt", kUrl2021);
  updater_->SweepMissing("s", Day(2023, 3, 1));  // first watched after the 2022 report's due
  RunUntilIdle();
  for (const auto& [m, j] : On("nianbao.sources")) ADD_FAILURE() << m.value;

  StatusUpdaterOptions o;
  o.missing.before_watch = true;
  history_.watched.clear();
  Make(o);
  updater_->SweepMissing("s", Day(2023, 3, 1));
  RunUntilIdle();
  EXPECT_EQ(On("nianbao.sources").size(), 1u);
}

TEST_F(HistoryUpdaterTest, AReportAfterItsMissingEventCarriesFoundLateOnce) {
  Deliver("qingshi_2020.txt", kUrl2020);
  history_.missing[{"s", "青石镇人民政府", 2021}] =
      MissingReport{"s", "青石镇人民政府", "东山县青石镇人民政府", 2021, "2022-01-31", true, false};
  Deliver("qingshi_2021.txt", kUrl2021);
  auto events = On("nianbao.sources");
  ASSERT_EQ(events.size(), 1u);
  const auto& [m, j] = events[0];
  EXPECT_EQ(HeaderOf(m, "event"), "report.found_late");
  EXPECT_EQ(HeaderOf(m, "schema"), "nianbao.found_late.v1");
  EXPECT_EQ(m.key, "s");
  EXPECT_EQ(j["year"], 2021);
  EXPECT_EQ(j["deadline"], "2022-01-31");
  EXPECT_EQ(j["report_id"], parser::ReportIdForUrl(kUrl2021));
  EXPECT_EQ(j["url"], kUrl2021);
  // In the report's own batch, and remembered once delivered.
  EXPECT_EQ(sink_.batches.back()->messages[0].key, parser::ReportIdForUrl(kUrl2021));
  EXPECT_TRUE(history_.GetMissing("s", "青石镇人民政府", 2021).value()->found_late);
  // A revision of the report is not found late again.
  Deliver("qingshi_2021_faulty.txt", kUrl2021);
  EXPECT_EQ(On("nianbao.sources").size(), 1u);
}

TEST_F(HistoryUpdaterTest, AReportReadAgainWithTheSameContentEntersTheHistoryQuietly) {
  // As after the upgrade of the state to the memory across years: a delivered report whose
  // year is not kept is read again (other bytes, the same report).
  Deliver("qingshi_2020.txt", kUrl2020);
  history_.years.clear();
  FetchedPage p = testing::TextPage("s", kUrl2020, HistoryText("qingshi_2020.txt") + "\n\n");
  p.delivered_sha256 = ledger_.rows[kUrl2020].delivered.sha256;
  JourneyId id = updater_->Planned(p.source, p.url);
  ASSERT_TRUE(updater_->TryStart(id));
  updater_->Fetched(id, std::move(p));
  RunUntilIdle();
  EXPECT_EQ(sink_.batches.size(), 1u);  // nothing published again
  EXPECT_EQ(updater_->stats().same_content, 1);
  auto kept = history_.GetYear("s", "青石镇人民政府", 2020).value();
  ASSERT_TRUE(kept.has_value());
  EXPECT_EQ(kept->report_id, parser::ReportIdForUrl(kUrl2020));
  EXPECT_EQ(kept->version, 1);
}

TEST(MissingReports, AGovernmentsConsolidatedReportIsDueOn31March) {
  parser::YearSummary county;
  county.organization = "东山县人民政府";
  county.organization_key = "东山县人民政府";
  county.year = 2021;
  YearEntry e{"s", "东山县人民政府", 2021, "r", "u", 1, parser::YearSummaryToJson(county).dump()};
  MissingPolicy policy;
  policy.grace_days = 0;
  const int64_t watched = std::chrono::system_clock::to_time_t(Day(2022, 1, 1));
  // The report on 2022 is due in 2023.
  EXPECT_TRUE(DueMissing({e}, {}, Day(2023, 3, 31), watched, policy).empty());
  auto due = DueMissing({e}, {}, Day(2023, 4, 1), watched, policy);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].deadline, "2023-03-31");
  EXPECT_EQ(due[0].year, 2022);
  EXPECT_EQ(due[0].organization, "东山县人民政府");
  // A town's report is due on 31 January.
  parser::YearSummary town = county;
  town.organization = "青石镇人民政府";
  e.summary = parser::YearSummaryToJson(town).dump();
  due = DueMissing({e}, {}, Day(2023, 2, 1), watched, policy);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].deadline, "2023-01-31");
  // A year that has its report is not due (only the year after the last one is), nor is one
  // whose report.missing was sent.
  YearEntry next = e;
  next.year = 2022;
  due = DueMissing({e, next}, {}, Day(2024, 2, 1), watched, policy);
  ASSERT_EQ(due.size(), 1u);
  EXPECT_EQ(due[0].year, 2023);
  MissingReport sent{"s", "东山县人民政府", "青石镇人民政府", 2022, "2023-01-31", true, false};
  EXPECT_TRUE(DueMissing({e}, {sent}, Day(2023, 2, 1), watched, policy).empty());
  // Written ahead but not acknowledged: due again.
  sent.sent = false;
  EXPECT_EQ(DueMissing({e}, {sent}, Day(2023, 2, 1), watched, policy).size(), 1u);
}

TEST(MissingReports, TheDayIsChinas) {
  // 2022-01-31 17:00 UTC is 1 February in Beijing.
  auto t = std::chrono::sys_days(std::chrono::year_month_day{
               std::chrono::year{2022}, std::chrono::month{1}, std::chrono::day{31}}) +
           17h;
  EXPECT_EQ(ChinaDate(t), "2022-02-01");
  EXPECT_EQ(ChinaDate(t - 2h), "2022-01-31");
}

}  // namespace
}  // namespace nianbao::ingest
