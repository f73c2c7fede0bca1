// The command line's verbs: `zjail check|show|analyze|list-profiles|
// syscall-groups` as the first argument mean what their flags mean; anywhere
// else, or after `--`, a word like them is the payload.
#include <sys/stat.h>
#include <sys/wait.h>

#include <cstdio>

#include "harness.hpp"

namespace zjail_test {
namespace {

using ::testing::HasSubstr;
using Verbs = RootTest;

TEST_F(Verbs, EachVerbIsItsFlag) {
  for (const char* verb : {"check", "show", "analyze", "list-profiles"}) {
    std::vector<std::string> tail = {"--profile", kProfile};
    if (std::string(verb) == "list-profiles") tail.clear();
    std::vector<std::string> as_verb = {verb}, as_flag = {std::string("--") + verb};
    as_verb.insert(as_verb.end(), tail.begin(), tail.end());
    as_flag.insert(as_flag.end(), tail.begin(), tail.end());
    auto v = run(as_verb), f = run(as_flag);
    EXPECT_EQ(v.code, f.code) << verb << "\n" << v.dump() << f.dump();
    EXPECT_EQ(v.out, f.out) << verb;
    EXPECT_EQ(v.err, f.err) << verb;
    EXPECT_FALSE(v.out.empty() && v.err.empty()) << verb << " printed nothing";
  }
}

// --show ends with what this kernel's Landlock leaves out, as a comment,
// so that the profile lines above stay the same on every host.
TEST_F(Verbs, ShowSaysWhatLandlockAppliesHere) {
  auto r = run({"--show", "--profile", kProfile});
  ASSERT_EQ(r.code, 0) << r.dump();
  int abi = landlock_abi();
  std::string want = "# Landlock on this kernel: ABI " + std::to_string(abi) + ", ";
  EXPECT_THAT(r.out, HasSubstr(want + (abi >= 6 ? "all of it applies\n" : "not applied:\n"))) << r.dump();
}

TEST_F(Verbs, SyscallGroupsListsWhatAGroupHolds) {
  auto r = run({"syscall-groups", "@mount"});
  EXPECT_EQ(r.code, 0) << r.dump();
  EXPECT_THAT(r.out, HasSubstr("@mount\n"));
  EXPECT_THAT(r.out, HasSubstr("    pivot_root\n"));
  EXPECT_EQ(r.out.find("@system-service"), std::string::npos) << "only the group asked for";
  auto all = run({"syscall-groups"});
  EXPECT_EQ(all.code, 0) << all.dump();
  EXPECT_THAT(all.out, HasSubstr("@system-service\n"));
  auto bad = run({"syscall-groups", "@sytem-service"});
  EXPECT_EQ(bad.code, kExitFailure) << bad.dump();
  EXPECT_THAT(bad.err, HasSubstr("unknown syscall group '@sytem-service' (did you mean '@system-service'?)"));
}

// A name from outside (a profile's file name, a command, a bind source) is
// quoted with its control characters escaped wherever zjail prints it:
// --show's comments (where a newline would write a directive of its own
// into output that admins reuse as a profile), --analyze's header,
// --check's findings and the -vvv log.
TEST_F(Verbs, NamesFromOutsideStayOnTheirLine) {
  TempDir d;
  const std::string name = "b\nNoNewPrivileges=no\n#.profile";
  d.write(name, "[Jail]\nInclude=" + std::string(kProfile) + "\nHostname=x\n");
  auto show = run({"--show", "--profile", d / name});
  ASSERT_EQ(show.code, 0) << show.dump();
  EXPECT_EQ(show.out.find("\nNoNewPrivileges=no\n"), std::string::npos) << show.dump();
  EXPECT_THAT(show.out, HasSubstr("b\\x0aNoNewPrivileges=no\\x0a#.profile:3")) << show.dump();
  auto analyze = run({"--analyze", "--profile", d / name});
  EXPECT_THAT(analyze.out, HasSubstr("b\\x0aNoNewPrivileges=no\\x0a#.profile")) << analyze.dump();
  EXPECT_EQ(analyze.out.find("\nNoNewPrivileges=no"), std::string::npos) << analyze.dump();
  auto check = run({"--check", "--profile", kProfile, "--", "nocmd\nFAKE\x1b[31m"});
  EXPECT_THAT(check.err, HasSubstr("nocmd\\x0aFAKE\\x1b[31m")) << check.dump();
  EXPECT_EQ(check.err.find('\x1b'), std::string::npos) << check.dump();
  TempDir src;
  const std::string odd = src / "d\x1b[31m";
  ASSERT_EQ(mkdir(odd.c_str(), 0755), 0);
  auto log = run({"-vvv", "--profile", kProfile, "--ro-bind", odd + ":/mnt", "--", kProbe, "exit", "0"});
  EXPECT_EQ(log.code, 0) << log.dump();
  EXPECT_THAT(log.err, HasSubstr("d\\x1b[31m")) << log.dump();
  EXPECT_EQ(log.err.find('\x1b'), std::string::npos) << log.dump();
}

// Only the first argument is a verb: after "--" (or after an option) "check"
// is a command, looked up in the jail's PATH like any other (and not found).
TEST_F(Verbs, APayloadNamedLikeAVerbRunsAfterDashDash) {
  auto r = run({"--profile", kProfile, "--", "check"});
  EXPECT_EQ(r.code, 127) << r.dump();
  auto after = run({"--profile", kProfile, "check"});
  EXPECT_EQ(after.code, 127) << after.dump();
}

// What zjail prints is its result: when it cannot be written (a full disk,
// here /dev/full), zjail fails with a line saying so instead of exiting 0
// with the output lost.
TEST_F(Verbs, OutputThatCannotBeWrittenIsAFailure) {
  for (std::string args : {"--show --profile " + std::string(kProfile), std::string("list-profiles"),
                           std::string("syscall-groups")}) {
    std::string cmd = std::string("ZJAIL_PROFILE_PATH=") + ZJAIL_TEST_PROFILE_PATH + " " + kZjail + " " + args +
                      " 2>&1 >/dev/full";
    FILE* p = popen(cmd.c_str(), "r");
    ASSERT_NE(p, nullptr);
    std::string err;
    char buf[512];
    while (size_t n = fread(buf, 1, sizeof buf, p)) err.append(buf, n);
    int status = pclose(p);
    ASSERT_TRUE(WIFEXITED(status)) << args;
    EXPECT_EQ(WEXITSTATUS(status), kExitFailure) << args << ": " << err;
    // The errno when the last flush failed; a write that failed earlier in a
    // long output left no errno to report.
    EXPECT_THAT(err, ::testing::AnyOf(HasSubstr("zjail: writing to stdout: No space left on device\n"),
                                      HasSubstr("zjail: writing to stdout: some of the output was lost\n")))
        << args;
  }
  // The same output to a file that takes it: 0.
  auto ok = run({"--show", "--profile", kProfile});
  EXPECT_EQ(ok.code, 0) << ok.dump();
}

}  // namespace
}  // namespace zjail_test
