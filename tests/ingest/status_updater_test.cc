// The status updater with a recording sink (a test double of our own Sink interface): every
// page's journey ends exactly once, in the status that is true of it; what is published for a
// new, a revised, an already delivered and a non-report page; the messages' keys and headers
// as spec record-v1 says; backpressure from a full sink without a sleeping thread; and the
// defects found on the old path (a URL stuck after an empty body).
#include "ingest/status_updater.h"

#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/thread_pool.hpp>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include "parser/record_json.h"
#include "tests/ingest/memory_ledger.h"
#include "tests/ingest/test_pages.h"

namespace nianbao::ingest {
namespace {

using namespace std::chrono_literals;

// Accepts (or refuses, when full) and reports each batch from a thread of its own, as the
// real sinks do; `hold` keeps the reports back until Flush().
class RecordingSink : public sinks::Sink {
 public:
  ~RecordingSink() override { Flush(); }
  std::string_view name() const override { return "recording"; }
  using Sink::TrySubmit;
  bool TrySubmit(std::shared_ptr<const sinks::Batch> batch, Done done) override {
    std::lock_guard<std::mutex> lock(mu);
    if (full) return false;
    batches.push_back(batch);
    if (hold) {
      held.push_back(std::move(done));
      return true;
    }
    Status s = fail ? Status::Unavailable("broker down") : Status::Ok();
    threads.emplace_back([done = std::move(done), s] { done(s); });
    return true;
  }
  void Flush() {
    std::vector<Done> h;
    std::vector<std::thread> t;
    {
      std::lock_guard<std::mutex> lock(mu);
      h.swap(held);
      t.swap(threads);
    }
    for (auto& d : h) d(fail ? Status::Unavailable("broker down") : Status::Ok());
    for (auto& th : t) th.join();
  }
  size_t pending() const override { return 0; }
  Status Close(std::chrono::milliseconds) override { return Status::Ok(); }

  std::mutex mu;
  std::vector<std::shared_ptr<const sinks::Batch>> batches;
  std::vector<Done> held;
  std::vector<std::thread> threads;
  bool full = false;
  bool hold = false;
  bool fail = false;
};

using nianbao::testing::SeedText;
using nianbao::testing::TextPage;

std::string HeaderOf(const sinks::Message& m, const std::string& key) {
  for (const auto& h : m.headers) {
    if (h.key == key) return h.value;
  }
  return "<absent>";
}

class StatusUpdaterTest : public ::testing::Test {
 protected:
  FetchedPage Page(const std::string& seed, const std::string& url) {
    return TextPage("test-source", url, SeedText(seed));
  }

  // Plans, starts and hands on each page as the crawler would, then runs the loop until
  // every journey ended (or 10 s).
  void Run(std::vector<FetchedPage> pages) {
    for (auto& p : pages) {
      JourneyId id = updater_.Planned(p.source, p.url);
      ASSERT_TRUE(updater_.TryStart(id));
      updater_.Fetched(id, std::move(p));
    }
    RunUntilIdle();
  }

  void RunUntilIdle() {
    auto deadline = std::chrono::steady_clock::now() + 10s;
    while (updater_.open() > 0 && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      sink_.Flush();
    }
    io_.run_for(5ms);
    EXPECT_EQ(updater_.open(), 0u) << "a journey never ended";
  }

  // An updater of its own with `o`, counting its on-room calls in *room_calls, and `n` journeys
  // planned for source "s" at http://x.gov.cn/<stem><i>.html in *ids.
  std::unique_ptr<StatusUpdater> Bounded(const StatusUpdaterOptions& o, int* room_calls,
                                         const std::string& stem, int n,
                                         std::vector<JourneyId>* ids) {
    auto u =
        std::make_unique<StatusUpdater>(io_, cpu_, std::vector<sinks::Sink*>{&sink_}, ledger_, o);
    u->SetOnRoom([room_calls] { ++*room_calls; });
    for (int i = 0; i < n; ++i)
      ids->push_back(u->Planned("s", "http://x.gov.cn/" + stem + std::to_string(i) + ".html"));
    return u;
  }

  // Runs the loop, flushing the sink, until `n` reports were delivered (or 0.5 s).
  void DeliverUntil(size_t n) {
    for (int i = 0; i < 100 && delivered_.size() < n; ++i) {
      io_.run_for(5ms);
      sink_.Flush();
    }
  }

  int64_t Ended(PageStatus s) const {
    auto it = updater_.stats().ended.find(s);
    return it == updater_.stats().ended.end() ? 0 : it->second;
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_ =
      boost::asio::make_work_guard(io_);
  boost::asio::thread_pool cpu_{2};
  RecordingSink sink_;
  nianbao::testing::MemoryLedger ledger_;
  std::vector<std::pair<std::string, std::string>>& delivered_ = ledger_.marked;
  std::vector<std::pair<std::string, std::string>> ends_;  // url, status + reason
  StatusUpdater updater_{
      io_,
      cpu_,
      {&sink_},
      ledger_,
      StatusUpdaterOptions{},
      [this](const std::string&, const std::string& url, PageStatus s, const std::string& reason) {
        ends_.emplace_back(url, std::string(PageStatusName(s)) + " " + reason);
      }};
};

TEST_F(StatusUpdaterTest, PublishesTheRecordAndItsFindingsAsOneBatchWithSpecHeaders) {
  const std::string url = "https://www.example.gov.cn/zfxxgknb/t20210119_1.html";
  Run({Page("000_d4e73e73a1b7a1d3.txt", url)});
  EXPECT_EQ(Ended(PageStatus::kDelivered), 1);
  ASSERT_EQ(sink_.batches.size(), 1u);
  const auto& b = *sink_.batches[0];
  // Seed 000 has three findings (see seed_golden_test): record + 3 messages.
  ASSERT_EQ(b.messages.size(), 4u);
  const auto& record = b.messages[0];
  std::string report_id = parser::ReportIdForUrl(url);
  EXPECT_EQ(record.topic, "nianbao.reports");
  EXPECT_EQ(record.key, report_id);
  EXPECT_EQ(HeaderOf(record, "schema"), "nianbao.report.v1");
  EXPECT_EQ(HeaderOf(record, "event"), "report.published");
  EXPECT_EQ(HeaderOf(record, "content-type"), "application/json");
  EXPECT_EQ(HeaderOf(record, "ce_specversion"), "1.0");
  EXPECT_EQ(HeaderOf(record, "ce_type"), "cn.gov.nianbao.report.published");
  EXPECT_EQ(HeaderOf(record, "ce_source"), "nianbao/test-source");
  EXPECT_EQ(HeaderOf(record, "ce_time").size(), 24u);  // 2021-01-19T02:00:00.000Z
  auto value = nlohmann::json::parse(record.value);
  EXPECT_EQ(value["report_id"], report_id);
  EXPECT_EQ(value["source"]["url"], url);
  EXPECT_EQ(value["organization"], "洛市镇人民政府");
  std::set<std::string> ce_ids = {HeaderOf(record, "ce_id")};
  for (size_t i = 1; i < b.messages.size(); ++i) {
    const auto& f = b.messages[i];
    EXPECT_EQ(f.topic, "nianbao.findings");
    EXPECT_EQ(f.key, report_id);
    EXPECT_EQ(HeaderOf(f, "schema"), "nianbao.finding.v1");
    EXPECT_EQ(HeaderOf(f, "ce_type"), "cn.gov.nianbao.finding");
    EXPECT_EQ(nlohmann::json::parse(f.value)["report_id"], report_id);
    ce_ids.insert(HeaderOf(f, "ce_id"));
  }
  EXPECT_EQ(ce_ids.size(), 4u) << "ce_id must be unique per event";
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].first, url);
  EXPECT_EQ(updater_.stats().published, 1);
}

// The observers the daemon's metrics and status page hang on: every parse, and each version
// that reached every sink (not one that failed).
TEST_F(StatusUpdaterTest, ObserversSeeEachParseAndEachDeliveredBatch) {
  int parses = 0;
  std::vector<std::pair<std::string, size_t>> delivered;  // source, messages
  StatusUpdaterOptions o;
  o.on_parsed = [&](std::chrono::duration<double> t) {
    EXPECT_GE(t.count(), 0);
    ++parses;
  };
  o.on_delivered = [&](const std::string& source, const sinks::Batch& batch,
                       std::chrono::duration<double> since_fetch) {
    EXPECT_GE(since_fetch.count(), 0);
    delivered.emplace_back(source, batch.messages.size());
  };
  StatusUpdater updater(io_, cpu_, {&sink_}, ledger_, o);
  const auto run = [&](FetchedPage p) {
    JourneyId id = updater.Planned(p.source, p.url);
    ASSERT_TRUE(updater.TryStart(id));
    updater.Fetched(id, std::move(p));
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (updater.open() > 0 && std::chrono::steady_clock::now() < deadline) {
      io_.run_for(5ms);
      sink_.Flush();
    }
    ASSERT_EQ(updater.open(), 0u);
  };
  // Seed 000: the record and its three findings.
  run(Page("000_d4e73e73a1b7a1d3.txt", "http://x.gov.cn/t0.html"));
  EXPECT_EQ(parses, 1);
  ASSERT_EQ(delivered.size(), 1u);
  EXPECT_EQ(delivered[0], (std::pair<std::string, size_t>("test-source", 4)));
  // A failed delivery is parsed, not delivered.
  sink_.fail = true;
  run(Page("004_192eb0e593407763.txt", "http://x.gov.cn/t4.html"));
  EXPECT_EQ(parses, 2);
  EXPECT_EQ(delivered.size(), 1u);
}

TEST_F(StatusUpdaterTest, ARevisionIsPublishedAsRevisedWithTheSameKey) {
  // Version 1 went out, with other content.
  ledger_.rows["http://x.gov.cn/t1.html"].delivered = {"earlier", "", std::string(64, 'a'), "", 1};
  auto page = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/t1.html");
  page.delivered_sha256 = std::string(64, 'a');
  Run({page});
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(HeaderOf(sink_.batches[0]->messages[0], "event"), "report.revised");
  EXPECT_EQ(HeaderOf(sink_.batches[0]->messages[0], "ce_type"), "cn.gov.nianbao.report.revised");
  EXPECT_EQ(sink_.batches[0]->messages[0].key, parser::ReportIdForUrl("http://x.gov.cn/t1.html"));
  EXPECT_EQ(updater_.stats().revised, 1);
}

TEST_F(StatusUpdaterTest, DeliveredAndNonReportPagesAreNotPublished) {
  auto done = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/t1.html");
  done.delivered_sha256 = done.sha256;
  auto notice = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/notice.html");
  notice.body = "关于做好2020年政府信息公开工作年度报告编制工作的通知";
  notice.sha256 = parser::Sha256Hex(notice.body);
  Run({done, notice});
  EXPECT_TRUE(sink_.batches.empty());
  // The notice is looked at once and marked, so it is not fetched without validators again.
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].first, "http://x.gov.cn/notice.html");
  EXPECT_EQ(Ended(PageStatus::kUnchanged), 1);
  EXPECT_EQ(Ended(PageStatus::kSkipped), 1);
  std::set<std::string> seen(
      {ends_[0].first + " " + ends_[0].second, ends_[1].first + " " + ends_[1].second});
  EXPECT_TRUE(seen.count("http://x.gov.cn/t1.html unchanged ")) << ends_[0].second;
  EXPECT_TRUE(seen.count("http://x.gov.cn/notice.html skipped not_a_report"));
}

TEST_F(StatusUpdaterTest, AFailedDeliveryIsNotMarkedAndEndsFailed) {
  sink_.fail = true;
  Run({Page("004_192eb0e593407763.txt", "http://x.gov.cn/t4.html")});
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_TRUE(delivered_.empty());
  ASSERT_EQ(ends_.size(), 1u);
  EXPECT_EQ(ends_[0].second, "failed sink: broker down");
}

// Defect: the old pipeline skipped an empty body without ending it, so the claim on the URL
// was never released and every later version of the page was dropped until a restart.
TEST_F(StatusUpdaterTest, AnEmptyBodyEndsItsJourneyAndTheNextVersionGoesThrough) {
  auto empty = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/t1.html");
  empty.body.clear();
  empty.sha256 = parser::Sha256Hex("");
  Run({empty});
  ASSERT_EQ(ends_.size(), 1u);
  EXPECT_EQ(ends_[0].second.rfind("failed", 0), 0u) << ends_[0].second;
  EXPECT_EQ(updater_.slots_used(), 0u);
  Run({Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/t1.html")});
  EXPECT_EQ(sink_.batches.size(), 1u);
  ASSERT_EQ(delivered_.size(), 1u);
  EXPECT_EQ(delivered_[0].first, "http://x.gov.cn/t1.html");
}

// One version of a page on its way at a time: a second version handed on before the first
// was acknowledged is skipped (the next pass hands it on), and the claim is released after.
TEST_F(StatusUpdaterTest, ASecondVersionWhileTheFirstIsOnItsWayIsSkipped) {
  sink_.hold = true;
  auto v1 = Page("001_0b0786dd1ab9e5a0.txt", "http://x.gov.cn/t1.html");
  auto v2 = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/t1.html");
  JourneyId a = updater_.Planned("s", v1.url);
  JourneyId b = updater_.Planned("s", v2.url);
  ASSERT_TRUE(updater_.TryStart(a));
  ASSERT_TRUE(updater_.TryStart(b));
  updater_.Fetched(a, std::move(v1));
  updater_.Fetched(b, std::move(v2));
  RunUntilIdle();
  EXPECT_EQ(Ended(PageStatus::kSkipped), 1);
  EXPECT_EQ(Ended(PageStatus::kDelivered), 1);
  EXPECT_EQ(sink_.batches.size(), 1u);
  Run({Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/t1.html")});
  EXPECT_EQ(sink_.batches.size(), 2u) << "the claim of the first version was not released";
}

// Backpressure: slots bound the pages in flight, and a full sink keeps batches waiting in
// the updater (offered again when a sink reports a batch done), not in a sleeping thread.
TEST_F(StatusUpdaterTest, SlotsBoundThePagesAndAFullSinkHoldsThem) {
  StatusUpdaterOptions o;
  o.max_pages = 3;
  int room_calls = 0;
  std::vector<JourneyId> ids;
  auto small = Bounded(o, &room_calls, "t", 5, &ids);
  EXPECT_TRUE(small->TryStart(ids[0]));
  EXPECT_TRUE(small->TryStart(ids[1]));
  EXPECT_TRUE(small->TryStart(ids[2]));
  EXPECT_FALSE(small->TryStart(ids[3])) << "a fourth page would pass the bound";
  sink_.full = true;
  for (int i = 0; i < 3; ++i) {
    small->Fetched(ids[i], Page("002_1b2a9a261b4cd27b.txt",
                                "http://x.gov.cn/t" + std::to_string(i) + ".html"));
  }
  for (int i = 0; i < 40; ++i) io_.run_for(5ms);  // parsed; the sink refuses
  EXPECT_TRUE(sink_.batches.empty());
  EXPECT_EQ(small->open(), 5u);
  EXPECT_EQ(room_calls, 0);
  {
    std::lock_guard<std::mutex> lock(sink_.mu);
    sink_.full = false;
  }
  // A sink reporting any batch done (here: an event) lets the waiting ones in.
  small->PublishEvent(sinks::Batch{"event", {}});
  DeliverUntil(3);
  EXPECT_EQ(delivered_.size(), 3u);
  for (int i = 0; i < 100 && room_calls == 0; ++i) io_.run_for(5ms);  // the call is posted
  EXPECT_EQ(room_calls, 1) << "the crawler must be told once that room freed";
  EXPECT_TRUE(small->TryStart(ids[3]));
  small->Ended(ids[3], PageStatus::kFailed, "http_404");
  small->Ended(ids[4], PageStatus::kSkipped, "stopped");
  EXPECT_EQ(small->open(), 0u);
}

// The byte bound: pages of a few MiB each cannot fill all the slots. While the fetched pages
// waiting for or in their parse hold max_bytes or more, no report fetch starts; once their
// parse ended (the body is freed), the crawler is told there is room, even though the pages
// still hold their slots (the sink is full: their batches wait).
TEST_F(StatusUpdaterTest, BytesOfPagesWaitingForTheParseBoundTheFetches) {
  StatusUpdaterOptions o;
  o.max_pages = 10;
  const FetchedPage big = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/big0.html");
  ASSERT_GT(big.body.size(), 1000u);
  o.max_bytes = big.body.size() + big.body.size() / 2;  // one page fits, two do not
  int room_calls = 0;
  std::vector<JourneyId> ids;
  auto small = Bounded(o, &room_calls, "big", 4, &ids);
  sink_.full = true;
  EXPECT_TRUE(small->TryStart(ids[0]));
  EXPECT_TRUE(small->TryStart(ids[1])) << "nothing is held before a page is fetched";
  FetchedPage p0 = big;
  FetchedPage p1 = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/big1.html");
  const size_t both = p0.body.size() + p1.body.size();
  // Posted, so that both are held before the pool can parse either: the updater's calls come
  // from the loop thread, which runs nothing else meanwhile.
  small->Fetched(ids[0], std::move(p0));
  small->Fetched(ids[1], std::move(p1));
  EXPECT_EQ(small->bytes_held(), both);
  EXPECT_FALSE(small->TryStart(ids[2])) << "over the byte bound with 2 of 10 slots used";
  for (int i = 0; i < 100 && small->bytes_held() > 0; ++i) io_.run_for(5ms);
  EXPECT_EQ(small->bytes_held(), 0u) << "parsed: the bodies are freed";
  EXPECT_EQ(small->slots_used(), 2u) << "the batches wait for the full sink";
  // The room call is posted by the last parse's end, so it may still be queued.
  for (int i = 0; i < 100 && room_calls == 0; ++i) io_.run_for(5ms);
  EXPECT_EQ(room_calls, 1) << "the crawler must be told once that room freed";
  EXPECT_TRUE(small->TryStart(ids[2]));
  {
    std::lock_guard<std::mutex> lock(sink_.mu);
    sink_.full = false;
  }
  small->PublishEvent(sinks::Batch{"event", {}});
  DeliverUntil(2);
  EXPECT_EQ(delivered_.size(), 2u);
  small->Ended(ids[2], PageStatus::kFailed, "http_404");
  small->Ended(ids[3], PageStatus::kSkipped, "stopped");
  EXPECT_EQ(small->open(), 0u);
  EXPECT_EQ(small->bytes_held(), 0u);
}

// Fetches under way count against the byte bound as typical pages: once pages of a size have
// been fetched, a start that would put the running fetches over the bound waits, so that the
// transfers already running cannot land on top of it. A fetch that fails gives its share back.
TEST_F(StatusUpdaterTest, FetchesUnderWayCountAsTypicalPagesAgainstTheByteBound) {
  StatusUpdaterOptions o;
  o.max_pages = 10;
  const FetchedPage big = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/big0.html");
  const size_t size = big.body.size();
  ASSERT_GT(size, 1000u);
  o.max_bytes = size + size / 2;  // one page fits, two do not
  int room_calls = 0;
  std::vector<JourneyId> ids;
  auto small = Bounded(o, &room_calls, "big", 4, &ids);
  // The first page teaches the updater what a page of this column weighs.
  ASSERT_TRUE(small->TryStart(ids[0]));
  EXPECT_EQ(small->bytes_held(), 0u) << "no page fetched yet: nothing to count a fetch as";
  small->Fetched(ids[0], big);
  EXPECT_EQ(small->bytes_held(), size);
  DeliverUntil(1);
  ASSERT_EQ(delivered_.size(), 1u);
  ASSERT_EQ(small->bytes_held(), 0u);
  // Now a fetch under way counts as that page: a second one would be over the bound.
  EXPECT_TRUE(small->TryStart(ids[1]));
  EXPECT_EQ(small->bytes_held(), size) << "a fetch under way counts as a typical page";
  EXPECT_FALSE(small->TryStart(ids[2])) << "two fetches of such pages are over the bound";
  // The fetch fails: its share is given back and the waiting start may go.
  small->Ended(ids[1], PageStatus::kFailed, "http_500");
  EXPECT_EQ(small->bytes_held(), 0u);
  for (int i = 0; i < 10 && room_calls == 0; ++i) io_.run_for(5ms);
  EXPECT_EQ(room_calls, 1) << "the crawler must be told that room freed";
  EXPECT_TRUE(small->TryStart(ids[2]));
  // Its page turns out small: from then on it counts as its own bytes.
  FetchedPage tiny = Page("002_1b2a9a261b4cd27b.txt", "http://x.gov.cn/big2.html");
  tiny.body.resize(100);
  small->Fetched(ids[2], std::move(tiny));
  EXPECT_EQ(small->bytes_held(), 100u);
  for (int i = 0; i < 100 && small->bytes_held() > 0; ++i) io_.run_for(5ms);
  EXPECT_EQ(small->bytes_held(), 0u);
  small->Ended(ids[3], PageStatus::kSkipped, "stopped");
  for (int i = 0; i < 100 && small->open() > 0; ++i) {
    io_.run_for(5ms);
    sink_.Flush();
  }
  EXPECT_EQ(small->bytes_held(), 0u);
}

// A source event a sink failed (an alert target down past its attempts) or refused (full) is
// given to it again at the next RetryHeldEvents() until it takes it: the daemon emits a health
// event only when the health changes, so one lost would never come again.
TEST_F(StatusUpdaterTest, ASourceEventASinkFailedOrRefusedIsOfferedAgainUntilTaken) {
  const auto settle = [&] {
    for (int i = 0; i < 20; ++i) {
      io_.run_for(2ms);
      sink_.Flush();
    }
  };
  sink_.fail = true;
  updater_.PublishHeld(sinks::Batch{"source.unreachable", {}});
  settle();
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(updater_.stats().events_held, 1);
  {
    std::lock_guard<std::mutex> lock(sink_.mu);
    sink_.fail = false;
    sink_.full = true;
  }
  updater_.RetryHeldEvents();  // refused: held again
  settle();
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(updater_.stats().events_held, 2);
  {
    std::lock_guard<std::mutex> lock(sink_.mu);
    sink_.full = false;
  }
  updater_.RetryHeldEvents();  // taken and delivered: nothing held any more
  settle();
  ASSERT_EQ(sink_.batches.size(), 2u);
  EXPECT_EQ(sink_.batches[1]->id, "source.unreachable");
  updater_.RetryHeldEvents();
  settle();
  EXPECT_EQ(sink_.batches.size(), 2u) << "a delivered event is not offered again";
  EXPECT_EQ(updater_.stats().events_held, 2);
  EXPECT_EQ(updater_.stats().events_dropped, 0);
}

// At the shutdown deadline, pages still being parsed or delivered end as failed, and their
// late results are dropped; WhenIdle runs once nothing is open.
TEST_F(StatusUpdaterTest, AbandonEndsLatePagesAndDropsTheirResults) {
  sink_.hold = true;
  Run({});
  JourneyId id = updater_.Planned("s", "http://x.gov.cn/t9.html");
  ASSERT_TRUE(updater_.TryStart(id));
  updater_.Fetched(id, Page("003_aca0974fc56c86c8.txt", "http://x.gov.cn/t9.html"));
  for (int i = 0; i < 100 && sink_.batches.empty(); ++i) io_.run_for(5ms);
  ASSERT_EQ(sink_.batches.size(), 1u);
  bool idle = false;
  updater_.WhenIdle([&] { idle = true; });
  updater_.Abandon();
  io_.run_for(5ms);
  EXPECT_TRUE(idle);
  ASSERT_EQ(ends_.size(), 1u);
  EXPECT_EQ(ends_[0].second, "failed shutdown");
  sink_.Flush();  // the acknowledgement arrives late
  io_.run_for(20ms);
  EXPECT_TRUE(delivered_.empty()) << "an abandoned page must not be marked delivered";
}

std::string FixtureHtml(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/html/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// A fetched HTML page whose chrome shows a view counter and the time, where portals put
// them: at the top of the page and in its footer.
FetchedPage PageWithChrome(const std::string& url, int views) {
  std::string html = FixtureHtml("form_2021.html");
  std::string counter = "浏览次数：" + std::to_string(views) +
                        " 当前时间：2026-12-05 08:00:" + std::to_string(10 + views);
  html.insert(html.find("<body>") + 6, "<div class=\"visit\">" + counter + "</div>");
  html.insert(html.find("<footer"), "<p class=\"count\">" + counter + "</p>");
  FetchedPage p = TextPage("test-source", url, html);
  p.content_type = "text/html; charset=utf-8";
  return p;
}

std::vector<std::string> Events(const RecordingSink& sink) {
  std::vector<std::string> out;
  for (const auto& b : sink.batches) out.push_back(HeaderOf(b->messages[0], "event"));
  return out;
}

// Defect (issue 12, item 2): a page that shows a view counter or the time was "revised" on
// every pass. The report's fingerprint, not the page's bytes, decides.
TEST_F(StatusUpdaterTest, AChangeOfChromeAroundTheReportIsNotARevision) {
  const std::string url = "http://x.gov.cn/t1.html";
  Run({PageWithChrome(url, 1)});
  ASSERT_EQ(sink_.batches.size(), 1u);
  auto second = PageWithChrome(url, 2);
  second.delivered_sha256 = ledger_.rows[url].delivered.sha256;
  ASSERT_NE(second.sha256, second.delivered_sha256) << "the bytes differ";
  Run({second});
  EXPECT_EQ(sink_.batches.size(), 1u) << "a counter is not a revision";
  EXPECT_EQ(updater_.stats().same_content, 1);
  EXPECT_EQ(Ended(PageStatus::kUnchanged), 1);
  EXPECT_EQ(ledger_.rows[url].delivered.sha256, second.sha256)
      << "the new bytes are read: the next fetch of them is not parsed again";
}

// Defect (issue 12, item 2): a 200 maintenance page (or the error page a 302 leads to) in
// place of a delivered report replaced the stored version; the real page coming back was
// then "revised" with unchanged content. It is a soft error now, and nothing is recorded.
TEST_F(StatusUpdaterTest, APageThatIsNoLongerAReportIsASoftErrorAndTheVersionStands) {
  const std::string url = "http://x.gov.cn/t1.html";
  Run({Page("002_1b2a9a261b4cd27b.txt", url)});
  ASSERT_EQ(sink_.batches.size(), 1u);
  const DeliveredState before = ledger_.rows[url].delivered;
  auto maintenance = TextPage("test-source", url,
                              "<html><head><title>系统维护</title></head><body><p>网站系统维护中，"
                              "请稍后访问。</p></body></html>");
  maintenance.content_type = "text/html; charset=utf-8";
  maintenance.delivered_sha256 = before.sha256;
  Run({maintenance});
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(ends_.back().second, "failed soft_error");
  EXPECT_EQ(ledger_.rows[url].delivered.sha256, before.sha256) << "nothing recorded";
  EXPECT_EQ(ledger_.rows[url].delivered.fingerprint, before.fingerprint);
  auto back = Page("002_1b2a9a261b4cd27b.txt", url);
  back.delivered_sha256 = before.sha256;
  Run({back});
  EXPECT_EQ(sink_.batches.size(), 1u) << "the real page back is not a revision";
}

// A page that lost sections of a delivered report (cut, or mangled by an export) is held
// back until the next fetch shows the same content; then it is a revision like any other.
TEST_F(StatusUpdaterTest, APageThatLostSectionsIsPublishedOnlyWhenTheNextFetchAgrees) {
  const std::string url = "http://x.gov.cn/t1.html";
  const std::string text = SeedText("002_1b2a9a261b4cd27b.txt");
  Run({TextPage("test-source", url, text)});
  ASSERT_EQ(sink_.batches.size(), 1u);
  const std::string cut = text.substr(0, text.find("四、"));
  auto first = TextPage("test-source", url, cut);
  first.delivered_sha256 = ledger_.rows[url].delivered.sha256;
  auto second = first;
  Run({first});
  EXPECT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(ends_.back().second, "failed soft_error");
  EXPECT_FALSE(ledger_.rows[url].delivered.suspect.empty());
  Run({second});
  ASSERT_EQ(sink_.batches.size(), 2u) << "a second fetch that agrees is published";
  EXPECT_EQ(Events(sink_)[1], "report.revised");
  EXPECT_TRUE(ledger_.rows[url].delivered.suspect.empty());
}

// Defect (issue 12, item 4): revise a report, then revert it, and the revert carried the
// ce_id of the first publication. Every version has its own.
TEST_F(StatusUpdaterTest, ARevertIsAVersionWithCeIdsOfItsOwn) {
  const std::string url = "http://x.gov.cn/t1.html";
  const std::string a = SeedText("002_1b2a9a261b4cd27b.txt");
  std::string b = a;
  b.replace(b.find("2020年"), 7, "2020 年");      // a correction that changes no value...
  b += "\n（更正：本报告第三部分数据已核实）\n";  // ...and one that changes the text
  for (const std::string* text : std::vector<const std::string*>{&a, &b, &a}) {
    auto page = TextPage("test-source", url, *text);
    page.delivered_sha256 = ledger_.rows[url].delivered.sha256;
    Run({page});
  }
  ASSERT_EQ(sink_.batches.size(), 3u);
  EXPECT_EQ(Events(sink_),
            (std::vector<std::string>{"report.published", "report.revised", "report.revised"}));
  std::set<std::string> ids;
  size_t messages = 0;
  for (const auto& batch : sink_.batches) {
    for (const auto& m : batch->messages) {
      ids.insert(HeaderOf(m, "ce_id"));
      ++messages;
    }
  }
  EXPECT_EQ(ids.size(), messages) << "two events share a ce_id";
  auto v = [&](size_t i) {
    return nlohmann::json::parse(sink_.batches[i]->messages[0].value)["version"].get<int>();
  };
  EXPECT_EQ(v(0), 1);
  EXPECT_EQ(v(1), 2);
  EXPECT_EQ(v(2), 3);
}

// Defect (issue 12, item 3): a deleted report has to be said. Gone once is not gone; gone
// withdraw_after times in a row is one report.withdrawn (a version of its own, once); a
// report that comes back is a revision.
TEST_F(StatusUpdaterTest, AGoneReportIsWithdrawnOnceAndComesBackAsARevision) {
  const std::string url = "http://x.gov.cn/t1.html";
  Run({Page("002_1b2a9a261b4cd27b.txt", url)});
  ASSERT_EQ(sink_.batches.size(), 1u);
  const std::string last_sha = ledger_.rows[url].delivered.sha256;
  auto gone = [&](bool withdraw, int fetches) {
    GonePage g;
    g.source = "test-source";
    g.url = url;
    g.status = 200;
    g.seen = "stub";
    g.location = "http://x.gov.cn/col/";
    g.fetches = fetches;
    g.withdraw = withdraw;
    g.fetched_at = std::chrono::system_clock::now();
    JourneyId id = updater_.Planned(g.source, url);
    ASSERT_TRUE(updater_.TryStart(id));
    updater_.Gone(id, std::move(g));
    RunUntilIdle();
  };
  gone(false, 1);
  EXPECT_EQ(sink_.batches.size(), 1u) << "gone once is not gone";
  EXPECT_EQ(ends_.back().second, "failed stub");
  gone(true, 2);
  ASSERT_EQ(sink_.batches.size(), 2u);
  const auto& w = sink_.batches[1]->messages;
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].topic, "nianbao.reports");
  EXPECT_EQ(w[0].key, parser::ReportIdForUrl(url));
  EXPECT_EQ(HeaderOf(w[0], "event"), "report.withdrawn");
  EXPECT_EQ(HeaderOf(w[0], "ce_type"), "cn.gov.nianbao.report.withdrawn");
  EXPECT_EQ(HeaderOf(w[0], "schema"), "nianbao.withdrawal.v1");
  auto value = nlohmann::json::parse(w[0].value);
  EXPECT_EQ(value["url"], url);
  EXPECT_EQ(value["version"], 2);
  EXPECT_EQ(value["last_sha256"], last_sha);
  EXPECT_EQ(value["seen"]["what"], "stub");
  EXPECT_EQ(value["seen"]["location"], "http://x.gov.cn/col/");
  EXPECT_EQ(ends_.back().second, "withdrawn ");
  gone(true, 3);
  EXPECT_EQ(sink_.batches.size(), 2u) << "withdrawn once";
  Run({Page("002_1b2a9a261b4cd27b.txt", url)});
  ASSERT_EQ(sink_.batches.size(), 3u);
  EXPECT_EQ(Events(sink_)[2], "report.revised") << "back, as the last event said it was gone";
  EXPECT_EQ(nlohmann::json::parse(sink_.batches[2]->messages[0].value)["version"], 3);
}

// ---- a report page with documents (ParseReport) ----

std::string DocumentFixture(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/documents/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string HtmlFixture(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/html/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

FetchedDocument Document(const std::string& url, const std::string& text, std::string body) {
  FetchedDocument d;
  d.url = url;
  d.text = text;
  d.content_type = "application/octet-stream";  // as portals serve them: the bytes decide
  d.body = std::move(body);
  d.sha256 = parser::Sha256Hex(d.body);
  return d;
}

// A page that is a note and a link: the record is read from its 全真版 PDF (form_2021: the
// values of tests/parser/html_report_test.cc), under the page's URL and report_id.
const char kNotePage[] =
    "<html><head><meta charset=\"utf-8\"><title>青禾县自然资源局2021年政府信息公开工作年度报告"
    "</title></head><body><p>青禾县自然资源局2021年政府信息公开工作年度报告全文见附件。</p>"
    "<a href=\"/files/2021.pdf\">全真版</a></body></html>";

FetchedPage NotePageWith(std::vector<FetchedDocument> documents) {
  FetchedPage p =
      nianbao::testing::TextPage("test-source", "http://x.gov.cn/nb/t1.html", kNotePage);
  p.content_type = "text/html; charset=utf-8";
  p.documents = std::move(documents);
  return p;
}

TEST(ParseReportTest, ANotePageIsReadFromItsDocument) {
  const std::string pdf = DocumentFixture("form_2021.pdf");
  ASSERT_FALSE(pdf.empty());
  FetchedPage page = NotePageWith({Document("http://x.gov.cn/files/2021.pdf", "全真版", pdf)});
  parser::ParseInput in;
  in.bytes = page.body;
  in.content_type = page.content_type;
  in.url = page.url;
  auto out = ParseReport(page, in, {});
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  ASSERT_TRUE(out.value().is_report);
  const auto j = parser::RecordToJson(out.value().record);
  EXPECT_EQ(j["report_id"], parser::ReportIdForUrl(page.url));
  EXPECT_EQ(j["source"]["url"], page.url);
  EXPECT_EQ(j["source"]["document"]["url"], "http://x.gov.cn/files/2021.pdf");
  EXPECT_EQ(j["source"]["document"]["media_type"], "application/pdf");
  EXPECT_EQ(j["source"]["document"]["sha256"], parser::Sha256Hex(pdf));
  ASSERT_EQ(j["source"]["attachments"].size(), 1u);
  EXPECT_EQ(j["source"]["attachments"][0]["bytes"], pdf.size());
  EXPECT_EQ(j["source"]["attachments"][0]["media_type"], "application/pdf");
  EXPECT_EQ(j["organization"], "青禾县自然资源局");
  EXPECT_EQ(j["year"], 2021);
  EXPECT_EQ(j["proactive"]["normative_documents"]["issued"], 3);
  EXPECT_EQ(j["proactive"]["normative_documents"]["repealed"], 1);
  EXPECT_EQ(j["proactive"]["normative_documents"]["in_force"], 12);
  EXPECT_EQ(j["proactive"]["licensing"]["decisions"], 186);
  EXPECT_EQ(j["applications"]["new"][6], 20);  // the 总计 column of 本年新收政府信息公开申请数量
}

// A page that holds the tables is read from itself; its attachment is named, not read.
TEST(ParseReportTest, APageThatHoldsTheTablesIsReadFromThePage) {
  FetchedPage page = nianbao::testing::TextPage("test-source", "http://x.gov.cn/nb/t2.html",
                                                HtmlFixture("form_2021.html"));
  page.content_type = "text/html; charset=utf-8";
  const std::string faults = DocumentFixture("faults_2019.docx");
  page.documents = {Document("http://x.gov.cn/files/2019.docx", "附件", faults)};
  parser::ParseInput in;
  in.bytes = page.body;
  in.content_type = page.content_type;
  in.url = page.url;
  auto out = ParseReport(page, in, {});
  ASSERT_TRUE(out.ok());
  const auto j = parser::RecordToJson(out.value().record);
  EXPECT_EQ(j["source"]["document"]["url"], page.url);
  EXPECT_EQ(j["source"]["document"]["media_type"], "text/html");
  EXPECT_EQ(j["source"]["document"]["sha256"], parser::Sha256Hex(page.body));
  EXPECT_EQ(j["year"], 2021);  // the page's report, not the attachment's 2019
  ASSERT_EQ(j["source"]["attachments"].size(), 1u);
  EXPECT_EQ(j["source"]["attachments"][0]["url"], "http://x.gov.cn/files/2019.docx");
  EXPECT_EQ(j["source"]["attachments"][0]["bytes"], faults.size());
}

// Through the updater: the note page with its PDF is published; the same report as DOCX
// (other bytes, the same tables) is unchanged; another report in its place is report.revised.
TEST_F(StatusUpdaterTest, ARevisedDocumentIsAReportRevised) {
  auto with = [](const std::string& fixture, const std::string& sha) {
    FetchedPage p = NotePageWith(
        {Document("http://x.gov.cn/files/2021.pdf", "全真版", DocumentFixture(fixture))});
    p.sha256 = sha;  // the report's hash (the crawler's, of page and document)
    return p;
  };
  Run({with("form_2021.pdf", std::string(64, 'a'))});
  ASSERT_EQ(sink_.batches.size(), 1u);
  EXPECT_EQ(HeaderOf(sink_.batches[0]->messages[0], "event"), "report.published");
  auto first = nlohmann::json::parse(sink_.batches[0]->messages[0].value);
  EXPECT_EQ(first["source"]["document"]["url"], "http://x.gov.cn/files/2021.pdf");

  Run({with("form_2021.docx", std::string(64, 'b'))});
  EXPECT_EQ(sink_.batches.size(), 1u) << "the same tables in another format: no revision";
  EXPECT_EQ(updater_.stats().same_content, 1);

  Run({with("faults_2019.pdf", std::string(64, 'c'))});
  ASSERT_EQ(sink_.batches.size(), 2u);
  EXPECT_EQ(HeaderOf(sink_.batches[1]->messages[0], "event"), "report.revised");
  auto second = nlohmann::json::parse(sink_.batches[1]->messages[0].value);
  EXPECT_EQ(second["report_id"], first["report_id"]);
  EXPECT_EQ(second["version"], 2);
  EXPECT_NE(second["fingerprint"], first["fingerprint"]);
}

}  // namespace
}  // namespace nianbao::ingest
