// Logging: one named spdlog logger per component, all in one format at one level.
//
// Every component takes its logger from Logger("crawler"), Logger("ingest"),
// Logger("sinks.kafka"), ... (the daemon's own is "nianbao"). All of them write to stderr
// through one shared sink (stdout belongs to the stdout sink's JSON Lines), so lines of two
// components never interleave. ConfigureLogging() sets the format and the level of every
// logger, those already created and those created later (spdlog's registry applies its
// formatter and level to each new logger), and may be called again (on SIGHUP) to change them.
//
//   text  2024-03-01 10:00:00.123 info  crawler: message
//   json  {"time":"2024-03-01T10:00:00.123Z","level":"info","logger":"crawler","msg":"message"}
//
// Under systemd, when stderr is the journal ($JOURNAL_STREAM names stderr's device and inode,
// systemd.exec(5)), each line starts with its syslog priority, "<3>" for an error, "<4>" a
// warning, "<6>" info, "<7>" debug and trace (sd-daemon.h's SD_ERR ... SD_DEBUG): journald
// strips the prefix and files the line under that priority, so `journalctl -p warning` shows
// warnings and errors. Anywhere else lines carry no prefix.
//
// The parser does not log (it is pure) and does not link this target.
//
// Owner: the process (spdlog's registry is process-wide). Threading: Logger() and the loggers
// may be used from any thread (they are the _mt kind); ConfigureLogging() from any thread,
// typically the daemon's loop at start and on SIGHUP.
#pragma once

#include <spdlog/spdlog.h>

#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace nianbao {

struct LogSettings {
  std::string format = "text";  // "text" for people, "json" for log shippers (one object a line)
  std::string level = "info";   // "trace", "debug", "info", "warn" or "error"
};

// The logger `component`, created on first use with the configured format and level (text at
// info before any ConfigureLogging()). Never throws; never returns null.
std::shared_ptr<spdlog::logger> Logger(std::string_view component);

// Applies `settings` to every logger, present and future, and makes Logger("nianbao") spdlog's
// default logger. Checks stderr against $JOURNAL_STREAM on each call. Errors: InvalidArgument
// naming an unknown format or level (nothing is changed then).
Status ConfigureLogging(const LogSettings& settings);

// Whether stderr is the journal: $JOURNAL_STREAM is "DEV:INODE" of the file stderr refers to.
bool StderrIsJournal();

}  // namespace nianbao
