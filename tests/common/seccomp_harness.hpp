// Attaching compiled filters in a forked child exactly as the jail does it
// (no_new_privs, then seccomp(2) for each filter) and reading what a call
// did there: the unit tests of seccomp.cpp share these.
#pragma once

#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <string>
#include <vector>

#include "zjail/seccomp.hpp"

namespace zjail_seccomp {

inline zjail::Profile with_filter(std::vector<std::string> names, bool invert = false) {
  zjail::Profile p;
  p.system_call_filter.is_set = true;
  p.system_call_filter.invert = invert;
  for (auto& n : names) p.system_call_filter.names.push_back({std::move(n), zjail::Origin{"t", 1}});
  return p;
}

inline void set_errno_action(zjail::Profile& p, int err) {
  p.system_call_error_number.value = zjail::SyscallAction{zjail::SyscallAction::Errno, err};
}

// Runs `body` in a child under the filters; returns the raw wait status. The
// body's return value becomes the exit code.
inline int under(const zjail::BpfProgram& prog, const std::function<int()>& body) {
  pid_t pid = fork();
  if (pid == 0) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(100);
    for (const auto& f : prog.filters) {
      sock_fprog fp{static_cast<unsigned short>(f.size()), const_cast<sock_filter*>(f.data())};
      if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fp) != 0) _exit(101);
    }
    _exit(body());
  }
  int status = 0;
  waitpid(pid, &status, 0);
  return status;
}

// 0 if the call succeeded, else its errno (as the exit code).
inline int errno_of(long rc) { return rc >= 0 ? 0 : errno; }

inline bool killed_by_sigsys(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGSYS; }
inline int code(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status); }

}  // namespace zjail_seccomp
