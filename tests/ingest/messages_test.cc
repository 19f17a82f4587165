// The report messages of `nianbao reparse`: report.reparsed with its CloudEvents type, the
// parser that made the record and the one before, and a ce_id of its own; the daemon's
// events carry parser_version and no previous_parser_version.
#include "ingest/messages.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "parser/version.h"

namespace nianbao::ingest {
namespace {

std::string HeaderOf(const sinks::Message& m, const std::string& key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "<absent>";
}

parser::ParseOutput OneReport() {
  parser::ParseOutput out;
  out.record.report_id = "0123456789abcdef0123456789abcdef";
  out.record.source.url = "http://a.gov.cn/r1.html";
  out.record.source.sha256 = std::string(64, 'a');
  out.is_report = true;
  parser::Finding f;
  f.rule = "applications.balance";
  f.message = "一 + 二 differs";
  out.findings.push_back(f);
  return out;
}

TEST(ReportMessagesTest, AReparsedReportNamesBothParsersAndItsEvent) {
  auto t = std::chrono::system_clock::from_time_t(1611036000);
  sinks::Batch b =
      ReportBatch(Topics{}, "host1", OneReport(), ReportEvent::kReparsed, 3, std::string(64, 'f'),
                  t, ArchiveRef{"nianbao-x.warc.gz", 42}, std::string("0.0.9+parser.7"));
  ASSERT_EQ(b.messages.size(), 2u);
  const sinks::Message& record = b.messages[0];
  EXPECT_EQ(HeaderOf(record, "event"), "report.reparsed");
  EXPECT_EQ(HeaderOf(record, "ce_type"), "cn.gov.nianbao.report.reparsed");
  EXPECT_EQ(HeaderOf(b.messages[1], "event"), "report.reparsed");
  auto v = nlohmann::json::parse(record.value);
  EXPECT_EQ(v["version"], 3);
  EXPECT_EQ(v["parser_version"], parser::ParserVersion());
  EXPECT_EQ(v["previous_parser_version"], "0.0.9+parser.7");
  EXPECT_EQ(v["source"]["archive"]["offset"], 42);

  // Not known (a WARC of another crawler): null, not absent.
  sinks::Batch unknown = ReportBatch(Topics{}, "host1", OneReport(), ReportEvent::kReparsed, 3,
                                     std::string(64, 'f'), t);
  EXPECT_TRUE(
      nlohmann::json::parse(unknown.messages[0].value)["previous_parser_version"].is_null());

  // The same version revised by the daemon is another event: another ce_id.
  sinks::Batch revised = ReportBatch(Topics{}, "host1", OneReport(), ReportEvent::kRevised, 3,
                                     std::string(64, 'f'), t);
  EXPECT_NE(HeaderOf(revised.messages[0], "ce_id"), HeaderOf(record, "ce_id"));
  auto rv = nlohmann::json::parse(revised.messages[0].value);
  EXPECT_EQ(rv["parser_version"], parser::ParserVersion());
  EXPECT_FALSE(rv.contains("previous_parser_version"));
}

TEST(ReportMessagesTest, ParserVersionIsTheVersionAndTheParserRevision) {
  EXPECT_EQ(parser::ParserVersion(),
            std::string(kVersion) + "+parser." + std::to_string(parser::kParserRevision));
}

// In a cluster a source event names the node that polled the source; alone it has no `node`.
TEST(SourceMessagesTest, AClusterNodeNamesItself) {
  SourcePassStats s;
  s.source = "host1";
  s.health = "ok";
  const auto at = std::chrono::system_clock::from_time_t(1600000000);
  auto alone = nlohmann::json::parse(SourceBatch(Topics{}, s, at).messages[0].value);
  EXPECT_FALSE(alone.contains("node"));
  auto node = nlohmann::json::parse(SourceBatch(Topics{}, s, at, "node-a").messages[0].value);
  EXPECT_EQ(node["node"], "node-a");
  EXPECT_EQ(node["event"], "source.ok");
  s.moved_from = "http://a/x/";
  s.moved_to = "http://a/y/";
  auto moved = nlohmann::json::parse(SourceMovedBatch(Topics{}, s, at, "node-b").messages[0].value);
  EXPECT_EQ(moved["node"], "node-b");
}

}  // namespace
}  // namespace nianbao::ingest
