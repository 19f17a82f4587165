// A source's state in a StateStore (its due time, first watch, years, missing reports and
// portal column), for the tests that move it from one store to another whole: the changelog
// record of a source (tests/crawler/state_source_record_test.cc) and the next owner of its
// partition restoring it (tests/cluster/cluster_test.cc).
//
// Test code: plain values and functions of a store; they run on the thread the store is used
// on.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <optional>

#include "base/history.h"
#include "base/status.h"
#include "crawler/state_store.h"

namespace nianbao::testing {

// Source x as the node that owns it recorded it. The years sort by organisation key (乙 is
// U+4E59, before 甲, U+7532), then year: other_org, y2021, y2022.
struct SourceX {
  static constexpr int64_t kDue = 1700000000;
  static constexpr int64_t kWatchedSince = 1600000000;
  static constexpr char kColumn[] = "http://x.gov.cn/ndbg/\nhttp://x.gov.cn/ndbg2/";

  YearEntry y2021{"x",
                  "甲镇人民政府",
                  2021,
                  "r21",
                  "http://x.gov.cn/2021.html",
                  1,
                  R"({"overview":"一、总体情况"})"};
  YearEntry y2022{"x", "甲镇人民政府", 2022, "r22", "http://x.gov.cn/2022.html", 3, "{}"};
  YearEntry other_org{"x", "乙乡人民政府", 2022, "r22b", "http://x.gov.cn/b2022.html", 1, "{}"};
  MissingReport missing{"x", "丙镇人民政府", "丙镇人民政府", 2023, "2024-01-31", true, false};

  // Seven writes: the due time, the first watch, the three years, the missing report, the
  // column. The first failure, if any.
  Status WriteTo(crawler::StateStore& s) const {
    for (const Status& st :
         {s.PutSourceDue("x", kDue), s.WatchedSince("x", kWatchedSince).status(),
          s.PutYear(y2022, false), s.PutYear(y2021, false), s.PutYear(other_org, false),
          s.PutMissing(missing), s.PutSourceColumn("x", kColumn)}) {
      if (!st.ok()) return st;
    }
    return Status::Ok();
  }
};

// Source x as another node held it before (an older ownership: other values in every table),
// and that node's own source y.
inline Status WriteOldXAndY(crawler::StateStore& s) {
  for (const Status& st :
       {s.PutSourceDue("x", 99), s.WatchedSince("x", 50).status(),
        s.PutYear({"x", "丁镇人民政府", 2019, "r19", "http://x.gov.cn/2019.html", 1, "{}"}, false),
        s.PutMissing({"x", "丁镇人民政府", "丁镇人民政府", 2020, "2021-01-31", false, false}),
        s.PutSourceColumn("x", "http://x.gov.cn/old/"), s.PutSourceDue("y", 7),
        s.PutYear({"y", "戊镇人民政府", 2022, "ry", "http://y.gov.cn/1.html", 1, "{}"}, false)}) {
    if (!st.ok()) return st;
  }
  return Status::Ok();
}

// The old state of x that WriteOldXAndY wrote is all there, unchanged.
inline void ExpectOldX(crawler::StateStore& s) {
  EXPECT_EQ(s.GetSourceDue("x").value(), std::optional<int64_t>(99));
  EXPECT_EQ(s.WatchedSince("x", 1).value(), 50);
  auto years = s.YearsOf("x").value();
  ASSERT_EQ(years.size(), 1u);
  EXPECT_EQ(years[0].year, 2019);
  auto missing = s.MissingOf("x").value();
  ASSERT_EQ(missing.size(), 1u);
  EXPECT_EQ(missing[0].year, 2020);
  EXPECT_EQ(s.GetSourceColumn("x").value(), "http://x.gov.cn/old/");
}

inline void ExpectSameYear(const YearEntry& got, const YearEntry& want) {
  EXPECT_EQ(got.source, want.source);
  EXPECT_EQ(got.organization_key, want.organization_key);
  EXPECT_EQ(got.year, want.year);
  EXPECT_EQ(got.report_id, want.report_id);
  EXPECT_EQ(got.url, want.url);
  EXPECT_EQ(got.version, want.version);
  EXPECT_EQ(got.summary, want.summary);
}

}  // namespace nianbao::testing
