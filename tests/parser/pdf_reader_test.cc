// The PDF reader on the fixtures of tests/fixtures/documents (made by make_pdf.sh from the HTML
// fixtures): the same report gives the same record and findings as its HTML version, whose
// golden values tests/parser/html_report_test.cc reads from the HTML; bad PDFs give a clear
// error naming the format.
#include "parser/pdf_reader.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "tests/parser/document_test_util.h"

namespace nianbao::parser::testing {
namespace {

Document ReadPdfFixture(const std::string& name, std::string* bytes) {
  *bytes = ReadFixture("documents/" + name);
  auto doc = ReadPdf(*bytes, ReaderLimits{});
  EXPECT_TRUE(doc.ok()) << doc.status().ToString();
  return doc.ok() ? doc.value() : Document{};
}

TEST(PdfReader, Form2021ReadsAsItsHtmlVersion) {
  std::string bytes;
  Document doc = ReadPdfFixture("form_2021.pdf", &bytes);
  EXPECT_EQ(doc.media_type, "application/pdf");
  EXPECT_FALSE(doc.image_only);
  Json j = ParseToJson(bytes);
  const Json& r = j["report"];
  EXPECT_EQ(r["source"]["media_type"], "application/pdf");
  // The golden values of html_report_test.cc's Form2021IsReadAndInOrder.
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["year"], 2021);
  EXPECT_EQ(r["template"], "2021");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["proactive"]["normative_documents"],
            Json({{"issued", 3}, {"repealed", 1}, {"in_force", 12}}));
  EXPECT_EQ(r["proactive"]["coercion"], Json({{"decisions", 3}}));  // full-width ３
  EXPECT_EQ(r["proactive"]["fees"], Json({{"amount_wan", 12.5}}));
  const Json& a = r["applications"];
  EXPECT_EQ(a["new"], Row7(14, 3, 0, 1, 2, 0, 20));
  EXPECT_EQ(a["partially_disclosed"], Row7(2, 0, 0, 0, 0, 0, 2));  // label over two lines
  EXPECT_EQ(a["withheld.third_party"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["unavailable.unclear"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["other.no_correction"], Row7(1, 0, 0, 0, 0, 0, 1));
  EXPECT_EQ(a["total"], Row7(15, 3, 0, 1, 1, 0, 20));  // full-width １５
  EXPECT_EQ(a["carried_forward"], Row7(1, 1, 0, 0, 1, 0, 3));
  EXPECT_EQ(r["reviews_litigation"]["review"], Json::array({1, 0, 0, 1, 2}));
  EXPECT_EQ(r["narrative"]["proactive_total"], 1236);
  EXPECT_EQ(CountSeverity(j, "error"), 0) << j["findings"].dump(1) << DumpBlocks(doc);
  EXPECT_EQ(CountSeverity(j, "warning"), 0) << j["findings"].dump(1);

  ExpectSameReport(j, ParseToJson(ReadFixture("html/form_2021.html")), DumpBlocks(doc));
}

TEST(PdfReader, Faults2019GivesTheFindingsOfItsHtmlVersion) {
  std::string bytes;
  Document doc = ReadPdfFixture("faults_2019.pdf", &bytes);
  Json j = ParseToJson(bytes);
  const Json& r = j["report"];
  // The golden values of html_report_test.cc's FaultsAreFoundAndNothingElse.
  EXPECT_EQ(r["title"], "青禾县柳塘镇2020年政府信息公开工作年度报告");
  EXPECT_EQ(r["template"], "2019");
  EXPECT_EQ(r["published_on"], "2021-03-15");
  EXPECT_EQ(r["proactive"]["procurement"], Json({{"projects", 4}, {"amount_wan", 32.6}}));
  EXPECT_EQ(r["applications"]["total"], Json::array({5, 2, 0, 0, 0, 0, nullptr}));
  EXPECT_EQ(RuleSet(j),
            (std::multiset<std::string>{"applications.row_total", "applications.outcome_total",
                                        "applications.balance", "reviews.total",
                                        "structure.bad_value", "meta.published_late"}))
      << j["findings"].dump(1) << DumpBlocks(doc);

  ExpectSameReport(j, ParseToJson(ReadFixture("html/faults_2019.html")), DumpBlocks(doc));
}

// ---- scans and bad files ----

TEST(PdfReader, ScanWithoutTextLayerIsImageOnly) {
  // scan_2021.pdf: form_2021.pdf's first two pages as pictures, no text at all.
  std::string bytes;
  Document doc = ReadPdfFixture("scan_2021.pdf", &bytes);
  EXPECT_EQ(doc.media_type, "application/pdf");
  EXPECT_TRUE(doc.image_only);
  EXPECT_TRUE(doc.blocks.empty()) << DumpBlocks(doc);
  Json j = ParseToJson(bytes);
  EXPECT_EQ(RuleSet(j), std::multiset<std::string>{"structure.image_only"}) << j.dump(1);
  auto f = FindingsOf(j, "structure.image_only");
  ASSERT_EQ(f.size(), 1u);
  EXPECT_EQ(f[0]["severity"], "warning");
  EXPECT_TRUE(f[0]["path"].is_null());
}

TEST(PdfReader, TablesPastedAsPicturesAreImageOnlyAndTheTextIsKept) {
  // pictured_2021.pdf: form_2021's title and prose as text, each of its tables an image.
  std::string bytes;
  Document doc = ReadPdfFixture("pictured_2021.pdf", &bytes);
  EXPECT_TRUE(doc.image_only) << DumpBlocks(doc);
  Json j = ParseToJson(bytes);
  const Json& r = j["report"];
  EXPECT_EQ(r["title"], "青禾县自然资源局2021年政府信息公开工作年度报告");
  EXPECT_EQ(r["published_on"], "2022-01-20");
  EXPECT_EQ(r["narrative"]["proactive_total"], 1236);  // "我局主动公开政府信息1236条"
  EXPECT_TRUE(r["applications"].is_null());
  // One warning says why the tables are missing; no row or section is reported missing.
  EXPECT_EQ(CountRule(j, "structure.image_only"), 1) << j["findings"].dump(1);
  EXPECT_EQ(CountRule(j, "structure.row_missing"), 0);
  EXPECT_EQ(CountRule(j, "structure.section_missing"), 0);
}

void ExpectPdfError(const std::string& bytes, const std::string& why) {
  auto doc = ReadPdf(bytes, ReaderLimits{});
  ASSERT_FALSE(doc.ok()) << why;
  std::string msg = doc.status().message();
  EXPECT_EQ(msg.rfind("PDF", 0), 0u) << msg;
  EXPECT_NE(msg.find(why), std::string::npos) << msg;
}

TEST(PdfReader, EncryptedPdfIsAClearError) {
  // encrypted_2021.pdf: scan_2021.pdf behind a user password (qpdf, AES-256).
  ExpectPdfError(ReadFixture("documents/encrypted_2021.pdf"), "encrypted");
}

TEST(PdfReader, NotAPdfIsAClearError) {
  ExpectPdfError("", "not a PDF");
  ExpectPdfError("<html><body>not found</body></html>", "not a PDF");
}

TEST(PdfReader, GarbageAfterTheHeaderIsAClearErrorAndPopplerSaysNothingOnStderr) {
  std::string bytes = "%PDF-1.7\n";
  for (int i = 0; i < 4096; ++i) bytes.push_back(static_cast<char>((i * 7919 + 13) % 251));
  ::testing::internal::CaptureStderr();
  auto doc = ReadPdf(bytes, ReaderLimits{});
  std::string err = ::testing::internal::GetCapturedStderr();
  ASSERT_FALSE(doc.ok());
  EXPECT_EQ(doc.status().message().rfind("PDF: ", 0), 0u) << doc.status().ToString();
  EXPECT_EQ(err, "") << "poppler's messages are collected, not printed";
}

TEST(PdfReader, CallsFromSeveralThreadsGiveTheSameDocument) {
  // The parser runs on a pool of threads; ReadPdf serialises poppler (pdf_reader.h).
  std::string bytes = ReadFixture("documents/form_2021.pdf");
  auto first = ReadPdf(bytes, ReaderLimits{});
  ASSERT_TRUE(first.ok());
  const std::string expected = DumpBlocks(first.value());
  std::vector<std::string> got(4);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 3; ++i) {
        auto doc = ReadPdf(bytes, ReaderLimits{});
        got[t] = doc.ok() ? DumpBlocks(doc.value()) : doc.status().ToString();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& g : got) EXPECT_EQ(g, expected);
}

TEST(PdfReader, TruncatedPdfIsAnErrorOrWhatItsFirstPartHolds) {
  // truncated_2021.pdf: form_2021.pdf cut at a third of its bytes. Poppler rebuilds the
  // cross-reference table of a cut file when it can; either way nothing beyond the cut is
  // invented: no figure of section 三 or 四, which lie past the first third.
  std::string bytes = ReadFixture("documents/truncated_2021.pdf");
  auto doc = ReadPdf(bytes, ReaderLimits{});
  if (!doc.ok()) {
    EXPECT_EQ(doc.status().message().rfind("PDF: ", 0), 0u) << doc.status().ToString();
    return;
  }
  Json j = ParseToJson(bytes);
  EXPECT_TRUE(j["report"]["reviews_litigation"].is_null()) << DumpBlocks(doc.value());
}

// A PDF of `pages` empty pages, written out with its cross-reference table.
std::string EmptyPagesPdf(int pages) {
  std::string out = "%PDF-1.4\n";
  std::vector<size_t> offsets;
  auto object = [&](const std::string& body) {
    offsets.push_back(out.size());
    out += std::to_string(offsets.size()) + " 0 obj\n" + body + "\nendobj\n";
  };
  object("<< /Type /Catalog /Pages 2 0 R >>");
  std::string kids;
  for (int i = 0; i < pages; ++i) kids += std::to_string(3 + i) + " 0 R ";
  object("<< /Type /Pages /Count " + std::to_string(pages) + " /Kids [" + kids + "] >>");
  for (int i = 0; i < pages; ++i) {
    object("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>");
  }
  size_t xref = out.size();
  out += "xref\n0 " + std::to_string(offsets.size() + 1) + "\n0000000000 65535 f \n";
  for (size_t off : offsets) {
    char line[32];
    std::snprintf(line, sizeof line, "%010zu 00000 n \n", off);
    out += line;
  }
  out += "trailer\n<< /Size " + std::to_string(offsets.size() + 1) +
         " /Root 1 0 R >>\nstartxref\n" + std::to_string(xref) + "\n%%EOF\n";
  return out;
}

TEST(PdfReader, TwoThousandPagesAreReadUpToTheLimit) {
  std::string bytes = EmptyPagesPdf(2000);
  ReaderLimits limits;
  limits.max_pages = 50;
  auto doc = ReadPdf(bytes, limits);
  ASSERT_TRUE(doc.ok()) << doc.status().ToString();
  // Pages without any text: nothing to lay out, and no table where one should be.
  EXPECT_TRUE(doc.value().blocks.empty());
  EXPECT_TRUE(doc.value().image_only);
}

TEST(PdfReader, TextBeyondTheLimitIsNotRead) {
  std::string bytes;
  ReaderLimits limits;
  limits.max_text_bytes = 600;  // the title and the opening paragraph
  bytes = ReadFixture("documents/form_2021.pdf");
  auto doc = ReadPdf(bytes, limits);
  ASSERT_TRUE(doc.ok());
  size_t text = 0;
  for (const Block& b : doc.value().blocks) text += b.text.size();
  EXPECT_LE(text, 600u);
  EXPECT_TRUE(doc.value().image_only) << "no table was reached";
}

}  // namespace
}  // namespace nianbao::parser::testing
