// The attack probes: each tries the real escape once and reports the
// outcome in the format described in probe.cpp.
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>

#include "probe.hpp"

namespace zjail_probe {
namespace {

int do_mount() {
  char dir[] = "/tmp/zjail-probe-mnt-XXXXXX";
  if (!mkdtemp(dir)) return error("mount", errno, "mkdtemp in /tmp");
  int r = mount("zjail-probe", dir, "tmpfs", MS_NOSUID | MS_NODEV, "size=64k");
  int e = errno;
  if (r == 0) umount2(dir, MNT_DETACH);
  rmdir(dir);
  errno = e;
  return result("mount", r, std::string("tmpfs on ") + dir);
}

int pivot(const char* new_root, const char* put_old) {
  long r = syscall(SYS_pivot_root, new_root, put_old);
  return result("pivot_root", r, std::string(new_root) + " " + put_old);
}

int ns_flag(const std::string& n) {
  static const std::map<std::string, int> flags = {
      {"user", CLONE_NEWUSER}, {"mnt", CLONE_NEWNS},  {"net", CLONE_NEWNET},
      {"pid", CLONE_NEWPID},   {"uts", CLONE_NEWUTS}, {"ipc", CLONE_NEWIPC},
      {"cgroup", CLONE_NEWCGROUP}, {"time", CLONE_NEWTIME}};
  auto it = flags.find(n);
  return it == flags.end() ? 0 : it->second;
}

int do_unshare(const std::string& n) {
  int flag = ns_flag(n);
  if (!flag) return error("unshare", EINVAL, "unknown namespace " + n);
  return result("unshare", unshare(flag), n);
}

int clone_ns(bool v3) {
  std::string name = v3 ? "clone3-ns" : "clone-ns";
  long pid;
  if (v3) {
    clone_args a{};
    a.flags = CLONE_NEWUSER | CLONE_NEWNS;
    a.exit_signal = SIGCHLD;
    pid = syscall(SYS_clone3, &a, sizeof a);
  } else {
    pid = syscall(SYS_clone, CLONE_NEWUSER | CLONE_NEWNS | SIGCHLD, nullptr, nullptr, nullptr, nullptr);
  }
  if (pid == 0) _exit(0);
  if (pid < 0) return fail(name, errno, "CLONE_NEWUSER|CLONE_NEWNS");
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return pass(name, "CLONE_NEWUSER|CLONE_NEWNS");
}

int setns_path(const std::string& n) {
  std::string path = "/proc/1/ns/" + n;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return fail("setns-path", errno, "open " + path);
  return result("setns-path", setns(fd, 0), path);
}

int setns_pidfd(const std::string& n) {
  int flag = ns_flag(n);
  if (!flag) return error("setns-pidfd", EINVAL, "unknown namespace " + n);
  int fd = static_cast<int>(syscall(SYS_pidfd_open, 1, 0));
  if (fd < 0) return fail("setns-pidfd", errno, "pidfd_open 1");
  return result("setns-pidfd", setns(fd, flag), "pid 1 " + n);
}

int ptrace_pid(const std::string& name, pid_t pid) {
  long r = ptrace(PTRACE_ATTACH, pid, nullptr, nullptr);
  if (r == 0) {
    waitpid(pid, nullptr, __WALL);
    ptrace(PTRACE_DETACH, pid, nullptr, nullptr);
  }
  return result(name, r, "PTRACE_ATTACH " + std::to_string(pid));
}

int ptrace_child() {
  pid_t c = fork();
  if (c < 0) return error("ptrace-child", errno, "fork");
  if (c == 0) {
    for (;;) pause();
  }
  int rc = ptrace_pid("ptrace-child", c);
  kill(c, SIGKILL);
  waitpid(c, nullptr, 0);
  return rc;
}

int keyctl_read(const std::string& serial) {
  char buf[256];
  long id = std::strtol(serial.c_str(), nullptr, 0);
  long r = syscall(SYS_keyctl, KEYCTL_READ, id, buf, sizeof buf, 0);
  std::string got = r > 0 ? std::string(buf, std::min<size_t>(static_cast<size_t>(r), sizeof buf)) : "";
  return result("keyctl-read", r, "key " + serial + (r > 0 ? " data=" + got : ""));
}

int add_key() {
  long r = syscall(SYS_add_key, "user", "zjail-probe", "x", 1, KEY_SPEC_PROCESS_KEYRING);
  return result("add_key", r, "user:zjail-probe in the process keyring");
}

int do_bpf() {
  bpf_attr a{};
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  return result("bpf", syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a), "BPF_MAP_CREATE array");
}

int do_perf() {
  perf_event_attr a{};
  a.type = PERF_TYPE_SOFTWARE;
  a.size = sizeof a;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  long r = syscall(SYS_perf_event_open, &a, 0, -1, -1, 0);
  return result("perf_event_open", r, "software task-clock, self, user only");
}

int do_io_uring() {
  unsigned char params[120] = {};  // struct io_uring_params
  return result("io_uring_setup", syscall(SYS_io_uring_setup, 4, params), "4 entries");
}

int do_userfaultfd() {
  long r = syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY);
  return result("userfaultfd", r, "UFFD_USER_MODE_ONLY");
}

int do_open_by_handle() {
  struct {
    file_handle fh;
    unsigned char data[MAX_HANDLE_SZ];
  } h{};
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  std::string how = "handle of /";
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0) {
    // The classic "shocker" handle: inode 2 of an ext4 file system.
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1;
    std::memset(h.data, 0, 8);
    h.data[0] = 2;
    how = "forged handle (name_to_handle_at: " + ename(errno) + ")";
  }
  int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd < 0) return error("open_by_handle_at", errno, "open /");
  return result("open_by_handle_at", open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC), how);
}

int do_x32() {
  return in_child("x32", [] {
    long r = syscall(0x40000000L | __NR_getpid);
    return result("x32", r, "getpid via the x32 ABI"), 0;
  });
}

int do_int80() {
  return in_child("int80", [] {
    long ret = 20;  // __NR_getpid on i386
    asm volatile("int $0x80" : "+a"(ret) : : "memory", "r8", "r9", "r10", "r11");
    if (ret < 0 && ret > -4096) {
      errno = static_cast<int>(-ret);
      ret = -1;
    }
    return result("int80", ret, "i386 getpid via int $0x80"), 0;
  });
}

// Opens a fresh pty pair and makes the slave the controlling terminal of a
// new session, so that TIOCSTI's own rules (ctty or CAP_SYS_ADMIN) allow it
// and only a filter can stop it.
int with_own_tty(const std::string& name, const std::function<long(int)>& op, const std::string& what) {
  return in_child(name, [&]() -> int {
    if (setsid() < 0) return error(name, errno, "setsid"), 0;
    int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (m < 0) return error(name, errno, "posix_openpt"), 0;
    if (grantpt(m) < 0 || unlockpt(m) < 0) return error(name, errno, "unlockpt"), 0;
    const char* sn = ptsname(m);
    int s = sn ? open(sn, O_RDWR | O_CLOEXEC) : -1;  // no O_NOCTTY: becomes the ctty
    if (s < 0) return error(name, errno, std::string("open ") + (sn ? sn : "?")), 0;
    return result(name, op(s), what), 0;
  });
}

int do_tiocsti(bool high) {
  std::string name = high ? "tiocsti-high" : "tiocsti";
  return with_own_tty(name, [high](int fd) -> long {
    char c = 'x';
    unsigned long req = TIOCSTI | (high ? 1UL << 32 : 0);
    return syscall(SYS_ioctl, fd, req, &c);
  }, high ? "ioctl(TIOCSTI | 1<<32)" : "ioctl(TIOCSTI)");
}

// The classic escape (CVE-2017-5226): push "id\n" into the terminal the
// jail was started from, to be run by the caller's shell after exit.
int tiocsti_stdin() {
  long r = 0;
  for (char c : std::string("id\n"))
    if ((r = syscall(SYS_ioctl, 0, TIOCSTI, &c)) < 0) break;
  return result("tiocsti-stdin", r, "ioctl(0, TIOCSTI)");
}

int do_tioclinux(bool high) {
  std::string name = high ? "tioclinux-high" : "tioclinux";
  return with_own_tty(name, [high](int fd) -> long {
    char sub = 6;  // TIOCL_GETSHIFTSTATE: harmless, answered only by a VT
    unsigned long req = TIOCLINUX | (high ? 1UL << 32 : 0);
    return syscall(SYS_ioctl, fd, req, &sub);
  }, high ? "ioctl(TIOCLINUX | 1<<32)" : "ioctl(TIOCLINUX)");
}

int open_write(const std::string& name, const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC);  // never written
  if (fd >= 0) close(fd);
  return result(name, fd, "open O_WRONLY " + path);
}

int write_file(const std::string& name, const std::string& path, int flags) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | flags, 0666);
  if (fd < 0) return fail(name, errno, "open " + path);
  ssize_t n = write(fd, "zjail-probe\n", 12);
  int e = errno;
  close(fd);
  errno = e;
  return result(name, n, "write " + path);
}

// Binding a privileged port on loopback: needs CAP_NET_BIND_SERVICE.
int bind_port(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return error("bind-port", errno, "socket");
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(static_cast<uint16_t>(port));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  int r = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  int e = errno;
  close(s);
  errno = e;
  return result("bind-port", r, "127.0.0.1:" + std::to_string(port));
}

int do_sethostname() {
  utsname u{};
  uname(&u);  // set the name it already has: harmless even unjailed
  return result("sethostname", sethostname(u.nodename, std::strlen(u.nodename)), u.nodename);
}

int do_mknod() {
  std::string path = "/tmp/zjail-probe-null-" + std::to_string(getpid());
  int r = mknod(path.c_str(), S_IFCHR | 0600, makedev(1, 3));
  int e = errno;
  if (r == 0) unlink(path.c_str());
  errno = e;
  return result("mknod", r, "char 1:3 at " + path);
}

int do_chroot() {
  return in_child("chroot", [] { return result("chroot", chroot("/tmp"), "/tmp"), 0; });
}

int do_fsopen() {
  return result("fsopen", syscall(SYS_fsopen, "tmpfs", 0), "tmpfs");
}

int do_open_tree() {
  return result("open_tree", syscall(SYS_open_tree, AT_FDCWD, "/", 1 /* OPEN_TREE_CLONE */), "clone of /");
}

}  // namespace

int run_attack(const std::string& n, int argc, char** argv) {
  std::string a1 = argc > 2 ? argv[2] : "";
  std::string a2 = argc > 3 ? argv[3] : "";
  bool has1 = argc > 2;
  if (n == "mount") return do_mount();
  if (n == "umount" && has1) return result("umount", umount2(a1.c_str(), MNT_DETACH), a1);
  if (n == "pivot_root") return pivot(has1 ? a1.c_str() : "/", argc > 3 ? a2.c_str() : "/");
  if (n == "fsopen") return do_fsopen();
  if (n == "open_tree") return do_open_tree();
  if (n == "unshare" && has1) return do_unshare(a1);
  if (n == "clone-ns") return clone_ns(false);
  if (n == "clone3-ns") return clone_ns(true);
  if (n == "setns-path" && has1) return setns_path(a1);
  if (n == "setns-pidfd" && has1) return setns_pidfd(a1);
  if (n == "ptrace-init") return ptrace_pid("ptrace-init", 1);
  if (n == "ptrace" && has1) return ptrace_pid("ptrace", static_cast<pid_t>(std::atoi(a1.c_str())));
  if (n == "ptrace-child") return ptrace_child();
  if (n == "ptrace-traceme")
    return in_child("ptrace-traceme", [] {
      return result("ptrace-traceme", ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), "PTRACE_TRACEME"), 0;
    });
  if (n == "keyctl-read" && has1) return keyctl_read(a1);
  if (n == "add_key") return add_key();
  if (n == "bpf") return do_bpf();
  if (n == "perf_event_open") return do_perf();
  if (n == "io_uring_setup") return do_io_uring();
  if (n == "userfaultfd") return do_userfaultfd();
  if (n == "open_by_handle_at") return do_open_by_handle();
  if (n == "x32") return do_x32();
  if (n == "int80") return do_int80();
  if (n == "tiocsti") return do_tiocsti(false);
  if (n == "tiocsti-high") return do_tiocsti(true);
  if (n == "tiocsti-stdin") return tiocsti_stdin();
  if (n == "tioclinux") return do_tioclinux(false);
  if (n == "tioclinux-high") return do_tioclinux(true);
  if (n == "core_pattern") return open_write("core_pattern", "/proc/sys/kernel/core_pattern");
  if (n == "sysrq") return open_write("sysrq", "/proc/sysrq-trigger");
  if (n == "open-write" && has1) return open_write("open-write", a1);
  if (n == "write" && has1) return write_file("write", a1, O_TRUNC);
  if (n == "create" && has1) return write_file("create", a1, O_CREAT | O_EXCL);
  if (n == "sethostname") return do_sethostname();
  if (n == "mknod") return do_mknod();
  if (n == "chroot") return do_chroot();
  if (n == "bind-port" && has1) return bind_port(std::atoi(a1.c_str()));
  if (n == "kill-all") return result("kill-all", kill(-1, 0), "kill(-1, 0)");
  return -1;
}

}  // namespace zjail_probe
