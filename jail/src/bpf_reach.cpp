// A forward pass over the program (cBPF jumps only go forward), keeping for
// each instruction what the accumulator may hold on the paths that reach
// it: the arch (known: the native one), the call number (with the set of
// values those paths allow), a constant, or anything. A conditional jump on
// the arch or a constant goes one way; on the call number, each way keeps
// the numbers that take it, and a way with none is not followed. A return
// is judged as soon as a path reaches it, so the many paths that end in
// the same allowing return are never united into one large set.
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

// Takes k out of s, in place; false when it was not in s.
bool remove_number(Numbers& s, uint32_t k) {
  auto it = std::find_if(s.begin(), s.end(), [k](const auto& iv) { return iv.second >= k; });
  if (it == s.end() || it->first > k) return false;
  auto [a, b] = *it;
  if (a == b) s.erase(it);
  else if (k == a) it->first = k + 1;
  else if (k == b) it->second = k - 1;
  else {
    it->second = k - 1;
    s.insert(it + 1, {k + 1, b});
  }
  return true;
}

// The numbers of s from `first` on, which leave s.
Numbers split_from(Numbers& s, uint32_t first) {
  auto it = std::find_if(s.begin(), s.end(), [first](const auto& iv) { return iv.second >= first; });
  Numbers tail(it, s.end());
  s.erase(it, s.end());
  if (!tail.empty() && tail.front().first < first) {
    s.emplace_back(tail.front().first, first - 1);
    tail.front().first = first;
  }
  return tail;
}

// Both sorted: one pass, as in a merge sort.
Numbers unite(const Numbers& a, const Numbers& b) {
  Numbers out;
  out.reserve(a.size() + b.size());
  auto add = [&](std::pair<uint32_t, uint32_t> iv) {
    if (!out.empty() && iv.first <= out.back().second + uint64_t{1})
      out.back().second = std::max(out.back().second, iv.second);
    else
      out.push_back(iv);
  };
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size())
    add(j == b.size() || (i < a.size() && a[i] < b[j]) ? a[i++] : b[j++]);
  return out;
}

enum class Holds { Anything, Arch, Number, Constant };

struct State {
  Holds a = Holds::Anything;
  uint32_t constant = 0;  // Holds::Constant
  Numbers numbers;        // the call numbers of the paths here; empty: unreached
};

// y joins x where two paths meet.
void merge(State& x, State&& y) {
  if (y.numbers.empty()) return;
  if (x.numbers.empty()) {
    x = std::move(y);
    return;
  }
  x.numbers = unite(x.numbers, y.numbers);
  if (x.a != y.a || (x.a == Holds::Constant && x.constant != y.constant)) x.a = Holds::Anything;
}

// Whether a return can kill: anything but these does, the kernel's unknown
// actions included, and so may a return of the accumulator.
bool kills(const sock_filter& ret) {
  if (BPF_RVAL(ret.code) != BPF_K) return true;
  const uint32_t action = ret.k & SECCOMP_RET_ACTION_FULL;
  return action != SECCOMP_RET_ALLOW && action != SECCOMP_RET_LOG && action != SECCOMP_RET_ERRNO &&
         action != SECCOMP_RET_TRACE && action != SECCOMP_RET_USER_NOTIF;
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
  // False when the path reaches a kill.
  auto flow = [&](size_t to, State&& s) {
    if (s.numbers.empty()) return true;
    if (to >= n) return false;  // a jump out of the program: not ours to judge
    if (BPF_CLASS(prog[to].code) == BPF_RET) return !kills(prog[to]);
    merge(at[to], std::move(s));
    return true;
  };
  for (size_t pc = 0; pc < n; ++pc) {
    State s = std::move(at[pc]);  // each instruction is left behind once passed
    if (s.numbers.empty()) continue;
    const sock_filter& i = prog[pc];
    switch (BPF_CLASS(i.code)) {
      case BPF_RET:  // the first instruction: every later one is judged by flow
        if (kills(i)) return true;
        continue;
      case BPF_LD:
        if (i.code == (BPF_LD | BPF_W | BPF_ABS) && i.k == offsetof(seccomp_data, arch)) s.a = Holds::Arch;
        else if (i.code == (BPF_LD | BPF_W | BPF_ABS) && i.k == offsetof(seccomp_data, nr)) s.a = Holds::Number;
        else if (i.code == (BPF_LD | BPF_IMM)) {
          s.a = Holds::Constant;
          s.constant = i.k;
        } else
          s.a = Holds::Anything;
        break;
      case BPF_ALU:
        // A division by X ends the program with 0, which is
        // SECCOMP_RET_KILL_THREAD, and X may be 0 (it starts so).
        if (BPF_SRC(i.code) == BPF_X && (BPF_OP(i.code) == BPF_DIV || BPF_OP(i.code) == BPF_MOD)) return true;
        s.a = Holds::Anything;
        break;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TXA) s.a = Holds::Anything;
        break;
      case BPF_JMP: {
        const uint16_t op = BPF_OP(i.code);
        if (op == BPF_JA) {
          if (!flow(pc + 1 + i.k, std::move(s))) return true;
          continue;
        }
        const size_t jt = pc + 1 + i.jt, jf = pc + 1 + i.jf;
        const bool on_k = BPF_SRC(i.code) == BPF_K;
        if (on_k && (s.a == Holds::Arch || s.a == Holds::Constant)) {  // one way only
          const uint32_t v = s.a == Holds::Arch ? seccomp_arch_native() : s.constant;
          if (!flow(test(op, v, i.k) ? jt : jf, std::move(s))) return true;
          continue;
        }
        State yes{s.a, s.constant, {}};
        if (on_k && s.a == Holds::Number && op != BPF_JSET) {  // each way its numbers; s keeps the others
          if (op == BPF_JEQ) {
            if (remove_number(s.numbers, i.k)) yes.numbers = {{i.k, i.k}};
          } else if (op == BPF_JGE || i.k != 0xffffffff) {  // JGT 0xffffffff never jumps
            yes.numbers = split_from(s.numbers, op == BPF_JGE ? i.k : i.k + 1);
          }
        } else {
          yes.numbers = s.numbers;  // both ways
        }
        if (!flow(jt, std::move(yes)) || !flow(jf, std::move(s))) return true;
        continue;
      }
      default: break;  // LDX, ST, STX: the accumulator stays
    }
    if (!flow(pc + 1, std::move(s))) return true;
  }
  return false;
}

}  // namespace zjail
