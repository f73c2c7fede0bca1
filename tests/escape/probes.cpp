// The escape probes. Each one really attempts its escape, once, and never
// does damage when it succeeds: files are opened but not written, what is
// mounted is unmounted, nodes are unlinked, traced processes detached. That
// is what makes the unjailed baselines (catalog.cpp) safe to run as root.
#include "probes.hpp"
#include "probe_outcomes.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/bpf.h>
#include <linux/capability.h>
#include <linux/keyctl.h>
#include <linux/mount.h>
#include <linux/perf_event.h>
#include <linux/reboot.h>
#include <linux/sched.h>
#include <linux/userfaultfd.h>
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/shm.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <vector>

#include "host_kernel.hpp"
#include "test_io.hpp"

namespace zjail_escape {

std::string errno_name(int e) {
  const char* n = strerrorname_np(e);
  return n ? n : "errno" + std::to_string(e);
}

std::string signal_name(int s) {
  const char* n = sigabbrev_np(s);
  return n ? std::string("SIG") + n : "signal" + std::to_string(s);
}

namespace {

// Several attempts at one escape: any success is the escape; otherwise the
// distinct errnos, sorted and comma-joined, are the outcome. ENOENT only
// counts when nothing else was met: which of the candidate files exist
// depends on the host (cgroup v1 or v2, kernel config), what stops the
// writes to those that do is the point.
struct Attempts {
  std::map<std::string, std::string> errs;  // errno name -> first path
  std::string success;
  void add(long r, const std::string& what) {
    if (r >= 0 && success.empty()) success = what;
    if (r < 0) errs.emplace(errno_name(errno), what);
  }
  Outcome outcome(const std::string& none_msg) const {
    if (!success.empty()) return escaped(success);
    if (errs.empty()) return setup_error(ENOENT, none_msg);
    std::string tok, det;
    for (const auto& [e, w] : errs) {
      if (e == "ENOENT" && errs.size() > 1) continue;
      tok += (tok.empty() ? "" : ",") + e;
      det += (det.empty() ? "" : "; ") + w + ": " + e;
    }
    return {Outcome::Blocked, "errno", tok, det};
  }
};

long open_write_only(const std::string& path) {
  int fd = open(path.c_str(), O_WRONLY | O_CLOEXEC | O_NOCTTY);  // never written
  if (fd >= 0) close(fd);
  return fd;
}

std::string temp_dir(const char* tag) {
  std::string t = std::string("/tmp/zjail-escape-") + tag + "-XXXXXX";
  return mkdtemp(t.data()) ? t : "";
}

std::vector<std::string> list_dir(const std::string& path) {
  std::vector<std::string> out;
  if (DIR* d = opendir(path.c_str())) {
    while (dirent* e = readdir(d))
      if (e->d_name[0] != '.') out.emplace_back(e->d_name);
    closedir(d);
  }
  return out;
}

bool numeric(const std::string& s) { return !s.empty() && s.find_first_not_of("0123456789") == std::string::npos; }

// --- launcher ---------------------------------------------------------------------------

Outcome exe_all() {
  Attempts a;
  for (const auto& pid : list_dir("/proc")) {
    if (!numeric(pid)) continue;
    std::string exe = "/proc/" + pid + "/exe";
    a.add(open_write_only(exe), exe);
    // The runc variant: an O_PATH fd to the binary, reopened for writing
    // through /proc/self/fd once the launcher has gone.
    int p = open(exe.c_str(), O_PATH | O_CLOEXEC);
    if (p >= 0) {
      std::string via = "/proc/self/fd/" + std::to_string(p);
      a.add(open_write_only(via), via + " (O_PATH of " + exe + ")");
      close(p);
    }
  }
  return a.outcome("no /proc/PID/exe visible");
}

// --- fds and cwd ------------------------------------------------------------------------

struct Id {
  dev_t dev;
  ino_t ino;
  bool operator==(const Id& o) const { return dev == o.dev && ino == o.ino; }
};

bool id_of(int fd, Id& id) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return false;
  id = {st.st_dev, st.st_ino};
  return true;
}

// Climbs from a directory fd with "..": a jailed directory reaches the
// jail's "/"; one that stops at a different top (".." of itself) lies outside.
bool climbs_outside(int dirfd, std::string& why) {
  int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  Id rid{};
  if (root < 0 || !id_of(root, rid)) {
    why = "cannot stat /";
    if (root >= 0) close(root);
    return true;
  }
  close(root);
  int cur = openat(dirfd, ".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  for (int i = 0; cur >= 0 && i < 4096; ++i) {
    Id c{}, p{};
    if (!id_of(cur, c)) break;
    if (c == rid) {
      close(cur);
      return false;
    }
    int parent = openat(cur, "..", O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (parent < 0 || !id_of(parent, p)) break;
    close(cur);
    cur = parent;
    if (p == c) {
      why = "reached a top that is not the jail's /";
      close(cur);
      return true;
    }
  }
  if (cur >= 0) close(cur);
  why = "could not climb to /";
  return true;
}

std::string fd_target(int fd) {
  char buf[4096];
  std::string p = "/proc/self/fd/" + std::to_string(fd);
  ssize_t n = readlink(p.c_str(), buf, sizeof buf - 1);
  return n < 0 ? "?" : std::string(buf, static_cast<size_t>(n));
}

Outcome fd_leak(const Options& opt) {
  // A profile's ListenStream= sockets (or systemd's) come as fds 3.. with
  // LISTEN_FDS (sd_listen_fds(3)): those are meant, if they are sockets.
  const char* env = getenv("LISTEN_FDS");
  int listen = env ? std::atoi(env) : 0;
  std::string leaks;
  for (int fd : opt.inherited_fds) {
    struct stat st{};
    if (fstat(fd, &st) < 0) continue;
    std::string why;
    if (S_ISDIR(st.st_mode) && climbs_outside(fd, why))
      leaks += " fd " + std::to_string(fd) + " -> " + fd_target(fd) + " (" + why + ")";
    else if (fd > 2 && !(fd < 3 + listen && S_ISSOCK(st.st_mode)))
      leaks += " fd " + std::to_string(fd) + " -> " + fd_target(fd);
  }
  if (!leaks.empty()) return escaped("inherited:" + leaks);
  std::string seen;
  for (int fd : opt.inherited_fds) seen += " " + std::to_string(fd) + "->" + fd_target(fd);
  return checked(listen > 0 ? "fds-0-2-listen" : "fds-0-2-only", "inherited:" + seen);
}

Outcome cwd_outside() {
  char buf[4096];
  const char* cwd = getcwd(buf, sizeof buf);
  if (!cwd) return escaped(std::string("getcwd: ") + errno_name(errno) + " (cwd unreachable from /)");
  if (cwd[0] != '/') return escaped(std::string("getcwd: ") + cwd);
  int here = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (here < 0) return setup_error(errno, "open .");
  std::string why;
  bool out = climbs_outside(here, why);
  close(here);
  if (out) return escaped(std::string(cwd) + ": " + why);
  return checked("cwd-inside-root", cwd);
}

// --- terminal -------------------------------------------------------------------------------

}  // namespace

// A fresh pty whose slave becomes the controlling terminal of a new session,
// so that the tty layer itself permits TIOCSTI and only a filter can stop it.
// Where setsid is denied too (untrusted's allow list) the pty is not our
// controlling terminal and the tty layer refuses TIOCSTI as well; the detail
// says so.
Outcome on_own_tty(const std::function<long(int)>& op, std::string what) {
  if (setsid() < 0) what += " (setsid: " + errno_name(errno) + ", so not our controlling terminal)";
  int m = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (m < 0) return setup_error(errno, "posix_openpt");
  if (grantpt(m) < 0 || unlockpt(m) < 0) return setup_error(errno, "unlockpt");
  const char* sn = ptsname(m);
  int s = sn ? open(sn, O_RDWR | O_CLOEXEC) : -1;  // no O_NOCTTY: becomes the ctty
  if (s < 0) return setup_error(errno, std::string("open ") + (sn ? sn : "pty slave"));
  return sys(op(s), what);
}

namespace {

Outcome tiocsti(bool high) {
  return on_own_tty([high](int fd) -> long {
    char c = '#';
    return syscall(SYS_ioctl, fd, TIOCSTI | (high ? 1UL << 32 : 0), &c);
  }, high ? "ioctl(pty, TIOCSTI | 1<<32)" : "ioctl(pty, TIOCSTI)");
}

Outcome tioclinux(bool high) {
  return on_own_tty([high](int fd) -> long {
    char sub = 6;  // TIOCL_GETSHIFTSTATE: harmless
    return syscall(SYS_ioctl, fd, TIOCLINUX | (high ? 1UL << 32 : 0), &sub);
  }, high ? "ioctl(pty, TIOCLINUX | 1<<32)" : "ioctl(pty, TIOCLINUX)");
}

// CVE-2017-5226: queue "id\n" for the caller's shell to run after the jail exits.
Outcome tiocsti_caller() {
  if (!isatty(0)) return skipped("stdin is not a terminal");
  long r = 0;
  for (char c : std::string("id\n"))
    if ((r = syscall(SYS_ioctl, 0, TIOCSTI, &c)) < 0) break;
  int e = errno;
  // Whether fd 0 is our controlling terminal (--keep-tty): then the tty
  // layer would allow TIOCSTI, and only the filter is left to refuse it.
  pid_t sid = 0;
  bool ctty = ioctl(0, TIOCGSID, &sid) == 0 && sid == getsid(0);
  errno = e;
  return sys(r, "ioctl(0, TIOCSTI) on " + fd_target(0) + (ctty ? " ctty=yes" : " ctty=no"));
}

// --- chroot -----------------------------------------------------------------------------------

// A seccomp filter is on: we are in a jail (the battery's own test, too).
bool under_seccomp() {
  std::ifstream f("/proc/self/status");
  std::string l;
  while (std::getline(f, l))
    if (l.rfind("Seccomp:", 0) == 0) return l.find_first_of("12") != std::string::npos;
  return false;
}

Outcome chroot_double() {
  std::string dir = temp_dir("chroot");
  if (dir.empty()) return setup_error(errno, "mkdtemp in /tmp");
  struct stat inner{}, top{};
  stat(dir.c_str(), &inner);
  stat("/", &top);  // the jail's root: what the climb must not get past
  if (chroot(dir.c_str()) < 0) {
    int e = errno;
    rmdir(dir.c_str());
    return blocked(e, "chroot " + dir);
  }
  for (int i = 0; i < 64; ++i) (void)!chdir("..");
  long r = chroot(".");
  struct stat now{};
  stat("/", &now);
  rmdir(dir.c_str());  // resolves from the escaped root, if the escape worked
  if (r < 0) return blocked(errno, "second chroot(.)");
  if (now.st_dev == inner.st_dev && now.st_ino == inner.st_ino) return checked("stayed-inside", "chroot held");
  // Only a profile that may chroot gets this far in a jail: out of its own
  // chroot, but no higher than the jail's root. Unjailed (the baseline),
  // back at "/" is the classic escape.
  if (under_seccomp() && now.st_dev == top.st_dev && now.st_ino == top.st_ino)
    return checked("jail-root-held", "out of the chroot " + dir + ", at the jail's / again");
  return escaped("out of the chroot " + dir);
}

// --- file systems and kernel interfaces ---------------------------------------------------

Outcome open_by_handle() {
  struct {
    file_handle fh;
    unsigned char data[MAX_HANDLE_SZ];
  } h{};
  h.fh.handle_bytes = MAX_HANDLE_SZ;
  int mount_id;
  std::string how = "handle of /";
  if (name_to_handle_at(AT_FDCWD, "/", &h.fh, &mount_id, 0) < 0) {
    // The "shocker" handle: inode 2, the root of an ext4 file system.
    h.fh.handle_bytes = 8;
    h.fh.handle_type = 1;
    std::memset(h.data, 0, 8);
    h.data[0] = 2;
    how = "forged inode-2 handle (name_to_handle_at: " + errno_name(errno) + ")";
  }
  int mfd = open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (mfd < 0) return setup_error(errno, "open /");
  return sys(open_by_handle_at(mfd, &h.fh, O_RDONLY | O_CLOEXEC), how);
}

Outcome sys_write() {
  const char* files[] = {"/sys/kernel/uevent_helper", "/sys/power/state", "/sys/kernel/mm/transparent_hugepage/enabled",
                         "/sys/fs/cgroup/cgroup.procs"};
  for (const char* f : files) {
    long r = open_write_only(f);
    if (r >= 0) return escaped(std::string("opened ") + f + " for writing");
    if (errno != ENOENT) return blocked(errno, f);
  }
  return blocked(ENOENT, "none of /sys/kernel/uevent_helper, /sys/power/state, ... exists");
}

Outcome mount_fs(const char* type, const char* data, const char* tag) {
  std::string dir = temp_dir(tag);
  if (dir.empty()) return setup_error(errno, "mkdtemp in /tmp");
  long r = mount(tag, dir.c_str(), type, MS_NOSUID | MS_NODEV | MS_NOEXEC, data);
  int e = errno;
  if (r == 0) umount2(dir.c_str(), MNT_DETACH);
  rmdir(dir.c_str());
  errno = e;
  return sys(r, std::string(type) + (data ? std::string(" -o ") + data : "") + " on " + dir);
}

// (controller, path) pairs of /proc/self/cgroup.
std::vector<std::pair<std::string, std::string>> own_cgroups() {
  std::vector<std::pair<std::string, std::string>> out;
  std::ifstream f("/proc/self/cgroup");
  std::string l;
  while (std::getline(f, l)) {
    size_t a = l.find(':'), b = l.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string ctrl = l.substr(a + 1, b - a - 1);
    if (ctrl.rfind("name=", 0) == 0) ctrl = ctrl.substr(5);
    out.emplace_back(ctrl, l.substr(b + 1));
  }
  return out;
}

std::string cgroup_dir(const std::string& ctrl, const std::string& path) {
  std::string d = "/sys/fs/cgroup" + (ctrl.empty() ? "" : "/" + ctrl.substr(0, ctrl.find(',')));
  return path == "/" ? d : d + path;
}

Outcome cgroup_release_agent() {
  Attempts a;
  a.add(open_write_only("/sys/fs/cgroup/release_agent"), "/sys/fs/cgroup/release_agent");
  for (const auto& c : list_dir("/sys/fs/cgroup")) {
    std::string p = "/sys/fs/cgroup/" + c + "/release_agent";
    long r = open_write_only(p);
    if (r >= 0 || errno != ENOENT) a.add(r, p);
  }
  return a.outcome("");
}

Outcome cgroup_files(bool ancestor) {
  auto cgs = own_cgroups();
  if (cgs.empty()) return setup_error(errno ? errno : ENOENT, "read /proc/self/cgroup");
  Attempts a;
  for (const auto& [ctrl, path] : cgs) {
    std::string d = cgroup_dir(ctrl, path);
    std::vector<std::string> files;
    if (ancestor) files = {d + "/../cgroup.procs", cgroup_dir(ctrl, "/") + "/cgroup.procs"};
    else files = {d + "/memory.max", d + "/pids.max", d + "/memory.limit_in_bytes", d + "/cpu.cfs_quota_us"};
    for (const auto& f : files) a.add(open_write_only(f), f);
  }
  return a.outcome("");
}

// --- namespaces and mounts -------------------------------------------------------------

Outcome clone_ns(bool v3) {
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
  if (pid < 0) return blocked(errno, "CLONE_NEWUSER|CLONE_NEWNS");
  waitpid(static_cast<pid_t>(pid), nullptr, 0);
  return escaped("child in a new user and mount namespace");
}

Outcome setns_path(const std::string& ns) {
  std::string path = "/proc/1/ns/" + ns;
  int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return blocked(errno, "open " + path);
  return sys(setns(fd, 0), "setns " + path);
}

Outcome setns_pidfd() {
  int fd = static_cast<int>(syscall(SYS_pidfd_open, 1, 0));
  if (fd < 0) return blocked(errno, "pidfd_open(1)");
  return sys(setns(fd, CLONE_NEWNS | CLONE_NEWUSER), "setns(pidfd 1, NEWNS|NEWUSER)");
}

Outcome move_mount_probe() {
  std::string dir = temp_dir("move");
  if (dir.empty()) return setup_error(errno, "mkdtemp in /tmp");
  long r = syscall(SYS_move_mount, AT_FDCWD, "/usr", AT_FDCWD, dir.c_str(), 0);
  int e = errno;
  rmdir(dir.c_str());
  errno = e;
  return sys(r, "/usr -> " + dir);
}

Outcome mount_setattr_rw() {
  mount_attr a{};
  a.attr_clr = MOUNT_ATTR_RDONLY;
  return sys(syscall(SYS_mount_setattr, AT_FDCWD, "/", 0, &a, sizeof a), "clear MOUNT_ATTR_RDONLY on /");
}

// --- keyring --------------------------------------------------------------------------------

Outcome key_read(long key) {
  char buf[256] = {};
  long r = syscall(SYS_keyctl, KEYCTL_READ, key, buf, sizeof buf - 1, 0);
  if (r >= 0) return escaped("key " + std::to_string(key) + " data=" + std::string(buf, static_cast<size_t>(std::min(r, 255L))));
  return blocked(errno, "KEYCTL_READ " + std::to_string(key));
}

// --- processes ---------------------------------------------------------------------------------

Outcome ptrace_pid(long pid) {
  long r = ptrace(PTRACE_ATTACH, static_cast<pid_t>(pid), nullptr, nullptr);
  if (r == 0) {
    waitpid(static_cast<pid_t>(pid), nullptr, __WALL);
    ptrace(PTRACE_DETACH, static_cast<pid_t>(pid), nullptr, nullptr);
  }
  return sys(r, "PTRACE_ATTACH " + std::to_string(pid));
}

Outcome ptrace_child() {
  pid_t c = fork();
  if (c < 0) return setup_error(errno, "fork");
  if (c == 0) {
    for (;;) pause();
  }
  Outcome o = ptrace_pid(c);
  kill(c, SIGKILL);
  waitpid(c, nullptr, 0);
  return o;
}

Outcome pidfd_getfd_init() {
  int pidfd = static_cast<int>(syscall(SYS_pidfd_open, 1, 0));
  if (pidfd < 0) return blocked(errno, "pidfd_open(1)");
  Attempts a;
  for (int fd = 0; fd < 64; ++fd) {
    long r = syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (r >= 0) close(static_cast<int>(r));
    if (r >= 0 || errno != EBADF) a.add(r, "fd " + std::to_string(fd) + " of pid 1");
  }
  close(pidfd);
  return a.outcome("pid 1 has no fds below 64");
}

Outcome process_vm_init() {
  // An address every process maps: the vDSO is not at a fixed place, but
  // the first page of any text is; the permission check comes first anyway.
  char buf[16];
  iovec local{buf, sizeof buf}, remote{reinterpret_cast<void*>(0x400000), sizeof buf};
  return sys(syscall(SYS_process_vm_readv, 1, &local, 1, &remote, 1, 0), "process_vm_readv(pid 1)");
}

// --- kernel surface ----------------------------------------------------------------------------

Outcome bpf_probe() {
  bpf_attr a{};
  a.map_type = BPF_MAP_TYPE_ARRAY;
  a.key_size = 4;
  a.value_size = 4;
  a.max_entries = 1;
  return sys(syscall(SYS_bpf, BPF_MAP_CREATE, &a, sizeof a), "BPF_MAP_CREATE array");
}

Outcome perf_probe() {
  perf_event_attr a{};
  a.type = PERF_TYPE_SOFTWARE;
  a.size = sizeof a;
  a.config = PERF_COUNT_SW_TASK_CLOCK;
  a.disabled = 1;
  a.exclude_kernel = 1;
  a.exclude_hv = 1;
  return sys(syscall(SYS_perf_event_open, &a, 0, -1, -1, 0), "software task-clock, self");
}

Outcome x32() {
  return sys(syscall(0x40000000L | __NR_getpid), "getpid via the x32 ABI");
}

// Where the kernel closes the i386 entry this faults (SIGSEGV): battery.cpp
// counts that as blocked only when the host said so (--kernel-closed int80).
Outcome int80() {
  long ret = zjail_host::i386_getpid();
  if (ret < 0 && ret > -4096) {
    errno = static_cast<int>(-ret);
    ret = -1;
  }
  return sys(ret, "i386 getpid via int $0x80");
}

// --- terminals ---------------------------------------------------------------------------

Outcome devpts_host() {
  DIR* d = opendir("/dev/pts");
  if (!d) return blocked(errno, "opendir /dev/pts");
  std::string foreign, seen;
  while (dirent* e = readdir(d)) {
    std::string n = e->d_name;
    if (n == "." || n == ".." || n == "ptmx") continue;
    struct stat st{};
    if (fstatat(dirfd(d), n.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    seen += " " + n + "(uid " + std::to_string(st.st_uid) + ")";
    if (st.st_uid != getuid()) foreign += " " + n;
  }
  closedir(d);
  if (!foreign.empty()) return escaped("terminals not ours in /dev/pts:" + foreign);
  return checked("devpts-own-only", seen.empty() ? "only ptmx" : "ours:" + seen);
}

// --- privilege gain ------------------------------------------------------------------------

// Runs `path id` (the battery's own "id" subcommand) and compares what the
// exec'd program holds with what we hold.
Outcome exec_privileged(const std::string& path) {
  int p[2];
  if (pipe2(p, O_CLOEXEC) < 0) return setup_error(errno, "pipe");
  pid_t c = fork();
  if (c < 0) return setup_error(errno, "fork");
  if (c == 0) {
    dup2(p[1], 1);
    char* argv[] = {const_cast<char*>(path.c_str()), const_cast<char*>("id"), nullptr};
    execv(path.c_str(), argv);
    std::string e = "exec-failed " + errno_name(errno) + "\n";
    (void)!write(1, e.data(), e.size());
    _exit(127);
  }
  close(p[1]);
  std::string got = zjail_test_io::read_to_eof(p[0]);
  waitpid(c, nullptr, 0);
  while (!got.empty() && got.back() == '\n') got.pop_back();
  if (got.rfind("exec-failed", 0) == 0) return setup_error(0, path + ": " + got);
  std::string mine = "euid=" + std::to_string(geteuid()) + " capeff=0000000000000000";
  if (got == mine) return checked("no-gain", path + ": " + got);
  return escaped(path + ": " + got + " (ours: " + mine + ")");
}

Outcome capset_raise() {
  __user_cap_header_struct h{_LINUX_CAPABILITY_VERSION_3, 0};
  __user_cap_data_struct d[2] = {};
  if (syscall(SYS_capget, &h, d) < 0) return setup_error(errno, "capget");
  d[0].effective |= 1U << CAP_SYS_ADMIN;
  d[0].permitted |= 1U << CAP_SYS_ADMIN;
  return sys(syscall(SYS_capset, &h, d), "raise CAP_SYS_ADMIN");
}

// --- devices -----------------------------------------------------------------------------------

Outcome mknod_probe(mode_t type, unsigned maj, unsigned min) {
  std::string path = "/tmp/zjail-escape-node-" + std::to_string(getpid());
  long r = mknod(path.c_str(), type | 0600, makedev(maj, min));
  int e = errno;
  if (r == 0) unlink(path.c_str());
  errno = e;
  return sys(r, std::string(type == S_IFCHR ? "c " : "b ") + std::to_string(maj) + ":" + std::to_string(min) + " at " + path);
}

Outcome raw_block(const std::string& dev) {
  int fd = open(dev.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return blocked(errno, "open " + dev);
  char buf[512];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return escaped("read " + std::to_string(n) + " bytes from " + dev);
}

// --- sockets ----------------------------------------------------------------------------------

// A host process hands over a directory fd (SCM_RIGHTS) of a directory no
// jail shows, holding a world-readable file: read it beneath the fd. No
// mount namespace stops an fd that comes from outside.
Outcome passed_dirfd(const std::string& path) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return blocked(errno, "socket(AF_UNIX)");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  if (path.size() >= sizeof a.sun_path) return setup_error(ENAMETOOLONG, path);
  std::memcpy(a.sun_path, path.data(), path.size());
  if (connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a) < 0) {
    int e = errno;
    close(s);
    return setup_error(e, "connect " + path);
  }
  int dir = zjail_test_io::recv_fd(s);
  int e = errno;
  close(s);
  if (dir < 0) return setup_error(e, "receiving the fd");
  int fd = openat(dir, "zjail-escape-secret", O_RDONLY | O_CLOEXEC);
  e = errno;
  close(dir);
  if (fd < 0) return blocked(e, "openat(the passed fd, zjail-escape-secret)");
  char buf[16];
  ssize_t n = read(fd, buf, sizeof buf);
  close(fd);
  return escaped("read " + std::to_string(n) + " bytes of a host file through the passed fd");
}

Outcome unix_connect(const std::string& path, bool abstract) {
  int s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return blocked(errno, "socket(AF_UNIX)");
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  size_t off = abstract ? 1 : 0;
  if (path.size() + off >= sizeof a.sun_path) return setup_error(ENAMETOOLONG, path);
  std::memcpy(a.sun_path + off, path.data(), path.size());
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + path.size() + (abstract ? 0 : 1));
  long r = connect(s, reinterpret_cast<sockaddr*>(&a), len);
  zjail_test_io::close_keeping_errno(s);
  return sys(r, std::string("connect ") + (abstract ? "@" : "") + path);
}

Outcome tcp_connect(int port) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (s < 0) return blocked(errno, "socket(AF_INET)");
  sockaddr_in a = zjail_test_io::loopback(port);
  long r = connect(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  zjail_test_io::close_keeping_errno(s);
  return sys(r, "connect 127.0.0.1:" + std::to_string(port));
}

Outcome vsock_listen(bool high) {
  unsigned long family = AF_VSOCK | (high ? 1UL << 32 : 0);
  int s = static_cast<int>(syscall(SYS_socket, family, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (s < 0) return blocked(errno, high ? "socket(AF_VSOCK | 1<<32)" : "socket(AF_VSOCK)");
  sockaddr_vm a{};
  a.svm_family = AF_VSOCK;
  a.svm_cid = VMADDR_CID_ANY;
  a.svm_port = VMADDR_PORT_ANY;
  long r = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a);
  if (r == 0) r = listen(s, 1);
  int e = errno;
  socklen_t len = sizeof a;
  getsockname(s, reinterpret_cast<sockaddr*>(&a), &len);
  close(s);
  errno = e;
  return sys(r, "listen on vsock port " + std::to_string(a.svm_port));
}

Outcome read_host_file(const std::string& path) {
  std::ifstream f(path);
  if (!f) return blocked(errno, "open " + path);
  std::string l;
  std::getline(f, l);
  return escaped(path + ": " + l);
}

Outcome shm_host(long key) {
  int id = shmget(static_cast<key_t>(key), 0, 0);
  if (id < 0) return blocked(errno, "shmget key " + std::to_string(key));
  void* p = shmat(id, nullptr, SHM_RDONLY);
  if (p == reinterpret_cast<void*>(-1)) return blocked(errno, "shmat");
  std::string data(static_cast<const char*>(p), strnlen(static_cast<const char*>(p), 64));
  shmdt(p);
  return escaped("attached host segment: " + data);
}

// --- visibility --------------------------------------------------------------------------

Outcome interfaces() {
  std::ifstream f("/proc/self/net/dev");
  if (!f) return blocked(errno, "open /proc/self/net/dev");
  std::string l, names;
  int n = 0;
  for (int i = 0; std::getline(f, l); ++i) {
    if (i < 2) continue;  // two header lines
    size_t colon = l.find(':');
    if (colon == std::string::npos) continue;
    std::string name = l.substr(0, colon);
    name.erase(0, name.find_first_not_of(' '));
    names += (names.empty() ? "" : ",") + name;
    if (name != "lo") ++n;
  }
  if (n) return escaped("interfaces: " + names);
  return checked("lo-only", "interfaces: " + names);
}

using Fn = std::function<Outcome(const Options&)>;

const std::map<std::string, Fn>& probes() {
  static const std::map<std::string, Fn> m = {
      {"launcher-init-exe", [](const Options&) { return sys(open_write_only("/proc/1/exe"), "open /proc/1/exe O_WRONLY"); }},
      {"launcher-init-mem", [](const Options&) {
         int fd = open("/proc/1/mem", O_RDWR | O_CLOEXEC);
         if (fd >= 0) close(fd);
         return sys(fd, "open /proc/1/mem O_RDWR");
       }},
      {"launcher-exe-all", [](const Options&) { return exe_all(); }},
      {"fd-leak", fd_leak},
      {"cwd-outside-root", [](const Options&) { return cwd_outside(); }},
      {"tiocsti", [](const Options&) { return tiocsti(false); }},
      {"tiocsti-high-bits", [](const Options&) { return tiocsti(true); }},
      {"tiocsti-caller-tty", [](const Options&) { return tiocsti_caller(); }},
      {"tioclinux", [](const Options&) { return tioclinux(false); }},
      {"tioclinux-high-bits", [](const Options&) { return tioclinux(true); }},
      {"console-ioctl", [](const Options&) { return console_ioctl(); }},
      {"chroot-double", [](const Options&) { return chroot_double(); }},
      {"open_by_handle_at", [](const Options&) { return open_by_handle(); }},
      {"core_pattern", [](const Options&) {
         return sys(open_write_only("/proc/sys/kernel/core_pattern"), "open /proc/sys/kernel/core_pattern O_WRONLY");
       }},
      {"sysrq-trigger", [](const Options&) {
         return sys(open_write_only("/proc/sysrq-trigger"), "open /proc/sysrq-trigger O_WRONLY");
       }},
      {"sys-write", [](const Options&) { return sys_write(); }},
      {"sysfs-mount", [](const Options&) { return mount_fs("sysfs", nullptr, "sysfs"); }},
      {"cgroup1-mount", [](const Options&) { return mount_fs("cgroup", "none,name=zjail-escape", "cgroup"); }},
      {"cgroup-release-agent", [](const Options&) { return cgroup_release_agent(); }},
      {"cgroup-own-limits", [](const Options&) { return cgroup_files(false); }},
      {"cgroup-ancestor-procs", [](const Options&) { return cgroup_files(true); }},
      {"unshare-user", [](const Options&) { return sys(unshare(CLONE_NEWUSER), "unshare(CLONE_NEWUSER)"); }},
      {"unshare-mnt", [](const Options&) { return sys(unshare(CLONE_NEWNS), "unshare(CLONE_NEWNS)"); }},
      {"unshare-net", [](const Options&) { return sys(unshare(CLONE_NEWNET), "unshare(CLONE_NEWNET)"); }},
      {"unshare-pid", [](const Options&) { return sys(unshare(CLONE_NEWPID), "unshare(CLONE_NEWPID)"); }},
      {"unshare-uts", [](const Options&) { return sys(unshare(CLONE_NEWUTS), "unshare(CLONE_NEWUTS)"); }},
      {"unshare-ipc", [](const Options&) { return sys(unshare(CLONE_NEWIPC), "unshare(CLONE_NEWIPC)"); }},
      {"unshare-cgroup", [](const Options&) { return sys(unshare(CLONE_NEWCGROUP), "unshare(CLONE_NEWCGROUP)"); }},
      {"unshare-time", [](const Options&) { return sys(unshare(CLONE_NEWTIME), "unshare(CLONE_NEWTIME)"); }},
      {"setns-proc1-net", [](const Options&) { return setns_path("net"); }},
      {"setns-proc1-pid", [](const Options&) { return setns_path("pid"); }},
      {"ptrace-child", [](const Options&) { return ptrace_child(); }},
      {"ptrace-traceme", [](const Options&) {
         return sys(ptrace(PTRACE_TRACEME, 0, nullptr, nullptr), "PTRACE_TRACEME");
       }},
      {"clone-newuser", [](const Options&) { return clone_ns(false); }},
      {"clone3-newuser", [](const Options&) { return clone_ns(true); }},
      {"setns-proc1-mnt", [](const Options&) { return setns_path("mnt"); }},
      {"setns-proc1-user", [](const Options&) { return setns_path("user"); }},
      {"setns-pidfd-init", [](const Options&) { return setns_pidfd(); }},
      {"mount-tmpfs", [](const Options&) { return mount_fs("tmpfs", "size=64k", "tmpfs"); }},
      {"umount-usr", [](const Options&) { return sys(umount2("/usr", MNT_DETACH), "umount2(/usr, MNT_DETACH)"); }},
      {"pivot_root", [](const Options&) { return sys(syscall(SYS_pivot_root, "/tmp", "/tmp"), "pivot_root(/tmp, /tmp)"); }},
      {"fsopen", [](const Options&) { return sys(syscall(SYS_fsopen, "tmpfs", 0), "fsopen(tmpfs)"); }},
      {"open_tree", [](const Options&) {
         return sys(syscall(SYS_open_tree, AT_FDCWD, "/", OPEN_TREE_CLONE), "open_tree(/, OPEN_TREE_CLONE)");
       }},
      {"move_mount", [](const Options&) { return move_mount_probe(); }},
      {"mount_setattr-rw", [](const Options&) { return mount_setattr_rw(); }},
      {"keyring-canary-read", [](const Options& o) { return key_read(o.key); }},
      {"keyring-canary-search", [](const Options& o) {
         return sys(syscall(SYS_keyctl, KEYCTL_SEARCH, KEY_SPEC_USER_KEYRING, "user", o.key_desc.c_str(), 0),
                    "KEYCTL_SEARCH user:" + o.key_desc + " in @u");
       }},
      {"add_key", [](const Options&) {
         return sys(syscall(SYS_add_key, "user", "zjail-escape", "x", 1, KEY_SPEC_PROCESS_KEYRING), "user:zjail-escape in @p");
       }},
      {"ptrace-outside", [](const Options& o) { return ptrace_pid(o.outside_pid); }},
      {"ptrace-init", [](const Options&) { return ptrace_pid(1); }},
      {"kill-all", [](const Options&) { return sys(kill(-1, SIGKILL), "kill(-1, SIGKILL)"); }},
      {"io_uring_setup", [](const Options&) {
         unsigned char params[120] = {};  // struct io_uring_params
         return sys(syscall(SYS_io_uring_setup, 4, params), "io_uring_setup(4)");
       }},
      {"io_uring-socket", [](const Options&) { return io_uring_socket(); }},
      {"bpf", [](const Options&) { return bpf_probe(); }},
      {"perf_event_open", [](const Options&) { return perf_probe(); }},
      {"userfaultfd", [](const Options&) {
         return sys(syscall(SYS_userfaultfd, O_CLOEXEC | UFFD_USER_MODE_ONLY), "userfaultfd(UFFD_USER_MODE_ONLY)");
       }},
      {"finit_module", [](const Options&) {
         int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
         return sys(syscall(SYS_finit_module, fd, "", 0), "finit_module(/dev/null)");
       }},
      {"reboot", [](const Options&) {
         return sys(syscall(SYS_reboot, LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_CAD_ON, nullptr),
                    "reboot(CAD_ON)");
       }},
      {"x32", [](const Options&) { return x32(); }},
      {"int80", [](const Options&) { return int80(); }},
      {"setuid-binary", [](const Options& o) { return exec_privileged(o.suid); }},
      {"fcap-binary", [](const Options& o) { return exec_privileged(o.fcap); }},
      {"setresuid-0", [](const Options&) { return sys(syscall(SYS_setresuid, 0, 0, 0), "setresuid(0, 0, 0)"); }},
      {"capset-raise", [](const Options&) { return capset_raise(); }},
      {"mknod-char", [](const Options&) { return mknod_probe(S_IFCHR, 1, 1); }},
      {"mknod-block", [](const Options&) { return mknod_probe(S_IFBLK, 254, 0); }},
      {"raw-block-open", [](const Options& o) { return raw_block(o.blockdev); }},
      {"dev-mem", [](const Options&) {
         int fd = open("/dev/mem", O_RDONLY | O_CLOEXEC);
         if (fd >= 0) close(fd);
         return sys(fd, "open /dev/mem");
       }},
      {"abstract-host", [](const Options& o) { return unix_connect(o.abstract, true); }},
      {"passed-dirfd", [](const Options& o) { return passed_dirfd(o.dirfd_socket); }},
      {"dbus-system-bus", [](const Options&) { return unix_connect("/run/dbus/system_bus_socket", false); }},
      {"systemd-private", [](const Options&) { return unix_connect("/run/systemd/private", false); }},
      {"tcp-host-loopback", [](const Options& o) { return tcp_connect(o.tcp_port); }},
      {"vsock-listen", [](const Options&) { return vsock_listen(false); }},
      {"vsock-listen-high-bits", [](const Options&) { return vsock_listen(true); }},
      {"pidfd_getfd-init", [](const Options&) { return pidfd_getfd_init(); }},
      {"process_vm_readv-init", [](const Options&) { return process_vm_init(); }},
      {"binfmt_misc-mount", [](const Options&) { return mount_fs("binfmt_misc", nullptr, "binfmt"); }},
      {"devpts-host", [](const Options&) { return devpts_host(); }},
      {"posix-shm-host", [](const Options& o) { return read_host_file("/dev/shm/" + o.marker); }},
      {"host-tmp", [](const Options& o) { return read_host_file("/tmp/" + o.marker); }},
      {"sysv-shm-host", [](const Options& o) { return shm_host(o.shm_key); }},
      {"sethostname", [](const Options&) {
         const char name[] = "escaped-by-zjail-battery";
         return sys(sethostname(name, sizeof name - 1), name);
       }},
      {"host-interfaces", [](const Options&) { return interfaces(); }},
      {"init-cmdline", [](const Options&) { return init_cmdline(); }},
  };
  return m;
}

}  // namespace

bool has_probe(const std::string& name) { return probes().count(name) != 0; }

Outcome run_probe(const std::string& name, const Options& opt) {
  auto it = probes().find(name);
  if (it == probes().end()) return setup_error(EINVAL, "unknown probe " + name);
  return it->second(opt);
}

}  // namespace zjail_escape
