// Capability names and the masks profiles denote.
#include <gtest/gtest.h>
#include <linux/capability.h>

#include "zjail/caps.hpp"

namespace zjail {
namespace {

NameList list(std::vector<std::string> names, bool invert = false) {
  NameList l;
  l.is_set = true;
  l.invert = invert;
  int line = 1;
  for (auto& n : names) l.names.push_back({std::move(n), Origin{"c.profile", line++}});
  return l;
}

TEST(Caps, NamesRoundTrip) {
  EXPECT_EQ(capability_from_name("CAP_NET_BIND_SERVICE"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(capability_from_name("net_bind_service"), CAP_NET_BIND_SERVICE);
  EXPECT_EQ(capability_from_name("Cap_Sys_Admin"), CAP_SYS_ADMIN);
  EXPECT_FALSE(capability_from_name("CAP_FLY"));
  EXPECT_FALSE(capability_from_name("12"));  // numbers are not names
  for (int c = 0; c <= last_capability(); ++c) EXPECT_EQ(capability_from_name(capability_name(c)), c);
  EXPECT_EQ(capability_names().size(), static_cast<size_t>(last_capability() + 1));
}

TEST(Caps, Masks) {
  EXPECT_EQ(*capability_mask(NameList{}), 0u);  // unset: no capabilities
  EXPECT_EQ(*capability_mask(list({"CAP_CHOWN", "CAP_KILL"})), (1ULL << CAP_CHOWN) | (1ULL << CAP_KILL));
  uint64_t all = (last_capability() >= 63) ? ~0ULL : (1ULL << (last_capability() + 1)) - 1;
  EXPECT_EQ(*capability_mask(list({"CAP_SYS_ADMIN"}, true)), all & ~(1ULL << CAP_SYS_ADMIN));
}

TEST(Caps, UnknownNameNamesItsLine) {
  auto r = capability_mask(list({"CAP_KILL", "CAP_NET_BIND_SERVIC"}));
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().step, Step::Profile);
  EXPECT_EQ(r.error().context.rfind("c.profile:2: unknown capability 'CAP_NET_BIND_SERVIC'", 0), 0u)
      << r.error().context;
  EXPECT_NE(r.error().context.find("did you mean 'cap_net_bind_service'"), std::string::npos)
      << r.error().context;
}

}  // namespace
}  // namespace zjail
