#include "app/process_metrics.h"

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <system_error>

namespace nianbao::app {
namespace {

// The boot time in Unix seconds ("btime" of /proc/stat): a process's start time in its stat
// line counts clock ticks since boot.
std::optional<double> BootTime() {
  std::ifstream in("/proc/stat");
  std::string key;
  while (in >> key) {
    if (key == "btime") {
      double btime = 0;
      if (in >> btime) return btime;
      return std::nullopt;
    }
    in.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

}  // namespace

std::optional<ProcessStats> ReadProcessStats() {
  std::ifstream in("/proc/self/stat");
  std::string line;
  if (!std::getline(in, line)) return std::nullopt;
  // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so the fields are
  // counted from the last ')'.
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 1));
  // Fields after comm, numbered as in proc(5): 3 state ... 14 utime, 15 stime, 22 starttime,
  // 24 rss.
  std::string f;
  double utime = 0, stime = 0, starttime = 0, rss = 0;
  for (int n = 3; n <= 24 && fields >> f; ++n) {
    try {
      if (n == 14) utime = std::stod(f);
      if (n == 15) stime = std::stod(f);
      if (n == 22) starttime = std::stod(f);
      if (n == 24) rss = std::stod(f);
    } catch (...) {
      return std::nullopt;
    }
  }
  const long ticks = sysconf(_SC_CLK_TCK);
  const long page = sysconf(_SC_PAGESIZE);
  const auto boot = BootTime();
  if (ticks <= 0 || page <= 0 || !boot) return std::nullopt;

  ProcessStats s;
  s.cpu_seconds = (utime + stime) / static_cast<double>(ticks);
  s.resident_bytes = rss * static_cast<double>(page);
  s.start_time_seconds = *boot + starttime / static_cast<double>(ticks);
  std::error_code ec;
  double fds = 0;
  for (std::filesystem::directory_iterator it("/proc/self/fd", ec), end; !ec && it != end;
       it.increment(ec)) {
    ++fds;
  }
  if (ec) return std::nullopt;
  // The iterator's own descriptor is counted once; the number is the daemon's as it runs.
  s.open_fds = fds;
  return s;
}

}  // namespace nianbao::app
