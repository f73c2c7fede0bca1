#include "init_serve.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "zjail/result.hpp"
#include "zjail/forwarded_signals.hpp"

namespace zjail::child {
namespace {

void ignore_signal(int) {}

}  // namespace

int init_handlers() {
  struct sigaction sa {};
  sa.sa_handler = ignore_signal;
  sigemptyset(&sa.sa_mask);
  for (int sig : kForwardedSignals)
    if (sigaction(sig, &sa, nullptr) < 0) return errno;
  return sigaction(SIGCHLD, &sa, nullptr) < 0 ? errno : 0;
}

int init_signalfd() {
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  return signalfd(-1, &set, SFD_CLOEXEC);
}

void init_serve(pid_t payload, int status_fd, int sfd, int idle_ms) {
  for (;;) {
    if (idle_ms >= 0) {
      pollfd p{sfd, POLLIN, 0};
      int r = poll(&p, 1, idle_ms);
      if (r == 0) return;
      if (r < 0 && errno == EINTR) continue;
    }
    signalfd_siginfo si;
    ssize_t n = read(sfd, &si, sizeof si);
    if (n != sizeof si) {
      if (n < 0 && errno == EINTR) continue;
      kill(payload, SIGKILL);
      _exit(kExitFailure);
    }
    if (si.ssi_signo != SIGCHLD) {
      kill(payload, static_cast<int>(si.ssi_signo));
      continue;
    }
    int status;
    pid_t pid;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
      if (pid != payload) continue;  // an orphan: reaped, nothing more
      kill(-1, SIGKILL);
      (void)!write(status_fd, &status, sizeof status);
      _exit(WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    }
  }
}

}  // namespace zjail::child
