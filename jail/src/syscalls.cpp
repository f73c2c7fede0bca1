// zjail's syscall groups, written from the kernel's x86-64 system call table.
// The intent of each group follows the familiar systemd names; the contents
// are zjail's own choices, in particular @system-service leaves out
// everything that changes namespaces, mounts, the keyring, other processes'
// memory, or the kernel's attack surface (bpf, perf, io_uring, userfaultfd).
//
// The tables follow the kernel's list through listns (470), so they name
// calls that an older libseccomp cannot resolve; expand_syscalls() leaves
// those out of a group quietly (they cannot be filtered by number anyway),
// but a name the profile spells out itself must resolve.
#include "zjail/syscalls.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cstdlib>

#include "zjail/suggest.hpp"

namespace zjail {
namespace {

const std::vector<SyscallGroup> kGroups = {
    // Every allow list starts with this group (directives.cpp), as
    // systemd's do: it holds what systemd 252 allows implicitly on this
    // architecture, 258's harmless additions and a little more
    // (docs/systemd.md); not @sandbox, which 257 added: zjail stays as
    // tight as the oldest systemd it is compared with.
    {"@default", "What every program needs: memory, exit, time, ids, signals returns",
     {"arch_prctl", "brk", "clock_getres", "clock_gettime", "clock_nanosleep", "execve", "execveat",
      "exit", "exit_group", "futex", "futex_requeue", "futex_wait", "futex_waitv", "futex_wake",
      "get_robust_list", "get_thread_area", "getegid",
      "geteuid", "getgid", "getgroups", "getpgid", "getpgrp", "getpid", "getppid", "getrandom",
      "getresgid", "getresuid", "getrlimit", "getsid", "gettid", "gettimeofday", "getuid",
      "lsm_get_self_attr", "lsm_list_modules", "madvise",
      "map_shadow_stack", "membarrier", "mmap", "mprotect", "mremap", "mseal", "munmap", "nanosleep",
      "pause", "prlimit64", "restart_syscall", "rseq", "rt_sigreturn", "sched_getaffinity",
      "sched_yield", "set_robust_list", "set_thread_area", "set_tid_address", "time",
      // Return paths of uprobes the host's tracing attached to the program.
      "uprobe", "uretprobe"}},
    {"@aio", "Asynchronous I/O (without io_uring, see @io-uring)",
     {"io_cancel", "io_destroy", "io_getevents", "io_pgetevents", "io_setup", "io_submit"}},
    {"@io-uring", "io_uring: a large kernel attack surface",
     {"io_uring_enter", "io_uring_register", "io_uring_setup"}},
    {"@basic-io", "Reading and writing open file descriptors",
     {"close", "close_range", "dup", "dup2", "dup3", "lseek", "pread64", "preadv", "preadv2", "pwrite64",
      "pwritev", "pwritev2", "read", "readv", "write", "writev"}},
    {"@chown", "Changing file ownership",
     {"chown", "fchown", "fchownat", "lchown"}},
    {"@clock", "Setting the system clock",
     {"adjtimex", "clock_adjtime", "clock_settime", "settimeofday"}},
    {"@cpu-emulation", "Legacy CPU modes", {"modify_ldt", "vm86", "vm86old"}},
    {"@debug", "Tracing and inspecting other processes",
     {"kcmp", "lookup_dcookie", "perf_event_open", "pidfd_getfd", "process_madvise", "process_vm_readv",
      "process_vm_writev", "ptrace"}},
    {"@file-system", "Files, directories and their metadata",
     {"access", "cachestat", "chdir", "chmod", "creat", "faccessat", "faccessat2", "fallocate", "fchdir",
      "fchmod", "fchmodat", "fchmodat2", "fcntl", "fgetxattr", "file_getattr", "file_setattr",
      "flistxattr", "fremovexattr", "fsetxattr", "fstat", "fstatfs", "ftruncate", "futimesat", "getcwd",
      "getdents", "getdents64", "getxattr", "getxattrat", "inotify_add_watch",
      "inotify_init", "inotify_init1", "inotify_rm_watch", "lgetxattr", "link", "linkat", "listxattr",
      "listxattrat", "llistxattr", "lremovexattr", "lsetxattr", "lstat", "mkdir", "mkdirat", "mknod", "mknodat",
      "newfstatat", "open", "openat", "openat2", "readlink", "readlinkat", "removexattr",
      "removexattrat", "rename", "renameat", "renameat2", "rmdir", "setxattr", "setxattrat", "stat", "statfs", "statx", "symlink", "symlinkat",
      "truncate", "unlink", "unlinkat", "utime", "utimensat", "utimes"}},
    {"@io-event", "Waiting for events on file descriptors",
     {"epoll_create", "epoll_create1", "epoll_ctl", "epoll_pwait", "epoll_pwait2", "epoll_wait",
      "eventfd", "eventfd2", "poll", "ppoll", "pselect6", "select"}},
    {"@ipc", "SysV and POSIX IPC, pipes, memfds",
     {"memfd_create", "mq_getsetattr", "mq_notify", "mq_open", "mq_timedreceive", "mq_timedsend",
      "mq_unlink", "msgctl", "msgget", "msgrcv", "msgsnd", "pipe", "pipe2", "semctl", "semget", "semop",
      "semtimedop", "shmat", "shmctl", "shmdt", "shmget"}},
    {"@keyring", "The kernel keyring", {"add_key", "keyctl", "request_key"}},
    // memfd_secret's pages are locked and charged to RLIMIT_MEMLOCK.
    {"@memlock", "Locking memory",
     {"memfd_secret", "mlock", "mlock2", "mlockall", "munlock", "munlockall"}},
    {"@module", "Loading kernel modules", {"delete_module", "finit_module", "init_module"}},
    {"@mount", "Mounting and changing the root",
     {"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "listmount", "mount", "mount_setattr",
      "move_mount", "open_tree", "open_tree_attr", "pivot_root", "statmount", "umount2"}},
    {"@namespaces", "Creating, joining and listing namespaces", {"listns", "setns", "unshare"}},
    {"@network-io", "Sockets",
     {"accept", "accept4", "bind", "connect", "getpeername", "getsockname", "getsockopt", "listen",
      "recvfrom", "recvmmsg", "recvmsg", "sendmmsg", "sendmsg", "sendto", "setsockopt", "shutdown",
      "socket", "socketpair"}},
    {"@obsolete", "Unused or unimplemented system calls",
     {"_sysctl", "afs_syscall", "create_module", "epoll_ctl_old", "epoll_wait_old", "get_kernel_syms",
      "getpmsg", "putpmsg",
      "query_module", "security", "sysfs", "tuxcall", "uselib", "ustat", "vserver"}},
    {"@pkey", "Memory protection keys", {"pkey_alloc", "pkey_free", "pkey_mprotect"}},
    {"@privileged", "What needs privileges, and more",
     {"@chown", "@clock", "@module", "@raw-io", "@reboot", "@swap", "@setuid", "acct", "bpf", "capset",
      "chroot", "fanotify_init", "fanotify_mark", "lsm_set_self_attr", "nfsservctl", "open_by_handle_at",
      "pivot_root", "quotactl", "quotactl_fd", "setdomainname", "setfsgid", "setfsuid", "sethostname",
      "syslog", "vhangup",
      // Not privileged where vm.unprivileged_userfaultfd allows it, but a
      // classic way to win kernel races; no service needs it.
      "userfaultfd"}},
    {"@process", "Creating, waiting for and signalling processes",
     {"capget", "clone", "clone3", "fork", "getrusage", "kill", "pidfd_open", "pidfd_send_signal",
      "prctl", "process_mrelease", "rt_sigqueueinfo", "rt_tgsigqueueinfo", "tgkill", "times", "tkill", "vfork", "wait4",
      "waitid"}},
    {"@raw-io", "Raw I/O ports", {"ioperm", "iopl"}},
    {"@reboot", "Rebooting and replacing the kernel", {"kexec_file_load", "kexec_load", "reboot"}},
    {"@resources", "Changing priorities, affinity, NUMA policy and limits",
     {"ioprio_set", "mbind", "migrate_pages", "move_pages", "sched_setaffinity", "sched_setattr",
      "sched_setparam", "sched_setscheduler", "set_mempolicy", "set_mempolicy_home_node",
      "setpriority", "setrlimit"}},
    {"@sandbox", "Sandboxing oneself further",
     {"landlock_add_rule", "landlock_create_ruleset", "landlock_restrict_self", "seccomp"}},
    {"@setuid", "Changing user and group ids",
     {"setgid", "setgroups", "setregid", "setresgid", "setresuid", "setreuid", "setuid"}},
    {"@signal", "Signal handling",
     {"rt_sigaction", "rt_sigpending", "rt_sigprocmask", "rt_sigsuspend", "rt_sigtimedwait",
      "sigaltstack", "signalfd", "signalfd4"}},
    {"@swap", "Swap devices", {"swapoff", "swapon"}},
    {"@sync", "Flushing to storage",
     {"fdatasync", "fsync", "msync", "sync", "sync_file_range", "syncfs"}},
    {"@timer", "Timers and alarms",
     {"alarm", "getitimer", "setitimer", "timer_create", "timer_delete", "timer_getoverrun",
      "timer_gettime", "timer_settime", "timerfd_create", "timerfd_gettime", "timerfd_settime"}},
    {"@system-service", "What an ordinary service uses",
     {"@aio", "@basic-io", "@chown", "@default", "@file-system", "@io-event", "@ipc", "@memlock",
      "@network-io", "@process", "@resources", "@setuid", "@signal", "@sync", "@timer",
      // capset can only lower what the bounding set already allows: services
      // drop their own capabilities with it.
      "capset", "copy_file_range", "fadvise64", "flock", "get_mempolicy", "getcpu", "getpriority",
      "ioctl", "ioprio_get", "lsm_get_self_attr", "lsm_list_modules", "mincore", "name_to_handle_at",
      "personality", "readahead", "remap_file_pages",
      "sched_get_priority_max", "sched_get_priority_min", "sched_getattr", "sched_getparam",
      "sched_getscheduler", "sched_rr_get_interval", "sendfile", "setfsgid", "setfsuid", "setpgid",
      "setsid", "splice", "sysinfo", "tee", "umask", "uname", "vmsplice"}},
    // Filled in from libseccomp's table by expand_syscalls().
    {"@known", "Every system call this libseccomp knows for the native architecture", {}},
};

std::vector<std::string> all_known_syscalls() {
  std::vector<std::string> out;
  for (int nr = 0; nr < 1024; ++nr) {
    char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr);
    if (!name) continue;
    out.emplace_back(name);
    std::free(name);
  }
  return out;
}

Status expand_into(const std::string& name, bool from_table, std::set<std::string>& out,
                   std::vector<std::string>& stack) {
  if (name.empty() || name[0] != '@') {
    if (syscall_known(name)) out.insert(name);
    else if (!from_table)
      return make_error(Step::Profile, 0, "unknown system call '" + name + "'" +
                                              did_you_mean(name, syscall_name_candidates()));
    return {};
  }
  if (name == "@known") {
    for (auto& s : all_known_syscalls()) out.insert(std::move(s));
    return {};
  }
  const SyscallGroup* g = find_syscall_group(name);
  if (!g)
    return make_error(Step::Profile, 0, "unknown syscall group '" + name + "'" +
                                            did_you_mean(name, syscall_name_candidates()));
  if (std::find(stack.begin(), stack.end(), name) != stack.end())
    return make_error(Step::Profile, 0, "syscall group " + name + " includes itself");
  stack.push_back(name);
  for (const char* m : g->members) ZJAIL_TRY(expand_into(m, true, out, stack));
  stack.pop_back();
  return {};
}

}  // namespace

const std::vector<SyscallGroup>& syscall_groups() { return kGroups; }

const SyscallGroup* find_syscall_group(std::string_view name) {
  for (const auto& g : kGroups)
    if (name == g.name) return &g;
  return nullptr;
}

bool syscall_known(std::string_view name) {
  if (name.empty() || name[0] == '@') return false;
  std::string n(name);
  return seccomp_syscall_resolve_name_arch(SCMP_ARCH_NATIVE, n.c_str()) >= 0;
}

std::vector<std::string> syscall_name_candidates() {
  std::vector<std::string> out = all_known_syscalls();
  for (const auto& g : kGroups) out.emplace_back(g.name);
  return out;
}

Result<std::set<std::string>> expand_syscalls(const std::vector<std::string>& names) {
  std::set<std::string> out;
  std::vector<std::string> stack;
  for (const auto& n : names) ZJAIL_TRY(expand_into(n, false, out, stack));
  return out;
}

}  // namespace zjail
