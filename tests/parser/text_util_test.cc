// Label normalisation and the reading of one cell: the spellings real reports use.
#include "parser/text_util.h"

#include <gtest/gtest.h>

#include <iterator>
#include <random>
#include <string>
#include <utility>

#include "parser/charset.h"

namespace nianbao::parser {
namespace {

// Up to 11 of `pieces` (and, one time in `raw_one_in`, a random byte instead): the strings the
// randomised comparisons below feed to both paths.
template <size_t N>
std::string RandomText(std::mt19937& rng, const char* (&pieces)[N], unsigned raw_one_in) {
  std::string s;
  for (int j = static_cast<int>(rng() % 12); j > 0; --j) {
    if (rng() % raw_one_in == 0) {
      s.push_back(static_cast<char>(rng() % 256));
    } else {
      s += pieces[rng() % N];
    }
  }
  return s;
}

// [begin, end) of `u` without its spaces at both ends, by the code-point definition.
std::pair<size_t, size_t> TrimmedRange(const std::u32string& u) {
  size_t b = 0, e = u.size();
  while (b < e && IsSpace(u[b])) ++b;
  while (e > b && IsSpace(u[e - 1])) --e;
  return {b, e};
}

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

TEST(Utf8, InvalidSequencesDecodeAsTheyAlwaysDid) {
  // A bad continuation byte replaces the lead byte alone; decoding goes on after it.
  EXPECT_EQ(ToU32("\xe5\x41zz"), U"\uFFFDAzz");
  EXPECT_EQ(ToU32("\xe5\xb9\x41z"), U"\uFFFD\uFFFDAz");
  // A cut sequence at the end ends the text, whatever follows its lead byte.
  EXPECT_EQ(ToU32("ab\xf0\x9f"), U"ab\uFFFD");
  // Surrogates and overlong forms decode to their values and are replaced when encoded.
  EXPECT_EQ(ToUtf8(ToU32("\xed\xa0\x80")), "\xef\xbf\xbd");
  EXPECT_EQ(ToUtf8(ToU32("\xc0\x80x")), std::string("\0x", 2));
  EXPECT_EQ(ToUtf8(U"\U0001F600"), "\xf0\x9f\x98\x80");
}

TEST(Spaces, TrimCollapseAndRemove) {
  EXPECT_EQ(TrimSpaces("\u3000\u00a0 二、 主动公开 \t\ufeff"), "二、 主动公开");
  EXPECT_EQ(TrimSpaces(" \u3000 "), "");
  EXPECT_EQ(CollapseSpaces("  结果\u3000\u3000维持 \n 合计  "), "结果 维持 合计");
  EXPECT_EQ(RemoveSpaces("五龙口镇人民政府 2020 年\u2002年度报 告"),
            "五龙口镇人民政府2020年年度报告");
}

// The filters decode and encode in one pass (text_util.cc, Rewrite); they must give what the
// two-step path gives (every code point, then the filter, then UTF-8 again) on any bytes,
// invalid ones included. Random strings of the pieces that matter, from a fixed seed.
TEST(Spaces, OnePassFiltersMatchTheTwoStepPath) {
  auto two_step = [](std::string_view t, auto keep) {
    std::u32string kept;
    for (char32_t c : ToU32(t)) keep(c, kept);
    return ToUtf8(kept);
  };
  auto remove = [](char32_t c, std::u32string& o) {
    if (!IsSpace(c)) o.push_back(c);
  };
  const char* pieces[] = {
      " ",    "\t",       "\u3000",           "\u00a0",       "\ufeff",   "a",      "1",
      "年",   "\uff11",   "\u3014",           "\u3010",       "\u3002",   "\u200b", "\x80",
      "\xe4", "\xe4\xb8", "\xf0\x9f\x98\x80", "\xed\xa0\x80", "\xc0\x80", "\xf8",   "\xff"};
  std::mt19937 rng(19);
  for (int k = 0; k < 20000; ++k) {
    const std::string s = RandomText(rng, pieces, 4);
    std::u32string u = ToU32(s);
    auto [b, e] = TrimmedRange(u);
    ASSERT_EQ(TrimSpaces(s), ToUtf8(std::u32string_view(u).substr(b, e - b)))
        << ::testing::PrintToString(s);
    ASSERT_EQ(RemoveSpaces(s), two_step(s, remove)) << ::testing::PrintToString(s);
    std::u32string collapsed;
    bool pending = false;
    for (char32_t c : u) {
      if (IsSpace(c)) {
        pending = !collapsed.empty();
        continue;
      }
      if (pending) collapsed.push_back(U' ');
      pending = false;
      collapsed.push_back(c);
    }
    ASSERT_EQ(CollapseSpaces(s), ToUtf8(collapsed)) << ::testing::PrintToString(s);
    std::u32string normalized;
    for (char32_t c : u) {
      c = FoldWidth(c);
      if (c == U'〔' || c == U'［' || c == U'【') c = U'(';
      if (c == U'〕' || c == U'］' || c == U'】') c = U')';
      if (c == U'．' || c == U'。' || c == U'·') c = U'.';
      if (!IsSpace(c)) normalized.push_back(c);
    }
    ASSERT_EQ(NormalizeLabel(s), ToUtf8(normalized)) << ::testing::PrintToString(s);
  }
}

// The byte-level paths (text_util.cc: TrimSpaces and StripNumbering on well-formed text,
// TrimSpacesView, IsBlank, CodePointCount; charset.cc: well-formed UTF-8 copied as it is) must
// give what the code-point path gives, on any bytes. The reference below is StripNumbering as
// it was written on code points.
std::string StripNumberingOnCodePoints(std::string_view label) {
  auto numeral = [](char32_t c) {
    return (c >= U'0' && c <= U'9') ||
           std::u32string_view(U"一二三四五六七八九十").find(c) != std::u32string_view::npos;
  };
  std::u32string s = ToU32(label);
  size_t i = 0;
  for (;;) {
    size_t start = i;
    if (i < s.size() && s[i] == U'(') {
      size_t j = i + 1;
      while (j < s.size() && numeral(s[j])) ++j;
      if (j > i + 1 && j < s.size() && s[j] == U')') i = j + 1;
    }
    size_t j = i;
    while (j < s.size() && numeral(s[j])) ++j;
    if (j > i && j < s.size() && (s[j] == U'、' || s[j] == U'.' || s[j] == U',' || s[j] == U'，')) {
      i = j + 1;
    }
    if (i == start) break;
  }
  return ToUtf8(s.substr(i));
}

TEST(Utf8, ByteLevelPathsMatchTheCodePointPath) {
  const char* pieces[] = {" ",
                          "\t",
                          "\u3000",
                          "\u00a0",
                          "\ufeff",
                          "a",
                          "1",
                          "年",
                          "(",
                          ")",
                          "一",
                          "三",
                          "十",
                          "、",
                          ".",
                          ",",
                          "，",
                          "\uff11",
                          "\u200b",
                          "\xef\xbf\xbd",
                          "\x80",
                          "\xe4",
                          "\xe4\xb8",
                          "\xf0\x9f\x98\x80",
                          "\xed\xa0\x80",
                          "\xc0\x80",
                          "\xe0\x80\x80",
                          "\xf4\x90\x80\x80",
                          "\xf0\x9f\x98",
                          "\xf8",
                          "\xff"};
  std::mt19937 rng(1919);
  int well_formed_seen = 0;
  for (int k = 0; k < 30000; ++k) {
    const std::string s = RandomText(rng, pieces, 8);
    std::u32string u = ToU32(s);
    auto [b, e] = TrimmedRange(u);
    const std::string trimmed = ToUtf8(std::u32string_view(u).substr(b, e - b));
    ASSERT_EQ(TrimSpaces(s), trimmed) << ::testing::PrintToString(s);
    ASSERT_EQ(IsBlank(s), trimmed.empty()) << ::testing::PrintToString(s);
    ASSERT_EQ(CodePointCount(s), u.size()) << ::testing::PrintToString(s);
    const bool well_formed = ToUtf8(u) == s;
    ASSERT_EQ(IsWellFormedUtf8(s), well_formed) << ::testing::PrintToString(s);
    ASSERT_EQ(StripNumbering(s), StripNumberingOnCodePoints(s)) << ::testing::PrintToString(s);
    const std::string norm = NormalizeLabel(s);
    ASSERT_EQ(StripNumbering(norm), StripNumberingOnCodePoints(norm))
        << ::testing::PrintToString(s);
    if (well_formed) {
      ++well_formed_seen;
      ASSERT_EQ(std::string(TrimSpacesView(s)), trimmed) << ::testing::PrintToString(s);
      std::string_view body = s;  // the decoder drops a byte-order mark
      if (body.substr(0, 3) == "\ufeff") body.remove_prefix(3);
      ASSERT_EQ(DecodeToUtf8(s, "text/plain; charset=utf-8").utf8, SanitizeUtf8(body))
          << ::testing::PrintToString(s);
    }
  }
  // Both paths were taken many times.
  EXPECT_GT(well_formed_seen, 3000);
  EXPECT_LT(well_formed_seen, 27000);
}

}  // namespace
}  // namespace nianbao::parser
