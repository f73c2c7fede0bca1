// Without user namespaces: zjail run unprivileged (as nobody) inside a user
// namespace whose user.max_user_namespaces is 0, as on a host that forbids
// them (the probe's userns-as). Each test runs the same attack there
// without zjail first, so that what zjail's fallback stops is shown to be
// possible otherwise; with namespaces allowed, the fallback must not be
// chosen.
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cstring>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr const char* kWarning = "WITHOUT NAMESPACES";

class Fallback : public RootTest {
 protected:
  void SetUp() override {
    RootTest::SetUp();
    if (IsSkipped()) return;
    if (landlock_abi() < 2)
      GTEST_SKIP() << "\n*** no Landlock path rules on this kernel (ABI " << landlock_abi()
                   << "): zjail refuses to run without namespaces, as it should ***";
    uid_ = std::to_string(nobody_uid());
    allowed_.write("allowed", "inside the profile\n");
    secret_.write("secret", "outside the profile\n");
    auto base = as_nobody("0", {kProbe, "read", secret_ / "secret"});
    if (outcome(base, "read") != "PASS")
      GTEST_SKIP() << "\n*** cannot run as nobody in a user namespace of max_user_namespaces=0 here ***\n"
                   << base.dump();
  }
  // CMD as nobody, in a user namespace whose max_user_namespaces is `max`.
  RunResult as_nobody(const std::string& max, const std::vector<std::string>& cmd) {
    std::vector<std::string> args{"userns-as", max, uid_};
    args.insert(args.end(), cmd.begin(), cmd.end());
    return unjailed(args);
  }
  // zjail with a profile of `lines`, running the probe with `probe`.
  RunResult zjail(const std::string& max, const std::string& lines, const std::vector<std::string>& probe) {
    std::string name = "fb" + std::to_string(++n_) + ".profile";
    profiles_.write(name, "[Jail]\n" + lines);
    std::vector<std::string> cmd{kZjail, "--profile", profiles_ / name, "--", kProbe};
    cmd.insert(cmd.end(), probe.begin(), probe.end());
    return as_nobody(max, cmd);
  }
  std::string confined() const {
    return "PrivateNetwork=no\nBindReadOnlyPaths=" + allowed_.path() +
           "\nSystemCallFilter=~@clock\nSystemCallErrorNumber=EPERM\n";
  }
  std::string uid_;
  TempDir allowed_, secret_, profiles_;
  int n_ = 0;
};

TEST_F(Fallback, WarnsAndRunsThePayloadWithoutNamespaces) {
  auto r = zjail("0", confined(), {"read", allowed_ / "allowed"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_EQ(outcome(r, "read"), "PASS") << r.dump();
  ASSERT_EQ(r.err_lines().size(), 1u) << "one warning line: " << r.dump();
  EXPECT_THAT(r.err, HasSubstr(kWarning));
  EXPECT_THAT(r.err, HasSubstr("Missing: the user, mount, pid, network"));
}

TEST_F(Fallback, AHostFileOutsideTheProfileIsOutOfReach) {
  auto r = zjail("0", confined(), {"read", secret_ / "secret"});
  EXPECT_EQ(outcome(r, "read"), "EACCES") << r.dump();
  EXPECT_THAT(r.err, HasSubstr(kWarning));
  // Files nobody may read anywhere: /etc/passwd, the host's /proc.
  EXPECT_EQ(outcome(as_nobody("0", {kProbe, "read", "/etc/passwd"}), "read"), "PASS");
  EXPECT_EQ(outcome(zjail("0", confined(), {"read", "/etc/passwd"}), "read"), "EACCES");
  EXPECT_EQ(outcome(zjail("0", confined(), {"read", "/proc/1/cmdline"}), "read"), "EACCES");
}

TEST_F(Fallback, SystemCallsAreFiltered) {
  auto base = as_nobody("0", {kProbe, "adjtimex"});
  ASSERT_EQ(outcome(base, "adjtimex"), "PASS") << base.dump();
  auto r = zjail("0", confined(), {"adjtimex"});
  EXPECT_EQ(outcome(r, "adjtimex"), "EPERM") << r.dump();
  EXPECT_THAT(r.err, HasSubstr(kWarning));
}

TEST_F(Fallback, ThePayloadCannotSignalZjail) {
  if (landlock_abi() < 6) GTEST_SKIP() << "\n*** no Landlock signal scope (ABI 6) on this kernel ***";
  // A shell of nobody's as the parent: only the scope stops the signal.
  auto base = as_nobody("0", {"/bin/sh", "-c", std::string(kProbe) + " signal-parent; true"});
  ASSERT_EQ(outcome(base, "signal-parent"), "PASS") << base.dump();
  auto r = zjail("0", confined(), {"signal-parent"});
  EXPECT_EQ(outcome(r, "signal-parent"), "EPERM") << r.dump();
}

// A host unix stream socket the caller can name, as its session bus is:
// without a mount namespace nothing hides it, and Landlock does not cover
// connect(), so zjail refuses the stream socket itself.
TEST_F(Fallback, TheCallersUnixSocketsAreOutOfReach) {
  TempDir dir;
  chmod(dir.path().c_str(), 0755);
  std::string path = dir / "bus";
  int l = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un a{};
  a.sun_family = AF_UNIX;
  std::strncpy(a.sun_path, path.c_str(), sizeof a.sun_path - 1);
  ASSERT_EQ(bind(l, reinterpret_cast<sockaddr*>(&a), sizeof a), 0) << std::strerror(errno);
  ASSERT_EQ(listen(l, 8), 0);
  chmod(path.c_str(), 0666);
  auto base = as_nobody("0", {kProbe, "unix-connect", path});
  EXPECT_EQ(outcome(base, "unix-connect"), "PASS") << base.dump();
  auto r = zjail("0", confined(), {"unix-connect", path});
  EXPECT_EQ(outcome(r, "unix-connect"), "EACCES") << r.dump();
  EXPECT_THAT(r.err, HasSubstr(kWarning));
  // With namespaces the mount namespace hides it instead, and streams stay.
  auto ns = zjail("100", confined(), {"unix-connect", path});
  EXPECT_EQ(outcome(ns, "unix-connect"), "ENOENT") << ns.dump();
  auto io = zjail("0", confined() + "RestrictIOUring=no\n", {"unix-connect", path});
  EXPECT_EQ(io.code, kExitFailure) << io.dump();
  EXPECT_THAT(io.err, HasSubstr("RestrictIOUring=no needs a mount namespace"));
  close(l);
}

// What Landlock has no right for: a host file's mode (owned by the caller,
// outside the profile), and the caller's own keyrings.
TEST_F(Fallback, MetadataAndKeyringsOfTheCallerAreOutOfReach) {
  std::string own = secret_ / "own";
  secret_.write("own", "the caller's\n");
  ASSERT_EQ(chown(own.c_str(), nobody_uid(), static_cast<gid_t>(-1)), 0);
  auto base = as_nobody("0", {kProbe, "chmod", own});
  EXPECT_EQ(outcome(base, "chmod"), "PASS") << base.dump();
  EXPECT_EQ(outcome(zjail("0", confined(), {"chmod", own}), "chmod"), "EPERM");
  auto keys = as_nobody("0", {kProbe, "user-keyring"});
  EXPECT_EQ(outcome(keys, "user-keyring"), "PASS") << keys.dump();
  EXPECT_EQ(outcome(zjail("0", confined(), {"user-keyring"}), "user-keyring"), "EPERM");
}

// A symlink the payload planted in a writable bind, where an optional
// nested bind's source should be: the next launch must not grant what it
// points at (the mounts refuse such a symlink; so do the rules).
TEST_F(Fallback, APlantedSymlinkSteersNoRule) {
  TempDir rw;
  ASSERT_EQ(chown(rw.path().c_str(), nobody_uid(), static_cast<gid_t>(-1)), 0);
  std::string lines = "PrivateNetwork=no\nBindPaths=" + rw.path() + "\nBindReadOnlyPaths=-" + rw.path() + "/cfg\n";
  auto plant = zjail("0", lines, {"symlink", secret_.path(), rw / "cfg"});
  ASSERT_EQ(outcome(plant, "symlink"), "PASS") << plant.dump();
  auto r = zjail("0", lines, {"read", secret_ / "secret"});
  EXPECT_NE(outcome(r, "read"), "PASS") << r.dump();
  EXPECT_EQ(r.code, kExitFailure) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("not followed")) << r.dump();
}

TEST_F(Fallback, AProfileThatNeedsNamespacesIsRefused) {
  auto net = zjail("0", "BindReadOnlyPaths=" + allowed_.path() + "\nPrivateNetwork=yes\n", {"read", "/"});
  EXPECT_EQ(net.code, kExitFailure) << net.dump();
  EXPECT_THAT(net.err, HasSubstr(":3: PrivateNetwork=yes needs a network namespace"));
  EXPECT_THAT(net.err, HasSubstr("--network host"));
  EXPECT_FALSE(net.line("PASS") || net.line("FAIL")) << "the payload ran: " << net.dump();

  auto bind = zjail("0", "PrivateNetwork=no\nBindReadOnlyPaths=" + allowed_.path() + ":/elsewhere\n", {"read", "/"});
  EXPECT_EQ(bind.code, kExitFailure) << bind.dump();
  EXPECT_THAT(bind.err, HasSubstr("-> /elsewhere"));
  EXPECT_THAT(bind.err, HasSubstr("needs a mount namespace"));
}

TEST_F(Fallback, IsNeverChosenWhereNamespacesWork) {
  auto r = zjail("100", confined(), {"read", secret_ / "secret"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.err, Not(HasSubstr(kWarning)));
  // The jail's own root: the host's directory is not there at all.
  EXPECT_EQ(outcome(r, "read"), "ENOENT") << r.dump();
}

TEST_F(Fallback, AnalyzeScoresWhatTheHostAllows) {
  std::string p = profiles_ / "an.profile";
  profiles_.write("an.profile", "[Jail]\n" + confined());
  auto with = as_nobody("100", {kZjail, "--analyze", "--json", "--profile", p});
  auto without = as_nobody("0", {kZjail, "--analyze", "--json", "--profile", p});
  EXPECT_THAT(with.out, Not(HasSubstr("without namespaces"))) << with.dump();
  EXPECT_THAT(without.out, HasSubstr("without namespaces")) << without.dump();
  EXPECT_THAT(without.out, HasSubstr("\"item\": \"PrivateUsers=\", \"setting\": \"(none)\""));
}

}  // namespace
}  // namespace zjail_test
