// The plain-text reader on each table layout found in the seeds and in portals' text
// versions, and a 2021-form report in markdown pipe rows read end to end.
#include "parser/text_reader.h"

#include <gtest/gtest.h>

#include "tests/parser/test_util.h"

namespace nianbao::parser {
namespace {

std::vector<std::string> Texts(const Row& row) {
  std::vector<std::string> out;
  for (const auto& c : row) out.push_back(c.text);
  return out;
}

TEST(TextReader, OneCellPerLineWithContinuationLines) {
  // As seed 000: tab-led cells, blank lines between rows, a label broken over lines.
  Document d = ReadText(
      "三、收到和处理政府信息公开申请情况\n"
      "\t\n\t（三）不予\n以公\n开\n\t1、属于国家秘密\n\t0\n\t\n\n"
      "\t\n\t\n\t2、其他法律行政法规禁止公开\n\t0\n\n"
      "五、存在的主要问题及改进情况\n");
  ASSERT_EQ(d.blocks.size(), 3u);
  EXPECT_EQ(d.blocks[0].text, "三、收到和处理政府信息公开申请情况");
  ASSERT_EQ(d.blocks[1].kind, Block::Kind::kTable);
  const auto& rows = d.blocks[1].table.rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Texts(rows[0]),
            (std::vector<std::string>{"", "（三）不予\n以公\n开", "1、属于国家秘密", "0", ""}));
  EXPECT_EQ(Texts(rows[1]), (std::vector<std::string>{"", "", "2、其他法律行政法规禁止公开", "0"}));
  EXPECT_EQ(d.blocks[2].text, "五、存在的主要问题及改进情况");
}

TEST(TextReader, TabSeparatedRowsKeepEmptyCells) {
  Document d = ReadText("规章\t0\t0\t0\n\n规范性文件\t1\t\t3\n");
  ASSERT_EQ(d.blocks.size(), 1u);
  const auto& rows = d.blocks[0].table.rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Texts(rows[1]), (std::vector<std::string>{"规范性文件", "1", "", "3"}));
}

TEST(TextReader, PipeRowsAndRulesAreRead) {
  Document d = ReadText("| 信息内容 | 本年制发件数 |\n|---|---|\n| 规章 | 2 |\n");
  ASSERT_EQ(d.blocks.size(), 1u);
  const auto& rows = d.blocks[0].table.rows;
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(Texts(rows[1]), (std::vector<std::string>{"规章", "2"}));
  // A rule of tab-separated dashes, as in seed 003, is dropped too.
  Document d2 = ReadText("四、结转下年度继续办理\t0\t0\n-------------\t---\t---\n");
  ASSERT_EQ(d2.blocks.size(), 1u);
  EXPECT_EQ(d2.blocks[0].table.rows.size(), 1u);
}

TEST(TextReader, ParagraphsLoseMarkdownAndWordArtefacts) {
  Document d = ReadText(
      "- 1.思想认识有待加强。\n\n**一是加大信息公开力度。**按照要求\r\n"
      "[bookmark: _GoBack]2020年我镇\n");
  ASSERT_EQ(d.blocks.size(), 3u);
  EXPECT_EQ(d.blocks[0].text, "1.思想认识有待加强。");
  EXPECT_EQ(d.blocks[1].text, "一是加大信息公开力度。按照要求");
  EXPECT_EQ(d.blocks[2].text, "2020年我镇");
}

TEST(TextReader, RowThatSwallowedTheNextHeadingIsSplitByTheParser) {
  // Seed 001, lines 24-27: 规范性文件 lost its last cell and its line break.
  Document d = ReadText("\t规范性文件\n\t1\n\t1\n \t第二十条第（五）项\n\n\t行政许可\n\t11\n");
  ASSERT_EQ(d.blocks.size(), 1u);
  EXPECT_EQ(Texts(d.blocks[0].table.rows[0]),
            (std::vector<std::string>{"规范性文件", "1", "1", "第二十条第（五）项"}));
}

// A 2021-form report (国办公开办函〔2021〕30号) as a portal's text version with pipe rows.
// Section 三: 自然人 4 new, 1 carried over; outcomes 予以公开 2, 不予公开/第三方 1,
// 其他处理/逾期不补正 1, 其他处理/其他 1 -> （七）总计 5 = 4 + 1; nothing carried forward.
constexpr const char* k2021Report = R"(某某县自然资源局2021年政府信息公开工作年度报告

一、总体情况

2021年，我局主动公开政府信息86条。全年共收到政府信息公开申请4件。

二、主动公开政府信息情况

| 第二十条第（一）项 | | | |
| 信息内容 | 本年制发件数 | 本年废止件数 | 现行有效件数 |
| 规章 | 0 | 0 | 0 |
| 行政规范性文件 | 3 | 1 | 12 |
| 第二十条第（五）项 | | | |
| 信息内容 | 本年处理决定数量 | | |
| 行政许可 | 245 | | |
| 第二十条第（六）项 | | | |
| 信息内容 | 本年处理决定数量 | | |
| 行政处罚 | 17 | | |
| 行政强制 | 2 | | |
| 第二十条第（八）项 | | | |
| 信息内容 | 本年收费金额（单位：万元） | | |
| 行政事业性收费 | 12.5 | | |

三、收到和处理政府信息公开申请情况

| （本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和） | | 申请人情况 | | | | | | |
| | | 自然人 | 法人或其他组织 | | | | | 总计 |
| | | | 商业企业 | 科研机构 | 社会公益组织 | 法律服务机构 | 其他 | |
| 一、本年新收政府信息公开申请数量 | | 4 | 0 | 0 | 0 | 0 | 0 | 4 |
| 二、上年结转政府信息公开申请数量 | | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| 三、本年度办理结果 | （一）予以公开 | 2 | 0 | 0 | 0 | 0 | 0 | 2 |
| | （二）部分公开（区分处理的，只计这一情形，不计其他情形） | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | （三）不予公开 1.属于国家秘密 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 2.其他法律行政法规禁止公开 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 3.危及“三安全一稳定” | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 4.保护第三方合法权益 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | 5.属于三类内部事务信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 6.属于四类过程性信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 7.属于行政执法案卷 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 8.属于行政查询事项 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | （四）无法提供 1.本机关不掌握相关政府信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 2.没有现成信息需要另行制作 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 3.补正后申请内容仍不明确 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | （五）不予处理 1.信访举报投诉类申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 2.重复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 3.要求提供公开出版物 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 4.无正当理由大量反复申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | 5.要求行政机关确认或重新出具已获取信息 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | （六）其他处理 | 1.申请人无正当理由逾期不补正、行政机关不再处理其政府信息公开申请 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | | 2.申请人逾期未按收费通知要求缴纳费用、行政机关不再处理其政府信息公开申请 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |
| | | 3.其他 | 1 | 0 | 0 | 0 | 0 | 0 | 1 |
| | （七）总计 | 5 | 0 | 0 | 0 | 0 | 0 | 5 |
| 四、结转下年度继续办理 | | 0 | 0 | 0 | 0 | 0 | 0 | 0 |

四、政府信息公开行政复议、行政诉讼情况

| 行政复议 | | | | | 行政诉讼 | | | | | | | | | |
| 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 未经复议直接起诉 | | | | | 复议后起诉 | | | | |
| | | | | | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 | 结果维持 | 结果纠正 | 其他结果 | 尚未审结 | 总计 |
| 0 | 1 | 0 | 0 | 1 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 | 0 |

五、存在的主要问题及改进情况

政策解读形式还不够丰富。

六、其他需要报告的事项

本年度未收取信息处理费。

某某县自然资源局
2022年1月25日
)";

TEST(TextReader, Form2021ReportInPipeRowsReadsEndToEnd) {
  using testing::Json;
  Json j = testing::ParseToJson(k2021Report);
  const Json& r = j["report"];
  EXPECT_EQ(j["findings"].size(), 0u) << j["findings"].dump(1);
  EXPECT_EQ(r["template"], "2021");
  EXPECT_EQ(r["year"], 2021);
  EXPECT_EQ(r["organization"], "某某县自然资源局");
  EXPECT_EQ(r["published_on"], "2022-01-25");
  const Json& p = r["proactive"];
  EXPECT_EQ(p.size(), 6u);
  EXPECT_EQ(p["normative_documents"], Json({{"issued", 3}, {"repealed", 1}, {"in_force", 12}}));
  EXPECT_EQ(p["licensing"], Json({{"decisions", 245}}));
  EXPECT_EQ(p["coercion"], Json({{"decisions", 2}}));
  EXPECT_EQ(p["fees"], Json({{"amount_wan", 12.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a.size(), 25u);
  EXPECT_FALSE(a.contains("other"));
  EXPECT_EQ(a["other.no_correction"], Json::array({1, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(a["other.unpaid_fee"], Json::array({0, 0, 0, 0, 0, 0, 0}));
  EXPECT_EQ(a["other.other"], Json::array({1, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(a["withheld.third_party"], Json::array({1, 0, 0, 0, 0, 0, 1}));
  EXPECT_EQ(a["total"], Json::array({5, 0, 0, 0, 0, 0, 5}));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({0, 1, 0, 0, 1}));
  EXPECT_EQ(r["narrative"]["proactive_total"], 86);
  EXPECT_EQ(r["narrative"]["applications_received"], 4);
  EXPECT_EQ(r["other_matters"], "本年度未收取信息处理费。");
}

TEST(TextReader, Form2021ReportOnAn2020YearIsATemplateMismatch) {
  std::string text = k2021Report;
  text.replace(text.find("2021年政府信息"), 4, "2020");
  testing::Json j = testing::ParseToJson(text);
  EXPECT_EQ(testing::CountRule(j, "meta.template_mismatch"), 1) << j["findings"].dump(1);
}

}  // namespace
}  // namespace nianbao::parser
