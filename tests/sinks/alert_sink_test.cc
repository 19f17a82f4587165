// sinks/alert_sink and alert_format: what each kind of target receives (exact body, signature),
// which batches alert, and how answers end an alert: 500 and 429 retried (Retry-After
// honoured), a robot's error code or another 4xx given up at once, retries bounded. Against a
// loopback receiver (tests/crawler/test_http_server.h).
#include "sinks/alert_sink.h"

#include <gtest/gtest.h>

#include <future>
#include <mutex>
#include <string>
#include <vector>

#include "../crawler/test_http_server.h"
#include "sinks/alert_format.h"

namespace nianbao::sinks {
namespace {

using namespace std::chrono_literals;
using testing::HttpRequest;
using testing::HttpResponse;
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

TEST(AlertSinkTest, RobotErrorCodeInA200IsGivenUpAtOnce) {
  Receiver rx({Answer(200, R"({"errcode":93000,"errmsg":"invalid webhook url"})")});
  auto sink = MakeSink(Target("wecom", rx.Url("/w")));
  ASSERT_TRUE(sink);
  const Status s = Deliver(*sink, ReportBatch());
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("93000"), std::string::npos) << s.message();
  EXPECT_EQ(rx.requests().size(), 1u);
  EXPECT_EQ(sink->stats().failed, 1u);
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
  EXPECT_FALSE(Deliver(*sink, ReportBatch()).ok());
  EXPECT_EQ(rx.requests().size(), 1u);
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
  EXPECT_FALSE(create(Target("email", "x")));
  EXPECT_FALSE(create(Target("webhook", "")));
  EXPECT_FALSE(create(Target("webhook", "x", "", "loud")));
  EXPECT_TRUE(create(Target("webhook", "x")));
}

}  // namespace
}  // namespace nianbao::sinks
