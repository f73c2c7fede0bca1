// The probe's write and privilege checks: each tries the operation once and
// reports the outcome in the format described in probe.cpp. The escape
// attempts proper (mount, namespaces, ptrace, keyring, TIOCSTI, ABI bypass,
// ...) are in the escape battery, tests/escape.
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstddef>
#include <cstdlib>
#include <cstring>
#include <string>

#include "probe.hpp"
#include "test_io.hpp"

namespace zjail_probe {
namespace {

int open_write(const std::string& name, const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);  // never written
  if (fd >= 0) close(fd);
  return result(name, fd, "open O_WRONLY " + path);
}

int write_file(const std::string& name, const std::string& path, int flags) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | flags, 0666);
  if (fd < 0) return fail(name, errno, "open " + path);
  ssize_t n = write(fd, "zjail-probe\n", 12);
  zjail_test_io::close_keeping_errno(fd);
  return result(name, n, "write " + path);
}

// Binding a privileged port on loopback: needs CAP_NET_BIND_SERVICE.
int bind_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return error("bind-port", errno, "socket");
  sockaddr_in a = zjail_test_io::loopback(port);
  int r = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  zjail_test_io::close_keeping_errno(s);
  return result("bind-port", r, "127.0.0.1:" + std::to_string(port));
}

// An outbound TCP connection to 127.0.0.1:PORT: what a compromised service
// does to reach another service of the host.
int tcp_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail("tcp-connect", errno, "socket(AF_INET, SOCK_STREAM)");
  sockaddr_in a = zjail_test_io::loopback(port);
  int r = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  zjail_test_io::close_keeping_errno(s);
  return result("tcp-connect", r, "127.0.0.1:" + std::to_string(port));
}

int do_sethostname() {
  utsname u{};
  uname(&u);  // set the name it already has: harmless even unjailed
  return result("sethostname", sethostname(u.nodename, std::strlen(u.nodename)), u.nodename);
}

// The passed listening socket (fd 3) lives in the host's network namespace,
// and so does every connection accepted on it: dissolve one (connect with
// AF_UNSPEC) and connect it again, to 127.0.0.1:PORT of the host, then try
// TCP Fast Open's sendto() on it as a second way to connect.
int reconnect_accepted(int port) {
  out("READY");
  int c = accept4(3, nullptr, nullptr, SOCK_CLOEXEC);
  if (c < 0) return error("reconnect-accepted", errno, "accept on fd 3");
  sockaddr unspec{};
  unspec.sa_family = AF_UNSPEC;
  if (connect(c, &unspec, sizeof unspec) < 0) return error("reconnect-accepted", errno, "connect(AF_UNSPEC)");
  sockaddr_in a = zjail_test_io::loopback(port);
  std::string where = "127.0.0.1:" + std::to_string(port) + " of the host";
  if (connect(c, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0) {
    (void)!write(c, "escaped\n", 8);
    return pass("reconnect-accepted", "connect to " + where);
  }
  int e = errno;
  if (sendto(c, "escaped\n", 8, MSG_FASTOPEN, reinterpret_cast<sockaddr*>(&a), sizeof a) >= 0)
    return pass("reconnect-accepted", "TCP Fast Open sendto to " + where);
  return fail("reconnect-accepted", e, "connect to " + where + "; Fast Open sendto: " + ename(errno));
}

// Runs `path` (no arguments) in a child and reports whether execve worked.
int exec_path(const std::string& path) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return error("exec", errno, "pipe");
  pid_t pid = fork();
  if (pid < 0) return error("exec", errno, "fork");
  if (pid == 0) {
    char* argv[] = {const_cast<char*>(path.c_str()), nullptr};
    execv(path.c_str(), argv);
    int e = errno;
    (void)!write(p[1], &e, sizeof e);
    _exit(127);
  }
  close(p[1]);
  int e = 0;
  ssize_t n = read(p[0], &e, sizeof e);
  close(p[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (n == sizeof e) return fail("exec", e, path);
  return pass("exec", path + " exit=" + std::to_string(WIFEXITED(status) ? WEXITSTATUS(status) : -1));
}

// Replacing itself with PATH (a shell), as an exploited daemon would: no
// fork, which a tight filter may deny. A shell that runs says PASS itself.
int execve_self(const std::string& path) {
  std::string say = "echo PASS execve " + path;
  char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("-c"), say.data(), nullptr};
  std::fflush(stdout);
  execv(path.c_str(), argv);
  return fail("execve", errno, path);
}

int list_dir(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (!d) return fail("opendir", errno, path);
  int n = 0;
  while (dirent* e = readdir(d))
    if (std::strcmp(e->d_name, ".") != 0 && std::strcmp(e->d_name, "..") != 0) ++n;
  closedir(d);
  return pass("opendir", path + " entries=" + std::to_string(n));
}

int open_rw(const std::string& path) {
  int fd = open(path.c_str(), O_RDWR | O_CLOEXEC | O_NOCTTY);  // never written
  if (fd >= 0) close(fd);
  return result("open-rw", fd, "open O_RDWR " + path);
}

// Landlock's attacks. A host process listens on the abstract unix socket
// NAME: connect, and read what it says.
int abstract_connect(const std::string& name) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return error("abstract-connect", errno, "socket");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::memcpy(a.sun_path + 1, name.data(), std::min(name.size(), sizeof a.sun_path - 2));
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + 1 + name.size());
  if (connect(s, reinterpret_cast<sockaddr*>(&a), len) < 0) {
    zjail_test_io::close_keeping_errno(s);
    return fail("abstract-connect", errno, "@" + name);
  }
  char buf[64] = {};
  ssize_t n = read(s, buf, sizeof buf - 1);
  close(s);
  return pass("abstract-connect", "@" + name + " read=" + std::string(buf, n > 0 ? static_cast<size_t>(n) : 0));
}

// Connect a unix stream socket to the host's socket at PATH (a session
// bus, a user manager).
int unix_connect(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return fail("unix-connect", errno, "socket(AF_UNIX, SOCK_STREAM)");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  int r = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  zjail_test_io::close_keeping_errno(s);
  return result("unix-connect", r, "connect " + path);
}

// A host process hands a directory fd over the unix socket at PATH
// (SCM_RIGHTS): open FILE beneath it.
int passed_dirfd(const std::string& path, const std::string& file) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return error("passed-dirfd", errno, "socket");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) return error("passed-dirfd", errno, "connect " + path);
  int dir = zjail_test_io::recv_fd(s);
  if (dir < 0) return error("passed-dirfd", errno, "receiving the fd");
  int fd = openat(dir, file.c_str(), O_RDONLY | O_CLOEXEC);
  int e = errno;
  if (fd >= 0) close(fd);
  errno = e;
  return result("passed-dirfd", fd, "openat(passed fd, " + file + ")");
}

// A socket of KIND (tcp4, tcp6, udp4, mptcp4, mptcp6, sctp4, seq4: SOCK_SEQPACKET
// with protocol 0, SCTP where its module is loaded) on loopback,
// bound to PORT (bind), connected to it (connect), or listening unbound
// (listen, PORT unused): the ways to a port
// that SocketBind*= and SocketConnect*= close.
int sock_port(const std::string& name, const std::string& kind, int port) {
  bool v6 = kind.ends_with('6');
  int type = kind.starts_with("udp") ? SOCK_DGRAM : kind.starts_with("seq") ? SOCK_SEQPACKET : SOCK_STREAM;
  int proto = kind.starts_with("mptcp") ? 262 : kind.starts_with("sctp") ? IPPROTO_SCTP : 0;
  int s = socket(v6 ? AF_INET6 : AF_INET, type | SOCK_CLOEXEC, proto);
  if (s < 0) return fail(name, errno, kind + " socket");
  sockaddr_in a4 = zjail_test_io::loopback(port);
  sockaddr_in6 a6{};
  a6.sin6_family = AF_INET6;
  a6.sin6_port = htons(static_cast<uint16_t>(port));
  a6.sin6_addr = in6addr_loopback;
  auto* a = v6 ? reinterpret_cast<sockaddr*>(&a6) : reinterpret_cast<sockaddr*>(&a4);
  socklen_t len = v6 ? sizeof a6 : sizeof a4;
  // sock-listen: listen() on the unbound socket, which binds an ephemeral port without bind().
  int r = name == "sock-bind" ? bind(s, a, len) : name == "sock-listen" ? listen(s, 1) : connect(s, a, len);
  zjail_test_io::close_keeping_errno(s);
  return result(name, r, kind + " port " + std::to_string(port));
}

}  // namespace

int run_attack(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  bool has1 = argc > 2;
  if (n == "core_pattern") return open_write("core_pattern", "/proc/sys/kernel/core_pattern");
  if (n == "sysrq") return open_write("sysrq", "/proc/sysrq-trigger");
  if (n == "open-write" && has1) return open_write("open-write", a1);
  if (n == "write" && has1) return write_file("write", a1, O_TRUNC);
  if (n == "create" && has1) return write_file("create", a1, O_CREAT | O_EXCL);
  if (n == "sethostname") return do_sethostname();
  if (n == "exec" && has1) return exec_path(a1);
  if (n == "execve" && has1) return execve_self(a1);
  if (n == "opendir" && has1) return list_dir(a1);
  if (n == "open-rw" && has1) return open_rw(a1);
  // Loading a module: the arguments are rejected long after the
  // capability check, so EPERM is all an unprivileged caller ever sees.
  if (n == "init-module") return result("init-module", syscall(SYS_init_module, nullptr, 0, ""), "init_module");
  // SYSLOG_ACTION_SIZE_BUFFER: allowed to everyone unless dmesg_restrict.
  if (n == "syslog-size") return result("syslog-size", syscall(SYS_syslog, 10, nullptr, 0), "syslog(SIZE_BUFFER)");
  if (n == "bind-port" && has1) return bind_port(std::atoi(a1.c_str()));
  if (n == "tcp-connect" && has1) return tcp_connect(std::atoi(a1.c_str()));
  if (n == "reconnect-accepted" && has1) return reconnect_accepted(std::atoi(a1.c_str()));
  if ((n == "sock-bind" || n == "sock-connect" || n == "sock-listen") && argc > 3) return sock_port(n, a1, std::atoi(argv[3]));
  if (n == "abstract-connect" && has1) return abstract_connect(a1);
  if (n == "unix-connect" && has1) return unix_connect(a1);
  if (n == "symlink" && argc > 3) return result("symlink", symlink(a1.c_str(), argv[3]), std::string("symlink ") + argv[3]);
  // A file's mode by path (set to what it is: harmless), and the caller's
  // own user keyring: what Landlock has no right for.
  if (n == "chmod" && has1) {
    struct stat st{};
    if (stat(a1.c_str(), &st) != 0) return error("chmod", errno, "stat " + a1);
    return result("chmod", chmod(a1.c_str(), st.st_mode & 07777), "chmod " + a1);
  }
  if (n == "user-keyring")
    return result("user-keyring", syscall(SYS_keyctl, 0 /* KEYCTL_GET_KEYRING_ID */, -4 /* KEY_SPEC_USER_KEYRING */, 0),
                  "keyctl(GET_KEYRING_ID, @u)");
  if (n == "passed-dirfd" && argc > 3) return passed_dirfd(a1, argv[3]);
  // Signal 0 to whoever started the payload (zjail without namespaces, of
  // the same uid): only Landlock's signal scope stands in the way.
  if (n == "signal-parent") return result("signal-parent", kill(getppid(), 0), "kill(getppid(), 0)");
  // Signal 0 to a pid: the permission check alone (the jail's init is 1).
  if (n == "signal" && argc > 3)
    return result("signal", kill(std::atoi(a1.c_str()), std::atoi(argv[3])), "kill(" + a1 + ", " + argv[3] + ")");
  // After a pause, attach to a pid (the jail's init is 1) as a tracer: the
  // init is never the payload's to trace or read.
  if (n == "ptrace-attach" && argc > 3) {
    sleep_ms(std::atoi(argv[3]));
    long pid = std::atol(a1.c_str());
    long r = syscall(SYS_ptrace, PTRACE_ATTACH, pid, 0, 0);
    int e = errno;
    if (r == 0) syscall(SYS_ptrace, PTRACE_DETACH, pid, 0, 0);
    errno = e;
    return result("ptrace-attach", r, "ptrace(PTRACE_ATTACH, " + a1 + ")");
  }
  return -1;
}

}  // namespace zjail_probe
