// KafkaSink against librdkafka's mock cluster (EmbeddedKafka), read back by real Kafka clients.
#include "sinks/kafka_sink.h"

#include <gtest/gtest.h>
#include <librdkafka/rdkafka.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "sinks/embedded_kafka.h"
#include "tests/sinks/kafka_test_util.h"

namespace nianbao::sinks {
namespace {

using namespace std::chrono_literals;
using testing::ConsumeCommitted;
using testing::DoneLog;
using testing::KcatConsume;
using testing::kFindings;
using testing::kReports;
using testing::MakeBatch;
using testing::Record;
using testing::RecordsOf;

const std::map<std::string, int> kTopics = {{kReports, 2}, {kFindings, 3}};

std::unique_ptr<EmbeddedKafka> StartKafka(int brokers) {
  EmbeddedKafka::Options o;
  o.brokers = brokers;
  for (const auto& [name, partitions] : kTopics) o.topics.push_back({name, partitions});
  auto kafka = EmbeddedKafka::Start(o);
  EXPECT_TRUE(kafka.ok()) << kafka.status().ToString();
  return kafka.ok() ? std::move(kafka).value() : nullptr;
}

// Short timeouts so that a down broker is noticed and retried quickly in tests.
KafkaSink::Options TestOptions(const EmbeddedKafka& kafka) {
  KafkaSink::Options o;
  o.brokers = kafka.bootstraps();
  o.call_timeout = 200ms;
  o.retry_backoff_min = 20ms;
  o.retry_backoff_max = 200ms;
  o.properties = {{"reconnect.backoff.ms", "20"},
                  {"reconnect.backoff.max.ms", "200"},
                  {"retry.backoff.ms", "20"}};
  return o;
}

std::unique_ptr<KafkaSink> MakeSink(KafkaSink::Options o) {
  auto sink = KafkaSink::Create(std::move(o));
  EXPECT_TRUE(sink.ok()) << sink.status().ToString();
  return sink.ok() ? std::move(sink).value() : nullptr;
}

// Submits batches first..last-1, retrying while the queue is full; returns them as sent.
std::vector<Batch> SubmitAll(KafkaSink& sink, DoneLog& log, int first, int last) {
  std::vector<Batch> sent;
  for (int i = first; i < last; ++i) {
    Batch b = MakeBatch(i);
    sent.push_back(b);
    const std::string id = b.id;
    while (!sink.TrySubmit(b, log.For(id))) std::this_thread::sleep_for(5ms);
  }
  return sent;
}

void ExpectAllOkOnce(const DoneLog& log, const std::vector<Batch>& sent) {
  std::map<std::string, int> seen;
  for (const auto& [id, status] : log.calls()) {
    EXPECT_TRUE(status.ok()) << id << ": " << status.ToString();
    ++seen[id];
  }
  for (const Batch& b : sent) EXPECT_EQ(seen[b.id], 1) << b.id;
  EXPECT_EQ(log.calls().size(), sent.size());
}

void ExpectConsumed(const EmbeddedKafka& kafka, const std::vector<Batch>& sent) {
  std::string error;
  const std::vector<Record> got = ConsumeCommitted(kafka.bootstraps(), kTopics, 20s, &error);
  EXPECT_EQ(error, "");
  // Sorted multisets: equal means every message arrived, on its topic, exactly once.
  EXPECT_EQ(got, RecordsOf(sent));
}

TEST(KafkaSinkTest, PublishesBatchesReadBackExactlyOnceByConsumerAndKcat) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  KafkaSink::Options o = TestOptions(*kafka);
  o.max_batches_per_transaction = 4;
  auto sink = MakeSink(o);
  ASSERT_TRUE(sink);
  EXPECT_EQ(sink->compression(), "zstd");  // Debian's librdkafka has it

  DoneLog log;
  const std::vector<Batch> sent = SubmitAll(*sink, log, 0, 10);
  ASSERT_TRUE(log.WaitForCalls(sent.size(), 20s));
  EXPECT_TRUE(sink->Close(5s).ok());
  ExpectAllOkOnce(log, sent);
  EXPECT_EQ(sink->pending(), 0u);

  const KafkaSink::Stats st = sink->stats();
  EXPECT_EQ(st.batches_committed, 10u);
  EXPECT_EQ(st.messages_produced, 40u);
  EXPECT_GE(st.transactions_committed, 3u);  // at most 4 batches per transaction
  EXPECT_LE(st.transactions_committed, 10u);
  EXPECT_EQ(st.transactions_aborted, 0u);
  EXPECT_EQ(st.delivery_errors, 0u);
  EXPECT_EQ(st.batches_failed, 0u);

  ExpectConsumed(*kafka, sent);

  // A second, independent client: kcat.
  if (std::system("command -v kcat >/dev/null 2>&1") != 0) GTEST_SKIP() << "kcat not installed";
  std::vector<Record> via_kcat;
  for (const auto& [topic, partitions] : kTopics) {
    std::string error;
    ASSERT_TRUE(KcatConsume(kafka->bootstraps(), topic, &via_kcat, &error)) << error;
  }
  std::sort(via_kcat.begin(), via_kcat.end());
  EXPECT_EQ(via_kcat, RecordsOf(sent));
}

TEST(KafkaSinkTest, IdempotentModeWithoutTransactionsDeliversEverything) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  KafkaSink::Options o = TestOptions(*kafka);
  o.transactional_id = "";
  auto sink = MakeSink(o);
  ASSERT_TRUE(sink);
  DoneLog log;
  const std::vector<Batch> sent = SubmitAll(*sink, log, 0, 6);
  ASSERT_TRUE(log.WaitForCalls(sent.size(), 20s));
  EXPECT_TRUE(sink->Close(5s).ok());
  ExpectAllOkOnce(log, sent);
  EXPECT_EQ(sink->stats().transactions_committed, 0u);
  ExpectConsumed(*kafka, sent);
}

TEST(KafkaSinkTest, CreateDoesNotWaitForADownBrokerAndNothingIsLostUntilItIsBack) {
  auto kafka = StartKafka(3);
  ASSERT_TRUE(kafka);
  ASSERT_TRUE(kafka->SetBrokerDown(-1).ok());

  // Given every broker down, Create() returns at once (init_transactions waits on the thread).
  const auto t0 = std::chrono::steady_clock::now();
  auto sink = MakeSink(TestOptions(*kafka));
  ASSERT_TRUE(sink);
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);

  // When batches are submitted, they stay pending: not reported, neither OK nor failed.
  DoneLog log;
  std::vector<Batch> sent = SubmitAll(*sink, log, 0, 3);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(log.count(), 0u);
  EXPECT_EQ(sink->pending(), 3u);
  EXPECT_GT(sink->stats().retries, 0u);
  // The oldest of them has waited the 1.5 s slept (what /readyz compares with its threshold).
  EXPECT_GE(sink->stats().oldest_pending_age, 1500ms);

  // Then the brokers come back and everything is committed.
  ASSERT_TRUE(kafka->SetBrokerUp(-1).ok());
  ASSERT_TRUE(log.WaitForCalls(3, 30s)) << "delivered " << log.count();
  EXPECT_EQ(sink->stats().oldest_pending_age, 0ms);

  // Again, with transactions initialised: down during produce/commit.
  ASSERT_TRUE(kafka->SetBrokerDown(-1).ok());
  std::vector<Batch> more = SubmitAll(*sink, log, 3, 6);
  std::this_thread::sleep_for(1500ms);
  EXPECT_EQ(log.count(), 3u);
  EXPECT_EQ(sink->pending(), 3u);
  ASSERT_TRUE(kafka->SetBrokerUp(-1).ok());
  ASSERT_TRUE(log.WaitForCalls(6, 30s)) << "delivered " << log.count();

  EXPECT_TRUE(sink->Close(5s).ok());
  sent.insert(sent.end(), more.begin(), more.end());
  ExpectAllOkOnce(log, sent);
  // Consumed exactly once is checked only when nothing was aborted: librdkafka 2.0.2's mock
  // shows aborted messages to read_committed consumers too.
  if (sink->stats().transactions_aborted == 0) {
    ExpectConsumed(*kafka, sent);
  } else {
    std::string error;
    const std::vector<Record> got = ConsumeCommitted(kafka->bootstraps(), kTopics, 20s, &error);
    for (const Record& r : RecordsOf(sent)) {
      EXPECT_NE(std::find(got.begin(), got.end(), r), got.end()) << r;
    }
  }
}

// An abortable error makes the sink abort, back off and commit the same batch in a new
// transaction. Checked on the producer side: librdkafka 2.0.2's mock does not hide aborted
// messages from read_committed consumers.
struct AbortCase {
  const char* name;
  EmbeddedKafka::Api api;
  rd_kafka_resp_err_t error;
};

void PrintTo(const AbortCase& c, std::ostream* os) { *os << c.name; }

class KafkaSinkAbortTest : public ::testing::TestWithParam<AbortCase> {};

TEST_P(KafkaSinkAbortTest, AbortsRetriesAndCommitsEachBatchOnce) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  KafkaSink::Options o = TestOptions(*kafka);
  o.max_batches_per_transaction = 1;
  auto sink = MakeSink(o);
  ASSERT_TRUE(sink);
  DoneLog log;
  std::vector<Batch> sent = SubmitAll(*sink, log, 0, 1);  // initialises transactions
  ASSERT_TRUE(log.WaitForCalls(1, 20s));

  kafka->PushRequestErrors(GetParam().api, {GetParam().error});
  std::vector<Batch> more = SubmitAll(*sink, log, 1, 3);
  ASSERT_TRUE(log.WaitForCalls(3, 20s));
  EXPECT_TRUE(sink->Close(5s).ok());
  sent.insert(sent.end(), more.begin(), more.end());
  ExpectAllOkOnce(log, sent);

  const KafkaSink::Stats st = sink->stats();
  EXPECT_EQ(st.batches_committed, 3u);
  EXPECT_GE(st.transactions_aborted, 1u);
  EXPECT_GE(st.retries, 1u);
  EXPECT_EQ(st.producer_restarts, 0u);
  EXPECT_GT(st.messages_produced, 12u);  // the aborted batch was produced twice
}

INSTANTIATE_TEST_SUITE_P(
    Abortable, KafkaSinkAbortTest,
    ::testing::Values(AbortCase{"EndTxnUnknownProducerId", EmbeddedKafka::Api::kEndTxn,
                                RD_KAFKA_RESP_ERR_UNKNOWN_PRODUCER_ID},
                      AbortCase{"AddPartitionsTopicAuthorization",
                                EmbeddedKafka::Api::kAddPartitionsToTxn,
                                RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED}),
    [](const ::testing::TestParamInfo<AbortCase>& p) { return std::string(p.param.name); });

TEST(KafkaSinkTest, FatalErrorRecreatesTheProducerAndCommits) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  auto sink = MakeSink(TestOptions(*kafka));
  ASSERT_TRUE(sink);
  DoneLog log;
  std::vector<Batch> sent = SubmitAll(*sink, log, 0, 1);
  ASSERT_TRUE(log.WaitForCalls(1, 20s));

  kafka->PushRequestErrors(EmbeddedKafka::Api::kEndTxn, {RD_KAFKA_RESP_ERR_PRODUCER_FENCED});
  std::vector<Batch> more = SubmitAll(*sink, log, 1, 2);
  ASSERT_TRUE(log.WaitForCalls(2, 20s));
  EXPECT_TRUE(sink->Close(5s).ok());
  sent.insert(sent.end(), more.begin(), more.end());
  ExpectAllOkOnce(log, sent);
  EXPECT_GE(sink->stats().producer_restarts, 1u);
}

TEST(KafkaSinkTest, FullQueueRefusesAndLeavesTheBatchIntact) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  ASSERT_TRUE(kafka->SetBrokerDown(-1).ok());  // nothing drains
  KafkaSink::Options o = TestOptions(*kafka);
  o.queue_capacity = 3;
  o.max_batches_per_transaction = 1;
  auto sink = MakeSink(o);
  ASSERT_TRUE(sink);

  DoneLog log;
  size_t accepted = 0;
  Batch refused;
  for (int i = 0; i < 10; ++i) {
    Batch b = MakeBatch(i);
    const std::string id = b.id;
    if (!sink->TrySubmit(b, log.For(id))) {
      refused = std::move(b);
      break;
    }
    EXPECT_TRUE(b.messages.empty());  // moved from
    ++accepted;
  }
  // The queue holds 3; the sink thread may hold 1 more in its (unfinishable) transaction.
  EXPECT_GE(accepted, 3u);
  EXPECT_LE(accepted, 4u);
  EXPECT_EQ(sink->pending(), accepted);
  const Batch expected = MakeBatch(static_cast<int>(accepted));
  EXPECT_EQ(refused.id, expected.id);
  EXPECT_EQ(RecordsOf({refused}), RecordsOf({expected}));

  EXPECT_FALSE(sink->Close(200ms).ok());
  EXPECT_FALSE(sink->TrySubmit(refused, log.For(refused.id)));  // closed: refused, untouched
  EXPECT_EQ(refused.messages.size(), 4u);
  ASSERT_EQ(log.count(), accepted);
  for (const auto& [id, status] : log.calls()) {
    EXPECT_EQ(status.code(), Status::Code::kUnavailable) << id;
  }
}

TEST(KafkaSinkTest, CloseWithADownBrokerReportsEveryPendingBatchUnavailableInTime) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  auto sink = MakeSink(TestOptions(*kafka));
  ASSERT_TRUE(sink);
  DoneLog log;
  SubmitAll(*sink, log, 0, 1);
  ASSERT_TRUE(log.WaitForCalls(1, 20s));  // transactions initialised, one batch committed

  ASSERT_TRUE(kafka->SetBrokerDown(-1).ok());
  SubmitAll(*sink, log, 1, 6);
  std::this_thread::sleep_for(300ms);  // let the sink start a transaction it cannot commit

  const auto t0 = std::chrono::steady_clock::now();
  const Status s = sink->Close(1000ms);
  const auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(s.code(), Status::Code::kUnavailable) << s.ToString();
  EXPECT_NE(s.message().find("5 batch"), std::string::npos) << s.message();
  // Deadline, plus at most one call_timeout (200 ms) for the abort, plus a margin.
  EXPECT_LT(took, 1000ms + 200ms + 800ms)
      << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms";
  EXPECT_GE(took, 900ms);  // it did keep trying until the deadline

  const auto calls = log.calls();
  ASSERT_EQ(calls.size(), 6u);
  EXPECT_TRUE(calls[0].second.ok());
  for (size_t i = 1; i < calls.size(); ++i) {
    EXPECT_EQ(calls[i].second.code(), Status::Code::kUnavailable) << calls[i].first;
    EXPECT_EQ(calls[i].first, MakeBatch(static_cast<int>(i)).id);  // in submission order
  }
  EXPECT_EQ(sink->pending(), 0u);
  EXPECT_EQ(sink->stats().batches_failed, 5u);
  EXPECT_EQ(sink->Close(1s).code(), Status::Code::kUnavailable);  // same answer again
}

TEST(KafkaSinkTest, BadExtraPropertyFailsCreateNamingIt) {
  KafkaSink::Options o;
  o.brokers = "127.0.0.1:9";
  o.properties = {{"no.such.property", "1"}};
  auto r = KafkaSink::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), Status::Code::kInvalidArgument);
  EXPECT_NE(r.status().message().find("no.such.property"), std::string::npos)
      << r.status().message();

  o.properties = {{"acks", "maybe"}};
  r = KafkaSink::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("'acks'"), std::string::npos) << r.status().message();

  // Valid one by one, inconsistent together: rejected by rd_kafka_new(), also named.
  o.properties = {{"enable.idempotence", "false"}};
  r = KafkaSink::Create(o);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("enable.idempotence"), std::string::npos)
      << r.status().message();

  o.properties.clear();
  o.brokers.clear();
  EXPECT_FALSE(KafkaSink::Create(o).ok());
}

TEST(KafkaSinkTest, RefusedMessageFailsOnlyItsBatch) {
  auto kafka = StartKafka(1);
  ASSERT_TRUE(kafka);
  KafkaSink::Options o = TestOptions(*kafka);
  o.properties["message.max.bytes"] = "10000";
  auto sink = MakeSink(o);
  ASSERT_TRUE(sink);
  DoneLog log;
  Batch big = MakeBatch(1);
  big.messages[2].value = "\"" + std::string(20000, 'x') + "\"";
  Batch small0 = MakeBatch(0);
  Batch small2 = MakeBatch(2);
  const std::vector<Batch> ok_batches = {small0, small2};
  ASSERT_TRUE(sink->TrySubmit(small0, log.For("r-0@deadbeef")));
  ASSERT_TRUE(sink->TrySubmit(big, log.For("r-1@deadbeef")));
  ASSERT_TRUE(sink->TrySubmit(small2, log.For("r-2@deadbeef")));
  ASSERT_TRUE(log.WaitForCalls(3, 20s));
  EXPECT_TRUE(sink->Close(5s).ok());
  for (const auto& [id, status] : log.calls()) {
    if (id == "r-1@deadbeef") {
      EXPECT_EQ(status.code(), Status::Code::kTooLarge) << status.ToString();
      EXPECT_NE(status.message().find("r-1@deadbeef"), std::string::npos);
    } else {
      EXPECT_TRUE(status.ok()) << id << ": " << status.ToString();
    }
  }
  EXPECT_EQ(sink->stats().batches_failed, 1u);
  // The refused batch's other messages may have been produced in an aborted transaction
  // (visible here: mock), so only the good batches are checked, at least once.
  std::string error;
  const std::vector<Record> got = ConsumeCommitted(kafka->bootstraps(), kTopics, 20s, &error);
  for (const Record& r : RecordsOf(ok_batches)) {
    EXPECT_NE(std::find(got.begin(), got.end(), r), got.end()) << r;
  }
}

TEST(EmbeddedKafkaTest, RejectsBadArgumentsAndCreatesTopics) {
  EXPECT_FALSE(EmbeddedKafka::Start({.brokers = 0, .topics = {}}).ok());
  auto kafka = EmbeddedKafka::Start({.brokers = 3, .topics = {{"a", 4}}});
  ASSERT_TRUE(kafka.ok());
  EXPECT_EQ(kafka.value()->broker_count(), 3);
  EXPECT_NE(kafka.value()->bootstraps().find("127.0.0.1:"), std::string::npos);
  EXPECT_TRUE(kafka.value()->CreateTopic("b", 2).ok());
  EXPECT_FALSE(kafka.value()->SetBrokerDown(42).ok());
  EXPECT_TRUE(kafka.value()->SetBrokerDown(2).ok());
  EXPECT_TRUE(kafka.value()->SetBrokerUp(2).ok());
}

}  // namespace
}  // namespace nianbao::sinks
