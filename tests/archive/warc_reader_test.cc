// The WARC reader: the writer's files read back record by record, revisits as written, a
// record read by its offset, plain (uncompressed) WARC, HTTP blocks, and damaged files: a
// truncated gzip member, a corrupt one, a Content-Length that lies, a file that is not WARC.
// Each damage is one error naming the file and the offset, and the other records still read.
// The damaged files are written here byte by byte, so the offsets expected are known.
#include "archive/warc_reader.h"

#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <vector>

#include "archive/warc_writer.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::archive {
namespace {

namespace fs = std::filesystem;

class WarcReaderTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return scratch_.Path(name); }
  testing::ScratchDir scratch_{"warc-reader"};
  const fs::path dir_ = scratch_.path();
};

std::string Gzip(const std::string& data) {
  z_stream z{};
  EXPECT_EQ(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY), Z_OK);
  std::string out(deflateBound(&z, data.size()) + 64, '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  EXPECT_EQ(deflate(&z, Z_FINISH), Z_STREAM_END);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

// A WARC record with `length` as its Content-Length (the block's true length when -1).
std::string Record(const std::string& type, const std::string& uri, const std::string& block,
                   long length = -1) {
  return "WARC/1.1\r\nWARC-Type: " + type + "\r\nWARC-Target-URI: " + uri +
         "\r\nWARC-Record-ID: <urn:uuid:" + type + uri.substr(uri.size() - 1) +
         ">\r\nContent-Length: " +
         std::to_string(length < 0 ? static_cast<long>(block.size()) : length) + "\r\n\r\n" +
         block + "\r\n\r\n";
}

std::string Response(const std::string& body) {
  return "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\n\r\n" + body;
}

void WriteFile(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

struct ReadResult {
  std::vector<WarcRecord> records;
  std::vector<std::string> errors;
};

ReadResult ReadAll(const std::string& path) {
  ReadResult out;
  auto reader = WarcReader::Open(path);
  EXPECT_TRUE(reader.ok()) << reader.status().message();
  if (!reader.ok()) return out;
  for (int guard = 0; guard < 100; ++guard) {
    WarcRecord rec;
    auto got = reader.value()->Next(&rec);
    if (!got.ok()) {
      out.errors.push_back(got.status().message());
      continue;
    }
    if (!got.value()) break;
    out.records.push_back(std::move(rec));
  }
  return out;
}

TEST_F(WarcReaderTest, ReadsTheWritersFilesWithRevisitsAndOffsets) {
  // Given two fetches of the same payload and one of another, written by the writer
  WarcSettings ws;
  ws.dir = dir_.string();
  auto writer = WarcWriter::Open(ws);
  ASSERT_TRUE(writer.ok());
  WarcExchange e;
  e.target_uri = "http://a.gov.cn/r1.html";
  e.date = std::chrono::system_clock::from_time_t(1611036000);
  e.request = "GET /r1.html HTTP/1.1\r\nHost: a.gov.cn\r\n\r\n";
  e.status_line = "HTTP/1.1 200 OK";
  e.headers = {{"content-type", "text/html; charset=utf-8"}};
  std::string first = "<p>一、总体情况</p>";
  e.body = first;
  auto w1 = writer.value()->Write(e);
  e.target_uri = "http://a.gov.cn/r1-copy.html";
  auto w2 = writer.value()->Write(e);
  std::string second = "<p>二、主动公开</p>";
  e.body = second;
  auto w3 = writer.value()->Write(e);
  ASSERT_TRUE(w1.ok() && w2.ok() && w3.ok());
  ASSERT_TRUE(writer.value()->Close().ok());
  std::string path = Path(w1.value().file);

  // When the file is read
  ReadResult r = ReadAll(path);

  // Then: warcinfo, then response/request, revisit/request, response/request; no error
  EXPECT_TRUE(r.errors.empty());
  ASSERT_EQ(r.records.size(), 7u);
  std::vector<std::string> types;
  for (const auto& rec : r.records) types.emplace_back(rec.type());
  EXPECT_EQ(types, (std::vector<std::string>{"warcinfo", "response", "request", "revisit",
                                             "request", "response", "request"}));
  const WarcRecord& resp = r.records[1];
  EXPECT_EQ(resp.target_uri(), "http://a.gov.cn/r1.html");
  EXPECT_EQ(resp.date(), "2021-01-19T06:00:00Z");
  EXPECT_EQ(resp.offset, w1.value().offset);
  auto http = ParseHttpResponse(resp.block);
  ASSERT_TRUE(http.ok());
  EXPECT_EQ(http.value().status, 200);
  EXPECT_EQ(http.value().Header("Content-Type"), "text/html; charset=utf-8");
  EXPECT_EQ(http.value().body, first);
  // The revisit names the first response and holds no body.
  const WarcRecord& revisit = r.records[3];
  EXPECT_EQ(revisit.offset, w2.value().offset);
  EXPECT_EQ(revisit.Field("WARC-Refers-To"), resp.record_id());
  auto head = ParseHttpResponse(revisit.block);
  ASSERT_TRUE(head.ok());
  EXPECT_TRUE(head.value().body.empty());
  // A record is read again from its offset alone.
  auto again = WarcReader::ReadAt(path, w3.value().offset);
  ASSERT_TRUE(again.ok()) << again.status().message();
  EXPECT_EQ(again.value().type(), "response");
  EXPECT_EQ(ParseHttpResponse(again.value().block).value().body, second);
}

TEST_F(WarcReaderTest, ATruncatedLastMemberIsOneErrorAfterTheCompleteRecords) {
  std::string a = Gzip(Record("response", "http://a/1", Response("one")));
  std::string b = Gzip(Record("response", "http://a/2", Response("two")));
  std::string path = Path("cut.warc.gz");
  WriteFile(path, a + b.substr(0, b.size() / 2));

  ReadResult r = ReadAll(path);

  ASSERT_EQ(r.records.size(), 1u);
  EXPECT_EQ(r.records[0].target_uri(), "http://a/1");
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find(path + ": offset " + std::to_string(a.size())), std::string::npos)
      << r.errors[0];
  EXPECT_NE(r.errors[0].find("ends inside"), std::string::npos) << r.errors[0];
}

TEST_F(WarcReaderTest, ACorruptMemberIsSkippedAndTheNextRecordsRead) {
  std::string a = Gzip(Record("response", "http://a/1", Response("one")));
  std::string b = Gzip(Record("response", "http://a/2", Response(std::string(300, 'x'))));
  std::string c = Gzip(Record("response", "http://a/3", Response("three")));
  // The deflate data of b garbled right after its 10-byte gzip header.
  for (size_t i = 10; i < 30; ++i) b[i] = static_cast<char>(0xff);
  std::string path = Path("corrupt.warc.gz");
  WriteFile(path, a + b + c);

  ReadResult r = ReadAll(path);

  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].target_uri(), "http://a/1");
  EXPECT_EQ(r.records[1].target_uri(), "http://a/3");
  EXPECT_EQ(r.records[1].offset, static_cast<int64_t>(a.size() + b.size()));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find(path + ": offset " + std::to_string(a.size()) + ": corrupt gzip"),
            std::string::npos)
      << r.errors[0];
}

TEST_F(WarcReaderTest, AContentLengthThatLiesIsAnErrorAndTheOthersRead) {
  std::string ok1 = Gzip(Record("response", "http://a/1", Response("one")));
  std::string longer = Gzip(Record("response", "http://a/2", Response("two"), 500));
  std::string shorter = Gzip(Record("response", "http://a/3", Response("three"), 10));
  std::string ok2 = Gzip(Record("response", "http://a/4", Response("four")));
  std::string path = Path("lies.warc.gz");
  WriteFile(path, ok1 + longer + shorter + ok2);

  ReadResult r = ReadAll(path);

  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].target_uri(), "http://a/1");
  EXPECT_EQ(r.records[1].target_uri(), "http://a/4");
  ASSERT_EQ(r.errors.size(), 2u);
  EXPECT_NE(r.errors[0].find(": offset " + std::to_string(ok1.size()) + ": Content-Length 500"),
            std::string::npos)
      << r.errors[0];
  EXPECT_NE(r.errors[1].find(": offset " + std::to_string(ok1.size() + longer.size()) +
                             ": the record does not end where its Content-Length (10) says"),
            std::string::npos)
      << r.errors[1];
}

TEST_F(WarcReaderTest, AFileThatIsNotWarcIsOneErrorAtOffsetZero) {
  std::string text = Path("notes.txt");
  WriteFile(text, "just some notes\r\n\r\nnothing else\r\n");
  std::string gz = Path("data.gz");
  WriteFile(gz, Gzip("a,b,c\r\n1,2,3\r\n\r\n") + Gzip("more"));

  for (const auto& path : {text, gz}) {
    ReadResult r = ReadAll(path);
    EXPECT_TRUE(r.records.empty());
    ASSERT_EQ(r.errors.size(), 1u) << path;
    EXPECT_NE(r.errors[0].find(path + ": offset 0: not a WARC file"), std::string::npos)
        << r.errors[0];
  }
  auto missing = WarcReader::Open(Path("absent.warc.gz"));
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.status().message().find("absent.warc.gz"), std::string::npos);
}

TEST_F(WarcReaderTest, ReadsUncompressedWarcAndGoesOnAfterALyingLength) {
  std::string r1 = Record("response", "http://a/1", Response("one"));
  std::string bad = Record("response", "http://a/2", Response("two"), 5);
  std::string r3 = Record("response", "http://a/3", Response("three"));
  std::string path = Path("plain.warc");
  WriteFile(path, r1 + bad + r3);

  ReadResult r = ReadAll(path);

  ASSERT_EQ(r.records.size(), 2u);
  EXPECT_EQ(r.records[0].target_uri(), "http://a/1");
  EXPECT_EQ(r.records[0].offset, 0);
  EXPECT_EQ(r.records[1].target_uri(), "http://a/3");
  EXPECT_EQ(r.records[1].offset, static_cast<int64_t>(r1.size() + bad.size()));
  ASSERT_EQ(r.errors.size(), 1u);
  EXPECT_NE(r.errors[0].find(": offset " + std::to_string(r1.size())), std::string::npos)
      << r.errors[0];
  auto at = WarcReader::ReadAt(path, static_cast<int64_t>(r1.size() + bad.size()));
  ASSERT_TRUE(at.ok()) << at.status().message();
  EXPECT_EQ(ParseHttpResponse(at.value().block).value().body, "three");
}

TEST(HttpBlockTest, DecodesChunkedAndGzipBodiesAsOtherCrawlersStoreThem) {
  std::string gz = Gzip("<p>报告</p>");
  std::string chunked;
  char size[16];
  std::snprintf(size, sizeof size, "%zx", gz.size() - 5);
  chunked += std::string(size) + "\r\n" + gz.substr(0, gz.size() - 5) + "\r\n";
  chunked += "5\r\n" + gz.substr(gz.size() - 5) + "\r\n0\r\n\r\n";
  std::string block =
      "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n"
      "Content-Encoding: gzip\r\n\r\n" +
      chunked;
  auto http = ParseHttpResponse(block);
  ASSERT_TRUE(http.ok());
  auto body = DecodedBody(http.value(), 1 << 20);
  ASSERT_TRUE(body.ok()) << body.status().message();
  EXPECT_EQ(body.value(), "<p>报告</p>");
  EXPECT_FALSE(DecodedBody(http.value(), 4).ok());  // over the cap
  EXPECT_FALSE(ParseHttpResponse("GET / HTTP/1.1\r\n\r\n").ok());
  auto not_found = ParseHttpResponse("HTTP/1.0 404 Not Found\r\n\r\ngone");
  ASSERT_TRUE(not_found.ok());
  EXPECT_EQ(not_found.value().status, 404);
  EXPECT_EQ(not_found.value().body, "gone");
}

}  // namespace
}  // namespace nianbao::archive
