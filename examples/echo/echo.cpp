// echo: a small TCP echo server, the payload of zjail's demo.
//
//   echo [PORT]          listen on [::]:PORT (default 7), or 0.0.0.0:PORT
//                        when IPv6 is unavailable
//   LISTEN_FDS=N LISTEN_PID=<pid> echo
//                        serve the N listening sockets passed from fd 3 on
//                        (systemd socket activation, as sd_listen_fds(3));
//                        a passed socket that is already connected (a socket
//                        unit with Accept=yes) is served as one client, and
//                        the server exits once no client and no listener is
//                        left
//
// At start it prints what it can see of its own confinement (ids, hostname,
// capability sets, NoNewPrivs, Seccomp, the entries of /), so a jail can be
// inspected from the inside. It serves any number of clients with poll() and
// exits 0 on SIGTERM or SIGINT.

#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <charconv>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace {

constexpr int kListenFdsStart = 3;  // SD_LISTEN_FDS_START
constexpr std::uint16_t kDefaultPort = 7;
constexpr std::size_t kBufferSize = 16 * 1024;

// Owns one file descriptor; move-only.
class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& other) noexcept : fd_(other.release()) {}
  Fd& operator=(Fd&& other) noexcept {
    if (this != &other) reset(other.release());
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { reset(); }

  int get() const { return fd_; }
  explicit operator bool() const { return fd_ >= 0; }
  int release() { return std::exchange(fd_, -1); }
  void reset(int fd = -1) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = fd;
  }

 private:
  int fd_ = -1;
};

void warn(std::string_view what, int err) {
  std::fprintf(stderr, "echo: %.*s: %s\n", static_cast<int>(what.size()), what.data(),
               std::strerror(err));
}

std::optional<long> parse_long(std::string_view s) {
  long value = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), value);
  if (ec != std::errc{} || end != s.data() + s.size()) return std::nullopt;
  return value;
}

// ---- What the payload sees of itself ---------------------------------------

void print_identity() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) std::snprintf(host, sizeof host, "?");
  std::printf("pid: %d\n", static_cast<int>(::getpid()));
  std::printf("ppid: %d\n", static_cast<int>(::getppid()));
  std::printf("uid: %u\n", static_cast<unsigned>(::getuid()));
  std::printf("gid: %u\n", static_cast<unsigned>(::getgid()));
  std::printf("hostname: %s\n", host);
}

void print_status_lines() {
  static constexpr std::string_view kKeys[] = {"CapInh", "CapPrm", "CapEff",    "CapBnd",
                                               "CapAmb", "NoNewPrivs", "Seccomp"};
  std::ifstream status("/proc/self/status");
  if (!status) {
    std::printf("status: /proc/self/status unavailable\n");
    return;
  }
  std::string line;
  while (std::getline(status, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string_view key(line.data(), colon);
    if (std::find(std::begin(kKeys), std::end(kKeys), key) == std::end(kKeys)) continue;
    const auto value = line.find_first_not_of(" \t", colon + 1);
    std::printf("%.*s: %s\n", static_cast<int>(key.size()), key.data(),
                value == std::string::npos ? "" : line.c_str() + value);
  }
}

void print_root_entries() {
  struct CloseDir {
    void operator()(DIR* d) const { ::closedir(d); }
  };
  std::unique_ptr<DIR, CloseDir> dir(::opendir("/"));
  if (!dir) {
    std::printf("root: (unreadable: %s)\n", std::strerror(errno));
    return;
  }
  std::vector<std::string> names;
  while (const dirent* entry = ::readdir(dir.get())) {
    const std::string_view name = entry->d_name;
    if (name != "." && name != "..") names.emplace_back(name);
  }
  std::sort(names.begin(), names.end());
  std::string joined;
  for (const auto& name : names) joined += (joined.empty() ? "" : " ") + name;
  std::printf("root: %s\n", joined.c_str());
}

// ---- Listening sockets -----------------------------------------------------

// sd_listen_fds(1), written out. Returns false on malformed variables meant
// for this process; otherwise `out` holds the passed sockets, or stays empty
// when there are none (no variables, or LISTEN_PID names another process).
// The variables are removed either way so that children do not inherit them.
bool passed_sockets(std::vector<Fd>& out) {
  const char* pid_env = std::getenv("LISTEN_PID");
  const char* fds_env = std::getenv("LISTEN_FDS");
  bool ok = true;
  if (pid_env != nullptr && fds_env != nullptr) {
    const auto pid = parse_long(pid_env);
    if (pid && *pid == ::getpid()) {
      const auto count = parse_long(fds_env);
      if (count && *count >= 0 && *count <= INT32_MAX - kListenFdsStart) {
        for (int fd = kListenFdsStart; fd < kListenFdsStart + *count; ++fd) out.emplace_back(fd);
      } else {
        std::fprintf(stderr, "echo: invalid LISTEN_FDS=%s\n", fds_env);
        ok = false;
      }
    }
  }
  ::unsetenv("LISTEN_PID");
  ::unsetenv("LISTEN_FDS");
  ::unsetenv("LISTEN_FDNAMES");
  return ok;
}

// What a passed socket is: a listener, or with Accept=yes one connection.
enum class Passed { kListener, kConnection, kBad };

Passed prepare_passed_socket(const Fd& fd) {
  int listening = 0;
  socklen_t len = sizeof listening;
  if (::getsockopt(fd.get(), SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) != 0) {
    warn("passed fd " + std::to_string(fd.get()), errno);
    return Passed::kBad;
  }
  if (!listening) {
    int type = 0;
    len = sizeof type;
    if (::getsockopt(fd.get(), SOL_SOCKET, SO_TYPE, &type, &len) != 0 || type != SOCK_STREAM) {
      std::fprintf(stderr, "echo: passed fd %d is neither a listening nor a stream socket\n", fd.get());
      return Passed::kBad;
    }
  }
  const int flags = ::fcntl(fd.get(), F_GETFL);
  if (flags < 0 || ::fcntl(fd.get(), F_SETFL, flags | O_NONBLOCK) != 0 ||
      ::fcntl(fd.get(), F_SETFD, FD_CLOEXEC) != 0) {
    warn("fcntl passed fd " + std::to_string(fd.get()), errno);
    return Passed::kBad;
  }
  return listening ? Passed::kListener : Passed::kConnection;
}

Fd listen_on(std::uint16_t port) {
  // Prefer a dual-stack IPv6 socket; fall back to IPv4 where IPv6 is off.
  Fd fd(::socket(AF_INET6, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  const bool v6 = static_cast<bool>(fd);
  if (!v6) fd.reset(::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
  if (!fd) {
    warn("socket", errno);
    return {};
  }
  const int one = 1;
  const int zero = 0;
  if (::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      (v6 && ::setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero) != 0)) {
    warn("setsockopt", errno);
    return {};
  }
  int rc = 0;
  if (v6) {
    sockaddr_in6 addr{};
    addr.sin6_family = AF_INET6;
    addr.sin6_addr = in6addr_any;
    addr.sin6_port = htons(port);
    rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  } else {
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_ANY);
    addr.sin_port = htons(port);
    rc = ::bind(fd.get(), reinterpret_cast<const sockaddr*>(&addr), sizeof addr);
  }
  if (rc != 0) {
    warn("bind port " + std::to_string(port), errno);
    return {};
  }
  if (::listen(fd.get(), SOMAXCONN) != 0) {
    warn("listen", errno);
    return {};
  }
  return fd;
}

// ---- Signals ---------------------------------------------------------------

// SIGTERM and SIGINT are blocked and read from a signalfd, so shutdown is
// just another poll event. SIGPIPE is ignored; writes use MSG_NOSIGNAL too.
Fd make_signal_fd() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  if (::sigprocmask(SIG_BLOCK, &set, nullptr) != 0) {
    warn("sigprocmask", errno);
    return {};
  }
  ::signal(SIGPIPE, SIG_IGN);
  Fd fd(::signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
  if (!fd) warn("signalfd", errno);
  return fd;
}

// ---- The server ------------------------------------------------------------

struct Client {
  Fd fd;
  std::string pending;  // received but not yet echoed back
};

class Server {
 public:
  Server(std::vector<Fd> listeners, std::vector<Fd> connections, Fd signals)
      : listeners_(std::move(listeners)), signals_(std::move(signals)) {
    for (auto& fd : connections) clients_.push_back({std::move(fd), {}});
    // Keep a few descriptors in reserve so accept() never spins on EMFILE.
    rlimit lim{};
    if (::getrlimit(RLIMIT_NOFILE, &lim) == 0 && lim.rlim_cur != RLIM_INFINITY) {
      const auto reserved = listeners_.size() + 8;
      max_clients_ = lim.rlim_cur > reserved ? lim.rlim_cur - reserved : 1;
    }
    max_clients_ = std::min<std::size_t>(max_clients_, 4096);
  }

  // Returns the process exit status.
  int run() {
    std::vector<pollfd> pfds;
    // Without listeners (Accept=yes) the server's work ends with its clients.
    while (!listeners_.empty() || !clients_.empty()) {
      pfds.clear();
      pfds.push_back({signals_.get(), POLLIN, 0});
      const bool accepting = clients_.size() < max_clients_;
      for (const auto& l : listeners_) pfds.push_back({accepting ? l.get() : -1, POLLIN, 0});
      for (const auto& c : clients_) {
        // Back-pressure: stop reading from a client until its echo is sent.
        pfds.push_back({c.fd.get(), static_cast<short>(c.pending.empty() ? POLLIN : POLLOUT), 0});
      }

      if (::poll(pfds.data(), pfds.size(), -1) < 0) {
        if (errno == EINTR) continue;
        warn("poll", errno);
        return EXIT_FAILURE;
      }
      if (pfds[0].revents != 0) {
        if (const int sig = read_signal(); sig > 0) {
          std::fprintf(stderr, "echo: %s, exiting\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
          return EXIT_SUCCESS;
        }
      }
      for (std::size_t i = 0; i < listeners_.size(); ++i) {
        if (pfds[1 + i].revents & POLLIN) accept_from(listeners_[i]);
      }
      // Clients appended by accept_from() above were not polled this round.
      const std::size_t first = 1 + listeners_.size();
      std::size_t polled = pfds.size() - first;
      std::vector<bool> closed(polled, false);
      for (std::size_t i = 0; i < polled; ++i) {
        if (pfds[first + i].revents != 0) closed[i] = !serve(clients_[i], pfds[first + i].revents);
      }
      for (std::size_t i = polled; i-- > 0;) {
        if (closed[i]) clients_.erase(clients_.begin() + static_cast<std::ptrdiff_t>(i));
      }
    }
    return EXIT_SUCCESS;
  }

 private:
  int read_signal() {
    signalfd_siginfo si{};
    const ssize_t n = ::read(signals_.get(), &si, sizeof si);
    if (n == static_cast<ssize_t>(sizeof si)) return static_cast<int>(si.ssi_signo);
    if (n < 0 && errno != EAGAIN) warn("read signalfd", errno);
    return 0;
  }

  void accept_from(const Fd& listener) {
    while (clients_.size() < max_clients_) {
      Fd fd(::accept4(listener.get(), nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (!fd) {
        // EAGAIN: drained. ECONNABORTED and friends: that client is gone.
        // EMFILE/ENFILE/ENOBUFS: try again on the next round.
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ECONNABORTED &&
            errno != EINTR) {
          warn("accept", errno);
        }
        if (errno == EINTR || errno == ECONNABORTED) continue;
        return;
      }
      clients_.push_back({std::move(fd), {}});
    }
  }

  // Returns false when the client is finished and must be closed.
  bool serve(Client& c, short revents) {
    if (revents & (POLLERR | POLLNVAL)) return false;
    if (!c.pending.empty()) {
      if (!(revents & (POLLOUT | POLLHUP))) return true;
      const ssize_t n = ::send(c.fd.get(), c.pending.data(), c.pending.size(), MSG_NOSIGNAL);
      if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
      c.pending.erase(0, static_cast<std::size_t>(n));
      return true;
    }
    char buf[kBufferSize];
    const ssize_t n = ::recv(c.fd.get(), buf, sizeof buf, 0);
    if (n == 0) return false;  // orderly shutdown by the peer
    if (n < 0) return errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR;
    // Echo at once; keep whatever the socket buffer does not take.
    const ssize_t sent = ::send(c.fd.get(), buf, static_cast<std::size_t>(n), MSG_NOSIGNAL);
    if (sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) return false;
    const std::size_t done = sent < 0 ? 0 : static_cast<std::size_t>(sent);
    c.pending.assign(buf + done, static_cast<std::size_t>(n) - done);
    return true;
  }

  std::vector<Fd> listeners_;
  Fd signals_;
  std::vector<Client> clients_;
  std::size_t max_clients_ = 1024;
};

int usage() {
  std::fprintf(stderr, "usage: echo [PORT]\n");
  return 2;
}

// sd_notify by hand (the example needs no libsystemd): one datagram to
// $NOTIFY_SOCKET, a path or an abstract "@name".
void notify(const std::string& message) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  if (!path || !*path) return;
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::size_t n = std::strlen(path);
  if (n >= sizeof addr.sun_path) return;
  std::memcpy(addr.sun_path, path, n);
  if (addr.sun_path[0] == '@') addr.sun_path[0] = '\0';
  Fd fd(::socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!fd) return;
  const auto len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + n + (path[0] == '@' ? 0 : 1));
  if (::sendto(fd.get(), message.data(), message.size(), MSG_NOSIGNAL,
               reinterpret_cast<const sockaddr*>(&addr), len) < 0)
    warn("sd_notify", errno);
}

}  // namespace

int main(int argc, char** argv) {
  std::uint16_t port = kDefaultPort;
  if (argc > 2) return usage();
  if (argc == 2) {
    const auto value = parse_long(argv[1]);
    if (!value || *value < 1 || *value > 65535) return usage();
    port = static_cast<std::uint16_t>(*value);
  }

  // Take the passed sockets before anything can open fd 3 for itself, and
  // block SIGTERM/SIGINT before we can be seen listening.
  std::vector<Fd> passed;
  if (!passed_sockets(passed)) return EXIT_FAILURE;
  const bool activated = !passed.empty();
  Fd signals = make_signal_fd();
  if (!signals) return EXIT_FAILURE;

  print_identity();
  print_status_lines();
  print_root_entries();

  std::vector<Fd> listeners;
  std::vector<Fd> connections;
  if (activated) {
    for (auto& fd : passed) {
      const Passed kind = prepare_passed_socket(fd);
      if (kind == Passed::kBad) return EXIT_FAILURE;
      (kind == Passed::kListener ? listeners : connections).push_back(std::move(fd));
    }
    if (!listeners.empty()) {
      std::printf("listening: %zu socket(s) passed from fd %d\n", listeners.size(), kListenFdsStart);
    }
    if (!connections.empty()) {
      std::printf("serving: %zu connection(s) passed from fd %d\n", connections.size(), kListenFdsStart);
    }
  } else {
    Fd fd = listen_on(port);
    if (!fd) return EXIT_FAILURE;
    listeners.push_back(std::move(fd));
    std::printf("listening: port %u\n", static_cast<unsigned>(port));
  }
  if (std::fflush(stdout) != 0) {
    warn("stdout", errno);
    return EXIT_FAILURE;
  }
  // Type=notify: ready only once the sockets are served.
  notify("READY=1\nSTATUS=echo: serving " + std::to_string(listeners.size() + connections.size()) +
         " socket(s) as uid " + std::to_string(::getuid()));

  return Server(std::move(listeners), std::move(connections), std::move(signals)).run();
}
