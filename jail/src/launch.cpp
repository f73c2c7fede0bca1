// The parent side of the launch, crun's pattern: clone into new namespaces,
// write the id maps, give the child the go-ahead, then read either a failure
// record or EOF (the payload's execve closed the CLOEXEC socket).
#include "zjail/launch.hpp"

#include <fcntl.h>
#include <malloc.h>
#include <linux/sched.h>
#include <poll.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>

#include "child/child.hpp"
#include "process_properties.hpp"
#include "zjail/caps.hpp"
#include "zjail/handover.hpp"
#include "zjail/memory.hpp"

namespace zjail {
namespace {

// glibc 2.36's <sys/pidfd.h> lacks C linkage for C++; the syscall is trivial.
int send_signal(int pidfd, int sig) {
  return static_cast<int>(syscall(SYS_pidfd_send_signal, pidfd, sig, nullptr, 0));
}

Status write_file(pid_t pid, const char* name, const std::string& data) {
  std::string path = "/proc/" + std::to_string(pid) + "/" + name;
  UniqueFd fd(open(path.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd) return make_error(Step::IdMap, errno, path);
  if (write(fd.get(), data.data(), data.size()) != static_cast<ssize_t>(data.size()))
    return make_error(Step::IdMap, errno, path + " <- " + data.substr(0, data.find('\n')));
  return {};
}

// Turns a child's {step, errno, detail} into something an admin can act on.
std::string describe(const Plan& plan, Step step, int detail) {
  switch (step) {
    case Step::OpenSources:
    case Step::Mounts:
      if (detail >= 0 && static_cast<size_t>(detail) < plan.mounts.size())
        return describe_mount(plan.mounts[detail]);
      return "mounts";
    case Step::RootMount:
      return plan.root_directory.empty() ? "tmpfs root at " + plan.stage_dir : "RootDirectory=" + plan.root_directory;
    case Step::MountPrivate: return "make / private";
    case Step::PivotRoot: return "pivot_root into the jail root";
    case Step::RemountRoot: return "remount / read-only";
    case Step::Hostname: return "hostname '" + plan.hostname + "'";
    case Step::Loopback: return "bring up lo";
    case Step::Rlimits:
      if (detail >= 0 && static_cast<size_t>(detail) < plan.rlimits.size()) return plan.rlimits[detail].origin;
      return "resource limits";
    case Step::Groups: return "supplementary groups";
    case Step::Gid: return "gid " + std::to_string(plan.gid);
    case Step::Uid: return "uid " + std::to_string(plan.uid);
    case Step::BoundingSet:
      return detail >= 0 ? "drop " + capability_name(detail) + " from the bounding set" : "capability bounding set";
    case Step::Capabilities:
      return detail >= 0 ? "raise ambient " + capability_name(detail) : "set capabilities";
    case Step::Chdir: return plan.workdir;
    case Step::SecureBits: return "SecureBits=";
    case Step::Keyring: return "KeyringMode=: a new session keyring";
    case Step::KeyringShared: return "KeyringMode=shared: link the user keyring";
    case Step::Personality: return "Personality=";
    case Step::DenyWriteExecute: return "MemoryDenyWriteExecute= (PR_SET_MDWE)";
    case Step::SchedResetOnFork: return "CPUSchedulingResetOnFork=";
    case Step::Landlock: return "Landlock rules";
    case Step::Seccomp: {
      size_t n = 0;
      for (const auto& f : plan.seccomp) n += f.size();
      return "seccomp filters (" + std::to_string(n) + " instructions)";
    }
    case Step::JailCommand: return plan.exec_path + " as the jail shows it";
    case Step::Exec: return plan.argv_storage.empty() ? "exec" : plan.argv_storage[0];
    case Step::SyncWait: return plan.namespaces ? "jail init" : "payload";
    case Step::InitSetup:
    case Step::InitSeal: return "jail init";
    case Step::DeathSignal: return "PR_SET_PDEATHSIG (zjail went away)";
    // Parent steps make their own errors; the child never reports these.
    case Step::Profile:
    case Step::ResolveUser:
    case Step::ResolveCommand:
    case Step::Listen:
    case Step::JoinNetwork:
    case Step::Network:
    case Step::CompileSeccomp:
    case Step::Plan:
    case Step::PamConfig:
    case Step::CheckPaths:
    case Step::Credentials:
    case Step::Directories:
    case Step::Cgroup:
    case Step::ProcessProperties:
    case Step::SyncSocket:
    case Step::Clone:
    case Step::IdMap:
    case Step::JoinJail:
    case Step::Wait:
    case Step::Count_:
    // Nothing to add to the step's name and errno.
    case Step::CgroupNamespace:
    case Step::ForkPayload:
    case Step::Setsid:
    case Step::PassFds:
    case Step::CloseStrayFds:
    case Step::CloseFds:
    case Step::NoNewPrivs:
    case Step::Umask:
      break;
  }
  return "";
}

// A number from /proc/sys, -1 where the file is missing.
long read_sysctl(const char* path) {
  UniqueFd fd(open(path, O_RDONLY | O_CLOEXEC));
  char buf[32] = {};
  if (!fd || read(fd.get(), buf, sizeof buf - 1) <= 0) return -1;
  return strtol(buf, nullptr, 10);
}

// The host limit behind a failure to make a process or a namespace, with
// its value, so that one more jail than the host allows says which sysctl
// to raise (clone3 and fork give only EAGAIN or ENOSPC); "" for any other.
std::string limit_hint(Step step, int err) {
  if (err == EAGAIN && (step == Step::Clone || step == Step::ForkPayload))
    return "limits: kernel.pid_max=" + std::to_string(read_sysctl("/proc/sys/kernel/pid_max")) +
           ", kernel.threads-max=" + std::to_string(read_sysctl("/proc/sys/kernel/threads-max")) +
           ", the cgroup's pids.max";
  if (err == ENOSPC && step == Step::Clone) return "limits: user.max_*_namespaces, 32 nested user namespaces";
  return "";
}

// describe() and, where a host limit is the likely cause, which.
std::string describe_failure(const Plan& plan, Step step, int err, int detail) {
  std::string what = step == Step::ForkPayload ? "fork the payload" : describe(plan, step, detail);
  std::string hint = limit_hint(step, err);
  return hint.empty() ? what : what.empty() ? hint : what + " (" + hint + ")";
}

// How long the payload may take from announcing its listener to its
// marker call: two system calls, unless the machine is stalled.
constexpr int kHandshakeMs = 10000;

// One record from the jail, and the pid (ours) of the process that sent it.
ssize_t receive_record(int sock, child::FailureRecord& rec, pid_t& sender) {
  iovec iov{&rec, sizeof rec};
  alignas(cmsghdr) char control[CMSG_SPACE(sizeof(ucred))];
  msghdr msg{};
  msg.msg_iov = &iov;
  msg.msg_iovlen = 1;
  msg.msg_control = control;
  msg.msg_controllen = sizeof control;
  ssize_t n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
  for (cmsghdr* c = n > 0 ? CMSG_FIRSTHDR(&msg) : nullptr; c; c = CMSG_NXTHDR(&msg, c))
    if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
      ucred cred{};
      std::memcpy(&cred, CMSG_DATA(c), sizeof cred);
      sender = cred.pid;
    }
  return n;
}

// Answers the payload's denied calls until its socket has news (a record,
// or the EOF of its execve).
Status serve_until_readable(int sock, DenialSupervisor& denials) {
  for (;;) {
    pollfd fds[2] = {{sock, POLLIN, 0}, {denials.active() ? denials.fd() : -1, POLLIN, 0}};
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      return make_error(Step::SyncSocket, errno, "poll");
    }
    if (fds[1].revents & POLLIN) denials.handle();
    else if (fds[1].revents) denials.close_listener();
    if (fds[0].revents) return {};
  }
}

// A copy of the payload's seccomp listener, fd `fd` in process `pid`: the
// payload is the only child of the jail's init `init` (which waits for its
// execve), so a pid of another parent is not the payload's.
Result<UniqueFd> take_listener(pid_t init, pid_t pid, int fd) {
  auto fail = [](int err, const std::string& what) {
    return make_error(Step::Seccomp, err, "handing the seccomp listener to zjail: " + what);
  };
  if (pid <= 0) return fail(EPROTO, "the payload's record carries no pid");
  UniqueFd pidfd(static_cast<int>(syscall(SYS_pidfd_open, pid, 0)));
  if (!pidfd) return fail(errno, "pidfd_open");
  char status[4096] = {};
  UniqueFd st(open(("/proc/" + std::to_string(pid) + "/status").c_str(), O_RDONLY | O_CLOEXEC));
  ssize_t len = st ? read(st.get(), status, sizeof status - 1) : -1;
  const char* ppid = len > 0 ? std::strstr(status, "\nPPid:") : nullptr;
  if (!ppid || std::atoi(ppid + 6) != init) return fail(ESRCH, "the record is not the payload's");
  UniqueFd listener(static_cast<int>(syscall(SYS_pidfd_getfd, pidfd.get(), fd, 0)));
  if (!listener) return fail(errno, "pidfd_getfd");
  char link[64] = {};
  std::string self = "/proc/self/fd/" + std::to_string(listener.get());
  if (readlink(self.c_str(), link, sizeof link - 1) < 0 || std::strcmp(link, "anon_inode:seccomp notify") != 0)
    return fail(EBADF, "fd " + std::to_string(fd) + " is not a seccomp listener");
  return listener;
}

int userns_probe(void*) {
  // The AppArmor restriction lets the namespace be made and takes its
  // capabilities away: only using one tells.
  _exit(syscall(SYS_unshare, CLONE_NEWNS) < 0 ? errno : 0);
}

}  // namespace

int user_namespace_refusal() noexcept {
  // The host's own word first, for a few reads instead of a clone (230 µs
  // with PTI): a limit of 0 here, or Debian's switch off, refuses; without
  // Ubuntu's AppArmor restriction, which only a real attempt tells, nothing
  // else does. (A limit of 0 further up the namespace tree is not seen: the
  // launch then fails at clone, closed.)
  if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0) return ENOSPC;
  if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0) return EPERM;
  if (read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") != 1) return 0;
  // A child that shares our memory until it exits: no page tables copied.
  constexpr size_t kStack = 64 * 1024;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return 0;  // not the host's refusal: the launch will tell
  pid_t pid = clone(userns_probe, static_cast<char*>(stack) + kStack, CLONE_NEWUSER | CLONE_VM | CLONE_VFORK | SIGCHLD,
                    nullptr);
  int err = pid < 0 ? errno : 0;
  int status = 0;
  if (pid > 0) {
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    if (WIFEXITED(status)) err = WEXITSTATUS(status);
  }
  munmap(stack, kStack);
  return err == EPERM || err == ENOSPC || err == EACCES || err == EUSERS ? err : 0;
}

bool listener_handoff_refused() noexcept { return read_sysctl("/proc/sys/kernel/yama/ptrace_scope") >= 3; }

Result<SignalForwarding> SignalForwarding::start() {
  SignalForwarding f;
  sigset_t set;
  sigemptyset(&set);
  for (int sig : kForwardedSignals) sigaddset(&set, sig);
  sigaddset(&set, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &set, &f.old_) < 0) return make_error(Step::Wait, errno, "sigprocmask");
  f.active_ = true;
  sigdelset(&set, SIGCHLD);
  f.fd_.reset(signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK));
  if (!f.fd_) return make_error(Step::Wait, errno, "signalfd");
  return f;
}

SignalForwarding::SignalForwarding(SignalForwarding&& o) noexcept
    : old_(o.old_), fd_(std::move(o.fd_)), active_(std::exchange(o.active_, false)) {}

SignalForwarding::~SignalForwarding() {
  if (active_) sigprocmask(SIG_SETMASK, &old_, nullptr);
}

Jail::Jail(Jail&& o) noexcept
    : pid_(std::exchange(o.pid_, -1)),
      pidfd_(std::move(o.pidfd_)),
      status_(std::move(o.status_)),
      denials_(std::move(o.denials_)),
      network_(std::move(o.network_)),
      reaped_(std::exchange(o.reaped_, true)),
      carried_status_(o.carried_status_) {}

Jail::~Jail() {
  if (reaped_ || !pidfd_) return;
  send_signal(pidfd_.get(), SIGKILL);
  siginfo_t info{};
  while (waitid(P_PIDFD, pidfd_.get(), &info, WEXITED) < 0 && errno == EINTR) {}
}

Status Jail::terminate(bool reap) {
  if (reaped_ || !pidfd_) return {};
  if (send_signal(pidfd_.get(), SIGKILL) < 0 && errno != ESRCH)
    return make_error(Step::Wait, errno, "killing the jail's init");
  siginfo_t info{};
  while (waitid(P_PIDFD, pidfd_.get(), &info, WEXITED | (reap ? 0 : WNOHANG)) < 0) {
    if (errno != EINTR) return make_error(Step::Wait, errno, "reaping the jail's init");
  }
  if (reap) reaped_ = true;
  else disown();
  return {};
}

void Jail::disown() noexcept {
  reaped_ = true;
  pidfd_.reset();
  status_.reset();
}

Result<ExitStatus> Jail::wait(const SignalForwarding* fwd, NotifyRelay* notify, bool shed_when_idle,
                              int stop_grace_ms, const SupervisorTicket* ticket) {
  bool relaying = notify && notify->active();
  bool shed = !shed_when_idle;
  timespec stop_at{};  // learn mode, once stopping: when the jail is killed
  bool stopping = false;
  auto ms_until_stop = [&]() {
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC, &now);
    long ms = (stop_at.tv_sec - now.tv_sec) * 1000 + (stop_at.tv_nsec - now.tv_nsec) / 1000000;
    return ms < 0 ? 0 : static_cast<int>(ms);
  };
  for (;;) {
    // Every fd here is non-blocking: a relay upstream that stops reading is
    // polled for room, never waited on, so signals keep being forwarded.
    pollfd fds[5] = {{pidfd_.get(), POLLIN, 0},
                     {fwd ? fwd->fd() : -1, POLLIN, 0},
                     {relaying && notify->wants_input() ? notify->fd() : -1, POLLIN, 0},
                     {relaying && notify->pending() ? notify->upstream_fd() : -1, POLLOUT, 0},
                     {denials_.active() ? denials_.fd() : -1, POLLIN, 0}};
    int timeout = stopping ? ms_until_stop() : shed ? -1 : ticket ? ticket->idle_ms() : kShedAfterMs;
    int ready = poll(fds, 5, timeout);
    if (ready < 0) {
      if (errno == EINTR) continue;
      return make_error(Step::Wait, errno, "poll");
    }
    if (stopping && ms_until_stop() == 0) {
      // The grace is over: the kernel takes down the whole pid namespace.
      send_signal(pidfd_.get(), SIGKILL);
      stopping = false;
      stop_grace_ms = -1;
    }
    if (ready == 0 && !stopping && shed) continue;
    if (ready == 0) {
      // Returns only where the jail cannot be handed over (handover.hpp).
      if (ticket && fwd) (void)SupervisorCarry::hand_over(*this, *fwd, notify, *ticket);
      (void)shed_startup_memory();
      malloc_trim(0);
      shed = true;
      continue;
    }
    if (fds[1].revents & POLLIN) {
      signalfd_siginfo si;
      while (read(fwd->fd(), &si, sizeof si) == sizeof si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (stop_grace_ms >= 0 && !stopping && (sig == SIGINT || sig == SIGTERM)) {
          sig = SIGTERM;
          stopping = true;
          clock_gettime(CLOCK_MONOTONIC, &stop_at);
          stop_at.tv_sec += stop_grace_ms / 1000;
          stop_at.tv_nsec += (stop_grace_ms % 1000) * 1000000L;
          if (stop_at.tv_nsec >= 1000000000L) stop_at.tv_sec++, stop_at.tv_nsec -= 1000000000L;
        }
        send_signal(pidfd_.get(), sig);
      }
    }
    if (fds[2].revents || fds[3].revents) notify->relay();
    // Each denied call waits here for its answer.
    if (fds[4].revents & POLLIN) denials_.handle();
    else if (fds[4].revents) denials_.close_listener();  // nothing left under the filter
    if (!(fds[0].revents & POLLIN)) continue;
    siginfo_t info{};
    if (waitid(P_PIDFD, pidfd_.get(), &info, WEXITED) < 0) {
      if (errno == EINTR) continue;
      return make_error(Step::Wait, errno, "waitid");
    }
    reaped_ = true;
    // pasta outlives the namespace it serves; it goes with the jail.
    network_ = NetworkLease{};
    // What the payload sent just before it exited (STOPPING=1, a last
    // STATUS=) still goes out, as far as the upstream takes it now.
    if (relaying) notify->relay();
    // The init reports the payload's exact status; without it (the init was
    // killed) the init's own fate is the best answer.
    denials_.report_suppressed();
    int status = carried_status_;
    if (status >= 0 || read(status_.get(), &status, sizeof status) == sizeof status) {
      // Killed by zjail for a denied call: reported as the kernel's kill
      // action would have it, SIGSYS.
      const std::string& call = denials_.killed_payload_call();
      if (WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL && !call.empty()) return ExitStatus{true, SIGSYS, call};
      if (WIFSIGNALED(status)) return ExitStatus{true, WTERMSIG(status), {}};
      return ExitStatus{false, WEXITSTATUS(status), {}};
    }
    if (info.si_code == CLD_EXITED) return ExitStatus{false, info.si_status, {}};
    return ExitStatus{true, info.si_status, {}};
  }
}

Result<Jail> start_jail(const Plan& plan, JailCgroup* cgroup, DenialReporter report, NotificationSink* sink) {
  ZJAIL_TRY(inject_fault(plan.fault, Step::SyncSocket));
  int sv[2];
  if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0)
    return make_error(Step::SyncSocket, errno, "socketpair");
  UniqueFd parent_sock(sv[0]), child_sock(sv[1]);
  // The payload's records carry its pid: the one that announces its
  // seccomp listener says whose fd to copy.
  int on = 1;
  if (!plan.seccomp_notify.empty() && setsockopt(parent_sock.get(), SOL_SOCKET, SO_PASSCRED, &on, sizeof on) < 0)
    return make_error(Step::SyncSocket, errno, "SO_PASSCRED");
  int pp[2];
  if (pipe2(pp, O_CLOEXEC) < 0) return make_error(Step::SyncSocket, errno, "pipe2");
  UniqueFd status_read(pp[0]), status_write(pp[1]);
  // Read once the init is reaped; whatever is not there by then never comes.
  if (fcntl(status_read.get(), F_SETFL, O_NONBLOCK) < 0) return make_error(Step::SyncSocket, errno, "fcntl");

  // The child fills in its own copy of this array; it must exist before clone.
  std::vector<int> src_fds(plan.mounts.size(), -1);
  child::Context ctx;
  ctx.plan = &plan;
  ctx.err_sock = child_sock.get();
  ctx.status_fd = status_write.get();
  ctx.src_fds = src_fds.data();
  ctx.parent = getpid();
  // Only a jail with a payload of its own has an init that hands over.
  UniqueFd small_init = plan.namespaces && !plan.session && small_init_allowed(plan.bounding) ? open_small_init()
                                                                                                : UniqueFd{};
  ctx.small_init_fd = small_init.get();

  int pidfd = -1;
  clone_args args{};
  args.flags = static_cast<uint64_t>(plan.clone_flags) | CLONE_PIDFD;
  args.pidfd = reinterpret_cast<uint64_t>(&pidfd);
  args.exit_signal = SIGCHLD;
  if (cgroup && cgroup->leaf_fd() >= 0) {
    args.flags |= CLONE_INTO_CGROUP;
    args.cgroup = static_cast<uint64_t>(cgroup->leaf_fd());
  }
  ZJAIL_TRY(inject_fault(plan.fault, Step::JoinNetwork));
  ZJAIL_TRY_ASSIGN(auto joined, NetworkJoin::enter(plan));
  ZJAIL_TRY(inject_fault(plan.fault, Step::Clone));
  long pid = syscall(SYS_clone3, &args, sizeof args);
  if (pid > 0) {
    if (auto back = joined.leave(); !back) {
      send_signal(pidfd, SIGKILL);
      siginfo_t info{};
      while (waitid(P_PIDFD, pidfd, &info, WEXITED) < 0 && errno == EINTR) {}
      close(pidfd);
      return back.error();
    }
  }
  if (pid < 0) {
    int err = errno;
    std::string hint = limit_hint(Step::Clone, err);
    return make_error(Step::Clone, err,
                      std::string(plan.namespaces ? "clone3 with new namespaces" : "clone3 without namespaces") +
                          (cgroup && cgroup->leaf_fd() >= 0 ? " into " + cgroup->path() : "") +
                          (hint.empty() ? "" : " (" + hint + ")"));
  }
  if (pid == 0) {
    close(parent_sock.release());
    close(status_read.release());
    child::run(ctx);
  }

  Jail jail;
  jail.pid_ = static_cast<pid_t>(pid);
  jail.pidfd_.reset(pidfd);
  jail.status_ = std::move(status_read);
  child_sock.reset();
  status_write.reset();

  // A child that failed before its go-ahead (init-setup, close-stray-fds) has sent
  // its record and exited; its error, not the broken pipe or missing /proc
  // entry that its exit causes here, is the one to report.
  auto prepare = [&]() -> Status {
    // Injected after clone, so that the tests see a half-built jail torn down.
    ZJAIL_TRY(inject_fault(plan.fault, Step::IdMap));
    if (plan.clone_flags & CLONE_NEWUSER) {
      if (plan.idmap.deny_setgroups) ZJAIL_TRY(write_file(jail.pid_, "setgroups", "deny"));
      ZJAIL_TRY(write_file(jail.pid_, "uid_map", plan.idmap.uid_map));
      ZJAIL_TRY(write_file(jail.pid_, "gid_map", plan.idmap.gid_map));
    }
    ZJAIL_TRY(inject_fault(plan.fault, Step::Cgroup));
    if (cgroup) ZJAIL_TRY(cgroup->adopt(jail.pid_));
    ZJAIL_TRY(inject_fault(plan.fault, Step::ProcessProperties));
    ZJAIL_TRY(apply_process_properties(plan, jail.pid_));
    ZJAIL_TRY(inject_fault(plan.fault, Step::Network));
    ZJAIL_TRY_ASSIGN(jail.network_, setup_network(plan, jail.pid_));
    if (send(parent_sock.get(), "G", 1, MSG_NOSIGNAL) != 1)
      return make_error(Step::SyncSocket, errno, "go-ahead to the jail");
    return {};
  };
  if (auto st = prepare(); !st) {
    child::FailureRecord early{};
    if (recv(parent_sock.get(), &early, sizeof early, MSG_DONTWAIT) == sizeof early &&
        early.step < static_cast<uint32_t>(Step::Count_)) {
      Step step = static_cast<Step>(early.step);
      return make_error(step, early.err, describe_failure(plan, step, early.err, early.detail));
    }
    return std::move(st).error();
  }

  child::FailureRecord rec{};
  ssize_t n;
  // A child that failed before reading the go-ahead closed its end with the
  // "G" unread: the kernel reports that as ECONNRESET once, ahead of the
  // failure record still queued for us.
  bool reset_seen = false;
  for (;;) {
    pid_t sender = 0;
    // Once the listener is held, the payload's denied calls (the execve
    // itself may be one) wait for answers while we wait for its EOF.
    if (jail.denials_.active()) ZJAIL_TRY(serve_until_readable(parent_sock.get(), jail.denials_));
    while ((n = receive_record(parent_sock.get(), rec, sender)) < 0 &&
           (errno == EINTR || (errno == ECONNRESET && !std::exchange(reset_seen, true)))) {}
    if (n != sizeof rec || rec.step != static_cast<uint32_t>(Step::Seccomp) || rec.err != 0) break;
    if (jail.denials_.active() || plan.seccomp_notify.empty())
      return make_error(Step::SyncSocket, EPROTO, "a second seccomp listener from the jail");
    ZJAIL_TRY_ASSIGN(auto listener, take_listener(jail.pid_, sender, rec.detail));
    jail.denials_ = DenialSupervisor(std::move(listener), sender, &plan.seccomp, &plan.denial_sources, report, sink,
                                     &plan.bind_sockets);
    ZJAIL_TRY(jail.denials_.handshake(kHandshakeMs));
  }
  if (n < 0) return make_error(Step::SyncSocket, errno, "reading the jail's status");
  if (n == 0) {  // EOF: the payload is running
    // The credentials are in the jail's ramfs: the parent's copies go.
    for (const auto& m : plan.mounts)
      for (const auto& f : m.files) explicit_bzero(const_cast<char*>(f.data.data()), f.data.size());
    return jail;
  }
  if (n != sizeof rec || rec.step >= static_cast<uint32_t>(Step::Count_))
    return make_error(Step::SyncSocket, EPROTO, "malformed status from the jail");
  Step step = static_cast<Step>(rec.step);
  return make_error(step, rec.err, describe_failure(plan, step, rec.err, rec.detail));
}

void release_payload_fds(Plan& plan) {
  plan.exec_fd.reset();
  plan.pass_fds.clear();
  plan.network.join_fd.reset();
}

void keep_for_supervision(Plan& plan) {
  Plan kept;
  kept.seccomp = std::move(plan.seccomp);
  kept.denial_sources = std::move(plan.denial_sources);
  kept.bind_sockets = std::move(plan.bind_sockets);
  kept.namespaces = plan.namespaces;
  kept.session = plan.session;
  kept.fault = plan.fault;
  // The member objects stay where they are; only their contents move.
  plan = std::move(kept);
}

}  // namespace zjail
