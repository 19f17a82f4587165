// Library versions for `nianbao --version`; see build_info.h.
#include "app/build_info.h"

#include <curl/curl.h>
#include <librdkafka/rdkafka.h>
#include <openssl/crypto.h>
#include <poppler/cpp/poppler-version.h>
#include <spdlog/version.h>
#include <sqlite3.h>

#include <boost/version.hpp>

#include "parser/version.h"

#ifndef NIANBAO_GUMBO_VERSION
#error "NIANBAO_GUMBO_VERSION must be defined by the build (pkg-config's version of gumbo)"
#endif

namespace nianbao::app {

namespace {

std::string OrUnknown(const char* s) { return s != nullptr ? std::string(s) : "unknown"; }

std::string CurlVersion() {
  const curl_version_info_data* info = curl_version_info(CURLVERSION_NOW);
  if (info == nullptr) return "unknown";
  std::string v = OrUnknown(info->version);
  if (info->ssl_version != nullptr) v += std::string(" (") + info->ssl_version + ")";
  return v;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> LibraryVersions() {
  // BOOST_LIB_VERSION is "1_74": the usual spelling is with a dot.
  std::string boost = BOOST_LIB_VERSION;
  for (char& c : boost)
    if (c == '_') c = '.';
  return {
      {"libcurl", CurlVersion()},
      {"librdkafka", OrUnknown(rd_kafka_version_str())},
      {"poppler-cpp", poppler::version_string()},
      {"SQLite", OrUnknown(sqlite3_libversion())},
      {"OpenSSL", OrUnknown(OpenSSL_version(OPENSSL_VERSION_STRING))},
      {"Gumbo", NIANBAO_GUMBO_VERSION " (built with)"},
      {"Boost", boost + " (built with)"},
      {"spdlog", std::to_string(SPDLOG_VER_MAJOR) + "." + std::to_string(SPDLOG_VER_MINOR) + "." +
                     std::to_string(SPDLOG_VER_PATCH) + " (built with)"},
  };
}

std::string VersionText() {
  std::string text = "nianbao " + std::string(BuildVersion()) + "\n";
  text += "parser revision " + std::to_string(parser::kParserRevision) + " (parser_version " +
          parser::ParserVersion() + ")\n";
  for (const auto& [name, version] : LibraryVersions()) text += name + " " + version + "\n";
  text.pop_back();  // CLI11 ends the version text with its own newline
  return text;
}

}  // namespace nianbao::app
