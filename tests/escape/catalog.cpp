// One row per probe. The expected outcomes follow from each profile's design:
//  - base-service: @system-service minus @privileged/@resources, EPERM for the
//    rest, a private network, ProcSubset=pid, no /sys, no /run;
//  - untrusted: a short allow list (no sockets, no SysV IPC, no ptrace), EPERM
//    for the rest, otherwise like base-service;
//  - sys-visible: base-service plus the host's /sys, read-only, so that the
//    sysfs and cgroup probes meet real files: nobody may not open them for
//    writing (EACCES; the read-only bind would answer EROFS next);
//  - ssh-restricted: @system-service with EPERM and a private network like
//    base-service, but ProtectProc=default and ProcSubset=all: the init's
//    /proc/1 is visible, and only ptrace-mode access checks refuse its exe,
//    mem and namespaces (EACCES); /proc/sys is there, read-only, and not
//    writable by the user (EACCES); /proc/sysrq-trigger is masked with a
//    read-only /dev/null (EROFS; ENOENT on a kernel without
//    CONFIG_MAGIC_SYSRQ, see expected_here()).
//    Its init shows "zjail-init" at /proc/1/cmdline, nothing of zjail's own
//    arguments (check init-title).
//  - network-service: base-service in the host's network namespace. Only what
//    the private network walled off differs: the host's 127.0.0.1 and its
//    interfaces are the jail's (ESCAPED: the profile is for that, the battery
//    says verdict=open), and the host's abstract unix sockets are in reach,
//    kept away by Landlock's abstract-socket scope alone (EPERM; see
//    kLandlockOutcomes for a kernel without it). vsock is no network
//    namespace's: the base filter closes it on the host's network too
//    (EAFNOSUPPORT), unless a profile asks for it by name.
//  - the daemon profiles (kDaemons): their base's column, plus kDifferences.
// Every profile gets zjail's base filter: TIOCSTI/TIOCLINUX, the console's
// KD*/VT_* ioctls, io_uring, namespace flags of clone/unshare and setns fail
// with EPERM, clone3 with ENOSYS, and a non-native ABI kills the process with
// SIGSYS.
// Closed by the kernel (last column, see closed_by_this_kernel()): where the
// host's kernel, unconfined, already offers no way through, the jail can
// only meet the same wall: int $0x80 faults (SIGSEGV) before any filter runs
// on a kernel without IA32 emulation, and a host with cgroup v2 alone has no
// release_agent anywhere.
#include "catalog.hpp"

#include <dirent.h>
#include <linux/landlock.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <map>

#include "host_kernel.hpp"

namespace zjail_escape {
namespace {

// Columns: name, class, need, base-service, untrusted, ssh-restricted,
// unjailed baseline, what the probe attempts, and sys-visible where it
// differs from base-service.
const std::vector<ProbeInfo> kProbes = {
    // --- the launcher binary (runc CVE-2019-5736 style) ---------------------
    {"launcher-init-exe", "launcher", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "open /proc/1/exe (the zjail init: the zjail binary) for writing"},
    {"launcher-init-mem", "launcher", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "open /proc/1/mem (the zjail init's memory) for writing"},
    {"launcher-exe-all", "launcher", Need::None, "EACCES", "EACCES", "EACCES", nullptr,
     "open every visible /proc/PID/exe for writing, directly and by reopening an O_PATH fd"},
    // --- leaked fds and cwd ----------------------------------------------------
    {"fd-leak", "leaked-fds", Need::None, "fds-0-2-only", "fds-0-2-only", "fds-0-2-only", nullptr,
     "walk /proc/self/fd, follow every inherited fd; a directory fd is climbed with .. (with LISTEN_FDS=N, fds "
     "3..N+2 may be the profile's sockets: check fds-0-2-listen)"},
    {"cwd-outside-root", "cwd", Need::None, "cwd-inside-root", "cwd-inside-root", "cwd-inside-root", nullptr,
     "climb from the inherited cwd with .. and compare with the jail's /"},
    // --- terminal injection -----------------------------------------------------
    {"tiocsti", "terminal", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "ioctl(TIOCSTI) on a fresh pty that is the controlling terminal"},
    {"tiocsti-high-bits", "terminal", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "ioctl(TIOCSTI | 1<<32): the kernel ignores the high bits, a 64-bit filter compare would not"},
    {"tiocsti-caller-tty", "terminal", Need::Tty, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "ioctl(0, TIOCSTI) \"id\\n\" into the terminal the jail was started from"},
    {"devpts-host", "terminal", Need::None, "devpts-own-only", "devpts-own-only", "devpts-own-only", nullptr,
     "list /dev/pts: any terminal not our own (the host's, other users') is visible"},
    {"tioclinux", "terminal", Need::None, "EPERM", "EPERM", "EPERM", "ENOTTY",
     "ioctl(TIOCLINUX) (a pty answers ENOTTY: the filter must answer first)"},
    {"tioclinux-high-bits", "terminal", Need::None, "EPERM", "EPERM", "EPERM", "ENOTTY",
     "ioctl(TIOCLINUX | 1<<32)"},
    {"console-ioctl", "terminal", Need::None, "EPERM", "EPERM", "EPERM", "ENOTTY",
     "the virtual console's KDGKBTYPE, VT_GETSTATE and KDGKBTYPE | 1<<32 (a pty answers ENOTTY: the filter must "
     "answer first; on a kept console the setters would take the keyboard)"},
    // --- chroot --------------------------------------------------------------------
    {"chroot-double", "chroot", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "chroot(subdir), chdir(..) x64, chroot(.): the classic double-chroot escape (check jail-root-held: out of "
     "its own chroot, but no further than the jail's /)"},
    // --- file system and kernel interfaces ----------------------------------------
    {"open_by_handle_at", "file-handle", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "open_by_handle_at with a handle of / (or a forged inode-2 \"shocker\" handle)"},
    {"core_pattern", "proc-sys", Need::None, "ENOENT", "ENOENT", "EACCES", "ESCAPED",
     "open /proc/sys/kernel/core_pattern for writing (never written)"},
    // No baseline: kernels without CONFIG_MAGIC_SYSRQ (this CI host's) have no such file.
    {"sysrq-trigger", "proc-sys", Need::None, "ENOENT", "ENOENT", "EROFS", nullptr,
     "open /proc/sysrq-trigger for writing (never written)"},
    {"sys-write", "sysfs", Need::None, "ENOENT", "ENOENT", "ENOENT", "ESCAPED",
     "open /sys/kernel/uevent_helper, /sys/power/state, ... for writing (never written)", "EACCES"},
    {"sysfs-mount", "sysfs", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "mount a fresh sysfs (to reach /sys when none is mounted)"},
    {"cgroup1-mount", "cgroup", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "mount a cgroup v1 hierarchy (to set release_agent, CVE-2022-0492)"},
    {"cgroup-release-agent", "cgroup", Need::None, "ENOENT", "ENOENT", "ENOENT", nullptr,
     "open every /sys/fs/cgroup/*/release_agent for writing", "EACCES", nullptr, "ENOENT"},
    {"cgroup-own-limits", "cgroup", Need::None, "ENOENT", "ENOENT", "ENOENT", nullptr,
     "open the jail's own memory/pids limits (from /proc/self/cgroup) for writing", "EACCES"},
    {"cgroup-ancestor-procs", "cgroup", Need::None, "ENOENT", "ENOENT", "ENOENT", nullptr,
     "open the parent cgroup's and the root's cgroup.procs for writing", "EACCES"},
    // --- namespaces ----------------------------------------------------------------
    {"unshare-user", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "unshare(CLONE_NEWUSER) to regain a full capability set"},
    {"unshare-mnt", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWNS)"},
    {"unshare-net", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWNET)"},
    {"unshare-pid", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWPID)"},
    {"unshare-uts", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWUTS)"},
    {"unshare-ipc", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWIPC)"},
    {"unshare-cgroup", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWCGROUP)"},
    {"unshare-time", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "unshare(CLONE_NEWTIME)"},
    {"clone-newuser", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "clone(CLONE_NEWUSER|CLONE_NEWNS)"},
    {"clone3-newuser", "namespaces", Need::None, "ENOSYS", "ENOSYS", "ENOSYS", "ESCAPED",
     "clone3 with CLONE_NEWUSER|CLONE_NEWNS (flags behind a pointer: zjail answers ENOSYS to all clone3)"},
    {"setns-proc1-mnt", "namespaces", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "setns into /proc/1/ns/mnt"},
    {"setns-proc1-user", "namespaces", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "setns into /proc/1/ns/user"},
    {"setns-proc1-net", "namespaces", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "setns into /proc/1/ns/net"},
    {"setns-proc1-pid", "namespaces", Need::None, "ENOENT", "ENOENT", "EACCES", nullptr,
     "setns into /proc/1/ns/pid"},
    {"setns-pidfd-init", "namespaces", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "pidfd_open(1) and setns(pidfd, CLONE_NEWNS|CLONE_NEWUSER)"},
    // --- mounting ------------------------------------------------------------------
    {"mount-tmpfs", "mount", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "mount a tmpfs in /tmp"},
    {"umount-usr", "mount", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "umount2(/usr, MNT_DETACH) to uncover what lies beneath"},
    {"pivot_root", "mount", Need::None, "EPERM", "EPERM", "EPERM", nullptr, "pivot_root(/tmp, /tmp)"},
    {"fsopen", "mount-api", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "fsopen(tmpfs)"},
    {"open_tree", "mount-api", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "open_tree(/, OPEN_TREE_CLONE)"},
    {"move_mount", "mount-api", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "move_mount(/usr -> /tmp/x)"},
    {"mount_setattr-rw", "mount-api", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "mount_setattr(/, clear MOUNT_ATTR_RDONLY)"},
    // --- keyring -------------------------------------------------------------------
    {"keyring-canary-read", "keyring", Need::Key, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "keyctl(KEYCTL_READ) of a world-readable canary key in root's user keyring"},
    {"keyring-canary-search", "keyring", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "keyctl(KEYCTL_SEARCH) for the canary by description"},
    {"add_key", "keyring", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "add_key into the process keyring"},
    // --- other processes -------------------------------------------------------------
    {"ptrace-outside", "ptrace", Need::OutsidePid, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "PTRACE_ATTACH to a host process of the payload's uid"},
    {"ptrace-init", "ptrace", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "PTRACE_ATTACH to the jail's init (pid 1)"},
    {"ptrace-child", "ptrace", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "PTRACE_ATTACH to our own child (what an unprivileged user may do: only the filter stops it)"},
    {"ptrace-traceme", "ptrace", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "PTRACE_TRACEME"},
    {"pidfd_getfd-init", "ptrace", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "pidfd_getfd: steal fds 0-63 of the jail's init (root on the host's files)"},
    {"process_vm_readv-init", "ptrace", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "process_vm_readv from the jail's init"},
    {"kill-all", "kill", Need::Alone, "ESRCH", "ESRCH", "ESRCH", nullptr,
     "kill(-1, SIGKILL): a host process of the same uid must survive it"},
    // --- kernel attack surface ------------------------------------------------------
    {"io_uring_setup", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "io_uring_setup(4)"},
    {"io_uring-socket", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "IORING_OP_SOCKET(AF_VSOCK): a socket made without socket(2), past the private network's vsock rule"},
    {"bpf", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "bpf(BPF_MAP_CREATE)"},
    {"perf_event_open", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "perf_event_open(task-clock, self, user only)"},
    {"userfaultfd", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED",
     "userfaultfd(UFFD_USER_MODE_ONLY)"},
    {"binfmt_misc-mount", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "mount binfmt_misc (mountable in a user namespace since 6.7) to register an interpreter"},
    {"finit_module", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "finit_module(/dev/null)"},
    {"reboot", "kernel-surface", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "reboot(LINUX_REBOOT_CMD_CAD_ON)"},
    // --- ABI bypass ------------------------------------------------------------------
    {"x32", "abi", Need::None, "SIGSYS", "SIGSYS", "SIGSYS", nullptr, "getpid through the x32 ABI"},
    {"int80", "abi", Need::None, "SIGSYS", "SIGSYS", "SIGSYS", "ESCAPED", "i386 getpid through int $0x80", nullptr,
     nullptr, "SIGSEGV"},
    // --- privilege gain --------------------------------------------------------------
    {"setuid-binary", "privilege-gain", Need::Suid, "no-gain", "no-gain", "no-gain", nullptr,
     "exec a setuid-root binary, compare euid and capabilities"},
    {"fcap-binary", "privilege-gain", Need::Fcap, "no-gain", "no-gain", "no-gain", nullptr,
     "exec a binary with file capabilities (cap_sys_admin,cap_dac_override+ep)"},
    {"setresuid-0", "privilege-gain", Need::None, "EPERM", "EPERM", "EPERM", nullptr, "setresuid(0, 0, 0)"},
    {"capset-raise", "privilege-gain", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "capset(): raise CAP_SYS_ADMIN"},
    // --- devices -----------------------------------------------------------------------
    {"mknod-char", "devices", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "mknod c 1:1 (/dev/mem) in /tmp"},
    {"mknod-block", "devices", Need::None, "EPERM", "EPERM", "EPERM", "ESCAPED", "mknod b 254:0 in /tmp"},
    {"raw-block-open", "devices", Need::BlockDev, "EACCES", "EACCES", "EACCES", nullptr,
     "open a bound-in host block device node for reading (binds are nodev)"},
    {"dev-mem", "devices", Need::None, "ENOENT", "ENOENT", "ENOENT", nullptr, "open /dev/mem"},
    // --- local sockets -------------------------------------------------------------------
    {"abstract-host", "local-sockets", Need::Abstract, "ECONNREFUSED", "EPERM", "ECONNREFUSED", "ESCAPED",
     "connect to an abstract unix socket listening in the host's network namespace", nullptr, "EPERM"},
    {"dbus-system-bus", "local-sockets", Need::None, "ENOENT", "EPERM", "ENOENT", "ESCAPED",
     "connect to /run/dbus/system_bus_socket"},
    {"systemd-private", "local-sockets", Need::None, "ENOENT", "EPERM", "ENOENT", "ESCAPED",
     "connect to /run/systemd/private"},
    // Landlock's path rules (ABI 2): rules belong to files, and no rule
    // covers a directory the jail does not show, so nothing beneath a passed
    // fd of it opens. The file is world-readable: the block is not the DAC's.
    {"passed-dirfd", "passed-fds", Need::DirFd, "EACCES", "EPERM", "EACCES", "ESCAPED",
     "receive a directory fd of a host directory no jail shows over a unix socket (SCM_RIGHTS), openat() a "
     "world-readable file beneath it"},
    {"tcp-host-loopback", "local-sockets", Need::TcpPort, "ECONNREFUSED", "EPERM", "ECONNREFUSED", "ESCAPED",
     "connect to a TCP listener on the host's 127.0.0.1", nullptr, "ESCAPED"},
    // vsock is not network-namespace aware (6.18): without zjail's rule a jail
    // with a private network could listen on, and connect to, the VM's vsock
    // address space (the hypervisor, guest agents). The probe only listens on
    // a port the kernel picks; it never connects anywhere.
    {"vsock-listen", "local-sockets", Need::None, "EAFNOSUPPORT", "EPERM", "EAFNOSUPPORT", "ESCAPED",
     "socket(AF_VSOCK), bind(VMADDR_CID_ANY, any port), listen: a service reachable from the hypervisor"},
    {"vsock-listen-high-bits", "local-sockets", Need::None, "EAFNOSUPPORT", "EPERM", "EAFNOSUPPORT", "ESCAPED",
     "the same with socket(AF_VSOCK | 1<<32): the kernel reads an int, a 64-bit filter compare would not"},
    // --- SysV IPC ---------------------------------------------------------------------------
    {"sysv-shm-host", "ipc", Need::ShmKey, "ENOENT", "EPERM", "ENOENT", "ESCAPED",
     "shmget/shmat of a host SysV segment (mode 0666) by its key"},
    {"posix-shm-host", "ipc", Need::Marker, "ENOENT", "ENOENT", "ENOENT", "ESCAPED",
     "open a host POSIX shared memory object (/dev/shm/NAME)"},
    // --- visibility ------------------------------------------------------------------------
    {"sethostname", "visibility", Need::None, "EPERM", "EPERM", "EPERM", nullptr,
     "sethostname(\"escaped\"): the host's name must not change"},
    {"host-tmp", "visibility", Need::Marker, "ENOENT", "ENOENT", "ENOENT", "ESCAPED",
     "open a file the host left in its /tmp"},
    {"host-interfaces", "visibility", Need::None, "lo-only", "lo-only", "lo-only", nullptr,
     "list network interfaces (/proc/self/net/dev): only lo may be seen", nullptr, "ESCAPED"},
    {"init-cmdline", "visibility", Need::None, "ENOENT", "ENOENT", "init-title", nullptr,
     "read /proc/1/cmdline: the jail's init is a copy of zjail, whose arguments (--setenv tokens) must not show"},
};

// The daemon profiles in profiles/, each with the catalog profile it
// includes. Not here: sftp-server and sftp-only (login sessions of the SSH
// tier, whose user is the one logging in).
const std::vector<DaemonProfile> kDaemons = {
    {"chrony", "network-service"},   {"echo", "base-service"},
    {"echo-activated", "base-service", true},
    {"haproxy", "network-service"},  {"lighttpd", "network-service"},
    {"memcached", "network-service"}, {"mosquitto", "network-service"},
    {"nginx", "network-service"},    {"postgresql", "network-service"},
    {"redis-server", "network-service"}, {"unbound", "network-service"},
};

// Where a daemon profile differs from its base: each outcome with its reason.
// A User= other than nobody changes no outcome (the driver puts the host's
// victim process under the profile's user), nor does a bound or tmpfs /run
// (no D-Bus or systemd socket in it); none of the daemons has a capability
// but haproxy.
constexpr const char* kListenFds =
    "zjail's ListenStream=/ListenDatagram= sockets (or systemd's) are passed on purpose, as fds 3.. with "
    "LISTEN_FDS; any other inherited fd still fails";
constexpr const char* kConnectRule =
    "its passed socket is in the host's network: Landlock's TCP connect rule (ABI 4) refuses connect() before "
    "the private network could answer (see kLandlockOutcomes)";
const std::vector<Difference> kDifferences = {
    {"echo", "fd-leak", "fds-0-2-listen", kListenFds},
    {"echo", "tcp-host-loopback", "EACCES", kConnectRule},
    {"echo-activated", "fd-leak", "fds-0-2-listen", kListenFds},
    {"echo-activated", "tcp-host-loopback", "EACCES", kConnectRule},
    {"nginx", "fd-leak", "fds-0-2-listen", kListenFds},
    {"lighttpd", "fd-leak", "fds-0-2-listen", kListenFds},
    {"unbound", "fd-leak", "fds-0-2-listen", kListenFds},
    {"haproxy", "chroot-double", "jail-root-held",
     "AmbientCapabilities=CAP_SYS_CHROOT and chroot(2) let haproxy chroot itself, and so leave that chroot "
     "again; .. stops at the jail's / (pivot_root, the old root detached)"},
};

// Outcomes that stand on a Landlock feature: on a host whose Landlock ABI is
// below `abi` the outcome is `without` (for the profile and those that
// include it), what the other layers leave.
struct LandlockOutcome {
  const char* profile;
  const char* probe;
  int abi;
  const char* without;
};
const std::vector<LandlockOutcome> kLandlockOutcomes = {
    // The abstract-socket scope (Linux 6.12) is all that stands between a
    // host-network jail and the host's abstract sockets: without it, the
    // connect reaches them (verdict=open).
    {"network-service", "abstract-host", 6, "ESCAPED"},
    // Without path rules (Linux 5.19) nothing stops openat() beneath a
    // directory fd handed in from the host.
    {"base-service", "passed-dirfd", 2, "ESCAPED"},
    {"sys-visible", "passed-dirfd", 2, "ESCAPED"},
    {"network-service", "passed-dirfd", 2, "ESCAPED"},
    {"ssh-restricted", "passed-dirfd", 2, "ESCAPED"},
    // Without the TCP connect rule (Linux 6.7) the jail's own loopback answers.
    {"echo", "tcp-host-loopback", 4, "ECONNREFUSED"},
    {"echo-activated", "tcp-host-loopback", 4, "ECONNREFUSED"},
};

const DaemonProfile* find_daemon(const std::string& name) {
  for (const auto& d : kDaemons)
    if (name == d.name) return &d;
  return nullptr;
}

}  // namespace

const std::vector<ProbeInfo>& catalog() { return kProbes; }

const std::vector<DaemonProfile>& daemon_profiles() { return kDaemons; }

const Difference* daemon_difference(const std::string& profile, const std::string& probe) {
  for (const auto& d : kDifferences)
    if (profile == d.profile && probe == d.probe) return &d;
  return nullptr;
}

const ProbeInfo* find_probe(const std::string& name) {
  for (const auto& p : kProbes)
    if (name == p.name) return &p;
  return nullptr;
}

const std::vector<std::string>& known_profiles() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> n = {"base-service", "untrusted", "sys-visible", "ssh-restricted", "network-service"};
    for (const auto& d : kDaemons) n.push_back(d.name);
    return n;
  }();
  return names;
}

const char* expected_here(const ProbeInfo& p, const std::string& profile, const std::set<std::string>& kernel_closed,
                          int landlock_abi) {
  const char* e = expected(p, profile);
  if (e && p.kernel_closed && kernel_closed.count(p.name)) return p.kernel_closed;
  // The profile's own entry, else its base's, unless a difference of its own
  // replaced the base's outcome.
  const DaemonProfile* d = find_daemon(profile);
  for (const auto& l : kLandlockOutcomes)
    if (e && landlock_abi >= 0 && landlock_abi < l.abi && p.name == std::string(l.probe) &&
        (profile == l.profile || (d && d->base == std::string(l.profile) && !daemon_difference(profile, p.name))))
      return l.without;
  // A kernel without CONFIG_MAGIC_SYSRQ (this CI host's) has no
  // /proc/sysrq-trigger to mask: its absence is the block.
  if (e && std::string(e) == "EROFS" && std::string(p.name) == "sysrq-trigger" &&
      access("/proc/sys/kernel", F_OK) == 0 && access("/proc/sys/kernel/sysrq", F_OK) != 0)
    return "ENOENT";
  return e;
}

std::set<std::string> closed_by_this_kernel() {
  std::set<std::string> out;
  if (zjail_host::kernel_closes_i386_entry()) out.insert("int80");
  // release_agent is in the root of every cgroup v1 hierarchy, and only there
  // (the probe's list: /sys/fs/cgroup itself and each directory in it).
  bool agent = access("/sys/fs/cgroup/release_agent", F_OK) == 0;
  if (DIR* d = opendir("/sys/fs/cgroup")) {
    while (dirent* e = readdir(d))
      agent = agent || (e->d_name[0] != '.' &&
                        access(("/sys/fs/cgroup/" + std::string(e->d_name) + "/release_agent").c_str(), F_OK) == 0);
    closedir(d);
  }
  if (!agent) out.insert("cgroup-release-agent");
  return out;
}

// Each reason is probed on the host, independently of the probe itself.
std::string baseline_refused_here(const ProbeInfo& p) {
  using zjail_host::sysctl_long;
  std::string n = p.name;
  if (n == "int80" && zjail_host::kernel_closes_i386_entry()) return zjail_host::kI386Closed;
  if ((n.rfind("vsock-listen", 0) == 0 || n == "io_uring-socket") && zjail_host::kernel_lacks_vsock())
    return "this kernel has no vsock (socket(AF_VSOCK) is EAFNOSUPPORT): nothing to escape to";
  if ((n == "io_uring_setup" || n == "io_uring-socket") && sysctl_long("kernel/io_uring_disabled") == 2)
    return "kernel.io_uring_disabled=2: the kernel refuses io_uring to everyone, root too";
  if ((n == "ptrace-outside" || n == "ptrace-child" || n == "ptrace-traceme") &&
      sysctl_long("kernel/yama/ptrace_scope") == 3)
    return "kernel.yama.ptrace_scope=3: the kernel refuses ptrace to everyone, root too";
  static const std::map<std::string, std::vector<const char*>> kNamespaces = {
      {"unshare-user", {"user"}},  {"unshare-mnt", {"mnt"}},       {"unshare-net", {"net"}},
      {"unshare-pid", {"pid"}},    {"unshare-uts", {"uts"}},       {"unshare-ipc", {"ipc"}},
      {"unshare-time", {"time"}},  {"unshare-cgroup", {"cgroup"}}, {"clone-newuser", {"user", "mnt"}},
      {"clone3-newuser", {"user", "mnt"}}};
  if (auto it = kNamespaces.find(n); it != kNamespaces.end())
    for (const char* kind : it->second)
      if (auto why = zjail_host::namespace_unavailable(kind); !why.empty()) return why;
  // Sysctls that exist exactly when the kernel has the call.
  static const std::map<std::string, std::pair<const char*, const char*>> kBuiltIn = {
      {"bpf", {"kernel/unprivileged_bpf_disabled", "bpf() (CONFIG_BPF_SYSCALL)"}},
      {"perf_event_open", {"kernel/perf_event_paranoid", "perf events (CONFIG_PERF_EVENTS)"}},
      {"userfaultfd", {"vm/unprivileged_userfaultfd", "userfaultfd (CONFIG_USERFAULTFD)"}},
      {"add_key", {"kernel/keys/maxkeys", "keyrings (CONFIG_KEYS)"}},
      {"keyring-canary-read", {"kernel/keys/maxkeys", "keyrings (CONFIG_KEYS)"}}};
  if (auto it = kBuiltIn.find(n); it != kBuiltIn.end() && !sysctl_long(it->second.first))
    return std::string("this kernel has no ") + it->second.second;
  if (n == "core_pattern" && zjail_host::mounted_read_only("/proc/sys")) return "this host mounts /proc/sys read-only";
  if (n == "sys-write" && zjail_host::mounted_read_only("/sys")) return "this host mounts /sys read-only";
  return "";
}

int landlock_abi_here() {
  long v = syscall(SYS_landlock_create_ruleset, nullptr, 0, LANDLOCK_CREATE_RULESET_VERSION);
  return v < 0 ? 0 : static_cast<int>(v);
}

std::vector<std::string> landlock_abi_args() { return {"--landlock-abi", std::to_string(landlock_abi_here())}; }

std::vector<std::string> kernel_closed_args(const std::set<std::string>& closed) {
  if (closed.empty()) return {};
  std::string names;
  for (const auto& n : closed) names += (names.empty() ? "" : ",") + n;
  return {"--kernel-closed", names};
}

const char* expected(const ProbeInfo& p, const std::string& profile) {
  if (profile == "base-service") return p.base_service;
  if (profile == "untrusted") return p.untrusted;
  if (profile == "ssh-restricted") return p.ssh_restricted;
  if (profile == "sys-visible") return p.sys_visible ? p.sys_visible : p.base_service;
  if (profile == "network-service") return p.network_service ? p.network_service : p.base_service;
  if (const DaemonProfile* d = find_daemon(profile)) {
    const Difference* diff = daemon_difference(profile, p.name);
    return diff ? diff->outcome : expected(p, d->base);
  }
  return nullptr;
}

}  // namespace zjail_escape
