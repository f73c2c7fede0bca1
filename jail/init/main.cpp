// zjail-init: what zjail keeps beside an idle jail, in a few pages, in two
// roles. As the jail's init: the init zjail clones is a copy of zjail,
// several hundred KiB of it private; once the jail has been idle for
// kShedAfterMs it execs this instead (zjail/memory.hpp), which serves the
// payload with the same loop (child/init_serve.cpp). As zjail's supervisor
// on the host (zjail/handover.hpp, supervise.cpp): below.
//
// The init is exec'd as PID 1 of the jail, in the jail's namespaces, with the
// forwarded signals and SIGCHLD still blocked (pending ones carry over) and
// the status pipe to zjail open. ZJAIL_INIT=<payload pid>,<status fd> says
// which is which.
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "init_serve.hpp"
#include "supervise.hpp"
#include "zjail/memory.hpp"
#include "zjail/result.hpp"
#include "zjail/supervise_env.hpp"

namespace {

// Whatever went wrong, nothing of the jail may outlive its init unserved.
// Only as PID 1, the jail's init: anywhere else kill(-1) would reach every
// process the caller may signal.
[[noreturn]] void give_up() {
  if (getpid() == 1) kill(-1, SIGKILL);
  _exit(zjail::kExitFailure);
}

// The jail's init: serves the payload until it exits.
[[noreturn]] void serve_jail(const char* spec) {
  // Nothing in the jail may trace the init or read its memory (the exec made
  // it dumpable again). Until this line only a payload with CAP_SYS_PTRACE
  // could, and such a jail never hands over (memory.hpp).
  if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) give_up();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) give_up();
  prctl(PR_SET_NAME, "zjail-init", 0, 0, 0);
  long v[2];
  if (!zjail::parse_numbers(spec, v, 2) || v[0] <= 1 || v[1] < 0) give_up();
  long payload = v[0], status_fd = v[1];
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

}  // namespace

// One binary, two roles, told apart by the variable that carries the fds:
// the jail's init (ZJAIL_INIT, in the jail) and zjail's supervisor
// (ZJAIL_SUPERVISE, on the host; supervise.cpp). zjail sets exactly one and
// clears the other; both, or neither, is no handover of zjail's.
int main(int, char** argv, char** envp) {
  const char* init = zjail::env_value(envp, zjail::kSmallInitEnv);
  const char* supervise = zjail::env_value(envp, zjail::kSuperviseEnv);
  if (init && !supervise) serve_jail(init);
  if (supervise && !init) zjail::small::supervise(supervise, argv, envp);
  _exit(zjail::kExitFailure);
}
