// Red team: lines above an Include= that the include still overrides without
// an error. check_include_overrides() compares directive names, so an
// include that reaches the same jail setting through another entry of a
// growing list (a bind on the same target), or through another directive
// (BindPaths= over BindReadOnlyPaths=, BindPaths=/tmp over PrivateTmp=yes,
// UnsetEnvironment=/PassEnvironment= over Environment=), wins silently.
// Each case is the same mistake ParserTest's IncludeMayNotOverrideLinesAboveIt
// refuses for PrivateNetwork=: the reader sees the line, the include decides.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

namespace fs = std::filesystem;

class IncludeOverride : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/zjail-incover-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
  }
  void TearDown() override { fs::remove_all(dir_); }

  // `above` on line 2 of t.profile, then Include=lib on line 3; lib.profile holds `lib`.
  Status load(Profile& p, const std::string& above, const std::string& lib) {
    std::ofstream(dir_ + "/lib.profile") << "[Jail]\n" << lib << "\n";
    return load_profile_text(p, "[Jail]\n" + above + "\nInclude=lib\n", "t.profile", {dir_}, ProfileTrust::any());
  }
  // The load must fail the way IncludeMayNotOverrideLinesAboveIt shows for
  // PrivateNetwork=: naming line 2 and the Include= on line 3.
  void expect_refused(const std::string& above, const std::string& lib, const std::string& why) {
    Profile p;
    auto st = load(p, above, lib);
    ASSERT_FALSE(st) << "'" << above << "' above Include=lib holding '" << lib << "' loaded without an error: " << why;
    EXPECT_EQ(st.error().message().rfind("t.profile:2: ", 0), 0u) << st.error().message();
    EXPECT_THAT(st.error().message(), HasSubstr("overridden by the Include= on line 3"))
        << st.error().message();
  }

  std::string dir_;
};

// Where two binds share a target, the later one is mounted on top (the
// mount table keeps their order): the include's. On main, a jail of the
// first case wrote into /data as nobody (mountinfo: the ro bind under a rw
// one on /data).
TEST_F(IncludeOverride, ABindOnTheSameTargetReplacesTheOneAbove) {
  expect_refused("BindReadOnlyPaths=/usr/share/doc:/data", "BindPaths=/usr/share/doc:/data",
                 "/data becomes writable");
  expect_refused("BindReadOnlyPaths=/usr/share/doc:/data", "BindReadOnlyPaths=/:/data",
                 "/data becomes the host's root");
}

// PrivateTmp=yes above, and the include binds the host's /tmp: zjail skips
// the private /tmp for a bind on /tmp, so the jail shares the host's (on
// main, `ls /tmp` in the jail listed the host's).
TEST_F(IncludeOverride, ABindOfTmpUndoesPrivateTmpAbove) {
  expect_refused("PrivateTmp=yes", "BindPaths=/tmp", "the jail's /tmp is the host's");
}

// Environment= is an ordered list (an include below it is refused), but
// UnsetEnvironment= and PassEnvironment= apply after every Environment= line
// whatever their order, so an include using them wins over the line above.
TEST_F(IncludeOverride, UnsetOrPassEnvironmentUndoesEnvironmentAbove) {
  expect_refused("Environment=MODE=safe", "UnsetEnvironment=MODE", "MODE is unset");
  expect_refused("Environment=PATH=/usr/bin", "PassEnvironment=PATH", "PATH comes from the caller");
}

}  // namespace
}  // namespace zjail
