// Status and Result<T>: errors as values at component edges.
//
// Every component returns these across its public interface instead of throwing, so that
// nothing throws through an Asio handler, a libcurl callback or a librdkafka callback.
// A Status is either OK or carries a code and a one-line message meant for an operator.
//
// Ownership: plain values. Threading: immutable after construction; safe to copy anywhere.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace nianbao {

class [[nodiscard]] Status {
 public:
  enum class Code {
    kOk = 0,
    kInvalidArgument,  // the caller's input is malformed (bad config line, bad URL pattern)
    kNotFound,         // a file or row that should be there is not
    kIoError,          // the operating system refused a read or write
    kTooLarge,         // input over a configured size limit
    kUnavailable,      // a peer (server, broker) cannot be reached now; retry later
    kCorruption,       // stored state is damaged
    kInternal,         // a bug: a can't-happen condition
  };

  Status() = default;  // OK
  static Status Ok() { return Status(); }
  static Status InvalidArgument(std::string msg) {
    return {Code::kInvalidArgument, std::move(msg)};
  }
  static Status NotFound(std::string msg) { return {Code::kNotFound, std::move(msg)}; }
  static Status IoError(std::string msg) { return {Code::kIoError, std::move(msg)}; }
  static Status TooLarge(std::string msg) { return {Code::kTooLarge, std::move(msg)}; }
  static Status Unavailable(std::string msg) { return {Code::kUnavailable, std::move(msg)}; }
  static Status Corruption(std::string msg) { return {Code::kCorruption, std::move(msg)}; }
  static Status Internal(std::string msg) { return {Code::kInternal, std::move(msg)}; }

  bool ok() const { return code_ == Code::kOk; }
  Code code() const { return code_; }
  const std::string& message() const { return message_; }

  // "io error: cannot open x.html: No such file or directory"
  std::string ToString() const {
    if (ok()) return "ok";
    return std::string(CodeName(code_)) + ": " + message_;
  }

  static std::string_view CodeName(Code c) {
    switch (c) {
      case Code::kOk:
        return "ok";
      case Code::kInvalidArgument:
        return "invalid argument";
      case Code::kNotFound:
        return "not found";
      case Code::kIoError:
        return "io error";
      case Code::kTooLarge:
        return "too large";
      case Code::kUnavailable:
        return "unavailable";
      case Code::kCorruption:
        return "corruption";
      case Code::kInternal:
        return "internal";
    }
    return "unknown";
  }

 private:
  Status(Code code, std::string msg) : code_(code), message_(std::move(msg)) {}
  Code code_ = Code::kOk;
  std::string message_;
};

// A value or the Status that explains why there is none.
// REQUIRES: value() only when ok(); status() is OK when a value is held.
template <typename T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}         // NOLINT(google-explicit-constructor)
  Result(Status status) : v_(std::move(status)) {}  // NOLINT(google-explicit-constructor)

  bool ok() const { return std::holds_alternative<T>(v_); }
  const T& value() const& { return std::get<T>(v_); }
  T& value() & { return std::get<T>(v_); }
  T&& value() && { return std::get<T>(std::move(v_)); }
  Status status() const { return ok() ? Status::Ok() : std::get<Status>(v_); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace nianbao
