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
  // The same words as the parser's message for the same mistake.
  EXPECT_EQ(r.error().context, "c.profile:2: unknown capability 'CAP_NET_BIND_SERVIC' "
                               "(did you mean 'CAP_NET_BIND_SERVICE'?)");
  // The prefix is optional in the suggestion's probe too.
  auto bare = capability_mask(list({"net_admn"}));
  ASSERT_FALSE(bare);
  EXPECT_EQ(bare.error().context, "c.profile:1: unknown capability 'net_admn' (did you mean 'CAP_NET_ADMIN'?)");
  auto far = capability_mask(list({"CAP_FROBNICATE"}, true));  // inverted lists are checked too
  ASSERT_FALSE(far);
  EXPECT_EQ(far.error().context, "c.profile:1: unknown capability 'CAP_FROBNICATE'");
}

TEST(Caps, KnowsWhatTheKernelKnows) {
  // The running kernel's count, not the headers' CAP_LAST_CAP; any kernel
  // zjail runs on has at least CAP_AUDIT_READ (3.16).
  EXPECT_GE(last_capability(), CAP_AUDIT_READ);
  EXPECT_EQ(capability_names().back(), capability_name(last_capability()));
  EXPECT_EQ(capability_name(CAP_NET_BIND_SERVICE), "cap_net_bind_service");
  EXPECT_FALSE(capability_from_name(""));
  EXPECT_FALSE(capability_from_name("cap_"));
  EXPECT_FALSE(capability_from_name("all"));  // cap_from_text's word, not a capability
  // An empty, set list is the empty set; inverted, it is everything.
  NameList none = list({});
  EXPECT_EQ(*capability_mask(none), 0u);
  none.invert = true;
  uint64_t all = (last_capability() >= 63) ? ~0ULL : (1ULL << (last_capability() + 1)) - 1;
  EXPECT_EQ(*capability_mask(none), all);
}

}  // namespace
}  // namespace zjail
