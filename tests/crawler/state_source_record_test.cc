// The changelog record of a source's state (StateStore::ExportSource / ImportSource): every row
// of the tables keyed by source (source_due, source_watch, years, missing) and the portal
// column go from one store to another whole, replace what the other held for that source, and
// a record of another shape changes nothing. Also the write hook that tells the cluster which
// URL or source to send.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "crawler/state_store.h"
#include "tests/crawler/source_state_fixture.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::crawler {
namespace {

using Kind = StateStore::WrittenKind;
using nianbao::testing::ExpectOldX;
using nianbao::testing::ExpectSameYear;

class SourceRecordTest : public ::testing::Test {
 protected:
  std::unique_ptr<StateStore> Open(const std::string& name) {
    auto s = StateStore::Open(root_.Path(name));
    EXPECT_TRUE(s.ok()) << s.status().ToString();
    return s.ok() ? std::move(s).value() : nullptr;
  }

  // Source x as node A recorded it.
  void WriteX(StateStore& s) { ASSERT_TRUE(x_.WriteTo(s).ok()); }
  // Source x as node B held it before (an older ownership), and its own source y.
  static void WriteOldXAndY(StateStore& s) { ASSERT_TRUE(testing::WriteOldXAndY(s).ok()); }
  std::string ExportX(StateStore& s) {
    auto record = s.ExportSource("x");
    EXPECT_TRUE(record.ok()) << record.status().ToString();
    EXPECT_TRUE(record.ok() && record.value().has_value());
    return record.ok() && record.value() ? *record.value() : std::string();
  }

  nianbao::testing::ScratchDir root_{"source-record"};
  const nianbao::testing::SourceX x_;
};

TEST_F(SourceRecordTest, EveryTableOfASourceMovesWholeToAnotherStore) {
  auto a = Open("a");
  WriteX(*a);
  ASSERT_TRUE(a->PutSourceDue("y", 5).ok());  // another source: not in x's record
  const std::string record = ExportX(*a);

  auto b = Open("b");
  ASSERT_TRUE(b->ImportSource(record).ok());
  EXPECT_EQ(b->GetSourceDue("x").value(), std::optional<int64_t>(1700000000));
  EXPECT_EQ(b->WatchedSince("x", 1800000000).value(), 1600000000);
  auto years = b->YearsOf("x");
  ASSERT_TRUE(years.ok());
  // By organisation key (乙 is U+4E59, before 甲, U+7532), then year.
  ASSERT_EQ(years.value().size(), 3u);
  ExpectSameYear(years.value()[0], x_.other_org);
  ExpectSameYear(years.value()[1], x_.y2021);
  ExpectSameYear(years.value()[2], x_.y2022);
  auto missing = b->GetMissing("x", "丙镇人民政府", 2023);
  ASSERT_TRUE(missing.ok() && missing.value());
  EXPECT_EQ(missing.value()->organization, "丙镇人民政府");
  EXPECT_EQ(missing.value()->deadline, "2024-01-31");
  EXPECT_TRUE(missing.value()->sent);
  EXPECT_FALSE(missing.value()->found_late);
  EXPECT_EQ(b->GetSourceColumn("x").value(), "http://x.gov.cn/ndbg/\nhttp://x.gov.cn/ndbg2/");
  EXPECT_FALSE(b->GetSourceDue("y").value().has_value()) << "y's due time is not x's";
}

TEST_F(SourceRecordTest, AnImportReplacesWhatTheStoreHeldForThatSourceOnly) {
  auto a = Open("a");
  ASSERT_TRUE(a->PutSourceDue("x", 1700000000).ok());
  ASSERT_TRUE(a->PutYear(x_.y2022, false).ok());  // no watch, no missing, no column
  const std::string record = ExportX(*a);

  auto b = Open("b");
  WriteOldXAndY(*b);
  ASSERT_TRUE(b->ImportSource(record).ok());
  EXPECT_EQ(b->GetSourceDue("x").value(), std::optional<int64_t>(1700000000));
  auto years = b->YearsOf("x").value();
  ASSERT_EQ(years.size(), 1u) << "the 2019 entry B held is gone";
  ExpectSameYear(years[0], x_.y2022);
  EXPECT_TRUE(b->MissingOf("x").value().empty());
  EXPECT_EQ(b->GetSourceColumn("x").value(), "");
  // No watch in the record: B's row went, so the next watch starts now.
  EXPECT_EQ(b->WatchedSince("x", 1800000000).value(), 1800000000);
  // Source y is untouched.
  EXPECT_EQ(b->GetSourceDue("y").value(), std::optional<int64_t>(7));
  EXPECT_EQ(b->YearsOf("y").value().size(), 1u);
}

TEST_F(SourceRecordTest, ARecordOfAnotherShapeIsRefusedNamingWhatAndChangesNothing) {
  auto a = Open("a");
  WriteX(*a);
  const nlohmann::json good = nlohmann::json::parse(ExportX(*a));
  auto b = Open("b");
  WriteOldXAndY(*b);

  struct Case {
    std::string what;
    std::string record;
    std::string message;  // a part of the error's message
  };
  std::vector<Case> cases;
  cases.push_back({"not JSON", "{\"source\": ", "not a source's state"});
  cases.push_back({"no source", R"({"years": []})", "not a source's state"});
  nlohmann::json j = good;
  j["years"][0].erase("summary");
  cases.push_back({"a row without a column", j.dump(), "years column summary"});
  j = good;
  j["years"][1]["year"] = "2022";
  cases.push_back({"a column of another type", j.dump(), "years column year"});
  j = good;
  j["missing"] = {{"organization_key", "丙镇人民政府"}};
  cases.push_back({"a table that is not a list of rows", j.dump(), "missing is not a list"});
  j = good;
  j["column"] = 5;
  cases.push_back({"a column that is not text", j.dump(), "column"});
  // Well formed, but two rows of one key: the last table fails after the others were
  // replaced, and the whole import rolls back.
  j = good;
  j["missing"].push_back(j["missing"][0]);
  cases.push_back({"two rows of one key", j.dump(), "write missing of source x"});

  for (const auto& c : cases) {
    SCOPED_TRACE(c.what);
    Status s = b->ImportSource(c.record);
    EXPECT_FALSE(s.ok());
    EXPECT_NE(s.message().find(c.message), std::string::npos) << s.message();
    ExpectOldX(*b);
  }
  EXPECT_EQ(b->GetSourceDue("y").value(), std::optional<int64_t>(7));
}

TEST_F(SourceRecordTest, ASourceWithNothingRecordedHasNoRecord) {
  auto a = Open("a");
  auto none = a->ExportSource("nobody");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  // One row of any of the tables is enough for a record.
  ASSERT_TRUE(a->PutMissing(x_.missing).ok());
  auto one = a->ExportSource("x");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one.value().has_value());
}

TEST_F(SourceRecordTest, EveryWriteOfASourceIsToldOnceAndAnImportIsNot) {
  auto a = Open("a");
  std::vector<std::pair<Kind, std::string>> told;
  a->SetOnWritten([&](Kind kind, const std::string& key) { told.emplace_back(kind, key); });
  WriteX(*a);
  // WriteX: the due time, the first watch, three years, a missing report, the column.
  const std::vector<std::pair<Kind, std::string>> seven(7, {Kind::kSource, "x"});
  EXPECT_EQ(told, seven);
  told.clear();
  ASSERT_TRUE(a->WatchedSince("x", 1700000000).ok());
  EXPECT_TRUE(told.empty()) << "a watch already recorded writes nothing";
  UrlState u;
  u.url = "http://x.gov.cn/ndbg/";
  u.source = "x";
  u.kind = "list";
  ASSERT_TRUE(a->Put(u).ok());
  EXPECT_EQ(told, (std::vector<std::pair<Kind, std::string>>{{Kind::kUrl, u.url}}));
  told.clear();

  auto b = Open("b");
  std::vector<std::pair<Kind, std::string>> b_told;
  b->SetOnWritten([&](Kind kind, const std::string& key) { b_told.emplace_back(kind, key); });
  ASSERT_TRUE(b->ImportSource(ExportX(*a)).ok());
  EXPECT_TRUE(b_told.empty()) << "a restore is not a write to send back";
}

}  // namespace
}  // namespace nianbao::crawler
