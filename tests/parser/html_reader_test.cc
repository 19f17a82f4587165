// The HTML reader (parser/html_reader.h): grids from rowspan/colspan, cell and paragraph text,
// chrome, page metadata, and hostile markup (deep nesting, huge pages, absurd spans, inputs
// that crash Gumbo 0.10.1 itself). Expected values come from the markup written in each test
// or from the fixtures in tests/fixtures/html (line references are to those files).
#include "parser/html_reader.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

std::vector<std::string> Paragraphs(const Document& doc) {
  std::vector<std::string> out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) out.push_back(b.text);
  }
  return out;
}

std::vector<const Table*> Tables(const Document& doc) {
  std::vector<const Table*> out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kTable) out.push_back(&b.table);
  }
  return out;
}

// Every paragraph and cell text, for "does not appear anywhere" checks.
std::string AllText(const Document& doc) {
  std::string out;
  for (const Block& b : doc.blocks) {
    if (b.kind == Block::Kind::kParagraph) {
      out += b.text + "\n";
    } else {
      for (const Row& row : b.table.rows) {
        for (const Cell& c : row) out += c.text + "\t";
        out += "\n";
      }
    }
  }
  return out;
}

// The first row of t with a cell that reads exactly `label`.
const Row* FindRow(const Table& t, const std::string& label) {
  for (const Row& row : t.rows) {
    for (const Cell& c : row) {
      if (c.text == label) return &row;
    }
  }
  return nullptr;
}

// ---- Tables ----

TEST(HtmlReader, RowspanAndColspanExpandIntoAGrid) {
  Document doc = ReadHtml(
      "<table>"
      "<tr><td rowspan=2>A</td><td colspan=2>B</td></tr>"
      "<tr><td>C</td><td>D</td></tr>"
      "<tr><td>E</td><td colspan=2 rowspan=1>F</td></tr>"
      "</table>");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 1u);
  const Table& t = *tables[0];
  ASSERT_EQ(t.rows.size(), 3u);
  for (const Row& row : t.rows) ASSERT_EQ(row.size(), 3u);
  // Row 0: A B ~B
  EXPECT_EQ(t.rows[0][0].text, "A");
  EXPECT_FALSE(t.rows[0][0].span_copy);
  EXPECT_EQ(t.rows[0][1].text, "B");
  EXPECT_FALSE(t.rows[0][1].span_copy);
  EXPECT_EQ(t.rows[0][2].text, "B");
  EXPECT_TRUE(t.rows[0][2].span_copy);
  // Row 1: ~A C D — C and D shift right past the rowspan.
  EXPECT_EQ(t.rows[1][0].text, "A");
  EXPECT_TRUE(t.rows[1][0].span_copy);
  EXPECT_EQ(t.rows[1][1].text, "C");
  EXPECT_FALSE(t.rows[1][1].span_copy);
  EXPECT_EQ(t.rows[1][2].text, "D");
  // Row 2: E F ~F
  EXPECT_EQ(t.rows[2][0].text, "E");
  EXPECT_FALSE(t.rows[2][0].span_copy);
  EXPECT_EQ(t.rows[2][1].text, "F");
  EXPECT_FALSE(t.rows[2][1].span_copy);
  EXPECT_TRUE(t.rows[2][2].span_copy);
}

TEST(HtmlReader, ShortRowsArePaddedWithBlankCells) {
  Document doc = ReadHtml(
      "<table><tr><td>a</td><td>b</td><td>c</td></tr><tr><td>d</td></tr>"
      "<tr></tr></table>");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 1u);
  ASSERT_EQ(tables[0]->rows.size(), 2u) << "a <tr> without cells is no row";
  ASSERT_EQ(tables[0]->rows[1].size(), 3u);
  EXPECT_EQ(tables[0]->rows[1][0].text, "d");
  EXPECT_EQ(tables[0]->rows[1][1].text, "");
  EXPECT_FALSE(tables[0]->rows[1][1].span_copy);
}

TEST(HtmlReader, AbsurdSpansAreClamped) {
  Document doc = ReadHtml(
      "<table><tr><td colspan=10000 rowspan=100000>x</td><td>y</td></tr>"
      "<tr><td>z</td></tr></table>");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 1u);
  const Table& t = *tables[0];
  // The rowspan cannot reach past the table's two rows; the colspan stops at 100 columns.
  ASSERT_EQ(t.rows.size(), 2u);
  ASSERT_EQ(t.rows[0].size(), 101u);
  EXPECT_EQ(t.rows[0][0].text, "x");
  EXPECT_EQ(t.rows[0][99].text, "x");
  EXPECT_TRUE(t.rows[0][99].span_copy);
  EXPECT_EQ(t.rows[0][100].text, "y");
  EXPECT_TRUE(t.rows[1][0].span_copy);
  EXPECT_EQ(t.rows[1][100].text, "z");
}

TEST(HtmlReader, CellLinesComeFromBrAndParagraphs) {
  Document doc = ReadHtml(
      "<table><tr>"
      "<td>商业<br>企业</td>"
      "<td><p>不予</p><p>以公</p><p>开</p></td>"
      "<td>&nbsp; 结果 \t 维持&nbsp;</td>"
      "<td>不予\n  公开</td>"
      "<td>\xE3\x80\x80"
      "0\xE3\x80\x80</td>"
      "<td>&nbsp;</td>"
      "<td><br><p></p>x<br><br>y<br></td>"
      "</tr></table>");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 1u);
  const Row& r = tables[0]->rows.at(0);
  ASSERT_EQ(r.size(), 7u);
  EXPECT_EQ(r[0].text, "商业\n企业");
  EXPECT_EQ(r[1].text, "不予\n以公\n开");
  EXPECT_EQ(r[2].text, "结果 维持");  // &nbsp;, spaces and tabs collapse to one space
  // A line break of the source between two Chinese characters is no space at all.
  EXPECT_EQ(r[3].text, "不予公开");
  EXPECT_EQ(r[4].text, "0");  // U+3000 is whitespace
  EXPECT_EQ(r[5].text, "");
  EXPECT_EQ(r[6].text, "x\ny");  // no empty lines, none at either end
}

TEST(HtmlReader, WordExportedTableIsFlattenedToText) {
  // As Word writes it (cf. html/word_2019_utf8.html): MsoNormalTable, mso styles, lang spans,
  // <o:p>, conditional comments, the zero-height alignment row.
  Document doc = ReadHtml(R"(<div class=WordSection1>
<!--[if gte mso 9]><xml><w:WordDocument><w:Zoom>0</w:Zoom></w:WordDocument></xml><![endif]-->
<table class=MsoNormalTable border=1 cellspacing=0 cellpadding=0 style='border-collapse:collapse;mso-yfti-tbllook:1184'>
 <tr style='mso-yfti-irow:0'>
  <td width=62 style='width:46.5pt;border:solid windowtext 1.0pt'>
  <p class=MsoNormal align=center style='text-align:center'><span style='font-size:10.0pt;font-family:宋体;mso-ascii-font-family:"Times New Roman"'>商业</span><span lang=EN-US><br></span><span style='font-size:10.0pt'>企业</span></p>
  </td>
  <td width=62 style='width:46.5pt'>
  <p class=MsoNormal align=center><span lang=EN-US style='font-size:10.0pt;font-family:"Times New Roman",serif'>156<o:p></o:p></span></p>
  </td>
  <td width=62><p class=MsoNormal align=center><span lang=EN-US style='font-size:10.0pt'><o:p>&nbsp;</o:p></span></p></td>
  <td width=62><p class=MsoNormal><b><span style='font-size:10.0pt'>（三）不予</span></b></p>
  <p class=MsoNormal><b><span style='font-size:10.0pt'>公开<o:p></o:p></span></b></p></td>
 </tr>
 <![if !supportMisalignedColumns]>
 <tr height=0><td width=62 style='border:none'></td><td width=62 style='border:none'></td></tr>
 <![endif]>
</table></div>)");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 1u);
  const Table& t = *tables[0];
  ASSERT_GE(t.rows.size(), 1u);
  ASSERT_EQ(t.rows[0].size(), 4u);
  EXPECT_EQ(t.rows[0][0].text, "商业\n企业");
  EXPECT_EQ(t.rows[0][1].text, "156");
  EXPECT_EQ(t.rows[0][2].text, "");
  EXPECT_EQ(t.rows[0][3].text, "（三）不予\n公开");
  EXPECT_EQ(AllText(doc).find("Zoom"), std::string::npos) << "Word's XML island leaked";
}

TEST(HtmlReader, LayoutTablesAreReadAsFlowAndInnerTablesAsData) {
  // Old portals put the whole article in a layout table (cf. html/gbk_meta.html): a table
  // that holds tables is read as paragraphs, its innermost tables as data, in order.
  Document doc = ReadHtml(
      "<table><tr><td><p>一、总体情况</p><p>正文</p>"
      "<table><tr><td>规章</td><td>0</td></tr></table>"
      "<p>三、收到和处理政府信息公开申请情况</p></td></tr></table>");
  ASSERT_EQ(doc.blocks.size(), 4u);
  EXPECT_EQ(doc.blocks[0].kind, Block::Kind::kParagraph);
  EXPECT_EQ(doc.blocks[0].text, "一、总体情况");
  EXPECT_EQ(doc.blocks[1].text, "正文");
  ASSERT_EQ(doc.blocks[2].kind, Block::Kind::kTable);
  ASSERT_EQ(doc.blocks[2].table.rows.size(), 1u);
  EXPECT_EQ(doc.blocks[2].table.rows[0][0].text, "规章");
  EXPECT_EQ(doc.blocks[2].table.rows[0][1].text, "0");
  EXPECT_EQ(doc.blocks[3].text, "三、收到和处理政府信息公开申请情况");
}

// ---- Paragraphs ----

TEST(HtmlReader, ParagraphsAndLineBreaks) {
  Document doc = ReadHtml(
      "<body><h1> 标题 </h1><p>第一行<br>第二行<br/></p><div>块内<span>文字</span>"
      "<div>内层</div>尾部</div><ul><li>甲</li><li>乙</li></ul>"
      "<blockquote>引文</blockquote><pre>预排\n  格式</pre>"
      "<p>重庆市渝北区洛碛镇\n人民政府 2021 年</p></body>");
  EXPECT_EQ(Paragraphs(doc),
            (std::vector<std::string>{"标题", "第一行", "第二行", "块内文字", "内层", "尾部", "甲",
                                      "乙", "引文", "预排", "格式",
                                      // a source line break between two Chinese characters is
                                      // no space (CSS segment-break rule); other spaces stay
                                      "重庆市渝北区洛碛镇人民政府 2021 年"}));
}

TEST(HtmlReader, EmptyAndTextOnlyInput) {
  EXPECT_TRUE(ReadHtml("").blocks.empty());
  Document doc = ReadHtml("no markup at all");
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"no markup at all"});
}

// ---- Chrome ----

TEST(HtmlReader, PortalChromeIsDropped) {
  Document doc = ReadHtml(R"(<html><head><title>t</title>
<style>.a{color:red}</style><script>var nav = "导航脚本";</script></head><body>
<div class="top-nav"><a href="/">首页</a><a>政务公开</a></div>
<nav><a>导航条</a></nav>
<div class="breadcrumb">当前位置：首页 &gt; 政务公开 &gt; 政府信息公开年报</div>
<p>当前位置：首页 &gt; 政府信息公开年报</p>
<div id="Menu"><a>菜单</a></div>
<h1>某镇2020年政府信息公开工作年度报告</h1>
<div class="info">发布时间：2021-01-20　来源：某镇人民政府　浏览次数：35</div>
<p>来源：某镇人民政府</p>
<p>【字号：大 中 小】【打印本页】【关闭窗口】</p>
<p>一、总体情况</p>
<p>正文段落。</p>
<noscript>请开启脚本</noscript>
<iframe src="x">框架</iframe>
<form><select><option>友情链接</option></select><button>搜索按钮</button></form>
<div class="share">分享到：微信 微博</div>
<div class="bdsharebuttonbox">分享到：QQ空间</div>
<div class="weizhi">您现在的位置：首页</div>
<aside>相关文章</aside>
<div style="display: none">隐藏内容</div>
<footer>页脚</footer>
<div id="footer">版权所有：某镇人民政府 ICP备案号：渝ICP备00000000号</div>
<div class="copyright">版权所有2</div>
<script>document.write("脚本");</script>
</body></html>)");
  EXPECT_EQ(Paragraphs(doc), (std::vector<std::string>{"某镇2020年政府信息公开工作年度报告",
                                                       "一、总体情况", "正文段落。"}))
      << AllText(doc);
}

TEST(HtmlReader, ChromeThatHoldsTheReportIsKept) {
  // ASP.NET portals wrap the whole page in <form id="form1">; a template may use a class
  // such as "position-relative" on the article's wrapper.
  Document doc = ReadHtml(
      "<body><form id=\"form1\"><div class=\"container position-relative\">"
      "<p>一、总体情况</p><p>正文</p>"
      "<table><tr><td>申请人情况</td></tr><tr><td>结果维持</td><td>尚未审结</td></tr></table>"
      "</div></form></body>");
  EXPECT_EQ(Paragraphs(doc), (std::vector<std::string>{"一、总体情况", "正文"}));
  EXPECT_EQ(Tables(doc).size(), 1u);
}

TEST(HtmlReader, LongLinesStartingLikeChromeAreKept) {
  std::string long_line =
      "来源：本报告数据来源于本机关政府信息公开工作台账，经办公室汇总并逐项核对后形成，"
      "涵盖全年主动公开、依申请公开、行政复议和行政诉讼等各项工作的统计数据，特此说明。";
  Document doc = ReadHtml("<p>" + long_line + "</p>");
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{long_line});
}

TEST(HtmlReader, ArticleBodyRestrictsReadingWhenItHoldsTheReport) {
  Document doc = ReadHtml(
      "<body><div class=\"sidebar2\">侧栏文字</div><h1>文章标题</h1>"
      "<div class=\"TRS_Editor\"><p>一、总体情况</p>"
      "<table><tr><td>规章</td><td>0</td></tr></table></div>"
      "<div class=\"related-links\">相关链接</div></body>");
  EXPECT_EQ(Paragraphs(doc), std::vector<std::string>{"一、总体情况"});
  EXPECT_EQ(Tables(doc).size(), 1u);
}

TEST(HtmlReader, EmptyArticleBodyFallsBackToThePage) {
  // A TRS_Editor that holds only a link to an attachment is not the report body.
  Document doc = ReadHtml(
      "<body><div class=\"TRS_Editor\"><a href=\"a.pdf\">附件</a></div>"
      "<div class=\"content\"><p>一、总体情况</p><table><tr><td>规章</td><td>0</td></tr>"
      "</table></div></body>");
  EXPECT_EQ(Paragraphs(doc), (std::vector<std::string>{"附件", "一、总体情况"}));
  EXPECT_EQ(Tables(doc).size(), 1u);
}

// ---- Page metadata ----

TEST(HtmlReader, PageDateAndTitleFromMeta) {
  Document doc = ReadHtml(
      "<html><head><title>  网页标题_某区人民政府 \n</title>"
      "<meta name=\"ArticleTitle\" content=\" 某镇2020年政府信息公开工作年度报告 \">"
      "<meta name=\"PubDate\" content=\"2021-01-19 10:00\"></head>"
      "<body><div>发布日期：2021-02-03</div></body></html>");
  EXPECT_EQ(doc.page_title, "某镇2020年政府信息公开工作年度报告");
  EXPECT_EQ(doc.page_date, "2021-01-19") << "the meta wins over the text";
}

TEST(HtmlReader, PageDateMetaNameVariants) {
  for (std::string name : {"pubdate", "publishdate", "firstpublishedtime", "PUBDATE"}) {
    Document doc = ReadHtml("<meta name=\"" + name + "\" content=\"2022/1/21\"><p>x</p>");
    EXPECT_EQ(doc.page_date, "2022-01-21") << name;
  }
}

TEST(HtmlReader, PageDateFromText) {
  struct Case {
    std::string html;
    std::string date;
  };
  const Case cases[] = {
      {"<div class=info>发布日期：2021-01-19　来源：某镇</div>", "2021-01-19"},
      {"<span>发布时间：</span><span>2021年01月19日</span>", "2021-01-19"},
      {"<p>发布时间: 2021/1/9 10:23</p>", "2021-01-09"},
      {"<p>发布日期：2021.03.16</p>", "2021-03-16"},
      {"<p>发布日期：2021-13-01</p>", ""},  // no 13th month
      {"<p>2021-01-19</p>", ""},            // a bare date is not the page's date
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ReadHtml("<body>" + c.html + "<p>正文</p></body>").page_date, c.date) << c.html;
  }
}

TEST(HtmlReader, TitleWithoutArticleTitleMeta) {
  Document doc = ReadHtml("<title>\n  王店镇2020年度政府信息公开工作年度报告 \n</title><p>x</p>");
  EXPECT_EQ(doc.page_title, "王店镇2020年度政府信息公开工作年度报告");
  EXPECT_EQ(ReadHtml("<p>x</p>").page_title, "");
}

// ---- The fixtures ----

TEST(HtmlReader, WordFixtureTables) {
  // html/word_2019_utf8.html: the TRS_Editor body only; chrome outside it is not read.
  Document doc = ReadHtml(ReadFixture("html/word_2019_utf8.html"));
  EXPECT_EQ(doc.page_title, "重庆市渝北区洛碛镇人民政府2020年政府信息公开工作年度报告");
  EXPECT_EQ(doc.page_date, "2021-01-20");
  auto paras = Paragraphs(doc);
  ASSERT_GE(paras.size(), 2u);
  EXPECT_EQ(paras[0], "重庆市渝北区洛碛镇人民政府");
  EXPECT_EQ(paras[1], "2020年政府信息公开工作年度报告");
  EXPECT_EQ(paras.back(), "2021年1月19日");
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 3u);

  // Section 三: 10 grid columns (3 label columns, 7 values); 三、本年度办理结果 spans 20 rows.
  const Table& apps = *tables[1];
  for (const Row& r : apps.rows) ASSERT_EQ(r.size(), 10u);
  EXPECT_EQ(apps.rows[0][3].text, "申请人情况");
  EXPECT_EQ(apps.rows[0][9].text, "总计");
  EXPECT_EQ(apps.rows[2][4].text, "商业\n企业");
  const Row* secret = FindRow(apps, "1.属于国家秘密");
  ASSERT_NE(secret, nullptr);
  EXPECT_EQ((*secret)[0].text, "三、本年度办理结果");
  EXPECT_TRUE((*secret)[0].span_copy);
  EXPECT_EQ((*secret)[1].text, "（三）不予\n公开");
  EXPECT_FALSE((*secret)[1].span_copy);
  EXPECT_EQ((*secret)[3].text, "0");
  EXPECT_EQ((*secret)[6].text, "") << "blank 社会公益组织 cell";
  const Row* query = FindRow(apps, "8.属于行政查询事项");
  ASSERT_NE(query, nullptr);
  EXPECT_TRUE((*query)[1].span_copy) << "（三）不予公开 spans all 8 rows";
  const Row* other = FindRow(apps, "（六）其他处理");
  ASSERT_NE(other, nullptr);
  EXPECT_TRUE((*other)[0].span_copy);
  EXPECT_TRUE((*other)[2].span_copy) << "colspan 2";
  const Row* forward = FindRow(apps, "四、结转下年度继续办理");
  ASSERT_NE(forward, nullptr);
  EXPECT_FALSE((*forward)[0].span_copy) << "outside the rowspan of 三、本年度办理结果";

  // Section 四: 行政复议 colspan 5, 行政诉讼 colspan 10, then 15 values.
  const Table& reviews = *tables[2];
  ASSERT_EQ(reviews.rows.size(), 4u);
  ASSERT_EQ(reviews.rows[0].size(), 15u);
  EXPECT_EQ(reviews.rows[0][4].text, "行政复议");
  EXPECT_TRUE(reviews.rows[0][4].span_copy);
  EXPECT_EQ(reviews.rows[0][5].text, "行政诉讼");
  EXPECT_FALSE(reviews.rows[0][5].span_copy);
  EXPECT_EQ(reviews.rows[1][0].text, "结果\n维持");
  EXPECT_TRUE(reviews.rows[2][0].span_copy);
  EXPECT_EQ(reviews.rows[2][5].text, "结果\n维持");
  for (const Cell& c : reviews.rows[3]) EXPECT_EQ(c.text, "0");

  std::string all = AllText(doc);
  for (std::string chrome : {"当前位置", "分享到", "打印本页", "版权所有", "ICP备", "_hmt",
                             "无障碍浏览", "Font Definitions", "DrawingGridVerticalSpacing"}) {
    EXPECT_EQ(all.find(chrome), std::string::npos) << chrome;
  }
}

TEST(HtmlReader, FormFixtureChromeAroundTheWholeBody) {
  // html/form_2021.html has no article element: the whole body is read and the chrome
  // (header, nav, crumbs, side menu, date line, share box, print bar, aside, footer) dropped.
  Document doc = ReadHtml(ReadFixture("html/form_2021.html"));
  EXPECT_EQ(doc.page_title, "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(doc.page_date, "2022-01-21");
  auto paras = Paragraphs(doc);
  ASSERT_GE(paras.size(), 3u);
  EXPECT_EQ(paras[0], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(paras[1].rfind("本报告根据《中华人民共和国政府信息公开条例》", 0), 0u);
  EXPECT_EQ(paras.back(), "2022年1月20日");
  std::string all = AllText(doc);
  for (std::string chrome :
       {"当前位置", "发布日期", "浏览次数", "分享到", "打印本页", "关闭窗口", "相关阅读",
        "版权所有", "网站地图", "长者模式", "政府信息公开指南", "走进青禾", "addClass"}) {
    EXPECT_EQ(all.find(chrome), std::string::npos) << chrome;
  }
  EXPECT_EQ(Tables(doc).size(), 3u);
}

TEST(HtmlReader, TruncatedPageKeepsTheRowsBeforeTheCut) {
  // html/word_2019_utf8.html cut in the middle of section 三's table, inside the row of
  // 6.属于四类过程性信息: the rows before it are all there, the page ends there.
  std::string page = ReadFixture("html/word_2019_utf8.html");
  size_t cut = page.find("6.属于四类过程性信息");
  ASSERT_NE(cut, std::string::npos);
  Document doc = ReadHtml(std::string_view(page).substr(0, cut + 4));
  auto tables = Tables(doc);
  ASSERT_EQ(tables.size(), 2u);
  EXPECT_EQ(tables[0]->rows.size(), 18u) << "section 二 is complete";
  const Table& apps = *tables[1];
  const Row* internal = FindRow(apps, "5.属于三类内部事务信息");
  ASSERT_NE(internal, nullptr);
  EXPECT_EQ((*internal)[3].text, "0");
  EXPECT_EQ((*internal)[9].text, "0");
  EXPECT_EQ(FindRow(apps, "7.属于行政执法案卷"), nullptr);
  EXPECT_EQ(Paragraphs(doc).back(), "三、收到和处理政府信息公开申请情况");
}

// ---- Hostile markup ----

TEST(HtmlReader, DeeplyNestedDivsReturnQuickly) {
  std::string page = "<html><body>";
  for (int i = 0; i < 200000; ++i) page += "<div>";
  page += "深处的文字";
  for (int i = 0; i < 200000; ++i) page += "</div>";
  page += "<p>之后</p>";
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 2.0);
  EXPECT_EQ(Paragraphs(doc), (std::vector<std::string>{"深处的文字", "之后"}));
}

TEST(HtmlReader, DeeplyNestedTablesDoNotCrash) {
  // Gumbo's own gumbo_destroy_output() recurses and overflows the stack on this page.
  std::string page = "<html><body>";
  for (int i = 0; i < 100000; ++i) page += "<table><tr><td>";
  page += "最内层";
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 2.0);
  EXPECT_NE(AllText(doc).find("最内层"), std::string::npos);
}

TEST(HtmlReader, UnclosedFormattingDoesNotMultiply) {
  // Gumbo re-opens every unclosed formatting element in each new paragraph: this page took
  // over 13 GB and minutes before formatting tags were removed.
  std::string page = "<html><body>";
  for (int i = 0; i < 100000; ++i) page += "<p><b id=" + std::to_string(i) + ">x</p>";
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 3.0);
  EXPECT_EQ(Paragraphs(doc).size(), 100000u);
}

TEST(HtmlReader, MarkupThatAbortsGumboIsDefused) {
  // Each of these makes Gumbo 0.10.1 fail an assertion and abort the process.
  for (std::string page : {"<table><svg><select><title><select></table>",
                           "<table><math><select><mi><select></table>x"}) {
    Document doc = ReadHtml(page);
    (void)doc;
  }
  SUCCEED();
}

TEST(HtmlReader, FiftyMegabytePageDoesNotCrash) {
  // The facade refuses pages over 16 MiB; ReadHtml reads the first 16 MiB of a larger one.
  std::string page =
      "<html><body><p>一、总体情况</p><table><tr><td>规章</td><td>0</td></tr></table>";
  std::string filler = "<p>填充文字填充文字填充文字，<span>用于构造超大的页面</span>。</p>\n";
  page.reserve(50u << 20);
  while (page.size() < (50u << 20)) page += filler;
  const CpuTimer timer;
  Document doc = ReadHtml(page);
  EXPECT_LT(timer.Seconds(), 60.0);
  ASSERT_FALSE(doc.blocks.empty());
  EXPECT_EQ(doc.blocks[0].text, "一、总体情况");
  ASSERT_EQ(Tables(doc).size(), 1u);
  EXPECT_EQ(Tables(doc)[0]->rows[0][0].text, "规章");
}

// ---- LooksLikeHtml ----

TEST(HtmlReader, LooksLikeHtml) {
  EXPECT_TRUE(LooksLikeHtml("<!DOCTYPE html><html>"));
  EXPECT_TRUE(LooksLikeHtml("  \r\n<HTML><BODY>"));
  EXPECT_TRUE(LooksLikeHtml("\xEF\xBB\xBF<div class=x>"));
  EXPECT_TRUE(LooksLikeHtml("<P>一、总体情况</P>"));
  EXPECT_TRUE(LooksLikeHtml("<meta charset=gbk><table>"));
  EXPECT_TRUE(LooksLikeHtml("报告正文<br/>第二行"));
  EXPECT_TRUE(LooksLikeHtml(ReadFixture("html/gbk_meta.html")));
  EXPECT_FALSE(LooksLikeHtml(""));
  EXPECT_FALSE(LooksLikeHtml("一、总体情况\n\t规章\n\t0\n"));
  EXPECT_FALSE(LooksLikeHtml("数量 a <b 的比较"));
  EXPECT_FALSE(LooksLikeHtml("<pre>not one of the tags</pre>"));
  EXPECT_FALSE(LooksLikeHtml(std::string(3000, 'x') + "<html>")) << "only the first 2 KB count";
  EXPECT_FALSE(LooksLikeHtml(ReadFixture("seeds/001_0b0786dd1ab9e5a0.txt")));
}

}  // namespace
}  // namespace nianbao::parser::testing
