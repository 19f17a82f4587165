#include "sinks/stdout_sink.h"

#include <spdlog/fmt/fmt.h>

#include <cerrno>
#include <system_error>
#include <utility>

#include "sinks/line_sink_core.h"

namespace nianbao::sinks {

Result<std::unique_ptr<StdoutSink>> StdoutSink::Create(Options options) {
  if (options.queue_capacity == 0) {
    return Status::InvalidArgument("stdout sink: queue_capacity is 0");
  }
  return std::unique_ptr<StdoutSink>(new StdoutSink(options));
}

StdoutSink::StdoutSink(Options options) {
  std::FILE* out = options.out != nullptr ? options.out : stdout;
  core_ = std::make_unique<internal::LineSinkCore>(
      "stdout", options.queue_capacity, [out](const Batch&, const std::string& lines) {
        errno = 0;
        const size_t n = std::fwrite(lines.data(), 1, lines.size(), out);
        const bool flushed = std::fflush(out) == 0;
        if (n == lines.size() && flushed) return Status::Ok();
        const int err = errno != 0 ? errno : EIO;
        std::clearerr(out);  // so that the next batch gets its own chance
        return Status::IoError(
            fmt::format("cannot write {} bytes to the output stream: {}", lines.size(),
                        std::error_code(err, std::generic_category()).message()));
      });
}

StdoutSink::~StdoutSink() { core_.reset(); }

bool StdoutSink::TrySubmit(std::shared_ptr<const Batch> batch, Done done) {
  return core_->TrySubmit(std::move(batch), std::move(done));
}

size_t StdoutSink::pending() const { return core_->pending(); }

Status StdoutSink::Close(std::chrono::milliseconds deadline) { return core_->Close(deadline); }

StdoutSinkStats StdoutSink::stats() const {
  const internal::LineSinkStats c = core_->stats();
  StdoutSinkStats s;
  s.batches_written = c.batches_written;
  s.bytes_written = c.bytes_written;
  s.write_errors = c.write_errors;
  s.queue_depth = c.queue_depth;
  return s;
}

}  // namespace nianbao::sinks
