// The cluster's pure parts: the partition of a source, and the changelog record of a URL's
// state (StateStore::ExportUrl / ImportUrl) that carries it from one node's SQLite to another's.
#include <gtest/gtest.h>

#include <filesystem>

#include "cluster/cluster_node.h"
#include "crawler/state_store.h"

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
  void SetUp() override {
    root_ = std::filesystem::temp_directory_path() /
            ("nianbao-changelog-" + std::to_string(::getpid()) + "-" +
             ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(root_);
    std::filesystem::create_directories(root_);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::unique_ptr<crawler::StateStore> Open(const std::string& name) {
    auto s = crawler::StateStore::Open((root_ / name).string());
    EXPECT_TRUE(s.ok()) << s.status().message();
    return std::move(s).value();
  }
  std::filesystem::path root_;
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

}  // namespace
}  // namespace nianbao::cluster
