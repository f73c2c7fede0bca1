// What other directives add to the always-present filter (SeccompExtras):
// the denials hold whatever SystemCallFilter= allows, and they reach the
// filter cache's key.
#include <gtest/gtest.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "seccomp_harness.hpp"
#include "zjail/seccomp_cache.hpp"

namespace zjail {
namespace {

using zjail_seccomp::code;
using zjail_seccomp::errno_of;
using zjail_seccomp::under;
using zjail_seccomp::with_filter;

SeccompExtras denying(std::string name, int err = EPERM) {
  SeccompExtras e;
  e.deny.push_back({std::move(name), err, "Test="});
  return e;
}

TEST(SeccompExtras, DenialsHoldEvenWhereTheProfileAllows) {
  auto settime = [] {
    timespec ts{};
    return errno_of(syscall(SYS_clock_settime, CLOCK_REALTIME, &ts));
  };
  // An allow list that names @clock, a deny list that does not, no list:
  // the extra's EPERM comes back each time, before any capability check.
  for (const Profile& p : {with_filter({"@system-service", "@clock"}), with_filter({"@mount"}, true), Profile{}}) {
    auto prog = compile_seccomp(p, denying("@clock"));
    ASSERT_TRUE(prog) << prog.error().message();
    EXPECT_EQ(code(under(*prog, settime)), EPERM);
    EXPECT_EQ(code(under(*prog, [] { return errno_of(getpid()); })), 0);
  }
  // The errno is the extra's own.
  auto prog = compile_seccomp(Profile{}, denying("getppid", ENOSYS));
  ASSERT_TRUE(prog);
  EXPECT_EQ(code(under(*prog, [] { return errno_of(syscall(SYS_getppid)); })), ENOSYS);
}

TEST(SeccompExtras, ADenialOverlappingTheBaseRulesCompiles) {
  // setns, clone and io_uring_setup already have rules of their own in the
  // base filter; an extra that denies them outright takes their place.
  SeccompExtras e = denying("@namespaces");
  e.deny.push_back({"clone", EPERM, "Test="});
  e.deny.push_back({"@io-uring", EACCES, "Test="});
  auto prog = compile_seccomp(Profile{}, e);
  ASSERT_TRUE(prog) << prog.error().message();
  EXPECT_EQ(code(under(*prog, [] { return errno_of(syscall(SYS_io_uring_setup, 1, nullptr)); })), EACCES);
}

TEST(SeccompExtras, UnknownNamesAreErrors) {
  auto prog = compile_seccomp(Profile{}, denying("@nosuchgroup"));
  ASSERT_FALSE(prog);
}

TEST(SeccompExtras, CacheKeyCoversTheExtras) {
  Profile p;
  EXPECT_EQ(seccomp_cache_key(p), seccomp_cache_key(p, {}));
  EXPECT_NE(seccomp_cache_key(p), seccomp_cache_key(p, denying("@clock")));
  EXPECT_NE(seccomp_cache_key(p, denying("@clock")), seccomp_cache_key(p, denying("@clock", EACCES)));
}

}  // namespace
}  // namespace zjail
