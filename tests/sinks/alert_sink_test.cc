// sinks/alert_sink and alert_format: what each kind of target receives (exact body, signature),
// which batches alert, and how answers end an alert: 500 and 429 retried (Retry-After
// honoured), a robot's error code or another 4xx given up at once, retries bounded. Against a
// loopback receiver (tests/crawler/test_http_server.h).
#include "sinks/alert_sink.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#include "../crawler/test_http_server.h"
#include "sinks/alert_format.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::sinks {
namespace {

using namespace std::chrono_literals;
using testing::HttpRequest;
using testing::HttpResponse;
using testing::ScratchDir;
using testing::TestHttpServer;

// ---- the building blocks, against published test vectors

TEST(AlertSigningTest, HmacSha256MatchesRfc4231) {
  // RFC 4231, test case 2.
  EXPECT_EQ(Hex(HmacSha256("Jefe", "what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
  // RFC 4231, test case 1: key 20 x 0x0b, "Hi There".
  EXPECT_EQ(Hex(HmacSha256(std::string(20, '\x0b'), "Hi There")),
            "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

TEST(AlertSigningTest, Base64MatchesRfc4648AndUrlEncodeKeepsUnreserved) {
  EXPECT_EQ(Base64(""), "");
  EXPECT_EQ(Base64("f"), "Zg==");
  EXPECT_EQ(Base64("fo"), "Zm8=");
  EXPECT_EQ(Base64("foo"), "Zm9v");
  EXPECT_EQ(Base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(UrlEncode("aZ09-_.~+/= "), "aZ09-_.~%2B%2F%3D%20");
}

TEST(AlertSigningTest, TruncateUtf8NeverSplitsACharacter) {
  const std::string two = "年报";  // 3 bytes each
  EXPECT_EQ(TruncateUtf8(two, 6), two);
  EXPECT_EQ(TruncateUtf8(two, 5), "年");
  EXPECT_EQ(TruncateUtf8(two, 3), "年");
  EXPECT_EQ(TruncateUtf8(two, 2), "");
  EXPECT_EQ(TruncateUtf8("ab年", 4), "ab");
}

// A target; the filters empty.
AlertTarget Target(const std::string& kind, const std::string& url, const std::string& secret = "",
                   const std::string& min_severity = "warning") {
  AlertTarget t;
  t.kind = kind;
  t.url = url;
  t.secret = secret;
  t.min_severity = min_severity;
  return t;
}

// ---- batches as the status updater builds them (ingest/messages.cc): headers schema, event

constexpr char kUrl[] = "http://www.example.gov.cn/zfxxgk/r1.html";

Message Record(const std::string& event) {
  return {"nianbao.reports",
          "r1",
          R"({"schema":"nianbao.report.v1","report_id":"r1","version":2,"source":"dongcheng",)"
          R"("organization":"北京市东城区人民政府","year":2023,)"
          R"("title":"2023年政府信息公开工作年度报告"})",
          {{"schema", "nianbao.report.v1"}, {"event", event}}};
}

Message Finding(const std::string& rule, const std::string& severity, const std::string& message,
                const std::string& path) {
  return {"nianbao.findings",
          "r1",
          R"({"schema":"nianbao.finding.v1","report_id":"r1","rule":")" + rule +
              R"(","severity":")" + severity + R"(","message":")" + message + R"(","path":")" +
              path + R"(","source_url":")" + kUrl + R"("})",
          {{"schema", "nianbao.finding.v1"}, {"event", "report.published"}}};
}

Batch ReportBatch(const std::string& event = "report.published") {
  return {"r1@v2",
          {Record(event), Finding("applications.balance", "error", "收支不平衡", "applications"),
           Finding("meta.year_mismatch", "warning", "年份不一致", ""),
           Finding("narrative.parts_sum", "info", "分项之和不符", "narrative")}};
}

// What AlertText gives for ReportBatch() at min_severity "warning", read off the batch above.
constexpr char kTitle[] = "nianbao: 北京市东城区人民政府 2023 new report, 2 finding(s), 1 error(s)";
const std::string kMarkdown = std::string("### ") + kTitle +
                              "\n2023年政府信息公开工作年度报告\n"
                              "- **error** `applications.balance` 收支不平衡 (applications)\n"
                              "- **warning** `meta.year_mismatch` 年份不一致\n"
                              "[" +
                              kUrl + "](" + kUrl + ")";
const std::string kPlain = std::string(kTitle) +
                           "\n2023年政府信息公开工作年度报告\n"
                           "- [error] applications.balance: 收支不平衡 (applications)\n"
                           "- [warning] meta.year_mismatch: 年份不一致\n" +
                           kUrl;

TEST(AlertOfTest, SeverityAndFiltersChooseTheFindings) {
  AlertTarget t = Target("webhook", "http://127.0.0.1:1/");
  Alert a;
  ASSERT_TRUE(AlertOf(ReportBatch(), t, &a));
  EXPECT_EQ(a.event, "report.published");
  EXPECT_EQ(a.report_id, "r1");
  EXPECT_EQ(a.version, 2);
  EXPECT_EQ(a.url, kUrl);
  ASSERT_EQ(a.findings.size(), 2u);  // info is below "warning"
  EXPECT_EQ(a.findings[0].rule, "applications.balance");
  EXPECT_EQ(AlertText(a, true), kMarkdown);
  EXPECT_EQ(AlertText(a, false), kPlain);

  t.min_severity = "error";
  ASSERT_TRUE(AlertOf(ReportBatch(), t, &a));
  EXPECT_EQ(a.findings.size(), 1u);
  t.min_severity = "info";
  ASSERT_TRUE(AlertOf(ReportBatch("report.revised"), t, &a));
  EXPECT_EQ(a.findings.size(), 3u);
  EXPECT_EQ(a.event, "report.revised");

  t.rules = {"meta.year_mismatch"};
  ASSERT_TRUE(AlertOf(ReportBatch(), t, &a));
  ASSERT_EQ(a.findings.size(), 1u);
  EXPECT_EQ(a.findings[0].rule, "meta.year_mismatch");
  t.rules = {"reviews.total"};
  EXPECT_FALSE(AlertOf(ReportBatch(), t, &a));
  t.rules.clear();

  t.sources = {"xicheng"};
  EXPECT_FALSE(AlertOf(ReportBatch(), t, &a));
  t.sources = {"xicheng", "dongcheng"};
  EXPECT_TRUE(AlertOf(ReportBatch(), t, &a));
  t.organizations = {"东城区"};
  EXPECT_TRUE(AlertOf(ReportBatch(), t, &a));
  t.organizations = {"西城区"};
  EXPECT_FALSE(AlertOf(ReportBatch(), t, &a));
}

TEST(AlertOfTest, OnlyReportEventsWithFindingsAlert) {
  const AlertTarget t = Target("webhook", "http://127.0.0.1:1/");
  Alert a;
  EXPECT_FALSE(AlertOf(Batch{"r1", {Record("report.published")}}, t, &a));  // no finding
  EXPECT_FALSE(AlertOf(Batch{"r1", {Record("report.withdrawn")}}, t, &a));
  Batch fetch{"f", {{"nianbao.fetches", "u", "{}", {{"schema", "nianbao.fetch.v1"}}}}};
  EXPECT_FALSE(AlertOf(fetch, t, &a));
}

// A record's batch may carry findings across years of another year's record (event
// findings.across_years, keyed by that report): they are not this record's, and alerting them
// here gave a report with no finding of its own an alert, and the other report a second one.
TEST(AlertOfTest, FindingsOfAnotherYearsRecordInTheBatchAreNotThisRecords) {
  const AlertTarget t = Target("webhook", "http://127.0.0.1:1/");
  Message other = Finding("history.carried_over", "error", "结转不一致", "applications");
  other.key = "r2";
  other.headers = {{"schema", "nianbao.finding.v1"}, {"event", "findings.across_years"}};
  Alert a;
  EXPECT_FALSE(AlertOf(Batch{"r1", {Record("report.published"), other}}, t, &a));
  Batch batch = ReportBatch();
  batch.messages.push_back(other);
  ASSERT_TRUE(AlertOf(batch, t, &a));
  ASSERT_EQ(a.findings.size(), 2u);
  EXPECT_EQ(a.findings[0].rule, "applications.balance");
  EXPECT_EQ(a.findings[1].rule, "meta.year_mismatch");
}

// ---- the sink against a loopback receiver

// 2023-11-14T22:13:20.123Z: 1700000000 s and 123 ms.
const auto kNow = std::chrono::system_clock::time_point(1700000000123ms);

// A receiver answering from a script of responses (the last one repeats), logging requests.
class Receiver {
 public:
  explicit Receiver(std::vector<HttpResponse> script)
      : script_(std::move(script)), server_([this](const HttpRequest&) {
          std::lock_guard<std::mutex> lock(mu_);
          const size_t i = std::min(next_++, script_.size() - 1);
          return script_[i];
        }) {}
  std::string Url(const std::string& path) const { return server_.Url(path); }
  std::vector<HttpRequest> requests() const { return server_.requests(); }

 private:
  std::mutex mu_;
  std::vector<HttpResponse> script_;  // GUARDED_BY(mu_)
  size_t next_ = 0;                   // GUARDED_BY(mu_)
  TestHttpServer server_;
};

HttpResponse Answer(int status, std::string body = "",
                    std::vector<std::pair<std::string, std::string>> headers = {}) {
  HttpResponse r;
  r.status = status;
  r.body = std::move(body);
  r.headers = std::move(headers);
  return r;
}

std::unique_ptr<AlertSink> MakeSink(AlertTarget target, int max_attempts = 3) {
  AlertSinkOptions o;
  o.target = std::move(target);
  o.request_timeout = 5s;
  o.max_attempts = max_attempts;
  o.retry_backoff_min = 10ms;
  o.retry_backoff_max = 2s;
  o.now = [] { return kNow; };
  auto sink = AlertSink::Create(std::move(o));
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(sink).value() : nullptr;
}

// Submits `batch` and waits for its `done`.
Status Deliver(AlertSink& sink, Batch batch) {
  auto promise = std::make_shared<std::promise<Status>>();
  auto result = promise->get_future();
  EXPECT_TRUE(sink.TrySubmit(batch, [promise](Status s) { promise->set_value(std::move(s)); }));
  if (result.wait_for(30s) != std::future_status::ready) return Status::Unavailable("no done");
  return result.get();
}

TEST(AlertSinkTest, WebhookPostsTheJsonSignedOverTheBody) {
  Receiver rx({Answer(204)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook"), "s3cret"));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].method, "POST");
  EXPECT_EQ(reqs[0].target, "/hook");
  EXPECT_EQ(reqs[0].headers.at("content-type"), "application/json");
  // Keys in the order nlohmann::json writes them (sorted); the values read off ReportBatch().
  const std::string want =
      R"({"event":"report.published","findings":[)"
      R"({"message":"收支不平衡","path":"applications","rule":"applications.balance","severity":"error"},)"
      R"({"message":"年份不一致","path":"","rule":"meta.year_mismatch","severity":"warning"}],)"
      R"("organization":"北京市东城区人民政府","report_id":"r1","source":"dongcheng",)"
      R"("text":")" +
      std::string(kTitle) +
      R"(\n2023年政府信息公开工作年度报告\n- [error] applications.balance: 收支不平衡 (applications)\n)"
      R"(- [warning] meta.year_mismatch: 年份不一致\n)" +
      kUrl + R"(","title":"2023年政府信息公开工作年度报告","url":")" + kUrl +
      R"(","version":2,"year":2023})";
  EXPECT_EQ(reqs[0].body, want);
  EXPECT_EQ(reqs[0].headers.at("x-nianbao-signature"),
            "sha256=" + Hex(HmacSha256("s3cret", reqs[0].body)));
  EXPECT_EQ(sink->stats().sent, 1u);
}

TEST(AlertSinkTest, WebhookWithoutSecretIsUnsigned) {
  Receiver rx({Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  ASSERT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(rx.requests()[0].headers.count("x-nianbao-signature"), 0u);
}

TEST(AlertSinkTest, WecomGetsMarkdownContent) {
  Receiver rx({Answer(200, R"({"errcode":0,"errmsg":"ok"})")});
  auto sink = MakeSink(Target("wecom", rx.Url("/cgi-bin/webhook/send?key=K")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/cgi-bin/webhook/send?key=K");
  std::string escaped;  // kMarkdown as a JSON string: its line breaks written \n
  for (char c : kMarkdown) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  EXPECT_EQ(reqs[0].body, R"({"markdown":{"content":")" + escaped + R"("},"msgtype":"markdown"})");
}

TEST(AlertSinkTest, WecomContentIsCutTo4096BytesOnACharacterBoundary) {
  Batch big = ReportBatch();
  // 200 findings of 30 bytes of message each: far over 4096 bytes.
  for (int i = 0; i < 200; ++i) {
    big.messages.push_back(Finding("meta.year_mismatch", "warning", "年份不一致年份不一致", ""));
  }
  Receiver rx({Answer(200, R"({"errcode":0})")});
  auto sink = MakeSink(Target("wecom", rx.Url("/w")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, big).ok());
  ASSERT_EQ(rx.requests().size(), 1u);
  const std::string body = rx.requests()[0].body;
  const std::string head = R"({"markdown":{"content":")";
  const std::string tail = R"("},"msgtype":"markdown"})";
  ASSERT_EQ(body.compare(0, head.size(), head), 0) << body.substr(0, 80);
  ASSERT_GT(body.size(), head.size() + tail.size());
  std::string content = body.substr(head.size(), body.size() - head.size() - tail.size());
  // Unescape the JSON line breaks: the only escapes these texts have.
  std::string raw;
  for (size_t i = 0; i < content.size(); ++i) {
    if (content[i] == '\\' && i + 1 < content.size() && content[i + 1] == 'n') {
      raw += '\n';
      ++i;
    } else {
      raw += content[i];
    }
  }
  EXPECT_LE(raw.size(), 4096u);
  EXPECT_GT(raw.size(), 4096u - 3 - 4);  // cut close to the limit, not far below
  EXPECT_EQ(raw.substr(raw.size() - 4), "\n...");
  // The title counts all 202 findings at or above "warning" (2 + the 200 added), 1 error.
  const std::string start =
      "### nianbao: 北京市东城区人民政府 2023 new report, 202 finding(s), 1 error(s)\n";
  EXPECT_EQ(raw.compare(0, start.size(), start), 0);
  // Every character whole: a 3-byte sequence is never cut (年 and 份 are E5 B9 B4, E4 BB BD).
  const std::string before_cut = raw.substr(0, raw.size() - 4);
  EXPECT_EQ(TruncateUtf8(before_cut, before_cut.size()), before_cut);
  EXPECT_NE(static_cast<unsigned char>(before_cut.back()) & 0xC0, 0xC0);  // no lone lead byte
}

TEST(AlertSinkTest, DingtalkIsSignedInTheQuery) {
  Receiver rx({Answer(200, R"({"errcode":0,"errmsg":"ok"})")});
  auto sink = MakeSink(Target("dingtalk", rx.Url("/robot/send?access_token=T"), "SEC"));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  // Its documentation: timestamp in ms, sign = urlencode(base64(HMAC-SHA256(secret,
  // timestamp + "\n" + secret))).
  EXPECT_EQ(reqs[0].target, "/robot/send?access_token=T&timestamp=1700000000123&sign=" +
                                UrlEncode(Base64(HmacSha256("SEC", "1700000000123\nSEC"))));
  std::string escaped;
  for (char c : kMarkdown) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  EXPECT_EQ(reqs[0].body, R"({"markdown":{"text":")" + escaped + R"(","title":")" + kTitle +
                              R"("},"msgtype":"markdown"})");
}

TEST(AlertSinkTest, FeishuIsSignedInTheBody) {
  Receiver rx({Answer(200, R"({"code":0,"msg":"success"})")});
  auto sink = MakeSink(Target("feishu", rx.Url("/open-apis/bot/v2/hook/H"), "SEC"));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  EXPECT_EQ(reqs[0].target, "/open-apis/bot/v2/hook/H");
  std::string escaped;
  for (char c : kPlain) escaped += c == '\n' ? std::string("\\n") : std::string(1, c);
  // Its documentation: timestamp in seconds, sign = base64(HMAC-SHA256(key = timestamp + "\n" +
  // secret, message = "")).
  EXPECT_EQ(reqs[0].body, R"({"content":{"text":")" + escaped + R"("},"msg_type":"text","sign":")" +
                              Base64(HmacSha256("1700000000\nSEC", "")) +
                              R"(","timestamp":"1700000000"})");
}

TEST(AlertSinkTest, NothingToAlertIsAcknowledgedWithoutARequest) {
  Receiver rx({Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook"), "", "error"));
  ASSERT_TRUE(sink);
  Batch quiet{"r1",
              {Record("report.published"), Finding("meta.year_mismatch", "warning", "x", "")}};
  EXPECT_TRUE(Deliver(*sink, quiet).ok());
  EXPECT_TRUE(rx.requests().empty());
  EXPECT_EQ(sink->stats().skipped, 1u);
}

TEST(AlertSinkTest, ServerErrorIsRetriedThenDelivered) {
  Receiver rx({Answer(500), Answer(502), Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(rx.requests().size(), 3u);
  EXPECT_EQ(sink->stats().retries, 2u);
  EXPECT_EQ(sink->stats().sent, 1u);
}

TEST(AlertSinkTest, TooManyRequestsWaitsForRetryAfter) {
  Receiver rx({Answer(429, "", {{"Retry-After", "1"}}), Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The backoff alone is 10 ms; the answer asked for 1 s.
  EXPECT_GE(reqs[1].received - reqs[0].received, 900ms);
}

// Retry-After may be an HTTP-date (RFC 9110 10.2.3): the wait is until then, not the backoff.
TEST(AlertSinkTest, TooManyRequestsWaitsForARetryAfterDate) {
  char date[64];
  const std::time_t at = std::time(nullptr) + 3;
  std::tm tm{};
  gmtime_r(&at, &tm);
  ASSERT_GT(std::strftime(date, sizeof date, "%a, %d %b %Y %H:%M:%S GMT", &tm), 0u);
  Receiver rx({Answer(429, "", {{"Retry-After", date}}), Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  // The backoff alone is 10 ms; the date is 2-3 s away (whole seconds).
  EXPECT_GE(reqs[1].received - reqs[0].received, 1500ms);
}

TEST(AlertSinkTest, RetriesAreBoundedAndTheBatchFails) {
  Receiver rx({Answer(503)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")), /*max_attempts=*/3);
  ASSERT_TRUE(sink);
  const Status s = Deliver(*sink, ReportBatch());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("HTTP 503"), std::string::npos) << s.message();
  EXPECT_EQ(rx.requests().size(), 3u);
  EXPECT_EQ(sink->stats().failed, 1u);
}

TEST(AlertSinkTest, RobotErrorCodeInA200IsGivenUpAtOnceAndForGood) {
  Receiver rx({Answer(200, R"({"errcode":93000,"errmsg":"invalid webhook url"})")});
  auto sink = MakeSink(Target("wecom", rx.Url("/w")));
  ASSERT_TRUE(sink);
  // Acknowledged: the same message would be refused at every pass; counted as refused.
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(sink->stats().refused, 1u);
  EXPECT_EQ(sink->stats().failed, 0u);
  EXPECT_EQ(sink->stats().sent, 0u);
}

TEST(AlertSinkTest, RobotRateLimitCodeIsRetried) {
  Receiver rx(
      {Answer(200, R"({"code":11232,"msg":"frequency limited"})"), Answer(200, R"({"code":0})")});
  auto sink = MakeSink(Target("feishu", rx.Url("/f")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(rx.requests().size(), 2u);
}

TEST(AlertSinkTest, OtherClientErrorIsGivenUpAtOnce) {
  Receiver rx({Answer(404)});
  auto sink = MakeSink(Target("dingtalk", rx.Url("/gone")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(sink->stats().refused, 1u);
}

TEST(AlertSinkTest, NoAnswerIsRetried) {
  // A port nothing listens on: the receiver is started and stopped to free one.
  std::string url;
  {
    TestHttpServer gone([](const HttpRequest&) { return HttpResponse{}; });
    url = gone.Url("/hook");
  }
  auto sink = MakeSink(Target("webhook", url), /*max_attempts=*/2);
  ASSERT_TRUE(sink);
  const Status s = Deliver(*sink, ReportBatch());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("no answer"), std::string::npos) << s.message();
  EXPECT_EQ(sink->stats().retries, 1u);
}

TEST(AlertSinkTest, CreateRefusesBadTargets) {
  const auto create = [](AlertTarget t) {
    AlertSinkOptions o;
    o.target = std::move(t);
    return AlertSink::Create(std::move(o)).ok();
  };
  EXPECT_FALSE(create(Target("email", "smtp://127.0.0.1:1")));  // no from, no to
  AlertTarget mail = Target("email", "smtp://127.0.0.1:1");
  mail.from = "nianbao@example.org";
  mail.to = {"office@example.org"};
  EXPECT_TRUE(create(mail));
  EXPECT_FALSE(create(Target("pager", "x")));
  EXPECT_FALSE(create(Target("webhook", "")));
  EXPECT_FALSE(create(Target("webhook", "x", "", "loud")));
  EXPECT_TRUE(create(Target("webhook", "x")));
}

// ---- source events: one row each in the table of alerting events

// A source event as ingest/messages.cc builds it: schema nianbao.source.v1, the event header.
Batch SourceBatch(const std::string& event, const std::string& ce_id = "s1") {
  return {"dongcheng@" + event,
          {{"nianbao.sources",
            "dongcheng",
            R"({"schema":"nianbao.source.v1","source":"dongcheng","event":")" + event +
                R"(","health":"unreachable","failures":{"timeout":3}})",
            {{"schema", "nianbao.source.v1"}, {"event", event}, {"ce_id", ce_id}}}}};
}

TEST(AlertOfTest, SourceEventsAlertByTheirRowAndPassTheFilters) {
  AlertTarget t = Target("webhook", "http://127.0.0.1:1/");
  Alert a;
  ASSERT_TRUE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  EXPECT_EQ(a.event, "source.unreachable");
  EXPECT_EQ(a.severity, "error");
  EXPECT_EQ(a.key, "s1");
  EXPECT_EQ(a.source, "dongcheng");
  EXPECT_EQ(AlertText(a, false), "nianbao: source dongcheng is unreachable\n- timeout: 3\n");
  ASSERT_TRUE(AlertOf(SourceBatch("source.blocked"), t, &a));
  EXPECT_EQ(a.severity, "warning");
  // Health that is no news does not alert.
  EXPECT_FALSE(AlertOf(SourceBatch("source.ok"), t, &a));
  EXPECT_FALSE(AlertOf(SourceBatch("source.stale"), t, &a));
  // Severity: blocked is a warning.
  t.min_severity = "error";
  EXPECT_TRUE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  EXPECT_FALSE(AlertOf(SourceBatch("source.blocked"), t, &a));
  t.min_severity = "warning";
  // Sources, and rules naming the event type.
  t.sources = {"xicheng"};
  EXPECT_FALSE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  t.sources = {"dongcheng"};
  EXPECT_TRUE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  t.rules = {"source.blocked"};
  EXPECT_FALSE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  EXPECT_TRUE(AlertOf(SourceBatch("source.blocked"), t, &a));
  EXPECT_FALSE(AlertOf(ReportBatch(), t, &a));  // no finding has that rule
  t.rules.clear();
  // An organisation filter: a source event names none, so it does not pass.
  t.organizations = {"东城区"};
  EXPECT_FALSE(AlertOf(SourceBatch("source.unreachable"), t, &a));
  EXPECT_TRUE(AlertOf(ReportBatch(), t, &a));
}

TEST(AlertOfTest, ReportMissingIsARowOfTheTable) {
  EXPECT_EQ(AlertSourceEvents(), (std::vector<std::string_view>{
                                     "source.unreachable", "source.blocked", "report.missing"}));
  Batch missing{
      "m",
      {{"nianbao.sources",
        "dongcheng",
        R"({"source":"dongcheng","organization":"北京市东城区人民政府","year":2024,)"
        R"("message":"no 2024 report by 2025-01-31"})",
        {{"schema", "nianbao.source.v1"}, {"event", "report.missing"}, {"ce_id", "m1"}}}}};
  AlertTarget t = Target("wecom", "http://127.0.0.1:1/");
  t.organizations = {"东城区"};
  Alert a;
  ASSERT_TRUE(AlertOf(missing, t, &a));
  EXPECT_EQ(AlertTitle(a),
            "nianbao: source dongcheng has a report missing: 北京市东城区人民政府 2024");
  EXPECT_EQ(a.details, std::vector<std::string>{"no 2024 report by 2025-01-31"});
}

TEST(AlertSinkTest, SourceEventGoesToTheWebhook) {
  Receiver rx({Answer(200)});
  auto sink = MakeSink(Target("webhook", rx.Url("/hook")));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, SourceBatch("source.unreachable", "ce-9")).ok());
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 1u);
  const auto body = nlohmann::json::parse(reqs[0].body);
  EXPECT_EQ(body["event"], "source.unreachable");
  EXPECT_EQ(body["source"], "dongcheng");
  EXPECT_EQ(body["severity"], "error");
  EXPECT_EQ(body["details"], nlohmann::json::array({"timeout: 3"}));
  EXPECT_EQ(reqs[0].headers.at("x-nianbao-delivery"), "ce-9");
}

// ---- digests and the rate limit

// Report alerts of organizations "区1", "区2", ... each with one error finding.
std::vector<Alert> Reports(int n) {
  std::vector<Alert> out;
  for (int i = 1; i <= n; ++i) {
    Alert a;
    a.event = "report.published";
    a.key = "k" + std::to_string(i);
    a.severity = "error";
    a.organization = "区" + std::to_string(i);
    a.year = 2023;
    a.url = "http://www.example.gov.cn/r" + std::to_string(i) + ".html";
    a.findings = {{"applications.balance", "error", "收支不平衡", "applications"}};
    out.push_back(a);
  }
  return out;
}

TEST(AlertDigestTest, ADigestSaysHowManyAndHasALineEach) {
  auto alerts = Reports(2);
  EXPECT_EQ(DigestTitle(alerts), "nianbao: 2 new reports with errors");
  EXPECT_EQ(
      DigestText(alerts, false),
      "nianbao: 2 new reports with errors\n"
      "- 区1 2023 new: 1 finding(s), 1 error(s); 收支不平衡 http://www.example.gov.cn/r1.html\n"
      "- 区2 2023 new: 1 finding(s), 1 error(s); 收支不平衡 http://www.example.gov.cn/r2.html\n");
  alerts[1].severity = "warning";
  alerts.push_back({});
  alerts.back().event = "source.unreachable";
  alerts.back().source = "dongcheng";
  alerts.back().severity = "error";
  EXPECT_EQ(DigestTitle(alerts),
            "nianbao: 2 new reports with findings (1 with errors), 1 source alert(s)");
}

TEST(AlertDigestTest, AsManyAsFitTheTargetsLimit) {
  const auto alerts = Reports(200);  // a line is about 90 bytes: far over 4096
  const size_t fit = AlertsThatFit("wecom", alerts);
  ASSERT_GT(fit, 1u);
  ASSERT_LT(fit, 200u);
  const std::vector<Alert> in(alerts.begin(), alerts.begin() + static_cast<long>(fit));
  const std::vector<Alert> one_more(alerts.begin(), alerts.begin() + static_cast<long>(fit) + 1);
  EXPECT_LE(DigestText(in, true).size(), 4096u);
  EXPECT_GT(DigestText(one_more, true).size(), 4096u);
  EXPECT_EQ(AlertsThatFit("webhook", alerts), 200u);  // no limit
  EXPECT_EQ(AlertRateLimit("wecom"), 20);
  EXPECT_EQ(AlertRateLimit("webhook"), 0);
}

// A report batch of organization `org` with one error finding, its ce_id `id`.
Batch OrgBatch(const std::string& org, const std::string& id) {
  Message record{"nianbao.reports",
                 id,
                 R"({"schema":"nianbao.report.v1","report_id":")" + id +
                     R"(","version":1,"source":"s","organization":")" + org +
                     R"(","year":2023,"title":"t"})",
                 {{"schema", "nianbao.report.v1"}, {"event", "report.published"}, {"ce_id", id}}};
  Message finding = Finding("applications.balance", "error", "收支不平衡", "applications");
  finding.key = id;  // the findings topic is keyed by report_id, as ingest/messages.cc does
  return {id, {record, finding}};
}

TEST(AlertSinkTest, ABurstOverTheRateLimitGoesOutAsOneDigest) {
  Receiver rx({Answer(200, R"({"errcode":0})")});
  AlertTarget t = Target("wecom", rx.Url("/w"));
  t.rate_limit = 1;  // one message per window
  AlertSinkOptions o;
  o.target = t;
  o.rate_window = 1s;
  auto created = AlertSink::Create(std::move(o));
  ASSERT_TRUE(created.ok());
  auto& sink = *created.value();
  // Given one alert sent, which uses the window's one message,
  ASSERT_TRUE(Deliver(sink, OrgBatch("区1", "a1")).ok());
  // when three more come at once,
  std::vector<std::future<Status>> done;
  for (const char* id : {"a2", "a3", "a4"}) {
    auto p = std::make_shared<std::promise<Status>>();
    done.push_back(p->get_future());
    ASSERT_TRUE(
        sink.TrySubmit(std::make_shared<const Batch>(OrgBatch(std::string("区") + (id + 1), id)),
                       [p](Status s) { p->set_value(std::move(s)); }));
  }
  for (auto& f : done) {
    ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
    EXPECT_TRUE(f.get().ok());
  }
  // then they wait for the next window and go out together.
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  EXPECT_GE(reqs[1].received - reqs[0].received, 900ms);
  EXPECT_NE(reqs[0].body.find("区1 2023 new report"), std::string::npos) << reqs[0].body;
  const auto content =
      nlohmann::json::parse(reqs[1].body)["markdown"]["content"].get<std::string>();
  EXPECT_EQ(content.rfind("### nianbao: 3 new reports with errors\n", 0), 0u) << content;
  for (const char* org : {"**区2**", "**区3**", "**区4**"}) {
    EXPECT_NE(content.find(org), std::string::npos) << content;
  }
  EXPECT_EQ(sink.stats().sent, 4u);
  EXPECT_EQ(sink.stats().messages, 2u);
  EXPECT_EQ(sink.stats().digests, 1u);
}

TEST(AlertSinkTest, ADigestToAWebhookListsEveryAlert) {
  Receiver rx({Answer(200)});
  AlertTarget t = Target("webhook", rx.Url("/hook"), "k");
  t.rate_limit = 1;
  AlertSinkOptions o;
  o.target = t;
  o.rate_window = 1s;
  auto sink = std::move(AlertSink::Create(std::move(o))).value();
  ASSERT_TRUE(Deliver(*sink, OrgBatch("区1", "a1")).ok());
  auto p = std::make_shared<std::promise<Status>>();
  auto last = p->get_future();
  ASSERT_TRUE(sink->TrySubmit(std::make_shared<const Batch>(OrgBatch("区2", "a2")), [](Status) {}));
  ASSERT_TRUE(sink->TrySubmit(std::make_shared<const Batch>(OrgBatch("区3", "a3")),
                              [p](Status s) { p->set_value(s); }));
  ASSERT_EQ(last.wait_for(10s), std::future_status::ready);
  const auto reqs = rx.requests();
  ASSERT_EQ(reqs.size(), 2u);
  const auto body = nlohmann::json::parse(reqs[1].body);
  EXPECT_EQ(body["event"], "digest");
  EXPECT_EQ(body["count"], 2);
  ASSERT_EQ(body["alerts"].size(), 2u);
  EXPECT_EQ(body["alerts"][0]["report_id"], "a2");
  EXPECT_EQ(body["alerts"][1]["report_id"], "a3");
  EXPECT_EQ(reqs[1].headers.at("x-nianbao-delivery"), "a2+1");
  EXPECT_EQ(reqs[1].headers.at("x-nianbao-signature"),
            "sha256=" + Hex(HmacSha256("k", reqs[1].body)));
}

// ---- the sent-alert ledger: not twice across a restart

std::unique_ptr<AlertSink> LedgerSink(const std::string& url, const std::string& ledger,
                                      const std::string& kind = "webhook") {
  AlertSinkOptions o;
  o.target = Target(kind, url);
  o.ledger_path = ledger;
  o.max_attempts = 2;
  o.retry_backoff_min = 10ms;
  auto sink = AlertSink::Create(std::move(o));
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(sink).value() : nullptr;
}

TEST(AlertSinkTest, AnAlertInTheLedgerIsNotSentAgainAfterARestart) {
  const ScratchDir dir("alert-test");
  const std::string ledger = dir.Path("webhook.sent");
  Receiver rx({Answer(200)});
  {
    auto sink = LedgerSink(rx.Url("/hook"), ledger);
    ASSERT_TRUE(sink);
    ASSERT_TRUE(Deliver(*sink, OrgBatch("区1", "a1")).ok());
    ASSERT_TRUE(sink->Close(1s).ok());
  }
  std::ifstream in(ledger);
  std::string line;
  ASSERT_TRUE(std::getline(in, line));
  EXPECT_EQ(line, "a1");
  // A crash left a torn line: ignored (its alert was not acknowledged).
  std::ofstream(ledger, std::ios::app) << "a9";
  auto sink = LedgerSink(rx.Url("/hook"), ledger);
  ASSERT_TRUE(sink);
  // The report was not marked delivered before the "crash": it is handed on again.
  EXPECT_TRUE(Deliver(*sink, OrgBatch("区1", "a1")).ok());
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(sink->stats().suppressed, 1u);
  EXPECT_TRUE(Deliver(*sink, OrgBatch("区9", "a9")).ok());  // the torn one is sent
  EXPECT_EQ(rx.requests().size(), 2u);
}

TEST(AlertSinkTest, AFailedAlertIsNotInTheLedgerAndIsSentAfterARestart) {
  const ScratchDir dir("alert-test");
  const std::string ledger = dir.Path("webhook.sent");
  Receiver down({Answer(503)});
  {
    auto sink = LedgerSink(down.Url("/hook"), ledger);
    ASSERT_TRUE(sink);
    EXPECT_FALSE(Deliver(*sink, OrgBatch("区1", "a1")).ok());  // not lost: failed, sent later
  }
  Receiver up({Answer(200)});
  auto sink = LedgerSink(up.Url("/hook"), ledger);
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, OrgBatch("区1", "a1")).ok());
  EXPECT_EQ(up.requests().size(), 1u);
  EXPECT_EQ(sink->stats().suppressed, 0u);
}

// ---- e-mail over SMTP, against a loopback SMTP server

// Answers one SMTP session at a time from a fixed script: 220, EHLO (STARTTLS not offered),
// MAIL, RCPT (`rcpt_reply`), DATA until the lone dot, QUIT. Records the commands and the data.
class SmtpServer {
 public:
  explicit SmtpServer(std::string rcpt_reply = "250 ok") : rcpt_reply_(std::move(rcpt_reply)) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof addr;
    if (fd_ < 0 || ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
        ::listen(fd_, 4) != 0 ||
        ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
      ADD_FAILURE() << "smtp server: socket";
      return;
    }
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~SmtpServer() {
    stop_ = true;
    ::shutdown(fd_, SHUT_RDWR);
    ::close(fd_);
    if (thread_.joinable()) thread_.join();
  }
  std::string Url() const { return "smtp://127.0.0.1:" + std::to_string(port_); }
  std::vector<std::string> commands() const {
    std::lock_guard<std::mutex> lock(mu_);
    return commands_;
  }
  std::string data() const {
    std::lock_guard<std::mutex> lock(mu_);
    return data_;
  }

 private:
  void Serve() {
    while (!stop_) {
      const int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      Session(c);
      ::close(c);
    }
  }
  static void Say(int c, const std::string& line) {
    const std::string out = line + "\r\n";
    (void)!::write(c, out.data(), out.size());
  }
  void Session(int c) {
    Say(c, "220 localhost ESMTP test");
    std::string buffer;
    bool in_data = false;
    char chunk[4096];
    while (true) {
      const ssize_t n = ::read(c, chunk, sizeof chunk);
      if (n <= 0) return;
      buffer.append(chunk, static_cast<size_t>(n));
      while (true) {
        if (in_data) {
          const size_t end = buffer.find("\r\n.\r\n");
          if (end == std::string::npos) break;
          {
            std::lock_guard<std::mutex> lock(mu_);
            data_ = buffer.substr(0, end + 2);
          }
          buffer.erase(0, end + 5);
          in_data = false;
          Say(c, "250 queued");
          continue;
        }
        const size_t eol = buffer.find("\r\n");
        if (eol == std::string::npos) break;
        const std::string line = buffer.substr(0, eol);
        buffer.erase(0, eol + 2);
        {
          std::lock_guard<std::mutex> lock(mu_);
          commands_.push_back(line);
        }
        const std::string verb = line.substr(0, 4);
        if (verb == "EHLO") {
          Say(c, "250 localhost");
        } else if (verb == "RCPT") {
          Say(c, rcpt_reply_);
        } else if (verb == "DATA") {
          Say(c, "354 go on");
          in_data = true;
        } else if (verb == "QUIT") {
          Say(c, "221 bye");
          return;
        } else if (verb == "STAR") {
          Say(c, "502 not here");
        } else {
          Say(c, "250 ok");
        }
      }
    }
  }

  const std::string rcpt_reply_;
  int fd_ = -1;
  uint16_t port_ = 0;
  std::atomic<bool> stop_{false};
  mutable std::mutex mu_;
  std::vector<std::string> commands_;  // GUARDED_BY(mu_)
  std::string data_;                   // GUARDED_BY(mu_)
  std::thread thread_;
};

AlertTarget Mail(const std::string& url, bool starttls) {
  AlertTarget t = Target("email", url);
  t.from = "nianbao@example.org";
  t.to = {"office@example.org", "desk@example.org"};
  t.starttls = starttls;
  return t;
}

// The base64 body of a message, decoded (lines of 76 joined).
std::string DecodedBody(const std::string& message) {
  const size_t start = message.find("\r\n\r\n");
  if (start == std::string::npos) return "";
  std::string b64;
  for (char c : message.substr(start + 4)) {
    if (c != '\r' && c != '\n') b64 += c;
  }
  static const std::string kAlphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  uint32_t bits = 0;
  int n = 0;
  for (char c : b64) {
    if (c == '=') break;
    bits = (bits << 6) | static_cast<uint32_t>(kAlphabet.find(c));
    n += 6;
    if (n >= 8) {
      n -= 8;
      out += static_cast<char>((bits >> n) & 0xFF);
    }
  }
  return out;
}

TEST(AlertSinkTest, EmailGoesOverSmtpAsUtf8Text) {
  SmtpServer smtp;
  auto sink = MakeSink(Mail(smtp.Url(), /*starttls=*/false));
  ASSERT_TRUE(sink);
  ASSERT_TRUE(Deliver(*sink, ReportBatch()).ok());
  const auto cmds = smtp.commands();
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "MAIL FROM:<nianbao@example.org>"), cmds.end());
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "RCPT TO:<office@example.org>"), cmds.end());
  EXPECT_NE(std::find(cmds.begin(), cmds.end(), "RCPT TO:<desk@example.org>"), cmds.end());
  const std::string data = smtp.data();
  EXPECT_NE(data.find("From: nianbao@example.org\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("To: office@example.org, desk@example.org\r\n"), std::string::npos);
  EXPECT_NE(data.find("Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"), std::string::npos) << data;
  EXPECT_NE(data.find("Content-Type: text/plain; charset=utf-8\r\n"), std::string::npos);
  // The subject: the title in RFC 2047 words of at most 45 bytes; the first: "nianbao: " (9),
  // ten CJK characters of 3 bytes (30) and " 2023 " (6).
  EXPECT_NE(data.find("Subject: =?UTF-8?B?" + Base64("nianbao: 北京市东城区人民政府 2023 ") + "?="),
            std::string::npos)
      << data;
  EXPECT_EQ(DecodedBody(data), kPlain);
  EXPECT_EQ(sink->stats().sent, 1u);
}

TEST(AlertSinkTest, EmailRequiringStarttlsIsRefusedByAServerWithoutIt) {
  SmtpServer smtp;
  auto sink = MakeSink(Mail(smtp.Url(), /*starttls=*/true));
  ASSERT_TRUE(sink);
  EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());  // given up for good
  EXPECT_EQ(sink->stats().refused, 1u);
  EXPECT_TRUE(smtp.data().empty());  // nothing sent in the clear
}

TEST(AlertSinkTest, EmailRecipientRefusedIsGivenUpAndTransientIsRetried) {
  {
    SmtpServer smtp("550 no such mailbox");
    auto sink = MakeSink(Mail(smtp.Url(), false));
    ASSERT_TRUE(sink);
    EXPECT_TRUE(Deliver(*sink, ReportBatch()).ok());
    EXPECT_EQ(sink->stats().refused, 1u);
  }
  SmtpServer busy("451 try later");
  auto sink = MakeSink(Mail(busy.Url(), false), /*max_attempts=*/2);
  ASSERT_TRUE(sink);
  EXPECT_FALSE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(sink->stats().retries, 1u);
  EXPECT_EQ(sink->stats().failed, 1u);
}

}  // namespace
}  // namespace nianbao::sinks
