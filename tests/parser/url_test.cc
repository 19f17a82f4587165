// report_id: stable for one report page across recrawls, derived from its canonical URL.
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

TEST(ReportIdForUrl, SameForEquivalentUrlsDifferentOtherwise) {
  std::string a = ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_1.html");
  EXPECT_EQ(a, ReportIdForUrl("HTTPS://WWW.EXAMPLE.GOV.CN:443/ndbg/t20210119_1.html#p2"));
  EXPECT_NE(a, ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_2.html"));
  EXPECT_NE(a, ReportIdForUrl("https://www.example.gov.cn/ndbg/t20210119_1.html?v=2"));
  EXPECT_EQ(a.size(), 32u);
}

TEST(Sha256Hex, MatchesAKnownDigest) {
  EXPECT_EQ(Sha256Hex("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

}  // namespace
}  // namespace nianbao::parser
