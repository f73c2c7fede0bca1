// A launch without namespaces (plan_fallback.cpp): what is refused, and
// the mount table as Landlock rules on the host's own paths. The root tier
// runs it on a host that refuses user namespaces
// (tests/root/root_fallback_test.cpp).
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <map>

#include "zjail/analyze.hpp"
#include "zjail/lease.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

// LANDLOCK_ACCESS_FS_*: execute, write a file, read a file, make a regular file.
constexpr uint64_t kExecute = 1ULL << 0, kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2, kMakeReg = 1ULL << 8;

Profile profile(const std::string& text) {
  Profile p;
  auto st = load_profile_text(p, "[Jail]\n" + text, "t.profile", {}, ProfileTrust::any());
  EXPECT_TRUE(st) << st.error().message();
  return p;
}

// An unprivileged caller (nobody) on a host that refused it a user namespace.
PlanContext refused(uid_t uid = 65534, gid_t gid = 65534) {
  PlanContext c;
  c.cwd = "/";
  c.invoker_uid = uid;
  c.invoker_gid = gid;
  c.user_namespace_refused = ENOSPC;
  return c;
}

std::map<std::string, uint64_t> rules(const Plan& plan) {
  std::map<std::string, uint64_t> out;
  for (const auto& r : plan.landlock.paths) out[r.path] |= r.access;
  return out;
}

class PlanFallback : public ::testing::Test {
 protected:
  void SetUp() override {
    if (landlock_abi() < 2) GTEST_SKIP() << "\n*** no Landlock path rules on this kernel (ABI 2 needed) ***";
    char tmpl[] = "/tmp/zjail-fallback-XXXXXX";
    ASSERT_TRUE(mkdtemp(tmpl));
    dir_ = tmpl;
    for (const char* d : {"a", "a/b", "a/c", "d"}) fs::create_directory(dir_ + "/" + d);
    std::ofstream(dir_ + "/f") << "x";
    fs::permissions(dir_, fs::perms::owner_all | fs::perms::group_read | fs::perms::group_exec |
                              fs::perms::others_read | fs::perms::others_exec);
  }
  void TearDown() override {
    if (!dir_.empty()) fs::remove_all(dir_);
  }
  std::string dir_;
};

TEST_F(PlanFallback, APrivateNetworkIsRefusedWithTheWayOut) {
  auto plan = check_plan(profile("BindReadOnlyPaths=/usr\n"), refused());
  ASSERT_FALSE(plan);
  EXPECT_EQ(plan.error().step, Step::Plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("PrivateNetwork=yes needs a network namespace"));
  EXPECT_THAT(plan.error().message(), HasSubstr("--network host"));
}

TEST_F(PlanFallback, ABindToAnotherTargetIsRefused) {
  auto plan = check_plan(profile("PrivateNetwork=no\nBindReadOnlyPaths=/usr:/opt/usr\n"), refused());
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("mount /usr -> /opt/usr"));
  EXPECT_THAT(plan.error().message(), HasSubstr("needs a mount namespace"));
}

TEST_F(PlanFallback, RootDirectoryAndCredentialsAreRefused) {
  auto root = check_plan(profile("PrivateNetwork=no\nRootDirectory=" + dir_ + "\n"), refused());
  ASSERT_FALSE(root);
  EXPECT_THAT(root.error().message(), HasSubstr("RootDirectory=" + dir_ + " needs a mount namespace"));
  auto creds = check_plan(profile("PrivateNetwork=no\nSetCredential=k:v\n"), refused());
  ASSERT_FALSE(creds);
  EXPECT_THAT(creds.error().message(), HasSubstr("needs a mount namespace"));
}

TEST_F(PlanFallback, RootNeverFallsBack) {
  auto plan = check_plan(profile("PrivateNetwork=no\nUser=nobody\n"), refused(0, 0));
  ASSERT_FALSE(plan);
  EXPECT_THAT(plan.error().message(), HasSubstr("root never runs a jail without namespaces"));
}

TEST_F(PlanFallback, BindsBecomeRulesOnTheHostPaths) {
  auto plan = check_plan(profile("PrivateNetwork=no\nPrivateTmp=no\nBindReadOnlyPaths=" + dir_ +
                                 "/a\nBindPaths=" + dir_ + "/d\n"),
                         refused());
  ASSERT_TRUE(plan) << plan.error().message();
  EXPECT_FALSE(plan->namespaces);
  EXPECT_EQ(plan->clone_flags, 0u);
  auto r = rules(*plan);
  ASSERT_TRUE(r.count(dir_ + "/a"));
  EXPECT_TRUE(r[dir_ + "/a"] & kReadFile);
  EXPECT_TRUE(r[dir_ + "/a"] & kExecute);
  EXPECT_FALSE(r[dir_ + "/a"] & (kWriteFile | kMakeReg));
  EXPECT_TRUE(r[dir_ + "/d"] & kWriteFile);
  // Nothing else of the tree, and nothing of /proc or /tmp.
  EXPECT_FALSE(r.count(dir_));
  EXPECT_FALSE(r.count(dir_ + "/f"));
  EXPECT_FALSE(r.count("/proc"));
  EXPECT_FALSE(r.count("/tmp"));
  // zjail's /dev: the pseudo devices, read and write, from the host.
  EXPECT_TRUE(r["/dev/null"] & kWriteFile);
  EXPECT_FALSE(r.count("/dev"));
  ASSERT_FALSE(plan->warnings.empty());
  EXPECT_THAT(plan->warnings.front(), HasSubstr("WITHOUT NAMESPACES"));
  EXPECT_THAT(plan->warnings.front(), HasSubstr("Missing: the user, mount, pid, network"));
}

// Landlock only adds rights going down a tree: a read-only or hidden path
// beneath a writable bind takes the bind's rule apart into its siblings.
TEST_F(PlanFallback, WhatIsNarrowedBeneathABindSplitsItsRule) {
  auto plan = check_plan(profile("PrivateNetwork=no\nPrivateTmp=no\nBindPaths=" + dir_ + "\nReadOnlyPaths=" +
                                 dir_ + "/a/b\nInaccessiblePaths=" + dir_ + "/d\n"),
                         refused());
  ASSERT_TRUE(plan) << plan.error().message();
  auto r = rules(*plan);
  EXPECT_FALSE(r.count(dir_)) << "the bind's own rule would reach beneath it";
  EXPECT_FALSE(r.count(dir_ + "/a"));
  EXPECT_FALSE(r.count(dir_ + "/d"));
  EXPECT_TRUE(r[dir_ + "/f"] & kWriteFile);
  EXPECT_TRUE(r[dir_ + "/a/c"] & kWriteFile);
  ASSERT_TRUE(r.count(dir_ + "/a/b"));
  EXPECT_TRUE(r[dir_ + "/a/b"] & kReadFile);
  EXPECT_FALSE(r[dir_ + "/a/b"] & (kWriteFile | kMakeReg));
}

TEST_F(PlanFallback, APrivateTmpIsATmpdirOfTheLaunchsOwn) {
  HostLease lease;
  PlanContext c = refused(getuid(), getgid());
  if (getuid() == 0) c = refused();
  c.lease = &lease;
  c.private_tmp_base = dir_;
  fs::permissions(dir_, fs::perms::all);
  auto plan = build_plan(profile("PrivateNetwork=no\nBindReadOnlyPaths=/usr\n"), {"/bin/true"}, c);
  ASSERT_TRUE(plan) << plan.error().message();
  std::string tmpdir;
  for (const auto& e : plan->envp_storage)
    if (e.starts_with("TMPDIR=")) tmpdir = e.substr(7);
  ASSERT_THAT(tmpdir, HasSubstr(dir_ + "/zjail-tmp-"));
  struct stat st{};
  ASSERT_EQ(stat(tmpdir.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(rules(*plan)[tmpdir] & kWriteFile);
  EXPECT_FALSE(rules(*plan).count("/tmp"));
  std::ofstream(tmpdir + "/left") << "behind";
  EXPECT_TRUE(lease.release().empty());
  EXPECT_FALSE(fs::exists(tmpdir));
}

TEST_F(PlanFallback, AnalyzeScoresWhatIsLost) {
  Profile p = profile("PrivateNetwork=no\nBindReadOnlyPaths=/usr\n");
  auto with = analyze(&p, nullptr, false);
  auto without = analyze(&p, nullptr, true);
  ASSERT_TRUE(with && without);
  EXPECT_GT(without->score, with->score);
  auto item = [](const Analysis& a, const std::string& name) {
    return *std::find_if(a.items.begin(), a.items.end(), [&](const AnalysisItem& i) { return i.item == name; });
  };
  EXPECT_EQ(item(*without, "PrivateUsers=").exposure, 1);
  EXPECT_EQ(item(*without, "PrivateIPC=").exposure, 1);
  EXPECT_EQ(item(*with, "PrivateIPC=").exposure, 0);
  EXPECT_THAT(without->notes.back(), HasSubstr("without namespaces"));
}

}  // namespace
}  // namespace zjail
