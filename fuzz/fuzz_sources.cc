// Fuzz target: crawler::ParseSources on arbitrary text, as the daemon reads a sources file at
// start-up and on SIGHUP. It must return a Status for every input and never throw (toml++
// and RE2 are behind it); an accepted file must satisfy what the header promises.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>
#include <string_view>

#include "crawler/sources.h"
#include "fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using nianbao::fuzz::Check;
  using nianbao::fuzz::Fail;
  namespace crawler = nianbao::crawler;

  const std::string_view text(reinterpret_cast<const char*>(data), size);
  try {
    const auto result = crawler::ParseSources(text, "fuzz.toml");
    if (!result.ok()) {
      Check(!result.status().message().empty(), "ParseSources: error without a message");
      return 0;
    }
    const crawler::SourcesConfig& config = result.value();
    Check(!config.sources.empty(), "ParseSources: accepted a file without sources");
    for (const crawler::Source& source : config.sources) {
      Check(!source.name.empty(), "ParseSources: accepted a source without a name");
      Check(!source.entry.empty() || !source.portal.empty(),
            "ParseSources: accepted a source without entry URLs or portal");
    }
    // The helpers it is built on, on the same bytes.
    crawler::Seconds seconds{};
    if (crawler::ParseDuration(text, &seconds)) {
      Check(seconds.count() >= 0, "ParseDuration: negative duration");
    }
    int64_t bytes = 0;
    if (crawler::ParseSize(text, &bytes)) Check(bytes >= 0, "ParseSize: negative size");
  } catch (const std::exception& e) {
    std::fprintf(stderr, "exception: %s\n", e.what());
    Fail("ParseSources threw");
  }
  return 0;
}
