// The jail's PID 1: it reaps every child, forwards signals to the payload,
// and exits with the payload's status. Its exit makes the kernel kill
// whatever is left in the pid namespace, and its parent-death signal makes the
// whole jail die with zjail.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "child.hpp"
#include "zjail/memory.hpp"

namespace zjail::child {
namespace {

void ignore_signal(int) {}

}  // namespace

int init_setup(Context& ctx) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return errno;
  // The parent may have died before the line above: its end of the socket
  // is then closed and a peek reads EOF.
  char c;
  if (recv(ctx.err_sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) return ECONNABORTED;
  // A pid namespace's init only receives signals it has a handler for; the
  // handler never runs because the signals stay blocked for the signalfd.
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : kForwardedSignals)
    if (sigaction(sig, &sa, nullptr) < 0) return errno;
  if (sigaction(SIGCHLD, &sa, nullptr) < 0) return errno;
  prctl(PR_SET_NAME, "zjail-init", 0, 0, 0);
  show_init_title(ctx);
  return 0;
}

// After the parent has written the id maps (an unprivileged parent needs the
// child dumpable to open them): nothing in the jail may ptrace the init or
// read its memory.
int init_seal(Context&) {
  return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? errno : 0;
}

// The forwarded signals and SIGCHLD, blocked and read from a signalfd.
static int init_signalfd() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

[[noreturn]] void init_loop(Context& ctx) {
  int sfd = init_signalfd();
  if (sfd < 0) {
    kill(ctx.payload, SIGKILL);
    _exit(kExitFailure);
  }
  // The payload has exec'd: the code and stack that built the jail are dead
  // (memory.hpp), unless the jail ends first.
  bool shed = false;
  for (;;) {
    if (!shed) {
      pollfd p{sfd, POLLIN, 0};
      if (poll(&p, 1, kShedAfterMs) == 0) {
        (void)shed_startup_memory();
        shed = true;
        continue;
      }
    }
    signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n != sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      kill(ctx.payload, SIGKILL);
      _exit(kExitFailure);
    }
    if (si.ssi_signo != SIGCHLD) {
      kill(ctx.payload, static_cast<int>(si.ssi_signo));
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != ctx.payload) continue;  // an orphan: reaped, nothing more
      kill(-1, SIGKILL);
      (void)!write(ctx.status_fd, &status, sizeof status);
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

void show_init_title(Context& ctx) {
  const std::string& t = ctx.plan->init_title;
  if (t.empty()) return;
  // The arg range must stay ordered at every step: the new range lies below
  // the old one (heap below stack), so move the start first. Best effort: a
  // kernel that refuses leaves the inherited title, which is harmless.
  auto start = reinterpret_cast<unsigned long>(t.data());
  if (prctl(PR_SET_MM, PR_SET_MM_ARG_START, start, 0, 0) == 0 &&
      prctl(PR_SET_MM, PR_SET_MM_ARG_END, start + t.size(), 0, 0) == 0)
    return;
  // Without CAP_SYS_RESOURCE: overwrite the inherited argv area in place (this
  // is a private copy of the caller's memory) with as much as fits.
  const Plan& plan = *ctx.plan;
  if (plan.arg_start == 0 || plan.arg_end <= plan.arg_start) return;
  char* area = reinterpret_cast<char*>(plan.arg_start);
  size_t size = plan.arg_end - plan.arg_start;
  size_t i = 0;
  for (; i + 1 < size && i < t.size(); ++i) area[i] = t[i];
  for (; i < size; ++i) area[i] = '\0';
}

[[noreturn]] void session_loop(Context&) {
  int sfd = init_signalfd();
  if (sfd < 0) {
    kill(-1, SIGKILL);
    _exit(kExitFailure);
  }
  for (;;) {
    signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n != sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      break;
    }
    if (si.ssi_signo != SIGCHLD) break;
    int status;
    while (waitpid(-1, &status, WNOHANG) > 0) {}
  }
  kill(-1, SIGKILL);
  _exit(0);
}

}  // namespace zjail::child
