#include "crawler/sources.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace nianbao::crawler {
namespace {

constexpr char kPath[] = "sources.toml";

// A valid source, three lines long: cases below append to it, so their first own line is 4.
constexpr char kSource[] = R"toml([[source]]
name = "a"
entry = ["https://www.example.gov.cn/xxgk/zfxxgknb/"]
)toml";

std::string WithSource(std::string_view tail) { return kSource + std::string(tail); }

// Every field of SourceSettings, so that a forgotten one shows up as a failure.
void ExpectSameSettings(const SourceSettings& got, const SourceSettings& want) {
  EXPECT_EQ(got.user_agent, want.user_agent);
  EXPECT_DOUBLE_EQ(got.interval.count(), want.interval.count());
  EXPECT_DOUBLE_EQ(got.season_interval.count(), want.season_interval.count());
  EXPECT_EQ(got.season_months, want.season_months);
  EXPECT_DOUBLE_EQ(got.jitter, want.jitter);
  EXPECT_EQ(got.per_host_concurrency, want.per_host_concurrency);
  EXPECT_DOUBLE_EQ(got.min_delay.count(), want.min_delay.count());
  EXPECT_EQ(got.max_retries, want.max_retries);
  EXPECT_DOUBLE_EQ(got.backoff_base.count(), want.backoff_base.count());
  EXPECT_DOUBLE_EQ(got.backoff_max.count(), want.backoff_max.count());
  EXPECT_EQ(got.obey_robots, want.obey_robots);
  EXPECT_DOUBLE_EQ(got.robots_cache.count(), want.robots_cache.count());
  EXPECT_DOUBLE_EQ(got.connect_timeout.count(), want.connect_timeout.count());
  EXPECT_DOUBLE_EQ(got.total_timeout.count(), want.total_timeout.count());
  EXPECT_EQ(got.low_speed_limit, want.low_speed_limit);
  EXPECT_DOUBLE_EQ(got.low_speed_time.count(), want.low_speed_time.count());
  EXPECT_EQ(got.max_body, want.max_body);
  EXPECT_EQ(got.max_document_body, want.max_document_body);
  EXPECT_EQ(got.max_redirects, want.max_redirects);
  EXPECT_EQ(got.http2, want.http2);
  EXPECT_EQ(got.tls_verify, want.tls_verify);
  EXPECT_EQ(got.ca_bundle, want.ca_bundle);
  EXPECT_EQ(got.page_budget, want.page_budget);
  EXPECT_EQ(got.max_depth, want.max_depth);
  EXPECT_EQ(got.max_pages, want.max_pages);
  EXPECT_DOUBLE_EQ(got.robots_retry.count(), want.robots_retry.count());
  EXPECT_EQ(got.robots_max_body, want.robots_max_body);
  EXPECT_DOUBLE_EQ(got.max_crawl_delay.count(), want.max_crawl_delay.count());
  EXPECT_EQ(got.attachment_extensions, want.attachment_extensions);
  EXPECT_TRUE(got == want);  // and the defaulted ==, which the defaults test relies on
}

// ---------------------------------------------------------------------------------------------
// A full valid file

constexpr char kFullFile[] = R"toml(# line 1
[global]
max_concurrency = 8
state_dir = "/tmp/nianbao-state"

[defaults]
user_agent = "nianbao-test/1 (+mailto:ops@example.org)"
interval = "12h"
season_interval = "90m"
season_months = [1, 2, 3, 4]
jitter = 0.25
per_host_concurrency = 3
min_delay = "1.5s"
max_retries = 2
backoff_base = "500ms"
backoff_max = "5m"
obey_robots = true
robots_cache = "1d"
connect_timeout = "5s"
total_timeout = "2m"
low_speed_limit = "1KiB"
low_speed_time = "20s"
max_body = "4MiB"
max_redirects = 3
http2 = false
tls_verify = true
ca_bundle = "/etc/ssl/gov-chains.pem"
page_budget = 100
max_depth = 2
max_pages = 10

[[source]]  # line 32
name = "cq-yubei-luoqi"
entry = ["https://www.cqyb.gov.cn/bm/lqz/zwgk_97147/zfxxgkndbg/"]
report_url = 't\d{8}_\d+\.s?html?$'
report_text = '年度报告|年报'
exclude_text = '图解|解读'
page_pattern = 'index_{n}.html'
min_delay = "2s"

[[source]]  # line 41
name = "zj.hangzhou_nb-2"
entry = [
  "https://www.hangzhou.gov.cn/col/col1229497170/index.html",
  "HTTP://192.168.0.1:8080/col/col1/index.html",
]
next_page_text = '下一页|下页'
allow_hosts = ["zwfw.hangzhou.gov.cn", "[::1]"]
user_agent = "other-agent/2"
interval = "2d"
season_interval = "30m"
season_months = []
jitter = 0
per_host_concurrency = 1
min_delay = "0s"
max_retries = 0
backoff_base = "1s"
backoff_max = "1h"
obey_robots = false
robots_cache = "6h"
connect_timeout = "3s"
total_timeout = "90s"
low_speed_limit = 0
low_speed_time = "1m"
max_body = 1048576
max_redirects = 0
http2 = true
tls_verify = false
ca_bundle = ""
page_budget = 1
max_depth = 0
max_pages = 1
)toml";

TEST(SourcesParseTest, FullFileWithDefaultsAndOverrides) {
  Result<SourcesConfig> result = ParseSources(kFullFile, kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const SourcesConfig& config = result.value();

  EXPECT_EQ(config.path, kPath);
  EXPECT_EQ(config.global.max_concurrency, 8);
  EXPECT_EQ(config.global.state_dir, "/tmp/nianbao-state");

  SourceSettings defaults;
  defaults.user_agent = "nianbao-test/1 (+mailto:ops@example.org)";
  defaults.interval = Seconds(12 * 3600);
  defaults.season_interval = Seconds(90 * 60);
  defaults.season_months = {1, 2, 3, 4};
  defaults.jitter = 0.25;
  defaults.per_host_concurrency = 3;
  defaults.min_delay = Seconds(1.5);
  defaults.max_retries = 2;
  defaults.backoff_base = Seconds(0.5);
  defaults.backoff_max = Seconds(300);
  defaults.obey_robots = true;
  defaults.robots_cache = Seconds(86400);
  defaults.connect_timeout = Seconds(5);
  defaults.total_timeout = Seconds(120);
  defaults.low_speed_limit = 1024;
  defaults.low_speed_time = Seconds(20);
  defaults.max_body = 4 << 20;
  defaults.max_redirects = 3;
  defaults.http2 = false;
  defaults.tls_verify = true;
  defaults.ca_bundle = "/etc/ssl/gov-chains.pem";
  defaults.page_budget = 100;
  defaults.max_depth = 2;
  defaults.max_pages = 10;
  ExpectSameSettings(config.defaults, defaults);

  ASSERT_EQ(config.sources.size(), 2u);

  const Source& luoqi = config.sources[0];
  EXPECT_EQ(luoqi.name, "cq-yubei-luoqi");
  EXPECT_EQ(luoqi.line, 32);
  EXPECT_EQ(luoqi.entry,
            std::vector<std::string>{"https://www.cqyb.gov.cn/bm/lqz/zwgk_97147/zfxxgkndbg/"});
  EXPECT_EQ(luoqi.report_url, R"(t\d{8}_\d+\.s?html?$)");
  EXPECT_EQ(luoqi.report_text, "年度报告|年报");
  EXPECT_EQ(luoqi.exclude_text, "图解|解读");
  EXPECT_EQ(luoqi.next_page_text, "");
  EXPECT_EQ(luoqi.page_pattern, "index_{n}.html");
  EXPECT_TRUE(luoqi.allow_hosts.empty());
  SourceSettings luoqi_settings = defaults;  // [defaults] with one override
  luoqi_settings.min_delay = Seconds(2);
  ExpectSameSettings(luoqi.settings, luoqi_settings);

  const Source& hangzhou = config.sources[1];
  EXPECT_EQ(hangzhou.name, "zj.hangzhou_nb-2");
  EXPECT_EQ(hangzhou.line, 41);
  EXPECT_EQ(hangzhou.entry,
            (std::vector<std::string>{"https://www.hangzhou.gov.cn/col/col1229497170/index.html",
                                      "HTTP://192.168.0.1:8080/col/col1/index.html"}));
  EXPECT_EQ(hangzhou.report_url, "");
  EXPECT_EQ(hangzhou.report_text, "");
  EXPECT_EQ(hangzhou.exclude_text, "");
  EXPECT_EQ(hangzhou.next_page_text, "下一页|下页");
  EXPECT_EQ(hangzhou.page_pattern, "");
  EXPECT_EQ(hangzhou.allow_hosts, (std::vector<std::string>{"zwfw.hangzhou.gov.cn", "[::1]"}));
  SourceSettings overridden;  // every setting overridden, each unlike [defaults] and built-in
  overridden.user_agent = "other-agent/2";
  overridden.interval = Seconds(2 * 86400);
  overridden.season_interval = Seconds(30 * 60);
  overridden.season_months = {};
  overridden.jitter = 0;
  overridden.per_host_concurrency = 1;
  overridden.min_delay = Seconds(0);
  overridden.max_retries = 0;
  overridden.backoff_base = Seconds(1);
  overridden.backoff_max = Seconds(3600);
  overridden.obey_robots = false;
  overridden.robots_cache = Seconds(6 * 3600);
  overridden.connect_timeout = Seconds(3);
  overridden.total_timeout = Seconds(90);
  overridden.low_speed_limit = 0;
  overridden.low_speed_time = Seconds(60);
  overridden.max_body = 1048576;
  overridden.max_redirects = 0;
  overridden.http2 = true;
  overridden.tls_verify = false;
  overridden.ca_bundle = "";
  overridden.page_budget = 1;
  overridden.max_depth = 0;
  overridden.max_pages = 1;
  ExpectSameSettings(hangzhou.settings, overridden);
}

TEST(SourcesParseTest, MinimalFileGetsBuiltInDefaults) {
  Result<SourcesConfig> result = ParseSources(kSource, kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const SourcesConfig& config = result.value();
  EXPECT_EQ(config.global.max_concurrency, GlobalSettings().max_concurrency);
  EXPECT_EQ(config.global.state_dir, GlobalSettings().state_dir);
  ExpectSameSettings(config.defaults, SourceSettings());
  ASSERT_EQ(config.sources.size(), 1u);
  EXPECT_EQ(config.sources[0].line, 1);
  ExpectSameSettings(config.sources[0].settings, SourceSettings());
}

// The robots.txt and attachment constants the crawler used to hard-code are settings, with the
// values it had: Crawl-delay capped at 60 s, a failed robots.txt retried after 5 minutes,
// 500 KiB of robots.txt read (RFC 9309), seven attachment extensions.
TEST(SourcesParseTest, RobotsAndAttachmentSettingsHaveTheCrawlersFormerValues) {
  const SourceSettings d;
  EXPECT_DOUBLE_EQ(d.max_crawl_delay.count(), 60.0);
  EXPECT_DOUBLE_EQ(d.robots_retry.count(), 300.0);
  EXPECT_EQ(d.robots_max_body, 512000);
  EXPECT_EQ(d.max_document_body, 32 << 20);  // docs/defaults.toml: "32MiB"
  EXPECT_EQ(d.attachment_extensions,
            (std::vector<std::string>{".pdf", ".doc", ".docx", ".wps", ".ofd", ".xls", ".xlsx"}));
}

TEST(SourcesParseTest, RobotsAndAttachmentSettingsAreRead) {
  Result<SourcesConfig> result = ParseSources(
      "[defaults]\nrobots_retry = \"10m\"\nmax_crawl_delay = \"0s\"\n" +
          WithSource("robots_max_body = \"1MiB\"\nattachment_extensions = [\".pdf\", \".ofd\"]\n"),
      kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const SourcesConfig& config = result.value();
  EXPECT_DOUBLE_EQ(config.defaults.robots_retry.count(), 600.0);
  EXPECT_DOUBLE_EQ(config.defaults.max_crawl_delay.count(), 0.0);
  const SourceSettings& s = config.sources[0].settings;
  EXPECT_DOUBLE_EQ(s.robots_retry.count(), 600.0);  // from [defaults]
  EXPECT_EQ(s.robots_max_body, 1 << 20);
  EXPECT_EQ(s.attachment_extensions, (std::vector<std::string>{".pdf", ".ofd"}));
  EXPECT_EQ(config.defaults.attachment_extensions, SourceSettings().attachment_extensions);

  result = ParseSources(WithSource("attachment_extensions = []\n"), kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_TRUE(result.value().sources[0].settings.attachment_extensions.empty());
}

TEST(SourcesParseTest, DefaultsAfterTheSourcesStillApply) {
  Result<SourcesConfig> result = ParseSources(WithSource("\n[defaults]\nmax_pages = 7\n"), kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result.value().sources[0].settings.max_pages, 7);
}

TEST(SourcesParseTest, InlineTablesAreTables) {
  Result<SourcesConfig> result = ParseSources(
      "defaults = { max_depth = 1 }\n"
      "source = [{ name = \"x\", entry = [\"http://x.gov.cn/\"] }]\n",
      kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  ASSERT_EQ(result.value().sources.size(), 1u);
  EXPECT_EQ(result.value().sources[0].settings.max_depth, 1);
  EXPECT_EQ(result.value().sources[0].line, 2);
}

// ---------------------------------------------------------------------------------------------
// Mistakes: each must name the file, the line and the key.

struct ErrorCase {
  std::string toml;
  int line;
  std::vector<std::string> fragments;  // each must appear in the message
};

void ExpectErrors(const std::vector<ErrorCase>& cases) {
  for (const ErrorCase& c : cases) {
    SCOPED_TRACE("in:\n" + c.toml);
    Result<SourcesConfig> result = ParseSources(c.toml, kPath);
    ASSERT_FALSE(result.ok());
    const Status status = result.status();
    EXPECT_EQ(status.code(), Status::Code::kInvalidArgument);
    const std::string prefix = std::string(kPath) + ":" + std::to_string(c.line) + ": ";
    EXPECT_EQ(status.message().rfind(prefix, 0), 0u)
        << "message: " << status.message() << "\nwanted prefix: " << prefix;
    for (const std::string& fragment : c.fragments) {
      EXPECT_NE(status.message().find(fragment), std::string::npos)
          << "message: " << status.message() << "\nwanted: " << fragment;
    }
    EXPECT_EQ(status.message().find('\n'), std::string::npos) << "one line: " << status.message();
  }
}

TEST(SourcesErrorTest, UnknownKeys) {
  ExpectErrors({
      {"sources = 1\n" + std::string(kSource), 1, {"unknown top-level key \"sources\""}},
      {WithSource("\n[sauce]\nname = 1\n"), 5, {"unknown top-level key \"sauce\""}},
      {"[global]\nmax_concurency = 4\n" + std::string(kSource),
       2,
       {"[global]: unknown key \"max_concurency\"", "did you mean \"max_concurrency\""}},
      {"[defaults]\n\nintervall = \"1h\"\n" + std::string(kSource),
       3,
       {"[defaults]: unknown key \"intervall\"", "did you mean \"interval\""}},
      {"[defaults]\nname = \"x\"\n" + std::string(kSource),
       2,
       {"[defaults]: unknown key \"name\" (it belongs in a [[source]])"}},
      {"[global]\ninterval = \"1h\"\n" + std::string(kSource),
       2,
       {"[global]: unknown key \"interval\" (it belongs in [defaults] or a [[source]])"}},
      {"[defaults]\nmax_concurrency = 4\n" + std::string(kSource),
       2,
       {"[defaults]: unknown key \"max_concurrency\" (it belongs in [global])"}},
      {WithSource("state_dir = \"/x\"\n"),
       4,
       {"source \"a\": unknown key \"state_dir\" (it belongs in [global])"}},
      {WithSource("report_txt = 'x'\n"),
       4,
       {"source \"a\": unknown key \"report_txt\"", "did you mean \"report_text\""}},
      {WithSource("frobnicate = 'x'\n"), 4, {"source \"a\": unknown key \"frobnicate\""}},
      {WithSource("[source.extra]\nx = 1\n"), 4, {"source \"a\": unknown key \"extra\""}},
      {WithSource("extra = 1\n"), 4, {"unknown key \"extra\""}},
  });
}

TEST(SourcesErrorTest, WrongTypes) {
  ExpectErrors({
      {WithSource("interval = 5\n"), 4, {"source \"a\": interval: expected a duration", "integer"}},
      {WithSource("jitter = \"a\"\n"), 4, {"jitter: expected a number, got a string"}},
      {WithSource("max_retries = \"3\"\n"), 4, {"max_retries: expected an integer"}},
      {WithSource("max_depth = 1.0\n"), 4, {"max_depth: expected an integer"}},
      {WithSource("obey_robots = \"yes\"\n"), 4, {"obey_robots: expected true or false"}},
      {WithSource("season_months = 1\n"), 4, {"season_months: expected an array"}},
      {WithSource("season_months = [\n  1,\n  \"2\",\n]\n"), 6, {"season_months: expected"}},
      {WithSource("max_body = true\n"), 4, {"max_body: expected a size"}},
      {WithSource("user_agent = 7\n"), 4, {"user_agent: expected a string"}},
      {WithSource("report_url = 1\n"), 4, {"report_url: expected a string"}},
      {WithSource("allow_hosts = [1]\n"), 4, {"allow_hosts: expected an array of strings"}},
      {WithSource("allow_hosts = \"x.gov.cn\"\n"), 4, {"allow_hosts: expected an array"}},
      {"[[source]]\nname = 5\nentry = [\"https://x.gov.cn/\"]\n",
       2,
       {"source #1: name: expected a string"}},
      {"[[source]]\nname = \"a\"\nentry = \"https://x.gov.cn/\"\n",
       3,
       {"source \"a\": entry: expected an array of strings, got a string"}},
      {"[global]\nstate_dir = 5\n" + std::string(kSource), 2, {"[global]: state_dir: expected"}},
      {"defaults = 5\n" + std::string(kSource), 1, {"defaults: expected a table"}},
      {"global = []\n" + std::string(kSource), 1, {"global: expected a table"}},
      {"[source]\nname = \"a\"\nentry = [\"https://x.gov.cn/\"]\n",
       1,
       {"source: expected an array of tables", "[[source]]"}},
      {"source = [1]\n", 1, {"source: expected an array of tables"}},
  });
}

TEST(SourcesErrorTest, BadDurationsAndSizes) {
  ExpectErrors({
      {WithSource("interval = \"5\"\n"), 4, {"interval: \"5\" is not a duration"}},
      {WithSource("interval = \"-1s\"\n"), 4, {"interval: \"-1s\""}},
      {WithSource("min_delay = \"5x\"\n"), 4, {"min_delay: \"5x\""}},
      {WithSource("backoff_max = \"1.5 h\"\n"), 4, {"backoff_max: \"1.5 h\""}},
      {WithSource("robots_cache = \"400d\"\n"), 4, {"robots_cache: \"400d\" is over 366d"}},
      {WithSource("max_body = \"8 MiB\"\n"), 4, {"max_body: \"8 MiB\" is not a size"}},
      {WithSource("max_body = \"1.5MiB\"\n"), 4, {"max_body: \"1.5MiB\" is not a size"}},
      {WithSource("low_speed_limit = -1\n"), 4, {"low_speed_limit: must be at least 0, not -1"}},
      {"[defaults]\nmax_body = \"8Mb\"\n" + std::string(kSource),
       2,
       {"[defaults]: max_body: \"8Mb\""}},
  });
}

TEST(SourcesErrorTest, OutOfRange) {
  ExpectErrors({
      {WithSource("jitter = 1.0\n"), 4, {"jitter: must be at least 0 and less than 1, not 1"}},
      {WithSource("jitter = 1\n"), 4, {"jitter: must be at least 0 and less than 1"}},
      {WithSource("jitter = -0.1\n"), 4, {"jitter: ", "-0.1"}},
      {WithSource("jitter = nan\n"), 4, {"jitter: "}},
      {WithSource("per_host_concurrency = 0\n"), 4, {"per_host_concurrency: must be at least 1"}},
      {WithSource("max_retries = -1\n"), 4, {"max_retries: must be at least 0, not -1"}},
      {WithSource("max_redirects = 51\n"), 4, {"max_redirects: must be between 0 and 50, not 51"}},
      {WithSource("max_redirects = -1\n"), 4, {"max_redirects: must be between 0 and 50"}},
      {WithSource("max_body = 0\n"), 4, {"max_body: must be at least 1, not 0"}},
      {WithSource("max_body = \"0KiB\"\n"), 4, {"max_body: must be at least 1"}},
      {WithSource("page_budget = 0\n"), 4, {"page_budget: must be at least 1"}},
      {WithSource("max_depth = -1\n"), 4, {"max_depth: must be at least 0"}},
      {WithSource("max_pages = 0\n"), 4, {"max_pages: must be at least 1"}},
      {WithSource("max_pages = 3000000000\n"), 4, {"max_pages: ", "3000000000"}},
      {WithSource("season_months = [0]\n"), 4, {"season_months: month 0 is not between 1 and 12"}},
      {WithSource("season_months = [1,\n 13]\n"), 5, {"season_months: month 13"}},
      {WithSource("connect_timeout = \"0s\"\n"), 4, {"connect_timeout: must be longer than zero"}},
      {WithSource("total_timeout = \"0ms\"\n"), 4, {"total_timeout: must be longer than zero"}},
      {WithSource("low_speed_time = \"0m\"\n"), 4, {"low_speed_time: must be longer than zero"}},
      {WithSource("interval = \"0h\"\n"), 4, {"interval: must be longer than zero"}},
      {WithSource("user_agent = \"\"\n"), 4, {"user_agent: must not be empty"}},
      {WithSource("user_agent = \"a\\r\\nX-Evil: 1\"\n"), 4, {"user_agent: ", "control character"}},
      {"[defaults]\njitter = 1.5\n" + std::string(kSource), 2, {"[defaults]: jitter: "}},
      {"[global]\nmax_concurrency = 0\n" + std::string(kSource),
       2,
       {"[global]: max_concurrency: must be at least 1, not 0"}},
      {"[global]\nstate_dir = \"\"\n" + std::string(kSource), 2, {"state_dir: must not be empty"}},
  });
}

TEST(SourcesErrorTest, RobotsAndAttachmentSettings) {
  ExpectErrors({
      {WithSource("robots_retry = \"0s\"\n"), 4, {"robots_retry: must be longer than zero"}},
      {WithSource("robots_retry = 300\n"), 4, {"robots_retry: expected a duration"}},
      {WithSource("robots_max_body = 0\n"), 4, {"robots_max_body: must be at least 1, not 0"}},
      {WithSource("max_crawl_delay = \"400d\"\n"), 4, {"max_crawl_delay: \"400d\" is over 366d"}},
      {WithSource("attachment_extensions = \".pdf\"\n"),
       4,
       {"attachment_extensions: expected an array of strings"}},
      {WithSource("attachment_extensions = [\n  \".pdf\",\n  \"doc\",\n]\n"),
       6,
       {"attachment_extensions: \"doc\" is not a dot and lower-case letters or digits"}},
      {WithSource("attachment_extensions = [\".PDF\"]\n"), 4, {"\".PDF\" is not a dot"}},
      {WithSource("attachment_extensions = [\".p/f\"]\n"), 4, {"\".p/f\" is not a dot"}},
  });
}

TEST(SourcesErrorTest, Names) {
  constexpr char kEntry[] = "entry = [\"https://x.gov.cn/\"]\n";
  ExpectErrors({
      {"[[source]]\n" + std::string(kEntry), 1, {"source #1: missing required key \"name\""}},
      {WithSource("\n[[source]]\n" + std::string(kEntry)),
       5,
       {"source #2: missing required key \"name\""}},
      {"[[source]]\nname = \"Luo Qi\"\n" + std::string(kEntry),
       2,
       {"source #1: name: \"Luo Qi\" does not match [a-z0-9][a-z0-9._-]*"}},
      {"[[source]]\nname = \"-a\"\n" + std::string(kEntry), 2, {"name: \"-a\" does not match"}},
      {"[[source]]\nname = \"\"\n" + std::string(kEntry), 2, {"name: \"\" does not match"}},
      {"[[source]]\nname = \"洛碛\"\n" + std::string(kEntry), 2, {"does not match"}},
      // The second "a" is refused at its own name line, naming the first source's line.
      {WithSource("\n[[source]]\n" + std::string(kEntry) + "name = \"a\"\n"),
       7,
       {"source \"a\": name: \"a\" is already the name of the source at line 1"}},
  });
}

TEST(SourcesErrorTest, EntryUrls) {
  const auto entry = [](std::string_view urls) {
    return "[[source]]\nname = \"a\"\nentry = " + std::string(urls) + "\n";
  };
  ExpectErrors({
      {"[[source]]\nname = \"a\"\n",
       1,
       {"source \"a\": missing required key \"entry\" (or \"portal\")"}},
      {entry("[]"), 3, {"source \"a\": entry: must list at least one URL"}},
      {entry("[\"ftp://x.gov.cn/\"]"),
       3,
       {"entry: \"ftp://x.gov.cn/\" is not an absolute http:// or https:// URL"}},
      {entry("[\"www.x.gov.cn/\"]"), 3, {"entry: \"www.x.gov.cn/\" is not an absolute"}},
      {entry("[\"/xxgk/nb/\"]"), 3, {"entry: \"/xxgk/nb/\" is not an absolute"}},
      {entry("[\"http:///x\"]"), 3, {"entry: \"http:///x\" has no host"}},
      {entry("[\"https://\"]"), 3, {"has no host"}},
      {entry("[\"https://x.gov.cn:99999/\"]"), 3, {"has an invalid port"}},
      {entry("[\"https://x.gov.cn:/\"]"), 3, {"has an invalid port"}},
      {entry("[\"https://a b.gov.cn/\"]"), 3, {"contains a space"}},
      {entry("[\"https://x_y!.gov.cn/\"]"), 3, {"has an invalid host"}},
      {entry("[\"https://user:pw@x.gov.cn/\"]"), 3, {"carries credentials"}},
      // The element at fault is named by its own line.
      {entry("[\n  \"https://ok.gov.cn/\",\n  \"ftp://bad.gov.cn/\",\n]"),
       5,
       {"entry: \"ftp://bad.gov.cn/\""}},
      {WithSource("allow_hosts = [\"https://x.gov.cn/\"]\n"),
       4,
       {"allow_hosts: \"https://x.gov.cn/\" is not a host name"}},
  });
}

TEST(SourcesErrorTest, RegularExpressionsAndPagePattern) {
  ExpectErrors({
      {WithSource("report_url = 't\\d+(\\.html'\n"),
       4,
       {"source \"a\": report_url: invalid regular expression: missing )"}},
      {WithSource("report_text = '年报['\n"), 4, {"report_text: invalid regular expression: "}},
      {WithSource("exclude_text = '*图解'\n"), 4, {"exclude_text: invalid regular expression: "}},
      {WithSource("next_page_text = '(?<p>下一页)'\n"),
       4,
       {"next_page_text: invalid regular expression: "}},
      {WithSource("page_pattern = 'index_1.html'\n"),
       4,
       {"page_pattern: \"index_1.html\" has no {n}"}},
  });
}

TEST(SourcesTest, AListPresetWithItsParameters) {
  auto result = ParseSources(
      WithSource("cms = \"hanweb\"\ncms_params = { columnid = 1234, unitid = \"5678\" }\n"), kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Source& s = result.value().sources.front();
  EXPECT_EQ(s.cms, "hanweb");
  EXPECT_EQ(s.cms_params,
            (std::map<std::string, std::string>{{"columnid", "1234"}, {"unitid", "5678"}}));
}

TEST(SourcesErrorTest, ListPresets) {
  ExpectErrors({
      {WithSource("cms = \"hanwb\"\n"),
       4,
       {"cms: \"hanwb\" is not a list preset (known: \"trs\", \"hanweb\", \"trs-search\", "
        "\"gkmlpt\", \"jpaas\")"}},
      {WithSource("cms_params = { columnid = \"1\" }\n"), 4, {"cms_params: needs cms"}},
      {WithSource("cms = \"hanweb\"\ncms_params = { colunmid = \"1\" }\n"),
       5,
       {"cms_params: \"colunmid\" is not a parameter of \"hanweb\""}},
      {WithSource("cms = \"hanweb\"\ncms_params = { columnid = [1] }\n"),
       5,
       {"cms_params: columnid: expected a string"}},
  });
}

TEST(SourcesTest, AListTemplateOfItsOwn) {
  auto result = ParseSources(WithSource(R"toml(cms_params = { col = "77" }
[source.list]
url = "/api/list.jsp?col={col}&p={page}"
method = "POST"
body = '{"pageNo":{page}}'
body_type = "json"
headers = { X-Requested-With = "XMLHttpRequest" }
first_page = 0
page_size = 20
answer = "jsonp"
callback = "cb"
records = "data.list"
url_field = "link"
title_field = "name"
date_field = "time"
total_field = "data.total"
)toml"),
                             kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Source& s = result.value().sources.front();
  EXPECT_EQ(s.preset, &TemplateListPreset());
  EXPECT_EQ(s.list.url, "/api/list.jsp?col={col}&p={page}");
  EXPECT_EQ(s.list.method, "POST");
  EXPECT_EQ(s.list.body, "{\"pageNo\":{page}}");
  EXPECT_EQ(s.list.body_type, "json");
  EXPECT_EQ(
      s.list.headers,
      (std::vector<std::pair<std::string, std::string>>{{"X-Requested-With", "XMLHttpRequest"}}));
  EXPECT_EQ(s.list.first_page, 0);
  EXPECT_EQ(s.list.page_size, 20);
  EXPECT_EQ(s.list.answer, "jsonp");
  EXPECT_EQ(s.list.callback, "cb");
  EXPECT_EQ(s.list.records, "data.list");
  EXPECT_EQ(s.list.url_field, "link");
  EXPECT_EQ(s.list.title_field, "name");
  EXPECT_EQ(s.list.date_field, "time");
  EXPECT_EQ(s.list.total_field, "data.total");
  EXPECT_EQ(s.cms_params.at("col"), "77");  // any name: the template's placeholders
}

TEST(SourcesTest, APresetsTemplateWithTheSourcesKeysOnTop) {
  auto result = ParseSources(
      WithSource("cms = \"trs-search\"\nlist = { page_size = 20, first_page = 1 }\n"), kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const Source& s = result.value().sources.front();
  EXPECT_EQ(s.preset, FindListPreset("trs-search"));
  ListTemplate want = FindListPreset("trs-search")->list;
  want.page_size = 20;
  want.first_page = 1;
  EXPECT_EQ(s.list, want);
  // Without cms or list, plain HTML lists: no adapter.
  result = ParseSources(WithSource(""), kPath);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result.value().sources.front().preset, nullptr);
}

TEST(SourcesErrorTest, ListTemplates) {
  ExpectErrors({
      {WithSource("list = { method = \"GET\" }\n"), 4, {"list: missing required key \"url\""}},
      {WithSource("list = \"/api\"\n"), 4, {"list: expected a table"}},
      {WithSource("list = { url = \"/a\", metod = \"POST\" }\n"),
       4,
       {"source \"a\": list: unknown key \"metod\" (did you mean \"method\"?)"}},
      {WithSource("list = { url = \"/a\", method = \"PUT\" }\n"), 4, {"method: \"PUT\" is not"}},
      {WithSource("list = { url = \"/a\", answer = \"yaml\" }\n"), 4, {"answer: \"yaml\" is not"}},
      {WithSource("list = { url = \"/a\", page_size = 1000 }\n"),
       4,
       {"page_size: must be between 1 and 300, not 1000"}},
      {WithSource("list = { url = \"/a\", body = \"x=1\" }\n"), 4, {"body is sent only with"}},
      {WithSource("list = { url = \"/a\", callback = \"cb\" }\n"), 4, {"callback needs"}},
      {WithSource("list = { url = \"/a\", records = \"data\" }\n"), 4, {"map a JSON answer"}},
      {WithSource("list = { url = \"/a\", headers = { \"Bad Name\" = \"x\" } }\n"),
       4,
       {"\"Bad Name\" is not a header name"}},
      {WithSource("cms = \"hanweb\"\nlist = { url = \"/a\" }\n"),
       5,
       {"list: the preset \"hanweb\" takes no list template"}},
      {WithSource("cms = \"trs\"\nlist = { url = \"/a\" }\n"),
       5,
       {"list: the preset \"trs\" takes no list template"}},
  });
}

TEST(SourcesTest, OrganizationAliases) {
  auto result = ParseSources(
      WithSource(
          "organization_aliases = { \"洛碛镇人民政府\" = \"重庆市渝北区洛碛镇人民政府\" }\n"),
      kPath);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result.value().sources.front().organization_aliases,
            (std::map<std::string, std::string>{{"洛碛镇人民政府", "重庆市渝北区洛碛镇人民政府"}}));
  ExpectErrors({
      {WithSource("organization_aliases = \"洛碛镇\"\n"),
       4,
       {"organization_aliases: expected a table"}},
      {WithSource("organization_aliases = { \"甲镇\" = 1 }\n"),
       4,
       {"organization_aliases: 甲镇: expected a string"}},
      {WithSource("organization_aliases = { \"甲镇\" = \"\" }\n"),
       4,
       {"organization_aliases: a name may not be empty"}},
  });
}

TEST(SourcesErrorTest, NoSource) {
  ExpectErrors({
      {"", 1, {"at least one source is required"}},
      {"# only a comment\n[global]\nmax_concurrency = 4\n", 1, {"at least one source"}},
      {"source = []\n[global]\nmax_concurrency = 4\n", 1, {"at least one [[source]]"}},
      // A mistake elsewhere is the better hint.
      {"[global]\nmax_concurrency = 0\n", 2, {"max_concurrency"}},
  });
}

TEST(SourcesErrorTest, TomlSyntaxErrorNamesItsLine) {
  ExpectErrors({
      {WithSource("\ninterval = \n"), 5, {}},
      {WithSource("name = \"b\"\n"), 4, {}},  // a key twice
      {"[[source]]\nname = \"unterminated\n", 2, {}},
      {"[defaults]\nx = 1\n[defaults]\n", 3, {}},
  });
}

TEST(SourcesErrorTest, ReportsTheFirstMistakeInTheFile) {
  // toml++ hands keys over sorted ("aaa" before "zzz"); the file's order is what counts.
  ExpectErrors({
      {WithSource("zzz = 1\naaa = 2\n"), 4, {"unknown key \"zzz\""}},
      {WithSource("max_pages = 0\n\n[defaults]\njitter = 2\n"), 4, {"max_pages"}},
      {"[defaults]\njitter = 2\n" + WithSource("max_pages = 0\n"), 2, {"jitter"}},
  });
}

// ---------------------------------------------------------------------------------------------
// Units

TEST(SourcesDurationTest, GoodAndBad) {
  const struct {
    std::string_view text;
    double seconds;
  } kGood[] = {
      {"500ms", 0.5}, {"2s", 2},        {"5m", 300},       {"6h", 21600}, {"1d", 86400},
      {"1.5s", 1.5},  {"0s", 0},        {"0.25h", 900},    {"007s", 7},   {"1.5d", 129600},
      {"10ms", 0.01}, {"24h", 86400.0}, {"0.001s", 0.001},
  };
  for (const auto& good : kGood) {
    Seconds out{-1};
    EXPECT_TRUE(ParseDuration(good.text, &out)) << good.text;
    EXPECT_DOUBLE_EQ(out.count(), good.seconds) << good.text;
  }
  constexpr std::string_view kBad[] = {
      "",     "5",   "-1s",  "+1s",   "1.s",  ".5s",  "1..5s", "1.2.3s", "5x",
      "5 s",  " 5s", "5s ",  "1h30m", "1e3s", "inf",  "infs",  "nans",   "5S",
      "5sec", "ms",  "5 ms", "5μs",   "0x5s", "1,5s", "5mss",
  };
  for (std::string_view bad : kBad) {
    Seconds out{-1};
    EXPECT_FALSE(ParseDuration(bad, &out)) << '"' << bad << '"';
    EXPECT_EQ(out.count(), -1) << "untouched on failure: " << bad;
  }
}

TEST(SourcesSizeTest, GoodAndBad) {
  const struct {
    std::string_view text;
    int64_t bytes;
  } kGood[] = {
      {"123", 123},
      {"0", 0},
      {"1B", 1},
      {"512KiB", 512 * 1024},
      {"8MiB", 8 << 20},
      {"1GiB", int64_t{1} << 30},
      {"1TiB", int64_t{1} << 40},
      {"100KB", 100 * 1000},
      {"2kB", 2000},
      {"8MB", 8 * 1000 * 1000},
      {"3GB", int64_t{3} * 1000 * 1000 * 1000},
      {"9223372036854775807", INT64_MAX},
      {"8388607TiB", int64_t{8388607} << 40},
  };
  for (const auto& good : kGood) {
    int64_t out = -1;
    EXPECT_TRUE(ParseSize(good.text, &out)) << good.text;
    EXPECT_EQ(out, good.bytes) << good.text;
  }
  constexpr std::string_view kBad[] = {
      "",           "-1",
      "+1",         "1.5MiB",
      "8 MiB",      "8mib",
      "8Mi",        "KiB",
      "0x10",       "8MiBs",
      " 8",         "8 ",
      "1e3",        "8M",
      "8 B",        "9223372036854775808",
      "8388608TiB", "99999999999999999999KB",
  };
  for (std::string_view bad : kBad) {
    int64_t out = -1;
    EXPECT_FALSE(ParseSize(bad, &out)) << '"' << bad << '"';
    EXPECT_EQ(out, -1) << "untouched on failure: " << bad;
  }
}

// ---------------------------------------------------------------------------------------------
// Files

TEST(SourcesLoadTest, MissingFileIsAnIoErrorNamingIt) {
  const std::string path = "/nonexistent-nianbao-dir/sources.toml";
  Result<SourcesConfig> result = LoadSources(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kIoError);
  EXPECT_EQ(result.status().message(), "cannot read " + path + ": No such file or directory");
}

TEST(SourcesLoadTest, DirectoryIsAnIoError) {
  const std::string path = NIANBAO_FIXTURES;
  Result<SourcesConfig> result = LoadSources(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kIoError);
  EXPECT_EQ(result.status().message(), "cannot read " + path + ": Is a directory");
}

TEST(SourcesLoadTest, FileErrorsNameThePathAsGiven) {
  const std::string path = NIANBAO_FIXTURES "/../crawler/fixtures/sources_typo.toml";
  Result<SourcesConfig> result = LoadSources(path);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().code(), Status::Code::kInvalidArgument);
  EXPECT_EQ(result.status().message(),
            path +
                ":9: source \"cq-yubei-luoqi\": unknown key \"report_txt\" "
                "(did you mean \"report_text\"?)");
}

TEST(SourcesExampleTest, ExampleFileLoadsAndShowsTheBuiltInDefaults) {
  const std::string path = NIANBAO_FIXTURES "/../../examples/sources.example.toml";
  Result<SourcesConfig> result = LoadSources(path);
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const SourcesConfig& config = result.value();
  EXPECT_EQ(config.path, path);
  // The example's [defaults] documents the built-in values: they must not drift apart.
  ExpectSameSettings(config.defaults, SourceSettings());
  EXPECT_EQ(config.global.max_concurrency, GlobalSettings().max_concurrency);
  EXPECT_EQ(config.global.state_dir, GlobalSettings().state_dir);
  EXPECT_GE(config.sources.size(), 3u);
  EXPECT_LE(config.sources.size(), 5u);
  for (const Source& source : config.sources) {
    SCOPED_TRACE(source.name);
    EXPECT_FALSE(source.entry.empty());
    EXPECT_FALSE(source.report_url.empty() && source.report_text.empty());
    // Every list is paginated somehow: by links, a page pattern or its preset.
    EXPECT_FALSE(source.next_page_text.empty() && source.page_pattern.empty() &&
                 source.cms.empty());
  }
}

// ---------------------------------------------------------------------------------------------
// include = [...] (fixtures/include: the expected values are read off those files)

const std::string kIncludeDir = NIANBAO_FIXTURES "/../crawler/fixtures/include/";

TEST(SourcesIncludeTest, GlobAddsTheFilesSourcesInNameOrderWithTheMainDefaults) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "main.toml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  const auto& sources = result.value().sources;
  ASSERT_EQ(sources.size(), 3u);
  EXPECT_EQ(sources[0].name, "main-one");
  EXPECT_EQ(sources[1].name, "js-nanjing");  // a-nanjing.toml sorts before b-suzhou.toml
  EXPECT_EQ(sources[2].name, "js-suzhou");
  EXPECT_EQ(sources[1].settings.max_pages, 3);  // its own override
  EXPECT_EQ(sources[2].settings.max_pages, 7);  // the main file's [defaults]
  EXPECT_EQ(sources[2].entry,
            std::vector<std::string>{"https://www.suzhou.gov.cn/szsrmzf/zfxxgkndbg/"});
}

TEST(SourcesIncludeTest, CycleIsRefusedNamingTheFileAndLine) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "cycle/one.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir + "cycle/two.toml:2: include: \"" + kIncludeDir +
                "cycle/one.toml\" includes itself (through \"one.toml\"): includes may not form "
                "a cycle");
}

TEST(SourcesIncludeTest, DuplicateNameAcrossFilesNamesBothPlaces) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "bad/main.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir +
                "bad/dup.toml:3: source \"dup\": name: \"dup\" is already the name of "
                "the source at " +
                kIncludeDir + "bad/main.toml:3");
}

TEST(SourcesIncludeTest, MistakeInAnIncludedFileNamesThatFile) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "bad/typo_main.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir +
                "bad/typo.toml:4: source \"typo\": unknown key \"report_txt\" (did you mean "
                "\"report_text\"?)");
}

TEST(SourcesIncludeTest, MissingFileWithoutWildcardIsAnError) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "bad/missing.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir + "bad/missing.toml:1: include: \"absent.toml\": no such file");
}

TEST(SourcesIncludeTest, IncludedFileMayNotSetDefaults) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "bad/nested_defaults.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir +
                "bad/sub_defaults.toml:5: [defaults] belongs in the main sources file, not in an "
                "included one");
}

TEST(SourcesIncludeTest, OnlyTomlFilesAreIncluded) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "bad/not_toml.toml");
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.status().message(),
            kIncludeDir + "bad/not_toml.toml:1: include: \"notes.txt\" does not end in .toml");
}

TEST(SourcesIncludeTest, GlobMatchingNothingIsFine) {
  Result<SourcesConfig> result = ParseSources(
      "include = [\"no-such-dir/*.toml\"]\n" + std::string(kSource), kIncludeDir + "x.toml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  EXPECT_EQ(result.value().sources.size(), 1u);
}

// ---------------------------------------------------------------------------------------------
// crawl --source NAME

TEST(KeepSourcesTest, KeepsTheNamedInFileOrderAndRefusesAnUnknownName) {
  Result<SourcesConfig> result = LoadSources(kIncludeDir + "main.toml");
  ASSERT_TRUE(result.ok()) << result.status().ToString();
  SourcesConfig config = result.value();
  ASSERT_TRUE(KeepSources({"js-suzhou", "main-one"}, &config).ok());
  ASSERT_EQ(config.sources.size(), 2u);
  EXPECT_EQ(config.sources[0].name, "main-one");
  EXPECT_EQ(config.sources[1].name, "js-suzhou");
  SourcesConfig again = result.value();
  Status st = KeepSources({"js-wuxi"}, &again);
  EXPECT_EQ(st.message(), kIncludeDir + "main.toml: no source named \"js-wuxi\"");
  EXPECT_EQ(again.sources.size(), 3u);
}

}  // namespace
}  // namespace nianbao::crawler
