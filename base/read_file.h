// Reading a small file (a configuration or sources file) whole, with a bound on its size,
// so that a path to /dev/zero or a log file given by mistake is refused instead of read
// without end.
//
// Plain function; no state. Threading: safe from any thread.
#pragma once

#include <cerrno>
#include <cstdio>
#include <string>
#include <system_error>

#include "base/status.h"

namespace nianbao {

// The file's bytes, or IoError "cannot read PATH: why" (the system's reason, or, past
// `max_bytes`, "larger than <what_limit>, not <what_file>").
inline Result<std::string> ReadFileCapped(const std::string& path, size_t max_bytes,
                                          const std::string& what_limit,
                                          const std::string& what_file) {
  const auto io_error = [&](const std::string& why) {
    return Status::IoError("cannot read " + path + ": " + why);
  };
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) return io_error(std::generic_category().message(errno));
  std::string text;
  char buffer[1 << 16];
  size_t n = 0;
  while (text.size() <= max_bytes && (n = std::fread(buffer, 1, sizeof buffer, file)) > 0) {
    text.append(buffer, n);
  }
  const int read_errno = std::ferror(file) ? errno : 0;
  std::fclose(file);
  if (read_errno != 0) return io_error(std::generic_category().message(read_errno));
  if (text.size() > max_bytes) return io_error("larger than " + what_limit + ", not " + what_file);
  return text;
}

}  // namespace nianbao
