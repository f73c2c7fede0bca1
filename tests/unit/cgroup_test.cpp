// Cgroup limits: what each directive writes, and the decision between a
// delegated leaf, a systemd scope and failing closed.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "../../jail/src/scope.hpp"
#include "zjail/cgroup.hpp"

namespace zjail {
namespace {

using ::testing::HasSubstr;

TEST(Cgroup, WritesFollowSystemdSemantics) {
  Resources r;
  r.memory_max.value = 256ULL << 20;
  r.memory_high.value = kLimitInfinity;
  r.tasks_max.value = 64;
  r.cpu_quota_per_sec_usec.value = 200000;  // CPUQuota=20%
  r.cpu_weight.value = 50;
  r.allowed_cpus.value = "0-1";
  r.io_weight.value = 10;
  auto w = cgroup_writes(r);
  ASSERT_TRUE(w) << w.error().message();
  std::vector<std::pair<std::string, std::string>> got;
  for (const auto& x : *w) got.emplace_back(x.file, x.value);
  EXPECT_EQ(got, (std::vector<std::pair<std::string, std::string>>{
                     {"memory.high", "max"},
                     {"memory.max", "268435456"},
                     {"pids.max", "64"},
                     {"cpu.max", "20000 100000"},
                     {"cpu.weight", "50"},
                     {"cpuset.cpus", "0-1"},
                     {"io.weight", "default 10"}}));
  EXPECT_EQ(cgroup_controllers(r), (std::vector<std::string>{"memory", "pids", "cpu", "cpuset", "io"}));
}

TEST(Cgroup, IoBandwidthResolvesTheDisk) {
  Resources r;
  r.io_read_bandwidth_max.push_back({IoBandwidth{"/", 1000000}, Origin{"p", 3}});
  auto w = cgroup_writes(r);
  ASSERT_TRUE(w) << w.error().message();
  ASSERT_EQ(w->size(), 1u);
  EXPECT_EQ((*w)[0].file, "io.max");
  EXPECT_THAT((*w)[0].value, HasSubstr(" rbps=1000000"));
  r.io_read_bandwidth_max[0].value.path = "/no/such/device";
  auto bad = cgroup_writes(r);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().context.rfind("p:3: ", 0), 0u);
}

TEST(Cgroup, NoLimitsMeansNoCgroupWork) {
  std::string warning;
  CgroupEnvironment env;  // nothing available at all
  auto cg = JailCgroup::prepare(Resources{}, nullptr, "x", env, warning);
  ASSERT_TRUE(cg);
  EXPECT_EQ(cg->mode(), CgroupMode::None);
  EXPECT_TRUE(warning.empty());
}

TEST(Cgroup, LimitsWithoutAnEnforcerFailClosed) {
  Resources r;
  r.memory_max.value = 1 << 20;
  std::string warning;
  CgroupEnvironment env;  // no cgroup2, no systemd: like a v1-only host
  auto cg = JailCgroup::prepare(r, nullptr, "x", env, warning);
  ASSERT_FALSE(cg);
  EXPECT_EQ(cg.error().step, Step::Cgroup);
  EXPECT_THAT(cg.error().context, HasSubstr("cannot be enforced"));

  r.enforce_strict.value = false;  // EnforceLimits=best-effort
  auto loose = JailCgroup::prepare(r, nullptr, "x", env, warning);
  ASSERT_TRUE(loose);
  EXPECT_EQ(loose->mode(), CgroupMode::None);
  EXPECT_THAT(warning, HasSubstr("WITHOUT RESOURCE LIMITS"));
}

TEST(Cgroup, ServiceWithoutDelegationIsRefused) {
  Resources r;
  r.tasks_max.value = 10;
  CgroupEnvironment env;
  env.unified_root = "/nonexistent-cgroup-root";
  env.own_path = "/system.slice/foo.service";
  env.systemd_running = true;
  std::string warning;
  auto cg = JailCgroup::prepare(r, nullptr, "x", env, warning);
  ASSERT_FALSE(cg);
  EXPECT_THAT(cg.error().context, HasSubstr("Delegate=yes"));

  env.own_path = "/user.slice/user-0.slice/session-1.scope";
  auto scope = JailCgroup::prepare(r, nullptr, "x", env, warning);
  ASSERT_TRUE(scope);
  EXPECT_EQ(scope->mode(), CgroupMode::Scope);
}

// The decision alone, as --check asks for it: nothing is created.
TEST(Cgroup, PlanDecidesWithoutSideEffects) {
  Resources r;
  r.memory_max.value = 1 << 20;
  CgroupEnvironment env;
  EXPECT_EQ(plan_cgroup(r, env).unenforceable, "no cgroup v2 hierarchy is mounted");
  env.unified_root = "/nonexistent-cgroup-root";
  env.own_path = "/system.slice/foo.service";
  env.systemd_running = true;
  CgroupPlan service = plan_cgroup(r, env);
  EXPECT_EQ(service.mode, CgroupMode::None);
  EXPECT_THAT(service.unenforceable, HasSubstr("set Delegate=yes"));
  env.own_path = "/user.slice/user-0.slice/session-1.scope";
  EXPECT_EQ(plan_cgroup(r, env).mode, CgroupMode::Scope);
  EXPECT_EQ(plan_cgroup(Resources{}, env).mode, CgroupMode::None);
}

// The host network's filters go to a systemd scope, with or without limits,
// and nowhere else: never best-effort.
TEST(Cgroup, HostNetworkFiltersNeedARootScope) {
  Resources none;
  CgroupEnvironment env;
  env.unified_root = "/nonexistent-cgroup-root";
  env.own_path = "/user.slice/user-0.slice/session-1.scope";
  env.systemd_running = true;
  env.root = true;
  EXPECT_EQ(plan_cgroup(none, env, true).mode, CgroupMode::Scope);
  Resources loose;
  loose.memory_max.value = 1 << 20;
  loose.enforce_strict.value = false;
  EXPECT_EQ(plan_cgroup(loose, env, true).mode, CgroupMode::Scope);

  NetworkFilter filter;
  filter.allow.push_back(*parse_ip_prefix("127.0.0.0/8"));
  std::string warning;
  auto refused = [&](const CgroupEnvironment& e, const char* why) {
    CgroupPlan plan = plan_cgroup(loose, e, true);
    EXPECT_EQ(plan.mode, CgroupMode::None);
    EXPECT_THAT(plan.unenforceable, HasSubstr(why));
    auto cg = JailCgroup::prepare(loose, &filter, "x", e, warning);  // best-effort limits
    ASSERT_FALSE(cg);
    EXPECT_EQ(cg.error().step, Step::Cgroup);
    EXPECT_THAT(cg.error().context, HasSubstr(why));
    EXPECT_TRUE(warning.empty());
  };
  CgroupEnvironment user = env;
  user.root = false;
  refused(user, "user manager cannot hold them");
  CgroupEnvironment bare = env;
  bare.systemd_running = false;
  refused(bare, "systemd is not the service manager");
  CgroupEnvironment service = env;
  service.own_path = "/system.slice/redis.service";
  refused(service, "zjail runs in redis.service, whose own IPAddressAllow=");
  service.own_path = "/system.slice/redis.service/supervisor";
  refused(service, "zjail runs in redis.service, whose own");
}

TEST(Cgroup, ScopeNamesAndCpuMasks) {
  EXPECT_EQ(scope_name("echo", 42), "zjail-echo-42.scope");
  EXPECT_EQ(scope_name("a b/c", 1), "zjail-a_b_c-1.scope");
  auto m = cpuset_mask("0-2,9");
  ASSERT_TRUE(m);
  EXPECT_EQ(*m, std::string("\x07\x02", 2));
  EXPECT_FALSE(cpuset_mask("3-1"));
  EXPECT_FALSE(cpuset_mask("x"));
}

}  // namespace
}  // namespace zjail
