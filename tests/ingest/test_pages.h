// Pages for the ingest tests: a seed report read from tests/fixtures/seeds, and a fetched
// page carrying a body as the crawler hands it on (hashed, fetched now, plain text).
#pragma once

#include <chrono>
#include <fstream>
#include <sstream>
#include <string>

#include "base/page.h"
#include "parser/parser.h"

namespace nianbao::testing {

inline std::string SeedText(const std::string& name) {
  std::ifstream in(std::string(NIANBAO_FIXTURES) + "/seeds/" + name, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline FetchedPage TextPage(const std::string& source, const std::string& url, std::string body) {
  FetchedPage p;
  p.source = source;
  p.url = url;
  p.final_url = url;
  p.status = 200;
  p.content_type = "text/plain; charset=utf-8";
  p.body = std::move(body);
  p.sha256 = parser::Sha256Hex(p.body);
  p.fetched_at = std::chrono::system_clock::now();
  return p;
}

}  // namespace nianbao::testing
