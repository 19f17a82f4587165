// `nianbao sources check FILE` and `nianbao sources test FILE [--source NAME]...`: tools for
// writing a sources file.
//
// check: parses and validates a sources file and the files it includes, and starts nothing
// (for systemd's ExecStartPre and for editors). Exit status: 0 when the file is valid (one
// line "FILE: ok: N sources" on stdout); 1 when it is not, or cannot be read ("FILE:LINE:
// message" on stderr, the first mistake); 2 for a usage error.
//
// test: reads the lists of the named sources (every source without --source) once, through
// the crawler with its politeness and robots.txt, fetching no report page and keeping no
// state, and prints every link of every list page with its verdict, one tab-separated line
// each: source, verdict, URL, link text, list page. Verdicts: "report", "pagination (…)",
// "excluded by exclude_text '…'", "ignored: …" (another host, an attachment, report_url or
// report_text not matching). A summary line per source goes to stderr. Exit status: 0 after
// the pass; 1 when no source's list could be read; 2 for a bad file or a usage error.
// Threading: the calling thread (test: it runs the event loop).
#pragma once

#include <string>
#include <vector>

namespace nianbao::app {

struct SourcesCommandOptions {
  std::string file;
  std::vector<std::string> only;  // test --source NAME; empty = every source
};

int RunSourcesCheck(const SourcesCommandOptions& options);
int RunSourcesTest(const SourcesCommandOptions& options);

}  // namespace nianbao::app
