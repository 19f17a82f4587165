// The layout rebuild (parser/layout.h) on synthetic boxes: every expected block was written
// from the boxes placed here. Units are points, y down; the font is 10 pt unless said.
#include "parser/layout.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>
#include <vector>

namespace nianbao::parser {
namespace {

constexpr double kFs = 10;

// A run of `text` at (x, top of line y), each CJK glyph 10 pt wide, digits 5.
TextRun MakeRun(int page, double x, double y, const std::string& text, double fs = kFs) {
  double width = 0;
  for (unsigned char c : text) {
    if (c < 0x80)
      width += fs / 2;
    else if ((c & 0xC0) != 0x80)
      width += fs;
  }
  return TextRun{page, x, y, x + width, y + fs * 1.2, text, fs, false};
}

// The runs of `text` one glyph each, as WPS writes cells.
std::vector<TextRun> Glyphs(int page, double x, double y, const std::string& text) {
  std::vector<TextRun> out;
  for (size_t i = 0; i < text.size();) {
    size_t n = (static_cast<unsigned char>(text[i]) < 0x80) ? 1 : 3;
    TextRun r = MakeRun(page, x, y, text.substr(i, n));
    x = r.x1;
    out.push_back(r);
    i += n;
  }
  return out;
}

LayoutInput Pages(int n) {
  LayoutInput in;
  in.pages.assign(static_cast<size_t>(n), PageSize{595, 842});
  return in;
}

std::vector<std::string> Texts(const Row& row) {
  std::vector<std::string> out;
  for (const Cell& c : row) out.push_back(c.text);
  return out;
}

const Table* OnlyTable(const std::vector<Block>& blocks) {
  const Table* t = nullptr;
  for (const Block& b : blocks) {
    if (b.kind != Block::Kind::kTable) continue;
    EXPECT_EQ(t, nullptr) << "more than one table";
    t = &b.table;
  }
  return t;
}

TEST(Layout, PageNumbersInTheirShapes) {
  EXPECT_TRUE(IsPageNumber("- 3 -"));
  EXPECT_TRUE(IsPageNumber("—12—"));
  EXPECT_TRUE(IsPageNumber("第 3 页"));
  EXPECT_TRUE(IsPageNumber("第3页 共12页"));
  EXPECT_TRUE(IsPageNumber("3/12"));
  EXPECT_TRUE(IsPageNumber("７"));
  EXPECT_FALSE(IsPageNumber("2021年"));
  EXPECT_FALSE(IsPageNumber("一、总体情况"));
  EXPECT_FALSE(IsPageNumber(""));
}

TEST(Layout, ParagraphsByIndentAndShortLines) {
  LayoutInput in = Pages(1);
  // Margin at x=50, right edge at x=250 (20 glyphs). The first paragraph is indented two
  // glyphs and runs over two lines; the second opens indented again on the next line.
  in.runs.push_back(MakeRun(0, 70, 100, "一二三四五六七八九十一二三四五六七八"));  // to x=250
  in.runs.push_back(MakeRun(0, 50, 118, "二十字"));                                // short: ends it
  in.runs.push_back(MakeRun(0, 70, 136, "第二段开始"));
  auto blocks = BuildBlocks(in);
  ASSERT_EQ(blocks.size(), 2u);
  EXPECT_EQ(blocks[0].text, "一二三四五六七八九十一二三四五六七八二十字");
  EXPECT_EQ(blocks[1].text, "第二段开始");
}

TEST(Layout, RunsOfOneGlyphJoinIntoOneCellAndLatinWordsKeepTheirSpace) {
  LayoutInput in = Pages(1);
  for (const TextRun& r : Glyphs(0, 50, 100, "本年新收申请")) in.runs.push_back(r);
  // "2021" then 年 a quarter em apart (the automatic space between scripts): no space.
  in.runs.push_back(MakeRun(0, 50, 130, "2021"));
  in.runs.push_back(MakeRun(0, 50 + 20 + 2.5, 130, "年"));
  // Two Latin words with a space between them.
  in.runs.push_back(MakeRun(0, 50, 160, "PDF"));
  in.runs.push_back(MakeRun(0, 50 + 15 + 3, 160, "export"));
  auto blocks = BuildBlocks(in);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].text, "本年新收申请");
  EXPECT_EQ(blocks[1].text, "2021年");
  EXPECT_EQ(blocks[2].text, "PDF export");
}

TEST(Layout, LinesByBaselineWithJitter) {
  LayoutInput in = Pages(1);
  // One line whose runs stand 1 pt apart vertically (a font change), then the next line.
  in.runs.push_back(MakeRun(0, 50, 100, "甲乙"));
  in.runs.push_back(MakeRun(0, 70, 101, "丙丁"));
  in.runs.push_back(MakeRun(0, 90, 99.5, "戊"));
  auto blocks = BuildBlocks(in);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "甲乙丙丁戊");
}

// The application table's shape: a header line, then rows of a label and figures in columns
// at x = 300, 340, 380; one label broken over two lines around its figures (不予 / 公开).
void AddTable(LayoutInput* in, int page, double top, bool header) {
  double y = top;
  if (header) {
    in->runs.push_back(MakeRun(page, 60, y, "信息内容"));
    in->runs.push_back(MakeRun(page, 290, y, "自然人"));
    in->runs.push_back(MakeRun(page, 330, y, "企业"));
    in->runs.push_back(MakeRun(page, 370, y, "总计"));
    y += 30;
  }
  in->runs.push_back(MakeRun(page, 60, y, "本年新收"));
  in->runs.push_back(MakeRun(page, 300, y, "14"));
  in->runs.push_back(MakeRun(page, 340, y, "3"));
  in->runs.push_back(MakeRun(page, 380, y, "17"));
  y += 30;
  in->runs.push_back(MakeRun(page, 60, y - 7, "不予"));  // above the figures' line
  in->runs.push_back(MakeRun(page, 300, y, "1"));
  in->runs.push_back(MakeRun(page, 340, y, "0"));
  in->runs.push_back(MakeRun(page, 380, y, "1"));
  in->runs.push_back(MakeRun(page, 60, y + 7, "公开"));  // below it
}

TEST(Layout, TableRowsColumnsAndALabelOverTwoLines) {
  LayoutInput in = Pages(1);
  in.runs.push_back(MakeRun(0, 50, 40, "三、收到和处理政府信息公开申请情况"));
  AddTable(&in, 0, 70, true);
  in.runs.push_back(MakeRun(0, 50, 200, "四、政府信息公开行政复议、行政诉讼情况"));
  auto blocks = BuildBlocks(in);
  ASSERT_EQ(blocks.size(), 3u);
  EXPECT_EQ(blocks[0].kind, Block::Kind::kParagraph);
  EXPECT_EQ(blocks[2].kind, Block::Kind::kParagraph);
  const Table* t = OnlyTable(blocks);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->rows.size(), 3u);
  EXPECT_EQ(Texts(t->rows[0]), (std::vector<std::string>{"信息内容", "自然人", "企业", "总计"}));
  EXPECT_EQ(Texts(t->rows[1]), (std::vector<std::string>{"本年新收", "14", "3", "17"}));
  EXPECT_EQ(Texts(t->rows[2]), (std::vector<std::string>{"不予\n公开", "1", "0", "1"}));
}

TEST(Layout, AnEmptyCellStaysInItsColumn) {
  LayoutInput in = Pages(1);
  AddTable(&in, 0, 70, true);
  // A row whose middle figure is blank.
  in.runs.push_back(MakeRun(0, 60, 190, "上年结转"));
  in.runs.push_back(MakeRun(0, 300, 190, "2"));
  in.runs.push_back(MakeRun(0, 380, 190, "2"));
  auto blocks = BuildBlocks(in);
  const Table* t = OnlyTable(blocks);
  ASSERT_NE(t, nullptr);
  ASSERT_EQ(t->rows.size(), 4u);
  EXPECT_EQ(Texts(t->rows[3]), (std::vector<std::string>{"上年结转", "2", "", "2"}));
}

TEST(Layout, ATableGoesOnAcrossAPageBreakAndPageFurnitureIsDropped) {
  LayoutInput in = Pages(3);
  for (int p = 0; p < 3; ++p) {
    in.runs.push_back(MakeRun(p, 200, 20, "青禾县自然资源局"));                    // running header
    in.runs.push_back(MakeRun(p, 290, 815, "- " + std::to_string(p + 1) + " -"));  // page number
  }
  AddTable(&in, 0, 700, true);  // header and two rows at the foot of page 1
  AddTable(&in, 1, 60, false);  // two more rows at the head of page 2
  in.runs.push_back(MakeRun(2, 50, 60, "五、存在的主要问题及改进情况"));
  auto blocks = BuildBlocks(in);
  const Table* t = OnlyTable(blocks);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rows.size(), 5u);
  for (const Block& b : blocks) {
    if (b.kind != Block::Kind::kParagraph) continue;
    EXPECT_EQ(b.text.find("青禾县自然资源局"), std::string::npos) << b.text;
    EXPECT_EQ(b.text.find("- "), std::string::npos) << b.text;
  }
  ASSERT_FALSE(blocks.empty());
  EXPECT_EQ(blocks.back().text, "五、存在的主要问题及改进情况");
}

TEST(Layout, ARuledLineKeepsALabelInItsOwnRow) {
  // Without rules, a label line midway between two rows joins the nearer one; with a rule
  // between it and that row, it joins the row on its side of the rule.
  LayoutInput in = Pages(1);
  in.runs.push_back(MakeRun(0, 60, 100, "甲行"));
  in.runs.push_back(MakeRun(0, 300, 100, "1"));
  in.runs.push_back(MakeRun(0, 340, 100, "2"));
  in.runs.push_back(MakeRun(0, 60, 124, "乙行上半"));  // 24 pt under 甲, 26 over 乙
  in.runs.push_back(MakeRun(0, 60, 150, "乙行"));
  in.runs.push_back(MakeRun(0, 300, 150, "3"));
  in.runs.push_back(MakeRun(0, 340, 150, "4"));
  auto blocks = BuildBlocks(in);
  const Table* t = OnlyTable(blocks);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rows[0][0].text, "甲行\n乙行上半");

  in.rules.push_back(RuleSegment{0, 55, 120, 400, 120});  // the border under 甲's row
  in.rules.push_back(RuleSegment{0, 55, 90, 55, 180});    // the table's left border
  blocks = BuildBlocks(in);
  t = OnlyTable(blocks);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->rows[0][0].text, "甲行");
  EXPECT_EQ(t->rows[1][0].text, "乙行上半\n乙行");
}

TEST(Layout, HostileBoxesAreIgnored) {
  LayoutInput in = Pages(1);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  in.runs.push_back(TextRun{0, nan, nan, nan, nan, "非数", kFs, false});
  in.runs.push_back(TextRun{5, 0, 0, 10, 10, "无此页", kFs, false});
  in.runs.push_back(TextRun{-1, 0, 0, 10, 10, "负页", kFs, false});
  in.runs.push_back(TextRun{0, 10, 10, 0, 0, "倒置", kFs, false});
  const double inf = std::numeric_limits<double>::infinity();
  in.runs.push_back(TextRun{0, -inf, 0, inf, 10, "无穷", kFs, false});
  in.runs.push_back(TextRun{0, 50, 50, 60, 62, "  ", kFs, false});
  in.runs.push_back(MakeRun(0, 50, 100, "正文"));
  auto blocks = BuildBlocks(in);
  ASSERT_EQ(blocks.size(), 1u);
  EXPECT_EQ(blocks[0].text, "正文");
  EXPECT_TRUE(BuildBlocks(LayoutInput{}).empty());
}

}  // namespace
}  // namespace nianbao::parser
