// zjail_probe: runs INSIDE a jail (or, to prove the probes are real, outside
// one) and performs exactly one check or attack.
//
//   zjail_probe NAME [ARGS]
//
// Attack probes print one line about the operation they attempted:
//   PASS <name> [detail]                 the operation succeeded (escape!)
//   FAIL <name> errno=<ENAME> <detail>   the operation failed with that errno
//   FAIL <name> signal=<SIGNAME> <detail>  a child doing it was killed
//   ERROR <name> errno=<ENAME> <detail>  set-up failed before the attempt
// The harness decides which errno means "blocked" and asserts it exactly.
// Info probes print facts, one per line. Every probe exits 0 unless it
// says otherwise (exit, kill-self, sigterm-wait); 2 means bad usage.
//
// Probes that would damage the host when run unjailed as root are written
// to be harmless: pivot_root targets "/" (EBUSY once permitted), sethostname
// sets the current name, mount uses a fresh directory and unmounts it,
// core_pattern and sysrq-trigger are only opened, never written.
#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/keyctl.h>
#include <linux/perf_event.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

extern char** environ;

namespace {

std::string ename(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : std::to_string(e);
}

std::string signame(int s) {
  const char* n = sigabbrev_np(s);
  return n ? std::string("SIG") + n : std::to_string(s);
}

void out(const std::string& line) {
  std::fputs((line + "\n").c_str(), stdout);
  std::fflush(stdout);
}

int pass(const std::string& name, const std::string& detail = "") {
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

// Reports a syscall-style result: r >= 0 is success, otherwise errno.
int result(const std::string& name, long r, const std::string& detail) {
  return r >= 0 ? pass(name, detail) : fail(name, errno, detail);
}

void sleep_ms(int ms) {
  timespec ts{ms / 1000, (ms % 1000) * 1000000L};
  while (nanosleep(&ts, &ts) < 0 && errno == EINTR) {}
}

// Runs `fn` in a forked child and relays its line; a child killed by a
// signal (SIGSYS from a seccomp kill action) is reported as such.
int in_child(const std::string& name, const std::function<int()>& fn) {
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid < 0) return error(name, errno, "fork");
  if (pid == 0) _exit(fn());
  int st = 0;
  while (waitpid(pid, &st, 0) < 0 && errno == EINTR) {}
  if (WIFSIGNALED(st)) out("FAIL " + name + " signal=" + signame(WTERMSIG(st)) + " child killed");
  return 0;
}

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

int touch(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return fail("touch", errno, path);
  (void)!write(fd, "ran\n", 4);
  close(fd);
  return pass("touch", path);
}

// --- attack probes -----------------------------------------------------------

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
  std::string name = v3 ? "clone3" : "clone";
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

int usage() {
  std::fputs("usage: zjail_probe NAME [ARGS] (see tests/root/probe.cpp)\n", stderr);
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage();
  std::string n = argv[1];
  std::string a1 = argc > 2 ? argv[2] : "";
  std::string a2 = argc > 3 ? argv[3] : "";
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
  if (n == "touch" && has1) return touch(a1);
  // Attacks.
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
  if (n == "kill-all") return result("kill-all", kill(-1, 0), "kill(-1, 0)");
  return usage();
}
