// Charset detection and decoding (parser/charset.h). GBK bytes are made at test time with
// glibc's iconv from the UTF-8 text written here, or read from the GBK fixtures
// html/gbk_meta.html and html/gbk_nometa.html (made with iconv -f UTF-8 -t GBK).
#include "parser/charset.h"

#include <gtest/gtest.h>
#include <iconv.h>

#include <chrono>
#include <random>
#include <string>

#include "tests/parser/test_util.h"

namespace nianbao::parser::testing {
namespace {

// "政府信息公开" in GBK, as `printf 政府信息公开 | iconv -f UTF-8 -t GBK | xxd` prints it.
const std::string kZhengfuGbk = "\xD5\xFE\xB8\xAE\xD0\xC5\xCF\xA2\xB9\xAB\xBF\xAA";
const std::string kReplacement = "\xEF\xBF\xBD";

// UTF-8 -> GBK with glibc's iconv. REQUIRES: text is encodable in GBK.
std::string ToGbk(const std::string& utf8) {
  iconv_t cd = iconv_open("GBK", "UTF-8");
  EXPECT_NE(cd, reinterpret_cast<iconv_t>(-1));
  std::string out(utf8.size() * 2 + 16, '\0');
  char* in = const_cast<char*>(utf8.data());
  size_t in_left = utf8.size();
  char* dst = out.data();
  size_t dst_left = out.size();
  size_t rc = iconv(cd, &in, &in_left, &dst, &dst_left);
  EXPECT_NE(rc, static_cast<size_t>(-1)) << "not encodable in GBK";
  iconv_close(cd);
  out.resize(out.size() - dst_left);
  return out;
}

// A paragraph long enough for statistical detection, as a report would have it.
const std::string kReportProse =
    "2020年，我镇根据《中华人民共和国政府信息公开条例》等上级机关文件精神以及市、区政府办相关要求，"
    "不断加强信息发布、政策解读和回应关切，继续增强公开实效，稳步提升政府信息公开工作服务水平，"
    "切实保障人民群众的知情权、参与权、监督权和表达权。我镇受理依申请公开2件。";

bool IsValidUtf8(const std::string& s) { return SanitizeUtf8(s) == s; }

TEST(Charset, HelperMakesRealGbk) {
  // The test's own tool: if this fails, every GBK test below tests nothing.
  EXPECT_EQ(ToGbk("政府信息公开"), kZhengfuGbk);
}

// ---- Byte-order marks ----

TEST(Charset, Utf8BomWinsOverMetaAndIsStripped) {
  Decoded d = DecodeToUtf8("\xEF\xBB\xBF<meta charset=\"gbk\"><p>年报</p>", "");
  EXPECT_EQ(d.charset, "utf-8");
  EXPECT_EQ(d.utf8, "<meta charset=\"gbk\"><p>年报</p>");
}

TEST(Charset, Utf16LittleEndianBom) {
  // 年 U+5E74, 报 U+62A5, little-endian after FF FE.
  Decoded d = DecodeToUtf8(std::string("\xFF\xFE\x74\x5E\xA5\x62", 6), "");
  EXPECT_EQ(d.charset, "utf-16le");
  EXPECT_EQ(d.utf8, "年报");
}

TEST(Charset, Utf16BigEndianBom) {
  Decoded d = DecodeToUtf8(std::string("\xFE\xFF\x5E\x74\x62\xA5", 6), "");
  EXPECT_EQ(d.charset, "utf-16be");
  EXPECT_EQ(d.utf8, "年报");
}

// ---- Declarations ----

TEST(Charset, ContentTypeCharsetDecidesOverMeta) {
  std::string page = "<meta charset=\"big5\"><p>" + ToGbk(kReportProse) + "</p>";
  Decoded d = DecodeToUtf8(page, "text/html; charset=GBK");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8, "<meta charset=\"big5\"><p>" + kReportProse + "</p>");
}

TEST(Charset, ContentTypeQuotedCharset) {
  Decoded d = DecodeToUtf8(kZhengfuGbk, "text/html;charset=\"gb2312\"");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8, "政府信息公开");
}

TEST(Charset, MetaCharsetAttribute) {
  std::string page =
      "<html><head><meta charset=\"gb2312\"><title>" + kZhengfuGbk + "</title></head></html>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8,
            "<html><head><meta charset=\"gb2312\"><title>政府信息公开</title></head></html>");
}

TEST(Charset, MetaHttpEquivContentType) {
  std::string page =
      "<HTML><HEAD><META HTTP-EQUIV=\"Content-Type\" CONTENT=\"text/html; charset=GBK\">"
      "</HEAD><BODY>" +
      kZhengfuGbk + "</BODY></HTML>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find("<BODY>政府信息公开</BODY>"), std::string::npos) << d.utf8;
}

TEST(Charset, MetaBeyondTheFirst4KbIsNotADeclaration) {
  // A big5 claim after 5 KB of markup: ignored, so the GBK bytes are detected as GB18030
  // (read as Big5 they would decode to other characters).
  std::string page = "<html><head>" + std::string(5000, ' ') + "<meta charset=\"big5\"></head>" +
                     "<body><p>" + ToGbk(kReportProse) + "</p></body></html>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find(kReportProse), std::string::npos);
}

TEST(Charset, Gb2312LabelDecodesAsGb18030) {
  // U+20000 (𠀀) exists only in GB18030 (four bytes 95 32 82 36); a GB2312 or GBK decoder
  // would reject it.
  Decoded d =
      DecodeToUtf8(std::string("\x95\x32\x82\x36", 4) + kZhengfuGbk, "text/html; charset=gb2312");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8, "\xF0\xA0\x80\x80政府信息公开");
}

TEST(Charset, CanonicalNames) {
  EXPECT_EQ(CanonicalCharset("GB2312"), "gb18030");
  EXPECT_EQ(CanonicalCharset("gbk"), "gb18030");
  EXPECT_EQ(CanonicalCharset("x-gbk"), "gb18030");
  EXPECT_EQ(CanonicalCharset("GB18030"), "gb18030");
  EXPECT_EQ(CanonicalCharset("cp936"), "gb18030");
  EXPECT_EQ(CanonicalCharset("UTF8"), "utf-8");
  EXPECT_EQ(CanonicalCharset(" \"utf-8\" "), "utf-8");
  EXPECT_EQ(CanonicalCharset("Big5"), "big5");
  EXPECT_EQ(CanonicalCharset("ISO-8859-1"), "windows-1252");
  EXPECT_EQ(CanonicalCharset("klingon"), "");
  EXPECT_EQ(CanonicalCharset(""), "");
}

TEST(Charset, Big5Declared) {
  // 年報 in Big5: A6 7E B3 F8.
  Decoded d = DecodeToUtf8("\xA6\x7E\xB3\xF8", "text/html; charset=big5");
  EXPECT_EQ(d.charset, "big5");
  EXPECT_EQ(d.utf8, "年報");
}

// ---- Detection ----

TEST(Charset, GbkWithoutAnyDeclarationIsDetected) {
  std::string page = "<html><head><title>" + ToGbk("王店镇政府信息公开工作年度报告") +
                     "</title></head><body><p>" + ToGbk(kReportProse) + "</p></body></html>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find("<title>王店镇政府信息公开工作年度报告</title>"), std::string::npos);
  EXPECT_NE(d.utf8.find(kReportProse), std::string::npos);
}

TEST(Charset, GbkFixtureWithoutDeclarationIsDetected) {
  // html/gbk_nometa.html: GBK bytes, no <meta>, tested without a Content-Type.
  Decoded d = DecodeToUtf8(ReadFixture("html/gbk_nometa.html"), "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find("<title>王店镇召开政务公开工作推进会</title>"), std::string::npos);
  EXPECT_NE(d.utf8.find("会上，镇党政办负责同志就网站栏目维护"), std::string::npos);
  EXPECT_EQ(d.utf8.find(kReplacement), std::string::npos);
}

TEST(Charset, GbkFixtureWithMetaGb2312) {
  Decoded d = DecodeToUtf8(ReadFixture("html/gbk_meta.html"), "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find("王店镇2020年度政府信息公开工作年度报告"), std::string::npos);
  EXPECT_NE(d.utf8.find("危及“三安全一稳定”"), std::string::npos);
  EXPECT_EQ(d.utf8.find(kReplacement), std::string::npos);
}

TEST(Charset, Utf8DeclaredOverGbkBytesFallsBackToDetection) {
  std::string page = "<html><head><meta charset=\"utf-8\"></head><body><p>" + ToGbk(kReportProse) +
                     "</p></body></html>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_NE(d.utf8.find(kReportProse), std::string::npos);
  // The same lie in the HTTP header.
  Decoded h = DecodeToUtf8(ToGbk(kReportProse), "text/html; charset=utf-8");
  EXPECT_EQ(h.charset, "gb18030");
  EXPECT_EQ(h.utf8, kReportProse);
}

TEST(Charset, Utf8WithOneStrayByteStaysUtf8) {
  // A UTF-8 page with one broken byte is not GBK: the byte becomes U+FFFD, the rest stays.
  Decoded d = DecodeToUtf8(kReportProse + "\xFF" + kReportProse, "text/html; charset=utf-8");
  EXPECT_EQ(d.charset, "utf-8");
  EXPECT_EQ(d.utf8, kReportProse + kReplacement + kReportProse);
}

TEST(Charset, LegacyDeclarationOverUtf8BytesIsUtf8) {
  // A page converted to UTF-8 whose template kept <meta charset="gb2312">.
  std::string page = "<meta charset=\"gb2312\"><p>" + kReportProse + "</p>";
  Decoded d = DecodeToUtf8(page, "");
  EXPECT_EQ(d.charset, "utf-8");
  EXPECT_EQ(d.utf8, page);
}

TEST(Charset, Latin1ClaimIsWeakEvidence) {
  // Error pages and default server configurations claim iso-8859-1 over UTF-8 or GBK.
  Decoded utf8 = DecodeToUtf8("<p>" + kReportProse + "</p>", "text/html; charset=ISO-8859-1");
  EXPECT_EQ(utf8.charset, "utf-8");
  EXPECT_EQ(utf8.utf8, "<p>" + kReportProse + "</p>");

  std::string page =
      "<meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-1\">" +
      ToGbk(kReportProse);
  Decoded gbk = DecodeToUtf8(page, "");
  EXPECT_EQ(gbk.charset, "gb18030");
  EXPECT_NE(gbk.utf8.find(kReportProse), std::string::npos);
}

TEST(Charset, PureAsciiIsUtf8) {
  Decoded d = DecodeToUtf8("<html><body>ok</body></html>", "");
  EXPECT_EQ(d.charset, "utf-8");
  EXPECT_EQ(d.utf8, "<html><body>ok</body></html>");
}

// ---- Invalid bytes and hostile input ----

TEST(Charset, SanitizeReplacesEachIllFormedSubpart) {
  EXPECT_EQ(SanitizeUtf8("a\xFF"
                         "b"),
            "a" + kReplacement + "b");
  // An overlong encoding of '/': two invalid bytes, two replacements.
  EXPECT_EQ(SanitizeUtf8("\xC0\xAF"), kReplacement + kReplacement);
  // A UTF-16 surrogate encoded in UTF-8 (ED A0 80) is ill-formed: three replacements.
  EXPECT_EQ(SanitizeUtf8("\xED\xA0\x80"), kReplacement + kReplacement + kReplacement);
  // A character cut by the end of the input: one replacement for the cut sequence.
  EXPECT_EQ(SanitizeUtf8("年\xE6\x8A"), "年" + kReplacement);
  // A lead byte followed by ASCII: the lead byte alone is replaced.
  EXPECT_EQ(SanitizeUtf8("\xE5"
                         "a"),
            kReplacement + "a");
  // Well-formed text (with a 4-byte character) passes unchanged.
  EXPECT_EQ(SanitizeUtf8("政府\xF0\xA0\x80\x80 ok"), "政府\xF0\xA0\x80\x80 ok");
}

TEST(Charset, InvalidGbkBytesBecomeReplacement) {
  // 0xFF is never valid in GB18030; the text around it survives.
  Decoded d = DecodeToUtf8(kZhengfuGbk + "\xFF" + kZhengfuGbk, "text/html; charset=gbk");
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8, "政府信息公开" + kReplacement + "政府信息公开");
}

TEST(Charset, EmptyInput) {
  Decoded d = DecodeToUtf8("", "");
  EXPECT_EQ(d.utf8, "");
  EXPECT_EQ(d.charset, "utf-8");
  EXPECT_EQ(DecodeToUtf8("", "text/html; charset=gbk").utf8, "");
  EXPECT_EQ(SanitizeUtf8(""), "");
}

TEST(Charset, BinaryGarbageGivesValidUtf8) {
  std::mt19937 rng(7);
  for (int round = 0; round < 4; ++round) {
    std::string bytes(64 * 1024, '\0');
    for (auto& c : bytes) c = static_cast<char>(rng() & 0xFF);
    for (std::string_view ct : {"", "text/html; charset=utf-8", "text/html; charset=gbk",
                                "text/html; charset=big5", "text/html; charset=iso-8859-1"}) {
      Decoded d = DecodeToUtf8(bytes, ct);
      EXPECT_TRUE(IsValidUtf8(d.utf8)) << "content type " << ct;
      EXPECT_FALSE(d.charset.empty());
    }
  }
}

TEST(Charset, SixteenMegabytesDecodeInLinearTime) {
  std::string gbk = ToGbk(kReportProse);
  std::string big;
  while (big.size() < (16u << 20)) big += gbk;
  const CpuTimer timer;
  Decoded d = DecodeToUtf8(big, "");
  const double seconds = timer.Seconds();
  EXPECT_EQ(d.charset, "gb18030");
  EXPECT_EQ(d.utf8.size(), big.size() / gbk.size() * kReportProse.size());
  EXPECT_LT(seconds, 10.0);

  // The worst case for a byte-by-byte fallback: 16 MB in which nearly every byte is invalid.
  std::string bad(16u << 20, '\xFF');
  const CpuTimer bad_timer;
  Decoded b = DecodeToUtf8(bad, "text/html; charset=utf-8");
  EXPECT_TRUE(IsValidUtf8(b.utf8));
  EXPECT_LT(bad_timer.Seconds(), 10.0);
}

}  // namespace
}  // namespace nianbao::parser::testing
