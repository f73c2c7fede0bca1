// Probes at the jail's own edges: io_uring as a second way to make a socket,
// the virtual console's ioctls, and what the jail's init shows of zjail.
#include <fcntl.h>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <algorithm>
#include <set>

#include "probe_outcomes.hpp"
#include "test_io.hpp"

namespace zjail_escape {
namespace {

constexpr int kAfVsock = 40;  // AF_VSOCK

struct Mapping {
  void* at = MAP_FAILED;
  size_t size = 0;
  ~Mapping() {
    if (at != MAP_FAILED) munmap(at, size);
  }
  bool map(int fd, size_t n, off_t off) {
    size = n;
    at = mmap(nullptr, n, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, off);
    return at != MAP_FAILED;
  }
  template <class T>
  T* field(unsigned off) const {
    return reinterpret_cast<T*>(static_cast<char*>(at) + off);
  }
};

}  // namespace

// IORING_OP_SOCKET makes a socket inside the kernel, without socket(2): a
// vsock socket this way would walk past the private network's AF_VSOCK rule.
Outcome io_uring_socket() {
  io_uring_params p{};
  long ring = syscall(SYS_io_uring_setup, 4, &p);
  if (ring < 0) return blocked(errno, "io_uring_setup(4), to send IORING_OP_SOCKET(AF_VSOCK)");
  int fd = static_cast<int>(ring);
  Mapping sq, cq, sqes;
  bool ok = sq.map(fd, p.sq_off.array + p.sq_entries * sizeof(unsigned), IORING_OFF_SQ_RING) &&
            cq.map(fd, p.cq_off.cqes + p.cq_entries * sizeof(io_uring_cqe), IORING_OFF_CQ_RING) &&
            sqes.map(fd, p.sq_entries * sizeof(io_uring_sqe), IORING_OFF_SQES);
  if (!ok) {
    int e = errno;
    close(fd);
    return setup_error(e, "mapping the io_uring rings");
  }
  unsigned* tail = sq.field<unsigned>(p.sq_off.tail);
  unsigned idx = *tail & *sq.field<unsigned>(p.sq_off.ring_mask);
  auto* sqe = static_cast<io_uring_sqe*>(sqes.at) + idx;
  std::memset(sqe, 0, sizeof *sqe);
  sqe->opcode = IORING_OP_SOCKET;
  sqe->fd = kAfVsock;
  sqe->off = SOCK_STREAM;
  sq.field<unsigned>(p.sq_off.array)[idx] = idx;
  __atomic_store_n(tail, *tail + 1, __ATOMIC_RELEASE);
  long r = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, nullptr, 0);
  if (r < 0) {
    int e = errno;
    close(fd);
    return blocked(e, "io_uring_enter with IORING_OP_SOCKET(AF_VSOCK)");
  }
  unsigned head = __atomic_load_n(cq.field<unsigned>(p.cq_off.head), __ATOMIC_ACQUIRE);
  int res = cq.field<io_uring_cqe>(p.cq_off.cqes)[head & *cq.field<unsigned>(p.cq_off.ring_mask)].res;
  close(fd);
  if (res >= 0) {
    close(res);
    return escaped("IORING_OP_SOCKET made an AF_VSOCK socket without socket(2)");
  }
  return blocked(-res, "IORING_OP_SOCKET(AF_VSOCK) completed with an error");
}

// The console's keyboard and VT ioctls (KD*, VT_*): harmless getters here,
// on our own pty, where the driver answers ENOTTY unless a filter answers
// first. On a kept console terminal their setters would take the keyboard.
Outcome console_ioctl() {
  constexpr unsigned long kKdgkbtype = 0x4B33, kVtGetstate = 0x5603;
  std::set<std::string> errs;
  std::string detail;
  bool escaped_any = false;
  for (unsigned long req : {kKdgkbtype, kVtGetstate, kKdgkbtype | (1UL << 32)}) {
    char buf[64] = {};
    char what[48];
    std::snprintf(what, sizeof what, "ioctl(pty, 0x%lx)", req);
    Outcome o = on_own_tty([&](int tty) -> long { return syscall(SYS_ioctl, tty, req, buf); }, what);
    if (o.result == Outcome::Error) return o;
    escaped_any = escaped_any || o.result == Outcome::Escaped;
    if (o.result == Outcome::Blocked) errs.insert(o.token);
    detail += (detail.empty() ? "" : "; ") + o.detail + (o.token.empty() ? "" : ": " + o.token);
  }
  if (escaped_any) return escaped(detail);
  std::string tok;
  for (const auto& e : errs) tok += (tok.empty() ? "" : ",") + e;
  return {Outcome::Blocked, "errno", tok, detail};
}

// /proc/1 is the jail's init, a copy of zjail: its command line would show
// zjail's own arguments (a --setenv token, say) to whoever can see /proc/1.
Outcome init_cmdline() {
  int fd = open("/proc/1/cmdline", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return blocked(errno, "open /proc/1/cmdline");
  std::string text = zjail_test_io::read_to_eof(fd);
  // "zjail-init", padded with NULs; a login session's init adds
  // "--session USER PROFILE".
  std::string first = text.substr(0, text.find('\0'));
  std::string rest = text.size() > first.size() ? text.substr(first.size()) : "";
  bool padding = rest.find_first_not_of('\0') == std::string::npos;
  bool session = rest.rfind(std::string("\0--session\0", 11), 0) == 0;
  std::string shown = text;
  for (char& c : shown)
    if (c == '\0') c = ' ';
  shown = shown.substr(0, std::min<size_t>(shown.find_last_not_of(' ') + 1, 200));
  if (first == "zjail-init" && (padding || session)) return checked("init-title", "/proc/1/cmdline: " + shown);
  return escaped("/proc/1/cmdline: " + shown);
}

}  // namespace zjail_escape
