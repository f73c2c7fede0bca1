// may_kill_native (bpf_reach.hpp): which filters need the merged filter's
// kill check. It may answer "can kill" for a filter that cannot, never the
// other way round.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include "../../jail/src/bpf_reach.hpp"
#include "seccomp_harness.hpp"
#include "zjail/seccomp.hpp"

namespace zjail {
namespace {

constexpr uint32_t kKill = SECCOMP_RET_KILL_PROCESS;
constexpr uint32_t kErr = SECCOMP_RET_ERRNO | 1;
constexpr uint32_t kAllow = SECCOMP_RET_ALLOW;

sock_filter ld(uint32_t off) { return BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off); }
sock_filter ret(uint32_t k) { return BPF_STMT(BPF_RET | BPF_K, k); }
sock_filter jeq(uint32_t k, uint8_t t, uint8_t f) { return BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, t, f); }
sock_filter jge(uint32_t k, uint8_t t, uint8_t f) { return BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, k, t, f); }

const uint32_t kArch = offsetof(seccomp_data, arch);
const uint32_t kNr = offsetof(seccomp_data, nr);

// libseccomp's own start: another ABI, or an x32 call other than -1, killed.
std::vector<sock_filter> abi_check() {
  return {ld(kArch), jeq(seccomp_arch_native(), 1, 0), ret(kKill),
          ld(kNr),   jge(0x40000000, 0, 2),            jeq(0xffffffff, 1, 0), ret(kKill)};
}

TEST(BpfReach, KillsForOtherAbisOnlyCannotKillANativeCall) {
  auto p = abi_check();
  p.insert(p.end(), {jeq(SYS_ptrace, 0, 1), ret(kErr), ret(kAllow)});
  EXPECT_FALSE(may_kill_native(p));
}

TEST(BpfReach, AKillOnACallNumberCan) {
  auto p = abi_check();
  p.insert(p.end(), {jeq(SYS_ptrace, 0, 1), ret(kKill), ret(kAllow)});
  EXPECT_TRUE(may_kill_native(p));
  // -1 passes the prologue: a kill for it counts.
  auto minus_one = abi_check();
  minus_one.insert(minus_one.end(), {jeq(0xffffffff, 0, 1), ret(kKill), ret(kAllow)});
  EXPECT_TRUE(may_kill_native(minus_one));
  // An x32 number does not: a kill only for one cannot happen.
  auto x32 = abi_check();
  x32.insert(x32.end(), {jeq(0x40000000 | SYS_getpid, 0, 1), ret(kKill), ret(kAllow)});
  EXPECT_FALSE(may_kill_native(x32));
}

TEST(BpfReach, WhatItCannotFollowCounts) {
  // A kill behind an argument test: the arguments are not tracked.
  EXPECT_TRUE(may_kill_native({ld(offsetof(seccomp_data, args[0])), jeq(7, 0, 1), ret(kKill), ret(kAllow)}));
  // Behind arithmetic on the call number, or the accumulator returned.
  EXPECT_TRUE(may_kill_native({ld(kNr), BPF_STMT(BPF_ALU | BPF_AND | BPF_K, 0xff), jeq(1, 0, 1), ret(kKill),
                               ret(kAllow)}));
  EXPECT_TRUE(may_kill_native({BPF_STMT(BPF_LD | BPF_IMM, kKill), BPF_STMT(BPF_RET | BPF_A, 0)}));
  // A trap or a thread's kill is a kill too; a jump out of the program is
  // not the filter's to judge.
  EXPECT_TRUE(may_kill_native({ret(SECCOMP_RET_TRAP)}));
  EXPECT_TRUE(may_kill_native({ret(SECCOMP_RET_KILL_THREAD)}));
  EXPECT_TRUE(may_kill_native({ret(0x00010000)}));  // no action the kernel knows: a kill
  EXPECT_FALSE(may_kill_native({ret(SECCOMP_RET_TRACE), ret(SECCOMP_RET_LOG)}));
  EXPECT_TRUE(may_kill_native({BPF_JUMP(BPF_JMP | BPF_JA, 5, 0, 0), ret(kAllow)}));
  EXPECT_TRUE(may_kill_native({}));
}

TEST(BpfReach, BothWaysOfAJoinAreKept) {
  // Two paths meet with the call number known on one only: the kill after
  // the join is reached by the other.
  std::vector<sock_filter> p = {ld(kNr),
                                jeq(SYS_getpid, 0, 1),
                                BPF_STMT(BPF_LD | BPF_IMM, 3),  // getpid: a constant
                                jge(SYS_getpid, 0, 1),          // the join: A is the number or 3
                                ret(kAllow),
                                ret(kKill)};
  EXPECT_TRUE(may_kill_native(p));
}

// zjail's real filters: an errno profile cannot kill, a killing one can.
TEST(BpfReach, ZjailsOwnFilters) {
  Profile errs = zjail_seccomp::with_filter({"@system-service"});
  zjail_seccomp::set_errno_action(errs, EPERM);
  auto e = compile_seccomp(errs, {});
  ASSERT_TRUE(e) << e.error().message();
  ASSERT_EQ(e->filters.size(), 2u);
  EXPECT_FALSE(may_kill_native(e->filters[1]));
  Profile kills = zjail_seccomp::with_filter({"@system-service"});
  auto k = compile_seccomp(kills, {});
  ASSERT_TRUE(k) << k.error().message();
  ASSERT_EQ(k->filters.size(), 2u);
  EXPECT_TRUE(may_kill_native(k->filters[1]));
}

}  // namespace
}  // namespace zjail
