// FileSink: line format, rotation, durability errors reported through done, all-or-nothing.
#include "sinks/file_sink.h"

#include <gtest/gtest.h>
#include <spdlog/sinks/ostream_sink.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/json_lines.h"
#include "sinks/line_sink_core.h"
#include "tests/sinks/kafka_test_util.h"
#include "tests/support/scratch_dir.h"

namespace nianbao::sinks {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using testing::DoneLog;
using testing::MakeBatch;

class FileSinkTest : public ::testing::Test {
 protected:
  std::unique_ptr<FileSink> MakeSink(FileSink::Options o) {
    auto r = FileSink::Create(std::move(o));
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? std::move(r).value() : nullptr;
  }

  // Submits and waits for its done; returns the status.
  static Status Write(FileSink& sink, Batch b) {
    DoneLog log;
    const std::string id = b.id;
    if (!sink.TrySubmit(b, log.For(id))) return Status::Internal("refused");
    if (!log.WaitForCalls(1, 10s)) return Status::Internal("no done");
    return log.calls()[0].second;
  }

  static std::string Slurp(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
  }

  static std::vector<std::string> Lines(const std::string& text) {
    std::vector<std::string> out;
    std::stringstream ss(text);
    for (std::string line; std::getline(ss, line);) out.push_back(line);
    return out;
  }

  std::vector<fs::path> Files() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(dir_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  nianbao::testing::ScratchDir scratch_{"file-sink", nianbao::testing::ScratchDir::Start::kAbsent};
  const fs::path dir_ = scratch_.path();
};

TEST_F(FileSinkTest, WritesOneJsonLinePerMessageInOrder) {
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  Batch b0 = MakeBatch(0);
  Batch b1 = MakeBatch(1);
  b1.messages[1].value = "not json {";  // kept as a string
  const std::vector<Batch> sent = {b0, b1};
  DoneLog log;
  ASSERT_TRUE(sink->TrySubmit(b0, log.For("b0")));
  ASSERT_TRUE(sink->TrySubmit(b1, log.For("b1")));
  ASSERT_TRUE(sink->Close(5s).ok());
  ASSERT_EQ(log.count(), 2u);
  for (const auto& [id, s] : log.calls()) EXPECT_TRUE(s.ok()) << id << s.ToString();

  ASSERT_EQ(Files().size(), 1u);
  EXPECT_EQ(Files()[0].filename(), "nianbao-000001.jsonl");
  EXPECT_EQ(sink->current_path(), Files()[0].string());
  const std::vector<std::string> lines = Lines(Slurp(Files()[0]));
  ASSERT_EQ(lines.size(), 8u);
  size_t i = 0;
  for (const Batch& b : sent) {
    for (const Message& m : b.messages) {
      const std::string& line = lines[i++];
      const auto j = nlohmann::ordered_json::parse(line, nullptr, false);
      ASSERT_FALSE(j.is_discarded()) << line;
      std::vector<std::string> keys;
      for (const auto& item : j.items()) keys.push_back(item.key());
      EXPECT_EQ(keys, (std::vector<std::string>{"topic", "key", "headers", "value"}));
      EXPECT_EQ(j["topic"], m.topic);
      EXPECT_EQ(j["key"], m.key);
      ASSERT_EQ(j["headers"].size(), m.headers.size());
      for (const Header& h : m.headers) EXPECT_EQ(j["headers"][h.key], h.value);
      const auto value = nlohmann::ordered_json::parse(m.value, nullptr, false);
      if (value.is_discarded()) {
        EXPECT_EQ(j["value"], m.value);  // raw string
      } else {
        EXPECT_EQ(j["value"], value);  // the JSON itself, not a string holding it
        EXPECT_TRUE(j["value"].is_object());
      }
    }
  }
  const FileSinkStats st = sink->stats();
  EXPECT_EQ(st.batches_written, 2u);
  EXPECT_EQ(st.bytes_written, fs::file_size(Files()[0]));
}

TEST_F(FileSinkTest, RotatesAtTheSizeLimitAndKeepsMaxFiles) {
  const size_t batch_bytes = FormatJsonLines(MakeBatch(0)).size();
  // Two batches (same size up to a digit or two) fit in a file, a third does not.
  auto sink = MakeSink(
      {.dir = dir_.string(), .max_bytes = 2 * batch_bytes + 10, .max_files = 3, .fsync = false});
  ASSERT_TRUE(sink);
  for (int i = 0; i < 10; ++i) ASSERT_TRUE(Write(*sink, MakeBatch(i)).ok()) << i;
  ASSERT_TRUE(sink->Close(5s).ok());

  const std::vector<fs::path> files = Files();
  ASSERT_EQ(files.size(), 3u);
  EXPECT_EQ(files[0].filename(), "nianbao-000003.jsonl");
  EXPECT_EQ(files[2].filename(), "nianbao-000005.jsonl");
  EXPECT_EQ(sink->stats().rotations, 4u);
  // The newest files hold the newest batches, whole and in order: 4 5 | 6 7 | 8 9.
  int expect = 4;
  for (const fs::path& f : files) {
    EXPECT_LE(fs::file_size(f), 2 * batch_bytes + 10) << f;
    const std::vector<std::string> lines = Lines(Slurp(f));
    ASSERT_EQ(lines.size(), 8u) << f;
    for (size_t i = 0; i < lines.size(); i += 4, ++expect) {
      const auto j = nlohmann::json::parse(lines[i]);
      EXPECT_EQ(j["value"]["n"], expect) << f;
    }
  }
}

TEST_F(FileSinkTest, ContinuesTheNewestFileAfterARestartUnlessItEndsInAPartialLine) {
  {
    auto sink = MakeSink({.dir = dir_.string(), .fsync = false});
    ASSERT_TRUE(Write(*sink, MakeBatch(0)).ok());
    ASSERT_TRUE(sink->Close(1s).ok());
  }
  {
    auto sink = MakeSink({.dir = dir_.string(), .fsync = false});
    ASSERT_TRUE(Write(*sink, MakeBatch(1)).ok());
    ASSERT_TRUE(sink->Close(1s).ok());
  }
  ASSERT_EQ(Files().size(), 1u);
  EXPECT_EQ(Lines(Slurp(Files()[0])).size(), 8u);
  {
    std::ofstream(Files()[0], std::ios::app) << "{\"topic\":\"torn";  // a crash mid-write
    auto sink = MakeSink({.dir = dir_.string(), .fsync = false});
    ASSERT_TRUE(Write(*sink, MakeBatch(2)).ok());
    ASSERT_TRUE(sink->Close(1s).ok());
  }
  ASSERT_EQ(Files().size(), 2u);
  EXPECT_EQ(Lines(Slurp(Files()[1])).size(), 4u);
}

TEST_F(FileSinkTest, UnwritableDirectoryGivesIoErrorThroughDoneAndRecovers) {
  // The directory path is taken by a regular file: nothing can be created under it (as root
  // too, unlike a chmod).
  { std::ofstream(dir_) << "in the way"; }
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  const Status s = Write(*sink, MakeBatch(0));
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  EXPECT_NE(s.message().find(dir_.string()), std::string::npos) << s.message();
  EXPECT_EQ(sink->stats().write_errors, 1u);

  fs::remove(dir_);
  EXPECT_TRUE(Write(*sink, MakeBatch(1)).ok());  // retried at every batch
  EXPECT_TRUE(sink->Close(1s).ok());
}

TEST_F(FileSinkTest, DiskFullGivesIoError) {
  fs::create_directories(dir_);
  fs::create_symlink("/dev/full", dir_ / "nianbao-000001.jsonl");  // every write: ENOSPC
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  const Status s = Write(*sink, MakeBatch(0));
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  EXPECT_NE(s.message().find("No space left on device"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("nianbao-000001.jsonl"), std::string::npos) << s.message();
  EXPECT_TRUE(sink->Close(1s).ok());
}

TEST_F(FileSinkTest, DiskFullErrorsAreCountedAndLoggedOncePerInterval) {
  fs::create_directories(dir_);
  fs::create_symlink("/dev/full", dir_ / "nianbao-000001.jsonl");
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  // The sink's log, captured for the test.
  std::ostringstream log;
  auto capture = std::make_shared<spdlog::sinks::ostream_sink_mt>(log);
  auto logger = spdlog::get("sinks.file");
  ASSERT_TRUE(logger);
  logger->sinks().push_back(capture);
  constexpr int kBatches = 20;
  for (int i = 0; i < kBatches; ++i) EXPECT_FALSE(Write(*sink, MakeBatch(i)).ok());
  EXPECT_TRUE(sink->Close(1s).ok());
  logger->sinks().pop_back();
  // Every failure counted; one error line for the burst (written well within 10 s), not one
  // per batch.
  EXPECT_EQ(sink->stats().write_errors, static_cast<uint64_t>(kBatches));
  int lines = 0;
  for (const auto& l : Lines(log.str())) lines += l.find("not written") != std::string::npos;
  EXPECT_EQ(lines, 1) << log.str();
}

TEST(ErrorLogLimiterTest, OneLinePerIntervalWithTheCountOfWhatItStandsFor) {
  using internal::ErrorLogLimiter;
  ErrorLogLimiter limiter(10s);
  const auto t0 = ErrorLogLimiter::Clock::time_point{} + 1h;
  EXPECT_EQ(limiter.Error(t0), 1u);  // the first error is logged at once
  for (int i = 1; i <= 5; ++i) EXPECT_EQ(limiter.Error(t0 + i * 1s), 0u);  // held back
  EXPECT_EQ(limiter.Error(t0 + 10s), 6u);  // the five held back and this one
  EXPECT_EQ(limiter.Error(t0 + 11s), 0u);
  EXPECT_EQ(limiter.Success(), 1u);        // recovery: one error was never logged
  EXPECT_EQ(limiter.Error(t0 + 12s), 1u);  // a new failure after a recovery is logged at once
}

TEST_F(FileSinkTest, ABatchIsAllOrNothing) {
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  ASSERT_TRUE(Write(*sink, MakeBatch(0)).ok());
  const fs::path file = sink->current_path();
  const std::string before = Slurp(file);

  // Given a file size limit in the middle of the next batch: write(2) takes part of the batch,
  // then fails with EFBIG (SIGXFSZ ignored, as a daemon would).
  const size_t batch_bytes = FormatJsonLines(MakeBatch(1)).size();
  struct rlimit old {};
  ASSERT_EQ(::getrlimit(RLIMIT_FSIZE, &old), 0);
  auto* old_handler = std::signal(SIGXFSZ, SIG_IGN);
  struct rlimit limited = old;
  limited.rlim_cur = before.size() + batch_bytes / 2;
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &limited), 0);
  const Status s = Write(*sink, MakeBatch(1));
  ASSERT_EQ(::setrlimit(RLIMIT_FSIZE, &old), 0);
  std::signal(SIGXFSZ, old_handler);

  // Then the batch is reported and none of it stays in the file.
  EXPECT_EQ(s.code(), Status::Code::kIoError) << s.ToString();
  EXPECT_EQ(Slurp(file), before);
  // And the next batch goes right after the previous complete one.
  ASSERT_TRUE(Write(*sink, MakeBatch(2)).ok());
  EXPECT_EQ(Slurp(file), before + FormatJsonLines(MakeBatch(2)));
  EXPECT_TRUE(sink->Close(1s).ok());
}

TEST_F(FileSinkTest, RejectsBadOptionsAndRefusesAfterClose) {
  EXPECT_FALSE(FileSink::Create({}).ok());
  EXPECT_FALSE(FileSink::Create({.dir = dir_.string(), .base_name = "a/b"}).ok());
  EXPECT_FALSE(FileSink::Create({.dir = dir_.string(), .max_bytes = 0}).ok());
  auto sink = MakeSink({.dir = dir_.string()});
  ASSERT_TRUE(sink);
  EXPECT_TRUE(sink->Close(1s).ok());
  Batch b = MakeBatch(0);
  DoneLog log;
  EXPECT_FALSE(sink->TrySubmit(b, log.For(b.id)));
  EXPECT_EQ(b.messages.size(), 4u);
}

TEST(JsonLinesTest, InvalidUtf8StillMakesValidJson) {
  Message m{"t", std::string("k\xff", 2), std::string("\"v\xfe\"", 4), {{"h", "\xc3"}}};
  const std::string line = FormatJsonLine(m);
  ASSERT_EQ(line.back(), '\n');
  const auto j = nlohmann::json::parse(line, nullptr, false);
  ASSERT_FALSE(j.is_discarded()) << line;
  EXPECT_EQ(j["key"], "k\xEF\xBF\xBD");
}

TEST(JsonLinesTest, AJsonValueIsWrittenAsItsBytesAre) {
  // Escapes and number spellings that a parse and dump would rewrite ("é", 100.0) stay as sent.
  Message m{"t", "k", R"({"a":"\u00e9","n":1E2})", {{"h", "v"}}};
  EXPECT_EQ(FormatJsonLine(m),
            "{\"topic\":\"t\",\"key\":\"k\",\"headers\":{\"h\":\"v\"},"
            "\"value\":{\"a\":\"\\u00e9\",\"n\":1E2}}\n");
  // Compact JSON (what nianbao publishes) gives the same line as ever.
  Message compact{"nianbao.reports", "id1", R"({"x":[1,2],"y":"年","z":null})", {}};
  EXPECT_EQ(FormatJsonLine(compact),
            "{\"topic\":\"nianbao.reports\",\"key\":\"id1\",\"headers\":{},"
            "\"value\":{\"x\":[1,2],\"y\":\"年\",\"z\":null}}\n");
}

TEST(JsonLinesTest, ValuesOnSeveralLinesOrNotJsonStayOneLine) {
  Message pretty{"t", "k", "{\n  \"a\": 1\n}", {}};
  EXPECT_EQ(FormatJsonLine(pretty),
            "{\"topic\":\"t\",\"key\":\"k\",\"headers\":{},\"value\":{\"a\":1}}\n");
  Message text{"t", "k", "plain text", {}};
  EXPECT_EQ(FormatJsonLine(text),
            "{\"topic\":\"t\",\"key\":\"k\",\"headers\":{},\"value\":\"plain text\"}\n");
}

}  // namespace
}  // namespace nianbao::sinks
