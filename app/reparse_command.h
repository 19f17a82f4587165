// `nianbao reparse [--config FILE] [--state-dir DIR] [--dry-run] [--since DATE]
//                  [--source NAME] [ARCHIVE_DIR_OR_FILE...]`:
// today's parser over the pages of a WARC archive (nianbao's own, or any standard WARC of
// report pages), and what changed since they were published (docs/archive.md, "Reparse").
//
//   pass 1: every file, record by record ──► per report URL: the record to read again
//           (the page last delivered, by its SHA-256 in the state; else the latest 200)
//   pass 2: per URL: the record (a revisit followed to its payload) ──► parser::Parse
//           ──► fingerprint vs the state's ──► changed: a JSON line on stdout, and without
//           --dry-run report.reparsed through the configured sinks, then the state
//
// What was published comes from the daemon's state (STATE_DIR/state.db: each report page's
// delivered fingerprint, SHA-256 and version); a URL the state does not know counts as new.
// The previous parser is the one named by the archive file's warcinfo. Memory: one record at
// a time plus a small index entry per response record.
//
// Exit status: 0 when every file was read (damaged records are reported on stderr and
// skipped) and every change published; 1 when a file could not be opened or a publication
// failed; 2 for a usage, config or state error.
// Threading: the main thread does everything; the sinks call back from their own threads.
#pragma once

#include <string>
#include <vector>

namespace nianbao::app {

struct ReparseCommandOptions {
  std::string config;     // the daemon's config: sinks, topics, state dir, archive dir
  std::string state_dir;  // overrides the config's; "" and no config: nothing to compare with
  bool dry_run = false;   // print what changed, publish nothing, change no state
  std::string since;      // YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ: only records from then on
  std::string source;     // only the pages of this source (needs the state)
  std::vector<std::string> paths;  // WARC files and directories; none: the config's archive
  // For tests: findings of these rules are left out, as if the rules had changed
  // (parser::ParseOptions::disabled_rules).
  std::vector<std::string> test_disable_rules;
};

int RunReparseCommand(const ReparseCommandOptions& options);

}  // namespace nianbao::app
