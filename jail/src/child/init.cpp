// The jail's PID 1: it reaps every child, forwards signals to the payload,
// and exits with the payload's status. Its exit makes the kernel kill
// whatever is left in the pid namespace, and its parent-death signal makes the
// whole jail die with zjail.
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>

#include "child.hpp"
#include "init_serve.hpp"
#include "zjail/memory.hpp"

namespace zjail::child {
namespace {

// Whether any of the init's rlimits is below what init_note_limits saw. A
// payload may hold the init's ids (CAP_SETUID and CAP_SETGID: uid 0 is
// mapped) or CAP_SYS_RESOURCE in the jail, and prlimit(1, ...) then lowers
// them; an exec under a tiny RLIMIT_STACK, AS or DATA fails after the
// point of no return and kills the init, and with it the jail, which zjail
// would report as the payload's own death, and under a tiny RLIMIT_NOFILE
// zjail-init cannot make its signalfd. The cloned init, whose memory is
// already mapped, serves on instead. The other limits act the same on
// either init.
bool limits_lowered(const Context& ctx) {
  for (size_t i = 0; i < std::size(kHandoverLimits); ++i) {
    rlimit now{};
    if (getrlimit(kHandoverLimits[i], &now) < 0) return true;
    if (now.rlim_cur < ctx.init_limits[i].rlim_cur || now.rlim_max < ctx.init_limits[i].rlim_max) return true;
  }
  return false;
}

// Hands the jail over to the small init (memory.hpp). The status pipe stays
// open across the exec; the blocked signals stay blocked and pending ones
// stay pending for the new signalfd. Returns only if the exec failed.
void hand_over(Context& ctx) {
  if (ctx.small_init_fd < 0 || limits_lowered(ctx) || fcntl(ctx.status_fd, F_SETFD, 0) < 0) return;
  // "ZJAIL_INIT=<pid>,<fd>", built without allocating.
  char env[sizeof kSmallInitEnv + 24];
  size_t n = 0;
  for (const char* p = kSmallInitEnv; *p; ++p) env[n++] = *p;
  env[n++] = '=';
  auto put = [&](long v) {
    char digits[20];
    int d = 0;
    do digits[d++] = static_cast<char>('0' + v % 10), v /= 10;
    while (v > 0);
    while (d > 0) env[n++] = digits[--d];
  };
  put(ctx.payload);
  env[n++] = ',';
  put(ctx.status_fd);
  env[n] = '\0';
  const std::string& title = ctx.plan->init_title;
  char* const argv[] = {const_cast<char*>(title.empty() ? "zjail-init" : title.c_str()), nullptr};
  char* const envp[] = {env, nullptr};
  // small_init_fd is close-on-exec, which refuses a binfmt_misc handler of
  // the payload's (open_small_init).
  syscall(SYS_execveat, ctx.small_init_fd, "", argv, envp, AT_EMPTY_PATH);
  (void)fcntl(ctx.status_fd, F_SETFD, FD_CLOEXEC);
}

}  // namespace

int init_setup(Context& ctx) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return errno;
  // The parent may have died before the line above: its end of the socket
  // is then closed and a peek reads EOF.
  char c;
  if (recv(ctx.err_sock, &c, 1, MSG_PEEK | MSG_DONTWAIT) == 0) return ECONNABORTED;
  // A pid namespace's init only receives signals it has a handler for; the
  // handler never runs because the signals stay blocked for the signalfd.
  if (int e = init_handlers()) return e;
  prctl(PR_SET_NAME, "zjail-init", 0, 0, 0);
  show_init_title(ctx);
  return 0;
}

void init_note_limits(Context& ctx) {
  for (size_t i = 0; i < std::size(kHandoverLimits); ++i)
    if (getrlimit(kHandoverLimits[i], &ctx.init_limits[i]) < 0) ctx.init_limits[i] = {};
}

// After the parent has written the id maps (an unprivileged parent needs the
// child dumpable to open them): nothing in the jail may ptrace the init or
// read its memory.
int init_seal(Context&) {
  return prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0 ? errno : 0;
}

[[noreturn]] void init_loop(Context& ctx) {
  int sfd = init_signalfd();
  if (sfd < 0) {
    kill(ctx.payload, SIGKILL);
    _exit(kExitFailure);
  }
  // A short-lived payload is served here to the end. One that runs on
  // leaves the code and stack that built the jail dead (memory.hpp): the
  // jail goes to the small init, or, without one, this copy sheds.
  init_serve(ctx.payload, ctx.status_fd, sfd, kShedAfterMs);
  hand_over(ctx);
  (void)shed_startup_memory();
  init_serve(ctx.payload, ctx.status_fd, sfd, -1);
  kill(ctx.payload, SIGKILL);
  _exit(kExitFailure);
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
