// The probe's denial checks: denied calls for zjail to explain (from one
// process, many tasks, many times), and the attack on the seccomp listener.
#include <fcntl.h>
#include <linux/seccomp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <string>

#include "probe.hpp"

namespace zjail_probe {
namespace {

long traceme() { return syscall(SYS_ptrace, PTRACE_TRACEME, 0, 0, 0); }

// `times` denied ptrace(PTRACE_TRACEME) calls; the last one's result.
int ptrace_me(int times) {
  long r = 0;
  for (int i = 0; i < times; ++i) r = traceme();
  return result("ptrace-me", r, "ptrace(PTRACE_TRACEME) x" + std::to_string(times));
}

// One denied ptrace(PTRACE_TRACEME) per SIGUSR1, `times` times, each
// reported as "TRACEME <i> <errno>"; exits with `code` on SIGTERM. For
// denials that come after the jail has gone idle.
int traceme_on_usr1(int times, int code) {
  return on_usr1_until_term("traceme-on-usr1", code, [&](int i) {
    if (i > times) return -1;
    long r = traceme();
    out("TRACEME " + std::to_string(i) + " " + (r < 0 ? ename(errno) : std::string("allowed")));
    return -1;
  });
}

int open_path(const std::string& path) {
  long r = syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC);
  return result("openat", r, "openat " + path);
}

void* thread_traceme(void* out) {
  *static_cast<long*>(out) = traceme() < 0 ? errno : 0;
  return nullptr;
}

// A denied call from the main thread, a second thread and a forked child.
int spread() {
  long thread_err = -1;
  pthread_t t;
  if (pthread_create(&t, nullptr, thread_traceme, &thread_err) != 0) return error("spread", EAGAIN, "pthread_create");
  pthread_join(t, nullptr);
  pid_t child = fork();
  if (child < 0) return error("spread", errno, "fork");
  if (child == 0) _exit(traceme() < 0 ? errno : 0);
  int status = 0;
  waitpid(child, &status, 0);
  long main_r = traceme();
  int main_err = main_r < 0 ? errno : 0;
  out("spread thread=" + ename(static_cast<int>(thread_err)) + " child=" +
      ename(WIFEXITED(status) ? WEXITSTATUS(status) : -1) + " main=" + ename(main_err));
  return 0;
}

// The attack: a payload holding its own listener could answer its denied
// calls with SECCOMP_USER_NOTIF_FLAG_CONTINUE. Every fd it has, and every
// number up to 1024, is asked whether it is one (a listener answers
// NOTIF_ID_VALID for an unknown id with ENOENT), and /proc/self/fd is read.
int steal_listener() {
  for (int fd = 0; fd < 1024; ++fd) {
    uint64_t id = 0;
    if (ioctl(fd, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT)
      return fail("steal-listener", 0, "fd " + std::to_string(fd) + " answers as a seccomp listener");
    char link[128] = {};
    std::string self = "/proc/self/fd/" + std::to_string(fd);
    if (readlink(self.c_str(), link, sizeof link - 1) > 0 && std::strstr(link, "seccomp"))
      return fail("steal-listener", 0, "fd " + std::to_string(fd) + " is " + link);
  }
  // The jail's init, PID 1, never holds it either; its fds are closed to us.
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, 1, 0));
  for (int fd = 0; pidfd >= 0 && fd < 64; ++fd) {
    int got = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, fd, 0));
    if (got < 0) continue;
    uint64_t id = 0;
    if (ioctl(got, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) < 0 && errno == ENOENT)
      return fail("steal-listener", 0, "the init's fd " + std::to_string(fd) + " is a seccomp listener");
    close(got);
  }
  // And the proof it matters: a denied call still fails.
  if (traceme() == 0) return fail("steal-listener", 0, "ptrace(PTRACE_TRACEME) was let through");
  return pass("steal-listener", "no listener among fds 0-1023 or the init's, ptrace denied " + ename(errno));
}


// Red team: a kill action dodged. A signal whose handler has no SA_RESTART
// interrupts a call waiting on the listener, which then fails with EINTR:
// the process lives on where the kernel's kill action would have killed it.
// A second thread signals the first without pause while it makes the
// denied call; "survived" is the bypass.
std::atomic<bool> g_stop{false};
void on_usr1(int) {}
void* pester(void* tid) {
  pid_t t = *static_cast<pid_t*>(tid);
  while (!g_stop.load()) syscall(SYS_tgkill, getpid(), t, SIGUSR1);
  return nullptr;
}
// In a forked child: 42 if it lived through its denied call.
int dodge_once() {
  struct sigaction sa{};
  sa.sa_handler = on_usr1;  // no SA_RESTART: an interrupted call returns EINTR
  sigaction(SIGUSR1, &sa, nullptr);
  pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  pthread_t t;
  if (pthread_create(&t, nullptr, pester, &self) != 0) return 1;
  // Any return at all is the bypass: the kernel's kill action never returns.
  traceme();
  return 42;
}

// `tries` children each try once; how many lived.
int dodge_kill(int tries) {
  int lived = 0, killed = 0;
  for (int i = 0; i < tries; ++i) {
    pid_t c = fork();
    if (c < 0) return error("dodge-kill", errno, "fork");
    if (c == 0) _exit(dodge_once());
    int status = 0;
    waitpid(c, &status, 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 42) ++lived;
    else if (WIFSIGNALED(status)) ++killed;
  }
  std::string counts = "lived=" + std::to_string(lived) + " killed=" + std::to_string(killed);
  if (lived > 0) return fail("dodge-kill", EINTR, counts);
  return pass("dodge-kill", counts);
}

// Red team: denials of `count` distinct call numbers no kernel knows
// (1000 up): the per-call rate limit and the per-call maps see each as new.
int unknown_calls(int count) {
  int denied = 0;
  for (int i = 0; i < count; ++i)
    if (syscall(1000 + i) < 0) ++denied;
  out("unknown-calls denied=" + std::to_string(denied));
  return 0;
}

// Red team: a path and a comm that carry a line break and an escape
// sequence, for zjail's log line.
int inject_log() {
  prctl(PR_SET_NAME, "x\nzjail: \x1b[2J", 0, 0, 0);
  traceme();
  std::string path = "/nonexistent\nzjail: payload exited 0\x1b[31m\r";
  syscall(SYS_openat, AT_FDCWD, path.c_str(), O_RDONLY | O_CLOEXEC);
  out("inject-log done");
  return 0;
}

}  // namespace

int run_denial_probe(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  if (n == "ptrace-me") return ptrace_me(argc > 2 ? std::atoi(a1.c_str()) : 1);
  if (n == "open-path" && argc > 2) return open_path(a1);
  if (n == "traceme-on-usr1" && argc > 3) return traceme_on_usr1(std::atoi(a1.c_str()), std::atoi(argv[3]));
  if (n == "spread") return spread();
  if (n == "unshare-user") return result("unshare-user", unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)");
  if (n == "steal-listener") return steal_listener();
  if (n == "dodge-kill") return dodge_kill(argc > 2 ? std::atoi(a1.c_str()) : 20);
  if (n == "unknown-calls") return unknown_calls(argc > 2 ? std::atoi(a1.c_str()) : 1000);
  if (n == "inject-log") return inject_log();
  return -1;
}

}  // namespace zjail_probe
