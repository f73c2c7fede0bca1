// The jail's init once its payload runs. The init zjail clones is a copy of
// zjail, several hundred KiB of it private; once the jail has been idle for
// kShedAfterMs it execs this instead (zjail/memory.hpp), which serves the
// payload with the same loop (child/init_serve.cpp) in a few pages.
//
// It is exec'd as PID 1 of the jail, in the jail's namespaces, with the
// forwarded signals and SIGCHLD still blocked (pending ones carry over) and
// the status pipe to zjail open. ZJAIL_INIT=<payload pid>,<status fd> says
// which is which.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init_serve.hpp"
#include "zjail/memory.hpp"
#include "zjail/result.hpp"

namespace {

// Whatever went wrong, nothing of the jail may outlive its init unserved.
[[noreturn]] void give_up() {
  kill(-1, SIGKILL);
  _exit(zjail::kExitFailure);
}

// "<digits>," or "<digits>\0": the number, or -1.
long take_number(const char*& p) {
  long v = 0;
  const char* start = p;
  while (*p >= '0' && *p <= '9' && v < 1L << 30) v = v * 10 + (*p++ - '0');
  if (p == start || (*p != ',' && *p != '\0')) return -1;
  if (*p == ',') ++p;
  return v;
}

}  // namespace

int main(int, char**, char** envp) {
  // Nothing in the jail may trace the init or read its memory (the exec made
  // it dumpable again). Until this line only a payload with CAP_SYS_PTRACE
  // could, and such a jail never hands over (memory.hpp).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) give_up();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) give_up();
  prctl(PR_SET_NAME, "zjail-init", 0, 0, 0);
  long payload = -1, status_fd = -1;
  for (char** e = envp; *e; ++e) {
    const char* p = *e;
    const char* want = zjail::kSmallInitEnv;
    while (*want && *p == *want) ++p, ++want;
    if (*want || *p != '=') continue;
    ++p;
    payload = take_number(p);
    status_fd = take_number(p);
  }
  if (payload <= 1 || status_fd < 0) give_up();
  // zjail may have died during the exec, before the death signal was armed
  // again: its end of the status pipe is then closed.
  pollfd p{static_cast<int>(status_fd), 0, 0};
  if (poll(&p, 1, 0) != 0) give_up();
  if (zjail::child::init_handlers() != 0) give_up();
  int sfd = zjail::child::init_signalfd();
  if (sfd < 0) give_up();
  zjail::child::init_serve(static_cast<pid_t>(payload), static_cast<int>(status_fd), sfd, -1);
  give_up();
}
