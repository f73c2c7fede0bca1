// zjail's syscall group tables.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdio>
#include <set>
#include <vector>

#include "zjail/syscalls.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

// In the tables but unknown to libseccomp 2.5.4 on x86-64: i386-only calls
// and the kernel's calls after futex_requeue (6.7). Skipped in groups, never
// an error there.
const std::set<std::string> kNotResolvable = {
    "vm86", "vm86old",                                                  // i386 only
    "uretprobe", "uprobe",                                              // 6.11, 6.18
    "statmount", "listmount", "lsm_get_self_attr", "lsm_set_self_attr",  // 6.8
    "lsm_list_modules", "mseal",                                        // 6.8, 6.10
    "setxattrat", "getxattrat", "listxattrat", "removexattrat",         // 6.13
    "open_tree_attr", "file_getattr", "file_setattr", "listns"};        // 6.15 - 6.19

TEST(SyscallGroups, EveryMemberResolvesOrIsAGroup) {
  for (const auto& g : syscall_groups()) {
    for (const char* m : g.members) {
      std::string name = m;
      if (name[0] == '@') {
        EXPECT_NE(find_syscall_group(name), nullptr) << g.name << " -> " << name;
      } else if (!kNotResolvable.count(name)) {
        EXPECT_TRUE(syscall_known(name)) << g.name << " lists unknown " << name;
      }
    }
  }
}

TEST(SyscallGroups, TablesAreWellFormed) {
  std::set<std::string> names;
  for (const auto& g : syscall_groups()) {
    std::string name = g.name;
    EXPECT_EQ(name[0], '@') << name;
    EXPECT_TRUE(names.insert(name).second) << name << " twice";
    EXPECT_NE(std::string(g.description), "") << name;
    std::set<std::string> members(g.members.begin(), g.members.end());
    EXPECT_EQ(members.size(), g.members.size()) << name << " lists a member twice";
    EXPECT_EQ(find_syscall_group(name), &g);
  }
  for (const char* expected : {"@aio", "@basic-io", "@chown", "@clock", "@cpu-emulation", "@debug",
                               "@file-system", "@io-event", "@ipc", "@keyring", "@memlock", "@module",
                               "@mount", "@network-io", "@obsolete", "@pkey", "@privileged", "@process",
                               "@raw-io", "@reboot", "@resources", "@sandbox", "@setuid", "@signal",
                               "@swap", "@sync", "@system-service", "@timer", "@default", "@known"})
    EXPECT_TRUE(names.count(expected)) << expected;
}

// Depth-first over the group graph: a group reached again while it is still
// being expanded is a cycle.
bool has_cycle(const SyscallGroup& g, std::vector<std::string>& path) {
  if (std::find(path.begin(), path.end(), g.name) != path.end()) return true;
  path.push_back(g.name);
  for (const char* m : g.members)
    if (m[0] == '@' && find_syscall_group(m) && has_cycle(*find_syscall_group(m), path)) return true;
  path.pop_back();
  return false;
}

TEST(SyscallGroups, NoCycles) {
  for (const auto& g : syscall_groups()) {
    std::vector<std::string> path;
    EXPECT_FALSE(has_cycle(g, path)) << g.name << " reaches itself";
    EXPECT_TRUE(expand_syscalls({g.name})) << g.name;
  }
}

TEST(SyscallGroups, EveryKnownCallHasAGroup) {
  // @known is libseccomp's whole table; every call in it was placed on
  // purpose in some other group.
  std::set<std::string> grouped;
  for (const auto& g : syscall_groups()) {
    if (std::string(g.name) == "@known") continue;
    auto members = expand_syscalls({g.name});
    ASSERT_TRUE(members) << g.name;
    grouped.insert(members->begin(), members->end());
  }
  auto known = expand_syscalls({"@known"});
  ASSERT_TRUE(known);
  for (const auto& s : *known) EXPECT_TRUE(grouped.count(s)) << s << " is in no group";
}

// The names a group holds by the table, nested groups included, whether or
// not this libseccomp can resolve them.
void table_names(const std::string& group, std::set<std::string>& out) {
  const SyscallGroup* g = find_syscall_group(group);
  ASSERT_NE(g, nullptr) << group;
  for (const char* m : g->members) {
    if (m[0] == '@') {
      table_names(m, out);
    } else {
      out.insert(m);
    }
  }
}

// systemd adds its @default to every allow list; zjail adds its own, which
// must hold at least as much. systemd 258's @default, less the calls
// x86-64 does not have (cacheflush, the *32 and *time64 variants, mmap2,
// riscv_*, set_tls, sigreturn, ugetrlimit); 252 to 257 allow a subset of it
// (see docs/systemd.md), and 257 adds @sandbox, which zjail leaves out. Since 256 systemd adds write too, which zjail's
// allow lists always have (seccomp.hpp).
TEST(SyscallGroups, DefaultHoldsWhatSystemdAllowsImplicitly) {
  const std::set<std::string> systemd_258 = {
      "arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "exit", "exit_group",
      "futex", "futex_waitv", "get_robust_list", "get_thread_area", "getegid", "geteuid", "getgid",
      "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom", "getresgid", "getresuid",
      "getrlimit", "getsid", "gettid", "gettimeofday", "getuid", "lsm_get_self_attr", "lsm_list_modules",
      "membarrier", "mmap", "mprotect", "mseal", "munmap", "nanosleep", "pause", "prlimit64",
      "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity", "sched_yield", "set_robust_list",
      "set_thread_area", "set_tid_address", "time", "uretprobe"};
  std::set<std::string> ours;
  table_names("@default", ours);
  for (const auto& name : systemd_258) EXPECT_TRUE(ours.count(name)) << name << " is missing from @default";
  // 257 added @sandbox to its @default; 252 (the parity tier's) refuses
  // seccomp() and Landlock to an allow list that does not name them, and so
  // does zjail.
  for (const char* name : {"seccomp", "landlock_create_ruleset", "landlock_add_rule", "landlock_restrict_self"})
    EXPECT_FALSE(ours.count(name)) << name << " is in @default";
}

// The same against the systemd on this host, where there is one.
TEST(SyscallGroups, DefaultHoldsThisHostsSystemdDefault) {
  FILE* f = popen("systemd-analyze syscall-filter @default 2>/dev/null", "r");
  std::set<std::string> theirs;
  char line[256];
  while (f && fgets(line, sizeof line, f)) {
    std::string s(line);
    s.erase(0, s.find_first_not_of(" \t"));
    s.erase(s.find_last_not_of(" \t\n") + 1);
    if (s.empty() || s[0] == '#' || s[0] == '@') continue;
    theirs.insert(s);
  }
  if (f) pclose(f);
  if (theirs.empty()) GTEST_SKIP() << "no systemd-analyze on this host to compare with";
  auto ours = expand_syscalls({"@default"});
  ASSERT_TRUE(ours);
  for (const auto& name : theirs) {
    if (!syscall_known(name)) continue;  // a call this libseccomp cannot filter
    EXPECT_TRUE(ours->count(name)) << name << " (systemd's @default here) is not in ours";
  }
}

TEST(SyscallGroups, UnresolvableNamesDropFromGroupsButNotFromProfiles) {
  for (const auto& name : kNotResolvable) {
    if (syscall_known(name)) continue;  // a newer libseccomp knows it
    auto direct = expand_syscalls({name});
    ASSERT_FALSE(direct) << name;
    EXPECT_EQ(direct.error().step, Step::Profile);
    EXPECT_THAT(direct.error().context, HasSubstr("unknown system call '" + name + "'"));
  }
  // @default lists mseal and friends; expanding it still works and holds
  // only names libseccomp can turn into numbers.
  auto d = expand_syscalls({"@default"});
  ASSERT_TRUE(d) << d.error().message();
  for (const auto& s : *d) EXPECT_TRUE(syscall_known(s)) << s;
}

TEST(SyscallGroups, SystemServiceLeavesOutTheDangerousCalls) {
  auto s = expand_syscalls({"@system-service"});
  ASSERT_TRUE(s) << s.error().message();
  EXPECT_TRUE(s->count("read") && s->count("openat") && s->count("socket") && s->count("execve"));
  for (const char* bad : {"mount", "umount2", "pivot_root", "bpf", "perf_event_open", "io_uring_setup",
                          "io_uring_enter", "userfaultfd", "open_by_handle_at", "kexec_load", "init_module",
                          "finit_module", "keyctl", "add_key", "request_key", "ptrace", "process_vm_readv",
                          "process_vm_writev", "unshare", "setns", "fsopen", "fsmount", "move_mount",
                          "open_tree", "swapon", "reboot", "settimeofday", "chroot", "iopl", "ioperm",
                          "io_uring_register", "kexec_file_load", "delete_module", "fsconfig", "fspick",
                          "mount_setattr", "swapoff", "clock_settime", "clock_adjtime", "adjtimex",
                          "pidfd_getfd", "process_madvise", "kcmp", "syslog", "acct", "quotactl",
                          "sethostname", "setdomainname", "vhangup", "lookup_dcookie", "modify_ldt",
                          "fanotify_init", "seccomp", "landlock_create_ruleset"})
    EXPECT_FALSE(s->count(bad)) << bad << " must not be in @system-service";
}

TEST(SyscallGroups, SystemServiceRunsRealDaemons) {
  // Every call strace showed on Debian 12 from nginx 1.22 (two workers,
  // user switch, sendfile, aio threads, gzip, reload), redis 7.0 (BGSAVE,
  // BGREWRITEAOF, shutdown) and a bash script driving coreutils (cp -a, tar,
  // find | xargs, sort, sed -i, dd, timeout, ...).
  auto s = expand_syscalls({"@system-service"});
  ASSERT_TRUE(s) << s.error().message();
  for (const char* need :
       {"accept4", "access", "arch_prctl", "bind", "brk", "chdir", "chmod", "chown", "clock_nanosleep",
       "clone", "clone3", "close", "connect", "copy_file_range", "creat", "dup2", "epoll_create",
       "epoll_ctl", "epoll_wait", "eventfd2", "execve", "exit", "exit_group", "fadvise64", "fchdir",
       "fchmodat", "fchown", "fchownat", "fcntl", "fdatasync", "fgetxattr", "flistxattr", "fsetxattr",
       "fstatfs", "fsync", "ftruncate", "futex", "get_mempolicy", "getcwd", "getdents64", "getegid",
       "geteuid", "getgid", "getgroups", "getpeername", "getpgrp", "getpid", "getppid", "getrandom",
       "getsockopt", "getuid", "getxattr", "ioctl", "kill", "lgetxattr", "listen", "lseek", "madvise",
       "mkdir", "mkdirat", "mmap", "mprotect", "munmap", "newfstatat", "open", "openat", "pipe2", "poll",
       "prctl", "pread64", "prlimit64", "pwrite64", "read", "readlink", "recvfrom", "recvmsg", "rename",
       "renameat2", "rseq", "rt_sigaction", "rt_sigprocmask", "rt_sigreturn", "rt_sigsuspend",
       "sched_getaffinity", "sched_yield", "sendfile", "sendmsg", "set_mempolicy", "set_robust_list",
       "set_tid_address", "setgid", "setgroups", "setitimer", "setpgid", "setsockopt", "setuid",
       "sigaltstack", "socket", "socketpair", "splice", "statfs", "statx", "symlinkat", "sysinfo",
       "timer_create", "timer_settime", "umask", "uname", "unlink", "unlinkat", "utimensat", "wait4",
       "write", "writev"})
    EXPECT_TRUE(s->count(need)) << need << " missing from @system-service";
  // And what services commonly add: dropping their own capabilities, native
  // AIO, event fds, page-cache checks.
  for (const char* need : {"capset", "io_setup", "io_submit", "io_getevents", "mincore", "inotify_init1",
                           "timerfd_create", "signalfd4", "memfd_create", "accept", "sendmmsg", "recvmmsg"})
    EXPECT_TRUE(s->count(need)) << need << " missing from @system-service";
}

TEST(SyscallGroups, NestingAndKnown) {
  auto priv = expand_syscalls({"@privileged"});
  ASSERT_TRUE(priv);
  EXPECT_TRUE(priv->count("chown") && priv->count("setuid") && priv->count("reboot"));
  auto known = expand_syscalls({"@known"});
  ASSERT_TRUE(known);
  for (const auto& g : syscall_groups()) {
    auto members = expand_syscalls({g.name});
    ASSERT_TRUE(members) << g.name;
    for (const auto& m : *members) EXPECT_TRUE(known->count(m)) << m << " of " << g.name;
  }
  EXPECT_GT(known->size(), 300u);
}

TEST(SyscallGroups, UnknownNamesAreErrorsWithSuggestions) {
  auto r = expand_syscalls({"@sytem-service"});
  ASSERT_FALSE(r);
  EXPECT_THAT(r.error().context, HasSubstr("did you mean '@system-service'")) << r.error().context;
  auto s = expand_syscalls({"opne"});
  ASSERT_FALSE(s);
  EXPECT_THAT(s.error().context, HasSubstr("unknown system call 'opne'"));
  EXPECT_FALSE(syscall_known("@basic-io"));
  EXPECT_TRUE(syscall_known("openat"));
}

}  // namespace
}  // namespace zjail
