// The watch section (watch_filter.hpp): a binary search over the watched
// call numbers that returns SECCOMP_RET_USER_NOTIF, spliced into the merged
// filter right after its ABI check.
#include "watch_filter.hpp"

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cstddef>
#include <map>
#include <set>

#include "zjail/denials.hpp"

namespace zjail {
namespace {

constexpr uint32_t kMaxInsns = 4096;  // BPF_MAXINSNS

// A forward jump to a label resolved when the section is complete.
enum class Label { None, Pass };
struct Insn {
  sock_filter f;
  Label ja = Label::None;  // a BPF_JA whose offset is the label's
};

struct Section {
  std::vector<Insn> code;
  void add(sock_filter f) { code.push_back({f, Label::None}); }
  void pass() { code.push_back({BPF_JUMP(BPF_JMP | BPF_JA, 0, 0, 0), Label::Pass}); }
};

// A binary search over the sorted call numbers: JGE nodes, each leaf a
// short run of JEQs with their returns. `a` holds the call number.
void emit(const std::vector<int>& nrs, const std::map<int, WatchArgRule>& rules, size_t lo, size_t hi, Section& s) {
  constexpr size_t kLeaf = 4;
  if (hi - lo <= kLeaf) {
    for (size_t i = lo; i < hi; ++i) {
      auto nr = static_cast<uint32_t>(nrs[i]);
      auto rule = rules.find(nrs[i]);
      if (rule == rules.end()) {
        s.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
        s.add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
        continue;
      }
      // The argument's low word on a little-endian ABI (every flag here
      // lives there); then `a` is reloaded for the next comparison.
      const WatchArgRule& r = rule->second;
      s.add(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 5));
      s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * r.arg)));
      const __u8 to_notify = r.set ? 0 : 1, to_next = r.set ? 1 : 0;
      s.add(BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, r.bit, to_notify, to_next));
      s.add(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
      s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
      s.pass();
    }
    s.pass();
    return;
  }
  size_t mid = lo + (hi - lo) / 2;
  Section left, right;
  emit(nrs, rules, lo, mid, left);
  emit(nrs, rules, mid, hi, right);
  // a >= nrs[mid]: skip the left half (one JA, whose offset may exceed 255).
  s.add(BPF_JUMP(BPF_JMP | BPF_JGE | BPF_K, static_cast<uint32_t>(nrs[mid]), 0, 1));
  s.add(BPF_JUMP(BPF_JMP | BPF_JA, static_cast<uint32_t>(left.code.size()), 0, 0));
  s.code.insert(s.code.end(), left.code.begin(), left.code.end());
  s.code.insert(s.code.end(), right.code.begin(), right.code.end());
}

}  // namespace

std::vector<int> call_numbers(const std::vector<const char*>& names) {
  std::set<int> out;
  for (const char* name : names)
    if (int nr = seccomp_syscall_resolve_name(name); nr != __NR_SCMP_ERROR && nr >= 0) out.insert(nr);
  return std::vector<int>(out.begin(), out.end());
}

Status add_watch_section(Plan& plan, const std::vector<int>& nrs, const std::vector<WatchArgRule>& rules,
                         const std::string& mode) {
  if (plan.seccomp_notify.empty())
    return make_error(Step::CompileSeccomp, EINVAL, mode + " needs a launch with namespaces and zjail's seccomp listener");
  std::map<int, WatchArgRule> by_nr;
  for (const WatchArgRule& r : rules) by_nr.emplace(r.nr, r);
  Section s;
  s.add(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
  emit(nrs, by_nr, 0, nrs.size(), s);
  // The merged filter starts with its ABI check (notify_filter(): the arch,
  // and on x86-64 the x32 bit), which must stay first: a call of another
  // ABI has other numbers. Every filter after it loads what it needs
  // itself, so the watch section may leave anything in `a`.
  const auto& merged = plan.seccomp_notify;
  const auto prologue = abi_prologue();
  const size_t abi = prologue.size();
  if (merged.size() <= abi || !std::equal(prologue.begin(), prologue.end(), merged.begin(), [](const auto& x, const auto& y) {
        return x.code == y.code && x.jt == y.jt && x.jf == y.jf && x.k == y.k;
      }))
    return make_error(Step::CompileSeccomp, EPROTO, "the merged filter does not start with its ABI check");
  if (merged.size() + s.code.size() > kMaxInsns)
    return make_error(Step::CompileSeccomp, E2BIG,
                      "the " + mode + " filter would have " + std::to_string(merged.size() + s.code.size()) +
                          " instructions (at most " + std::to_string(kMaxInsns) + ")");
  std::vector<sock_filter> out(merged.begin(), merged.begin() + static_cast<std::ptrdiff_t>(abi));
  const size_t pass = out.size() + s.code.size();
  for (const Insn& i : s.code) {
    sock_filter f = i.f;
    if (i.ja == Label::Pass) f.k = static_cast<uint32_t>(pass - out.size() - 1);
    out.push_back(f);
  }
  out.insert(out.end(), merged.begin() + static_cast<std::ptrdiff_t>(abi), merged.end());
  plan.seccomp_notify = std::move(out);
  return {};
}

}  // namespace zjail
