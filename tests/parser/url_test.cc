// report_id: stable for one report page across recrawls, derived from its canonical URL
// without the scheme (docs/record-v1.md). The canonical form is base/url.h's.
#include <gtest/gtest.h>

#include "parser/parser.h"

namespace nianbao::parser {
namespace {

TEST(CanonicalizeUrl, LowerCasesSchemeAndHostDropsFragmentAndDefaultPort) {
  EXPECT_EQ(CanonicalizeUrl("HTTPS://WWW.Example.GOV.cn:443/Zfxxgk/T1.html#top"),
            "https://www.example.gov.cn/Zfxxgk/T1.html");
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn:80/x?b=2&a=1#f"), "http://a.gov.cn/x?b=2&a=1");
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn:8080/x"), "http://a.gov.cn:8080/x");
  EXPECT_EQ(CanonicalizeUrl("https://a.gov.cn:80/x"), "https://a.gov.cn:80/x");
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn"), "http://a.gov.cn/");
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn?q=1"), "http://a.gov.cn/?q=1");
}

TEST(CanonicalizeUrl, RemovesDotSegmentsAndNormalisesPercentEncoding) {
  EXPECT_EQ(CanonicalizeUrl("HTTP://Example.GOV.cn:80/a/../b.html"),
            "http://example.gov.cn/b.html");
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn/x/./y/../../z.html"), "http://a.gov.cn/z.html");
  // Escapes of unreserved characters are decoded, the others upper-cased (RFC 3986 6.2.2).
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn/%7euser/a%2fb%41.html"),
            "http://a.gov.cn/~user/a%2FbA.html");
  // Raw UTF-8 and spaces are percent-encoded.
  EXPECT_EQ(CanonicalizeUrl("http://a.gov.cn/年报 1.html"),
            "http://a.gov.cn/%E5%B9%B4%E6%8A%A5%201.html");
  EXPECT_EQ(CanonicalizeUrl("http://[::1]:80/x"), "http://[::1]/x");
}

TEST(CanonicalizeUrl, WhatIsNotAnHttpUrlIsKeptAsGiven) {
  EXPECT_EQ(CanonicalizeUrl("ftp://a.gov.cn/x"), "ftp://a.gov.cn/x");
  EXPECT_EQ(CanonicalizeUrl("report.html"), "report.html");
}

TEST(ReportIdForUrl, SameForEquivalentUrlsDifferentOtherwise) {
  std::string a = ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_1.html");
  EXPECT_EQ(a, ReportIdForUrl("HTTPS://WWW.EXAMPLE.GOV.CN:443/ndbg/t20210119_1.html#p2"));
  EXPECT_NE(a, ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_2.html"));
  EXPECT_NE(a, ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_1.html?v=2"));
  EXPECT_EQ(a.size(), 32u);
}

// Golden values: the first 32 hex digits of SHA-256("www.example.gov.cn/ndbg/t20210119_1.html")
// and of SHA-256("example.gov.cn/b.html"), computed apart from this code (Python's hashlib).
TEST(ReportIdForUrl, IsTheHashOfHostPathAndQueryWithoutTheScheme) {
  EXPECT_EQ(ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_1.html"),
            "2ab748d0936a9e3265ab2193083e2a67");
  // A portal moving from http to https keeps every report_id.
  EXPECT_EQ(ReportIdForUrl("http://www.example.gov.cn/ndbg/t20210119_1.html"),
            "2ab748d0936a9e3265ab2193083e2a67");
  EXPECT_EQ(ReportIdForUrl("HTTP://Example.GOV.cn:80/a/../b.html"),
            "9edf64dfb7b9e8c40d7ebd8b5c99e54d");
  EXPECT_EQ(ReportIdForUrl("https://example.gov.cn/b.html"), "9edf64dfb7b9e8c40d7ebd8b5c99e54d");
  // Credentials are not part of the page.
  EXPECT_EQ(ReportIdForUrl("http://u:p@example.gov.cn/b.html"), "9edf64dfb7b9e8c40d7ebd8b5c99e54d");
}

TEST(Sha256Hex, MatchesAKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// A body is hashed once on its way: a hash the caller already has is used as it is.
TEST(ParseInput, APrecomputedSha256IsUsedInsteadOfHashingAgain) {
  ParseInput in;
  in.bytes = "abc";
  // Not the hash of "abc" (ba7816bf...), so that only a hash taken from the input can match.
  in.sha256 = std::string(64, 'f');
  auto out = Parse(in);
  ASSERT_TRUE(out.ok());
  EXPECT_EQ(out.value().record.source.sha256, std::string(64, 'f'));
  EXPECT_EQ(out.value().record.report_id, std::string(32, 'f'));
  // Without it, Parse() hashes the bytes itself.
  in.sha256.clear();
  EXPECT_EQ(Parse(in).value().record.source.sha256,
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace nianbao::parser
