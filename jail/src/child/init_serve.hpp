// The jail init's steady state, shared by the init zjail clones and the small
// init it hands over to (jail/init/): reap every child, pass the forwarded
// signals on to the payload, and exit with the payload's status. Plain libc
// calls only, so the small init links no C++ runtime.
#pragma once
#include <sys/types.h>

namespace zjail::child {

// Blocks the forwarded signals and SIGCHLD and returns a signalfd for them,
// or -1.
int init_signalfd();

// Installs the do-nothing handler that lets a pid namespace's init receive
// the forwarded signals (a blocked signal is queued whatever its handler,
// but one that is not blocked is dropped at SIG_DFL). 0 or an errno.
int init_handlers();

// Serves the payload on the signalfd. With idle_ms >= 0 it returns once that
// long passes without an event; it never returns otherwise. Exits the
// process with the payload's status once the payload is reaped.
void init_serve(pid_t payload, int status_fd, int sfd, int idle_ms);

}  // namespace zjail::child
