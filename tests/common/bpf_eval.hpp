// A classic-BPF interpreter for seccomp programs, as the kernel runs them
// (seccomp_run_filters): what a filter returns for a call, without
// attaching it. Compares filters over more calls and arguments than a
// forked child could try.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>

#include <cstdint>
#include <cstring>
#include <optional>
#include <vector>

namespace zjail_bpf {

// The program's return value for `data`; nullopt for an instruction it
// does not know or a jump out of range (the test then fails).
inline std::optional<uint32_t> run(const std::vector<sock_filter>& prog, const seccomp_data& data) {
  uint32_t A = 0, X = 0, M[BPF_MEMWORDS] = {};
  unsigned char bytes[sizeof data];
  std::memcpy(bytes, &data, sizeof data);
  for (size_t pc = 0; pc < prog.size(); ++pc) {
    const sock_filter& i = prog[pc];
    uint32_t src = BPF_SRC(i.code) == BPF_X ? X : i.k;
    switch (BPF_CLASS(i.code)) {
      case BPF_LD:
        if (BPF_MODE(i.code) == BPF_ABS && BPF_SIZE(i.code) == BPF_W) {
          if (i.k + 4 > sizeof data || i.k % 4) return std::nullopt;
          std::memcpy(&A, bytes + i.k, 4);
        } else if (BPF_MODE(i.code) == BPF_IMM) {
          A = i.k;
        } else if (BPF_MODE(i.code) == BPF_MEM && i.k < BPF_MEMWORDS) {
          A = M[i.k];
        } else if (BPF_MODE(i.code) == BPF_LEN) {
          A = sizeof data;
        } else {
          return std::nullopt;
        }
        break;
      case BPF_LDX:
        if (BPF_MODE(i.code) == BPF_IMM) X = i.k;
        else if (BPF_MODE(i.code) == BPF_MEM && i.k < BPF_MEMWORDS) X = M[i.k];
        else if (BPF_MODE(i.code) == BPF_LEN) X = sizeof data;
        else return std::nullopt;
        break;
      case BPF_ST:
        if (i.k >= BPF_MEMWORDS) return std::nullopt;
        M[i.k] = A;
        break;
      case BPF_STX:
        if (i.k >= BPF_MEMWORDS) return std::nullopt;
        M[i.k] = X;
        break;
      case BPF_ALU:
        switch (BPF_OP(i.code)) {
          case BPF_ADD: A += src; break;
          case BPF_SUB: A -= src; break;
          case BPF_MUL: A *= src; break;
          case BPF_DIV: if (!src) return 0; A /= src; break;
          case BPF_MOD: if (!src) return 0; A %= src; break;
          case BPF_AND: A &= src; break;
          case BPF_OR: A |= src; break;
          case BPF_XOR: A ^= src; break;
          case BPF_LSH: A = src < 32 ? A << src : 0; break;
          case BPF_RSH: A = src < 32 ? A >> src : 0; break;
          case BPF_NEG: A = -A; break;
          default: return std::nullopt;
        }
        break;
      case BPF_JMP: {
        size_t next;
        if (BPF_OP(i.code) == BPF_JA) {
          next = pc + 1 + i.k;
        } else {
          bool t;
          switch (BPF_OP(i.code)) {
            case BPF_JEQ: t = A == src; break;
            case BPF_JGT: t = A > src; break;
            case BPF_JGE: t = A >= src; break;
            case BPF_JSET: t = (A & src) != 0; break;
            default: return std::nullopt;
          }
          next = pc + 1 + (t ? i.jt : i.jf);
        }
        if (next >= prog.size()) return std::nullopt;
        pc = next - 1;
        break;
      }
      case BPF_RET:
        return BPF_RVAL(i.code) == BPF_A ? A : i.k;
      case BPF_MISC:
        if (BPF_MISCOP(i.code) == BPF_TAX) X = A;
        else A = X;
        break;
      default:
        return std::nullopt;
    }
  }
  return std::nullopt;
}

// Several filters attached in order, as the kernel combines them: the most
// restrictive action wins, and between equals the one attached last.
inline std::optional<uint32_t> run_all(const std::vector<std::vector<sock_filter>>& filters, const seccomp_data& data) {
  uint32_t ret = SECCOMP_RET_ALLOW;
  for (auto f = filters.rbegin(); f != filters.rend(); ++f) {
    auto cur = run(*f, data);
    if (!cur) return std::nullopt;
    if (static_cast<int32_t>(*cur & SECCOMP_RET_ACTION_FULL) < static_cast<int32_t>(ret & SECCOMP_RET_ACTION_FULL))
      ret = *cur;
  }
  return ret;
}

}  // namespace zjail_bpf
