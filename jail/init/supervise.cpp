// The small supervisor. zjail hands a running jail over to it once the jail
// has been idle for kShedAfterMs (handover.hpp), keeping the same pid, so
// that systemd's main process, the caller's child and the init's parent stay
// what they were. It does the part of supervising that needs no state:
// passing the forwarded signals on to the jail's init, and, when the payload
// exits normally and nothing is left to report, exiting with its status.
// Everything else (a denied call on the seccomp listener, a notify message,
// a payload killed by a signal, an end that zjail must report or clean up)
// execs zjail again with the same fds, which takes over where it left off.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>

#include "supervise.hpp"
#include "sys.hpp"
#include "zjail/result.hpp"
#include "zjail/supervise_env.hpp"


namespace zjail::small {
namespace {

// zjail: supervise: what failed (errno N)
void say(const char* what, int err) {
  char line[160];
  int n = 0;
  auto put = [&](const char* s) {
    while (*s && n < 140) line[n++] = *s++;
  };
  put("zjail: supervise: ");
  put(what);
  put(" (errno ");
  char digits[12];
  int d = 0;
  do digits[d++] = static_cast<char>('0' + err % 10); while ((err /= 10) != 0 && d < 11);
  while (d) line[n++] = digits[--d];
  line[n++] = ')';
  line[n++] = '\n';
  (void)!write(2, line, static_cast<size_t>(n));
}

// Unsupervised, the jail must not run on: denied calls would wait forever.
[[noreturn]] void fail_closed(long pidfd, const char* what, int err) {
  say(what, err);
  if (pidfd >= 0) zjail_pidfd_send_signal(static_cast<int>(pidfd), SIGKILL);
  _exit(kExitFailure);
}

// zjail again, with the same fds and `v` as the variable's new value.
[[noreturn]] void resume(long* v, char** argv, char** envp) {
  static char entry[32 + 12 * kSuperviseFields];
  for (char** e = envp; *e; ++e)
    if (env_entry_is(*e, kSuperviseEnv)) {
      *e = format_numbers(entry, kSuperviseEnv, v, kSuperviseFields);
      break;
    }
  zjail_execveat(static_cast<int>(v[kSelfFd]), argv, envp);
  fail_closed(v[kPidFd], "exec of zjail to take the jail back", errno);
}

}  // namespace

void supervise(const char* spec, char** argv, char** envp) {
  long v[kSuperviseFields];
  if (!parse_numbers(spec, v, kSuperviseFields) || v[kPidFd] < 0 || v[kSignalFd] < 0 || v[kStatusFd] < 0 ||
      v[kSelfFd] < 0 || v[kStateFd] < 0 || v[kCarriedStatus] != -1)
    fail_closed(-1, "malformed ZJAIL_SUPERVISE", EINVAL);
  // What ps and systemd show stays zjail's name.
  prctl(PR_SET_NAME, "zjail", 0, 0, 0);
  const int pidfd = static_cast<int>(v[kPidFd]);
  const int sfd = static_cast<int>(v[kSignalFd]);
  for (;;) {
    pollfd fds[4] = {{pidfd, POLLIN, 0},
                     {sfd, POLLIN, 0},
                     {static_cast<int>(v[kListenerFd]), POLLIN, 0},
                     {static_cast<int>(v[kRelayFd]), POLLIN, 0}};
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      resume(v, argv, envp);
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (read(sfd, &si, sizeof si) == sizeof si) zjail_pidfd_send_signal(pidfd, static_cast<int>(si.ssi_signo));
    }
    // A denied call waits for its answer, a notify message for its relay.
    if (fds[2].revents || fds[3].revents || (fds[1].revents & ~POLLIN)) resume(v, argv, envp);
    if (!fds[0].revents) continue;
    int status = 0;
    if (read(static_cast<int>(v[kStatusFd]), &status, sizeof status) == sizeof status) {
      if (!v[kFinishFlag] && WIFEXITED(status) && zjail_waitid_pidfd(pidfd) == 0) _exit(WEXITSTATUS(status));
      v[kCarriedStatus] = status & 0xffff;
    }
    resume(v, argv, envp);
  }
}

}  // namespace zjail::small
