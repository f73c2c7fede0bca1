// Error values shared by every part of the core. The core never exits, never
// throws across its API and never prints: it returns a Result and lets the
// front end (CLI or PAM module) decide how to report it.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

#include "zjail/step.hpp"

namespace zjail {

struct Error {
  Step step = Step::Plan;
  int err = 0;          // errno, 0 when not a system error
  std::string context;  // what failed: a path, a value, or "file:line: message"

  // "context: strerror (step: name)", or "context (step: name)" without errno.
  std::string message() const;
  // The same without the step: for wrapping into another error's context.
  std::string detail() const;
};

inline Error make_error(Step step, int err, std::string context) {
  return Error{step, err, std::move(context)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace zjail

// Propagates an error from an expression returning Result/Status.
#define ZJAIL_TRY(expr)                                    \
  do {                                                     \
    auto zjail_try_r_ = (expr);                            \
    if (!zjail_try_r_) return std::move(zjail_try_r_).error(); \
  } while (0)
