// The JSON Schemas of schemas/ (the v1 contract of docs/record-v1.md and docs/rules.md) and the
// parser's output against them:
//   (a) the three schemas load, with the $refs of parse-output.v1 resolved;
//   (b) hand-written records and findings are accepted or rejected as the spec says (this part
//       needs nothing of the parser but its rule table);
//   (c) every file under tests/fixtures, parsed as a local file and as a crawled page, gives a
//       record, findings and a parse line that the schemas accept, with each finding tied to
//       its record (same report_id, copied fields, a path that exists in the record).

// valijson reports a bad schema by calling abort() unless exceptions are enabled.
#define VALIJSON_USE_EXCEPTIONS 1

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <valijson/adapters/nlohmann_json_adapter.hpp>
#include <valijson/schema.hpp>
#include <valijson/schema_parser.hpp>
#include <valijson/validation_results.hpp>
#include <valijson/validator.hpp>
#include <vector>

#include "parser/parser.h"
#include "parser/record_json.h"
#include "parser/rules.h"
#include "tests/support/json_schema.h"

namespace nianbao::parser {
namespace {

using Json = nlohmann::json;  // the document type of valijson's nlohmann adapter

constexpr const char* kReportSchema = "report.v1.schema.json";
constexpr const char* kFindingSchema = "finding.v1.schema.json";
constexpr const char* kParseOutputSchema = "parse-output.v1.schema.json";

std::string ReadFile(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

using nianbao::testing::LoadSchema;
using nianbao::testing::LoadSchemaDocument;

struct Schemas {
  std::unique_ptr<valijson::Schema> report = LoadSchema(kReportSchema);
  std::unique_ptr<valijson::Schema> finding = LoadSchema(kFindingSchema);
  std::unique_ptr<valijson::Schema> parse_output = LoadSchema(kParseOutputSchema);
};

const Schemas& GetSchemas() {
  static const Schemas schemas;
  return schemas;
}

// The errors of a validation, one "<root>[applications][new][0]: description" each; empty
// when the document is valid.
std::vector<std::string> Validate(const valijson::Schema& schema, const Json& doc) {
  valijson::Validator validator(valijson::Validator::kStrongTypes);
  valijson::ValidationResults results;
  std::vector<std::string> errors;
  if (validator.validate(schema, valijson::adapters::NlohmannJsonAdapter(doc), &results)) {
    return errors;
  }
  valijson::ValidationResults::Error error;
  while (results.popError(error)) {
    std::string where;
    for (const auto& part : error.context) where += part;
    errors.push_back(where + ": " + error.description);
  }
  if (errors.empty()) errors.emplace_back("<root>: invalid");
  return errors;
}

std::string Lines(const std::vector<std::string>& errors) {
  std::string out;
  for (const auto& e : errors) out += "    " + e + "\n";
  return out;
}

// ---------------------------------------------------------------------------------------
// (a) The schemas load.

TEST(SchemaFilesTest, EachSchemaLoads) {
  for (const char* name :
       {kReportSchema, kFindingSchema, kParseOutputSchema, "fetch.v1.schema.json",
        "source.v1.schema.json", "withdrawal.v1.schema.json", "missing.v1.schema.json",
        "found_late.v1.schema.json"}) {
    SCOPED_TRACE(name);
    Json doc;
    ASSERT_NO_THROW(doc = LoadSchemaDocument(name));
    EXPECT_EQ(doc.value("$schema", ""), "http://json-schema.org/draft-07/schema#");
    EXPECT_EQ(doc.value("$id", ""), name);
    EXPECT_NO_THROW(LoadSchema(name));
  }
}

TEST(SchemaFilesTest, FindingRulesAreTheParserRules) {
  // The rule enum of the finding schema and the parser's rule table (rules.h) are one list.
  const Json doc = LoadSchemaDocument(kFindingSchema);
  std::set<std::string> in_schema;
  for (const auto& id : doc["properties"]["rule"]["enum"]) in_schema.insert(id.get<std::string>());
  std::set<std::string> in_parser;
  for (const auto& rule : Rules()) in_parser.insert(std::string(rule.id));
  EXPECT_EQ(in_schema.size(), 22u);  // 19 rules of one report, 3 across years
  EXPECT_EQ(in_schema, in_parser);
}

// ---------------------------------------------------------------------------------------
// (b) Hand-written samples.

const std::vector<std::string> kOutcomeRows = {
    "disclosed",
    "partially_disclosed",
    "withheld.state_secret",
    "withheld.prohibited",
    "withheld.three_safeties",
    "withheld.third_party",
    "withheld.internal",
    "withheld.process",
    "withheld.enforcement_file",
    "withheld.query",
    "unavailable.not_held",
    "unavailable.needs_creation",
    "unavailable.unclear",
    "not_processed.petition",
    "not_processed.duplicate",
    "not_processed.publication",
    "not_processed.excessive",
    "not_processed.reconfirm",
};

Json Row(std::initializer_list<int> cells) {
  Json row = Json::array();
  for (int c : cells) row.push_back(c);
  return row;
}

// A record in order for the given template ("2019" or "2021"), every field present.
Json SampleRecord(const std::string& form) {
  Json r = Json::parse(R"json({
    "schema": "nianbao.report.v1",
    "report_id": "896b3c1f72ed9d5d5d8c639b87f04f20",
    "source": {
      "url": null,
      "fetched_at": null,
      "sha256": "896b3c1f72ed9d5d5d8c639b87f04f20694b61c894b0e7e9a77976af16a5405c",
      "media_type": "text/plain",
      "charset": "utf-8"
    },
    "title": "洛碛镇人民政府2020年政府信息公开工作年度报告",
    "organization": "重庆市渝北区洛碛镇人民政府",
    "year": 2020,
    "template": "2019",
    "published_on": "2021-01-19",
    "sections": ["overview", "proactive", "applications", "reviews_litigation", "problems",
                 "other"],
    "reviews_litigation": {
      "review": [1, 0, 0, 0, 1],
      "litigation_direct": [0, 0, 0, 0, 0],
      "litigation_after_review": [null, null, null, null, null]
    },
    "narrative": {"proactive_total": 97, "applications_received": 3},
    "problems": "一是公开内容不够全面。",
    "other_matters": "无。"
  })json");
  Json apps = Json::object();
  apps["new"] = Row({2, 1, 0, 0, 0, 0, 3});
  apps["carried_over"] = Row({0, 0, 0, 0, 0, 0, 0});
  for (const auto& key : kOutcomeRows) apps[key] = Row({0, 0, 0, 0, 0, 0, 0});
  apps["disclosed"] = Row({2, 1, 0, 0, 0, 0, 3});
  apps["total"] = Row({2, 1, 0, 0, 0, 0, 3});
  apps["carried_forward"] = Row({0, 0, 0, 0, 0, 0, 0});
  if (form == "2019") {
    apps["other"] = Row({0, 0, 0, 0, 0, 0, 0});
    r["proactive"] = Json::parse(R"json({
      "regulations": {"made": 0, "published": 0, "total": 0},
      "normative_documents": {"made": 2, "published": 2, "total": 15},
      "licensing": {"previous": 12, "change": -1, "decisions": 320},
      "other_services": {"previous": 3, "change": 0, "decisions": 40},
      "penalty": {"previous": 5, "change": 1, "decisions": 18},
      "coercion": {"previous": 0, "change": 0, "decisions": 0},
      "fees": {"previous": 1, "change": 0},
      "procurement": {"projects": 4, "amount_wan": 25.1}
    })json");
  } else {
    r["template"] = "2021";
    r["year"] = 2021;
    apps["other.no_correction"] = Row({0, 0, 0, 0, 0, 0, 0});
    apps["other.unpaid_fee"] = Row({0, 0, 0, 0, 0, 0, 0});
    apps["other.other"] = Row({0, 0, 0, 0, 0, 0, 0});
    r["proactive"] = Json::parse(R"json({
      "regulations": {"issued": 0, "repealed": 0, "in_force": 3},
      "normative_documents": {"issued": 2, "repealed": 1, "in_force": 15},
      "licensing": {"decisions": 320},
      "penalty": {"decisions": 18},
      "coercion": {"decisions": null},
      "fees": {"amount_wan": 108}
    })json");
  }
  r["applications"] = std::move(apps);
  return r;
}

Json SampleFinding() {
  return Json::parse(R"json({
    "schema": "nianbao.finding.v1",
    "report_id": "896b3c1f72ed9d5d5d8c639b87f04f20",
    "rule": "applications.balance",
    "severity": "error",
    "path": "applications.total[6]",
    "message": "总计: 一、本年新收 + 二、上年结转 = 3 but 三（七）总计 + 四、结转下年度继续办理 = 2",
    "expected": 3,
    "actual": 2,
    "source_url": null,
    "organization": "重庆市渝北区洛碛镇人民政府",
    "year": 2020
  })json");
}

// One edit of a sample: set the JSON Pointer to the JSON text, or remove it (value nullptr).
struct Edit {
  const char* pointer;
  const char* value;
};
struct Case {
  const char* name;
  std::vector<Edit> edits;
  bool valid;
};

Json Apply(Json doc, const std::vector<Edit>& edits) {
  for (const auto& e : edits) {
    const Json::json_pointer ptr(e.pointer);
    if (e.value == nullptr) {
      doc.at(ptr.parent_pointer()).erase(ptr.back());
    } else {
      doc[ptr] = Json::parse(e.value);
    }
  }
  return doc;
}

void ExpectCases(const valijson::Schema& schema, const Json& base, const std::vector<Case>& cases) {
  for (const auto& c : cases) {
    const Json doc = Apply(base, c.edits);
    const auto errors = Validate(schema, doc);
    if (c.valid) {
      EXPECT_TRUE(errors.empty()) << c.name << ": rejected\n" << Lines(errors);
    } else {
      EXPECT_FALSE(errors.empty()) << c.name << ": accepted\n" << doc.dump();
    }
  }
}

constexpr const char* kSevenNulls = "[null, null, null, null, null, null, null]";

TEST(ReportSchemaTest, AcceptsRecordsInOrder) {
  ExpectCases(
      *GetSchemas().report, SampleRecord("2019"),
      {
          {"2019 record as written", {}, true},
          {"a null cell", {{"/applications/new/3", "null"}}, true},
          {"an absent row", {{"/applications/withheld.query", "null"}}, true},
          {"all cells null", {{"/applications/total", kSevenNulls}}, true},
          {"no section 二 table", {{"/proactive", "null"}}, true},
          {"no section 三 table", {{"/applications", "null"}}, true},
          {"no section 四 table", {{"/reviews_litigation", "null"}}, true},
          {"an absent proactive row", {{"/proactive/regulations", "null"}}, true},
          {"a null proactive cell", {{"/proactive/fees/change", "null"}}, true},
          {"money with decimals", {{"/proactive/procurement/amount_wan", "0.35"}}, true},
          {"money null", {{"/proactive/procurement/amount_wan", "null"}}, true},
          {"a negative change", {{"/proactive/penalty/change", "-3"}}, true},
          {"template unknown, 2019 tables", {{"/template", "null"}}, true},
          {"nothing known",
           {{"/title", "null"},
            {"/organization", "null"},
            {"/year", "null"},
            {"/published_on", "null"},
            {"/sections", "[]"},
            {"/narrative/proactive_total", "null"},
            {"/narrative/applications_received", "null"},
            {"/problems", "null"},
            {"/other_matters", "null"}},
           true},
          {"sections in another order", {{"/sections", R"(["problems", "overview"])"}}, true},
          {"a crawled page",
           {{"/source/url", R"("https://www.cqyb.gov.cn/bm/lqz/t20210119_1.html?id=7")"},
            {"/source/fetched_at", R"("2021-02-01T08:00:00+08:00")"},
            {"/source/media_type", R"("text/html")"},
            {"/source/charset", R"("gb18030")"}},
           true},
          {"a non-default port", {{"/source/url", R"("http://www.a.gov.cn:8080/x")"}}, true},
          {"fetched_at in UTC with fraction",
           {{"/source/fetched_at", R"("2021-02-01T00:00:00.250Z")"}},
           true},
          {"a field added at the top level", {{"/crawl", R"({"depth": 2})"}}, true},
          {"a field added to source", {{"/source/etag", R"("abc")"}}, true},
          {"a fact added to narrative", {{"/narrative/portal_items", "97"}}, true},
          {"a report.reparsed record",
           {{"/parser_version", R"("0.2.0+parser.3")"},
            {"/previous_parser_version", R"("0.1.0+parser.1")"}},
           true},
          {"reparsed from a WARC of another crawler",
           {{"/parser_version", R"("0.2.0+parser.3")"},
            {"/previous_parser_version", "null"},
            {"/source/archive", R"({"file": "crawl.warc", "offset": 0})"}},
           true},
          {"read from its attachment",
           {{"/source/document",
             R"({"url": "http://www.a.gov.cn/files/nb2021.pdf", "media_type": "application/pdf",
                 "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"})"},
            {"/source/attachments",
             R"([{"url": "http://www.a.gov.cn/files/nb2021.pdf", "media_type": "application/pdf",
                  "sha256": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "bytes": 52311}])"}},
           true},
          {"read from the page, no attachment read",
           {{"/source/document",
             R"({"url": "http://www.a.gov.cn/t1.html", "media_type": "text/html", "sha256": "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"})"},
            {"/source/attachments", "[]"}},
           true},
      });
  ExpectCases(*GetSchemas().report, SampleRecord("2021"),
              {
                  {"2021 record as written", {}, true},
                  {"template unknown, 2021 tables", {{"/template", "null"}}, true},
                  {"2021 fees with decimals", {{"/proactive/fees/amount_wan", "25.1"}}, true},
                  {"2021 other rows null", {{"/applications/other.other", "null"}}, true},
              });
}

TEST(ReportSchemaTest, RejectsWhatTheSpecForbids) {
  ExpectCases(
      *GetSchemas().report, SampleRecord("2019"),
      {
          // Cells and rows.
          {"a count as a string", {{"/applications/new/0", R"("2")"}}, false},
          // Documents.
          {"a document without its hash",
           {{"/source/document",
             R"({"url": "http://a.gov.cn/a.pdf", "media_type": "application/pdf"})"}},
           false},
          {"an attachment without its size",
           {{"/source/attachments",
             R"([{"url": "http://a.gov.cn/a.pdf", "media_type": "application/pdf", "sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"}])"}},
           false},
          {"an attachment's URL not canonical",
           {{"/source/attachments",
             R"([{"url": "HTTP://A.gov.cn/a.pdf", "media_type": "application/pdf", "sha256": "cccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc", "bytes": 1}])"}},
           false},
          {"a count with a fraction", {{"/applications/new/0", "1.5"}}, false},
          {"a count as a boolean", {{"/applications/new/0", "false"}}, false},
          {"an applications row of 6 cells", {{"/applications/new", "[2, 1, 0, 0, 0, 0]"}}, false},
          {"an applications row of 8 cells",
           {{"/applications/new", "[2, 1, 0, 0, 0, 0, 3, 0]"}},
           false},
          {"an applications row as an object", {{"/applications/new", R"({"total": 3})"}}, false},
          {"an unknown applications row", {{"/applications/withheld.other", kSevenNulls}}, false},
          {"an applications row missing", {{"/applications/total", nullptr}}, false},
          {"a 2021 row in a 2019 table", {{"/applications/other.other", kSevenNulls}}, false},
          {"the 2019 other row missing", {{"/applications/other", nullptr}}, false},
          {"applications as an array", {{"/applications", "[]"}}, false},
          {"a review group of 4 cells", {{"/reviews_litigation/review", "[1, 0, 0, 1]"}}, false},
          {"a review group of 6 cells",
           {{"/reviews_litigation/review", "[1, 0, 0, 0, 1, 0]"}},
           false},
          {"a review cell as a string", {{"/reviews_litigation/review/4", R"("1")"}}, false},
          {"an unknown review group", {{"/reviews_litigation/appeal", "[0, 0, 0, 0, 0]"}}, false},
          {"a review group missing", {{"/reviews_litigation/litigation_direct", nullptr}}, false},
          {"a proactive row with an extra key", {{"/proactive/regulations/extra", "1"}}, false},
          {"a proactive row missing a key", {{"/proactive/fees/change", nullptr}}, false},
          {"a proactive row missing", {{"/proactive/procurement", nullptr}}, false},
          {"an unknown proactive row", {{"/proactive/subsidies", "null"}}, false},
          {"a 2021 row shape in a 2019 table",
           {{"/proactive/regulations", R"({"issued": 0, "repealed": 0, "in_force": 0})"}},
           false},
          {"a proactive row as an array", {{"/proactive/regulations", "[0, 0, 0]"}}, false},
          {"money as a string", {{"/proactive/procurement/amount_wan", R"("25.1万")"}}, false},
          {"a proactive count with a fraction",
           {{"/proactive/procurement/projects", "2.5"}},
           false},
          {"2019 tables under template 2021", {{"/template", R"("2021")"}}, false},
          // Required fields.
          {"no schema", {{"/schema", nullptr}}, false},
          {"no report_id", {{"/report_id", nullptr}}, false},
          {"no source", {{"/source", nullptr}}, false},
          {"no title", {{"/title", nullptr}}, false},
          {"no organization", {{"/organization", nullptr}}, false},
          {"no year", {{"/year", nullptr}}, false},
          {"no template", {{"/template", nullptr}}, false},
          {"no published_on", {{"/published_on", nullptr}}, false},
          {"no sections", {{"/sections", nullptr}}, false},
          {"no proactive", {{"/proactive", nullptr}}, false},
          {"no applications", {{"/applications", nullptr}}, false},
          {"no reviews_litigation", {{"/reviews_litigation", nullptr}}, false},
          {"no narrative", {{"/narrative", nullptr}}, false},
          {"no narrative.proactive_total", {{"/narrative/proactive_total", nullptr}}, false},
          {"no narrative.applications_received",
           {{"/narrative/applications_received", nullptr}},
           false},
          {"no problems", {{"/problems", nullptr}}, false},
          {"no other_matters", {{"/other_matters", nullptr}}, false},
          {"no source.url", {{"/source/url", nullptr}}, false},
          {"no source.fetched_at", {{"/source/fetched_at", nullptr}}, false},
          {"no source.sha256", {{"/source/sha256", nullptr}}, false},
          {"no source.media_type", {{"/source/media_type", nullptr}}, false},
          {"no source.charset", {{"/source/charset", nullptr}}, false},
          // Values.
          {"schema of another version", {{"/schema", R"("nianbao.report.v2")"}}, false},
          {"schema of a finding", {{"/schema", R"("nianbao.finding.v1")"}}, false},
          {"a parser_version without its revision", {{"/parser_version", R"("0.1.0")"}}, false},
          {"a previous_parser_version as a number", {{"/previous_parser_version", "1"}}, false},
          {"an empty report_id", {{"/report_id", R"("")"}}, false},
          {"a numeric report_id", {{"/report_id", "42"}}, false},
          {"template 2020", {{"/template", R"("2020")"}}, false},
          {"template as a number", {{"/template", "2019"}}, false},
          {"year as a string", {{"/year", R"("2020")"}}, false},
          {"year with a fraction", {{"/year", "2020.5"}}, false},
          {"published_on with slashes", {{"/published_on", R"("2021/01/19")"}}, false},
          {"published_on without zero padding", {{"/published_on", R"("2021-1-19")"}}, false},
          {"published_on with a time", {{"/published_on", R"("2021-01-19T10:00:00Z")"}}, false},
          {"published_on in Chinese", {{"/published_on", R"("2021年1月19日")"}}, false},
          {"an unknown section", {{"/sections", R"(["overview", "summary"])"}}, false},
          {"a section twice", {{"/sections", R"(["overview", "overview"])"}}, false},
          {"sections null", {{"/sections", "null"}}, false},
          {"an empty title", {{"/title", R"("")"}}, false},
          {"problems as a number", {{"/problems", "5"}}, false},
          {"narrative count as a string", {{"/narrative/proactive_total", R"("97")"}}, false},
          {"narrative null", {{"/narrative", "null"}}, false},
          {"source null", {{"/source", "null"}}, false},
          {"a url with a fragment", {{"/source/url", R"("https://www.a.gov.cn/b.html#x")"}}, false},
          {"a url with an upper-case host",
           {{"/source/url", R"("https://WWW.A.gov.cn/b.html")"}},
           false},
          {"a url with an upper-case scheme",
           {{"/source/url", R"("HTTPS://www.a.gov.cn/b")"}},
           false},
          {"a url with the default https port",
           {{"/source/url", R"("https://www.a.gov.cn:443/b.html")"}},
           false},
          {"a url with the default http port",
           {{"/source/url", R"("http://www.a.gov.cn:80")"}},
           false},
          {"a relative url", {{"/source/url", R"("/a/b.html")"}}, false},
          {"fetched_at not a date-time", {{"/source/fetched_at", R"("yesterday")"}}, false},
          {"fetched_at without a zone",
           {{"/source/fetched_at", R"("2021-02-01T08:00:00")"}},
           false},
          {"sha256 in upper case",
           {{"/source/sha256",
             R"("896B3C1F72ED9D5D5D8C639B87F04F20694B61C894B0E7E9A77976AF16A5405C")"}},
           false},
          {"sha256 of 63 digits",
           {{"/source/sha256",
             R"("896b3c1f72ed9d5d5d8c639b87f04f20694b61c894b0e7e9a77976af16a5405")"}},
           false},
          {"media_type without a subtype", {{"/source/media_type", R"("html")"}}, false},
          {"an empty charset", {{"/source/charset", R"("")"}}, false},
          {"a record as an array", {{"", "[]"}}, false},
      });
  ExpectCases(
      *GetSchemas().report, SampleRecord("2021"),
      {
          {"2021 tables under template 2019", {{"/template", R"("2019")"}}, false},
          {"a 2019 row shape in a 2021 table",
           {{"/proactive/licensing", R"({"previous": 0, "change": 0, "decisions": 1})"}},
           false},
          {"a 2019-only row in a 2021 table", {{"/proactive/procurement", "null"}}, false},
          {"the 2019 other row in a 2021 table", {{"/applications/other", kSevenNulls}}, false},
          {"a 2021 other row missing", {{"/applications/other.unpaid_fee", nullptr}}, false},
          {"2021 fees as a string", {{"/proactive/fees/amount_wan", R"("108万元")"}}, false},
          {"2021 decisions with a fraction", {{"/proactive/penalty/decisions", "1.5"}}, false},
      });
}

TEST(FindingSchemaTest, AcceptsFindingsInOrder) {
  ExpectCases(
      *GetSchemas().finding, SampleFinding(),
      {
          {"finding as written", {}, true},
          {"no path", {{"/path", "null"}}, true},
          {"no numbers", {{"/expected", "null"}, {"/actual", "null"}}, true},
          {"money numbers", {{"/expected", "25.1"}, {"/actual", "25"}}, true},
          {"a crawled page", {{"/source_url", R"("https://www.a.gov.cn/b.html")"}}, true},
          {"nothing known of the report", {{"/organization", "null"}, {"/year", "null"}}, true},
          {"a warning rule",
           {{"/rule", R"("structure.cell_count")"}, {"/severity", R"("warning")"}},
           true},
          {"a field added", {{"/column", R"("总计")"}}, true},
      });
  // Every rule of the parser's table, with the severity the table gives it.
  for (const auto& rule : Rules()) {
    Json f = SampleFinding();
    f["rule"] = std::string(rule.id);
    f["severity"] = std::string(SeverityName(rule.severity));
    const auto errors = Validate(*GetSchemas().finding, f);
    EXPECT_TRUE(errors.empty()) << rule.id << " / " << SeverityName(rule.severity) << "\n"
                                << Lines(errors);
  }
}

TEST(FindingSchemaTest, RejectsWhatTheSpecForbids) {
  ExpectCases(*GetSchemas().finding, SampleFinding(),
              {
                  {"a bad rule id", {{"/rule", R"("structure.unknown")"}}, false},
                  {"a rule id in another case", {{"/rule", R"("Applications.Balance")"}}, false},
                  {"a bad severity", {{"/severity", R"("fatal")"}}, false},
                  {"an error rule as a warning", {{"/severity", R"("warning")"}}, false},
                  {"a warning rule as an error", {{"/rule", R"("meta.published_late")"}}, false},
                  {"not_a_report as info",
                   {{"/rule", R"("meta.not_a_report")"}, {"/severity", R"("info")"}},
                   false},
                  {"schema of another version", {{"/schema", R"("nianbao.finding.v2")"}}, false},
                  {"schema of a report", {{"/schema", R"("nianbao.report.v1")"}}, false},
                  {"an empty report_id", {{"/report_id", R"("")"}}, false},
                  {"an empty message", {{"/message", R"("")"}}, false},
                  {"an empty path", {{"/path", R"("")"}}, false},
                  {"expected as a string", {{"/expected", R"("3")"}}, false},
                  {"actual as a boolean", {{"/actual", "true"}}, false},
                  {"year as a string", {{"/year", R"("2020")"}}, false},
                  {"source_url as a number", {{"/source_url", "1"}}, false},
                  {"no schema", {{"/schema", nullptr}}, false},
                  {"no report_id", {{"/report_id", nullptr}}, false},
                  {"no rule", {{"/rule", nullptr}}, false},
                  {"no severity", {{"/severity", nullptr}}, false},
                  {"no path", {{"/path", nullptr}}, false},
                  {"no message", {{"/message", nullptr}}, false},
                  {"no expected", {{"/expected", nullptr}}, false},
                  {"no actual", {{"/actual", nullptr}}, false},
                  {"no source_url", {{"/source_url", nullptr}}, false},
                  {"no organization", {{"/organization", nullptr}}, false},
                  {"no year", {{"/year", nullptr}}, false},
                  {"a finding as a string", {{"", R"("applications.balance")"}}, false},
              });
}

TEST(ParseOutputSchemaTest, ChecksTheLineAndWhatItRefersTo) {
  Json line;
  line["report"] = SampleRecord("2019");
  line["findings"] = Json::array({SampleFinding()});
  ExpectCases(*GetSchemas().parse_output, line,
              {
                  {"a line in order", {}, true},
                  {"a line without findings", {{"/findings", "[]"}}, true},
                  {"a field added", {{"/elapsed_ms", "3"}}, true},
                  {"no report", {{"/report", nullptr}}, false},
                  {"no findings", {{"/findings", nullptr}}, false},
                  {"findings not an array", {{"/findings", "{}"}}, false},
                  {"report null", {{"/report", "null"}}, false},
                  // The $refs reach the right documents, and each keeps its own consts.
                  {"a bad record", {{"/report/applications/new/0", R"("2")"}}, false},
                  {"a record with the finding's schema",
                   {{"/report/schema", R"("nianbao.finding.v1")"}},
                   false},
                  {"a bad finding", {{"/findings/0/rule", R"("structure.unknown")"}}, false},
                  {"a finding with the record's schema",
                   {{"/findings/0/schema", R"("nianbao.report.v1")"}},
                   false},
                  {"a finding without a message", {{"/findings/0/message", nullptr}}, false},
              });
}

// ---------------------------------------------------------------------------------------
// (c) The parser's output for every fixture.

// Every regular file under tests/fixtures, as paths relative to it, sorted.
std::vector<std::string> FixtureFiles() {
  std::vector<std::string> files;
  const std::filesystem::path root(NIANBAO_FIXTURES);
  std::error_code ec;
  for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
       !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
    if (it->is_regular_file()) files.push_back(it->path().lexically_relative(root).string());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Resolves a finding's path ("applications.withheld.state_secret[3]", "narrative",
// "reviews_litigation.review[4]") in the record. Keys may contain dots, so at each object
// the longest key that fits is taken. Returns an explanation when the path leads nowhere.
std::optional<std::string> ResolvePathError(const Json& record, const std::string& path) {
  const Json* node = &record;
  std::size_t pos = 0;
  while (pos < path.size()) {
    if (path[pos] == '[') {
      const std::size_t close = path.find(']', pos);
      if (close == std::string::npos || !node->is_array()) {
        return "\"" + path.substr(0, pos) + "\" is not an array";
      }
      const std::string digits = path.substr(pos + 1, close - pos - 1);
      if (digits.empty() || !std::all_of(digits.begin(), digits.end(),
                                         [](unsigned char c) { return std::isdigit(c); })) {
        return "bad index [" + digits + "]";
      }
      const std::size_t index = std::stoul(digits);
      if (index >= node->size()) return "index [" + digits + "] is past the end";
      node = &(*node)[index];
      pos = close + 1;
    } else {
      if (pos > 0) {
        if (path[pos] != '.') return "unexpected \"" + path.substr(pos) + "\"";
        ++pos;
      }
      if (!node->is_object()) return "\"" + path.substr(0, pos) + "\" is not an object";
      std::string best;
      for (const auto& item : node->items()) {
        const std::string& key = item.key();
        const std::size_t end = pos + key.size();
        if (key.size() > best.size() && path.compare(pos, key.size(), key) == 0 &&
            (end == path.size() || path[end] == '.' || path[end] == '[')) {
          best = key;
        }
      }
      if (best.empty()) {
        return "no field \"" + path.substr(pos) + "\" at \"" + path.substr(0, pos) + "\"";
      }
      node = &(*node)[best];
      pos += best.size();
    }
  }
  return std::nullopt;
}

TEST(FindingPathTest, ResolvesPathsIntoTheRecord) {
  const Json record = SampleRecord("2019");
  for (const char* path : {"applications.new[6]", "applications.withheld.state_secret[3]",
                           "applications.withheld.query", "reviews_litigation.review[4]",
                           "reviews_litigation", "proactive.regulations", "proactive.fees.change",
                           "narrative", "published_on", "template", "year"}) {
    const auto error = ResolvePathError(record, path);
    EXPECT_FALSE(error.has_value()) << path << ": " << error.value_or("");
  }
  for (const char* path :
       {"overview", "applications.new[7]", "applications.withheld", "applications.withheld.other",
        "reviews_litigation.review.total", "narrative[0]", "year.value", "applications.new[x]"}) {
    EXPECT_TRUE(ResolvePathError(record, path).has_value()) << path << " resolved";
  }
}

// Checks one parse line: its schema, each record and finding on its own, and the ties
// between them. Each problem is one ADD_FAILURE naming the file.
void CheckParseLine(const std::string& file, const Json& line) {
  const Schemas& schemas = GetSchemas();
  ASSERT_TRUE(line.is_object() && line.contains("report") && line.contains("findings"))
      << file << ": not {report, findings}";
  const Json& report = line["report"];
  if (auto errors = Validate(*schemas.report, report); !errors.empty()) {
    ADD_FAILURE() << file << ": the record does not follow " << kReportSchema << "\n"
                  << Lines(errors);
  }
  if (auto errors = Validate(*schemas.parse_output, line); !errors.empty()) {
    ADD_FAILURE() << file << ": the line does not follow " << kParseOutputSchema << "\n"
                  << Lines(errors);
  }
  ASSERT_TRUE(report.is_object() && line["findings"].is_array()) << file;
  const Json source_url = report.contains("source") && report["source"].is_object()
                              ? report["source"].value("url", Json())
                              : Json();
  for (std::size_t i = 0; i < line["findings"].size(); ++i) {
    const Json& f = line["findings"][i];
    const std::string what =
        file + ": findings[" + std::to_string(i) + "] (" + f.value("rule", std::string("?")) + ")";
    if (auto errors = Validate(*schemas.finding, f); !errors.empty()) {
      ADD_FAILURE() << what << " does not follow " << kFindingSchema << "\n"
                    << Lines(errors) << "    " << f.dump();
      continue;
    }
    // The findings schema passed, so every field read below is there.
    EXPECT_EQ(f["report_id"], report.value("report_id", Json()))
        << what << ": report_id is not the record's";
    EXPECT_EQ(f["source_url"], source_url) << what << ": source_url is not the record's source.url";
    EXPECT_EQ(f["organization"], report.value("organization", Json()))
        << what << ": organization is not the record's";
    EXPECT_EQ(f["year"], report.value("year", Json())) << what << ": year is not the record's";
    if (f["path"].is_string()) {
      if (auto error = ResolvePathError(report, f["path"].get<std::string>())) {
        ADD_FAILURE() << what << ": path \"" << f["path"].get<std::string>()
                      << "\" is not a path into the record: " << *error;
      }
    }
  }
}

// ToJson() as consumers receive it: serialised (strictly: invalid UTF-8 is an error here,
// where the CLI would quietly replace it) and read back.
Json Serialised(const std::string& file, const ParseOutput& output) {
  std::string text;
  try {
    text = ToJson(output).dump();
  } catch (const nlohmann::json::exception& e) {
    ADD_FAILURE() << file << ": the output cannot be written as JSON: " << e.what();
    text = ToJson(output).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
  }
  return Json::parse(text);
}

class FixtureSchemaTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FixtureSchemaTest, LocalFileFollowsTheSchemas) {
  const std::string file = GetParam();
  const std::string bytes = ReadFile(std::filesystem::path(NIANBAO_FIXTURES) / file);
  ParseInput input;
  input.bytes = bytes;
  auto output = Parse(input);
  ASSERT_TRUE(output.ok()) << file << ": " << output.status().ToString();
  const Json line = Serialised(file, output.value());
  CheckParseLine(file, line);
  EXPECT_EQ(line["report"]["source"]["url"], Json()) << file;
  EXPECT_EQ(line["report"]["source"]["fetched_at"], Json()) << file;
}

TEST_P(FixtureSchemaTest, CrawledPageFollowsTheSchemas) {
  const std::string file = GetParam();
  const std::string bytes = ReadFile(std::filesystem::path(NIANBAO_FIXTURES) / file);
  const std::string url =
      "https://www.example.gov.cn/zfxxgkndbg/" + std::filesystem::path(file).filename().string();
  ParseInput input;
  input.bytes = bytes;
  input.url = url;
  input.fetched_at = "2021-02-01T08:00:00+08:00";
  auto output = Parse(input);
  ASSERT_TRUE(output.ok()) << file << ": " << output.status().ToString();
  const Json line = Serialised(file, output.value());
  CheckParseLine(file, line);
  EXPECT_EQ(line["report"]["source"]["url"], url) << file;
  EXPECT_EQ(line["report"]["source"]["fetched_at"], input.fetched_at) << file;
}

// "seeds/000_d4e73e73a1b7a1d3.txt" -> "seeds_000_d4e73e73a1b7a1d3_txt"
std::string TestName(const ::testing::TestParamInfo<std::string>& info) {
  std::string name;
  for (unsigned char c : info.param) name += std::isalnum(c) ? static_cast<char>(c) : '_';
  return name;
}

INSTANTIATE_TEST_SUITE_P(Fixtures, FixtureSchemaTest, ::testing::ValuesIn(FixtureFiles()),
                         TestName);

TEST(UnreadableDocumentSchemaTest, TruncatedDocumentFollowsTheSchemas) {
  // A DOCX cut in half: its line is an empty record and meta.unreadable_document, whose path
  // (source.media_type) is in the record.
  const std::string bytes =
      ReadFile(std::filesystem::path(NIANBAO_FIXTURES) / "documents/form_2021.docx");
  ParseInput input;
  const std::string cut = bytes.substr(0, bytes.size() / 2);
  input.bytes = cut;
  auto output = Parse(input);
  ASSERT_TRUE(output.ok()) << output.status().ToString();
  const Json line = Serialised("form_2021.docx cut", output.value());
  CheckParseLine("form_2021.docx cut", line);
  ASSERT_EQ(line["findings"].size(), 1u);
  EXPECT_EQ(line["findings"][0]["rule"], "meta.unreadable_document");
}

TEST(FixtureListTest, FindsTheSeeds) {
  const auto files = FixtureFiles();
  EXPECT_GE(std::count_if(files.begin(), files.end(),
                          [](const std::string& f) { return f.rfind("seeds/", 0) == 0; }),
            5)
      << "fixtures under " << NIANBAO_FIXTURES;
}

}  // namespace
}  // namespace nianbao::parser
