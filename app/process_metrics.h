// Process metrics: what the Prometheus client libraries export as process_* for every daemon
// (CPU time, resident memory, open descriptors, start time), read from Linux's /proc.
//
// Ownership: a plain function; the daemon's metrics sampler calls it once a second.
// Threading: any thread (it only reads files under /proc/self).
#pragma once

#include <optional>

namespace nianbao::app {

struct ProcessStats {
  double cpu_seconds = 0;         // user + system time (/proc/self/stat utime + stime)
  double resident_bytes = 0;      // resident set size (/proc/self/stat rss pages)
  double open_fds = 0;            // entries of /proc/self/fd
  double start_time_seconds = 0;  // Unix time the process started (stat starttime + btime)
};

// nullopt when /proc cannot be read (not Linux, /proc not mounted): the metrics then stay
// absent instead of showing zeros.
std::optional<ProcessStats> ReadProcessStats();

}  // namespace nianbao::app
