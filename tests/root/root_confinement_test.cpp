// Confinement checks that are not escape attempts: the session and
// terminal the payload starts with, /proc's masks and read-only knobs under
// ProcSubset=all, and read-only binds. The escape attempts themselves (mount,
// namespaces, ptrace, keyring, TIOCSTI, ABI bypass, ...) live in the escape
// battery, tests/escape, which runs them in the shipped profiles.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>

#include "harness.hpp"
#include "host_kernel.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

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

// With the full /proc, /proc/sys is there but not writable. The VFS checks
// file permissions before the mount's read-only flag, and no /proc/sys file
// is writable by the jail's unprivileged user, so the errno nobody sees is
// EACCES; the read-only mount itself is asserted from mountinfo below.
TEST_F(ProcFs, ProcSysNotWritableWithFullProc) {
  auto r = run(procall({"core_pattern"}));
  EXPECT_EQ(outcome(r, "core_pattern"), "EACCES") << r.dump();
  if (zjail_host::mounted_read_only("/proc/sys"))
    GTEST_SKIP() << "\n*** baseline NOT SHOWN: this host mounts /proc/sys read-only, root cannot open "
                    "core_pattern for writing either (the jailed half passed) ***";
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

// The host's boot arguments and key owners are masked, and the jail's init
// never shows zjail's own arguments (a --setenv token among them), not even
// with ProtectProc=default, where /proc/1 is visible to the payload.
TEST_F(ProcFs, HostDetailsAndZjailArgumentsHidden) {
  std::string secret = "TOKEN=s3cret-" + std::to_string(getpid());
  // The masks are nodev binds of /dev/null: opening them fails (EACCES).
  const std::string show = "for f in cmdline key-users; do if c=$(cat /proc/$f 2>/dev/null); then "
                           "echo $f=${#c}; else echo $f=hidden; fi; done";
  auto r = run({"--profile", kProfile, "--profile", "root-test-procall", "--setenv", secret, "--", "/bin/sh",
                "-c", show});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(r.lines(), (std::vector<std::string>{"cmdline=hidden", "key-users=hidden"})) << r.dump();
  ASSERT_GT(read_file("/proc/cmdline").size(), 0u);

  TempDir d;
  d.write("visible.profile", "[Jail]\nProtectProc=default\n");
  auto init = run({"--profile", kProfile, "--profile", "root-test-procall", "--profile", d / "visible.profile",
                   "--setenv", secret, "--", "/bin/sh", "-c",
                   "tr '\\0' ' ' </proc/1/cmdline; echo; " + show});
  EXPECT_EQ(init.code, 0) << init.dump();
  ASSERT_FALSE(init.lines().empty()) << init.dump();
  EXPECT_EQ(init.lines()[0].substr(0, 11), "zjail-init ") << init.dump();
  EXPECT_THAT(init.out, Not(HasSubstr("s3cret"))) << "zjail's arguments leaked\n" << init.dump();
  EXPECT_THAT(init.out, Not(HasSubstr("--setenv"))) << init.dump();
  // ProtectProc=default asks for the host's /proc as it is.
  EXPECT_THAT(init.out, Not(HasSubstr("cmdline=hidden"))) << init.dump();
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
