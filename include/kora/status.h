// Status and Result<T>: how every fallible Kora call reports failure. No exceptions.
//
// A Status is a code plus an optional message; an OK Status holds no allocation.
// Result<T> holds either a T or a non-OK Status, shaped like std::expected.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace kora {

enum class StatusCode : uint8_t {
  kOk = 0,
  kInvalidArgument,  // bad input: syntax, range, parse failures
  kNotFound,
  kWrongType,        // operation against a key holding the wrong kind of value
  kOutOfRange,
  kAlreadyExists,
  kIOError,
  kBusy,
  kUnavailable,
  kInternal,
  kCommandError,     // a Redis error reply; the message holds the full error text
};

class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(StatusCode code, std::string_view msg) : code_(code) {
    if (code != StatusCode::kOk) msg_ = std::make_shared<const std::string>(msg);
  }

  static Status OK() { return Status(); }
  static Status InvalidArgument(std::string_view m) { return {StatusCode::kInvalidArgument, m}; }
  static Status NotFound(std::string_view m) { return {StatusCode::kNotFound, m}; }
  static Status WrongType(std::string_view m) { return {StatusCode::kWrongType, m}; }
  static Status IOError(std::string_view m) { return {StatusCode::kIOError, m}; }
  static Status Internal(std::string_view m) { return {StatusCode::kInternal, m}; }

  bool ok() const { return code_ == StatusCode::kOk; }
  StatusCode code() const { return code_; }
  std::string_view message() const { return msg_ ? std::string_view(*msg_) : std::string_view(); }
  std::string ToString() const;
  // Marks a status as deliberately ignored.
  void IgnoreError() const {}

 private:
  StatusCode code_ = StatusCode::kOk;
  std::shared_ptr<const std::string> msg_;  // immutable, so sharing on copy is safe
};

inline std::string Status::ToString() const {
  static constexpr const char* kNames[] = {"OK",      "InvalidArgument", "NotFound",
                                           "WrongType", "OutOfRange",    "AlreadyExists",
                                           "IOError", "Busy",            "Unavailable",
                                           "Internal", "CommandError"};
  std::string s = kNames[static_cast<int>(code_)];
  if (msg_) {
    s += ": ";
    s += *msg_;
  }
  return s;
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}  // NOLINT: implicit like std::expected
  Result(Status status) : v_(std::move(status)) {}  // NOLINT; must not be OK

  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  Status status() const { return ok() ? Status::OK() : std::get<1>(v_); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T&& operator*() && { return std::move(*this).value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

 private:
  std::variant<T, Status> v_;
};

}  // namespace kora
