// zjail_probe: runs INSIDE a jail (or, to prove the probes are real, outside
// one) and performs exactly one check or attack.
//
//   zjail_probe NAME [ARGS]
//
// Attack probes print one line about the operation they attempted:
//   PASS <name> [detail]                 the operation succeeded (escape!)
//   FAIL <name> errno=<ENAME> <detail>   the operation failed with that errno
//   ERROR <name> errno=<ENAME> <detail>  set-up failed before the attempt
// The harness decides which errno means "blocked" and asserts it exactly.
// Info probes print facts, one per line. Every probe exits 0 unless it
// says otherwise (exit, kill-self, sigterm-wait); 2 means bad usage.
//
// Probes that would damage the host when run unjailed as root are written
// to be harmless: sethostname sets the current name, core_pattern and
// sysrq-trigger are only opened, never written. The escape attempts are the
// escape battery's (tests/escape).
#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include "probe.hpp"
#include "test_io.hpp"

extern char** environ;

namespace zjail_probe {
std::string ename(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

void out(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int pass(const std::string& name, const std::string& detail) {
  out("PASS " + name + (detail.empty() ? "" : " " + detail));
  return 0;
}

int fail(const std::string& name, int err, const std::string& detail) {
  out("FAIL " + name + " errno=" + ename(err) + " " + detail);
  return 0;
}

int error(const std::string& name, int err, const std::string& detail) {
  out("ERROR " + name + " errno=" + ename(err) + " " + detail);
  return 0;
}

int result(const std::string& name, long r, const std::string& detail) {
  return r >= 0 ? pass(name, detail) : fail(name, errno, detail);
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

int on_usr1_until_term(const std::string& name, int code, const std::function<int(int)>& each) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  out("READY " + std::to_string(getpid()));
  for (int i = 1;; ++i) {
    timespec limit{30, 0};
    int sig = sigtimedwait(&set, nullptr, &limit);
    if (sig == SIGTERM) return code;
    if (sig != SIGUSR1) return error(name, EAGAIN, "no signal within 30 s");
    if (int rc = each(i); rc >= 0) return rc;
  }
}

}  // namespace zjail_probe

using namespace zjail_probe;

namespace {

// --- info probes ---------------------------------------------------------

int ns() {
  DIR* d = opendir("/proc/self/ns");
  if (!d) return error("ns", errno, "opendir /proc/self/ns");
  std::vector<std::string> lines;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    char buf[256];
    std::string path = std::string("/proc/self/ns/") + e->d_name;
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    if (n < 0) continue;
    lines.push_back(std::string("NS ") + e->d_name + " " + std::string(buf, static_cast<size_t>(n)));
  }
  closedir(d);
  std::sort(lines.begin(), lines.end());
  for (const auto& l : lines) out(l);
  return 0;
}

int status() {
  std::ifstream f("/proc/self/status");
  if (!f) return error("status", errno, "open /proc/self/status");
  const char* keys[] = {"Uid:", "Gid:", "Groups:", "CapInh:", "CapPrm:", "CapEff:",
                        "CapBnd:", "CapAmb:", "NoNewPrivs:", "Seccomp:", "Seccomp_filters:"};
  std::string line;
  while (std::getline(f, line))
    for (const char* k : keys)
      if (line.rfind(k, 0) == 0) out(line);
  return 0;
}

std::vector<pid_t> proc_pids() {
  std::vector<pid_t> pids;
  if (DIR* d = opendir("/proc")) {
    while (dirent* e = readdir(d)) {
      char* end;
      long v = std::strtol(e->d_name, &end, 10);
      if (*end == '\0' && v > 0) pids.push_back(static_cast<pid_t>(v));
    }
    closedir(d);
  }
  std::sort(pids.begin(), pids.end());
  return pids;
}

int pids() {
  out("SELF " + std::to_string(getpid()));
  std::string line = "PIDS";
  for (pid_t p : proc_pids()) line += " " + std::to_string(p);
  out(line);
  return 0;
}

int mounts() {
  std::ifstream f("/proc/self/mountinfo");
  if (!f) return error("mounts", errno, "open /proc/self/mountinfo");
  std::string line;
  while (std::getline(f, line)) {
    // id parent maj:min root mountpoint opts [optional...] - fstype source superopts
    std::vector<std::string> w;
    size_t i = 0;
    while (i < line.size()) {
      size_t j = line.find(' ', i);
      if (j == std::string::npos) j = line.size();
      w.push_back(line.substr(i, j - i));
      i = j + 1;
    }
    auto dash = std::find(w.begin(), w.end(), "-");
    if (w.size() < 6 || dash == w.end()) continue;
    size_t d = static_cast<size_t>(dash - w.begin());
    auto field = [&](size_t k) { return d + k < w.size() ? w[d + k] : std::string("?"); };
    std::string fstype = field(1), source = field(2), super = field(3);
    out("MOUNT " + w[4] + " " + w[5] + " " + fstype + " " + source + " " + super);
  }
  return 0;
}

int fds() {
  DIR* d = opendir("/proc/self/fd");
  if (!d) return error("fds", errno, "opendir /proc/self/fd");
  int self = dirfd(d);
  std::vector<std::pair<int, std::string>> list;
  while (dirent* e = readdir(d)) {
    if (e->d_name[0] == '.') continue;
    int fd = std::atoi(e->d_name);
    if (fd == self) continue;
    char buf[4096];
    std::string path = std::string("/proc/self/fd/") + e->d_name;
    ssize_t n = readlink(path.c_str(), buf, sizeof buf - 1);
    list.emplace_back(fd, n < 0 ? "?" : std::string(buf, static_cast<size_t>(n)));
  }
  closedir(d);
  std::sort(list.begin(), list.end());
  for (const auto& [fd, target] : list) out("FD " + std::to_string(fd) + " " + target);
  return 0;
}

int hostname() {
  utsname u{};
  if (uname(&u) < 0) return error("hostname", errno, "uname");
  out(std::string("HOSTNAME ") + u.nodename);
  return 0;
}

int env() {
  for (char** e = environ; *e; ++e) out(std::string("ENV ") + *e);
  return 0;
}

int cwd() {
  char buf[4096];
  if (!getcwd(buf, sizeof buf)) return error("cwd", errno, "getcwd");
  out(std::string("CWD ") + buf);
  return 0;
}

// Interfaces and whether they are up.
int ifaces() {
  int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (s < 0) return error("ifaces", errno, "socket");
  struct if_nameindex* list = if_nameindex();
  for (struct if_nameindex* i = list; i && i->if_index; ++i) {
    ifreq ifr{};
    std::strncpy(ifr.ifr_name, i->if_name, IFNAMSIZ - 1);
    bool up = ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && (ifr.ifr_flags & IFF_UP);
    out(std::string("IFACE ") + i->if_name + (up ? " UP" : " DOWN"));
  }
  if (list) if_freenameindex(list);
  close(s);
  return 0;
}

// A TCP round trip over 127.0.0.1.
int loopback() {
  int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_in a = zjail_test_io::loopback(0);
  socklen_t len = sizeof a;
  if (l < 0 || bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0 || listen(l, 1) < 0 ||
      getsockname(l, reinterpret_cast<sockaddr*>(&a), &len) < 0)
    return fail("loopback", errno, "listen on 127.0.0.1");
  int c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (c < 0 || connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0)
    return fail("loopback", errno, "connect to 127.0.0.1");
  int acc = accept(l, nullptr, nullptr);
  char b = 0;
  if (acc < 0 || write(c, "z", 1) != 1 || read(acc, &b, 1) != 1 || b != 'z')
    return fail("loopback", errno, "round trip");
  return pass("loopback", "127.0.0.1:" + std::to_string(ntohs(a.sin_port)));
}

int limits() {
  const std::pair<const char*, int> list[] = {{"NOFILE", RLIMIT_NOFILE}, {"CORE", RLIMIT_CORE},
                                              {"NPROC", RLIMIT_NPROC},   {"FSIZE", RLIMIT_FSIZE},
                                              {"AS", RLIMIT_AS},         {"CPU", RLIMIT_CPU}};
  auto str = [](rlim_t v) { return v == RLIM_INFINITY ? std::string("infinity") : std::to_string(v); };
  for (const auto& [name, res] : list) {
    rlimit r{};
    getrlimit(res, &r);
    out(std::string("RLIMIT ") + name + " " + str(r.rlim_cur) + " " + str(r.rlim_max));
  }
  return 0;
}

// --- lifecycle probes ------------------------------------------------------

int sigterm_wait(int code) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  out("READY " + std::to_string(getpid()));
  timespec limit{30, 0};
  int sig = sigtimedwait(&set, nullptr, &limit);
  if (sig != SIGTERM) {
    out("TIMEOUT no SIGTERM within 30 s");
    return 99;
  }
  out("GOT SIGTERM");
  return code;
}

// Prints READY, waits for SIGUSR1 (forwarded by zjail), then lists mounts.
int mounts_after_usr1() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGUSR1);
  sigprocmask(SIG_BLOCK, &set, nullptr);
  out("READY " + std::to_string(getpid()));
  timespec limit{30, 0};
  if (sigtimedwait(&set, nullptr, &limit) != SIGUSR1) return error("mounts-after-usr1", EAGAIN, "no SIGUSR1");
  return mounts();
}

// Forks children that exit, and orphans grandchildren that exit a little
// later: the jail's init must reap them. Passes when every grandchild is
// gone from /proc and no zombie is left in the jail.
int zombies() {
  constexpr int kGrandchildren = 4;
  int p[2];
  if (pipe(p) < 0) return error("zombies", errno, "pipe");
  for (int i = 0; i < 3; ++i) {  // plain children, exiting at once, reaped by us
    pid_t c = fork();
    if (c == 0) _exit(0);
    if (c > 0) waitpid(c, nullptr, 0);
  }
  pid_t mid = fork();
  if (mid < 0) return error("zombies", errno, "fork");
  if (mid == 0) {
    for (int i = 0; i < kGrandchildren; ++i) {
      pid_t g = fork();
      if (g == 0) {
        pid_t me = getpid();
        (void)!write(p[1], &me, sizeof me);
        sleep_ms(200);  // outlive the middle child: become init's orphan
        _exit(0);
      }
    }
    _exit(0);
  }
  close(p[1]);
  waitpid(mid, nullptr, 0);
  std::vector<pid_t> orphans;
  pid_t g;
  while (read(p[0], &g, sizeof g) == sizeof g) orphans.push_back(g);  // EOF: all exited
  close(p[0]);
  if (orphans.size() != kGrandchildren)
    return error("zombies", 0, "only " + std::to_string(orphans.size()) + " grandchildren");
  std::string left;
  for (int waited = 0; waited <= 5000; waited += 50) {
    left.clear();
    for (pid_t o : orphans)
      if (access(("/proc/" + std::to_string(o)).c_str(), F_OK) == 0) left += " " + std::to_string(o);
    for (pid_t q : proc_pids()) {
      std::ifstream st("/proc/" + std::to_string(q) + "/stat");
      std::string s;
      std::getline(st, s);
      size_t rp = s.rfind(')');
      if (rp != std::string::npos && rp + 2 < s.size() && s[rp + 2] == 'Z')
        left += " Z:" + std::to_string(q);
    }
    if (left.empty()) return pass("zombies", "reaped=" + std::to_string(orphans.size()));
    sleep_ms(50);
  }
  return fail("zombies", 0, "left:" + left);
}

// Leaves a process tree behind (a child, and a detached grandchild in its
// own session that ignores the polite signals), all carrying the marker in
// their argv, and sleeps.
int hang() {
  pid_t child = fork();
  if (child == 0) {
    pid_t gc = fork();
    if (gc == 0) {
      setsid();
      signal(SIGTERM, SIG_IGN);
      signal(SIGHUP, SIG_IGN);
      signal(SIGINT, SIG_IGN);
      for (;;) pause();
    }
    for (;;) pause();
  }
  sleep_ms(100);
  out("READY " + std::to_string(getpid()) + " " + std::to_string(child));
  for (;;) pause();
}

// Exits at once, leaving a detached grandchild (own session, polite signals
// ignored) behind: the jail must not outlive its payload.
int orphan() {
  pid_t child = fork();
  if (child == 0) {
    if (fork() == 0) {
      setsid();
      signal(SIGTERM, SIG_IGN);
      signal(SIGHUP, SIG_IGN);
      for (;;) pause();
    }
    _exit(0);
  }
  waitpid(child, nullptr, 0);
  sleep_ms(100);
  out("LEFT");
  return 0;
}

int read_path(const std::string& path) {
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("read", errno, "open " + path);
  char buf[4096];
  ssize_t n = read(fd, buf, sizeof buf);
  int e = errno;
  close(fd);
  errno = e;
  return result("read", n, path + (n >= 0 ? " bytes=" + std::to_string(n) : ""));
}

// The session and the controlling terminal.
int session() {
  out("SID " + std::to_string(getsid(0)) + " PGID " + std::to_string(getpgrp()));
  int fd = open("/dev/tty", O_RDWR | O_CLOEXEC);
  if (fd >= 0) close(fd);
  return result("ctty", fd, "open /dev/tty");
}

// --- sd_notify ---------------------------------------------------------------

// An argument with C escapes (argv cannot hold a NUL): \n \r \t \0 \\.
std::string unescape(const std::string& s) {
  std::string r;
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\' || i + 1 == s.size()) {
      r += s[i];
      continue;
    }
    char c = s[++i];
    r += c == 'n' ? '\n' : c == 'r' ? '\r' : c == 't' ? '\t' : c == '0' ? '\0' : c;
  }
  return r;
}

// One datagram to $NOTIFY_SOCKET (blocking unless `flags` says otherwise).
long notify_send(const std::string& msg, int flags) {
  const char* path = std::getenv("NOTIFY_SOCKET");
  sockaddr_un sa{};
  sa.sun_family = AF_UNIX;
  if (!path || !*path || std::strlen(path) >= sizeof sa.sun_path) {
    errno = EINVAL;
    return -1;
  }
  std::strcpy(sa.sun_path, path);
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  long n = sendto(fd, msg.data(), msg.size(), flags, reinterpret_cast<sockaddr*>(&sa), sizeof sa);
  int e = errno;
  close(fd);
  errno = e;
  return n;
}

// Sends each argument, unescaped, as one datagram: "SENT <i> bytes=<n>".
int notify(int argc, char** argv) {
  for (int i = 2; i < argc; ++i) {
    long n = notify_send(unescape(argv[i]), 0);
    if (n < 0) return fail("notify", errno, "message " + std::to_string(i - 2));
    out("SENT " + std::to_string(i - 2) + " bytes=" + std::to_string(n));
  }
  return 0;
}

// `msg` to NOTIFY_SOCKET on every SIGUSR1 ("SENT <i>"): messages from a
// jail that has gone idle.
int notify_on_usr1(const std::string& msg) {
  return on_usr1_until_term("notify-on-usr1", 0, [&](int i) {
    if (notify_send(unescape(msg), 0) < 0) return fail("notify-on-usr1", errno, "message " + std::to_string(i));
    out("SENT " + std::to_string(i));
    return -1;
  });
}

// Sends STATUS=flood-<i> without waiting until the socket takes no more (or
// `count` went out), then waits for SIGTERM like sigterm-wait.
int notify_flood(int count, int code) {
  int sent = 0, refused = 0;
  for (int i = 0; i < count; ++i) {
    if (notify_send("STATUS=flood-" + std::to_string(i), MSG_DONTWAIT) >= 0) ++sent;
    else if (errno == EAGAIN) ++refused;
    else return fail("notify-flood", errno, "after " + std::to_string(sent));
  }
  out("FLOODED sent=" + std::to_string(sent) + " refused=" + std::to_string(refused));
  return sigterm_wait(code);
}

int touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("touch", errno, path);
  (void)!write(fd, "ran\n", 4);
  close(fd);
  return pass("touch", path);
}

int usage() {
  std::fputs("usage: zjail_probe NAME [ARGS] (see tests/root/probe.cpp)\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  // Run by a binfmt_misc handler in place of the small init (probe_small_init.cpp).
  if (getpid() == 1 && std::getenv("ZJAIL_INIT")) return zjail_probe::hijacked_init();
  if (argc < 2) return usage();
  std::string n = argv[1];
  std::string a1 = argc > 2 ? argv[2] : "";
  bool has1 = argc > 2;

  // Info.
  if (n == "ns") return ns();
  if (n == "status") return status();
  if (n == "pids") return pids();
  if (n == "mounts") return mounts();
  if (n == "fds") return fds();
  if (n == "hostname") return hostname();
  if (n == "env") return env();
  if (n == "cwd") return cwd();
  if (n == "session") return session();
  if (n == "ifaces") return ifaces();
  if (n == "loopback") return loopback();
  if (n == "limits") return limits();
  if (n == "mounts-after-usr1") return mounts_after_usr1();
  if (n == "read" && has1) return read_path(a1);
  // Lifecycle.
  if (n == "exit" && has1) return std::atoi(a1.c_str());
  if (n == "kill-self" && has1) {
    int sig = std::atoi(a1.c_str());
    signal(sig, SIG_DFL);
    kill(getpid(), sig);
    sleep_ms(5000);
    return 98;
  }
  if (n == "sigterm-wait") return sigterm_wait(has1 ? std::atoi(a1.c_str()) : 0);
  if (n == "zombies") return zombies();
  if (n == "hang") return hang();  // argv carries the harness's marker
  if (n == "orphan") return orphan();
  if (n == "touch" && has1) return touch(a1);
  if (n == "notify") return notify(argc, argv);
  if (n == "notify-on-usr1" && has1) return notify_on_usr1(a1);
  if (n == "notify-flood" && argc > 3) return notify_flood(std::atoi(a1.c_str()), std::atoi(argv[3]));
  int rc = zjail_probe::run_attack(n, argc, argv);
  if (rc < 0) rc = zjail_probe::run_security_probe(n, argc, argv);
  if (rc < 0) rc = zjail_probe::run_denial_probe(n, argc, argv);
  if (rc < 0) rc = zjail_probe::run_explain_probe(n, argc, argv);
  if (rc < 0) rc = zjail_probe::run_listen_probe(n, argc, argv);
  if (rc < 0) rc = zjail_probe::run_small_init_probe(n, argc, argv);
  return rc >= 0 ? rc : usage();
}
