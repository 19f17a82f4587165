// The small-file helpers of base/: ReadFileCapped and WriteFileAtomically, on a scratch
// directory of the test's own.
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <string>

#include "base/read_file.h"
#include "base/write_file.h"
#include "tests/support/scratch_dir.h"

namespace nianbao {
namespace {

class FilesTest : public ::testing::Test {
 protected:
  std::string Path(const std::string& name) const { return dir_.Path(name); }

  testing::ScratchDir dir_{"files-test"};
};

TEST_F(FilesTest, WriteReplacesTheWholeFileAndLeavesNoTemporary) {
  ASSERT_TRUE(WriteFileAtomically(Path("a.json"), "first, and longer").ok());
  ASSERT_TRUE(WriteFileAtomically(Path("a.json"), "second").ok());
  auto text = ReadFileCapped(Path("a.json"), 1024, "1 KiB", "a test file");
  ASSERT_TRUE(text.ok()) << text.status().ToString();
  EXPECT_EQ(text.value(), "second");
  EXPECT_FALSE(std::filesystem::exists(Path("a.json.tmp")));
  struct stat st {};
  ASSERT_EQ(::stat(Path("a.json").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);  // what a daemon keeps is its own
}

TEST_F(FilesTest, AWriteThatFailsSaysWhereAndKeepsTheOldFile) {
  ASSERT_TRUE(WriteFileAtomically(Path("b.json"), "old").ok());
  // The path is a directory: the rename over it fails, the temporary file goes.
  std::filesystem::create_directories(Path("c.json"));
  Status s = WriteFileAtomically(Path("c.json"), "new");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find(Path("c.json")), std::string::npos) << s.message();
  EXPECT_FALSE(std::filesystem::exists(Path("c.json.tmp")));
  // No such directory: nothing is written anywhere.
  s = WriteFileAtomically(Path("missing/d.json"), "new");
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("No such file or directory"), std::string::npos) << s.message();
  auto old = ReadFileCapped(Path("b.json"), 1024, "1 KiB", "a test file");
  ASSERT_TRUE(old.ok());
  EXPECT_EQ(old.value(), "old");
}

TEST_F(FilesTest, ReadRefusesWhatIsTooLargeOrMissing) {
  ASSERT_TRUE(WriteFileAtomically(Path("big"), std::string(2048, 'x')).ok());
  auto big = ReadFileCapped(Path("big"), 1024, "1 KiB", "a snapshot");
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().message(),
            "cannot read " + Path("big") + ": larger than 1 KiB, not a snapshot");
  auto none = ReadFileCapped(Path("none"), 1024, "1 KiB", "a snapshot");
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.status().message().find("No such file or directory"), std::string::npos);
}

}  // namespace
}  // namespace nianbao
