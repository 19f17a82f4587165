// What this build of nianbao is: the version `git describe` gave at build time, and the
// versions of the libraries it runs with. Printed by `nianbao --version` (and -V), exported as
// the `nianbao_build_info` metric's `version` label, and named in every WARC warcinfo record
// (`software: nianbao/<version>`), so that an operator can tell which commit produced a record.
//
// BuildVersion() is defined in a source file that cmake/build_version.cmake generates at build
// time; the rest is build_info.cc. Owned by no one (free functions over constants and the
// libraries' own version calls). Threading: any thread.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nianbao::app {

// `git describe --tags --always --dirty` of the source tree at build time ("v0.2.0-3-gabc1234",
// "abc1234-dirty"); the project version ("0.1.0", base/version.h) when built outside a git
// checkout.
std::string_view BuildVersion();

// (library, version) of the main libraries, as each reports itself at run time where it can
// (libcurl, librdkafka, poppler, SQLite, OpenSSL) and as compiled in otherwise (Boost, spdlog,
// Gumbo, which has no version call).
std::vector<std::pair<std::string, std::string>> LibraryVersions();

// What `nianbao --version` prints: "nianbao <BuildVersion()>" on the first line, the parser's
// revision and parser_version on the second, then one line per library.
std::string VersionText();

}  // namespace nianbao::app
