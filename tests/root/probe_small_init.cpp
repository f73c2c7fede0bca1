// The attacks on the small init (include/zjail/memory.hpp): the jail's init
// execs zjail-init inside the jail's user namespace, where a payload with
// CAP_SYS_ADMIN there can register a binfmt_misc handler of its own (Linux
// 6.7 gives each user namespace one). A handler matching zjail-init would
// run the payload's program as the init instead: uid 0, every capability of
// the jail, no seccomp filter, no Landlock, and the status pipe.
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/mount.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <ctime>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>

#include "probe.hpp"

namespace zjail_probe {
namespace {

// Whether the jail's binfmt_misc instance could be reached: mounted at a
// directory of the private /tmp, or, where mount(2) is refused, detached.
int open_binfmt_misc(std::string& how) {
  const char* dir = "/tmp/zjail-binfmt";
  mkdir(dir, 0700);
  if (mount("binfmt_misc", dir, "binfmt_misc", 0, nullptr) == 0) {
    how = "mount";
    return open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  }
  int e = errno;
  int fs = static_cast<int>(syscall(SYS_fsopen, "binfmt_misc", FSOPEN_CLOEXEC));
  if (fs < 0) return errno = e, -1;
  how = "fsmount";
  int mnt = -1;
  if (syscall(SYS_fsconfig, fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
    mnt = static_cast<int>(syscall(SYS_fsmount, fs, FSMOUNT_CLOEXEC, 0));
  e = errno;
  close(fs);
  errno = e;
  return mnt;
}

// Keeps the init from going idle, and so from handing over, until the
// attack is in place: a child that every 20 ms leaves an orphan to the
// init, whose reaping is an event (the payload may not signal the init).
// Returns the pipe whose closing (stop_keeping) ends it; the handover
// follows kShedAfterMs later.
int keep_init_busy() {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return -1;
  if (fork() != 0) {
    close(p[0]);
    return p[1];
  }
  close(p[1]);
  pollfd done{p[0], POLLIN, 0};
  while (poll(&done, 1, 20) == 0) {
    pid_t parent = fork();
    if (parent == 0) {
      if (fork() == 0) _exit(0);
      _exit(0);
    }
    if (parent > 0) waitpid(parent, nullptr, 0);
  }
  _exit(0);
}

// Closing the pipe ends the keeper, whatever ids the payload took since.
void stop_keeping(int keeper) {
  if (keeper < 0) return;
  close(keeper);
  while (waitpid(-1, nullptr, 0) > 0) {}
}

// binfmt-register HEX MS: registers a handler for files starting with the
// bytes HEX, run by this probe (flag F: opened now, through /proc/self/exe),
// then waits MS and exits 3.
int binfmt_register(const std::string& hex, int wait_ms) {
  int keeper = keep_init_busy();
  std::string how;
  int dir = open_binfmt_misc(how);
  if (dir < 0) return stop_keeping(keeper), fail("binfmt-register", errno, "mount binfmt_misc");
  int reg = openat(dir, "register", O_WRONLY | O_CLOEXEC);
  if (reg < 0) return stop_keeping(keeper), fail("binfmt-register", errno, "open register (" + how + ")");
  std::string rule = ":zjail-init-hijack:M::";
  for (size_t i = 0; i + 1 < hex.size(); i += 2) rule += "\\x" + hex.substr(i, 2);
  rule += "::/proc/self/exe:F";
  ssize_t n = write(reg, rule.data(), rule.size());
  int e = errno;
  close(reg);
  close(dir);
  stop_keeping(keeper);
  if (n < 0) return fail("binfmt-register", e, "write register (" + how + ")");
  pass("binfmt-register", how);
  sleep_ms(wait_ms);
  return 3;
}

// init-rlimit RESOURCE VALUE MS: as the init's ids (uid and gid 0 of the
// jail, where CAP_SETUID and CAP_SETGID allow), lowers the init's limit
// RESOURCE (a number) to VALUE before the handover, then waits MS and
// exits 3.
int init_rlimit(int resource, long value, int wait_ms) {
  int keeper = keep_init_busy();
  if (syscall(SYS_setresgid, 0, 0, 0) < 0) return stop_keeping(keeper), error("init-rlimit", errno, "setresgid(0)");
  if (syscall(SYS_setresuid, 0, 0, 0) < 0) return stop_keeping(keeper), error("init-rlimit", errno, "setresuid(0)");
  // The init's own loop is served by then (it made its signalfd at once).
  sleep_ms(50);
  rlimit lim{static_cast<rlim_t>(value), static_cast<rlim_t>(value)};
  long r = prlimit(1, static_cast<__rlimit_resource>(resource), &lim, nullptr);
  int e = errno;
  stop_keeping(keeper);
  errno = e;
  result("init-rlimit", r, "prlimit(1, " + std::to_string(resource) + ", " + std::to_string(value) + ")");
  sleep_ms(wait_ms);
  return 3;
}

// init-reach MS: as the init's ids, for MS across the handover, tries every
// way at the init's memory and fds: PTRACE_ATTACH, /proc/1/mem and
// /proc/1/environ, /proc/1/fd links, pidfd_getfd(). PASS names the first
// that worked; FAIL gives ptrace's errno.
int init_reach(int ms) {
  if (syscall(SYS_setresgid, 0, 0, 0) < 0) return error("init-reach", errno, "setresgid(0)");
  if (syscall(SYS_setresuid, 0, 0, 0) < 0) return error("init-reach", errno, "setresuid(0)");
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, 1, 0));
  int ptrace_errno = 0;
  timespec start{}, now{};
  clock_gettime(CLOCK_MONOTONIC, &start);
  for (long tries = 1;; ++tries) {
    std::string got;
    if (syscall(SYS_ptrace, PTRACE_ATTACH, 1, 0, 0) == 0) {
      syscall(SYS_ptrace, PTRACE_DETACH, 1, 0, 0);
      got = "ptrace";
    } else {
      ptrace_errno = errno;
    }
    for (const char* path : {"/proc/1/mem", "/proc/1/environ"}) {
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd >= 0) got = path, close(fd);
    }
    char link[64];
    for (int fd = 0; fd < 16; ++fd)
      if (readlink(("/proc/1/fd/" + std::to_string(fd)).c_str(), link, sizeof link) > 0) got = "/proc/1/fd";
    for (int fd = 0; pidfd >= 0 && fd < 16; ++fd) {
      int copy = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
      if (copy >= 0) got = "pidfd_getfd", close(copy);
    }
    if (!got.empty()) return pass("init-reach", got + " after " + std::to_string(tries) + " tries");
    clock_gettime(CLOCK_MONOTONIC, &now);
    if ((now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000 >= ms)
      return fail("init-reach", ptrace_errno, std::to_string(tries) + " tries");
  }
}

// without-landlock CMD ARGS...: runs CMD where the Landlock calls fail with
// ENOSYS, as on a kernel without Landlock.
int without_landlock(int argc, char** argv) {
  if (argc < 3) return 2;
  sock_filter f[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, SYS_landlock_create_ruleset, 0, 2),
      BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, SYS_landlock_restrict_self, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  sock_fprog prog{static_cast<unsigned short>(sizeof f / sizeof f[0]), f};
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) return error("without-landlock", errno, "seccomp");
  execv(argv[2], argv + 2);
  return error("without-landlock", errno, argv[2]);
}

std::string status_line(const char* key) {
  std::ifstream in("/proc/self/status");
  for (std::string l; std::getline(in, l);)
    if (l.starts_with(key)) return l;
  return "";
}

}  // namespace

// Run as the jail's init (pid 1 with ZJAIL_INIT): a handler took the
// handover. Says so with what it holds, and reports a status of its own.
int hijacked_init() {
  out("HIJACKED init " + status_line("CapEff:") + " " + status_line("Seccomp:"));
  const char* env = std::getenv("ZJAIL_INIT");
  const char* comma = env ? std::strchr(env, ',') : nullptr;
  if (comma) {
    int forged = 99 << 8;
    (void)!write(std::atoi(comma + 1), &forged, sizeof forged);
    kill(std::atoi(env), SIGKILL);
  }
  return 99;
}

int run_small_init_probe(const std::string& n, int argc, char** argv) {
  if (n == "binfmt-register" && argc > 3) return binfmt_register(argv[2], std::atoi(argv[3]));
  if (n == "without-landlock") return without_landlock(argc, argv);
  if (n == "init-reach" && argc > 2) return init_reach(std::atoi(argv[2]));
  if (n == "init-rlimit" && argc > 4) return init_rlimit(std::atoi(argv[2]), std::atol(argv[3]), std::atoi(argv[4]));
  return -1;
}

}  // namespace zjail_probe
