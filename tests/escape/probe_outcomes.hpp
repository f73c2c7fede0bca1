// What a probe returns, shared by the probe files: blocked with an errno,
// escaped, blocked by a named check, a set-up error, or skipped.
#pragma once

#include <cerrno>
#include <functional>
#include <string>
#include <utility>

#include "probes.hpp"

namespace zjail_escape {

inline Outcome blocked(int e, std::string detail) {
  return {Outcome::Blocked, "errno", errno_name(e), std::move(detail)};
}
inline Outcome escaped(std::string detail) { return {Outcome::Escaped, "", "", std::move(detail)}; }
inline Outcome checked(std::string token, std::string detail) {
  return {Outcome::Blocked, "check", std::move(token), std::move(detail)};
}
inline Outcome setup_error(int e, std::string detail) {
  if (e == 0) return {Outcome::Error, "", "", "set-up failed: " + std::move(detail)};
  return {Outcome::Error, "errno", errno_name(e), "set-up failed: " + std::move(detail)};
}
inline Outcome skipped(std::string why) { return {Outcome::Skipped, "", "", std::move(why)}; }

// A syscall-style result: success is the escape, otherwise the errno blocked it.
inline Outcome sys(long r, std::string detail) {
  return r >= 0 ? escaped(std::move(detail)) : blocked(errno, std::move(detail));
}

// `op` on the slave of a fresh pty that is our controlling terminal, so that
// the tty layer itself would permit what only a filter can refuse (probes.cpp).
Outcome on_own_tty(const std::function<long(int)>& op, std::string what);

// probes_jail.cpp: the jail's own edges (io_uring, the console, its init).
Outcome io_uring_socket();
Outcome console_ioctl();
Outcome init_cmdline();

}  // namespace zjail_escape
