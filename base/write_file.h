// Replacing a small file whole (a snapshot, a list of keys), atomically: the bytes go to a
// temporary file beside it, are synced, and the temporary file is renamed over the path, so
// a reader, or a restart after a crash, finds the old file or the new one, never half of one.
//
// Plain function; no state. Threading: safe from any thread; two writers of one path must
// not overlap (they share the temporary file's name).
#pragma once

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <string>
#include <string_view>
#include <system_error>

#include "base/status.h"

namespace nianbao {

// Ok, or IoError "PATH: why" (the system's reason for the step that failed: a full disk
// fails the write or the sync, and the old file stays).
inline Status WriteFileAtomically(const std::string& path, std::string_view bytes) {
  const std::string tmp = path + ".tmp";
  const int fd = ::open(tmp.c_str(), O_WRONLY | O_TRUNC | O_CREAT | O_CLOEXEC, 0600);
  if (fd < 0) return Status::IoError(tmp + ": " + std::generic_category().message(errno));
  size_t done = 0;
  bool ok = true;
  while (ok && done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    ok = n >= 0;
    if (ok) done += static_cast<size_t>(n);
  }
  ok = ok && ::fsync(fd) == 0;
  const int err = errno;
  ::close(fd);
  if (!ok) {
    ::unlink(tmp.c_str());
    return Status::IoError(path + ": " + std::generic_category().message(err));
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int rename_err = errno;
    ::unlink(tmp.c_str());
    return Status::IoError(path + ": " + std::generic_category().message(rename_err));
  }
  return Status::Ok();
}

}  // namespace nianbao
