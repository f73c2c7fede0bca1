#include <gtest/gtest.h>

#include <cerrno>
#include <set>
#include <string>

#include "zjail/result.hpp"

namespace zjail {
namespace {

TEST(Result, MessagesNameTheStepAndErrno) {
  Error e = make_error(Step::Mounts, ENOENT, "mount /var/lib/echo -> /var/lib/echo");
  EXPECT_EQ(e.message(), "mount /var/lib/echo -> /var/lib/echo: No such file or directory (step: mounts)");
  EXPECT_EQ(e.detail(), "mount /var/lib/echo -> /var/lib/echo: No such file or directory");
  Error p = make_error(Step::Profile, 0, "a.profile:3: unknown directive 'Usr'");
  EXPECT_EQ(p.message(), "a.profile:3: unknown directive 'Usr'");
}

// Paths and values come from outside; an error stays one line whatever
// they hold, with the context, the errno and the trail all escaped.
TEST(Result, MessagesStayOnOneLine) {
  Error e = make_error(Step::Mounts, ENOENT, "mount /srv/a\nzjail: forged\x1b[2J");
  e.trail = "(included from /etc/x\r.profile:2)";
  EXPECT_EQ(e.message(),
            "mount /srv/a\\x0azjail: forged\\x1b[2J: No such file or directory (included from "
            "/etc/x\\x0d.profile:2) (step: mounts)");
  EXPECT_EQ(e.detail().find('\n'), std::string::npos);
}

TEST(Result, EveryStepHasADistinctName) {
  std::set<std::string> names;
  for (int s = 0; s < static_cast<int>(Step::Count_); ++s) {
    std::string n = step_name(static_cast<Step>(s));
    EXPECT_NE(n, "unknown") << s;
    EXPECT_TRUE(names.insert(n).second) << n;
  }
}

TEST(Result, ValueAndErrorPropagate) {
  auto f = [](bool fail) -> Result<int> {
    if (fail) return make_error(Step::Plan, EINVAL, "x");
    return 42;
  };
  auto g = [&](bool fail) -> Status {
    ZJAIL_TRY(f(fail));
    return {};
  };
  EXPECT_EQ(*f(false), 42);
  EXPECT_TRUE(g(false));
  Status s = g(true);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().err, EINVAL);
}

TEST(Result, TryAssignTakesTheValueOrReturnsTheError) {
  auto f = [](bool fail) -> Result<std::string> {
    if (fail) return make_error(Step::Plan, EINVAL, "x");
    return std::string("value");
  };
  auto g = [&](bool fail) -> Result<size_t> {
    ZJAIL_TRY_ASSIGN(std::string s, f(fail));
    return s.size();
  };
  EXPECT_EQ(*g(false), 5u);
  auto r = g(true);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().err, EINVAL);
}

TEST(Result, WrapAddsContextAndKeepsTheErrno) {
  Error e = make_error(Step::Profile, ENOENT, "/etc/zjail/profiles/x.profile").wrap("pam.conf:3");
  EXPECT_EQ(e.err, ENOENT);
  EXPECT_EQ(e.step, Step::Profile);
  // One strerror, not one per layer.
  EXPECT_EQ(e.message(), "pam.conf:3: /etc/zjail/profiles/x.profile: No such file or directory");
  Error moved = make_error(Step::CheckPaths, EACCES, "/srv").wrap(Step::OpenSources, "mount /srv -> /srv (a:1)");
  EXPECT_EQ(moved.step, Step::OpenSources);
  EXPECT_EQ(moved.message(), "mount /srv -> /srv (a:1): /srv: Permission denied (step: open-sources)");
  EXPECT_EQ(make_error(Step::Plan, 0, "x").wrap("").context, "x");
}

TEST(Result, ExitCodesFollowEnv) {
  EXPECT_EQ(exit_code(Step::Exec, ENOENT), 127);
  EXPECT_EQ(exit_code(Step::ResolveCommand, ENOENT), 127);
  EXPECT_EQ(exit_code(Step::Exec, EACCES), 126);
  EXPECT_EQ(exit_code(Step::ResolveCommand, 0), 125);  // "no command given"
  EXPECT_EQ(exit_code(Step::Mounts, ENOENT), 125);
  EXPECT_EQ(exit_code(Step::Profile, 0), 125);
}

// A misused Result is a bug: it must end the process, never throw (an
// exception would unwind through pam_zjail's C boundary into sshd).
TEST(ResultDeathTest, ValueOfAnErrorAbortsInsteadOfThrowing) {
  GTEST_FLAG_SET(death_test_style, "threadsafe");
  Result<int> bad = make_error(Step::Plan, EINVAL, "x");
  static_assert(noexcept(bad.value()) && noexcept(*bad) && noexcept(bad.error()));
  EXPECT_DEATH((void)bad.value(), "");
  Result<int> good = 1;
  EXPECT_DEATH((void)good.error(), "");
  Status fine;
  EXPECT_DEATH((void)fine.error(), "");
}

}  // namespace
}  // namespace zjail
