// What this host's kernel does on its own, learned unconfined. Tests that
// show zjail closing a door compare with these answers, so that a door the
// kernel closes by itself (a boot option, a sysctl, a config left out) is
// reported as such, loudly, and never taken for zjail's work or its failure.
//
// Header-only: the unit tests, the root tier, the escape tests and the static
// escape battery (`battery host-setup`) all include it. Call these on the
// host, outside any jail: from inside one, a filter could answer first.
#pragma once

#include <linux/vm_sockets.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <optional>
#include <string>

namespace zjail_host {

// getpid through the i386 entry (int $0x80, eax = 20): the pid or -errno.
// Where the kernel closes that entry the caller dies of SIGSEGV instead,
// the sanitizers' handler notwithstanding (it would make the death an
// abort, and the probe would read an open entry): only ever called in a
// forked child.
inline long i386_getpid() {
  signal(SIGSEGV, SIG_DFL);
  long ret = 20;  // __NR_getpid on i386
  asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
  return ret;
}

// True when int $0x80 kills a 64-bit process with SIGSEGV with no filter at
// all: the kernel runs without IA32 emulation (ia32_emulation=0 on the
// command line, CONFIG_IA32_EMULATION_DEFAULT_DISABLED, or none built in).
// The fault comes before any syscall entry, so no seccomp filter ever sees
// such a call. Probed once, in a forked child.
inline bool kernel_closes_i386_entry() {
  static const bool closed = [] {
    pid_t c = fork();
    if (c < 0) return false;
    if (c == 0) {
      rlimit none{0, 0};
      setrlimit(RLIMIT_CORE, &none);  // a fault here is an answer, not a crash
      i386_getpid();
      _exit(0);
    }
    int st = 0;
    while (waitpid(c, &st, 0) < 0 && errno == EINTR) {}
    return WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV;
  }();
  return closed;
}

inline constexpr const char* kI386Closed =
    "this kernel closes the i386 entry itself: int $0x80 kills even an unconfined process with SIGSEGV "
    "(IA32 emulation is off: ia32_emulation=0 or CONFIG_IA32_EMULATION_DEFAULT_DISABLED)";

// True when this kernel has no vsock at all: socket(AF_VSOCK) answers
// EAFNOSUPPORT unconfined, which is also what zjail's filter answers in a
// private network.
inline bool kernel_lacks_vsock() {
  int s = socket(AF_VSOCK, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s >= 0) close(s);
  return s < 0 && errno == EAFNOSUPPORT;
}

// A /proc/sys value ("kernel/io_uring_disabled") as a number; nullopt where
// the kernel has no such knob.
inline std::optional<long> sysctl_long(const std::string& name) {
  std::ifstream f("/proc/sys/" + name);
  long v;
  if (f >> v) return v;
  return std::nullopt;
}

// True when `path` sits on a read-only mount on this host (/proc/sys and
// /sys are in many containers): writes fail with EROFS for root too.
inline bool mounted_read_only(const char* path) {
  struct statvfs v{};
  return statvfs(path, &v) == 0 && (v.f_flag & ST_RDONLY);
}

// Why root cannot create a namespace of `kind` (as /proc/self/ns names it:
// user, pid, mnt, net, uts, ipc, cgroup, time) on this kernel; "" if it can.
inline std::string namespace_unavailable(const std::string& kind) {
  if (access(("/proc/self/ns/" + kind).c_str(), F_OK) != 0)
    return "this kernel has no " + kind + " namespaces (no /proc/self/ns/" + kind + ")";
  auto max = sysctl_long("user/max_" + kind + "_namespaces");
  if (max && *max == 0)
    return "user.max_" + kind + "_namespaces=0: the kernel refuses new " + kind + " namespaces to everyone, root too";
  return "";
}

}  // namespace zjail_host
