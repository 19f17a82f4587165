// A scratch directory for a test: nianbao-NAME-PID-N under the system's temp directory, left
// over from an earlier run removed first, removed with everything in it in the destructor.
// The pid keeps apart the test binaries that ctest runs at the same time (one process a test
// case), N the directories of one process.
//
// Owned by the test that declares it (a fixture member or a local): declare it before what
// keeps files open in it, so that those close before it is removed. Threading: the test's
// thread; only the counter of N is shared.
#pragma once

#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace nianbao::testing {

class ScratchDir {
 public:
  // kEmpty: the directory exists and is empty. kAbsent: it does not exist yet, for the code
  // under test to create (a state directory, a sink's output directory).
  enum class Start { kEmpty, kAbsent };

  explicit ScratchDir(std::string_view name, Start start = Start::kEmpty)
      : path_(std::filesystem::temp_directory_path() /
              ("nianbao-" + std::string(name) + "-" + std::to_string(::getpid()) + "-" +
               std::to_string(counter_++))) {
    std::filesystem::remove_all(path_);
    if (start == Start::kEmpty) std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ignored;  // a destructor does not throw: what cannot be removed stays
    std::filesystem::remove_all(path_, ignored);
  }
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::string str() const { return path_.string(); }
  // The path of `name` in the directory (not created).
  std::string Path(std::string_view name) const { return (path_ / name).string(); }
  // Writes `text` to the file `name` in the directory; its path.
  std::string Write(std::string_view name, std::string_view text) const {
    std::ofstream(path_ / name, std::ios::binary) << text;
    return Path(name);
  }

 private:
  std::filesystem::path path_;
  static inline std::atomic<int> counter_{0};
};

}  // namespace nianbao::testing
