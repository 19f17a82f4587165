// base/logging: every logger, created before or after ConfigureLogging(), gets the configured
// format and level; the sinks' loggers are among them; the journal's priority prefix appears
// exactly when stderr is the stream $JOURNAL_STREAM names.
//
// The loggers write to stderr; gtest's CaptureStderr points file descriptor 2 at a temporary
// file, which also gives the test a stderr with a device and inode of its own for
// $JOURNAL_STREAM.
#include "base/logging.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "sinks/file_sink.h"
#include "sinks/stdout_sink.h"
#include "tests/support/scratch_dir.h"

namespace nianbao {
namespace {

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// "DEV:INODE" of what file descriptor 2 is now.
std::string StderrDevIno() {
  struct stat st {};
  EXPECT_EQ(fstat(STDERR_FILENO, &st), 0);
  return std::to_string(st.st_dev) + ":" + std::to_string(st.st_ino);
}

class LoggingTest : public ::testing::Test {
 protected:
  void SetUp() override { unsetenv("JOURNAL_STREAM"); }
  void TearDown() override {
    unsetenv("JOURNAL_STREAM");
    ASSERT_TRUE(ConfigureLogging({}).ok());
  }
};

TEST_F(LoggingTest, LoggerCreatedAfterConfigurationGetsTheJsonFormatAndLevel) {
  // Given JSON at warn, when a logger is created afterwards and logs at info and warn,
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(ConfigureLogging({.format = "json", .level = "warn"}).ok());
  auto logger = Logger("test.after");
  logger->info("not shown");
  logger->warn("shown \"quoted\"\tand tabbed");
  const auto lines = Lines(::testing::internal::GetCapturedStderr());
  // then only the warning is printed, as one JSON object naming the logger.
  ASSERT_EQ(lines.size(), 1u);
  const auto j = nlohmann::json::parse(lines[0]);
  EXPECT_EQ(j.at("logger"), "test.after");
  EXPECT_EQ(j.at("level"), "warning");
  EXPECT_EQ(j.at("msg"), "shown \"quoted\"\tand tabbed");
  EXPECT_TRUE(j.contains("time"));
}

TEST_F(LoggingTest, LoggerCreatedBeforeConfigurationIsReconfigured) {
  auto logger = Logger("test.before");
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(ConfigureLogging({.format = "json", .level = "debug"}).ok());
  logger->debug("debug line");
  const auto lines = Lines(::testing::internal::GetCapturedStderr());
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(lines[0]).at("msg"), "debug line");
}

TEST_F(LoggingTest, SinkLoggersPrintJsonInJsonMode) {
  // Given the sinks, whose constructors take their loggers before logging is configured,
  const testing::ScratchDir dir("logging-test", testing::ScratchDir::Start::kAbsent);
  auto file = sinks::FileSink::Create({.dir = dir.str()});
  ASSERT_TRUE(file.ok()) << file.status().message();
  std::FILE* devnull = std::fopen("/dev/null", "w");
  ASSERT_NE(devnull, nullptr);
  auto out = sinks::StdoutSink::Create({.out = devnull});
  ASSERT_TRUE(out.ok()) << out.status().message();
  // when JSON at error is configured,
  ::testing::internal::CaptureStderr();
  ASSERT_TRUE(ConfigureLogging({.format = "json", .level = "error"}).ok());
  for (const char* name : {"sinks.file", "sinks.stdout", "sinks.kafka"}) {
    auto logger = Logger(name);
    logger->warn("below the level");
    logger->error("from {}", name);
  }
  const auto lines = Lines(::testing::internal::GetCapturedStderr());
  // then each of their lines is a JSON object, and the level holds for them too.
  ASSERT_EQ(lines.size(), 3u);
  for (size_t i = 0; i < lines.size(); ++i) {
    const auto j = nlohmann::json::parse(lines[i]);
    const std::string name = j.at("logger");
    EXPECT_EQ(name.rfind("sinks.", 0), 0u) << lines[i];
    EXPECT_EQ(j.at("msg"), "from " + name);
    EXPECT_EQ(j.at("level"), "error");
  }
  (void)out.value()->Close(std::chrono::milliseconds(100));
  (void)file.value()->Close(std::chrono::milliseconds(100));
  std::fclose(devnull);
}

TEST_F(LoggingTest, PriorityPrefixOnlyWhenJournalStreamMatchesStderr) {
  auto logger = Logger("test.journal");
  struct Case {
    const char* journal_stream;  // nullptr: unset; "": stderr's own
    bool prefixed;
  };
  for (const Case& c :
       {Case{"", true}, Case{"1:2", false}, Case{"garbage", false}, Case{nullptr, false}}) {
    ::testing::internal::CaptureStderr();
    if (c.journal_stream == nullptr) {
      unsetenv("JOURNAL_STREAM");
    } else {
      const std::string value = *c.journal_stream ? c.journal_stream : StderrDevIno();
      setenv("JOURNAL_STREAM", value.c_str(), 1);
    }
    ASSERT_TRUE(ConfigureLogging({.format = "text", .level = "debug"}).ok());
    logger->debug("d");
    logger->info("i");
    logger->warn("w");
    logger->error("e");
    const auto lines = Lines(::testing::internal::GetCapturedStderr());
    const std::string name = c.journal_stream ? c.journal_stream : "(unset)";
    ASSERT_EQ(lines.size(), 4u) << name;
    if (c.prefixed) {
      EXPECT_EQ(lines[0].substr(0, 3), "<7>") << lines[0];  // SD_DEBUG
      EXPECT_EQ(lines[1].substr(0, 3), "<6>") << lines[1];  // SD_INFO
      EXPECT_EQ(lines[2].substr(0, 3), "<4>") << lines[2];  // SD_WARNING
      EXPECT_EQ(lines[3].substr(0, 3), "<3>") << lines[3];  // SD_ERR
    } else {
      for (const auto& line : lines) EXPECT_NE(line.front(), '<') << name << ": " << line;
    }
    EXPECT_NE(lines[3].find("test.journal: e"), std::string::npos) << lines[3];
  }
}

TEST_F(LoggingTest, UnknownFormatOrLevelIsRefusedByName) {
  Status s = ConfigureLogging({.format = "xml", .level = "info"});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("xml"), std::string::npos) << s.message();
  s = ConfigureLogging({.format = "text", .level = "verbose"});
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("verbose"), std::string::npos) << s.message();
}

}  // namespace
}  // namespace nianbao
