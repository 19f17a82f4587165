#include "crawler/robots.h"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

namespace nianbao::crawler {

// Sanitizer builds run several times slower; the bounds below only tell linear from
// quadratic (seconds against minutes), so they scale with the build.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr int kSlowdown = 5;
#else
constexpr int kSlowdown = 1;
#endif
namespace {

constexpr std::string_view kToken = "nianbao";

RobotsRules ParseForUs(std::string_view body) { return RobotsRules::Parse(body, kToken); }

// ---- Rule matching (RFC 9309 2.2.2, 2.2.3) ----

TEST(RobotsMatchTest, LongestMatchWins) {
  // Given the RFC's example group, when a more specific rule covers a path, then it decides.
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /\n"
      "Allow: /example/page/\n"
      "Disallow: /example/page/disallowed.gif\n");
  EXPECT_FALSE(rules.Allowed("/other"));
  EXPECT_TRUE(rules.Allowed("/example/page/"));
  EXPECT_TRUE(rules.Allowed("/example/page/index.html"));
  EXPECT_FALSE(rules.Allowed("/example/page/disallowed.gif"));
  EXPECT_FALSE(rules.Allowed("/example/page"));  // "/example/page/" does not match it
}

TEST(RobotsMatchTest, LongestMatchWinsWhateverTheOrder) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /a/b\n"
      "Allow: /a\n");
  EXPECT_TRUE(rules.Allowed("/a/c"));
  EXPECT_FALSE(rules.Allowed("/a/b/c"));
}

TEST(RobotsMatchTest, AllowWinsTieInEitherOrder) {
  const RobotsRules disallow_first = ParseForUs("User-agent: *\nDisallow: /page\nAllow: /page\n");
  const RobotsRules allow_first = ParseForUs("User-agent: *\nAllow: /page\nDisallow: /page\n");
  EXPECT_TRUE(disallow_first.Allowed("/page"));
  EXPECT_TRUE(allow_first.Allowed("/page"));

  // Lengths are compared on the pattern, wildcards included: "/*.html" and "/a.html" tie.
  const RobotsRules wildcard_tie =
      ParseForUs("User-agent: *\nDisallow: /a.html\nAllow: /*.html\nDisallow: /b\n");
  EXPECT_TRUE(wildcard_tie.Allowed("/a.html"));
  EXPECT_FALSE(wildcard_tie.Allowed("/b.htm"));
}

TEST(RobotsMatchTest, RulesArePrefixesAndCaseSensitive) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /fish\n");
  EXPECT_FALSE(rules.Allowed("/fish"));
  EXPECT_FALSE(rules.Allowed("/fish.html"));
  EXPECT_FALSE(rules.Allowed("/fishheads/yummy.html"));
  EXPECT_FALSE(rules.Allowed("/fish?id=1"));
  EXPECT_TRUE(rules.Allowed("/Fish.asp"));
  EXPECT_TRUE(rules.Allowed("/catfish"));
  EXPECT_TRUE(rules.Allowed("/"));
}

TEST(RobotsMatchTest, StarMatchesAnySequence) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /*.php\n"
      "Disallow: /zfxxgk/*/draft\n"
      "Disallow: /*?\n");
  EXPECT_FALSE(rules.Allowed("/index.php"));
  EXPECT_FALSE(rules.Allowed("/folder/any.php.file.html"));
  EXPECT_FALSE(rules.Allowed("/zfxxgk/2023/x/draft"));
  EXPECT_FALSE(rules.Allowed("/zfxxgk//draft"));  // "*" may match nothing
  EXPECT_FALSE(rules.Allowed("/list.html?page=2"));
  EXPECT_TRUE(rules.Allowed("/windows.PHP"));
  EXPECT_TRUE(rules.Allowed("/zfxxgk/draft"));
  EXPECT_TRUE(rules.Allowed("/list.html"));
}

TEST(RobotsMatchTest, DollarAnchorsTheEnd) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /*.pdf$\n"
      "Disallow: /exact$\n");
  EXPECT_FALSE(rules.Allowed("/ndbg/2023.pdf"));
  EXPECT_TRUE(rules.Allowed("/ndbg/2023.pdf?download=1"));
  EXPECT_TRUE(rules.Allowed("/ndbg/2023.pdfx"));
  EXPECT_FALSE(rules.Allowed("/exact"));
  EXPECT_TRUE(rules.Allowed("/exact/"));
}

TEST(RobotsMatchTest, StarBeforeDollarMatchesAnyEnding) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /a*$\n");
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/abc"));
  EXPECT_TRUE(rules.Allowed("/b"));
}

TEST(RobotsMatchTest, AllowSlashDollarOpensOnlyTheRoot) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /\nAllow: /$\n");
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_TRUE(rules.Allowed(""));  // "" is "/"
  EXPECT_FALSE(rules.Allowed("/page"));
  EXPECT_FALSE(rules.disallows_everything());
}

TEST(RobotsMatchTest, DollarInsideAPatternIsLiteral) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /a$b\n");
  EXPECT_FALSE(rules.Allowed("/a$b"));
  EXPECT_FALSE(rules.Allowed("/a%24b"));
  EXPECT_TRUE(rules.Allowed("/a"));
  EXPECT_TRUE(rules.Allowed("/ab"));
}

TEST(RobotsMatchTest, EncodedStarInARuleMatchesALiteralStar) {
  // RFC 9309 2.2.3: a rule names a literal "*" as "%2A".
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /file-%2A.html\n");
  EXPECT_FALSE(rules.Allowed("/file-*.html"));
  EXPECT_FALSE(rules.Allowed("/file-%2a.html"));
  EXPECT_TRUE(rules.Allowed("/file-x.html"));
}

TEST(RobotsMatchTest, PercentEncodingOfUnreservedCharactersIsDecoded) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /%7Ealice\n"
      "Disallow: /~bob\n"
      "Disallow: /%62%61%7A\n");
  EXPECT_FALSE(rules.Allowed("/~alice/index.html"));
  EXPECT_FALSE(rules.Allowed("/%7ebob/index.html"));
  EXPECT_FALSE(rules.Allowed("/baz"));
  EXPECT_TRUE(rules.Allowed("/~carol"));
}

TEST(RobotsMatchTest, PercentEncodingHexIsCaseInsensitive) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /a%3cd.html\n");
  EXPECT_FALSE(rules.Allowed("/a%3Cd.html"));
  EXPECT_FALSE(rules.Allowed("/a%3cd.html"));
  EXPECT_TRUE(rules.Allowed("/a%3Dd.html"));
}

TEST(RobotsMatchTest, EncodedReservedCharactersStayDistinct) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /a%2Fb.html\n");
  EXPECT_FALSE(rules.Allowed("/a%2fb.html"));
  EXPECT_TRUE(rules.Allowed("/a/b.html"));
}

TEST(RobotsMatchTest, RawUtf8MatchesItsPercentEncoding) {
  // A portal may write Chinese paths raw in robots.txt while links carry them encoded.
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /年报/\n");
  EXPECT_FALSE(rules.Allowed("/%E5%B9%B4%E6%8A%A5/2023.html"));
  EXPECT_FALSE(rules.Allowed("/%e5%b9%b4%e6%8a%a5/2023.html"));
  EXPECT_FALSE(rules.Allowed("/年报/2023.html"));
  EXPECT_TRUE(rules.Allowed("/%E5%B9%B4/2023.html"));
}

TEST(RobotsMatchTest, EmptyPathIsRoot) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /$\n");
  EXPECT_FALSE(rules.Allowed(""));
  EXPECT_FALSE(rules.Allowed("/"));
  EXPECT_TRUE(rules.Allowed("/x"));
}

TEST(RobotsMatchTest, RobotsTxtIsAlwaysAllowed) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /robots.txt\nDisallow: /\n");
  EXPECT_TRUE(rules.Allowed("/robots.txt"));
  EXPECT_FALSE(rules.Allowed("/robots.txt.bak"));
  EXPECT_FALSE(rules.Allowed("/index.html"));
}

// ---- Groups and user-agents (RFC 9309 2.2.1) ----

TEST(RobotsGroupTest, StarGroupAppliesWhenNoGroupNamesUs) {
  const RobotsRules rules = ParseForUs(
      "User-agent: otherbot\n"
      "Disallow: /a\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /b\n");
  EXPECT_TRUE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/b"));
}

TEST(RobotsGroupTest, OurGroupReplacesStarGroup) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Disallow: /\n"
      "Crawl-delay: 30\n"
      "\n"
      "User-agent: nianbao\n"
      "Disallow: /private\n");
  EXPECT_TRUE(rules.Allowed("/public"));
  EXPECT_FALSE(rules.Allowed("/private/x"));
  EXPECT_FALSE(rules.disallows_everything());
  EXPECT_FALSE(rules.crawl_delay().has_value());  // "*"'s delay is not inherited
}

TEST(RobotsGroupTest, OurGroupWithEmptyDisallowStillReplacesStarGroup) {
  const RobotsRules rules = ParseForUs(
      "User-agent: nianbao\n"
      "Disallow:\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /\n");
  EXPECT_TRUE(rules.Allowed("/anything"));
  EXPECT_FALSE(rules.disallows_everything());
}

TEST(RobotsGroupTest, AgentNameIsCaseInsensitiveAndIgnoresVersion) {
  for (const char* line : {"User-agent: Nianbao", "User-agent: NIANBAO/0.1",
                           "User-agent:nianbao/1.0 (+https://example.org)"}) {
    const std::string body =
        std::string("User-agent: *\nDisallow: /\n\n") + line + "\nDisallow: /only-this\n";
    const RobotsRules rules = ParseForUs(body);
    EXPECT_TRUE(rules.Allowed("/x")) << line;
    EXPECT_FALSE(rules.Allowed("/only-this")) << line;
  }
}

TEST(RobotsGroupTest, OurTokenMayCarryAVersion) {
  const RobotsRules rules = RobotsRules::Parse(
      "User-agent: *\nDisallow: /\n\nUser-agent: nianbao\nDisallow: /b\n", "Nianbao/0.1");
  EXPECT_TRUE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/b"));
}

TEST(RobotsGroupTest, LongerOrShorterAgentNamesDoNotMatch) {
  const RobotsRules rules = ParseForUs(
      "User-agent: nianbaobot\n"
      "User-agent: nian\n"
      "Disallow: /\n"
      "\n"
      "User-agent: *\n"
      "Disallow: /star\n");
  EXPECT_TRUE(rules.Allowed("/x"));
  EXPECT_FALSE(rules.Allowed("/star"));
}

TEST(RobotsGroupTest, GroupsNamingUsAreMerged) {
  const RobotsRules rules = ParseForUs(
      "User-agent: nianbao\n"
      "Disallow: /a\n"
      "\n"
      "User-agent: otherbot\n"
      "Disallow: /b\n"
      "\n"
      "User-agent: NianBao\n"
      "Disallow: /c\n"
      "Allow: /a/open\n");
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_TRUE(rules.Allowed("/a/open"));
  EXPECT_TRUE(rules.Allowed("/b"));
  EXPECT_FALSE(rules.Allowed("/c"));
}

TEST(RobotsGroupTest, ConsecutiveUserAgentsShareTheirRules) {
  const RobotsRules rules = ParseForUs(
      "User-agent: otherbot\n"
      "\n"
      "User-agent: nianbao\n"
      "User-agent: thirdbot\n"
      "Disallow: /shared\n"
      "User-agent: fourthbot\n"
      "Disallow: /fourth\n");
  EXPECT_FALSE(rules.Allowed("/shared"));
  EXPECT_TRUE(rules.Allowed("/fourth"));  // a user-agent after rules opens a new group
}

TEST(RobotsGroupTest, EmptyDisallowAllowsEverything) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow:\n");
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_TRUE(rules.Allowed("/anything"));
  EXPECT_FALSE(rules.disallows_everything());
}

TEST(RobotsGroupTest, RulesBeforeAnyUserAgentAreIgnored) {
  const RobotsRules rules = ParseForUs(
      "Disallow: /\n"
      "Crawl-delay: 9\n"
      "User-agent: *\n"
      "Disallow: /x\n");
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_FALSE(rules.Allowed("/x"));
  EXPECT_FALSE(rules.crawl_delay().has_value());
}

TEST(RobotsGroupTest, NoGroupForUsOrStarAllowsEverything) {
  const RobotsRules rules = ParseForUs("User-agent: otherbot\nDisallow: /\n");
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_FALSE(rules.disallows_everything());
}

// ---- Lexical tolerance ----

TEST(RobotsSyntaxTest, FieldNamesAreCaseInsensitiveAndWhitespaceTolerated) {
  const RobotsRules rules = ParseForUs(
      "USER-AGENT:   *  \n"
      "  disallow:/a\n"
      "\tDiSaLlOw\t:\t/b\t\n"
      "ALLOW : /a/open\n");
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/b"));
  EXPECT_TRUE(rules.Allowed("/a/open"));
}

TEST(RobotsSyntaxTest, CrlfAndLoneCrEndLines) {
  const RobotsRules crlf = ParseForUs("User-agent: *\r\nDisallow: /a\r\nDisallow: /b\r\n");
  EXPECT_FALSE(crlf.Allowed("/a"));
  EXPECT_FALSE(crlf.Allowed("/b"));
  EXPECT_TRUE(crlf.Allowed("/c"));

  const RobotsRules cr = ParseForUs("User-agent: *\rDisallow: /a\rDisallow: /b");
  EXPECT_FALSE(cr.Allowed("/a"));
  EXPECT_FALSE(cr.Allowed("/b"));
  EXPECT_TRUE(cr.Allowed("/c"));
}

TEST(RobotsSyntaxTest, LeadingBomIsSkipped) {
  const RobotsRules rules = ParseForUs("\xEF\xBB\xBFUser-agent: *\nDisallow: /a\n");
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_TRUE(rules.Allowed("/b"));
}

TEST(RobotsSyntaxTest, CommentsAreIgnored) {
  const RobotsRules rules = ParseForUs(
      "# robots.txt for a portal\n"
      "User-agent: * # everyone\n"
      "# Disallow: /commented\n"
      "Disallow: /a # not for crawlers\n"
      "Disallow: /b#c\n");
  EXPECT_TRUE(rules.Allowed("/commented"));
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/bx"));  // the rule is "/b", the "#c" a comment
}

TEST(RobotsSyntaxTest, GarbageLinesAreIgnoredWithoutEndingTheGroup) {
  const RobotsRules rules = ParseForUs(
      "<html><body>oops</body></html>\n"
      "User-agent: *\n"
      "Disallow /no-colon\n"
      "Disallow: /x\n"
      "Unknown-field: value\n"
      ":::\n"
      "Disallow: no-leading-slash\n"
      "Disallow: /y\n");
  EXPECT_TRUE(rules.Allowed("/no-colon"));
  EXPECT_TRUE(rules.Allowed("/no-leading-slash"));
  EXPECT_FALSE(rules.Allowed("/x"));
  EXPECT_FALSE(rules.Allowed("/y"));
}

TEST(RobotsSyntaxTest, BinaryJunkBetweenRulesDoesNotBreakParsing) {
  std::string body = "User-agent: *\nDisallow: /x\n";
  body += std::string("\0\xFF\xFE garbage\n", 13);
  body += "Unknown-field: value\n:::\nDisallow: /y\n";
  const RobotsRules rules = ParseForUs(body);
  EXPECT_FALSE(rules.Allowed("/x"));
  EXPECT_FALSE(rules.Allowed("/y"));
  EXPECT_TRUE(rules.Allowed("/z"));
}

TEST(RobotsSyntaxTest, EmptyBodyAllowsEverything) {
  const RobotsRules rules = ParseForUs("");
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_FALSE(rules.crawl_delay().has_value());
  EXPECT_TRUE(rules.sitemaps().empty());
}

// ---- Crawl-delay and Sitemap ----

TEST(RobotsCrawlDelayTest, IntegerAndDecimalAreRead) {
  EXPECT_EQ(ParseForUs("User-agent: *\nCrawl-delay: 10\n").crawl_delay(), 10.0);
  EXPECT_EQ(ParseForUs("User-agent: *\ncrawl-DELAY: 2.5\n").crawl_delay(), 2.5);
  EXPECT_EQ(ParseForUs("User-agent: *\nCrawl-delay: 0\n").crawl_delay(), 0.0);
}

TEST(RobotsCrawlDelayTest, JunkIsIgnored) {
  for (const char* value : {"abc", "-1", "1e3", "inf", "nan", "5s", "1.2.3", "", "."}) {
    const RobotsRules rules = ParseForUs(std::string("User-agent: *\nCrawl-delay: ") + value);
    EXPECT_FALSE(rules.crawl_delay().has_value()) << value;
  }
}

TEST(RobotsCrawlDelayTest, ComesFromTheSelectedGroup) {
  const RobotsRules rules = ParseForUs(
      "User-agent: *\n"
      "Crawl-delay: 30\n"
      "\n"
      "User-agent: otherbot\n"
      "Crawl-delay: 60\n"
      "\n"
      "User-agent: nianbao\n"
      "Crawl-delay: 5\n"
      "Disallow: /x\n");
  EXPECT_EQ(rules.crawl_delay(), 5.0);
  EXPECT_FALSE(rules.Allowed("/x"));  // Crawl-delay did not end the group
}

TEST(RobotsCrawlDelayTest, MergedGroupsKeepTheLargest) {
  const RobotsRules rules = ParseForUs(
      "User-agent: nianbao\nCrawl-delay: 3\n\nUser-agent: other\nDisallow: /\n\n"
      "User-agent: nianbao\nCrawl-delay: 7\n");
  EXPECT_EQ(rules.crawl_delay(), 7.0);
}

TEST(RobotsSitemapTest, CollectedFromAnywhereInOrder) {
  const RobotsRules rules = ParseForUs(
      "Sitemap: https://www.gov.cn/sitemap.xml\n"
      "User-agent: otherbot\n"
      "Disallow: /\n"
      "SITEMAP:https://www.gov.cn/news.xml\n"
      "Sitemap: https://www.gov.cn/sitemap.xml\n"  // repeated: kept once
      "Sitemap:\n");
  EXPECT_EQ(rules.sitemaps(), (std::vector<std::string>{"https://www.gov.cn/sitemap.xml",
                                                        "https://www.gov.cn/news.xml"}));
}

TEST(RobotsSitemapTest, DoesNotEndTheCurrentGroup) {
  const RobotsRules rules = ParseForUs(
      "User-agent: nianbao\n"
      "Disallow: /a\n"
      "Sitemap: https://example.org/s.xml\n"
      "Disallow: /b\n");
  EXPECT_FALSE(rules.Allowed("/a"));
  EXPECT_FALSE(rules.Allowed("/b"));
  EXPECT_EQ(rules.sitemaps().size(), 1u);
}

// ---- Whole-site verdicts and the fetch-outcome factories ----

TEST(RobotsVerdictTest, DisallowSlashDisallowsEverything) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /\n");
  EXPECT_TRUE(rules.disallows_everything());
  EXPECT_FALSE(rules.Allowed("/index.html"));
  EXPECT_TRUE(rules.Allowed("/robots.txt"));
}

TEST(RobotsVerdictTest, PartialDisallowDoesNotDisallowEverything) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /admin\n");
  EXPECT_FALSE(rules.disallows_everything());
}

TEST(RobotsVerdictTest, AllowAllAllowsEverything) {
  const RobotsRules rules = RobotsRules::AllowAll();
  EXPECT_TRUE(rules.Allowed("/"));
  EXPECT_TRUE(rules.Allowed("/zfxxgk/ndbg/index_1.html?x=1"));
  EXPECT_FALSE(rules.disallows_everything());
  EXPECT_FALSE(rules.crawl_delay().has_value());
  EXPECT_TRUE(rules.sitemaps().empty());
}

TEST(RobotsVerdictTest, DisallowAllKeepsRobotsTxtAllowed) {
  const RobotsRules rules = RobotsRules::DisallowAll();
  EXPECT_TRUE(rules.disallows_everything());
  EXPECT_FALSE(rules.Allowed("/"));
  EXPECT_FALSE(rules.Allowed(""));
  EXPECT_FALSE(rules.Allowed("/zfxxgk/ndbg/index_1.html?x=1"));
  EXPECT_TRUE(rules.Allowed("/robots.txt"));
}

// ---- Limits and hostile input ----

constexpr std::size_t kKiB = 1024;

std::string Comments(std::size_t bytes) {
  std::string out;
  const std::string line = "# " + std::string(97, 'x') + "\n";  // 100 bytes
  while (out.size() + line.size() <= bytes) out += line;
  out.append(bytes - out.size(), '\n');
  return out;
}

TEST(RobotsLimitsTest, RulesAfterTheFirst500KiBAreIgnored) {
  const std::string body =
      "User-agent: *\nDisallow: /early\n" + Comments(600 * kKiB) + "Disallow: /late\n";
  const RobotsRules rules = ParseForUs(body);
  EXPECT_FALSE(rules.Allowed("/early"));
  EXPECT_TRUE(rules.Allowed("/late"));
}

TEST(RobotsLimitsTest, RuleJustInsideTheCapIsKept) {
  const std::string head = "User-agent: *\n";
  const std::string rule = "Disallow: /inside\n";
  const std::string body =
      head + Comments(500 * kKiB - head.size() - rule.size()) + rule + "Disallow: /outside\n";
  ASSERT_EQ(body.find(rule) + rule.size(), 500 * kKiB);
  const RobotsRules rules = ParseForUs(body);
  EXPECT_FALSE(rules.Allowed("/inside"));
  EXPECT_TRUE(rules.Allowed("/outside"));
}

TEST(RobotsLimitsTest, LineCutByTheCapIsDroppedNotShortened) {
  // Given "Disallow: /abcdef" whose "/a" ends exactly at the cap, when parsed, then no rule
  // "/a" (which would block "/apple") comes out of it.
  const std::string head = "User-agent: *\n";
  const std::string cut = "Disallow: /a";
  const std::string body = head + Comments(500 * kKiB - head.size() - cut.size()) + cut + "bcdef\n";
  ASSERT_EQ(body.find(cut) + cut.size(), 500 * kKiB);
  const RobotsRules rules = ParseForUs(body);
  EXPECT_TRUE(rules.Allowed("/apple"));
}

TEST(RobotsLimitsTest, PathologicalPatternOnLongPathIsFast) {
  // A backtracking matcher needs time exponential in the number of stars for this pair.
  std::string pattern = "/";
  for (int i = 0; i < 40; ++i) pattern += "*a";
  pattern += "*b";
  const RobotsRules rules =
      ParseForUs("User-agent: *\nDisallow: " + pattern + "\nDisallow: " + pattern + "$\n");
  const std::string no_match = "/" + std::string(100 * 1000, 'a');
  const std::string match = no_match + "b";

  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(rules.Allowed(no_match));
  EXPECT_FALSE(rules.Allowed(match));
  EXPECT_FALSE(rules.Allowed(match + "c"));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2) * kSlowdown);
}

TEST(RobotsLimitsTest, LongLiteralSegmentOnLongPathIsFast) {
  // A naive substring search costs |path| * |segment| per call here, 1.5 * 10^5 * 5 * 10^4
  // comparisons: about ten seconds for the loop even with a vectorised memcmp, against
  // milliseconds for a linear-time search.
  const std::string segment = std::string(50 * 1000, 'a') + "b";
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /*" + segment + "\n");
  const std::string no_match = "/" + std::string(200 * 1000, 'a');

  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < 40; ++i) EXPECT_TRUE(rules.Allowed(no_match));
  EXPECT_FALSE(rules.Allowed(no_match + "b"));
  EXPECT_FALSE(rules.Allowed("/x" + segment + "/y"));
  EXPECT_TRUE(rules.Allowed("/x" + segment.substr(1)));
  const auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_LT(elapsed, std::chrono::seconds(2) * kSlowdown);
}

TEST(RobotsLimitsTest, SegmentsAreMatchedInOrder) {
  const RobotsRules rules = ParseForUs("User-agent: *\nDisallow: /*abc*abd$\n");
  EXPECT_FALSE(rules.Allowed("/xxabcabcxxabd"));
  EXPECT_FALSE(rules.Allowed("/abcabd"));
  EXPECT_TRUE(rules.Allowed("/abdabc"));
  EXPECT_TRUE(rules.Allowed("/abcab"));
  EXPECT_TRUE(rules.Allowed("/abcabdx"));

  // The last segment may not reuse characters an earlier one consumed.
  const RobotsRules overlap = ParseForUs("User-agent: *\nDisallow: /a*ab$\n");
  EXPECT_TRUE(overlap.Allowed("/ab"));
  EXPECT_FALSE(overlap.Allowed("/aab"));
  EXPECT_FALSE(overlap.Allowed("/a-ab"));
}

// RFC 9309 2.3.1: an answer holds for the cache period; no answer (a 5xx, or a refused,
// reset or timed-out connection: status 0) is a complete disallow asked again soon. A brief
// outage must not block a host for robots_cache (24 h by default).
TEST(RobotsResponseTest, NoAnswerIsUnreachableAndRetriedSoon) {
  using std::chrono::duration;
  const duration<double> day(86400), retry(300);
  for (long status : {0L, 500L, 503L}) {
    RobotsVerdict v = JudgeRobotsResponse(status, status == 0, "", "nianbao", day, retry);
    EXPECT_TRUE(v.unreachable) << status;
    EXPECT_TRUE(v.rules.disallows_everything()) << status;
    EXPECT_EQ(v.valid_for, retry) << status;
  }
  // A transport error after a status line (a reset body) is no answer either.
  RobotsVerdict reset =
      JudgeRobotsResponse(200, true, "User-agent: *\nDisallow:\n", "nianbao", day, retry);
  EXPECT_TRUE(reset.unreachable);
  EXPECT_EQ(reset.valid_for, retry);
}

TEST(RobotsResponseTest, AnAnswerHoldsForTheCachePeriod) {
  using std::chrono::duration;
  const duration<double> day(86400), retry(300);
  RobotsVerdict missing = JudgeRobotsResponse(404, false, "", "nianbao", day, retry);
  EXPECT_FALSE(missing.unreachable);
  EXPECT_TRUE(missing.rules.Allowed("/anything"));
  EXPECT_EQ(missing.valid_for, day);
  RobotsVerdict closed =
      JudgeRobotsResponse(200, false, "User-agent: *\nDisallow: /\n", "nianbao", day, retry);
  EXPECT_FALSE(closed.unreachable);
  EXPECT_TRUE(closed.rules.disallows_everything());
  EXPECT_EQ(closed.valid_for, day);
}

}  // namespace
}  // namespace nianbao::crawler
