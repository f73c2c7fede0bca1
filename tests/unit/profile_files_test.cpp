// profile-trust: the loader reads a profile, its Include= targets, drop-in
// directories and drop-ins only as its ProfileTrust allows, and never blocks
// on a FIFO. The trees live under /tmp and belong to whoever runs the tests,
// so the checking policy here trusts that uid (root's own when run as root);
// refusing someone else's file needs root and is skipped without it.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <functional>

#include "zjail/parser.hpp"
#include "test_io.hpp"

namespace zjail {
namespace {

namespace fs = std::filesystem;

class ProfileTrustTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zjail-ptrust-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    chmod(root_.c_str(), 0755);
  }
  void TearDown() override { fs::remove_all(root_); }

  std::string dir(const std::string& rel, mode_t mode = 0755) {
    std::string p = root_ + "/" + rel;
    fs::create_directories(p);
    chmod(p.c_str(), mode);
    return p;
  }
  std::string write(const std::string& rel, const std::string& text, mode_t mode = 0644) {
    std::string p = root_ + "/" + rel;
    std::ofstream(p) << text;
    chmod(p.c_str(), mode);
    return p;
  }
  // Files of root's or of the uid running the test; /tmp may be crossed.
  static ProfileTrust checked() {
    ProfileTrust t = ProfileTrust::root_only();
    t.rule.owner = geteuid();
    t.rule.cross_sticky = true;
    return t;
  }
  Status load(Profile& p, const std::string& path, const ProfileTrust& t = checked(),
              const std::vector<std::string>& search = {}) {
    return load_profile(p, path, search, t);
  }
  std::string error_of(const std::string& path, const ProfileTrust& t = checked(),
                       const std::vector<std::string>& search = {}) {
    Profile p;
    auto st = load(p, path, t, search);
    if (st) return "loaded";
    EXPECT_EQ(st.error().step, Step::Profile);
    return st.error().message();
  }

  std::string root_;
};

constexpr const char* kPerm = ": Operation not permitted";

TEST_F(ProfileTrustTest, ATrustedTreeLoads) {
  dir("p");
  dir("p/app.profile.d");
  dir("etc/app.profile.d");
  std::string top = write("p/app.profile", "[Jail]\nInclude=base\nUser=app\n");
  write("p/base.profile", "[Jail]\nHostname=base\n");
  write("p/app.profile.d/10-user.conf", "[Jail]\nUser=dropin\n");
  write("p/app.profile.d/20-host.conf", "[Jail]\nHostname=masked\n");
  // A root-made /dev/null link masks a drop-in under the checks too.
  fs::create_symlink("/dev/null", root_ + "/etc/app.profile.d/20-host.conf");
  Profile p;
  auto st = load(p, top, checked(), {root_ + "/etc"});
  ASSERT_TRUE(st) << st.error().message();
  EXPECT_EQ(*p.user.value, "dropin");
  EXPECT_EQ(*p.hostname.value, "base");
}

// The attack of the finding: a jailed user who may write to the drop-in
// directory adds BindPaths=/:/host to every jailed session.
TEST_F(ProfileTrustTest, AGroupWritableDropInDirectoryIsRefused) {
  dir("p");
  std::string top = write("p/app.profile", "[Jail]\nUser=app\n");
  std::string d = dir("p/app.profile.d", 0775);
  write("p/app.profile.d/50-escape.conf", "[Jail]\nBindPaths=/:/host\nPrivateNetwork=no\n");
  EXPECT_EQ(error_of(top), "drop-in directory " + d + " is writable by group or others (mode 0775)" + kPerm);
  chmod(d.c_str(), 01777);
  EXPECT_EQ(error_of(top), "drop-in directory " + d + " is writable by group or others (mode 1777)" + kPerm)
      << "a sticky drop-in directory still lets others add drop-ins";
  chmod(d.c_str(), 0755);
  EXPECT_EQ(error_of(top), "loaded");
  // Without checks (ProfileTrust::any(), for tests and tools) it is read.
  chmod(d.c_str(), 0777);
  EXPECT_EQ(error_of(top, ProfileTrust::any()), "loaded");
}

TEST_F(ProfileTrustTest, DropInsIncludesAndTheDirectoriesAboveAreChecked) {
  dir("p");
  dir("p/app.profile.d");
  std::string top = write("p/app.profile", "[Jail]\nInclude=./inc.conf\n");
  std::string inc = write("p/inc.conf", "[Jail]\nUser=inc\n", 0666);
  EXPECT_EQ(error_of(top), top + ":2: Include=" + inc + " is writable by group or others (mode 0666)" + kPerm);
  chmod(inc.c_str(), 0644);
  std::string drop = write("p/app.profile.d/10.conf", "[Jail]\nUser=drop\n", 0664);
  EXPECT_EQ(error_of(top), "drop-in " + drop + " is writable by group or others (mode 0664)" + kPerm);
  chmod(drop.c_str(), 0644);
  EXPECT_EQ(error_of(top), "loaded");
  // A directory on the way is as good as the file: others could swap it.
  std::string p = root_ + "/p";
  chmod(p.c_str(), 0777);
  EXPECT_EQ(error_of(top), "profile " + top + ": " + p + " is writable by group or others (mode 0777)" + kPerm);
  // The drop-in directory of a search-path directory others may write to.
  chmod(p.c_str(), 0755);
  std::string sp = dir("sp", 0775);
  EXPECT_EQ(error_of(top, checked(), {sp}),
            "drop-in directory " + sp + "/app.profile.d: " + sp + " is writable by group or others (mode 0775)" + kPerm)
      << "refused even though that drop-in directory does not exist yet: others could create it";
}

TEST_F(ProfileTrustTest, AStickyDirectoryIsCrossedOnlyToADirectory) {
  dir("tmp", 01777);
  dir("tmp/private");
  std::string inside = write("tmp/private/a.profile", "[Jail]\nUser=a\n");
  std::string loose = write("tmp/b.profile", "[Jail]\nUser=b\n");
  EXPECT_EQ(error_of(inside), "loaded");
  EXPECT_EQ(error_of(loose),
            "profile " + loose + " lies directly in a directory others may write to (a sticky one is trusted only on the way to a directory of its own)" + kPerm);
  // Without the crossing (pam_zjail's rule), /tmp itself is refused.
  ProfileTrust strict = checked();
  strict.rule.cross_sticky = false;
  EXPECT_EQ(error_of(inside, strict),
            "profile " + inside + ": /tmp is writable by group or others (mode 1777)" + kPerm);
}

TEST_F(ProfileTrustTest, FilesOfOtherUsersAreRefused) {
  if (geteuid() != 0) GTEST_SKIP() << "needs root to give a file to another uid";
  dir("p");
  dir("p/app.profile.d");
  std::string top = write("p/app.profile", "[Jail]\nUser=app\n");
  std::string drop = write("p/app.profile.d/10.conf", "[Jail]\nUser=drop\n");
  ASSERT_EQ(chown(drop.c_str(), 4242, 4242), 0);
  EXPECT_EQ(error_of(top, checked()), "drop-in " + drop + " is owned by uid 4242, not root" + kPerm);
  ASSERT_EQ(chown(drop.c_str(), 0, 0), 0);
  ASSERT_EQ(chown(top.c_str(), 4242, 4242), 0);
  auto t = caller_profile_trust(0, nullptr);
  ASSERT_TRUE(t);
  EXPECT_EQ(error_of(top, *t), "profile " + top + " is owned by uid 4242, not root" + t->hint + kPerm);
  // ZJAIL_PROFILE_OWNER=4242: that user's files are trusted too.
  t = caller_profile_trust(0, "4242");
  ASSERT_TRUE(t);
  EXPECT_EQ(error_of(top, *t), "loaded");
}

TEST_F(ProfileTrustTest, TheCallersPolicy) {
  auto user = caller_profile_trust(1000, "root");
  ASSERT_TRUE(user);
  EXPECT_TRUE(user->check) << "no other local user may loosen an unprivileged caller's jail";
  EXPECT_EQ(user->rule.owner, 1000u) << "the caller's own files, not ZJAIL_PROFILE_OWNER's";
  EXPECT_TRUE(user->rule.cross_sticky);
  auto root = caller_profile_trust(0, nullptr);
  ASSERT_TRUE(root);
  EXPECT_TRUE(root->check);
  EXPECT_EQ(root->rule.owner, 0u);
  EXPECT_TRUE(root->rule.cross_sticky);
  auto empty = caller_profile_trust(0, "");
  ASSERT_TRUE(empty);
  EXPECT_EQ(empty->rule.owner, 0u);
  auto named = caller_profile_trust(0, "root");
  ASSERT_TRUE(named);
  EXPECT_EQ(named->rule.owner, 0u);
  auto unknown = caller_profile_trust(0, "zjail-no-such-user");
  ASSERT_FALSE(unknown);
  EXPECT_EQ(unknown.error().message(), "ZJAIL_PROFILE_OWNER: unknown user 'zjail-no-such-user'");
}

// Red team: an unprivileged caller's own jail is still a sandbox for code
// the caller does not trust, and other local users must not loosen it. With
// no checks at all, a profile loaded from a directory others may write to
// (such as /tmp itself) takes their drop-ins and sibling includes: on main,
// `zjail -p /tmp/app.profile` run as nobody got PrivateNetwork=no from
// /tmp/app.profile.d/zz-evil.conf written by daemon, and the jail saw eth0.
TEST_F(ProfileTrustTest, OtherUsersCannotLoosenAnUnprivilegedCallersJail) {
  uid_t caller = geteuid() == 0 ? 4242 : geteuid();
  auto t = caller_profile_trust(caller, nullptr);
  ASSERT_TRUE(t);
  dir("shared", 01777);  // a /tmp
  std::string top = write("shared/app.profile", "[Jail]\nPrivateNetwork=yes\n");
  dir("shared/app.profile.d", 0777);  // made there by anyone
  write("shared/app.profile.d/zz-evil.conf", "[Jail]\nPrivateNetwork=no\n", 0666);
  EXPECT_NE(error_of(top, *t), "loaded") << "another user's drop-in opened the caller's private network";
  fs::remove_all(root_ + "/shared/app.profile.d");
  // Include=NAME not on the search path falls back to the including file's
  // directory, where anyone may have put NAME.profile.
  std::string inc = write("shared/inc.profile", "[Jail]\nInclude=base\nPrivateNetwork=yes\n");
  write("shared/base.profile", "[Jail]\nBindPaths=/:/host\n", 0666);
  EXPECT_NE(error_of(inc, *t), "loaded") << "another user's base.profile bound / into the caller's jail";
}

// Runs `fn` in a child with a deadline: a loader that blocks on a FIFO is a
// test that fails, not one that hangs.
std::string within_seconds(unsigned seconds, const std::function<std::string()>& fn) {
  int pipefd[2];
  if (pipe(pipefd) != 0) return "pipe failed";
  pid_t pid = fork();
  if (pid == 0) {
    close(pipefd[0]);
    alarm(seconds);
    std::string out = fn();
    ssize_t n = ::write(pipefd[1], out.data(), out.size());
    _exit(n == static_cast<ssize_t>(out.size()) ? 0 : 1);
  }
  close(pipefd[1]);
  std::string out = zjail_test_io::read_to_eof(pipefd[0]);
  int status = 0;
  waitpid(pid, &status, 0);
  if (WIFSIGNALED(status)) return "killed by signal " + std::to_string(WTERMSIG(status)) + " (blocked?)";
  return out;
}

TEST_F(ProfileTrustTest, AFifoOrADeviceIsRefusedWithoutBlocking) {
  dir("p");
  dir("p/app.profile.d");
  std::string top = write("p/app.profile", "[Jail]\nUser=app\n");
  std::string fifo = root_ + "/p/app.profile.d/50.conf";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0644), 0);
  for (const auto& t : {ProfileTrust::any(), checked()}) {
    EXPECT_EQ(within_seconds(10, [&] { return error_of(top, t); }),
              "drop-in " + fifo + " is a FIFO, not a regular file: Invalid argument");
  }
  unlink(fifo.c_str());
  // As the profile itself, and as an Include= target.
  std::string pf = root_ + "/p/fifo.profile";
  ASSERT_EQ(mkfifo(pf.c_str(), 0644), 0);
  EXPECT_EQ(within_seconds(10, [&] { return error_of(pf); }),
            "profile " + pf + " is a FIFO, not a regular file: Invalid argument");
  std::string inc = write("p/inc.profile", "[Jail]\nInclude=./fifo.profile\n");
  EXPECT_EQ(within_seconds(10, [&] { return error_of(inc, ProfileTrust::any()); }),
            inc + ":2: Include=" + pf + " is a FIFO, not a regular file: Invalid argument");
  // /dev/null masks; any other device is refused before it is opened.
  fs::create_symlink("/dev/zero", root_ + "/p/app.profile.d/60.conf");
  EXPECT_EQ(within_seconds(10, [&] { return error_of(top, ProfileTrust::any()); }),
            "drop-in " + root_ + "/p/app.profile.d/60.conf is a character device, not a regular file: "
            "Invalid argument");
}

}  // namespace
}  // namespace zjail
