// zjail --check beyond the syntax: paths looked up through the jail's own
// mount table, missing bind sources, commands the jail cannot find, and
// capabilities that cannot take effect.
#include "zjail/check.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "zjail/cgroup.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

const std::vector<std::string> kSearch = {std::string(ZJAIL_SOURCE_DIR) + "/profiles"};

Profile profile(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, "[Jail]\n" + text, "t.profile", kSearch, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  return p;
}

PlanContext root_ctx() {
  PlanContext c;
  c.cwd = "/";
  return c;
}

std::vector<CheckFinding> findings(const std::string& text, std::vector<std::string> command = {}) {
  auto f = check_profile(profile(text), command, root_ctx());
  EXPECT_TRUE(f) << f.error().message();
  return f ? *f : std::vector<CheckFinding>{};
}

bool has(const std::vector<CheckFinding>& fs, CheckFinding::Level level, const std::string& part) {
  for (const auto& f : fs)
    if (f.level == level && f.message.find(part) != std::string::npos) return true;
  return false;
}

std::string realpath_of(const std::string& p) {
  std::error_code ec;
  return std::filesystem::canonical(p, ec).string();
}

TEST(CheckView, PathsResolveThroughTheJailsMountTable) {
  auto plan = check_plan(profile("Include=base-service\n"), root_ctx());
  ASSERT_TRUE(plan) << plan.error().message();
  // /bin/sh is in the jail through the /usr (and /bin) binds, whichever way
  // this host lays them out.
  std::string sh = host_path_in_jail(*plan, "/bin/sh");
  ASSERT_FALSE(sh.empty());
  EXPECT_EQ(realpath_of(sh), realpath_of("/bin/sh"));
  EXPECT_EQ(host_path_in_jail(*plan, "/usr/bin/../bin/sh"), host_path_in_jail(*plan, "/usr/bin/sh"));
  // Not bound: the host's /etc/passwd and /home are not in the jail.
  EXPECT_EQ(host_path_in_jail(*plan, "/etc/passwd"), "");
  EXPECT_EQ(host_path_in_jail(*plan, "/home"), "");
  // zjail's own /proc and /dev are no host paths.
  EXPECT_EQ(host_path_in_jail(*plan, "/proc/self/status"), "");
  EXPECT_EQ(host_path_in_jail(*plan, "/dev/fd/0"), "");
  // A bind under another name.
  auto renamed = check_plan(profile("Include=base-service\nBindReadOnlyPaths=/etc/hostname:/opt/name\n"), root_ctx());
  ASSERT_TRUE(renamed);
  EXPECT_EQ(host_path_in_jail(*renamed, "/opt/name"), "/etc/hostname");
}

TEST(CheckFindings, MissingBindSourceIsAnErrorUnlessOptional) {
  auto f = findings("Include=base-service\nBindReadOnlyPaths=/no/such/zjail/dir\n");
  EXPECT_TRUE(has(f, CheckFinding::Level::Error, "t.profile:3: bind source /no/such/zjail/dir: No such file"));
  EXPECT_TRUE(findings("Include=base-service\nBindReadOnlyPaths=-/no/such/zjail/dir\n").empty());
}

TEST(CheckFindings, CommandsTheJailCannotFind) {
  EXPECT_TRUE(findings("Include=base-service\n", {"sh", "-c", "true"}).empty());
  auto none = findings("Include=base-service\n", {"no-such-zjail-command"});
  EXPECT_TRUE(has(none, CheckFinding::Level::Error, "no-such-zjail-command: not found in the jail's PATH"));
  // With an empty root, a dynamic executable's loader is missing.
  auto loader = findings("", {"/bin/true"});
  EXPECT_TRUE(has(loader, CheckFinding::Level::Error, "/bin/true: its interpreter /"));
  // A script whose interpreter the jail lacks.
  std::string dir = ::testing::TempDir() + "zjail-check-" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/s.sh") << "#!/no/such/interpreter -x\n";
  chmod((dir + "/s.sh").c_str(), 0755);
  auto script = findings("Include=base-service\n", {dir + "/s.sh"});
  EXPECT_TRUE(has(script, CheckFinding::Level::Error, "its interpreter /no/such/interpreter is not in the jail"));
  std::filesystem::remove_all(dir);
}

TEST(CheckFindings, CapabilitiesThatCannotTakeEffect) {
  auto host = findings("Include=network-service\nAmbientCapabilities=CAP_NET_BIND_SERVICE CAP_SYS_TIME\n");
  EXPECT_TRUE(has(host, CheckFinding::Level::Warning, "CAP_NET_BIND_SERVICE cannot take effect here"));
  EXPECT_TRUE(has(host, CheckFinding::Level::Warning, "CAP_SYS_TIME cannot take effect here"));
  // In a private network the jail's own network is the jail's to bind in.
  auto priv = findings("Include=base-service\nAmbientCapabilities=CAP_NET_BIND_SERVICE\n");
  EXPECT_FALSE(has(priv, CheckFinding::Level::Warning, "CAP_NET_BIND_SERVICE"));
}

// Limits nothing here can enforce: an error, or with EnforceLimits=best-effort
// a warning, exactly when the launch would meet the same wall.
TEST(CheckFindings, LimitsThisHostCannotEnforce) {
  Resources r;
  r.memory_max.value = 64 << 20;
  CgroupPlan here = plan_cgroup(r, probe_cgroup_environment());
  auto strict = findings("Include=base-service\nMemoryMax=64M\n");
  auto loose = findings("Include=base-service\nMemoryMax=64M\nEnforceLimits=best-effort\n");
  if (here.unenforceable.empty()) {
    EXPECT_FALSE(has(strict, CheckFinding::Level::Error, "cannot be enforced"));
    EXPECT_FALSE(has(loose, CheckFinding::Level::Warning, "cannot be enforced"));
  } else {
    EXPECT_TRUE(has(strict, CheckFinding::Level::Error, "cannot be enforced here: " + here.unenforceable));
    EXPECT_TRUE(has(loose, CheckFinding::Level::Warning, "cannot be enforced here: " + here.unenforceable));
  }
}


// Red team: profiles --check passes that the launch then refuses (exit 125,
// checked by hand as root on main: "mount tmpfs -> /data: Invalid argument
// (step: mounts)", "/nonexistent: No such file or directory (step: chdir)",
// "mount /etc/hostname -> /usr/x: Read-only file system (step: mounts)",
// "mount /etc -> /data/sub: Not a directory (step: mounts)"). --check
// promises to validate "the plan on this host"; each should be an error.
TEST(CheckFindings, PlansTheLaunchRefusesAreErrors) {
  auto any_error = [](const std::vector<CheckFinding>& fs) {
    for (const auto& f : fs)
      if (f.level == CheckFinding::Level::Error) return true;
    return false;
  };
  // A tmpfs size the kernel refuses: an error at its line already.
  Profile bad;
  auto st = load_profile_text(bad, "[Jail]\nTemporaryFileSystem=/data:size=lots\n", "t.profile", kSearch,
                              ProfileTrust::any());
  ASSERT_FALSE(st);
  EXPECT_THAT(st.error().context, HasSubstr("t.profile:2: invalid value '/data:size=lots'"))
      << st.error().message();
  // A working directory the jail does not have.
  EXPECT_TRUE(any_error(findings("Include=base-service\nWorkingDirectory=/no/such/zjail/dir\n")));
  // A mount point zjail would have to create inside a read-only bind.
  EXPECT_TRUE(any_error(findings("Include=base-service\nBindReadOnlyPaths=/etc/hostname:/usr/no-such-zjail-point\n")));
  // A directory bound beneath a file.
  EXPECT_TRUE(any_error(findings("Include=base-service\nBindReadOnlyPaths=/etc/hostname:/data\n"
                                 "BindReadOnlyPaths=/etc:/data/sub\n")));
}

// The sandbox directives: a path the jail lacks is the launch's error, so
// --check's too; what the host's own mounts keep a directive from doing is
// a warning.
TEST(CheckFindings, SandboxPathsAndDevices) {
  auto plan = check_profile(profile("Include=base-service\nReadOnlyPaths=/usr/no/such/zjail/dir\n"), {}, root_ctx());
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("t.profile:3: ReadOnlyPaths=/usr/no/such/zjail/dir: /usr/no is not in the jail"));
  EXPECT_TRUE(findings("Include=base-service\nReadOnlyPaths=-/usr/no/such/zjail/dir\n").empty());
  auto devices = findings("Include=base-service\nDeviceAllow=char-no-such-zjail-driver rw\n");
  EXPECT_TRUE(has(devices, CheckFinding::Level::Warning, "t.profile:3: DeviceAllow=char-no-such-zjail-driver names no device"));
  EXPECT_FALSE(has(findings("Include=base-service\nDeviceAllow=/dev/null rw\n"), CheckFinding::Level::Warning, "DeviceAllow"));
  // A path the host mounts noexec stays noexec: zjail cannot clear the flag.
  std::string noexec;
  std::ifstream mounts("/proc/self/mounts");
  for (std::string dev, point, type, opts; mounts >> dev >> point >> type >> opts && mounts.ignore(64, '\n');)
    if (("," + opts + ",").find(",noexec,") != std::string::npos && point.rfind("/proc", 0) != 0 &&
        point.find("\\") == std::string::npos)
      noexec = point;
  if (noexec.empty()) GTEST_SKIP() << "\n*** no noexec mount on this host to point ExecPaths= at ***";
  auto exec = findings("RootDirectory=/\nNoExecPaths=/\nExecPaths=" + noexec + "\n");
  EXPECT_TRUE(has(exec, CheckFinding::Level::Warning, "ExecPaths=" + noexec + " stays noexec")) << noexec;
}

}  // namespace
}  // namespace zjail
