// The document entry point (parser/document_reader.h): the format is sniffed from the bytes,
// and the DOCX reader turns WordprocessingML into paragraphs and grid tables. Each DOCX here is
// written out in the test (docx_zip.h); the expected blocks are read from its XML.
#include "parser/document_reader.h"

#include <gtest/gtest.h>

#include <random>
#include <string>

#include "parser/charset.h"
#include "parser/docx_reader.h"
#include "tests/parser/docx_zip.h"
#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

std::string P(const std::string& text) { return "<w:p><w:r><w:t>" + text + "</w:t></w:r></w:p>"; }
std::string Tc(const std::string& props, const std::string& content) {
  return "<w:tc><w:tcPr>" + props + "</w:tcPr>" + content + "</w:tc>";
}

Document MustRead(const std::string& docx, const ReaderLimits& limits = {}) {
  auto doc = ReadDocx(docx, limits);
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? std::move(doc).value() : Document{};
}

std::vector<std::string> Texts(const Row& row) {
  std::vector<std::string> out;
  for (const Cell& c : row) out.push_back(c.text);
  return out;
}
std::vector<bool> Copies(const Row& row) {
  std::vector<bool> out;
  for (const Cell& c : row) out.push_back(c.span_copy);
  return out;
}

// ---- Sniffing ----

TEST(SniffFormat, DocxNamedDocServedAsOctetStreamIsDocx) {
  std::string bytes = ReadFixture("documents/form_2021_docx_named.doc");
  EXPECT_EQ(SniffFormat(bytes, "application/octet-stream"), DocumentFormat::kDocx);
  EXPECT_EQ(SniffFormat(bytes, "application/msword"), DocumentFormat::kDocx);
  EXPECT_EQ(SniffFormat(bytes, "text/html"), DocumentFormat::kDocx) << "never trusted for binaries";
}

TEST(SniffFormat, WpsFileIsDoc) {
  EXPECT_EQ(SniffFormat(ReadFixture("documents/faults_2019.wps"), "application/kswps"),
            DocumentFormat::kDoc);
  EXPECT_EQ(SniffFormat(ReadFixture("documents/form_2021.doc"), ""), DocumentFormat::kDoc);
}

TEST(SniffFormat, HtmlAndTextAsBefore) {
  EXPECT_EQ(SniffFormat(ReadFixture("html/form_2021.html"), ""), DocumentFormat::kHtml);
  EXPECT_EQ(SniffFormat("<p>一、总体情况</p>", "text/html; charset=utf-8"), DocumentFormat::kHtml);
  EXPECT_EQ(SniffFormat(ReadFixture("seeds/000_d4e73e73a1b7a1d3.txt"), ""), DocumentFormat::kText);
  EXPECT_EQ(SniffFormat("<p>x</p>", "text/plain"), DocumentFormat::kText);
}

TEST(SniffFormat, MagicNumbersDecide) {
  EXPECT_EQ(SniffFormat("%PDF-1.7\n...", "text/html"), DocumentFormat::kPdf);
  EXPECT_EQ(SniffFormat(MakeZip({{"OFD.xml", "<ofd:OFD/>"}}), ""), DocumentFormat::kOfd);
  EXPECT_EQ(SniffFormat(MakeZip({{"xl/workbook.xml", "<workbook/>"}}), ""),
            DocumentFormat::kUnsupportedZip);
  // An OLE2 container without a WordDocument stream (an .xls, say).
  std::string cfb("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8);
  cfb.resize(2048, '\0');
  EXPECT_EQ(SniffFormat(cfb, ""), DocumentFormat::kUnsupportedCfb);
}

TEST(SniffFormat, UnknownBinaryIsReadAsText) {
  // No magic number nianbao knows (a PNG here): read as text, as before, and not a report.
  std::string png("\x89PNG\r\n\x1A\n\0\0\0\rIHDR", 16);
  EXPECT_EQ(SniffFormat(png, "application/octet-stream"), DocumentFormat::kText);
  Json j = ParseToJson(png, "application/octet-stream");
  EXPECT_EQ(RuleIds(j), std::vector<std::string>{"meta.not_a_report"});
}

TEST(SniffFormat, EveryFormatIsInTheTable) {
  for (DocumentFormat f : {DocumentFormat::kHtml, DocumentFormat::kText, DocumentFormat::kDocx,
                           DocumentFormat::kDoc, DocumentFormat::kPdf, DocumentFormat::kOfd,
                           DocumentFormat::kUnsupportedZip, DocumentFormat::kUnsupportedCfb}) {
    EXPECT_EQ(SpecOf(f).format, f);
  }
  EXPECT_EQ(Formats().size(), 8u);
}

// ---- DOCX: paragraphs, tables, numbering ----

TEST(Docx, ParagraphsRunsTabsAndBreaksInOrder) {
  Document doc =
      MustRead(MakeDocx("<w:p><w:r><w:t>一、总体</w:t></w:r><w:r><w:t>情况</w:t></w:r></w:p>"
                        "<w:p/>"  // empty: no block
                        "<w:p><w:r><w:t>A</w:t><w:tab/><w:t>B</w:t><w:br/><w:t>C</w:t></w:r>"
                        "<w:hyperlink><w:r><w:t>D</w:t></w:r></w:hyperlink>"
                        "<w:del><w:r><w:delText>gone</w:delText></w:r></w:del></w:p>" +
                        P("尾")));
  ASSERT_EQ(doc.blocks.size(), 3u);
  EXPECT_EQ(doc.blocks[0].text, "一、总体情况");
  EXPECT_EQ(doc.blocks[1].text, "A\tB\nCD");
  EXPECT_EQ(doc.blocks[2].text, "尾");
}

TEST(Docx, GridSpanIsExpandedIntoCopies) {
  Document doc =
      MustRead(MakeDocx("<w:tbl>"
                        "<w:tr>" +
                        Tc("<w:gridSpan w:val=\"3\"/>", P("行政复议")) + Tc("", P("行政诉讼")) +
                        "</w:tr>"
                        "<w:tr>" +
                        Tc("", P("1")) + Tc("", P("2")) + Tc("", P("3")) + Tc("", P("4")) +
                        "</w:tr>"
                        "</w:tbl>"));
  ASSERT_EQ(doc.blocks.size(), 1u);
  ASSERT_EQ(doc.blocks[0].kind, Block::Kind::kTable);
  const Table& t = doc.blocks[0].table;
  ASSERT_EQ(t.rows.size(), 2u);
  EXPECT_EQ(Texts(t.rows[0]),
            (std::vector<std::string>{"行政复议", "行政复议", "行政复议", "行政诉讼"}));
  EXPECT_EQ(Copies(t.rows[0]), (std::vector<bool>{false, true, true, false}));
  EXPECT_EQ(Texts(t.rows[1]), (std::vector<std::string>{"1", "2", "3", "4"}));
}

TEST(Docx, VMergeContinuesTheCellAboveAsACopy) {
  Document doc = MustRead(MakeDocx(
      "<w:tbl>"
      "<w:tr>" +
      Tc("<w:vMerge w:val=\"restart\"/>", P("（三）不予公开")) + Tc("", P("1.属于国家秘密")) +
      Tc("", P("0")) +
      "</w:tr>"
      "<w:tr>" +
      Tc("<w:vMerge/>", "<w:p/>") + Tc("", P("2.其他法律行政法规禁止公开")) + Tc("", P("5")) +
      "</w:tr>"
      "<w:tr>" +
      Tc("<w:vMerge w:val=\"continue\"/>", "<w:p/>") + Tc("", P("3.危及“三安全一稳定”")) +
      Tc("", P("")) +
      "</w:tr>"
      "</w:tbl>"));
  const Table& t = doc.blocks.at(0).table;
  ASSERT_EQ(t.rows.size(), 3u);
  EXPECT_EQ(Texts(t.rows[1]),
            (std::vector<std::string>{"（三）不予公开", "2.其他法律行政法规禁止公开", "5"}));
  EXPECT_EQ(Copies(t.rows[1]), (std::vector<bool>{true, false, false}));
  EXPECT_EQ(t.rows[2][0].text, "（三）不予公开");
  EXPECT_TRUE(t.rows[2][0].span_copy);
  EXPECT_EQ(t.rows[2][2].text, "");
  EXPECT_FALSE(t.rows[2][2].span_copy);
}

TEST(Docx, LineBreaksAndParagraphsInACellAndNestedTablesFlattened) {
  Document doc = MustRead(
      MakeDocx("<w:tbl><w:tr>" +
               Tc("", "<w:p><w:r><w:t>不予</w:t><w:br/><w:t>以公</w:t></w:r></w:p>" + P("开")) +
               Tc("", "<w:tbl><w:tr>" + Tc("", P("a")) + Tc("", P("b")) + "</w:tr><w:tr>" +
                          Tc("", P("c")) + "</w:tr></w:tbl>") +
               "</w:tr></w:tbl>"));
  const Table& t = doc.blocks.at(0).table;
  ASSERT_EQ(t.rows.size(), 1u);
  EXPECT_EQ(Texts(t.rows[0]), (std::vector<std::string>{"不予\n以公\n开", "a b\nc"}));
}

TEST(Docx, NumberingLabelsAreRendered) {
  // Level 0 "%1、" in Chinese counting, level 1 "（%2）" in Chinese counting, and a second list
  // "%1." in decimal starting at 3.
  std::string numbering =
      "<w:abstractNum w:abstractNumId=\"0\">"
      "<w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/><w:numFmt w:val=\"chineseCounting\"/>"
      "<w:lvlText w:val=\"%1、\"/></w:lvl>"
      "<w:lvl w:ilvl=\"1\"><w:start w:val=\"1\"/><w:numFmt w:val=\"chineseCounting\"/>"
      "<w:lvlText w:val=\"（%2）\"/></w:lvl></w:abstractNum>"
      "<w:abstractNum w:abstractNumId=\"1\">"
      "<w:lvl w:ilvl=\"0\"><w:start w:val=\"3\"/><w:numFmt w:val=\"decimal\"/>"
      "<w:lvlText w:val=\"%1.\"/></w:lvl></w:abstractNum>"
      "<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>"
      "<w:num w:numId=\"2\"><w:abstractNumId w:val=\"1\"/></w:num>";
  auto item = [](int num, int level, const std::string& text) {
    return "<w:p><w:pPr><w:numPr><w:ilvl w:val=\"" + std::to_string(level) +
           "\"/><w:numId w:val=\"" + std::to_string(num) + "\"/></w:numPr></w:pPr><w:r><w:t>" +
           text + "</w:t></w:r></w:p>";
  };
  std::string body = item(1, 0, "总体情况") + item(1, 1, "主动公开") + item(1, 1, "依申请公开") +
                     item(1, 0, "主动公开政府信息情况");
  for (int i = 0; i < 8; ++i) body += item(1, 0, "x");  // 三 … 十
  body += item(1, 0, "十一") + item(2, 0, "要求提供公开出版物") + item(2, 0, "下一项");
  Document doc = MustRead(MakeDocx(body, numbering));
  ASSERT_EQ(doc.blocks.size(), 15u);
  EXPECT_EQ(doc.blocks[0].text, "一、总体情况");
  EXPECT_EQ(doc.blocks[1].text, "（一）主动公开");
  EXPECT_EQ(doc.blocks[2].text, "（二）依申请公开");
  EXPECT_EQ(doc.blocks[3].text, "二、主动公开政府信息情况");
  EXPECT_EQ(doc.blocks[11].text, "十、x");
  EXPECT_EQ(doc.blocks[12].text, "十一、十一");
  EXPECT_EQ(doc.blocks[13].text, "3.要求提供公开出版物");
  EXPECT_EQ(doc.blocks[14].text, "4.下一项");
}

TEST(Docx, ParagraphStylesNumberTheirParagraphs) {
  // Heading2 is based on Heading1, which is bound to list 1 level 0 ("%1、", Chinese counting);
  // a paragraph's own numId 0 switches it off.
  std::string numbering =
      "<w:abstractNum w:abstractNumId=\"0\"><w:lvl w:ilvl=\"0\"><w:start w:val=\"1\"/>"
      "<w:numFmt w:val=\"chineseCounting\"/><w:lvlText w:val=\"%1、\"/></w:lvl></w:abstractNum>"
      "<w:num w:numId=\"1\"><w:abstractNumId w:val=\"0\"/></w:num>";
  std::string styles =
      "<w:style w:type=\"paragraph\" w:styleId=\"Heading1\"><w:pPr><w:numPr>"
      "<w:numId w:val=\"1\"/></w:numPr></w:pPr></w:style>"
      "<w:style w:type=\"paragraph\" w:styleId=\"Heading2\"><w:basedOn w:val=\"Heading1\"/>"
      "</w:style>";
  auto styled = [](const std::string& style, const std::string& text, const std::string& extra) {
    return "<w:p><w:pPr><w:pStyle w:val=\"" + style + "\"/>" + extra + "</w:pPr><w:r><w:t>" + text +
           "</w:t></w:r></w:p>";
  };
  Document doc = MustRead(
      MakeDocx(styled("Heading1", "总体情况", "") + P("正文") +
                   styled("Heading2", "主动公开政府信息情况", "") +
                   styled("Heading1", "不编号", "<w:numPr><w:numId w:val=\"0\"/></w:numPr>"),
               numbering, styles));
  ASSERT_EQ(doc.blocks.size(), 4u);
  EXPECT_EQ(doc.blocks[0].text, "一、总体情况");
  EXPECT_EQ(doc.blocks[1].text, "正文");
  EXPECT_EQ(doc.blocks[2].text, "二、主动公开政府信息情况");
  EXPECT_EQ(doc.blocks[3].text, "不编号");
}

TEST(DocumentLists, ListLabelsOfAWordProcessorsListInDocxAndDoc) {
  // documents/lists.docx (make_lists.py) and lists.doc, LibreOffice's Word 97 of it: the labels
  // are not in the text but counted from the list definitions, as make_lists.py lists them.
  const std::vector<std::string> expected = {"一、总体情况",         "（一）主动公开",
                                             "（二）依申请公开",     "二、主动公开政府信息情况",
                                             "1.信访举报投诉类申请", "2.重复申请"};
  for (const char* file : {"documents/lists.docx", "documents/lists.doc"}) {
    auto doc = ReadDocument(ReadFixture(file), "", {});
    ASSERT_TRUE(doc.ok()) << file << ": " << doc.status().ToString();
    std::vector<std::string> texts;
    for (const Block& b : doc.value().blocks) texts.push_back(b.text);
    EXPECT_EQ(texts, expected) << file;
  }
}

// ---- DOCX: bad input, each a clear error within bounds ----

TEST(DocxBadInput, ZipBombStopsAtTheInflatedCap) {
  std::string zeros(4u << 20, '0');  // deflates to a few KiB
  std::string docx = MakeDocx(P("x") + "<!--" + zeros + "-->");
  ASSERT_LT(docx.size(), 64u << 10);
  ReaderLimits limits;
  limits.max_inflated_bytes = 1u << 20;
  auto doc = ReadDocx(docx, limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), Status::Code::kTooLarge) << doc.status().ToString();
}

TEST(DocxBadInput, TooManyEntries) {
  std::vector<ZipEntry> entries = {{"word/document.xml", "<w:document/>"}};
  for (int i = 0; i < 40; ++i) entries.push_back({"media/" + std::to_string(i), "x"});
  ReaderLimits limits;
  limits.max_zip_entries = 20;
  auto doc = ReadDocx(MakeZip(entries), limits);
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), Status::Code::kTooLarge);
}

TEST(DocxBadInput, TruncatedDocxIsAnUnreadableDocxFinding) {
  std::string docx = ReadFixture("documents/form_2021.docx");
  std::string cut = docx.substr(0, docx.size() / 2);
  EXPECT_EQ(SniffFormat(cut, ""), DocumentFormat::kDocx) << "named by its local headers";
  EXPECT_FALSE(ReadDocx(cut, {}).ok());
  Json j = ParseToJson(cut);
  ASSERT_EQ(RuleIds(j), std::vector<std::string>{"meta.unreadable_document"});
  const Json& f = j["findings"][0];
  EXPECT_EQ(f["severity"], "error");
  EXPECT_NE(f["message"].get<std::string>().find("DOCX"), std::string::npos) << f.dump();
  EXPECT_EQ(j["report"]["source"]["media_type"],
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document");
  EXPECT_TRUE(j["report"]["title"].is_null());
  EXPECT_TRUE(j["report"]["applications"].is_null());
}

TEST(DocxBadInput, XmlNested100000LevelsIsRefused) {
  std::string deep;
  for (int i = 0; i < 100000; ++i) deep += "<w:sdt><w:sdtContent>";
  for (int i = 0; i < 100000; ++i) deep += "</w:sdtContent></w:sdt>";
  auto doc = ReadDocx(MakeDocx(deep), {});
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().code(), Status::Code::kTooLarge);
  EXPECT_NE(doc.status().message().find("deeper than 256"), std::string::npos);
}

TEST(DocxBadInput, BillionLaughsIsRefused) {
  std::string dtd = "<!DOCTYPE w:document [<!ENTITY lol \"lol\">";
  std::string prev = "lol";
  for (int i = 1; i <= 9; ++i) {
    std::string name = "lol" + std::to_string(i);
    dtd += "<!ENTITY " + name + " \"";
    for (int k = 0; k < 10; ++k) dtd += "&" + prev + ";";
    dtd += "\">";
    prev = name;
  }
  dtd += "]>";
  std::string xml = "<?xml version=\"1.0\"?>" + dtd + "<w:document " + kWordNs +
                    "><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>";
  auto doc = ReadDocx(MakeZip({{"word/document.xml", xml}}), {});
  ASSERT_FALSE(doc.ok());
  EXPECT_NE(doc.status().message().find("DTD"), std::string::npos) << doc.status().ToString();
}

TEST(DocxBadInput, UnknownEntityIsNeverExpanded) {
  // Without a DTD, pugixml leaves an unknown reference as it is.
  Document doc = MustRead(MakeDocx(P("a&lol9;b")));
  ASSERT_EQ(doc.blocks.size(), 1u);
  EXPECT_EQ(doc.blocks[0].text, "a&lol9;b");
}

TEST(DocxBadInput, InvalidUtf8AndSurrogateReferencesBecomeValidText) {
  // Found by fuzz_docx: pugixml passes invalid bytes through and writes &#xD800; as it is.
  Document doc =
      MustRead(MakeDocx(P("a\xFF\xFE"
                          "b&#xD800;c")));
  ASSERT_EQ(doc.blocks.size(), 1u);
  const std::string& text = doc.blocks[0].text;
  EXPECT_EQ(SanitizeUtf8(text), text);
  EXPECT_EQ(text.rfind("a\uFFFD", 0), 0u) << text;
  EXPECT_EQ(text.back(), 'c');
}

TEST(DocxBadInput, HugeGridSpanIsBounded) {
  std::string row;
  for (int i = 0; i < 1000; ++i) row += Tc("<w:gridSpan w:val=\"1000000\"/>", P("x"));
  Document doc = MustRead(MakeDocx("<w:tbl><w:tr>" + row + "</w:tr></w:tbl>"));
  EXPECT_LE(doc.blocks.at(0).table.rows.at(0).size(), 256u);
}

TEST(DocxBadInput, ZipWithoutDocumentIsUnreadable) {
  Json j = ParseToJson(MakeZip({{"xl/workbook.xml", "<workbook/>"}}));
  ASSERT_EQ(RuleIds(j), std::vector<std::string>{"meta.unreadable_document"});
  EXPECT_EQ(j["report"]["source"]["media_type"], "application/zip");
}

TEST(DocxBadInput, DocumentsHaveTheirOwnSizeLimit) {
  std::string docx = ReadFixture("documents/form_2021.docx");
  ParseInput in;
  in.bytes = docx;
  ParseOptions options;
  options.max_bytes = 100;  // HTML/text only
  EXPECT_TRUE(Parse(in, options).ok());
  options.max_document_bytes = docx.size() - 1;
  auto out = Parse(in, options);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().code(), Status::Code::kTooLarge);
}

}  // namespace
}  // namespace nianbao::parser::testing
