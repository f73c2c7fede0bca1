// The launch path, in order. The first two tables run in the jail's init
// (PID 1 of the new pid namespace): it readies itself, waits for the
// parent's go-ahead and builds the jail; the third runs in the payload
// (PID 2) and drops everything down to the seccomp filter, which is
// installed as close to execve as possible. Where the host refuses a user
// namespace, a fourth runs instead of all three: the payload's own steps,
// in the clone child, with nothing to build.
#include <fcntl.h>
#include <grp.h>
#include <linux/keyctl.h>
#include <linux/seccomp.h>
#include <linux/securebits.h>
#include <sched.h>
#include <net/if.h>
#include <signal.h>
#include <sys/capability.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <iterator>
#include <cstring>
#include <utility>

#include "child.hpp"
#include "privileges.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define ZJAIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ZJAIL_ASAN 1
#endif
#endif
#ifdef ZJAIL_ASAN
#include <sanitizer/common_interface_defs.h>
#endif

namespace zjail::child {
namespace {

using StepFn = int (*)(Context&);
struct StepEntry {
  Step step;
  StepFn run;
};

// A privilege step shared with a login session (privileges.hpp).
template <PrivilegeStep F>
int shared(Context& ctx) {
  return F(*ctx.plan, ctx.detail);
}

int wait_for_parent(Context& ctx) {
  char go = 0;
  ssize_t n = recv(ctx.err_sock, &go, 1, 0);
  if (n == 1 && go == 'G') return 0;
  return n < 0 ? errno : ECONNABORTED;  // the parent went away
}

// Only after the go-ahead is the init in its final cgroup (a systemd scope
// adopts it after clone), and the cgroup namespace must be rooted there.
int new_cgroup_namespace(Context&) {
  return unshare(CLONE_NEWCGROUP) < 0 ? errno : 0;
}

int set_hostname(Context& ctx) {
  const std::string& h = ctx.plan->hostname;
  if (h.empty()) return 0;  // ProtectHostname= without a name: the host's, as copied
  return sethostname(h.data(), h.size()) < 0 ? errno : 0;
}

int bring_up_loopback(Context& ctx) {
  if (!owns_network_namespace(ctx.plan->network.mode)) return 0;
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return errno;
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  int r = ioctl(s, SIOCGIFFLAGS, &ifr);
  if (r == 0) {
    ifr.ifr_flags = static_cast<short>(ifr.ifr_flags | IFF_UP | IFF_RUNNING);
    r = ioctl(s, SIOCSIFFLAGS, &ifr);
  }
  int e = errno;
  close(s);
  return r < 0 ? e : 0;
}

// The init is cloned with all of zjail's fds; it keeps only what the jail
// needs, so no root process in the jail ever holds a caller's stray fd.
int close_stray_fds(Context& ctx) {
  const Plan& plan = *ctx.plan;
  constexpr size_t kMaxKeep = 256;
  int keep[kMaxKeep];
  size_t n = 0;
  auto add = [&](int fd) {
    if (fd >= 3 && n < kMaxKeep) keep[n++] = fd;
  };
  if (plan.pass_fds.size() + 4 > kMaxKeep) return EMFILE;
  add(ctx.err_sock);
  add(ctx.status_fd);
  add(ctx.small_init_fd);
  add(plan.exec_fd.get());
  for (const auto& fd : plan.pass_fds) add(fd.get());
  for (size_t i = 1; i < n; ++i)  // insertion sort: no allocation here
    for (size_t j = i; j > 0 && keep[j - 1] > keep[j]; --j) std::swap(keep[j - 1], keep[j]);
  unsigned from = 3;
  for (size_t i = 0; i < n; ++i) {
    unsigned fd = static_cast<unsigned>(keep[i]);
    if (fd > from && syscall(SYS_close_range, from, fd - 1, 0) < 0) return errno;
    from = fd + 1;
  }
  return syscall(SYS_close_range, from, ~0U, 0) < 0 ? errno : 0;
}

// --- payload steps ---------------------------------------------------------

int new_session(Context& ctx) {
  if (ctx.plan->keep_terminal) return 0;
  return setsid() < 0 ? errno : 0;
}

// Passed fds become 3, 4, ...; the error socket and the exec fd sit right
// above them, close-on-exec, so one close_range() clears everything else.
int place_fds(Context& ctx) {
  const Plan& plan = *ctx.plan;
  int n = static_cast<int>(plan.pass_fds.size());
  int base = 3 + n + 2;
  for (const auto& fd : plan.pass_fds) base = fd.get() >= base ? fd.get() + 1 : base;
  base = ctx.err_sock >= base ? ctx.err_sock + 1 : base;
  base = ctx.exec_fd >= base ? ctx.exec_fd + 1 : base;

  // First lift everything out of the way, then drop it into place.
  int hi_err = fcntl(ctx.err_sock, F_DUPFD_CLOEXEC, base);
  if (hi_err < 0) return errno;
  ctx.err_sock = hi_err;  // report further errors through the copy
  int hi_exec = -1;
  if (ctx.exec_fd >= 0 && (hi_exec = fcntl(ctx.exec_fd, F_DUPFD_CLOEXEC, base)) < 0) return errno;
  for (int i = 0; i < n; ++i) {
    int hi = fcntl(plan.pass_fds[i].get(), F_DUPFD_CLOEXEC, base);
    if (hi < 0) return errno;
    if (dup3(hi, 3 + i, 0) < 0) return errno;
  }
  if (dup3(hi_err, 3 + n, O_CLOEXEC) < 0) return errno;
  ctx.err_sock = 3 + n;
  if (hi_exec >= 0) {
    if (dup3(hi_exec, 4 + n, O_CLOEXEC) < 0) return errno;
    ctx.exec_fd = 4 + n;
  }
  return 0;
}

int close_other_fds(Context& ctx) {
  unsigned first = static_cast<unsigned>(ctx.exec_fd >= 0 ? ctx.exec_fd + 1 : ctx.err_sock + 1);
  return syscall(SYS_close_range, first, ~0U, 0) < 0 ? errno : 0;
}

int set_groups(Context& ctx) {
  const Plan& plan = *ctx.plan;
  if (plan.idmap.deny_setgroups) return 0;  // the kernel refuses; groups are empty
  return syscall(SYS_setgroups, plan.groups.size(), plan.groups.data()) < 0 ? errno : 0;
}

int set_gid(Context& ctx) {
  gid_t g = ctx.plan->gid;
  return syscall(SYS_setresgid, g, g, g) < 0 ? errno : 0;
}

// SecureBits=, while the payload still holds CAP_SETPCAP in its namespace.
int set_securebits(Context& ctx) {
  int bits = ctx.plan->security.securebits;
  if (bits < 0) return 0;
  return prctl(PR_SET_SECUREBITS, static_cast<unsigned long>(bits), 0, 0, 0) < 0 ? errno : 0;
}

// SecureBits= may have locked the keep-caps bit, which PR_SET_KEEPCAPS sets.
bool keepcaps_locked(const Plan& plan) {
  return plan.security.securebits >= 0 && (plan.security.securebits & SECBIT_KEEP_CAPS_LOCKED);
}

int set_uid(Context& ctx) {
  // Keep the permitted set across setresuid so ambient caps can be raised
  // (the planner refuses ambient caps where SecureBits= locked it off).
  if (!keepcaps_locked(*ctx.plan) && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0) return errno;
  uid_t u = ctx.plan->uid;
  return syscall(SYS_setresuid, u, u, u) < 0 ? errno : 0;
}

int set_caps(Context& ctx) {
  const Plan& plan = *ctx.plan;
  if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0) return errno;
  if (cap_set_proc(plan.caps.get()) < 0) return errno;
  for (int c = 0; c <= plan.last_cap && c < 64; ++c) {
    if (!(plan.ambient & (1ULL << c))) continue;
    ctx.detail = c;
    if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, c, 0, 0) < 0) return errno;
  }
  ctx.detail = -1;
  // Cleared again, unless SecureBits= asked for keep-caps or locked it.
  int sb = plan.security.securebits;
  if (sb >= 0 && (sb & (SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED))) return 0;
  return prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0) < 0 ? errno : 0;
}

// KeyringMode=: private (the default) and shared give the payload a new
// session keyring, so it never holds the caller's. It is made before the
// user change, so that it counts against the jail root's key quota, not
// the payload user's 200 keys, which a few hundred jails of one user would
// exhaust; the payload holds it all the same.
int join_keyring(Context& ctx) {
  if (ctx.plan->security.keyring == SecurityPlan::Keyring::Inherit) return 0;
  long id = syscall(SYS_keyctl, KEYCTL_JOIN_SESSION_KEYRING, nullptr, 0, 0, 0);
  // A kernel without keys has no keyring to leak.
  return id < 0 && errno != ENOSYS ? errno : 0;
}

// KeyringMode=shared, as the payload's user: its user keyring (the jail user
// namespace's own) linked into the session keyring.
int link_user_keyring(Context& ctx) {
  if (ctx.plan->security.keyring != SecurityPlan::Keyring::Shared) return 0;
  long r = syscall(SYS_keyctl, KEYCTL_LINK, KEY_SPEC_USER_KEYRING, KEY_SPEC_SESSION_KEYRING, 0, 0);
  return r < 0 && errno != ENOSYS ? errno : 0;
}

// CPUSchedulingResetOnFork=: the payload inherited the policy from the init
// (process-properties); it adds the flag for itself, which needs no privilege.
int reset_on_fork(Context& ctx) {
  const SecurityPlan& s = ctx.plan->security;
  if (s.reset_on_fork_policy < 0) return 0;
  sched_param param{};
  param.sched_priority = s.reset_on_fork_priority;
  return sched_setscheduler(0, s.reset_on_fork_policy | SCHED_RESET_ON_FORK, &param) < 0 ? errno : 0;
}

// UMask=; without it the payload keeps zjail's own (the init restored it).
int set_umask(Context& ctx) {
  if (ctx.plan->identity.umask >= 0) umask(static_cast<mode_t>(ctx.plan->identity.umask));
  return 0;
}

int restrict_self(Context& ctx) { return apply_landlock(ctx.plan->landlock, ctx.exec_fd); }

int change_dir(Context& ctx) {
  return chdir(ctx.plan->workdir.c_str()) < 0 ? errno : 0;
}

// A command given by path was opened before the mounts, so that it runs
// even where the jail does not show it. Where the jail shows the same file
// at the same path (a host or directory root), it runs from there instead:
// the jail's mounts judge it, as systemd's do (NoExecPaths=,
// InaccessiblePaths=). Before the seccomp filter, which may not allow open.
int jail_command(Context& ctx) {
  if (ctx.exec_fd < 0) return 0;
  int in_jail = open(ctx.plan->exec_path.c_str(), O_PATH | O_CLOEXEC);
  if (in_jail < 0) return errno == EACCES ? EACCES : 0;
  struct stat a{}, b{};
  if (fstat(in_jail, &a) == 0 && fstat(ctx.exec_fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino) {
    close(ctx.exec_fd);
    ctx.exec_fd = in_jail;
  } else {
    close(in_jail);
  }
  return 0;
}

// Without namespaces no pid namespace takes the payload along when zjail
// dies; the parent-death signal does, checked against a zjail that died
// before it was set. (Kept across execve: no_new_privs keeps the ids.)
int set_death_signal(Context& ctx) {
  if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0) return errno;
  return getppid() == ctx.parent ? 0 : ESRCH;
}

// The filters, last before execve. With denial explanations (denials.hpp)
// they are one filter with a listener, which must reach zjail before the
// execve closes it (it is close-on-exec: the payload never holds it). The
// payload announces the listener's number, which zjail copies with
// pidfd_getfd(), then makes the marker call: denied by the base filter, it
// waits on the listener until zjail, now holding it, answers. No call in
// between can wait on a listener nobody holds: the plan checked that the
// filter allows write (plan_denials).
int install_filters(Context& ctx) {
  const Plan& plan = *ctx.plan;
  if (plan.seccomp_notify.empty()) return install_seccomp(plan, ctx.detail);
  // An unprivileged zjail may only copy an fd from a dumpable process; the
  // init, which shares this memory, seals it again after the execve.
  if (!plan.invoked_as_root && prctl(PR_SET_DUMPABLE, 1, 0, 0, 0) < 0) return errno;
  const auto& insns = plan.seccomp_notify;
  sock_fprog prog{static_cast<unsigned short>(insns.size()), const_cast<sock_filter*>(insns.data())};
  long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
  if (fd < 0) return errno;
  FailureRecord announce{static_cast<uint32_t>(Step::Seccomp), 0, static_cast<int32_t>(fd)};
  if (write(ctx.err_sock, &announce, sizeof announce) != sizeof announce) return errno;
  long r = syscall(SYS_setns, -1, kListenerMarker);
  if (r < 0) return errno;  // ENOSYS: zjail let go of the listener
  return static_cast<uint64_t>(r) == kListenerMarker ? 0 : EPROTO;
}

int exec_payload(Context& ctx) {
  const Plan& plan = *ctx.plan;
  char* const* argv = plan.argv.data();
  char* const* envp = plan.envp.data();
  if (ctx.exec_fd >= 0) {
    syscall(SYS_execveat, ctx.exec_fd, "", argv, envp, AT_EMPTY_PATH);
    return errno;
  }
  // PATH search as execvp does it: a permission problem beats "not found".
  bool denied = false;
  for (const auto& candidate : plan.exec_candidates) {
    execve(candidate.c_str(), argv, envp);
    if (errno == EACCES) denied = true;
    else if (errno != ENOENT && errno != ENOTDIR) return errno;
  }
  return denied ? EACCES : ENOENT;
}

// The init before the parent's go-ahead, while the parent writes its id
// maps and puts it into the jail's cgroup.
constexpr StepEntry kInitSteps[] = {
    {Step::InitSetup, init_setup},
    {Step::CloseStrayFds, close_stray_fds},
    {Step::SyncWait, wait_for_parent},
};

// The init after the go-ahead, in its final cgroup: building the jail.
constexpr StepEntry kJailSteps[] = {
    {Step::CgroupNamespace, new_cgroup_namespace},
    {Step::MountPrivate, make_mounts_private},
    {Step::OpenSources, open_sources},
    {Step::RootMount, mount_root},
    {Step::Mounts, apply_mounts},
    {Step::PivotRoot, pivot_root},
    {Step::RemountRoot, remount_root},
    {Step::Hostname, set_hostname},
    {Step::Loopback, bring_up_loopback},
    {Step::InitSeal, init_seal},
};

// The payload (PID 2), from the init's fork to its execve.
constexpr StepEntry kPayloadSteps[] = {
    {Step::Setsid, new_session},
    {Step::Rlimits, shared<apply_rlimits>},
    {Step::Umask, set_umask},
    {Step::PassFds, place_fds},
    {Step::CloseFds, close_other_fds},
    {Step::Groups, set_groups},
    {Step::Gid, set_gid},
    {Step::BoundingSet, shared<drop_bounding_set>},
    {Step::SecureBits, set_securebits},
    {Step::Keyring, join_keyring},
    {Step::Uid, set_uid},
    {Step::Capabilities, set_caps},
    {Step::KeyringShared, link_user_keyring},
    {Step::NoNewPrivs, shared<set_no_new_privs>},
    {Step::Personality, shared<set_personality>},
    {Step::DenyWriteExecute, shared<deny_write_execute>},
    {Step::SchedResetOnFork, reset_on_fork},
    {Step::Landlock, restrict_self},
    {Step::Chdir, change_dir},
    {Step::JailCommand, jail_command},
    {Step::Seccomp, install_filters},
    {Step::Exec, exec_payload},
};

// Without namespaces the clone child is the payload, and there is no jail
// to build: these steps, then kPayloadSteps' steps on kFallbackPath (not
// setgroups or the bounding set, which an unprivileged caller can change
// neither of, nor jail-command: the host's paths are the jail's).
constexpr StepEntry kFallbackSteps[] = {
    {Step::DeathSignal, set_death_signal},
    {Step::SyncWait, wait_for_parent},
};

// Each table runs after the one before it, its steps in Step order.
static_assert(runs_in_order(kInitSteps, kBothPaths, Step::ProcessProperties) &&
                  runs_in_order(kJailSteps, kBothPaths, Step::SyncWait) &&
                  runs_in_order(kPayloadSteps, kLaunchPath, Step::ForkPayload) &&
                  runs_in_order(kFallbackSteps, kFallbackPath, Step::ProcessProperties) &&
                  kFallbackSteps[std::size(kFallbackSteps) - 1].step < kPayloadSteps[0].step,
              "the launch's steps run in Step order (step.hpp)");

// `path`: the steps of the table on that path (kPayloadSteps serves two).
template <size_t N>
void run_steps(Context& ctx, const StepEntry (&steps)[N], unsigned path = kNoPath) {
  for (const auto& s : steps) {
    if (path != kNoPath && !on_path(s.step, path)) continue;
    if (int e = fault_at(ctx.plan->fault, s.step)) fail(ctx, s.step, e);
    int err = s.run(ctx);
    if (err != 0) fail(ctx, s.step, err);
  }
}

[[noreturn]] void run_payload(Context& ctx) {
  // The init blocked these to forward them; the payload starts clean.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  close(ctx.status_fd);
  ctx.exec_fd = ctx.plan->exec_fd.get();
  run_steps(ctx, kPayloadSteps);
  fail(ctx, Step::Exec, ENOEXEC);  // exec_payload only returns on failure
}

[[noreturn]] void run_without_namespaces(Context& ctx) {
  // The parent blocked the forwarded signals; the payload starts clean. No
  // init reports its status: the parent waits for the payload itself.
  sigset_t none;
  sigemptyset(&none);
  sigprocmask(SIG_SETMASK, &none, nullptr);
  close(ctx.status_fd);
  ctx.status_fd = -1;
  ctx.exec_fd = ctx.plan->exec_fd.get();
  run_steps(ctx, kFallbackSteps);
  run_steps(ctx, kPayloadSteps, kFallbackPath);
  fail(ctx, Step::Exec, ENOEXEC);
}

}  // namespace

[[noreturn]] void fail(Context& ctx, Step step, int err) {
  FailureRecord rec{static_cast<uint32_t>(step), err, ctx.detail};
  // write(), not send(): after the seccomp step only the exec error is left
  // to report, and allow lists always keep write (see compile_seccomp).
  (void)!write(ctx.err_sock, &rec, sizeof rec);
  _exit(exit_code(step, err));
}

namespace {

// ASan keeps one stack per thread and would take the payload's own stack for
// a corrupt one at the first noreturn call (a warning on stderr, and no
// unpoisoning). The fiber annotations tell it about the switch; the init
// switches back after the payload has left the shared memory.
struct PayloadStart {
  Context* ctx;
#ifdef ZJAIL_ASAN
  const void* init_bottom = nullptr;
  size_t init_size = 0;
#endif
};

int payload_entry(void* arg) {
  auto* start = static_cast<PayloadStart*>(arg);
#ifdef ZJAIL_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &start->init_bottom, &start->init_size);
#endif
  run_payload(*start->ctx);
}

// The payload starts vfork-style, as posix_spawn does: it borrows the init's
// memory until its execve, so there are no page tables to copy, no
// copy-on-write faults and no second address space to tear down at exec. It
// runs on a stack of its own (with a guard page) and on its own copy of the
// context, and the init sleeps until the execve or the failure.
pid_t start_payload(Context& ctx) {
  constexpr size_t kGuard = 4096, kStack = 256 * 1024;
  void* map = mmap(nullptr, kGuard + kStack, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (map == MAP_FAILED) return -1;
  if (mprotect(map, kGuard, PROT_NONE) < 0) return -1;
  Context payload = ctx;
  PayloadStart start{&payload};
  char* top = static_cast<char*>(map) + kGuard + kStack;
#ifdef ZJAIL_ASAN
  __sanitizer_start_switch_fiber(nullptr, static_cast<char*>(map) + kGuard, kStack);
#endif
  pid_t pid = clone(payload_entry, top, CLONE_VM | CLONE_VFORK | SIGCHLD, &start);
  int e = errno;
#ifdef ZJAIL_ASAN
  // If clone failed, the announced switch is completed on paper first, which
  // also yields the init's stack bounds to switch back to.
  if (!start.init_bottom) __sanitizer_finish_switch_fiber(nullptr, &start.init_bottom, &start.init_size);
  __sanitizer_start_switch_fiber(nullptr, start.init_bottom, start.init_size);
  __sanitizer_finish_switch_fiber(nullptr, nullptr, nullptr);
#endif
  munmap(map, kGuard + kStack);
  // The payload's setresuid reset the shared mm's dumpable flag to the
  // system default; the init keeps its own "never".
  if (pid > 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0) e = errno, pid = -1;
  errno = e;
  return pid;
}

}  // namespace

[[noreturn]] void run(Context& ctx) {
  if (!ctx.plan->namespaces) run_without_namespaces(ctx);
  run_steps(ctx, kInitSteps);
  run_steps(ctx, kJailSteps);
  ctx.detail = -1;
  if (ctx.plan->session) {
    // A login session's jail has no payload: EOF on the error socket tells
    // the parent the jail is built, and the parent joins it.
    close(ctx.err_sock);
    ctx.err_sock = -1;
    session_loop(ctx);
  }
  if (int e = fault_at(ctx.plan->fault, Step::ForkPayload)) fail(ctx, Step::ForkPayload, e);
  init_note_limits(ctx);
  pid_t pid = start_payload(ctx);
  if (pid < 0) fail(ctx, Step::ForkPayload, errno);
  ctx.payload = pid;
  // From here on only the payload's copy of the error socket matters: its
  // close-on-exec is what tells the parent that execve happened.
  close(ctx.err_sock);
  ctx.err_sock = -1;
  init_loop(ctx);
}

}  // namespace zjail::child
