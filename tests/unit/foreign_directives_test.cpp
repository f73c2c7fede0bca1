// systemd's directive names that zjail does not take: each is refused with
// what to do instead, never as a typo, and none shadows a zjail directive.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <set>
#include <string>

#include "../../jail/src/foreign_directives.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

std::string error_of(std::string_view key, std::string_view value) {
  Profile p;
  auto st = apply_directive(p, key, value, Origin{"t.profile", 3});
  return st ? "" : st.error().message();
}

TEST(ForeignDirectives, RefusedWithWhatToDoInstead) {
  EXPECT_EQ(error_of("ExecStart", "/usr/sbin/nginx"),
            "t.profile:3: ExecStart= is systemd's, not supported by zjail: the command is zjail's own argument: "
            "ExecStart=zjail --profile NAME COMMAND, in the unit");
  EXPECT_THAT(error_of("Restart", "on-failure"), HasSubstr("keep it in the unit"));
  EXPECT_THAT(error_of("StandardOutput", "journal"), HasSubstr("standard streams"));
  EXPECT_THAT(error_of("NUMAPolicy", "local"), HasSubstr("inherit"));
  // CPUAffinity= is a profile's (directives_security.cpp), not a foreign name.
  EXPECT_EQ(error_of("CPUAffinity", "0"), "");
  EXPECT_THAT(error_of("RootImage", "/srv/img.raw"), HasSubstr("RootDirectory="));
  EXPECT_THAT(error_of("AppArmorProfile", "x"), HasSubstr("not supported by zjail"));
  // A name that is neither zjail's nor systemd's is still a typo.
  EXPECT_THAT(error_of("Usr", "nobody"), HasSubstr("unknown directive 'Usr' (did you mean 'User'?)"));
}

TEST(ForeignDirectives, NoneIsAlsoAZjailDirective) {
  std::set<std::string> seen;
  for (auto name : foreign_directive_names()) {
    EXPECT_TRUE(seen.insert(std::string(name)).second) << name << " is listed twice";
    std::string err = error_of(name, "");
    EXPECT_THAT(err, HasSubstr("is systemd's, not supported by zjail")) << name << " is a zjail directive now: "
                                                                      << "take it out of foreign_directives.cpp";
  }
}

}  // namespace
}  // namespace zjail
