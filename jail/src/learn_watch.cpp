// Learn mode's watch filter (learn_observe.hpp): the calls learning needs
// to see go to zjail's listener ahead of the profile's own merged filter
// (the section itself: watch_filter.cpp).
// Hot calls (read, write, poll, futex, ...) are not watched, and what the
// filter does for them depends on the call number alone, so the kernel's
// action cache still answers them without running any BPF.
#include <linux/audit.h>
#include <seccomp.h>
#include <fcntl.h>
#include <sys/mman.h>

#include <algorithm>
#include <cstddef>
#include <cstdlib>
#include <map>
#include <set>

#include "watch_filter.hpp"
#include "zjail/denials.hpp"
#include "zjail/learn_observe.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::learn {
namespace {

// Calls whose arguments learning reads (learn_observe.cpp decodes each).
constexpr const char* kArgumentCalls[] = {
    // paths
    "open", "openat", "openat2", "creat", "execve", "execveat", "stat", "lstat", "newfstatat", "statx",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "mkdir", "mkdirat", "rmdir", "unlink",
    "unlinkat", "rename", "renameat", "renameat2", "link", "linkat", "symlink", "symlinkat", "chmod",
    "fchmodat", "fchmodat2", "chown", "lchown", "fchownat", "fchown", "fchmod", "truncate", "mknod",
    "mknodat", "chdir", "chroot", "utimensat", "inotify_add_watch", "statfs", "mount", "umount2",
    "pivot_root", "swapon", "swapoff", "acct",
    // sockets
    "socket", "socketpair", "bind", "connect", "listen", "accept", "accept4", "getsockname",
    // processes, identity, namespaces, limits
    "clone", "clone3", "fork", "vfork", "unshare", "setns", "setuid", "setgid", "setreuid", "setregid",
    "setresuid", "setresgid", "setgroups", "setfsuid", "setfsgid", "setrlimit", "prlimit64",
    // memory that becomes executable (PROT_EXEC only), io_uring (its ops are invisible)
    "mmap", "mprotect", "pkey_mprotect", "io_uring_setup",
};

// Calls watched only for some argument values: one bit of one argument (its
// low word) must be set, or clear. mmap and friends with PROT_EXEC only, so
// every other mapping stays off the listener; fstat() is newfstatat() and
// statx() with AT_EMPTY_PATH on an fd, which learning does not need.
struct ArgRule {
  const char* name;
  unsigned arg;
  uint32_t bit;
  bool set;
};
constexpr ArgRule kArgRules[] = {
    {"mmap", 2, PROT_EXEC, true},
    {"mprotect", 2, PROT_EXEC, true},
    {"pkey_mprotect", 2, PROT_EXEC, true},
    {"newfstatat", 3, AT_EMPTY_PATH, false},
    {"statx", 2, AT_EMPTY_PATH, false},
};

int native_nr(const std::string& name) {
  int nr = seccomp_syscall_resolve_name(name.c_str());
  return nr == __NR_SCMP_ERROR ? -1 : nr;
}

}  // namespace

std::string native_profile() {
  // systemd's defaults for a unit that sets none of these are the host's;
  // zjail's defaults are a jail's. Each line gives back the host's.
  return "[Jail]\n"
         "RootDirectory=/\n"
         "PrivateNetwork=no\n"
         "PrivateTmp=no\n"
         "KeyringMode=private\n";
}

Result<std::vector<int>> watched_calls() {
  std::set<int> out;
  for (const char* name : kArgumentCalls)
    if (int nr = native_nr(name); nr >= 0) out.insert(nr);
  // Everything outside @system-service: rare by definition, and each a line
  // a learned profile must write.
  ZJAIL_TRY_ASSIGN(auto service, expand_syscalls({"@system-service"}));
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    if (!service.count(name)) out.insert(nr);
    free(name);
  }
  return std::vector<int>(out.begin(), out.end());
}

std::set<std::string> watched_service_calls() {
  auto service = expand_syscalls({"@system-service"});
  auto always = expand_syscalls({"@default"});
  std::set<std::string> out;
  if (!service || !always) return out;
  // Watched for some arguments only (mmap with PROT_EXEC): unseen says
  // nothing about the call. @default stays in every allow list.
  auto partly = [](const char* name) {
    for (const ArgRule& r : kArgRules)
      if (std::string(r.name) == name) return true;
    return false;
  };
  for (const char* name : kArgumentCalls)
    if (service->count(name) && !always->count(name) && !partly(name)) out.insert(name);
  return out;
}

std::set<std::string> unwatched_calls() {
  auto service = expand_syscalls({"@system-service"});
  std::set<std::string> out;
  if (!service) return out;
  auto watched = watched_service_calls();
  for (const auto& name : *service)
    if (!watched.count(name)) out.insert(name);
  return out;
}

Status plan_watch(Plan& plan) {
  ZJAIL_TRY_ASSIGN(auto nrs, watched_calls());
  std::vector<WatchArgRule> rules;
  for (const ArgRule& r : kArgRules)
    if (int nr = native_nr(r.name); nr >= 0) rules.push_back({nr, r.arg, r.bit, r.set});
  return add_watch_section(plan, nrs, rules, "learning");
}

}  // namespace zjail::learn
