// The cluster's pure parts: the partition of a source, and the changelog record of a URL's
// state (StateStore::ExportUrl / ImportUrl) that carries it from one node's SQLite to another's;
// and, on librdkafka's in-process mock cluster, a source's state (its due time and history)
// going from the node that wrote it to the node assigned its partition next.
#include <gtest/gtest.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <condition_variable>
#include <future>
#include <mutex>
#include <thread>

#include "cluster/cluster_node.h"
#include "crawler/state_store.h"
#include "sinks/embedded_kafka.h"
#include "tests/crawler/source_state_fixture.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::cluster {
namespace {

TEST(Partition, Fnv1aIsTheStandardOne) {
  // The FNV-1a 32-bit test vectors (offset basis; "a"; "foobar").
  EXPECT_EQ(Fnv1a(""), 0x811c9dc5u);
  EXPECT_EQ(Fnv1a("a"), 0xe40c292cu);
  EXPECT_EQ(Fnv1a("foobar"), 0xbf9cf968u);
}

TEST(Partition, SourcesOfOneHostShareAPartition) {
  crawler::Source a, b, c;
  a.entry = {"http://www.example.gov.cn/zfxxgk/ndbg/"};
  b.entry = {"http://WWW.example.gov.cn/other/column/index.html"};
  c.portal = "http://www.example.gov.cn:8080/";
  EXPECT_EQ(HostOfSource(a), "www.example.gov.cn");
  EXPECT_EQ(HostOfSource(c), "www.example.gov.cn:8080");
  for (int p : {1, 7, 12, 100}) {
    EXPECT_EQ(PartitionOfSource(a, p), PartitionOfSource(b, p));
    EXPECT_GE(PartitionOfSource(c, p), 0);
    EXPECT_LT(PartitionOfSource(c, p), p);
  }
  EXPECT_EQ(PartitionOfSource(a, 12), static_cast<int32_t>(Fnv1a("www.example.gov.cn") % 12));
}

class Changelog : public ::testing::Test {
 protected:
  std::unique_ptr<crawler::StateStore> Open(const std::string& name) {
    auto s = crawler::StateStore::Open(root_.Path(name));
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(s).value();
  }
  nianbao::testing::ScratchDir root_{"changelog"};
};

TEST_F(Changelog, AUrlsStateMovesWholeToAnotherStore) {
  auto a = Open("a");
  const std::string url = "http://x.gov.cn/ndbg/t20210119_1.html";
  crawler::UrlState s;
  s.url = url;
  s.source = "x";
  s.kind = "report";
  s.etag = "\"abc\"";
  s.last_modified = "Tue, 19 Jan 2021 01:30:00 GMT";
  s.sha256 = "11";
  s.last_status = 200;
  s.last_fetch = 1600000000;
  s.next_due = 1600086400;
  std::vector<std::string> written;
  a->SetOnWritten(
      [&](crawler::StateStore::WrittenKind, const std::string& u) { written.push_back(u); });
  std::vector<crawler::Link> atts = {{"http://x.gov.cn/a.pdf", "全真版"}};
  ASSERT_TRUE(a->CommitFetch(s, nullptr, &atts).ok());
  auto v = a->BeginVersion(url, "fp1");
  ASSERT_TRUE(v.ok());
  DeliveredContent content{"fp1", "shape1"};
  ASSERT_TRUE(a->MarkDelivered(url, "11", &content).ok());
  // Every write told the changelog.
  EXPECT_EQ(written, (std::vector<std::string>{url, url, url}));

  auto record = a->ExportUrl(url);
  ASSERT_TRUE(record.ok());
  ASSERT_TRUE(record.value().has_value());

  auto b = Open("b");
  std::vector<std::string> b_written;
  b->SetOnWritten(
      [&](crawler::StateStore::WrittenKind, const std::string& u) { b_written.push_back(u); });
  ASSERT_TRUE(b->ImportUrl(*record.value()).ok());
  EXPECT_TRUE(b_written.empty()) << "a restore is not a write to send back";
  auto got = b->Get(url);
  ASSERT_TRUE(got.ok() && got.value().has_value());
  EXPECT_EQ(got.value()->etag, "\"abc\"");
  EXPECT_EQ(got.value()->last_modified, "Tue, 19 Jan 2021 01:30:00 GMT");
  EXPECT_EQ(got.value()->last_status, 200);
  EXPECT_EQ(got.value()->delivered_sha256, "11");
  EXPECT_EQ(got.value()->next_due, 1600086400);
  auto delivered = b->GetDelivered(url);
  ASSERT_TRUE(delivered.ok());
  EXPECT_EQ(delivered.value().fingerprint, "fp1");
  EXPECT_EQ(delivered.value().shape, "shape1");
  EXPECT_EQ(delivered.value().version, 1);
  // The version numbering goes on where it stopped: the next version is 2.
  auto next = b->BeginVersion(url, "fp2");
  ASSERT_TRUE(next.ok());
  EXPECT_EQ(next.value(), 2);
  auto got_atts = b->GetAttachments(url);
  ASSERT_TRUE(got_atts.ok());
  ASSERT_EQ(got_atts.value().size(), 1u);
  EXPECT_EQ(got_atts.value()[0].text, "全真版");
}

TEST_F(Changelog, AListPagesLinksComeAlong) {
  auto a = Open("a");
  crawler::UrlState s;
  s.url = "http://x.gov.cn/ndbg/";
  s.source = "x";
  s.kind = "list";
  s.etag = "\"l1\"";
  std::vector<crawler::Link> links = {{"http://x.gov.cn/ndbg/t1.html", "一"},
                                      {"http://x.gov.cn/ndbg/t2.html", "二"}};
  ASSERT_TRUE(a->CommitFetch(s, &links, nullptr).ok());
  auto record = a->ExportUrl(s.url);
  ASSERT_TRUE(record.ok() && record.value().has_value());
  auto b = Open("b");
  ASSERT_TRUE(b->ImportUrl(*record.value()).ok());
  auto got = b->GetLinks(s.url);
  ASSERT_TRUE(got.ok());
  ASSERT_EQ(got.value().size(), 2u);
  EXPECT_EQ(got.value()[1].url, "http://x.gov.cn/ndbg/t2.html");
  EXPECT_EQ(got.value()[1].text, "二");
}

TEST_F(Changelog, ARecordOfAnotherShapeIsRefusedWhole) {
  auto b = Open("b");
  EXPECT_FALSE(b->ImportUrl("not json").ok());
  EXPECT_FALSE(b->ImportUrl(R"({"url": "http://x/", "row": {"source": "x"}})").ok());
  auto none = b->Get("http://x/");
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value().has_value());
  auto missing = b->ExportUrl("http://nothing/");
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing.value().has_value());
}

// Runs `fn` on the loop thread (where the state store and the node live) and waits for it.
template <typename Fn>
auto OnLoop(boost::asio::io_context& io, Fn fn) {
  std::packaged_task<decltype(fn())()> task(std::move(fn));
  auto result = task.get_future();
  boost::asio::post(io, [&task] { task(); });
  return result.get();
}

// The partitions a node says it owns (its on_owned hook), waited for from the test's thread.
class Owned {
 public:
  std::function<void(const std::set<int32_t>&)> Hook() {
    return [this](const std::set<int32_t>& owned) {
      std::lock_guard<std::mutex> lock(mu_);
      owned_ = owned;
      cv_.notify_all();
    };
  }
  bool WaitFor(int32_t p, std::chrono::seconds limit) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, limit, [&] { return owned_.count(p) > 0; });
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::set<int32_t> owned_;
};

TEST_F(Changelog, ASourcesDueTimeAndHistoryMoveToTheNodeAssignedItsPartition) {
  using namespace std::chrono_literals;
  // The mock does not serve CreateTopics: the topics exist before the nodes start.
  sinks::EmbeddedKafka::Options ko;
  ko.topics = {{"t.cluster", 2}, {"t.state", 2}};
  auto kafka = sinks::EmbeddedKafka::Start(ko);
  ASSERT_TRUE(kafka.ok()) << kafka.status().message();
  boost::asio::io_context io;
  auto work = boost::asio::make_work_guard(io);
  std::thread loop([&io] { io.run(); });

  crawler::Source x;
  x.name = "x";
  x.entry = {"http://x.gov.cn/ndbg/"};
  crawler::SourcesConfig sources;
  sources.sources.push_back(x);
  const int32_t p = PartitionOfSource(x, 2);
  ClusterOptions o;
  o.brokers = kafka.value()->bootstraps();
  o.group = "g";
  o.topic = "t.cluster";
  o.changelog_topic = "t.state";
  o.partitions = 2;
  o.session_timeout = 3s;
  o.revoke_timeout = 2s;

  // Node A owns x's partition and records x's state (tests/crawler/source_state_fixture.h)
  // and a URL of x.
  auto a = Open("a");
  Owned a_owned;
  o.node = "a";
  auto started_a = OnLoop(io, [&] {
    return ClusterNode::Start(io, *a, sources, o, ClusterNode::Hooks{a_owned.Hook(), nullptr});
  });
  ASSERT_TRUE(started_a.ok()) << started_a.status().message();
  std::unique_ptr<ClusterNode> node_a = std::move(started_a).value();
  ASSERT_TRUE(a_owned.WaitFor(p, 60s)) << "node a never owned partition " << p;
  const testing::SourceX x_state;
  crawler::UrlState list;
  list.url = "http://x.gov.cn/ndbg/";
  list.source = "x";
  list.kind = "list";
  list.etag = "\"l1\"";
  Status written = OnLoop(io, [&]() -> Status {
    for (Status s : {x_state.WriteTo(*a), a->Put(list)}) {
      if (!s.ok()) return s;
    }
    node_a->Flush();
    return Status::Ok();
  });
  ASSERT_TRUE(written.ok()) << written.message();
  node_a->Close(5s);  // leaves the group; the loop keeps running for its revoke
  EXPECT_GE(node_a->stats().changelog_produced, 2);
  OnLoop(io, [&] { node_a.reset(); });

  // Node B held an older state of x (it owned x once); assigned x's partition, it restores
  // x's state from the changelog before it owns the partition.
  auto b = Open("b");
  ASSERT_TRUE(testing::WriteOldXAndY(*b).ok());
  Owned b_owned;
  o.node = "b";
  auto started_b = OnLoop(io, [&] {
    return ClusterNode::Start(io, *b, sources, o, ClusterNode::Hooks{b_owned.Hook(), nullptr});
  });
  ASSERT_TRUE(started_b.ok()) << started_b.status().message();
  std::unique_ptr<ClusterNode> node_b = std::move(started_b).value();
  ASSERT_TRUE(b_owned.WaitFor(p, 60s)) << "node b never owned partition " << p;
  struct Seen {
    Result<std::optional<int64_t>> due = Status::Internal("not read");
    Result<int64_t> watched = Status::Internal("not read");
    Result<std::vector<YearEntry>> years = Status::Internal("not read");
    Result<std::vector<MissingReport>> missing = Status::Internal("not read");
    Result<std::string> column = Status::Internal("not read");
    Result<std::optional<crawler::UrlState>> list = Status::Internal("not read");
  };
  Seen seen = OnLoop(io, [&] {
    Seen out;
    out.due = b->GetSourceDue("x");
    out.watched = b->WatchedSince("x", 1800000000);
    out.years = b->YearsOf("x");
    out.missing = b->MissingOf("x");
    out.column = b->GetSourceColumn("x");
    out.list = b->Get(list.url);
    return out;
  });
  node_b->Close(5s);
  OnLoop(io, [&] { node_b.reset(); });
  work.reset();
  loop.join();

  ASSERT_TRUE(seen.due.ok() && seen.due.value());
  EXPECT_EQ(*seen.due.value(), 1700000000) << "B polls x at A's due time";
  ASSERT_TRUE(seen.watched.ok());
  EXPECT_EQ(seen.watched.value(), 1600000000);
  ASSERT_TRUE(seen.years.ok());
  ASSERT_EQ(seen.years.value().size(), 3u) << "B's own 2019 entry is replaced by A's rows";
  testing::ExpectSameYear(seen.years.value()[0], x_state.other_org);
  testing::ExpectSameYear(seen.years.value()[1], x_state.y2021);
  testing::ExpectSameYear(seen.years.value()[2], x_state.y2022);
  ASSERT_TRUE(seen.missing.ok());
  ASSERT_EQ(seen.missing.value().size(), 1u);
  EXPECT_EQ(seen.missing.value()[0].organization_key, "丙镇人民政府");
  EXPECT_EQ(seen.missing.value()[0].year, 2023);
  EXPECT_EQ(seen.missing.value()[0].deadline, "2024-01-31");
  EXPECT_TRUE(seen.missing.value()[0].sent);
  ASSERT_TRUE(seen.column.ok());
  EXPECT_EQ(seen.column.value(), testing::SourceX::kColumn);
  ASSERT_TRUE(seen.list.ok() && seen.list.value());
  EXPECT_EQ(seen.list.value()->etag, "\"l1\"");
}

}  // namespace
}  // namespace nianbao::cluster
