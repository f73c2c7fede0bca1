// ListenViaBind= (listen_via_bind.hpp): the supervisor's side. A bind() of
// the payload waits in zjail's listener while zjail looks at it:
//
//  - the address, read from the caller's memory (process_vm_readv);
//  - the socket's family, type and protocol, from the protocol its inode
//    is named after (learn_args.hpp), never from a copy of the socket: had
//    the payload dropped its own meanwhile, zjail's close of the copy would
//    be the last, and the last close of a lingering TCP socket (SO_LINGER,
//    data its peer does not read) waits as long as the peer stays: zjail's
//    whole wait loop, signals included, with it;
//  - the fd's close-on-exec flag and its open file's O_NONBLOCK
//    (/proc/TID/fdinfo/FD).
//
// If all of it matches one of the profile's sockets, and the caller still
// waits in the call (SECCOMP_IOCTL_NOTIF_ID_VALID, so nothing read was
// another process's), zjail's socket is installed in the fd's slot
// (SECCOMP_IOCTL_NOTIF_ADDFD with SECCOMP_ADDFD_FLAG_SETFD: the payload's
// own socket is closed, as dup2() would) and the call returns 0. A later
// listen() on it returns 0 too: listen() on a listening socket only sets
// its backlog again, and where the filters deny listen() (SocketBind*=
// closing every TCP port), zjail answers it 0 for its own sockets
// (answer_listen()). Any other bind() is let go on (CONTINUE), and the
// kernel binds, or refuses, on its own terms.
//
// The payload may change its memory, or the fd, under the read (TOCTOU):
// a swapped fd only ever gets the socket zjail bound for the listed address
// it matched, whatever the memory says now; a CONTINUE'd bind is the
// kernel's own, which reads the address again and grants no more than the
// caller's privileges allow. Either way the race wins nothing.
//
// A second bind() of the same address (another process, a daemon's reload)
// gets the same socket again: ADDFD installs a new reference, and the
// processes share it as they share an inherited listening socket. The
// payload is one trust domain; a real second bind() would fail with
// EADDRINUSE, which would only break the reload. O_NONBLOCK belongs to the
// one open file, so the last bind() sets it for every holder. Socket options
// the payload set on its own socket before bind() are lost with it
// (SO_REUSEADDR is already set on zjail's); those set after apply. Without
// a copy zjail cannot see IPV6_V6ONLY or whether the socket is bound or
// connected already: such a socket is replaced as well, which gives the
// payload nothing but the listed socket it could have had anyway.
#include "listen_via_bind.hpp"

#include <fcntl.h>
#include <linux/kcmp.h>
#include <netinet/in.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string_view>

#include "learn_args.hpp"
#include "listen.hpp"
#include "plan_internal.hpp"
#include "task_view.hpp"
#include "watch_filter.hpp"

namespace zjail {
namespace {

void respond(int listener, uint64_t id, bool cont) {
  seccomp_notif_resp resp{};
  resp.id = id;
  resp.flags = cont ? SECCOMP_USER_NOTIF_FLAG_CONTINUE : 0;
  (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller is gone
}

struct Match {
  const BindSocket* socket = nullptr;
  bool cloexec = false;
  bool nonblock = false;
};

// Whether the socket behind the task's fd is in its network namespace's
// tables: bound or connected, so it may hold data its close would linger
// on. Replaced by zjail's, it is closed in the caller while zjail waits on
// the install (SECCOMP_IOCTL_NOTIF_ADDFD): a lingering close would stall
// zjail's wait loop (red team). A fresh socket is in no table.
bool in_tables(pid_t tid, int fd) {
  const std::string base = "/proc/" + std::to_string(tid);
  char link[64];
  ssize_t n = readlink((base + "/fd/" + std::to_string(fd)).c_str(), link, sizeof link - 1);
  if (n <= 0) return true;  // gone or unreadable: never swapped
  std::string_view l(link, static_cast<size_t>(n));
  if (!l.starts_with("socket:[") || !l.ends_with("]")) return true;
  std::string inode(l.substr(8, l.size() - 9));
  for (const char* table : {"tcp", "tcp6", "udp", "udp6"}) {
    std::ifstream in(base + "/net/" + table);
    std::string line;
    std::getline(in, line);  // the header
    while (std::getline(in, line)) {
      std::istringstream fields(line);
      std::string f;
      for (int i = 0; i < 10 && fields >> f; ++i) {
      }
      if (f == inode) return true;
    }
  }
  return false;
}

// What the caller's bind() asks for, checked against the profile's sockets.
Match find(pid_t tid, const seccomp_data& d, const std::vector<BindSocket>& sockets) {
  const int fd = static_cast<int>(static_cast<int32_t>(d.args[0]));
  const auto len = static_cast<int32_t>(d.args[2]);
  sockaddr_storage ss{};
  if (fd < 0 || len <= 0 || static_cast<size_t>(len) > sizeof ss) return {};
  if (!read_memory(tid, d.args[1], &ss, static_cast<size_t>(len))) return {};
  bool listed = false;
  for (const BindSocket& s : sockets) listed = listed || same_address(s, ss, static_cast<socklen_t>(len));
  if (!listed) return {};

  const int family = learn::socket_domain(tid, fd);
  const int type = learn::socket_type(tid, fd);
  const int protocol = learn::socket_protocol_number(tid, fd);
  Match m;
  for (const BindSocket& s : sockets)
    if (s.family == family && s.type == type && s.protocol == protocol && same_address(s, ss, static_cast<socklen_t>(len)))
      m.socket = &s;
  if (!m.socket || in_tables(tid, fd)) return {};
  long flags = fdinfo_flags(read_small("/proc/" + std::to_string(tid) + "/fdinfo/" + std::to_string(fd)));
  if (flags < 0) return {};
  m.cloexec = (flags & O_CLOEXEC) != 0;
  m.nonblock = (flags & O_NONBLOCK) != 0;
  return m;
}

// zjail's socket in the fd's slot, as the payload had its own.
bool install(int listener, const seccomp_notif& n, const Match& m) {
  const int sock = m.socket->fd.get();
  int fl = fcntl(sock, F_GETFL);
  if (fl < 0 || fcntl(sock, F_SETFL, m.nonblock ? fl | O_NONBLOCK : fl & ~O_NONBLOCK) < 0) return false;
  seccomp_notif_addfd add{};
  add.id = n.id;
  add.flags = SECCOMP_ADDFD_FLAG_SETFD;
  add.srcfd = static_cast<uint32_t>(sock);
  add.newfd = static_cast<uint32_t>(static_cast<int32_t>(n.data.args[0]));
  add.newfd_flags = m.cloexec ? O_CLOEXEC : 0;
  return ioctl(listener, SECCOMP_IOCTL_NOTIF_ADDFD, &add) >= 0;
}

// listen() on one of zjail's stream sockets, where the filters deny it
// (SocketBind*= closing every TCP port denies listen(): an unbound socket
// would take an ephemeral port no Landlock rule sees). The socket listens
// already, so the call is answered 0 without running it: running it
// (CONTINUE) would let a thread swap another socket into the fd first.
// The backlog stays zjail's (SOMAXCONN).
bool answer_listen(int listener, const seccomp_notif& n, const std::vector<BindSocket>& sockets,
                   const std::vector<std::vector<sock_filter>>& filters, NotificationSink* sink) {
  if (!evaluate(filters, n.data).denied()) return false;  // the kernel's, never notified
  // The same open file as one of zjail's (kcmp): no copy of the caller's
  // socket is taken, whose last close could linger (see find()).
  const auto tid = static_cast<pid_t>(n.pid);
  const int fd = static_cast<int>(static_cast<int32_t>(n.data.args[0]));
  bool listed = false;
  for (const BindSocket& s : sockets)
    listed = listed || (fd >= 0 && s.type == SOCK_STREAM &&
                        syscall(SYS_kcmp, getpid(), tid, KCMP_FILE, s.fd.get(), fd) == 0);
  if (!listed || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) != 0) return false;
  if (sink) sink->observe(listener, n);
  respond(listener, n.id, false);
  return true;
}

}  // namespace

Status refuse_listen_via_bind(const Profile& p, const PlanContext& ctx) {
  if (!ctx.listener_handoff_refused) return {};
  for (const auto* list : {&p.listen_stream, &p.listen_datagram})
    for (const auto& item : *list)
      if (via_bind(p, item.value))
        return at(p.listen_via_bind.origin, Step::Listen,
                  "ListenViaBind=yes needs zjail's seccomp listener, which kernel.yama.ptrace_scope=3 refuses "
                  "(pass the sockets as LISTEN_FDS instead, or lower the scope)");
  return {};
}

Status plan_listen_via_bind(Plan& plan) {
  if (plan.bind_sockets.empty()) return {};
  // The section sends bind() to zjail ahead of the filters, which would
  // turn a kill of theirs into zjail's, which a signal can outlive
  // (denials.md). So the filters must allow bind(), and by its number
  // alone, as every filter zjail builds does (none reads bind's arguments).
  seccomp_data d{};
  d.arch = seccomp_arch_native();
  d.nr = SYS_bind;
  const bool allowed = !evaluate(plan.seccomp, d).denied();
  for (auto& a : d.args) a = ~0ULL;
  if (!allowed || evaluate(plan.seccomp, d).denied())
    return make_error(Step::CompileSeccomp, EPERM,
                      "ListenViaBind=yes needs bind(), which the profile's system call filters deny");
  return add_watch_section(plan, call_numbers({"bind"}), {}, "ListenViaBind=yes");
}

bool same_address(const BindSocket& s, const sockaddr_storage& addr, socklen_t len) {
  if (addr.ss_family != s.family || s.addr.ss_family != s.family) return false;
  if (s.family == AF_INET) {
    if (len < sizeof(sockaddr_in)) return false;
    const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
    const auto* b = reinterpret_cast<const sockaddr_in*>(&s.addr);
    return a->sin_port == b->sin_port && a->sin_addr.s_addr == b->sin_addr.s_addr;
  }
  if (s.family == AF_INET6) {
    // A shorter (RFC 2133) address has no scope: the kernel's to judge.
    if (len < sizeof(sockaddr_in6)) return false;
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
    const auto* b = reinterpret_cast<const sockaddr_in6*>(&s.addr);
    return a->sin6_port == b->sin6_port && a->sin6_scope_id == b->sin6_scope_id &&
           std::memcmp(&a->sin6_addr, &b->sin6_addr, sizeof a->sin6_addr) == 0;
  }
  return false;
}

long fdinfo_flags(const std::string& fdinfo) {
  size_t p = fdinfo.rfind("flags:", 0) == 0 ? 0 : fdinfo.find("\nflags:");
  if (p == std::string::npos) return -1;
  const char* start = fdinfo.c_str() + fdinfo.find(':', p) + 1;
  char* end = nullptr;
  errno = 0;
  long v = std::strtol(start, &end, 8);
  if (end == start || errno != 0 || v < 0 || (*end != '\n' && *end != '\0')) return -1;
  return v;
}

bool answer_bind(int listener, const seccomp_notif& n, const std::vector<BindSocket>& sockets,
                 const std::vector<std::vector<sock_filter>>& filters, NotificationSink* sink) {
  if (sockets.empty() || n.data.arch != seccomp_arch_native()) return false;
  if (n.data.nr == SYS_listen) return answer_listen(listener, n, sockets, filters, sink);
  if (n.data.nr != SYS_bind) return false;
  // Denied by the filters: answered as they would, as without ListenViaBind=
  // (plan_listen_via_bind() makes sure they allow it).
  if (evaluate(filters, n.data).denied()) return false;
  const Match m = find(static_cast<pid_t>(n.pid), n.data, sockets);
  // The caller may have gone, and its pid come to another process, while we
  // read: what was read is believed only if it still waits in this call.
  if (!m.socket || ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) != 0) {
    if (sink) return false;
    respond(listener, n.id, true);
    return true;
  }
  if (sink) sink->observe(listener, n);
  // Not installed (the caller went away, or its fd table is full): the
  // kernel's own bind, which gives it no more than it may have.
  respond(listener, n.id, !install(listener, n, m));
  return true;
}

}  // namespace zjail
