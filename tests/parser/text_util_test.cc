// Label normalisation and the reading of one cell: the spellings real reports use.
#include "parser/text_util.h"

#include <gtest/gtest.h>

namespace nianbao::parser {
namespace {

TEST(NormalizeLabel, FoldsWidthSpacesAndLineBreaks) {
  EXPECT_EQ(NormalizeLabel("（三）不予\n以公\n开"), "(三)不予以公开");
  EXPECT_EQ(NormalizeLabel("１．属于国家秘密"), "1.属于国家秘密");
  EXPECT_EQ(NormalizeLabel("结 果 维 持"), "结果维持");
  EXPECT_EQ(NormalizeLabel("\u3000第二十条第(八)项\u00a0"), "第二十条第(八)项");
}

TEST(StripNumbering, RemovesEveryNumberingStyle) {
  EXPECT_EQ(StripNumbering("(一)予以公开"), "予以公开");
  EXPECT_EQ(StripNumbering("四、结转下年度继续办理"), "结转下年度继续办理");
  EXPECT_EQ(StripNumbering("1、属于国家秘密"), "属于国家秘密");
  EXPECT_EQ(StripNumbering("5.要求行政机关确认"), "要求行政机关确认");
  EXPECT_EQ(StripNumbering("(三)1.属于国家秘密"), "属于国家秘密");
  EXPECT_EQ(StripNumbering("规章"), "规章");
  // A year is not numbering.
  EXPECT_EQ(StripNumbering("2020年"), "2020年");
}

TEST(ReadCell, CountsInAnyWidthWithSigns) {
  auto n = [](std::string_view s) { return ReadCell(s, CellUnit::kCount); };
  EXPECT_EQ(n("12").kind, CellReading::Kind::kNumber);
  EXPECT_EQ(n("12").value, 12);
  EXPECT_EQ(n("１２").value, 12);
  EXPECT_EQ(n(" 3 ").value, 3);
  EXPECT_EQ(n("-3").value, -3);
  EXPECT_EQ(n("－3").value, -3);
  EXPECT_EQ(n("+5").value, 5);
  EXPECT_EQ(n("1,234").value, 1234);
  EXPECT_EQ(n("12件").value, 12);
  EXPECT_EQ(n("1.5").kind, CellReading::Kind::kBad);  // a count is never a fraction
  EXPECT_EQ(n("约5").kind, CellReading::Kind::kBad);
  EXPECT_EQ(n("N/A").kind, CellReading::Kind::kBad);
  EXPECT_EQ(n("?").kind, CellReading::Kind::kBad);
  EXPECT_EQ(n("99999999999999999999").kind, CellReading::Kind::kBad);
}

TEST(ReadCell, EmptyMarksAreEmptyNeverZero) {
  for (std::string_view mark : {"", " ", "-", "—", "——", "/", "无", "\u00a0", "－"}) {
    CellReading r = ReadCell(mark, CellUnit::kCount);
    EXPECT_EQ(r.kind, CellReading::Kind::kEmpty) << mark;
  }
}

TEST(ReadCell, MoneyIsInWan) {
  auto wan = [](std::string_view s) { return ReadCell(s, CellUnit::kMoneyWan); };
  EXPECT_DOUBLE_EQ(wan("40万").value, 40);
  EXPECT_DOUBLE_EQ(wan("108万元").value, 108);
  EXPECT_DOUBLE_EQ(wan("251000元").value, 25.1);
  EXPECT_DOUBLE_EQ(wan("12.5").value, 12.5);
  EXPECT_DOUBLE_EQ(wan("０.５万元").value, 0.5);
  EXPECT_EQ(wan("十万").kind, CellReading::Kind::kBad);
  // A header in 元 makes bare numbers yuan.
  EXPECT_DOUBLE_EQ(ReadCell("50000", CellUnit::kMoneyYuan).value, 5);
  EXPECT_DOUBLE_EQ(ReadCell("3万元", CellUnit::kMoneyYuan).value, 3);
}

TEST(Utf8, RoundTripsAndReplacesInvalidBytes) {
  EXPECT_EQ(ToUtf8(ToU32("年度报告")), "年度报告");
  EXPECT_EQ(ToU32("a\xff"
                  "b"),
            U"a\uFFFDb");
  EXPECT_EQ(ToU32("\xe5\xb9"), U"\uFFFD");  // truncated sequence
}

}  // namespace
}  // namespace nianbao::parser
