// may_kill_native (bpf_reach.hpp): which filters need the merged filter's
// kill check. It may answer "can kill" for a filter that cannot, never the
// other way round.
#include <gtest/gtest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <stddef.h>
#include <sys/syscall.h>

#include <random>
#include <set>

#include "../../jail/src/bpf_reach.hpp"
#include "seccomp_harness.hpp"
#include "zjail/denials.hpp"
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
sock_filter jgt(uint32_t k, uint8_t t, uint8_t f) { return BPF_JUMP(BPF_JMP | BPF_JGT | BPF_K, k, t, f); }
sock_filter jset(uint32_t k, uint8_t t, uint8_t f) { return BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, k, t, f); }
sock_filter ja(uint32_t k) { return BPF_STMT(BPF_JMP | BPF_JA, k); }

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

// A division by X ends the filter with 0, SECCOMP_RET_KILL_THREAD, when X
// is 0: as it is at the start, or after a load of an argument that may be.
TEST(BpfReach, ADivisionByXCanKill) {
  const sock_filter div_x = BPF_STMT(BPF_ALU | BPF_DIV | BPF_X, 0);
  EXPECT_TRUE(may_kill_native({div_x, ret(kAllow)}));
  EXPECT_TRUE(may_kill_native({ld(offsetof(seccomp_data, args[0])), BPF_STMT(BPF_MISC | BPF_TAX, 0), div_x,
                               ret(kAllow)}));
  EXPECT_TRUE(may_kill_native({ld(kNr), BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0), ret(kAllow)}));
  // By a constant, which the kernel refuses when it is 0: no kill.
  EXPECT_FALSE(may_kill_native({ld(kNr), BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, 2), ret(kAllow)}));
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

// The analysis against running the filter. A program that reads only the
// call number (after the arch test, if any) follows one path per number,
// so the analysis must agree with the runs exactly; with argument loads
// and JSET it may say "can kill" more often, never less. Random programs,
// a fixed seed; each run (run_bpf, the kernel's semantics) over every
// number where a comparison can change.
TEST(BpfReach, AgreesWithRunningTheFilter) {
  std::mt19937 rng(20261207);
  auto pick = [&](uint32_t n) { return static_cast<uint32_t>(rng() % n); };
  const uint32_t pool[] = {0, 1, 2, 39, 40, 41, 100, 0x3ffffffe, 0x3fffffff, 0x40000000, 0xfffffffe, 0xffffffff};
  const uint32_t actions[] = {kAllow, kErr, kKill, SECCOMP_RET_TRAP, SECCOMP_RET_LOG};
  int exact = 0, kills = 0;
  for (int round = 0; round < 20000; ++round) {
    const bool loose = round % 2;  // argument loads and JSET too
    const size_t n = 3 + pick(24);
    std::vector<sock_filter> p;
    p.reserve(n + 1);
    p.push_back(ld(kNr));
    while (p.size() < n) {
      const size_t left = n - p.size() - 1;  // instructions after this one
      const auto off = [&] {
        return static_cast<uint8_t>(left ? pick(static_cast<uint32_t>(std::min<size_t>(left, 8))) : 0);
      };
      switch (pick(loose ? 8 : 6)) {
        case 0: p.push_back(ret(actions[pick(5)])); break;
        case 1: p.push_back(ja(off())); break;
        case 2: p.push_back(ld(kNr)); break;
        case 3: p.push_back(jeq(pool[pick(12)], off(), off())); break;
        case 4: p.push_back(jgt(pool[pick(12)], off(), off())); break;
        case 5: p.push_back(jge(pool[pick(12)], off(), off())); break;
        case 6: p.push_back(ld(offsetof(seccomp_data, args[0]))); break;
        default: p.push_back(jset(pool[pick(12)], off(), off())); break;
      }
    }
    p.push_back(ret(actions[pick(5)]));
    // Every number where a comparison with a pool constant can change,
    // within what passes the prologue: below the x32 bit, or -1.
    std::set<uint32_t> numbers{0xffffffff};
    for (uint32_t c : pool)
      for (uint32_t d : {c - 1, c, c + 1})
        if (d <= 0x3fffffff) numbers.insert(d);
    bool killed = false;
    for (uint32_t nr : numbers)
      for (uint32_t arg : {0u, 1u, 0xffffffffu}) {
        seccomp_data d{};
        d.nr = static_cast<int>(nr);
        d.arch = seccomp_arch_native();
        d.args[0] = arg;
        const uint32_t act = run_bpf(p, d) & SECCOMP_RET_ACTION_FULL;
        if (act != SECCOMP_RET_ALLOW && act != SECCOMP_RET_LOG && act != SECCOMP_RET_ERRNO) killed = true;
      }
    const bool said = may_kill_native(p);
    if (killed) {
      EXPECT_TRUE(said) << "round " << round << ": a run kills, the analysis says it cannot";
    }
    if (!loose) {
      EXPECT_EQ(said, killed) << "round " << round;
      ++exact;
      kills += killed;
    }
  }
  // Both answers came up often enough to mean something.
  EXPECT_GT(exact, 5000);
  EXPECT_GT(kills, 1000);
  EXPECT_GT(exact - kills, 1000);
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
