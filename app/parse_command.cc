#include "app/parse_command.h"

#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iostream>
#include <vector>

#include "base/status.h"
#include "parser/history.h"
#include "parser/parser.h"
#include "parser/record_json.h"

namespace nianbao::app {
namespace {

// Reads a whole regular file, refusing anything over max_bytes before reading it.
Result<std::string> ReadFileCapped(const std::string& path, std::size_t max_bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) {
    return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  }
  if (S_ISDIR(st.st_mode))
    return Status::InvalidArgument("cannot read " + path + ": is a directory");
  if (!S_ISREG(st.st_mode))
    return Status::InvalidArgument("cannot read " + path + ": not a regular file");
  if (static_cast<std::size_t>(st.st_size) > max_bytes) {
    return Status::TooLarge("cannot read " + path + ": " + std::to_string(st.st_size) +
                            " bytes is over the size limit of " + std::to_string(max_bytes) +
                            " bytes (--max-bytes)");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::IoError("cannot read " + path + ": " + std::strerror(errno));
  std::string bytes;
  bytes.resize(static_cast<std::size_t>(st.st_size));
  in.read(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  if (in.bad()) return Status::IoError("cannot read " + path + ": read error");
  bytes.resize(static_cast<std::size_t>(in.gcount()));
  // A file that grew after stat() is still held to the limit.
  if (in.peek() != std::char_traits<char>::eof()) {
    return Status::TooLarge("cannot read " + path + ": over the size limit of " +
                            std::to_string(max_bytes) + " bytes (--max-bytes)");
  }
  return bytes;
}

bool IsAbsoluteHttpUrl(const std::string& url) {
  std::string lower;
  for (char c : url.substr(0, 8))
    lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  size_t host = lower.rfind("http://", 0) == 0 ? 7 : lower.rfind("https://", 0) == 0 ? 8 : 0;
  if (host == 0 || host >= url.size()) return false;
  if (url[host] == '/' || url[host] == '?' || url[host] == '#') return false;
  return url.find_first_of(" \t\r\n") == std::string::npos;
}

// The rules across years (parser/history.h) between the files given: every report of year N
// is checked against each report of the same organisation on year N−1 among them, and the
// findings go with year N's.
void AddFindingsAcrossYears(std::vector<parser::ParseOutput>* outputs) {
  std::vector<parser::YearSummary> summaries;
  summaries.reserve(outputs->size());
  for (const auto& out : *outputs) summaries.push_back(parser::SummarizeYear(out));
  for (size_t now = 0; now < summaries.size(); ++now) {
    for (size_t last = 0; last < summaries.size(); ++last) {
      if (last == now) continue;
      for (auto& f : parser::CheckAcrossYears(summaries[last], summaries[now])) {
        (*outputs)[now].findings.push_back(std::move(f));
      }
    }
  }
}

}  // namespace

int RunParseCommand(const ParseCommandOptions& options) {
  if (!options.url.empty() && !IsAbsoluteHttpUrl(options.url)) {
    // report_id is derived from the URL: anything else would give reports meaningless ids.
    std::cerr << "nianbao parse: --url " << options.url
              << ": not an absolute http(s) URL with a host\n";
    return 2;
  }
  int failures = 0;
  parser::ParseOptions parse_options;
  parse_options.max_bytes = options.max_bytes;
  parse_options.max_document_bytes = options.max_document_bytes;
  // The format, and so which limit applies, is known only from the bytes: read up to the
  // larger, and Parse() holds each format to its own.
  std::size_t max_read = std::max(options.max_bytes, options.max_document_bytes);
  // Every file is parsed before any is printed: the rules across years pair the files of one
  // organisation whatever order they come in.
  std::vector<parser::ParseOutput> outputs;
  for (const auto& file : options.files) {
    auto bytes = ReadFileCapped(file, max_read);
    if (!bytes.ok()) {
      std::cerr << "nianbao parse: " << bytes.status().message() << "\n";
      ++failures;
      continue;
    }
    parser::ParseInput input;
    input.bytes = bytes.value();
    input.url = options.url;
    input.content_type = options.content_type;
    auto out = parser::Parse(input, parse_options);
    if (!out.ok()) {
      std::cerr << "nianbao parse: cannot parse " << file << ": " << out.status().message() << "\n";
      ++failures;
      continue;
    }
    for (const auto& f : out.value().findings) {
      if (f.rule == "meta.unreadable_document") {
        std::cerr << "nianbao parse: cannot read " << file << ": " << f.message << "\n";
        ++failures;
      }
    }
    outputs.push_back(std::move(out).value());
  }
  AddFindingsAcrossYears(&outputs);
  for (const auto& out : outputs) {
    auto json = parser::ToJson(out);
    std::cout << json.dump(options.pretty ? 2 : -1, ' ', false,
                           nlohmann::ordered_json::error_handler_t::replace)
              << "\n";
  }
  std::cout.flush();
  return failures == 0 ? 0 : 1;
}

}  // namespace nianbao::app
