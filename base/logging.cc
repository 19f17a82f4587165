#include "base/logging.h"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <mutex>

namespace nianbao {
namespace {

constexpr std::string_view kTextPattern = "%Y-%m-%d %H:%M:%S.%e %^%-5l%$ %n: %v";
constexpr std::string_view kJsonPattern =
    R"({"time":"%Y-%m-%dT%H:%M:%S.%eZ","level":"%l","logger":"%n","msg":"%*"})";
// The syslog priority prefix, prepended under the journal.
constexpr std::string_view kPriorityFlag = "%~";

struct LevelName {
  std::string_view name;
  spdlog::level::level_enum level;
  int priority;  // syslog priority for the journal (sd-daemon.h)
};
constexpr LevelName kLevels[] = {
    {"trace", spdlog::level::trace, 7},       {"debug", spdlog::level::debug, 7},  // SD_DEBUG
    {"info", spdlog::level::info, 6},                                              // SD_INFO
    {"warn", spdlog::level::warn, 4},                                              // SD_WARNING
    {"error", spdlog::level::err, 3},                                              // SD_ERR
    {"critical", spdlog::level::critical, 2},                                      // SD_CRIT
};

const LevelName* FindLevel(std::string_view name) {
  for (const auto& l : kLevels) {
    if (l.name == name) return &l;
  }
  return nullptr;
}

int PriorityOf(spdlog::level::level_enum level) {
  for (const auto& l : kLevels) {
    if (l.level == level) return l.priority;
  }
  return 6;
}

// "<N>": the line's syslog priority, which journald takes from the start of a line.
class PriorityPrefix : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    const char prefix[] = {'<', static_cast<char>('0' + PriorityOf(msg.level)), '>'};
    dest.append(prefix, prefix + sizeof prefix);
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<PriorityPrefix>();
  }
};

// The message escaped as the contents of a JSON string.
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
 public:
  void format(const spdlog::details::log_msg& msg, const std::tm&,
              spdlog::memory_buf_t& dest) override {
    for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
      switch (c) {
        case '"':
          dest.append(std::string_view("\\\""));
          break;
        case '\\':
          dest.append(std::string_view("\\\\"));
          break;
        case '\n':
          dest.append(std::string_view("\\n"));
          break;
        case '\r':
          dest.append(std::string_view("\\r"));
          break;
        case '\t':
          dest.append(std::string_view("\\t"));
          break;
        default:
          if (static_cast<unsigned char>(c) < 0x20) {
            char buf[8];
            std::snprintf(buf, sizeof buf, "\\u%04x", static_cast<unsigned>(c));
            dest.append(std::string_view(buf));
          } else {
            dest.push_back(c);
          }
      }
    }
  }
  std::unique_ptr<custom_flag_formatter> clone() const override {
    return std::make_unique<JsonEscapedMessage>();
  }
};

std::unique_ptr<spdlog::formatter> MakeFormatter(bool json, bool journal) {
  // JSON time is UTC (the "Z"); text time is local, for people at the console.
  auto f = std::make_unique<spdlog::pattern_formatter>(json ? spdlog::pattern_time_type::utc
                                                            : spdlog::pattern_time_type::local);
  std::string pattern = journal ? std::string(kPriorityFlag) : std::string();
  pattern += json ? kJsonPattern : kTextPattern;
  f->add_flag<JsonEscapedMessage>('*').add_flag<PriorityPrefix>('~').set_pattern(pattern);
  return f;
}

// One sink for every logger: its mutex keeps the lines of two components whole.
std::shared_ptr<spdlog::sinks::sink> StderrSink() {
  static const auto sink = std::make_shared<spdlog::sinks::stderr_color_sink_mt>();
  return sink;
}

std::mutex& RegistryMutex() {
  static std::mutex mu;
  return mu;
}

// Serialises our get-or-create and configuration; spdlog's registry has its own lock.
// Before any ConfigureLogging(), the registry gets the text format (with the journal's
// prefix when stderr is the journal) so that early lines look like later ones.
void EnsureDefaultsLocked() {
  static bool done = false;
  if (done) return;
  done = true;
  spdlog::set_formatter(MakeFormatter(/*json=*/false, StderrIsJournal()));
}

std::shared_ptr<spdlog::logger> LoggerLocked(const std::string& name) {
  EnsureDefaultsLocked();
  if (auto logger = spdlog::get(name)) return logger;
  auto logger = std::make_shared<spdlog::logger>(name, StderrSink());
  try {
    spdlog::initialize_logger(logger);  // the registry's formatter and level; registers it
  } catch (const std::exception&) {
    // Registered by someone who bypassed Logger() in the meantime: use theirs.
    if (auto registered = spdlog::get(name)) return registered;
  }
  return logger;
}

}  // namespace

bool StderrIsJournal() {
  const char* env = std::getenv("JOURNAL_STREAM");
  if (env == nullptr) return false;
  uintmax_t dev = 0;
  uintmax_t ino = 0;
  int consumed = 0;
  if (std::sscanf(env, "%" SCNuMAX ":%" SCNuMAX "%n", &dev, &ino, &consumed) != 2 ||
      env[consumed] != '\0') {
    return false;
  }
  struct stat st {};
  if (fstat(STDERR_FILENO, &st) != 0) return false;
  return static_cast<uintmax_t>(st.st_dev) == dev && static_cast<uintmax_t>(st.st_ino) == ino;
}

std::shared_ptr<spdlog::logger> Logger(std::string_view component) {
  std::lock_guard<std::mutex> lock(RegistryMutex());
  return LoggerLocked(std::string(component));
}

Status ConfigureLogging(const LogSettings& settings) {
  if (settings.format != "text" && settings.format != "json") {
    return Status::InvalidArgument("log format \"" + settings.format +
                                   "\": expected \"text\" or \"json\"");
  }
  const LevelName* level = FindLevel(settings.level);
  if (level == nullptr) {
    return Status::InvalidArgument("log level \"" + settings.level +
                                   "\": expected trace, debug, info, warn or error");
  }
  std::lock_guard<std::mutex> lock(RegistryMutex());
  EnsureDefaultsLocked();
  // set_formatter and set_level apply to every registered logger and are kept by the registry
  // for those that initialize_logger() sets up later.
  spdlog::set_formatter(MakeFormatter(settings.format == "json", StderrIsJournal()));
  spdlog::set_level(level->level);
  spdlog::set_default_logger(LoggerLocked("nianbao"));
  return Status::Ok();
}

}  // namespace nianbao
