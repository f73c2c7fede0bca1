// The supervisor's end of the seccomp listener (denials.hpp): each denied
// call of the jail arrives here as a notification. It is answered exactly as
// the original filters would have (their errno, or a kill), and reported.
// What is read from the caller (its path argument, comm, pid) is for the log
// line only, and is used only if the notification is still valid after the
// read (SECCOMP_IOCTL_NOTIF_ID_VALID): the caller cannot make zjail act on it.
#include <fcntl.h>
#include <poll.h>
#include <seccomp.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "child/child.hpp"
#include "listen_via_bind.hpp"
#include "task_view.hpp"
#include "zjail/denials.hpp"

namespace zjail {
namespace {

constexpr int kOtherCalls = -1;  // the one count for the numbers no call has

// A call number libseccomp names (on the native ABI: the only one notified).
bool known_call(int nr) {
  char* name = seccomp_syscall_resolve_num_arch(seccomp_arch_native(), nr);
  bool known = name != nullptr;
  free(name);
  return known;
}

bool still_valid(int listener, uint64_t id) {
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

void respond_error(int listener, uint64_t id, int err) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.error = -err;
  // ENOENT: the caller is gone (killed, or interrupted by a signal).
  (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
}

}  // namespace

DenialSupervisor::DenialSupervisor(UniqueFd listener, pid_t payload, const std::vector<std::vector<sock_filter>>* filters,
                                   const std::vector<DenialSource>* sources, DenialReporter report,
                                   NotificationSink* sink, const std::vector<BindSocket>* bind_sockets)
    : listener_(std::move(listener)), payload_(payload), filters_(filters), sources_(sources),
      report_(std::move(report)), sink_(sink), bind_sockets_(bind_sockets) {}

Status DenialSupervisor::handshake(int timeout_ms) {
  pollfd p{listener_.get(), POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, timeout_ms)) < 0 && errno == EINTR) {}
  if (r <= 0 || !(p.revents & POLLIN))
    return make_error(Step::Seccomp, r == 0 ? ETIMEDOUT : r < 0 ? errno : ECONNABORTED,
                      "waiting for the payload's first call on the seccomp listener");
  seccomp_notif n{};
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, &n) < 0)
    return make_error(Step::Seccomp, errno, "receiving the payload's first call on the seccomp listener");
  if (static_cast<pid_t>(n.pid) != payload_ || n.data.nr != SYS_setns || n.data.args[1] != child::kListenerMarker) {
    respond_error(listener_.get(), n.id, EPROTO);
    return make_error(Step::Seccomp, EPROTO, "the payload's first call on the seccomp listener is not zjail's");
  }
  seccomp_notif_resp resp{};
  resp.id = n.id;
  resp.val = static_cast<int64_t>(child::kListenerMarker);
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_SEND, &resp) < 0)
    return make_error(Step::Seccomp, errno, "answering the payload on the seccomp listener");
  return {};
}

void DenialSupervisor::handle() {
  seccomp_notif n{};
  if (ioctl(listener_.get(), SECCOMP_IOCTL_NOTIF_RECV, &n) < 0) {
    // ENOENT: the caller went away before we took it. Anything else: the
    // listener is unusable; closing it fails every later denied call with
    // ENOSYS (still denied).
    if (errno != ENOENT && errno != EINTR) listener_.reset();
    return;
  }
  // ListenViaBind= first: a bind() it hands a socket is answered (learn
  // mode observes it); one it does not goes on to the sink, which sees it
  // as it would without ListenViaBind=.
  if (bind_sockets_ && answer_bind(listener_.get(), n, *bind_sockets_, *filters_, sink_)) return;
  if (sink_ && sink_->handle(listener_.get(), n)) return;
  const auto tid = static_cast<pid_t>(n.pid);
  Verdict v = evaluate(*filters_, n.data);
  // The base filter's ENOSYS (clone3, openat2) only makes libc fall back to
  // a call the rules can read: glibc tries clone3 for every thread. Answered,
  // never reported.
  if (v.filter == 0 && !v.kill() && v.denied() && v.err() == ENOSYS) {
    respond_error(listener_.get(), n.id, ENOSYS);
    return;
  }
  Denial d;
  d.kill = v.kill();
  d.err = v.denied() ? v.err() : ENOSYS;
  // What the log line shows, read before answering (the caller waits).
  int arg = n.data.arch == seccomp_arch_native() ? path_argument(n.data.nr) : -1;
  std::string path = arg >= 0 ? read_string(tid, n.data.args[arg]) : "";
  TaskIds ids = task_ids(tid);
  std::string comm = task_comm(tid);
  if (!still_valid(listener_.get(), n.id)) return;  // the caller is gone: the details may be another's
  d.call = describe_call(n.data, path);
  d.name = d.call.substr(0, d.call.find('('));
  d.pid = ids.jail_pid;
  d.comm = shown(comm);
  if (v.denied()) std::tie(d.directive_name, d.directive) = explain(*sources_, v.filter, n.data.nr, n.data);
  else d.directive = "zjail's filters disagree on it: refused (ENOSYS)";

  if (d.kill) {
    // SECCOMP_RET_KILL_PROCESS: the whole process, before its call can
    // return. A pidfd of the thread group, checked against the notification
    // (the caller still waits in it, so its pid cannot have been reused).
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, ids.tgid > 0 ? ids.tgid : tid, 0));
    bool killed = pidfd >= 0 && still_valid(listener_.get(), n.id) &&
                  syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0) == 0;
    if (pidfd >= 0) close(pidfd);
    if (!killed) respond_error(listener_.get(), n.id, ENOSYS);
    if (killed && ids.tgid == payload_) killed_call_ = d.call;
  } else {
    respond_error(listener_.get(), n.id, d.err);
  }
  // Numbers no call has share one count: a payload walking through them
  // would otherwise get a line, and an entry here, for each.
  int key = known_call(n.data.nr) ? n.data.nr : kOtherCalls;
  uint64_t count = ++seen_[key];
  if (report_ && (count <= kDenialsShown || d.kill)) report_(d);
  if (count > kDenialsShown) last_[key] = d;
}

void DenialSupervisor::report_suppressed() {
  for (auto& [nr, d] : last_) {
    uint64_t count = seen_[nr];
    if (count <= kDenialsShown || !report_) continue;
    d.repeats = count - kDenialsShown;
    if (nr == kOtherCalls) d.name = "unknown system calls";
    report_(d);
  }
  last_.clear();
}

void DenialSupervisor::close_listener() { listener_.reset(); }

}  // namespace zjail
