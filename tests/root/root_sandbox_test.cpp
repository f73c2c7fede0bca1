// The file-system sandbox directives at work, on RootDirectory=/ (the
// host's root, as systemd shows it to a unit) and on zjail's empty root:
// each test tries what a directive forbids and shows it failing, next to
// the same attempt without the directive (or the host unconfined) showing
// that it would work.
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <fstream>
#include <sstream>

#include "harness.hpp"
#include "host_kernel.hpp"

namespace zjail_test {
namespace {

using ::testing::AnyOf;
using ::testing::HasSubstr;
using ::testing::Not;

class Sandbox : public RootTest {
 protected:
  // zjail --profile (a file holding `lines`) -- probe ARGS.
  RunResult with(const std::string& lines, const std::vector<std::string>& probe) {
    std::string name = "p" + std::to_string(++n_) + ".profile";
    profiles_.write(name, "[Jail]\n" + lines);
    std::vector<std::string> args{"--profile", profiles_ / name, "--", kProbe};
    args.insert(args.end(), probe.begin(), probe.end());
    return run(args);
  }
  // The host's root, as nobody.
  RunResult host(const std::string& lines, const std::vector<std::string>& probe) {
    return with("RootDirectory=/\nUser=nobody\nGroup=nogroup\n" + lines, probe);
  }
  // A copy of /bin/true in `dir`, executable.
  static std::string true_in(const std::string& dir) {
    std::string copy = dir + "/true";
    {
      std::ifstream in("/bin/true", std::ios::binary);
      std::ofstream out(copy, std::ios::binary);
      out << in.rdbuf();
    }
    chmod(copy.c_str(), 0755);
    return copy;
  }
  // A directory nobody may write, on the host.
  std::string writable(const std::string& name) {
    std::string d = data_ / name;
    mkdir(d.c_str(), 0777);
    chmod(d.c_str(), 0777);
    return d;
  }
  static std::string mount_line(const RunResult& r, const std::string& point) {
    std::string found;
    for (const auto& l : r.lines())
      if (l.rfind("MOUNT " + point + " ", 0) == 0) found = l;  // the top mount is the last
    return found;
  }
  static bool read_only(const RunResult& r, const std::string& point) {
    std::istringstream in(mount_line(r, point));
    std::string tag, p, opts;
    in >> tag >> p >> opts;
    return ("," + opts + ",").find(",ro,") != std::string::npos;
  }

  TempDir profiles_, data_;
  int n_ = 0;
};

// --- RootDirectory=/ ------------------------------------------------------------

// The host's files, writable where the host lets nobody write, and a /proc
// of the jail's own.
// A symlink in a directory the jail may write, on the way to another
// bind's source: the payload could have planted it, so it is never
// followed, whoever owns it (as the invoker's uid, an unprivileged zjail's
// payload owns it). In a read-only bind, root's symlink is followed.
TEST_F(Sandbox, ASymlinkInAWritableBindSteersNoOtherBind) {
  TempDir rw, secret;
  chmod(rw.path().c_str(), 0777);
  secret.write("secret", "host secret\n");
  ASSERT_EQ(symlink(secret.path().c_str(), (rw / "cfg").c_str()), 0);
  std::string nested = "BindReadOnlyPaths=-" + rw.path() + "/cfg:/etc/app\n";
  auto r = with("Include=root-test\nBindPaths=" + rw.path() + "\n" + nested, {"read", "/etc/app/secret"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("lies in " + rw.path() + ", which the jail may write: not followed")) << r.dump();
  auto ro = with("Include=root-test\nBindReadOnlyPaths=" + rw.path() + "\n" + nested, {"read", "/etc/app/secret"});
  EXPECT_EQ(outcome(ro, "read"), "PASS") << ro.dump();
}

TEST_F(Sandbox, HostRootIsTheHostsWithAProcOfItsOwn) {
  std::string dir = writable("rw");
  auto r = host("", {"touch", dir + "/made"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_TRUE(exists(dir + "/made")) << "written to the host's own directory";
  auto pids = host("", {"pids"});
  EXPECT_EQ(pids.line("SELF").value_or(""), "SELF 2") << "its own pid namespace\n" << pids.dump();
  // The jail's init (root) is hidden from nobody by hidepid=invisible.
  EXPECT_EQ(pids.line("PIDS").value_or(""), "PIDS 2") << "only the jail's processes in its /proc\n" << pids.dump();
  auto m = host("", {"mounts"});
  EXPECT_THAT(mount_line(m, "/proc"), HasSubstr("hidepid=invisible")) << m.dump();
  EXPECT_FALSE(read_only(m, "/")) << m.dump();
}

TEST_F(Sandbox, ProtectSystemStrictMakesTheHostReadOnly) {
  std::string dir = writable("strict");
  auto r = host("ProtectSystem=strict\n", {"touch", dir + "/x"});
  EXPECT_EQ(outcome(r, "touch"), "EROFS") << r.dump();
  // ReadWritePaths= takes a path out of it, with the host's own flags.
  r = host("ProtectSystem=strict\nReadWritePaths=" + dir + "\n", {"touch", dir + "/y"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_TRUE(exists(dir + "/y"));
  // A private /tmp is writable (it is a mount of the jail's own) and the
  // host never sees what is written there.
  r = host("ProtectSystem=strict\nPrivateTmp=yes\n", {"touch", "/tmp/zjail-strict-" + std::to_string(getpid())});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_FALSE(exists("/tmp/zjail-strict-" + std::to_string(getpid())));
  // The host's /tmp itself is read-only under strict, as in systemd.
  r = host("ProtectSystem=strict\n", {"touch", "/tmp/zjail-strict-" + std::to_string(getpid())});
  EXPECT_EQ(outcome(r, "touch"), "EROFS") << r.dump();
}

TEST_F(Sandbox, InaccessiblePathsOnTheHostRoot) {
  data_.write("secret", "host data\n", 0644);
  std::string dir = writable("hidden");
  auto base = host("", {"read", data_ / "secret"});
  EXPECT_EQ(outcome(base, "read"), "PASS") << base.dump();
  auto r = host("InaccessiblePaths=" + data_ / "secret" + "\n", {"read", data_ / "secret"});
  EXPECT_EQ(outcome(r, "read"), "EACCES") << r.dump();
  r = host("InaccessiblePaths=" + dir + "\n", {"opendir", dir});
  EXPECT_EQ(outcome(r, "opendir"), "EACCES") << r.dump();
  r = host("InaccessiblePaths=" + dir + "\n", {"touch", dir + "/x"});
  EXPECT_EQ(outcome(r, "touch"), "EACCES") << r.dump();
  // A missing path is an error at launch, unless '-' says it may be missing.
  r = host("InaccessiblePaths=" + dir + "/nope\n", {"read", data_ / "secret"});
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("InaccessiblePaths=" + dir + "/nope is not in the jail"));
  r = host("InaccessiblePaths=-" + dir + "/nope\n", {"read", data_ / "secret"});
  EXPECT_EQ(outcome(r, "read"), "PASS") << r.dump();
}

TEST_F(Sandbox, NoExecPathsWithExecPathsInside) {
  std::string dir = writable("bin");
  std::string copy = true_in(dir);
  auto base = host("", {"exec", copy});
  EXPECT_EQ(outcome(base, "exec"), "PASS") << base.dump();
  // The probe itself runs from its own directory, as ExecPaths= allows.
  std::string probe_dir = std::string(kProbe).substr(0, std::string(kProbe).rfind('/'));
  std::string rules = "NoExecPaths=/\nExecPaths=/usr -/bin -/lib -/lib64 " + probe_dir + "\n";
  auto r = host(rules, {"exec", copy});
  EXPECT_EQ(outcome(r, "exec"), "EACCES") << r.dump();
  r = host(rules, {"exec", "/usr/bin/true"});
  EXPECT_EQ(outcome(r, "exec"), "PASS") << r.dump();
}

// The command itself, given by path, is judged by the jail's mounts as
// systemd judges ExecStart=: zjail opened it before the mounts, and must
// not run it from a path the profile made noexec or inaccessible.
TEST_F(Sandbox, TheCommandItselfObeysNoExecAndInaccessiblePaths) {
  std::string dir = writable("cmd");
  std::string copy = true_in(dir);
  auto launch = [&](const std::string& rules) {
    profiles_.write("cmd.profile", "[Jail]\nRootDirectory=/\nUser=nobody\nGroup=nogroup\n" + rules);
    return run({"--profile", profiles_ / "cmd.profile", "--", copy});
  };
  auto base = launch("");
  EXPECT_EQ(base.code, 0) << base.dump();
  for (const std::string& rules : std::vector<std::string>{"NoExecPaths=" + dir + "\n", "InaccessiblePaths=" + dir + "\n",
                                                          "NoExecPaths=/\nExecPaths=/usr -/lib -/lib64\n"}) {
    auto r = launch(rules);
    EXPECT_EQ(r.code, 126) << rules << r.dump();
    EXPECT_THAT(r.err, AnyOf(HasSubstr("step: resolve-command"), HasSubstr("step: jail-command"), HasSubstr("step: exec")))
        << r.dump();
  }
  auto allowed = launch("NoExecPaths=/\nExecPaths=/usr -/lib -/lib64 " + dir + "\n");
  EXPECT_EQ(allowed.code, 0) << allowed.dump();
  // The file itself made inaccessible, and a payload that could search a
  // mode-0000 directory (CAP_DAC_READ_SEARCH): refused before the launch.
  auto file = launch("InaccessiblePaths=" + copy + "\n");
  EXPECT_EQ(file.code, 126) << file.dump();
  auto capable = launch("InaccessiblePaths=" + dir + "\nAmbientCapabilities=CAP_DAC_READ_SEARCH\n");
  EXPECT_EQ(capable.code, 126) << capable.dump();
  auto hidden = launch("TemporaryFileSystem=" + dir + "\n");
  EXPECT_EQ(hidden.code, 127) << hidden.dump();
}

TEST_F(Sandbox, ProtectHomeOnTheHostRoot) {
  if (!exists("/home")) GTEST_SKIP() << "\n*** this host has no /home to protect ***";
  auto base = host("", {"opendir", "/home"});
  ASSERT_EQ(outcome(base, "opendir"), "PASS") << base.dump();
  auto r = host("ProtectHome=yes\n", {"opendir", "/home"});
  EXPECT_EQ(outcome(r, "opendir"), "EACCES") << r.dump();
  r = host("ProtectHome=tmpfs\n", {"opendir", "/home"});
  EXPECT_EQ(r.line("PASS opendir").value_or(""), "PASS opendir /home entries=0") << r.dump();
  auto m = host("ProtectHome=read-only\n", {"mounts"});
  EXPECT_TRUE(read_only(m, "/home")) << m.dump();
}

TEST_F(Sandbox, KernelTunablesAndControlGroupsOnTheHostRoot) {
  auto base = host("", {"mounts"});
  if (read_only(base, "/sys")) GTEST_SKIP() << "\n*** this host's /sys is read-only already ***";
  auto r = host("ProtectKernelTunables=yes\n", {"mounts"});
  EXPECT_TRUE(read_only(r, "/sys")) << r.dump();
  r = host("ProtectControlGroups=yes\n", {"mounts"});
  EXPECT_TRUE(read_only(r, "/sys/fs/cgroup")) << r.dump();
  EXPECT_FALSE(read_only(r, "/sys")) << r.dump();
  // private: a cgroup2 of the jail's own, rooted at its cgroup namespace:
  // none of the host's cgroups in it.
  r = host("ProtectControlGroups=private\n", {"mounts"});
  EXPECT_THAT(mount_line(r, "/sys/fs/cgroup"), HasSubstr(" cgroup2 ")) << r.dump();
  EXPECT_FALSE(read_only(r, "/sys/fs/cgroup")) << r.dump();
  auto list = host("ProtectControlGroups=strict\n", {"opendir", "/sys/fs/cgroup/system.slice"});
  EXPECT_EQ(outcome(list, "opendir"), "ENOENT") << list.dump();
  r = host("ProtectControlGroups=strict\n", {"mounts"});
  EXPECT_TRUE(read_only(r, "/sys/fs/cgroup")) << r.dump();
}

// --- Devices --------------------------------------------------------------------------

// A device node of the test's own (a copy of /dev/null, open to everyone),
// in the host's /dev and in a directory of the host's.
class Devices : public Sandbox {
 protected:
  void SetUp() override {
    Sandbox::SetUp();
    if (IsSkipped()) return;
    dev_ = "/dev/zjail-test-" + std::to_string(getpid());
    other_ = data_ / "null";
    for (const auto& p : {dev_, other_}) {
      if (mknod(p.c_str(), S_IFCHR | 0666, makedev(1, 3)) != 0) GTEST_SKIP() << "\n*** mknod " << p << ": " << strerror(errno);
      chmod(p.c_str(), 0666);
    }
  }
  void TearDown() override {
    if (!dev_.empty()) unlink(dev_.c_str());
  }
  std::string dev_, other_;
};

TEST_F(Devices, HostDevWithoutPolicy) {
  auto r = host("", {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "PASS") << r.dump();
  r = host("", {"open-rw", other_});
  EXPECT_EQ(outcome(r, "open-rw"), "PASS") << r.dump();
}

// PrivateDevices=yes: the pseudo devices only; device nodes elsewhere are
// dead (nodev), as a device cgroup would make them.
TEST_F(Devices, PrivateDevicesLeavesThePseudoDevicesOnly) {
  auto r = host("PrivateDevices=yes\n", {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "ENOENT") << r.dump();
  r = host("PrivateDevices=yes\n", {"open-rw", other_});
  EXPECT_EQ(outcome(r, "open-rw"), "EACCES") << r.dump();
  r = host("PrivateDevices=yes\n", {"open-rw", "/dev/null"});
  EXPECT_EQ(outcome(r, "open-rw"), "PASS") << r.dump();
  auto m = host("PrivateDevices=yes\n", {"mounts"});
  EXPECT_TRUE(read_only(m, "/dev")) << m.dump();
  // It also adds a system call filter (@raw-io, EPERM) of its own, which
  // the payload attaches merged with the others: one filter, with the
  // listener that explains its denials (docs/denials.md).
  auto s0 = host("", {"status"}), s1 = host("PrivateDevices=yes\n", {"status"});
  EXPECT_EQ(status_field(s0, "Seccomp_filters"), std::vector<std::string>{"1"}) << s0.dump();
  EXPECT_EQ(status_field(s1, "Seccomp_filters"), std::vector<std::string>{"1"}) << s1.dump();
}

TEST_F(Devices, DeviceAllowBindsTheAllowedNodesOnly) {
  auto r = host("DevicePolicy=closed\n", {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "ENOENT") << r.dump();
  r = host("DevicePolicy=closed\nDeviceAllow=" + dev_ + " rw\n", {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "PASS") << r.dump();
  r = host("DevicePolicy=strict\nDeviceAllow=" + dev_ + " rw\n", {"open-rw", "/dev/null"});
  EXPECT_EQ(outcome(r, "open-rw"), "ENOENT") << r.dump();
  // Read-only access to a device node: a Landlock rule keeps it; without
  // Landlock path rules it is refused, never granted read-write.
  r = host("DeviceAllow=" + dev_ + " r\n", {"open-rw", dev_});
  if (landlock_abi() >= 2) {
    EXPECT_EQ(outcome(r, "open-rw"), "EACCES") << r.dump();
  } else {
    EXPECT_EQ(r.code, kExitFailure) << r.dump();
    EXPECT_THAT(r.err, HasSubstr("needs Landlock"));
  }
  // On zjail's root too.
  r = with("Include=root-test\nDevicePolicy=closed\nDeviceAllow=" + dev_ + " rw\n", {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "PASS") << r.dump();
  r = jail({}, {"open-rw", dev_});
  EXPECT_EQ(outcome(r, "open-rw"), "ENOENT") << r.dump();
}

// --- Kernel logs and modules ------------------------------------------------------------

TEST_F(Sandbox, ProtectKernelLogsAndModules) {
  // Their filter is merged with the others into the payload's one filter.
  auto s1 = host("ProtectKernelLogs=yes\nProtectKernelModules=yes\n", {"status"});
  EXPECT_EQ(status_field(s1, "Seccomp_filters"), std::vector<std::string>{"1"}) << s1.dump();
  auto r = host("ProtectKernelModules=yes\n", {"init-module"});
  EXPECT_EQ(outcome(r, "init-module"), "EPERM") << r.dump();
  EXPECT_THAT(r.err, HasSubstr("zjail: denied init_module() in pid ")) << r.dump();
  if (exists("/dev/kmsg")) {
    r = host("ProtectKernelLogs=yes\n", {"read", "/dev/kmsg"});
    EXPECT_EQ(outcome(r, "read"), "EACCES") << r.dump();
  }
}

// RemoveIPC=: POSIX shared memory the payload leaves in /dev/shm must not
// outlive the jail (the next holder of a dynamic uid would read it). On the
// host's /dev without the directive, it does: that is the attack.
TEST_F(Sandbox, RemoveIpcLeavesNothingInTheHostsShm) {
  const std::string leak = "/dev/shm/zjail-root-test-" + std::to_string(getpid());
  auto r = host("", {"touch", leak});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  EXPECT_TRUE(exists(leak)) << "without RemoveIPC= the jail shares the host's /dev/shm";
  unlink(leak.c_str());
  for (const char* lines : {"RemoveIPC=yes\n", "DynamicUser=yes\nUser=\nGroup=\n"}) {
    r = host(lines, {"touch", leak});
    EXPECT_EQ(outcome(r, "touch"), "PASS") << lines << r.dump();
    EXPECT_FALSE(exists(leak)) << lines << "left " << leak << " on the host";
    unlink(leak.c_str());
  }
}

// syslog(2) as systemd denies it, where the host lets nobody call it.
TEST_F(Sandbox, ProtectKernelLogsDeniesSyslog) {
  auto restrict = zjail_host::sysctl_long("kernel/dmesg_restrict");
  if (!restrict || *restrict != 0)
    GTEST_SKIP() << "\n*** kernel.dmesg_restrict=1: syslog(2) fails for nobody unconfined too; the filter "
                    "is shown only by init-module in ProtectKernelLogsAndModules ***";
  auto r = host("", {"syslog-size"});
  EXPECT_EQ(outcome(r, "syslog-size"), "PASS") << r.dump();
  r = host("ProtectKernelLogs=yes\n", {"syslog-size"});
  EXPECT_EQ(outcome(r, "syslog-size"), "EPERM") << r.dump();
}

// --- zjail's empty root ----------------------------------------------------------------

TEST_F(Sandbox, ReadOnlyAndReadWritePathsNarrowWhatIsBound) {
  std::string dir = writable("data");
  mkdir((dir + "/sub").c_str(), 0777);
  mkdir((dir + "/sub/deeper").c_str(), 0777);
  chmod((dir + "/sub").c_str(), 0777);
  chmod((dir + "/sub/deeper").c_str(), 0777);
  std::string rules = "Include=root-test\nBindPaths=" + dir + ":/data\nReadOnlyPaths=/data/sub\n";
  auto r = with(rules, {"touch", "/data/sub/x"});
  EXPECT_EQ(outcome(r, "touch"), "EROFS") << r.dump();
  r = with(rules, {"touch", "/data/y"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  r = with(rules + "ReadWritePaths=/data/sub/deeper\n", {"touch", "/data/sub/deeper/z"});
  EXPECT_EQ(outcome(r, "touch"), "PASS") << r.dump();
  // ProtectHome=yes hides a bound /home: the bind goes (inaccessible wins
  // on the same path, as in systemd), and zjail's root has no /home of
  // its own to make inaccessible.
  r = with("Include=root-test\nBindPaths=" + dir + ":/home\nProtectHome=yes\n", {"opendir", "/home"});
  EXPECT_EQ(outcome(r, "opendir"), "ENOENT") << r.dump();
  r = with("Include=root-test\nBindPaths=" + dir + ":/home\nProtectHome=yes\n", {"read", "/home/data"});
  EXPECT_EQ(outcome(r, "read"), "ENOENT") << r.dump();
}

// systemd.exec(5)'s example: all of /var hidden but one directory, bound
// into a read-only tmpfs.
TEST_F(Sandbox, ReadOnlyTmpfsWithABindInside) {
  auto r = with("Include=root-test\nTemporaryFileSystem=/var:ro\nBindReadOnlyPaths=/usr/share:/var/lib/share\n",
                {"opendir", "/var/lib/share"});
  EXPECT_EQ(outcome(r, "opendir"), "PASS") << r.dump();
  r = with("Include=root-test\nTemporaryFileSystem=/var:ro\nBindReadOnlyPaths=/usr/share:/var/lib/share\n", {"mounts"});
  EXPECT_TRUE(read_only(r, "/var")) << r.dump();
}

TEST_F(Sandbox, MountApiVfsOnZjailsRoot) {
  auto r = with("Include=root-test\nMountAPIVFS=yes\n", {"opendir", "/sys/kernel"});
  EXPECT_EQ(outcome(r, "opendir"), "PASS") << r.dump();
  r = with("Include=root-test\nMountAPIVFS=yes\n", {"opendir", "/run"});
  EXPECT_EQ(r.line("PASS opendir").value_or(""), "PASS opendir /run entries=0") << r.dump();
  r = with("Include=root-test\nMountAPIVFS=no\n", {"read", "/proc/self/status"});
  EXPECT_EQ(outcome(r, "read"), "ENOENT") << r.dump();
  r = jail({}, {"opendir", "/sys"});
  EXPECT_EQ(outcome(r, "opendir"), "ENOENT") << r.dump();
}

}  // namespace
}  // namespace zjail_test
