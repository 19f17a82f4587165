// nianbao: collects government information-disclosure annual reports (政府信息公开工作年度报告),
// checks them against the official forms, and streams records and findings.
//
// This file only parses the command line and dispatches to a subcommand; each subcommand
// lives in its own file of app/. Configuration errors are reported here, once, with a
// clear message and a non-zero exit. Exit status of a usage error (unknown option or
// subcommand, missing or invalid argument): 2; --help and --version (-V): 0.
#include <CLI/CLI.hpp>
#include <iostream>

#include "app/build_info.h"
#include "app/check_command.h"
#include "app/crawl_command.h"
#include "app/discover_command.h"
#include "app/parse_command.h"
#include "app/reparse_command.h"
#include "app/run_command.h"
#include "app/sources_command.h"

int main(int argc, char** argv) {
  CLI::App app{"nianbao: collects and checks government information-disclosure annual reports"};
  app.require_subcommand(1);
  app.failure_message(CLI::FailureMessage::help);
  app.set_version_flag("-V,--version", nianbao::app::VersionText(),
                       "Print the version (git describe at build time), the parser revision and "
                       "the libraries' versions, then exit");

  nianbao::app::ParseCommandOptions parse;
  CLI::App* parse_cmd = app.add_subcommand("parse",
                                           "Parse local report files (HTML, text, DOCX, DOC/WPS, "
                                           "PDF, OFD) and print one JSON line per file");
  parse_cmd->add_option("files", parse.files, "Report files")->required();
  parse_cmd->add_option("--url", parse.url, "URL the file was fetched from (sets report_id)");
  parse_cmd->add_option("--content-type", parse.content_type,
                        "Content-Type to assume, e.g. 'text/html; charset=gbk'");
  parse_cmd->add_option("--max-bytes", parse.max_bytes, "Refuse files larger than this")
      ->check(CLI::PositiveNumber);
  parse_cmd
      ->add_option("--max-document-bytes", parse.max_document_bytes,
                   "Refuse documents (DOCX, DOC/WPS, PDF, OFD) larger than this")
      ->check(CLI::PositiveNumber);
  parse_cmd->add_flag("--pretty", parse.pretty, "Indent the JSON (not one line per file)");

  nianbao::app::CrawlCommandOptions crawl;
  CLI::App* crawl_cmd = app.add_subcommand(
      "crawl", "Crawl the sources' annual-report columns (one pass with --once)");
  crawl_cmd->add_option("--sources", crawl.sources, "Sources file (TOML)")->required();
  crawl_cmd->add_option("--state-dir", crawl.state_dir,
                        "State directory (default: [global].state_dir of the sources file)");
  crawl_cmd->add_flag("--once", crawl.once, "One pass over every source, then exit");
  crawl_cmd->add_flag("--print-pages", crawl.print_pages,
                      "Print one JSON line per fetched report page");
  crawl_cmd->add_option("--source", crawl.only, "Crawl only this source (repeatable)");
  crawl_cmd->add_option("--fetch-log", crawl.fetch_log,
                        "Append one JSON line per fetch attempt (nianbao.fetch.v1) to this file");

  nianbao::app::RunCommandOptions run;
  CLI::App* run_cmd =
      app.add_subcommand("run", "The daemon: crawl, parse, check and publish (systemd service)");
  run_cmd->add_option("--config", run.config, "Configuration file (TOML, docs/config.md)")
      ->required();
  run_cmd->add_flag("--once", run.once, "One pass over every source, deliver, then stop");
  run_cmd->add_option("--linger", run.linger_s,
                      "With --once and the embedded Kafka: seconds to keep it up for readers");

  nianbao::app::CheckCommandOptions check;
  CLI::App* check_cmd = app.add_subcommand(
      "check", "Validate the daemon's configuration and its sources file, start nothing");
  check_cmd->add_option("--config", check.config, "Configuration file (TOML, docs/config.md)")
      ->required();

  nianbao::app::ReparseCommandOptions reparse;
  CLI::App* reparse_cmd = app.add_subcommand(
      "reparse", "Run today's parser over a WARC archive; publish what changed as report.reparsed");
  reparse_cmd->add_option("paths", reparse.paths,
                          "WARC files or directories (default: the config's archive directory)");
  reparse_cmd->add_option("--config", reparse.config,
                          "The daemon's configuration file: sinks, topics, state (docs/config.md)");
  reparse_cmd->add_option("--state-dir", reparse.state_dir,
                          "State directory to compare with (default: the config's)");
  reparse_cmd->add_flag("--dry-run", reparse.dry_run,
                        "Print what would change; publish nothing, change no state");
  reparse_cmd->add_option("--since", reparse.since,
                          "Only records fetched from then on (YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)");
  reparse_cmd->add_option("--source", reparse.source, "Only the pages of this source");
  reparse_cmd
      ->add_option("--test-disable-rule", reparse.test_disable_rules,
                   "For tests: leave out this rule's findings (stands for a rule change)")
      ->expected(1)
      ->multi_option_policy(CLI::MultiOptionPolicy::TakeAll);
  nianbao::app::DiscoverCommandOptions discover;
  CLI::App* discover_cmd = app.add_subcommand(
      "discover", "Find the annual-report column of portals and write sources (TOML) on stdout");
  discover_cmd->add_option("urls", discover.urls, "Portal home pages or 政府信息公开 pages");
  discover_cmd->add_option("--csv", discover.csv, "CSV of units: name, portal URL");
  discover_cmd->add_option("--sources", discover.sources,
                           "Sources file whose [global] and [defaults] to fetch with");

  nianbao::app::SourcesCommandOptions sources;
  CLI::App* sources_cmd =
      app.add_subcommand("sources", "Check a sources file, or test one source's lists");
  sources_cmd->require_subcommand(1);
  CLI::App* sources_check = sources_cmd->add_subcommand(
      "check", "Parse and validate a sources file (and its includes); start nothing");
  sources_check->add_option("file", sources.file, "Sources file (TOML)")->required();
  CLI::App* sources_test = sources_cmd->add_subcommand(
      "test", "Read a source's lists once and print every link with its verdict");
  sources_test->add_option("file", sources.file, "Sources file (TOML)")->required();
  sources_test->add_option("--source", sources.only, "Only this source (repeatable)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version arrive here too, with exit code 0: print and succeed. Every other
    // parse error is a usage error and exits 2, as getopt tools do (not CLI11's 105..109).
    return app.exit(e) == 0 ? 0 : 2;
  }
  if (parse_cmd->parsed()) return nianbao::app::RunParseCommand(parse);
  if (crawl_cmd->parsed()) return nianbao::app::RunCrawlCommand(crawl);
  if (run_cmd->parsed()) return nianbao::app::RunDaemon(run);
  if (check_cmd->parsed()) return nianbao::app::RunCheckCommand(check);
  if (reparse_cmd->parsed()) return nianbao::app::RunReparseCommand(reparse);
  if (discover_cmd->parsed()) return nianbao::app::RunDiscoverCommand(discover);
  if (sources_check->parsed()) return nianbao::app::RunSourcesCheck(sources);
  if (sources_test->parsed()) return nianbao::app::RunSourcesTest(sources);
  return 2;
}
