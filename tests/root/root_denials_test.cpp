// Denial explanations on the real pipeline: a payload's denied call fails
// (or is killed) exactly as the profile says, and zjail names the call, the
// process and the directive with its file:line on one stderr line. And the
// attack: the payload never holds the listener that would let it answer
// its own denied calls.
#include <set>
#include <string>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

class Denials : public RootTest {
 protected:
  TempDir dir_;
  int profiles_ = 0;

  RunResult with(const std::string& lines, const std::vector<std::string>& probe, bool explain = false) {
    std::string name = "d" + std::to_string(++profiles_) + ".profile";
    dir_.write(name, "[Jail]\n" + lines);
    std::vector<std::string> args = {"--profile", kProfile, "--profile", dir_ / name, "--", kProbe};
    if (explain) args.insert(args.begin(), "--explain");
    args.insert(args.end(), probe.begin(), probe.end());
    return run(args);
  }

  // stderr lines that start with "zjail: denied ".
  static std::vector<std::string> denials(const RunResult& r) {
    std::vector<std::string> out;
    for (const auto& l : r.err_lines())
      if (l.starts_with("zjail: denied ")) out.push_back(l);
    return out;
  }
};

// base-service's allow list, @system-service (line 44), has no ptrace: the
// call fails with its SystemCallErrorNumber=EPERM.
const std::string kNotInFilter = "not in SystemCallFilter= (";
const std::string kBaseServiceLine = "base-service.profile:44)";
constexpr size_t kDenialsShownForTest = 3;  // zjail::kDenialsShown

TEST_F(Denials, ErrnoActionIsExplainedOnce) {
  auto r = with("", {"ptrace-me", "1"});
  EXPECT_EQ(r.code, 0) << r.dump();
  ASSERT_FALSE(r.lines().empty()) << r.dump();
  EXPECT_EQ(r.lines()[0], "FAIL ptrace-me errno=EPERM ptrace(PTRACE_TRACEME) x1");
  auto d = denials(r);
  ASSERT_EQ(d.size(), 1u) << r.dump();
  EXPECT_THAT(d[0], StartsWith("zjail: denied ptrace(PTRACE_TRACEME) in pid 2 (zjail_probe): " + kNotInFilter));
  EXPECT_THAT(d[0], HasSubstr("/profiles/" + kBaseServiceLine));
}

TEST_F(Denials, ErrnoOfTheProfileIsKept) {
  auto r = with("SystemCallErrorNumber=EACCES\n", {"ptrace-me", "1"});
  ASSERT_FALSE(r.lines().empty()) << r.dump();
  EXPECT_EQ(r.lines()[0], "FAIL ptrace-me errno=EACCES ptrace(PTRACE_TRACEME) x1");
  EXPECT_EQ(denials(r).size(), 1u) << r.dump();
}

// A kill is the kernel's own (no signal handler outlives it: the test
// below), which zjail does not see; the payload's death says what it was.
TEST_F(Denials, KillActionIsTheKernelsAndSaysSo) {
  auto r = with("SystemCallErrorNumber=kill\n", {"ptrace-me", "1"});
  EXPECT_EQ(r.code, 159) << r.dump();
  EXPECT_TRUE(r.lines().empty()) << r.dump();
  EXPECT_TRUE(denials(r).empty()) << r.dump();
  EXPECT_THAT(r.err, HasSubstr("zjail: payload killed by SIGSYS: a system call its seccomp filters kill for; "
                               "--explain names it\n"));
}

// --explain: zjail names the call, then kills the process itself.
TEST_F(Denials, ExplainNamesTheCallAKillIsFor) {
  auto r = with("SystemCallErrorNumber=kill\n", {"ptrace-me", "1"}, /*explain=*/true);
  EXPECT_EQ(r.code, 159) << r.dump();
  EXPECT_TRUE(r.lines().empty()) << r.dump();  // killed before it could say anything
  auto d = denials(r);
  ASSERT_EQ(d.size(), 1u) << r.dump();
  EXPECT_THAT(d[0], StartsWith("zjail: denied ptrace(PTRACE_TRACEME) in pid 2 (zjail_probe), killing it: " +
                               kNotInFilter));
  EXPECT_THAT(d[0], HasSubstr(kBaseServiceLine));
  EXPECT_THAT(r.err, HasSubstr("zjail: payload killed by SIGSYS for ptrace(PTRACE_TRACEME)\n"));
}

TEST_F(Denials, DenyListNamesTheLineThatListedTheCall) {
  // The path argument is read for the line; the call fails as the list says.
  auto r = with("SystemCallFilter=\nSystemCallFilter=~openat\nSystemCallErrorNumber=EROFS\n",
                {"open-path", "/etc/hostname"});
  ASSERT_FALSE(r.lines().empty()) << r.dump();
  EXPECT_EQ(r.lines()[0], "FAIL openat errno=EROFS openat /etc/hostname");
  auto d = denials(r);
  ASSERT_EQ(d.size(), 1u) << r.dump();
  EXPECT_EQ(d[0], "zjail: denied openat(\"/etc/hostname\") in pid 2 (zjail_probe): in SystemCallFilter=~openat (" +
                      dir_ / "d1.profile" + ":3)");
}

TEST_F(Denials, BuiltInRulesAreExplainedToo) {
  // The base filter's namespace rule holds where the allow list names
  // unshare: unshare(CLONE_NEWUSER) fails with EPERM.
  auto r = with("SystemCallFilter=unshare\n", {"unshare-user"});
  ASSERT_FALSE(r.lines().empty()) << r.dump();
  EXPECT_EQ(r.lines()[0], "FAIL unshare-user errno=EPERM unshare(CLONE_NEWUSER)");
  auto d = denials(r);
  ASSERT_EQ(d.size(), 1u) << r.dump();
  EXPECT_EQ(d[0], "zjail: denied unshare(CLONE_NEWUSER) in pid 2 (zjail_probe): built-in: no namespaces from "
                  "inside the jail");
}

TEST_F(Denials, RepeatedDenialsAreCountedNotRepeated) {
  auto r = with("", {"ptrace-me", "50"});
  ASSERT_FALSE(r.lines().empty()) << r.dump();
  EXPECT_EQ(r.lines()[0], "FAIL ptrace-me errno=EPERM ptrace(PTRACE_TRACEME) x50");
  auto d = denials(r);
  ASSERT_EQ(d.size(), 4u) << r.dump();
  for (int i = 0; i < 3; ++i) EXPECT_THAT(d[i], StartsWith("zjail: denied ptrace(PTRACE_TRACEME) in pid 2 "));
  EXPECT_THAT(d[3], StartsWith("zjail: denied ptrace 47 more times (not shown): " + kNotInFilter));
}

TEST_F(Denials, EveryTaskOfAThreadedForkingPayloadIsExplained) {
  auto r = with("", {"spread"});
  EXPECT_EQ(r.line("spread"), "spread thread=EPERM child=EPERM main=EPERM") << r.dump();
  auto d = denials(r);
  ASSERT_EQ(d.size(), 3u) << r.dump();
  std::set<std::string> pids;
  for (const auto& l : d) {
    EXPECT_THAT(l, StartsWith("zjail: denied ptrace(PTRACE_TRACEME) in pid "));
    pids.insert(l.substr(0, l.find(" (")));
  }
  EXPECT_EQ(pids.size(), 3u) << "three tasks, three pids: " << r.dump();
}

TEST_F(Denials, PayloadCannotObtainTheListener) {
  auto r = with("", {"steal-listener"});
  EXPECT_EQ(r.lines().empty() ? "" : r.lines()[0],
            "PASS steal-listener no listener among fds 0-1023 or the init's, ptrace denied EPERM")
      << r.dump();
}

TEST_F(Denials, AllowedCallsAreNotReported) {
  auto r = with("", {"hostname"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_TRUE(denials(r).empty()) << r.dump();
}

// Red team: a payload that installs a SIGUSR1 handler without SA_RESTART and
// has a second thread signal the first without pause while it makes a call
// the profile kills for. Were the kill zjail's (a notification it answers),
// the signal would interrupt the wait on the listener and the call would
// return EINTR, the process living on; the kernel's own kill action never
// returns. Each of 20 forked children tries once.
TEST_F(Denials, KillActionCannotBeDodgedByASignal) {
  auto r = with("SystemCallErrorNumber=kill\n", {"dodge-kill", "20"});
  EXPECT_EQ(r.lines().empty() ? "" : r.lines()[0], "PASS dodge-kill lived=0 killed=20") << r.dump();
}

// Red team: 2000 denied calls, each of a different number no kernel has.
// The rate limit (and the supervisor's per-call counts) must not take each
// as a new call: that is a line per call, and memory per number, without end.
TEST_F(Denials, UnknownCallNumbersShareOneRateLimit) {
  auto r = with("", {"unknown-calls", "2000"});
  EXPECT_EQ(r.line("unknown-calls"), "unknown-calls denied=2000") << r.dump();
  auto d = denials(r);
  EXPECT_LE(d.size(), kDenialsShownForTest + 1) << r.dump();
}

// Red team: the payload's comm and a path it names carry a newline, a
// carriage return and terminal escapes. zjail's line must stay one line,
// with nothing the payload wrote at the start of a line and no escape.
TEST_F(Denials, PayloadCannotForgeOrColourZjailsLines) {
  auto r = with("SystemCallFilter=~openat\n", {"inject-log"});
  EXPECT_EQ(r.line("inject-log"), "inject-log done") << r.dump();
  for (const auto& l : r.err_lines()) {
    if (l.starts_with("zjail: denied ")) continue;
    EXPECT_TRUE(l.find("payload exited") == std::string::npos && l.find("[2J") == std::string::npos &&
                l.find("SystemCallFilter") == std::string::npos)
        << "a line zjail did not write: " << l << "\n" << r.dump();
  }
  EXPECT_EQ(r.err.find_first_of("\x1b\r"), std::string::npos) << r.dump();
  EXPECT_EQ(denials(r).size(), 2u) << r.dump();
}

}  // namespace
}  // namespace zjail_test
