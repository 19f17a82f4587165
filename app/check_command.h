// `nianbao check --config FILE`: validates the daemon's configuration and the sources file it
// names, as `run` would load them, and starts nothing (no state, no sink, no listener). For
// ExecStartPre= and editors.
//
// Exit status: 0 with a one-line summary on stdout; 2 with the first error on stderr as
// "FILE:LINE: message" (the format `run` reports, without a prefix, so that editors and
// compilers' error parsers find the place).
// Threading: runs on the calling thread only.
#pragma once

#include <string>

namespace nianbao::app {

struct CheckCommandOptions {
  std::string config;
};

int RunCheckCommand(const CheckCommandOptions& options);

}  // namespace nianbao::app
