// The WARC writer: records as ISO 28500 says, one gzip member each, revisits for a payload
// already kept, rotation, the rename on close, and recovery of the file a crash left behind.
// The files are read back by zlib here and by warcio (webrecorder's reader, tests/tools), an
// implementation that is not ours.
#include "archive/warc_writer.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "archive/warc_reader.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::archive {
namespace {

namespace fs = std::filesystem;

std::string ReadAll(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

// The gzip members of a file, each inflated; `offsets` gets where each starts.
std::vector<std::string> Members(const std::string& bytes, std::vector<size_t>* offsets = nullptr) {
  std::vector<std::string> out;
  size_t pos = 0;
  while (pos < bytes.size()) {
    z_stream z{};
    EXPECT_EQ(inflateInit2(&z, 15 + 16), Z_OK);
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data() + pos));
    z.avail_in = static_cast<uInt>(bytes.size() - pos);
    std::string text;
    char buf[4096];
    int rc = Z_OK;
    while (rc == Z_OK) {
      z.next_out = reinterpret_cast<Bytef*>(buf);
      z.avail_out = sizeof buf;
      rc = inflate(&z, Z_NO_FLUSH);
      text.append(buf, sizeof buf - z.avail_out);
    }
    size_t used = z.total_in;
    inflateEnd(&z);
    if (rc != Z_STREAM_END) break;
    if (offsets != nullptr) offsets->push_back(pos);
    out.push_back(text);
    pos += used;
  }
  return out;
}

std::string FieldOf(const std::string& record, const std::string& name) {
  auto at = record.find("\r\n" + name + ": ");
  if (at == std::string::npos) return "";
  at += name.size() + 4;
  return record.substr(at, record.find("\r\n", at) - at);
}

WarcExchange Exchange(const std::string& uri, const std::string& body) {
  WarcExchange e;
  e.target_uri = uri;
  e.date = std::chrono::system_clock::from_time_t(1611036000);  // 2021-01-19T06:00:00Z
  e.ip = "127.0.0.1";
  e.request = "GET /t1.html HTTP/1.1\r\nHost: x.gov.cn\r\nUser-Agent: nianbao/0.1\r\n\r\n";
  e.status_line = "HTTP/1.1 200 OK";
  e.headers = {{"content-type", "text/html; charset=utf-8"},
               {"content-encoding", "gzip"},
               {"content-length", "12"},
               {"etag", "\"abc\""}};
  e.body = body;
  return e;
}

// The settings most tests vary; the others keep their defaults.
WarcSettings Settings(const std::string& dir, int64_t max_file_bytes, const std::string& software,
                      const std::string& sources_file) {
  WarcSettings ws;
  ws.dir = dir;
  ws.max_file_bytes = max_file_bytes;
  ws.software = software;
  ws.sources_file = sources_file;
  return ws;
}

class WarcWriterTest : public ::testing::Test {
 protected:
  std::vector<fs::path> Files(const std::string& suffix) const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) {
      std::string name = e.path().filename().string();
      if (name.size() >= suffix.size() &&
          name.compare(name.size() - suffix.size(), suffix.size(), suffix) == 0) {
        out.push_back(e.path());
      }
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  testing::ScratchDir scratch_{"warc-test", testing::ScratchDir::Start::kAbsent};
  const fs::path dir_ = scratch_.path();
};

TEST_F(WarcWriterTest, WritesInfoResponsesRequestsAndARevisitThenRenamesOnClose) {
  const std::string page1 = "<html><body>洛碛镇2020年政府信息公开工作年度报告</body></html>";
  const std::string page2 = "<html><body>王店镇2020年政府信息公开工作年度报告</body></html>";
  auto w = WarcWriter::Open(Settings(dir_.string(), 1 << 20, "nianbao/test", "sources.toml"));
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  auto a = w.value()->Write(Exchange("http://x.gov.cn/t1.html", page1));
  auto b = w.value()->Write(Exchange("http://x.gov.cn/t2.html", page2));
  auto c = w.value()->Write(Exchange("http://x.gov.cn/t3.html", page1));  // t1's bytes again
  ASSERT_TRUE(a.ok() && b.ok() && c.ok());
  EXPECT_FALSE(a.value().revisit);
  EXPECT_FALSE(b.value().revisit);
  EXPECT_TRUE(c.value().revisit);
  ASSERT_EQ(Files(".open").size(), 1u) << "written under .open until closed";
  ASSERT_TRUE(w.value()->Close().ok());
  EXPECT_TRUE(Files(".open").empty());
  auto files = Files(".warc.gz");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(files[0].filename().string(), a.value().file);
  EXPECT_EQ(a.value().file.rfind("nianbao-", 0), 0u);

  std::vector<size_t> offsets;
  auto records = Members(ReadAll(files[0]), &offsets);
  std::vector<std::string> types;
  for (const auto& r : records) types.push_back(FieldOf(r, "WARC-Type"));
  EXPECT_EQ(types, (std::vector<std::string>{"warcinfo", "response", "request", "response",
                                             "request", "revisit", "request"}));
  for (const auto& r : records) EXPECT_EQ(r.rfind("WARC/1.1\r\n", 0), 0u);
  EXPECT_NE(records[0].find("software: nianbao/test"), std::string::npos);
  EXPECT_NE(records[0].find("sources: sources.toml"), std::string::npos);
  // Each location is the offset of its record's own gzip member.
  auto at = [&](int64_t offset) {
    for (size_t i = 0; i < offsets.size(); ++i) {
      if (static_cast<int64_t>(offsets[i]) == offset) return records[i];
    }
    return std::string();
  };
  EXPECT_EQ(FieldOf(at(a.value().offset), "WARC-Target-URI"), "http://x.gov.cn/t1.html");
  EXPECT_EQ(FieldOf(at(b.value().offset), "WARC-Target-URI"), "http://x.gov.cn/t2.html");
  const std::string revisit = at(c.value().offset);
  EXPECT_EQ(FieldOf(revisit, "WARC-Refers-To"), FieldOf(records[1], "WARC-Record-ID"));
  EXPECT_EQ(FieldOf(revisit, "WARC-Refers-To-Target-URI"), "http://x.gov.cn/t1.html");
  EXPECT_EQ(revisit.find("洛碛镇"), std::string::npos) << "a revisit keeps no second copy";
  // The response head describes the stored (decoded) body, not the bytes on the wire.
  const std::string& r1 = records[1];
  EXPECT_NE(r1.find("HTTP/1.1 200 OK\r\n"), std::string::npos);
  EXPECT_EQ(r1.find("content-encoding"), std::string::npos);
  EXPECT_NE(r1.find("content-length: " + std::to_string(page1.size()) + "\r\n"), std::string::npos);
  EXPECT_NE(r1.find("\r\n\r\n" + page1 + "\r\n\r\n"), std::string::npos);
  EXPECT_EQ(FieldOf(r1, "WARC-IP-Address"), "127.0.0.1");
  EXPECT_EQ(FieldOf(r1, "WARC-Date"), "2021-01-19T06:00:00Z");
  EXPECT_EQ(FieldOf(records[2], "WARC-Concurrent-To"), FieldOf(r1, "WARC-Record-ID"));
}

TEST_F(WarcWriterTest, AFullFileIsClosedAndTheNextOneStarted) {
  auto w = WarcWriter::Open(Settings(dir_.string(), 300, "nianbao/test", ""));
  ASSERT_TRUE(w.ok());
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(w.value()
                    ->Write(Exchange("http://x.gov.cn/t" + std::to_string(i) + ".html",
                                     "<p>报告 " + std::to_string(i) + "</p>"))
                    .ok());
  }
  ASSERT_TRUE(w.value()->Close().ok());
  auto files = Files(".warc.gz");
  ASSERT_EQ(files.size(), 3u) << "each file passed 300 bytes after one fetch";
  for (const auto& f : files) {
    auto records = Members(ReadAll(f));
    ASSERT_FALSE(records.empty());
    EXPECT_EQ(FieldOf(records[0], "WARC-Type"), "warcinfo") << f;
  }
}

// What /metrics shows: records by type, the files closed, the bytes that are on disk; and the
// parser named in warcinfo for `nianbao reparse`.
TEST_F(WarcWriterTest, CountsWhatItWroteAndNamesTheParserInWarcinfo) {
  WarcSettings ws = Settings(dir_.string(), 1 << 20, "nianbao/test", "");
  ws.parser_version = "9.9.9+parser.42";
  auto w = WarcWriter::Open(ws);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t1.html", "<p>报告</p>")).ok());
  ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t2.html", "<p>报告</p>")).ok());
  ASSERT_TRUE(w.value()->Close().ok());
  WarcStats st = w.value()->stats();
  EXPECT_EQ(st.responses, 1);
  EXPECT_EQ(st.revisits, 1);
  EXPECT_EQ(st.files_closed, 1);
  EXPECT_EQ(st.write_errors, 0);
  auto files = Files(".warc.gz");
  ASSERT_EQ(files.size(), 1u);
  EXPECT_EQ(st.bytes_written, static_cast<int64_t>(fs::file_size(files[0])));
  auto records = Members(ReadAll(files[0]));
  ASSERT_FALSE(records.empty());
  EXPECT_NE(records[0].find("\r\nnianbao-parser-version: 9.9.9+parser.42\r\n"), std::string::npos)
      << records[0];
}

// The URIs of the response records in the directory's closed files, read with WarcReader; and
// the body of each.
std::map<std::string, std::string> ArchivedBodies(const fs::path& dir) {
  std::map<std::string, std::string> out;
  for (const auto& e : fs::directory_iterator(dir)) {
    auto reader = WarcReader::Open(e.path().string());
    if (!reader.ok()) continue;
    WarcRecord rec;
    while (true) {
      auto got = reader.value()->Next(&rec);
      if (!got.ok()) continue;
      if (!got.value()) break;
      if (rec.type() != "response") continue;
      auto http = ParseHttpResponse(rec.block);
      out[std::string(rec.target_uri())] = http.ok() ? std::string(http.value().body) : "";
    }
  }
  return out;
}

// Defect: a writer started within the second after another one closed its file took the same
// name, and its rename at close replaced the earlier file.
TEST_F(WarcWriterTest, ARestartWithinTheSecondKeepsTheEarlierFile) {
  for (const char* page : {"a", "b"}) {
    auto w = WarcWriter::Open(Settings(dir_.string(), 1 << 20, "nianbao/test", ""));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(
        w.value()->Write(Exchange(std::string("http://x.gov.cn/") + page + ".html", page)).ok());
    ASSERT_TRUE(w.value()->Close().ok());
  }
  EXPECT_EQ(Files(".warc.gz").size(), 2u);
  EXPECT_EQ(ArchivedBodies(dir_).size(), 2u);
}

// Retention by size: every page written goes to a file of its own (300 bytes), the archive may
// hold 1 byte: old files go, and each page's last copy is written again before its file goes.
TEST_F(WarcWriterTest, RetentionBySizeRemovesOldFilesButNoPagesLastCopy) {
  WarcSettings ws = Settings(dir_.string(), 300, "nianbao/test", "");
  ws.max_total_bytes = 1;
  auto w = WarcWriter::Open(ws);
  ASSERT_TRUE(w.ok());
  for (const char* page : {"a", "b", "c", "d"}) {
    ASSERT_TRUE(w.value()
                    ->Write(Exchange(std::string("http://x.gov.cn/") + page + ".html",
                                     std::string("<p>报告 ") + page + "</p>"))
                    .ok());
  }
  ASSERT_TRUE(w.value()->Close().ok());
  WarcStats st = w.value()->stats();
  EXPECT_EQ(st.files_removed, 3) << "the files of a, b and c";
  EXPECT_EQ(Files(".warc.gz").size(), 1u);
  auto bodies = ArchivedBodies(dir_);
  EXPECT_EQ(bodies,
            (std::map<std::string, std::string>{{"http://x.gov.cn/a.html", "<p>报告 a</p>"},
                                                {"http://x.gov.cn/b.html", "<p>报告 b</p>"},
                                                {"http://x.gov.cn/c.html", "<p>报告 c</p>"},
                                                {"http://x.gov.cn/d.html", "<p>报告 d</p>"}}));
  EXPECT_EQ(st.retention_errors, 0);
}

// Retention by age: files last written 400 days ago go when a writer keeping 365 days starts
// its file; their pages (a revisit's with the body it pointed at) are written again in full.
TEST_F(WarcWriterTest, RetentionByAgeCarriesRevisitsWithTheirPayload) {
  {
    auto old = WarcWriter::Open(Settings(dir_.string(), 1 << 20, "nianbao/test", ""));
    ASSERT_TRUE(old.ok());
    ASSERT_TRUE(old.value()->Write(Exchange("http://x.gov.cn/a.html", "<p>同一</p>")).ok());
    auto revisit = old.value()->Write(Exchange("http://x.gov.cn/b.html", "<p>同一</p>"));
    ASSERT_TRUE(revisit.ok() && revisit.value().revisit);
    ASSERT_TRUE(old.value()->Close().ok());
  }
  auto old_files = Files(".warc.gz");
  ASSERT_EQ(old_files.size(), 1u);
  fs::last_write_time(old_files[0],
                      fs::file_time_type::clock::now() - std::chrono::hours(24 * 400));
  WarcSettings ws = Settings(dir_.string(), 1 << 20, "nianbao/test", "");
  ws.max_age = std::chrono::hours(24 * 365);
  auto w = WarcWriter::Open(ws);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/c.html", "<p>新</p>")).ok());
  ASSERT_TRUE(w.value()->Close().ok());
  EXPECT_FALSE(fs::exists(old_files[0]));
  EXPECT_EQ(w.value()->stats().records_carried, 2);
  EXPECT_EQ(ArchivedBodies(dir_),
            (std::map<std::string, std::string>{{"http://x.gov.cn/a.html", "<p>同一</p>"},
                                                {"http://x.gov.cn/b.html", "<p>同一</p>"},
                                                {"http://x.gov.cn/c.html", "<p>新</p>"}}));
}

// A crash leaves the .open file, perhaps with half a record at its end: the next start cuts
// that off and renames the file; its complete records stay.
TEST_F(WarcWriterTest, ALeftoverOpenFileIsCutAfterItsLastCompleteRecordAndRenamed) {
  std::string original;
  {
    auto w = WarcWriter::Open(Settings(dir_.string(), 1 << 20, "nianbao/test", ""));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t1.html", "<p>一</p>")).ok());
    // The crash: a copy of the file as it is, with half a gzip member after it.
    original = ReadAll(Files(".open").at(0));
    std::string copy = (dir_ / "crashed.warc.gz.open").string();
    std::vector<size_t> offsets;
    ASSERT_EQ(Members(original, &offsets).size(), 3u);
    std::ofstream(copy, std::ios::binary) << original << original.substr(0, offsets[1] / 2);
  }
  auto recovered = WarcWriter::Recover(dir_.string());
  ASSERT_TRUE(recovered.ok()) << recovered.status().ToString();
  EXPECT_EQ(recovered.value(), 1);
  ASSERT_TRUE(fs::exists(dir_ / "crashed.warc.gz"));
  std::string kept = ReadAll(dir_ / "crashed.warc.gz");
  EXPECT_EQ(kept.size(), original.size());
  EXPECT_TRUE(kept == original) << "cut exactly after the last complete record";
  EXPECT_EQ(Members(kept).size(), 3u);  // warcinfo, response, request
}

TEST_F(WarcWriterTest, AnUnwritableDirectoryIsAnErrorNamingIt) {
  auto w = WarcWriter::Open(Settings("/proc/nianbao-archive", 1 << 20, "nianbao/test", ""));
  ASSERT_FALSE(w.ok());
  EXPECT_NE(w.status().message().find("/proc/nianbao-archive"), std::string::npos);
}

// warcio (webrecorder's reader, installed by scripts/install-deps.sh into tests/tools) reads
// every record, and the payload it reads has the digest the record states.
TEST_F(WarcWriterTest, AnIndependentReaderReadsEveryRecordAndItsDigest) {
  const std::string body1 = "<html><body>洛碛镇2020年政府信息公开工作年度报告</body></html>";
  {
    auto w = WarcWriter::Open(Settings(dir_.string(), 1 << 20, "nianbao/test", "sources.toml"));
    ASSERT_TRUE(w.ok());
    ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t1.html", body1)).ok());
    ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t2.html", "<p>二</p>")).ok());
    ASSERT_TRUE(w.value()->Write(Exchange("http://x.gov.cn/t3.html", body1)).ok());
  }
  const std::string script = std::string(NIANBAO_FIXTURES) + "/../archive/read_warc.mjs";
  const std::string tools = std::string(NIANBAO_FIXTURES) + "/../tools/node_modules/warcio";
  ASSERT_TRUE(fs::exists(tools)) << "warcio is missing: run scripts/install-deps.sh";
  std::string cmd = "node " + script + " " + Files(".warc.gz").at(0).string() + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  int status = pclose(p);
  ASSERT_EQ(status, 0) << out;
  std::vector<nlohmann::json> lines;
  std::istringstream in(out);
  for (std::string line; std::getline(in, line);) lines.push_back(nlohmann::json::parse(line));
  ASSERT_EQ(lines.size(), 7u) << out;
  int responses = 0, revisits = 0;
  for (const auto& l : lines) {
    if (l["type"] == "response") {
      ++responses;
      EXPECT_EQ(l["status"], 200);
      EXPECT_EQ(l["payload_digest"], "sha256:" + l["payload_sha256"].get<std::string>())
          << "the payload warcio reads has the digest the record states";
    }
    if (l["type"] == "revisit") {
      ++revisits;
      EXPECT_EQ(l["refers_to"], lines[1]["id"]);
      EXPECT_EQ(l["payload_digest"], lines[1]["payload_digest"]);
    }
  }
  EXPECT_EQ(responses, 2);
  EXPECT_EQ(revisits, 1);
  EXPECT_EQ(lines[1]["payload_bytes"], body1.size());
}

}  // namespace
}  // namespace nianbao::archive
