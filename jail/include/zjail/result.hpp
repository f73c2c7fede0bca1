// Error values shared by every part of the core. The core never exits, never
// throws across its API and never prints: it returns a Result and lets the
// front end (CLI or PAM module) decide how to report it.
#pragma once

#include <cerrno>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <variant>

#include "zjail/step.hpp"

namespace zjail {

// zjail's own exit statuses, as env(1) and chroot(1) have them. Any other
// status is the payload's: its own, or 128+N if signal N killed it.
enum ExitCode : int {
  kExitFailure = 125,    // zjail itself failed: a bad profile, a failed step
  kExitCannotRun = 126,  // the command was found but cannot be executed
  kExitNotFound = 127,   // the command was not found
};

// The exit status for a failure at `step` with errno `err`: 126 or 127 only
// for the payload's own (resolve-command, exec), 125 for everything else.
// Safe after clone.
constexpr int exit_code(Step step, int err) noexcept {
  bool payload = step == Step::Exec || step == Step::ResolveCommand || step == Step::JailCommand;
  if (!payload || err == 0) return kExitFailure;
  return err == ENOENT ? kExitNotFound : kExitCannotRun;
}

struct Error {
  Step step = Step::Plan;
  int err = 0;          // errno, 0 when not a system error
  std::string context;  // what failed: a path, a value, or "file:line: message"
  std::string trail;    // said last, after the errno: how the failing place was reached

  // "context: strerror trail (step: name)", or without the errno or trail.
  std::string message() const;
  // The same without the step.
  std::string detail() const;

  // This error with `outer` said first ("outer: context"), keeping its errno
  // (crun's crun_error_wrap); with `step`, blamed on that step instead.
  // An empty `outer` adds nothing.
  Error wrap(std::string_view outer) &&;
  Error wrap(Step at, std::string_view outer) &&;
};

inline Error make_error(Step step, int err, std::string context) {
  return Error{step, err, std::move(context), {}};
}

// Using a Result the wrong way (value() of an error, error() of a value) is
// a bug in zjail. It aborts instead of throwing: nothing may throw through
// pam_zjail's C boundary, and a half-built session must never go on.
[[noreturn]] void bad_result_access() noexcept;

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & noexcept { return *get<0>(); }
  const T& value() const& noexcept { return *get<0>(); }
  T&& value() && noexcept { return std::move(*get<0>()); }
  T& operator*() & noexcept { return value(); }
  const T& operator*() const& noexcept { return value(); }
  T* operator->() noexcept { return &value(); }
  const T* operator->() const noexcept { return &value(); }

  const Error& error() const& noexcept { return *get<1>(); }
  Error&& error() && noexcept { return std::move(*get<1>()); }

 private:
  template <size_t I>
  auto* get() noexcept {
    auto* p = std::get_if<I>(&v_);
    if (!p) bad_result_access();
    return p;
  }
  template <size_t I>
  const auto* get() const noexcept {
    const auto* p = std::get_if<I>(&v_);
    if (!p) bad_result_access();
    return p;
  }
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& noexcept {
    if (!failed_) bad_result_access();
    return err_;
  }
  Error&& error() && noexcept {
    if (!failed_) bad_result_access();
    return std::move(err_);
  }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace zjail

// Propagates an error from an expression returning Result/Status:
//   ZJAIL_TRY(write_file(pid, "uid_map", map));
#define ZJAIL_TRY(expr)                                          \
  do {                                                           \
    auto zjail_try_r_ = (expr);                                  \
    if (!zjail_try_r_) return std::move(zjail_try_r_).error();   \
  } while (0)

// Declares (or assigns) `lhs` from the value of a Result, or returns its
// error:
//   ZJAIL_TRY_ASSIGN(auto words, words_of(a));
#define ZJAIL_TRY_ASSIGN(lhs, expr) ZJAIL_TRY_ASSIGN_(ZJAIL_TRY_CAT_(zjail_try_v_, __LINE__), lhs, expr)
#define ZJAIL_TRY_CAT_(a, b) ZJAIL_TRY_CAT2_(a, b)
#define ZJAIL_TRY_CAT2_(a, b) a##b
#define ZJAIL_TRY_ASSIGN_(tmp, lhs, expr)    \
  auto tmp = (expr);                         \
  if (!tmp) return std::move(tmp).error();   \
  lhs = std::move(tmp).value()
