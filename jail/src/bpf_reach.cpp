// A forward pass over the program (cBPF jumps only go forward), keeping for
// each instruction what the accumulator may hold on the paths that reach
// it: the arch (known: the native one), the call number (with the set of
// values those paths allow), a constant, or anything. A conditional jump on
// the arch or a constant goes one way; on the call number, each way keeps
// the numbers that take it, and a way with none is not followed.
#include "bpf_reach.hpp"

#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <utility>

namespace zjail {

namespace {

// A set of call numbers, as sorted disjoint closed intervals.
using Numbers = std::vector<std::pair<uint32_t, uint32_t>>;

Numbers intersect(const Numbers& s, uint32_t lo, uint32_t hi) {
  Numbers out;
  for (auto [a, b] : s)
    if (std::max(a, lo) <= std::min(b, hi)) out.emplace_back(std::max(a, lo), std::min(b, hi));
  return out;
}

Numbers without(const Numbers& s, uint32_t k) {
  Numbers out;
  for (auto [a, b] : s) {
    if (k < a || k > b) {
      out.emplace_back(a, b);
      continue;
    }
    if (a < k) out.emplace_back(a, k - 1);
    if (k < b) out.emplace_back(k + 1, b);
  }
  return out;
}

Numbers unite(Numbers a, const Numbers& b) {
  a.insert(a.end(), b.begin(), b.end());
  std::sort(a.begin(), a.end());
  Numbers out;
  for (auto iv : a) {
    if (!out.empty() && iv.first <= out.back().second + uint64_t{1})
      out.back().second = std::max(out.back().second, iv.second);
    else
      out.push_back(iv);
  }
  return out;
}

enum class Holds { Anything, Arch, Number, Constant };

struct State {
  Holds a = Holds::Anything;
  uint32_t constant = 0;  // Holds::Constant
  Numbers numbers;        // the call numbers of the paths here; empty: unreached
};

State merge(const State& x, const State& y) {
  if (x.numbers.empty()) return y;
  if (y.numbers.empty()) return x;
  State m;
  m.numbers = unite(x.numbers, y.numbers);
  if (x.a == y.a && (x.a != Holds::Constant || x.constant == y.constant)) {
    m.a = x.a;
    m.constant = x.constant;
  }
  return m;
}

// The outcome of `op` (JEQ, JGT, JGE, JSET) on a known value.
bool test(uint16_t op, uint32_t v, uint32_t k) {
  switch (op) {
    case BPF_JEQ: return v == k;
    case BPF_JGT: return v > k;
    case BPF_JGE: return v >= k;
    default: return (v & k) != 0;  // BPF_JSET
  }
}

}  // namespace

bool may_kill_native(const std::vector<sock_filter>& prog) {
  const size_t n = prog.size();
  std::vector<State> at(n);
  if (n == 0) return true;
  // What gets past the prologue: the native arch, and a call number below
  // the x32 bit or -1.
  at[0].numbers = {{0, 0x3fffffff}, {0xffffffff, 0xffffffff}};
  auto flow = [&](size_t to, const State& s) {
    if (s.numbers.empty()) return true;
    if (to >= n) return false;  // a jump out of the program: not ours to judge
    at[to] = merge(at[to], s);
    return true;
  };
  for (size_t pc = 0; pc < n; ++pc) {
    State s = at[pc];
    if (s.numbers.empty()) continue;
    const sock_filter& i = prog[pc];
    switch (BPF_CLASS(i.code)) {
      case BPF_RET: {
        if (BPF_RVAL(i.code) != BPF_K) return true;  // the accumulator: anything
        // Anything but these kills, the kernel's unknown actions included.
        const uint32_t action = i.k & SECCOMP_RET_ACTION_FULL;
        if (action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG && action != SECCOMP_RET_ERRNO &&
            action != SECCOMP_RET_TRACE && action != SECCOMP_RET_USER_NOTIF)
          return true;
        continue;
      }
      case BPF_LD:
        if (i.code == (BPF_LD | BPF_W | BPF_ABS) && i.k == offsetof(seccomp_data, arch)) s.a = Holds::Arch;
        else if (i.code == (BPF_LD | BPF_W | BPF_ABS) && i.k == offsetof(seccomp_data, nr)) s.a = Holds::Number;
        else if (i.code == (BPF_LD | BPF_IMM)) {
          s.a = Holds::Constant;
          s.constant = i.k;
        } else
          s.a = Holds::Anything;
        break;
      case BPF_ALU: s.a = Holds::Anything; break;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TXA) s.a = Holds::Anything;
        break;
      case BPF_JMP: {
        const uint16_t op = BPF_OP(i.code);
        if (op == BPF_JA) {
          if (!flow(pc + 1 + i.k, s)) return true;
          continue;
        }
        State yes = s, no = s;
        if (BPF_SRC(i.code) == BPF_K && (s.a == Holds::Arch || s.a == Holds::Constant)) {
          const uint32_t v = s.a == Holds::Arch ? seccomp_arch_native() : s.constant;
          (test(op, v, i.k) ? no : yes).numbers.clear();
        } else if (BPF_SRC(i.code) == BPF_K && s.a == Holds::Number && op != BPF_JSET) {
          if (op == BPF_JEQ) {
            yes.numbers = intersect(s.numbers, i.k, i.k);
            no.numbers = without(s.numbers, i.k);
          } else {
            const uint32_t first = op == BPF_JGE ? i.k : i.k + 1;  // the first number that jumps
            const bool none = op == BPF_JGT && i.k == 0xffffffff;
            yes.numbers = none ? Numbers{} : intersect(s.numbers, first, 0xffffffff);
            no.numbers = first == 0 && !none ? Numbers{} : intersect(s.numbers, 0, none ? 0xffffffff : first - 1);
          }
        }
        if (!flow(pc + 1 + i.jt, yes) || !flow(pc + 1 + i.jf, no)) return true;
        continue;
      }
      default: break;  // LDX, ST, STX: the accumulator stays
    }
    if (!flow(pc + 1, s)) return true;
  }
  return false;
}

}  // namespace zjail
