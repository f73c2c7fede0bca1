// Each attack tries the real escape from inside the jail and asserts the
// exact error it gets. The expected errno follows from zjail's design:
//  - base-service denies with SystemCallErrorNumber=EPERM, so a call outside
//    the allow list (or in a removed group) fails with EPERM;
//  - a call the filter allows fails with its natural errno (kill(-1) finds
//    nobody: ESRCH; /proc/1 is hidden by ProtectProc=invisible: ENOENT);
//  - clone3 always fails with ENOSYS (its flags are out of the filter's reach);
//  - a non-native ABI (x32, int $0x80) is refused by the architecture check,
//    whose action is SCMP_ACT_KILL_PROCESS: the probe's child dies of SIGSYS.
// ProbeBaseline runs the same probes unjailed as root, to prove that each one
// is real: there it succeeds (or gets past the privilege check).
#include <fcntl.h>
#include <linux/keyctl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"

namespace zjail_test {
namespace {

struct Attack {
  const char* id;                  // test name
  std::vector<std::string> probe;  // probe arguments
  const char* jailed;              // exact outcome inside the jail
  const char* baseline;            // outcome unjailed as root; nullptr: not run there
};

// The ones whose baseline is "PASS" but whose jailed outcome would be the
// same errno without a filter are still listed: the errno is what the design
// promises. Those that only the filter can stop (unprivileged users may do
// them: unshare -U, clone(CLONE_NEWUSER), ptrace of one's own child, keys,
// perf, io_uring, userfaultfd, int $0x80, TIOCSTI on one's own tty) are the
// real test of the seccomp policy.
const std::vector<Attack>& attacks() {
  static const std::vector<Attack> list = {
      {"mount", {"mount"}, "EPERM", "PASS"},
      {"umount", {"umount", "/usr"}, "EPERM", nullptr},
      // Unjailed root gets past the privilege check and hits EBUSY ("/" on "/").
      {"pivot_root", {"pivot_root"}, "EPERM", "EBUSY"},
      {"fsopen", {"fsopen"}, "EPERM", "PASS"},
      {"open_tree", {"open_tree"}, "EPERM", "PASS"},
      {"unshare_user", {"unshare", "user"}, "EPERM", "PASS"},
      {"unshare_mnt", {"unshare", "mnt"}, "EPERM", "PASS"},
      {"unshare_net", {"unshare", "net"}, "EPERM", "PASS"},
      {"unshare_pid", {"unshare", "pid"}, "EPERM", "PASS"},
      {"unshare_uts", {"unshare", "uts"}, "EPERM", "PASS"},
      {"unshare_ipc", {"unshare", "ipc"}, "EPERM", "PASS"},
      {"unshare_cgroup", {"unshare", "cgroup"}, "EPERM", "PASS"},
      {"unshare_time", {"unshare", "time"}, "EPERM", "PASS"},
      {"clone_newuser", {"clone-ns"}, "EPERM", "PASS"},
      // seccomp cannot read clone3's flags (they are behind a pointer): zjail
      // answers ENOSYS for every clone3 so that libc falls back to clone,
      // whose flags the filter does see.
      {"clone3_newuser", {"clone3-ns"}, "ENOSYS", "PASS"},
      {"setns_path_mnt", {"setns-path", "mnt"}, "ENOENT", nullptr},
      {"setns_path_user", {"setns-path", "user"}, "ENOENT", nullptr},
      {"setns_path_net", {"setns-path", "net"}, "ENOENT", nullptr},
      {"setns_path_pid", {"setns-path", "pid"}, "ENOENT", nullptr},
      {"setns_pidfd_mnt", {"setns-pidfd", "mnt"}, "EPERM", nullptr},
      {"setns_pidfd_user", {"setns-pidfd", "user"}, "EPERM", nullptr},
      {"setns_pidfd_net", {"setns-pidfd", "net"}, "EPERM", nullptr},
      {"setns_pidfd_pid", {"setns-pidfd", "pid"}, "EPERM", nullptr},
      {"ptrace_init", {"ptrace-init"}, "EPERM", nullptr},
      {"ptrace_child", {"ptrace-child"}, "EPERM", "PASS"},
      {"ptrace_traceme", {"ptrace-traceme"}, "EPERM", "PASS"},
      {"add_key", {"add_key"}, "EPERM", "PASS"},
      {"bpf", {"bpf"}, "EPERM", "PASS"},
      {"perf_event_open", {"perf_event_open"}, "EPERM", "PASS"},
      {"io_uring_setup", {"io_uring_setup"}, "EPERM", "PASS"},
      {"userfaultfd", {"userfaultfd"}, "EPERM", "PASS"},
      {"open_by_handle_at", {"open_by_handle_at"}, "EPERM", "PASS"},
      // Without CONFIG_X86_X32_ABI the unjailed call is ENOSYS; jailed it
      // must not even get that far.
      {"x32", {"x32"}, "SIGSYS", nullptr},
      {"int80", {"int80"}, "SIGSYS", "PASS"},
      {"tiocsti", {"tiocsti"}, "EPERM", "PASS"},
      {"tiocsti_high_bits", {"tiocsti-high"}, "EPERM", "PASS"},
      // A pty answers TIOCLINUX with ENOTTY; the filter must answer first.
      {"tioclinux", {"tioclinux"}, "EPERM", "ENOTTY"},
      {"tioclinux_high_bits", {"tioclinux-high"}, "EPERM", "ENOTTY"},
      {"mknod", {"mknod"}, "EPERM", "PASS"},
      {"chroot", {"chroot"}, "EPERM", "PASS"},
      {"kill_all", {"kill-all"}, "ESRCH", "PASS"},
  };
  return list;
}

void PrintTo(const Attack& a, std::ostream* os) { *os << a.id; }

class AttackTest : public RootTest, public ::testing::WithParamInterface<Attack> {};
class ProbeBaseline : public RootTest, public ::testing::WithParamInterface<Attack> {
  bool needs_zjail() const override { return false; }
};

std::string probe_name(const Attack& a) { return a.probe.front(); }

TEST_P(AttackTest, IsBlocked) {
  const Attack& a = GetParam();
  auto r = jail({}, a.probe);
  ASSERT_FALSE(r.timed_out) << r.dump();
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(outcome(r, probe_name(a)), a.jailed) << r.dump();
}

TEST_P(ProbeBaseline, WorksUnjailed) {
  const Attack& a = GetParam();
  auto r = unjailed(a.probe);
  EXPECT_EQ(outcome(r, probe_name(a)), a.baseline) << r.dump();
}

std::string attack_id(const ::testing::TestParamInfo<Attack>& info) { return info.param.id; }

INSTANTIATE_TEST_SUITE_P(Root, AttackTest, ::testing::ValuesIn(attacks()), attack_id);
// Only the probes that are safe and meaningful to run unjailed on the host.
std::vector<Attack> with_baseline() {
  std::vector<Attack> out;
  for (const auto& a : attacks())
    if (a.baseline) out.push_back(a);
  return out;
}

INSTANTIATE_TEST_SUITE_P(Root, ProbeBaseline, ::testing::ValuesIn(with_baseline()), attack_id);

// --- attacks that need something from the host ----------------------------------

using HostTarget = RootTest;

// A host process the jail must not reach: its pid is meaningless inside,
// and the filter stops ptrace before the lookup.
TEST_F(HostTarget, PtraceHostPid) {
  pid_t victim = fork();
  if (victim == 0) {
    for (;;) pause();
  }
  ASSERT_GT(victim, 0);
  auto r = jail({}, {"ptrace", std::to_string(victim)});
  auto base = unjailed({"ptrace", std::to_string(victim)});
  kill(victim, SIGKILL);
  waitpid(victim, nullptr, 0);
  EXPECT_EQ(outcome(r, "ptrace"), "EPERM") << r.dump();
  EXPECT_EQ(outcome(base, "ptrace"), "PASS") << "baseline\n" << base.dump();
}

// A key in root's user keyring that anyone may read: only the filter (the
// @keyring group is removed from base-service) keeps the payload out.
TEST_F(HostTarget, KeyctlReadHostKey) {
  long key = syscall(SYS_add_key, "user", "zjail-root-test", "host-secret", 11, KEY_SPEC_USER_KEYRING);
  ASSERT_GT(key, 0) << "add_key: " << strerror(errno);
  // possessor/user: all; group/other: view|read|search
  ASSERT_EQ(syscall(SYS_keyctl, KEYCTL_SETPERM, key, 0x3f3f0b0b), 0) << strerror(errno);
  auto r = jail({}, {"keyctl-read", std::to_string(key)});
  auto base = unjailed({"keyctl-read", std::to_string(key)});
  syscall(SYS_keyctl, KEYCTL_INVALIDATE, key);
  EXPECT_EQ(outcome(r, "keyctl-read"), "EPERM") << r.dump();
  EXPECT_EQ(r.out.find("host-secret"), std::string::npos) << r.dump();
  EXPECT_EQ(outcome(base, "keyctl-read"), "PASS") << "baseline\n" << base.dump();
}

// --- the caller's terminal ---------------------------------------------------------

using Terminal = RootTest;

// A pty whose slave becomes zjail's stdin and controlling terminal, as when
// an admin runs zjail from a shell.
struct Pty {
  int master = -1;
  std::string slave;
  Pty() {
    master = posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (master >= 0 && grantpt(master) == 0 && unlockpt(master) == 0) slave = ptsname(master);
  }
  ~Pty() {
    if (master >= 0) close(master);
  }
  // Bytes waiting in the terminal's input queue: what the shell would read next.
  int pending() const {
    int fd = open(slave.c_str(), O_RDWR | O_NOCTTY | O_CLOEXEC);
    int n = -1;
    if (fd >= 0) ioctl(fd, FIONREAD, &n);
    if (fd >= 0) close(fd);
    return n;
  }
};

TEST_F(Terminal, BaselineTiocstiInjectsUnjailed) {
  Pty pty;
  ASSERT_FALSE(pty.slave.empty());
  auto r = unjailed({"tiocsti-stdin"}, on_tty(pty.slave));
  EXPECT_EQ(outcome(r, "tiocsti-stdin"), "PASS") << r.dump();
  EXPECT_EQ(pty.pending(), 3) << "\"id\\n\" should be waiting for the shell";
}

TEST_F(Terminal, TiocstiIntoCallersTerminalIsBlocked) {
  Pty pty;
  ASSERT_FALSE(pty.slave.empty());
  auto r = jail({}, {"tiocsti-stdin"}, on_tty(pty.slave));
  EXPECT_EQ(outcome(r, "tiocsti-stdin"), "EPERM") << r.dump();
  EXPECT_EQ(pty.pending(), 0) << "input was injected into the caller's terminal";
}

// With --keep-tty the payload shares the caller's session and terminal, so
// the tty layer itself would allow TIOCSTI: only the filter is left.
TEST_F(Terminal, TiocstiWithKeptTerminalIsBlocked) {
  Pty pty;
  ASSERT_FALSE(pty.slave.empty());
  auto s = jail({"--keep-tty"}, {"session"}, on_tty(pty.slave));
  EXPECT_EQ(outcome(s, "ctty"), "PASS") << "--keep-tty should keep the terminal\n" << s.dump();
  auto r = jail({"--keep-tty"}, {"tiocsti-stdin"}, on_tty(pty.slave));
  EXPECT_EQ(outcome(r, "tiocsti-stdin"), "EPERM") << r.dump();
  EXPECT_EQ(pty.pending(), 0) << "input was injected into the caller's terminal";
}

// By default the payload leads a new session of its own, without a
// controlling terminal.
TEST_F(Terminal, NewSessionWithoutControllingTerminal) {
  Pty pty;
  ASSERT_FALSE(pty.slave.empty());
  auto r = jail({}, {"session"}, on_tty(pty.slave));
  EXPECT_EQ(r.line("SID").value_or(""), "SID 2 PGID 2") << r.dump();
  EXPECT_EQ(outcome(r, "ctty"), "ENXIO") << r.dump();
}

// --- /proc ------------------------------------------------------------------------

using ProcFs = RootTest;

std::vector<std::string> procall(std::vector<std::string> probe) {
  std::vector<std::string> args{"--profile", kProfile, "--profile", "root-test-procall", "--", kProbe};
  args.insert(args.end(), probe.begin(), probe.end());
  return args;
}

// base-service has ProcSubset=pid: there is no /proc/sys at all.
TEST_F(ProcFs, ProcSysAbsentWithSubsetPid) {
  auto r = jail({}, {"core_pattern"});
  EXPECT_EQ(outcome(r, "core_pattern"), "ENOENT") << r.dump();
  auto s = jail({}, {"sysrq"});
  EXPECT_EQ(outcome(s, "sysrq"), "ENOENT") << s.dump();
}

// With the full /proc, /proc/sys is there but not writable. The VFS checks
// file permissions before the mount's read-only flag, and no /proc/sys file
// is writable by the jail's unprivileged user, so the errno nobody sees is
// EACCES; the read-only mount itself is asserted from mountinfo below.
TEST_F(ProcFs, ProcSysNotWritableWithFullProc) {
  auto r = run(procall({"core_pattern"}));
  EXPECT_EQ(outcome(r, "core_pattern"), "EACCES") << r.dump();
  auto base = unjailed({"core_pattern"});
  EXPECT_EQ(outcome(base, "core_pattern"), "PASS") << "baseline (opened, never written)\n" << base.dump();
}

TEST_F(ProcFs, SysrqTriggerMaskedWithFullProc) {
  auto r = run(procall({"sysrq"}));
  // The mask is a read-only bind of /dev/null; a kernel without
  // CONFIG_MAGIC_SYSRQ has no file to mask.
  const char* want = exists("/proc/sysrq-trigger") ? "EROFS" : "ENOENT";
  EXPECT_EQ(outcome(r, "sysrq"), want) << r.dump();
}

TEST_F(ProcFs, KernelFilesMaskedWithFullProc) {
  auto r = run(procall({"mounts"}));
  ASSERT_EQ(r.code, 0) << r.dump();
  auto opts = mount_options(r);
  ASSERT_TRUE(opts.count("/proc/sys")) << r.dump();
  EXPECT_EQ(opts["/proc/sys"].rfind("ro,", 0), 0u) << "/proc/sys: " << opts["/proc/sys"];
  for (const char* f : {"/proc/sysrq-trigger", "/proc/kcore", "/proc/kallsyms", "/proc/keys",
                        "/proc/timer_list", "/proc/latency_stats", "/proc/sched_debug", "/proc/acpi",
                        "/proc/scsi", "/proc/bus", "/proc/fs", "/proc/irq"}) {
    if (!exists(f)) continue;
    ASSERT_TRUE(opts.count(f)) << f << " is not covered\n" << r.dump();
    EXPECT_EQ(opts[f].rfind("ro,", 0), 0u) << f << ": " << opts[f];
  }
}

// --- read-only binds -------------------------------------------------------------------

using ReadOnly = RootTest;

// A directory and file the jail user could write by permission, bound
// read-only: only the mount flag stands in the way.
struct WritableTree {
  TempDir dir;
  WritableTree() {
    chmod(dir.path().c_str(), 0777);
    dir.write("file", "original\n", 0666);
  }
};

TEST_F(ReadOnly, ReadOnlyBindRefusesWrites) {
  WritableTree t;
  auto w = jail({"--ro-bind", t.dir.path() + ":/ro"}, {"write", "/ro/file"});
  EXPECT_EQ(outcome(w, "write"), "EROFS") << w.dump();
  auto c = jail({"--ro-bind", t.dir.path() + ":/ro"}, {"create", "/ro/new"});
  EXPECT_EQ(outcome(c, "create"), "EROFS") << c.dump();
  EXPECT_EQ(read_file(t.dir / "file"), "original\n");
  EXPECT_FALSE(exists(t.dir / "new"));
}

TEST_F(ReadOnly, SameTreeBoundReadWriteIsWritable) {
  WritableTree t;
  auto w = jail({"--bind", t.dir.path() + ":/rw"}, {"write", "/rw/file"});
  EXPECT_EQ(outcome(w, "write"), "PASS") << w.dump();
  EXPECT_EQ(read_file(t.dir / "file"), "zjail-probe\n");
}

TEST_F(ReadOnly, RootAndUsrRefuseWrites) {
  auto root = jail({}, {"create", "/zjail-root-test"});
  EXPECT_EQ(outcome(root, "create"), "EROFS") << root.dump();
  auto usr = jail({}, {"create", "/usr/zjail-root-test"});
  EXPECT_EQ(outcome(usr, "create"), "EROFS") << usr.dump();
  EXPECT_FALSE(exists("/usr/zjail-root-test"));
}

TEST_F(ReadOnly, PrivateTmpAndShmAreWritable) {
  auto tmp = jail({}, {"create", "/tmp/zjail-root-test"});
  EXPECT_EQ(outcome(tmp, "create"), "PASS") << tmp.dump();
  auto shm = jail({}, {"create", "/dev/shm/zjail-root-test"});
  EXPECT_EQ(outcome(shm, "create"), "PASS") << shm.dump();
  EXPECT_FALSE(exists("/tmp/zjail-root-test")) << "the jail's /tmp is the host's";
}

}  // namespace
}  // namespace zjail_test
