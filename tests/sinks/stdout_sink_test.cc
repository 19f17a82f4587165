// StdoutSink: the same lines as the file sink, on a stream; stream errors through done.
#include "sinks/stdout_sink.h"

#include <gtest/gtest.h>

#include <cstdio>
#include <string>

#include "sinks/json_lines.h"
#include "tests/sinks/kafka_test_util.h"

namespace nianbao::sinks {
namespace {

using namespace std::chrono_literals;
using testing::DoneLog;
using testing::MakeBatch;

TEST(StdoutSinkTest, WritesTheBatchesLinesToTheStream) {
  std::FILE* out = std::tmpfile();
  ASSERT_NE(out, nullptr);
  auto r = StdoutSink::Create({.out = out});
  ASSERT_TRUE(r.ok());
  auto sink = std::move(r).value();
  DoneLog log;
  Batch b0 = MakeBatch(0);
  Batch b1 = MakeBatch(1);
  const std::string expected = FormatJsonLines(b0) + FormatJsonLines(b1);
  ASSERT_TRUE(sink->TrySubmit(b0, log.For("b0")));
  ASSERT_TRUE(sink->TrySubmit(b1, log.For("b1")));
  ASSERT_TRUE(sink->Close(5s).ok());
  ASSERT_EQ(log.count(), 2u);
  for (const auto& [id, s] : log.calls()) EXPECT_TRUE(s.ok()) << id;
  EXPECT_EQ(sink->stats().batches_written, 2u);

  std::rewind(out);
  std::string got(expected.size() + 10, '\0');
  got.resize(std::fread(got.data(), 1, got.size(), out));
  std::fclose(out);
  EXPECT_EQ(got, expected);
}

TEST(StdoutSinkTest, AStreamErrorIsReportedThroughDone) {
  std::FILE* in = std::fopen("/dev/null", "r");  // not writable
  ASSERT_NE(in, nullptr);
  auto sink = std::move(StdoutSink::Create({.out = in})).value();
  DoneLog log;
  Batch b = MakeBatch(0);
  ASSERT_TRUE(sink->TrySubmit(b, log.For("b")));
  ASSERT_TRUE(log.WaitForCalls(1, 5s));
  EXPECT_EQ(log.calls()[0].second.code(), Status::Code::kIoError);
  EXPECT_EQ(sink->stats().write_errors, 1u);
  EXPECT_TRUE(sink->Close(1s).ok());
  std::fclose(in);
}

}  // namespace
}  // namespace nianbao::sinks
