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

}  // namespace
}  // namespace zjail
