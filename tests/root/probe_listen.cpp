// The probe's ListenViaBind= checks (root_listen_via_bind_test.cpp): a
// payload that binds its own socket, as a daemon with its own config does,
// and the attacks on the bind() zjail answers.
//
//   bind-listen ADDR PORT tcp|udp [cloexec]  socket, O_NONBLOCK, bind,
//       listen; "BOUND ..." (what the fd is now), "READY", then one client
//       served: a line echoed back (tcp), or a datagram (udp)
//   bind-once ADDR PORT tcp|udp|file [thread]  one bind() (on /dev/null for
//       "file"; from a second thread with "thread"): "PASS bind-once
//       ADDR:PORT" with the address the socket got
//   bind-race ADDR PORT BADPORT ROUNDS       bind() of PORT while a thread
//       flips the sockaddr's port to BADPORT and back; "PASS" only if a
//       socket ever ended up on anything but ADDR:PORT
//   bind-linger ADDR PORT ROUNDS LINGER  bind() of ADDR:PORT on a connected
//       TCP socket with unsent data and SO_LINGER=LINGER s, from a process
//       that exits while zjail looks at it (zjail's copy of the socket may
//       be the last): "PASS" if zjail's supervisor was ever stuck (a later
//       bind waited a second or more), with how long
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <string>

#include "probe.hpp"

namespace zjail_probe {
namespace {

struct Address {
  sockaddr_storage ss{};
  socklen_t len = 0;
};

bool make_address(const std::string& host, int port, Address& a) {
  auto* in = reinterpret_cast<sockaddr_in*>(&a.ss);
  auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
  if (inet_pton(AF_INET, host.c_str(), &in->sin_addr) == 1) {
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in);
    return true;
  }
  if (inet_pton(AF_INET6, host.c_str(), &in6->sin6_addr) == 1) {
    in6->sin6_family = AF_INET6;
    in6->sin6_port = htons(static_cast<uint16_t>(port));
    a.len = sizeof(sockaddr_in6);
    return true;
  }
  return false;
}

std::string shown(const sockaddr_storage& ss) {
  char buf[INET6_ADDRSTRLEN] = "?";
  if (ss.ss_family == AF_INET) {
    const auto* in = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &in->sin_addr, buf, sizeof buf);
    return std::string(buf) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const sockaddr_in6*>(&ss);
  inet_ntop(AF_INET6, &in6->sin6_addr, buf, sizeof buf);
  return "[" + std::string(buf) + "]:" + std::to_string(ntohs(in6->sin6_port));
}

std::string local_address(int fd) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  if (getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) return "?";
  return shown(ss);
}

int socket_of(const std::string& kind, int family) {
  if (kind == "file") return open("/dev/null", O_RDWR);
  return socket(family, kind == "udp" ? SOCK_DGRAM : SOCK_STREAM, 0);
}

bool wait_readable(int fd, int ms) {
  pollfd p{fd, POLLIN, 0};
  int r;
  while ((r = poll(&p, 1, ms)) < 0 && errno == EINTR) {}
  return r > 0;
}

int bind_listen(const std::string& host, int port, const std::string& kind, bool cloexec) {
  const std::string name = "bind-listen";
  Address a;
  if (!make_address(host, port, a)) return error(name, EINVAL, host);
  int fd = socket(a.ss.ss_family, (kind == "udp" ? SOCK_DGRAM : SOCK_STREAM) | (cloexec ? SOCK_CLOEXEC : 0), 0);
  if (fd < 0) return error(name, errno, "socket");
  if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) return error(name, errno, "O_NONBLOCK");
  if (bind(fd, reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0) return fail(name, errno, "bind " + shown(a.ss));
  if (kind == "tcp" && listen(fd, 16) != 0) return fail(name, errno, "listen after bind");
  int type = 0;
  socklen_t tl = sizeof type;
  getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &tl);
  out("BOUND fd=" + std::to_string(fd) + " addr=" + local_address(fd) +
      " nonblock=" + std::to_string((fcntl(fd, F_GETFL) & O_NONBLOCK) != 0) +
      " cloexec=" + std::to_string((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0) + " type=" + std::to_string(type));
  out("READY");
  if (!wait_readable(fd, 15000)) return error(name, ETIMEDOUT, "no client");
  char buf[256];
  if (kind == "udp") {
    sockaddr_storage from{};
    socklen_t fl = sizeof from;
    ssize_t n = recvfrom(fd, buf, sizeof buf, 0, reinterpret_cast<sockaddr*>(&from), &fl);
    if (n < 0) return error(name, errno, "recvfrom");
    if (sendto(fd, buf, static_cast<size_t>(n), 0, reinterpret_cast<sockaddr*>(&from), fl) != n)
      return error(name, errno, "sendto");
    return pass(name, "echoed a datagram");
  }
  int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return error(name, errno, "accept");
  if (!wait_readable(c, 10000)) return error(name, ETIMEDOUT, "nothing from the client");
  ssize_t n = read(c, buf, sizeof buf);
  if (n <= 0 || write(c, buf, static_cast<size_t>(n)) != n) return error(name, errno, "echo");
  close(c);
  return pass(name, "echoed a line");
}

struct Once {
  Address a;
  int fd = -1;
  int err = 0;
};

void* bind_in_thread(void* arg) {
  auto* o = static_cast<Once*>(arg);
  o->err = bind(o->fd, reinterpret_cast<sockaddr*>(&o->a.ss), o->a.len) == 0 ? 0 : errno;
  return nullptr;
}

int bind_once(const std::string& host, int port, const std::string& kind, bool thread) {
  Once o;
  if (!make_address(host, port, o.a)) return error("bind-once", EINVAL, host);
  o.fd = socket_of(kind, o.a.ss.ss_family);
  if (o.fd < 0) return error("bind-once", errno, "socket");
  pthread_t t;
  if (!thread) bind_in_thread(&o);
  else if (pthread_create(&t, nullptr, bind_in_thread, &o) != 0 || pthread_join(t, nullptr) != 0)
    return error("bind-once", EAGAIN, "thread");
  if (o.err) return fail("bind-once", o.err, shown(o.a.ss));
  return pass("bind-once", local_address(o.fd));
}

struct Race {
  Address a;
  uint16_t good = 0, bad = 0;
  std::atomic<bool> stop{false};
};

void* flip(void* arg) {
  auto* r = static_cast<Race*>(arg);
  auto* port = r->a.ss.ss_family == AF_INET ? &reinterpret_cast<sockaddr_in*>(&r->a.ss)->sin_port
                                            : &reinterpret_cast<sockaddr_in6*>(&r->a.ss)->sin6_port;
  for (unsigned i = 0; !r->stop.load(std::memory_order_relaxed); ++i)
    __atomic_store_n(port, (i & 1) ? r->bad : r->good, __ATOMIC_RELAXED);
  return nullptr;
}

int bind_race(const std::string& host, int port, int bad, int rounds) {
  static Race r;  // the thread reads it until it stops
  if (!make_address(host, port, r.a)) return error("bind-race", EINVAL, host);
  const std::string want = shown(r.a.ss);  // before the thread touches it
  r.good = htons(static_cast<uint16_t>(port));
  r.bad = htons(static_cast<uint16_t>(bad));
  pthread_t t;
  if (pthread_create(&t, nullptr, flip, &r) != 0) return error("bind-race", EAGAIN, "pthread_create");
  int swapped = 0, refused = 0, last = 0;
  std::string wrong;
  for (int i = 0; i < rounds && wrong.empty(); ++i) {
    int fd = socket(r.a.ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return error("bind-race", errno, "socket");
    if (bind(fd, reinterpret_cast<sockaddr*>(&r.a.ss), r.a.len) == 0) {
      std::string got = local_address(fd);
      if (got == want) ++swapped;
      else wrong = got;
    } else {
      last = errno;
      ++refused;
    }
    close(fd);
  }
  r.stop = true;
  pthread_join(t, nullptr);
  std::string counts = "swapped=" + std::to_string(swapped) + " refused=" + std::to_string(refused);
  if (!wrong.empty()) return pass("bind-race", "bound " + wrong + " " + counts);
  return fail("bind-race", last, counts);
}

long now_us() {
  timespec t{};
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1000000L + t.tv_nsec / 1000;
}

struct Linger {
  Address a;
  int fd = -1;
  std::atomic<bool> started{false};
};

void* bind_connected(void* arg) {
  auto* l = static_cast<Linger*>(arg);
  l->started = true;
  (void)bind(l->fd, reinterpret_cast<sockaddr*>(&l->a.ss), l->a.len);
  return nullptr;
}

// A TCP connection to `server` whose send queue cannot drain (the server
// never reads), closed with SO_LINGER: the last close waits for the queue.
int stuck_connection(int server, int linger_s) {
  sockaddr_storage ss{};
  socklen_t len = sizeof ss;
  getsockname(server, reinterpret_cast<sockaddr*>(&ss), &len);
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int small = 4096;
  setsockopt(c, SOL_SOCKET, SO_SNDBUF, &small, sizeof small);
  if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&ss), len) != 0) return -1;
  fcntl(c, F_SETFL, O_NONBLOCK);
  static char junk[65536];
  while (write(c, junk, sizeof junk) > 0) {}
  linger lg{1, linger_s};
  setsockopt(c, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  return c;
}

int bind_linger(const std::string& host, int port, int rounds, int linger_s) {
  const std::string name = "bind-linger";
  static Linger l;
  if (!make_address(host, port, l.a)) return error(name, EINVAL, host);
  int server = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int small = 4096;
  setsockopt(server, SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
  Address any;
  make_address("127.0.0.1", 0, any);
  if (server < 0 || bind(server, reinterpret_cast<sockaddr*>(&any.ss), any.len) != 0 || listen(server, 64) != 0)
    return error(name, errno, "server");
  long worst = 0;
  for (int i = 0; i < rounds; ++i) {
    l.fd = stuck_connection(server, linger_s);
    if (l.fd < 0) return error(name, errno, "connection");
    int go[2];
    if (pipe2(go, O_CLOEXEC) != 0) return error(name, errno, "pipe");
    pid_t pid = fork();
    if (pid == 0) {
      // Only this process holds the socket now: its exit, during zjail's
      // look at the fd, leaves zjail's copy the last one.
      char b;
      if (read(go[0], &b, 1) != 1) _exit(1);
      pthread_t t;
      pthread_create(&t, nullptr, bind_connected, &l);
      while (!l.started) {}
      long until = now_us() + (i * 13) % 200;
      while (now_us() < until) {}
      _exit(0);
    }
    close(l.fd);
    close(go[0]);
    (void)!write(go[1], "x", 1);
    close(go[1]);
    waitpid(pid, nullptr, 0);
    // Any bind() waits for zjail's supervisor.
    int probe = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    long t0 = now_us();
    (void)bind(probe, reinterpret_cast<sockaddr*>(&any.ss), any.len);
    long waited = now_us() - t0;
    close(probe);
    worst = std::max(worst, waited);
    int peer;
    while ((peer = accept4(server, nullptr, nullptr, SOCK_NONBLOCK)) >= 0) close(peer);
    if (waited >= 1000000)
      return pass(name, "zjail stuck " + std::to_string(waited / 1000) + " ms in round " + std::to_string(i));
  }
  return fail(name, 0, "worst wait " + std::to_string(worst) + " us");
}

}  // namespace

int run_listen_probe(const std::string& n, int argc, char** argv) {
  if (n == "bind-listen" && argc > 4)
    return bind_listen(argv[2], std::atoi(argv[3]), argv[4], argc > 5 && std::string(argv[5]) == "cloexec");
  if (n == "bind-once" && argc > 4)
    return bind_once(argv[2], std::atoi(argv[3]), argv[4], argc > 5 && std::string(argv[5]) == "thread");
  if (n == "bind-race" && argc > 5) return bind_race(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  if (n == "bind-linger" && argc > 5)
    return bind_linger(argv[2], std::atoi(argv[3]), std::atoi(argv[4]), std::atoi(argv[5]));
  return -1;
}

}  // namespace zjail_probe
