// The probe's attacks on explain mode (zjail --explain): the supervisor
// reads the payload's arguments while the call waits, and must stay
// responsive whatever the payload hands it.
#include <fcntl.h>
#include <linux/openat2.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <csignal>
#include <cstdlib>
#include <string>
#include <vector>

#include "probe.hpp"
#include "test_io.hpp"

namespace zjail_probe {
namespace {

uint64_t now_ns() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return static_cast<uint64_t>(t.tv_sec) * 1000000000ULL + static_cast<uint64_t>(t.tv_nsec);
}

// Whether a watched call still gets its answer within `ms` (from a child,
// so that a supervisor that hangs leaves this process free to say so).
bool supervisor_answers(int ms) {
  pid_t c = fork();
  if (c == 0) {
    syscall(SYS_openat, AT_FDCWD, "/zjail-probe-nonexistent", O_RDONLY | O_CLOEXEC);
    _exit(0);
  }
  if (c < 0) return true;
  for (int i = 0; i < ms; ++i) {
    if (waitpid(c, nullptr, WNOHANG) == c) return true;
    usleep(1000);
  }
  return false;
}

// A TCP socket whose close lingers without end: SO_LINGER with the longest
// time, and unsent data its peer (kept here, never read) has no room for.
int lingering_socket(int listener, const sockaddr_in& at) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(s, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  if (connect(s, reinterpret_cast<const sockaddr*>(&at), sizeof at) < 0) return -1;
  (void)listener;
  fcntl(s, F_SETFL, O_NONBLOCK);
  char buf[4096] = {};
  while (write(s, buf, sizeof buf) > 0) {}
  linger l{1, INT_MAX};
  setsockopt(s, SOL_SOCKET, SO_LINGER, &l, sizeof l);
  return s;
}

// Red team: explain mode copies the fd of a bind() into zjail
// (pidfd_getfd) to read its family. Killing the caller while zjail holds
// that copy makes zjail's close the last one, and a lingering TCP socket's
// last close waits: zjail's supervisor would hang while the payload lives
// (no more answers, no stop, no timers). Each try kills a child in bind()
// a little later than the one before.
int linger_hang(int tries) {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(l, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  sockaddr_in at = zjail_test_io::loopback(0);
  socklen_t len = sizeof at;
  if (bind(l, reinterpret_cast<sockaddr*>(&at), sizeof at) < 0 || listen(l, 64) < 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&at), &len) < 0)
    return error("explain-linger", errno, "listen on loopback");
  std::vector<int> peers;  // never read: the senders' data has nowhere to go
  for (int i = 0; i < tries; ++i) {
    int ready[2];
    if (pipe2(ready, O_CLOEXEC) < 0) return error("explain-linger", errno, "pipe");
    pid_t c = fork();
    if (c == 0) {
      int s = lingering_socket(l, at);
      sockaddr_in to = zjail_test_io::loopback(80);
      if (s < 0) _exit(1);
      (void)!write(ready[1], "r", 1);
      bind(s, reinterpret_cast<sockaddr*>(&to), sizeof to);  // watched: zjail copies `s`
      _exit(0);  // an exiting task's close does not linger
    }
    close(ready[1]);
    char b;
    bool ok = read(ready[0], &b, 1) == 1;
    close(ready[0]);
    int p = ok ? accept4(l, nullptr, nullptr, SOCK_CLOEXEC) : -1;
    if (p >= 0) peers.push_back(p);
    if (ok) {
      const uint64_t until = now_ns() + static_cast<uint64_t>(i % 1200) * 250;
      while (now_ns() < until) {}
      kill(c, SIGKILL);
    }
    waitpid(c, nullptr, 0);
    if (i % 10 != 9) continue;
    if (!supervisor_answers(3000))
      return fail("explain-linger", EDEADLK, "zjail stopped answering after " + std::to_string(i + 1) + " tries");
    for (int q : peers) close(q);  // the tries so far did not hang it: their peers can go
    peers.clear();
  }
  if (!supervisor_answers(3000)) return fail("explain-linger", EDEADLK, "zjail stopped answering");
  return pass("explain-linger", "tries=" + std::to_string(tries));
}

// Red team: the latency of openat() on two paths the jail lacks, taken in
// turns, `rounds` times each: the median of each in ns. zjail looks a
// missing path up on the host; if how long that takes depends on the host
// having it, the payload learns of host files it could never open.
int time_paths(const std::string& a, const std::string& b, int rounds) {
  std::vector<uint64_t> ta, tb;
  for (int i = 0; i < rounds; ++i) {
    for (int k = 0; k < 2; ++k) {
      const std::string& p = (i + k) % 2 ? b : a;
      uint64_t t0 = now_ns();
      syscall(SYS_openat, AT_FDCWD, p.c_str(), O_RDONLY | O_CLOEXEC);
      ((i + k) % 2 ? tb : ta).push_back(now_ns() - t0);
    }
  }
  auto median = [](std::vector<uint64_t>& v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
  };
  uint64_t ma = median(ta), mb = median(tb);
  out("explain-time a=" + std::to_string(ma) + " b=" + std::to_string(mb));
  return 0;
}

// Red team: calls explain mode watches that the filters deny (the
// listener sees them first and must answer them as the filters would, never
// let them go on): setuid, chown, chroot (base-service's ~@privileged),
// setrlimit (~@resources); one reaching the watch section by its x32
// number (the ABI check kills it, in a child); and openat2 and
// socket(AF_PACKET), allowed and let go on. One line each, the same with
// and without --explain.
int watched_denied() {
  result("setuid", syscall(SYS_setuid, 0), "setuid(0)");
  result("chown", syscall(SYS_chown, "/tmp", 0, 0), "chown(/tmp, 0, 0)");
  result("chroot", syscall(SYS_chroot, "/"), "chroot(/)");
  rlimit l{};
  getrlimit(RLIMIT_NOFILE, &l);
  result("setrlimit", syscall(SYS_setrlimit, RLIMIT_NOFILE, &l), "setrlimit(NOFILE) as it is");
  pid_t c = fork();
  if (c == 0) {
    syscall(0x40000000 | SYS_openat, AT_FDCWD, "/etc/passwd", O_RDONLY);
    _exit(0);
  }
  int st = 0;
  waitpid(c, &st, 0);
  out("x32-openat " + std::string(WIFSIGNALED(st) ? "signal=" + std::to_string(WTERMSIG(st))
                                                   : "exit=" + std::to_string(WEXITSTATUS(st))));
  open_how how{};
  how.flags = O_RDONLY;
  result("openat2", syscall(SYS_openat2, AT_FDCWD, "/etc/hostname", &how, sizeof how), "/etc/hostname");
  return result("socket-packet", socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0), "AF_PACKET");
}

}  // namespace

int run_explain_probe(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  if (n == "explain-linger") return linger_hang(argc > 2 ? std::atoi(a1.c_str()) : 1000);
  if (n == "watched-denied") return watched_denied();
  if (n == "explain-time" && argc > 4) return time_paths(a1, argv[3], std::atoi(argv[4]));
  return -1;
}

}  // namespace zjail_probe
