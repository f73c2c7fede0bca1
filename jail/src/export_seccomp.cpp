// zjail's seccomp filters as one OCI filter (export_internal.hpp).
//
// zjail attaches two or three filters: the base filter (default allow, with
// argument rules: TIOCSTI, namespaces, socket families...), the filter that
// PrivateDevices= and its kin imply, and the profile's SystemCallFilter=.
// An OCI runtime attaches one. For each call, the later filters give one
// verdict whatever the arguments; the base filter's may depend on them.
// The combined filter says, per call:
//  - the later filters' verdict, where it is at least as strict as every
//    verdict of the base filter's rules (the kernel keeps the strictest, and
//    between equals the later filter's);
//  - else the base filter's rules, and the later verdict for every other
//    argument, as rules for exactly the arguments that match none of them
//    (the complement of their masked comparisons, as disjoint masks). A rule
//    whose condition always holds (argument 0 >= 0) does not do: crun 1.8's
//    libseccomp (2.5.4) let it shadow the conditional rules, and under it
//    clone(CLONE_NEWUSER) and TIOCSTI went through (tests/escape/oci_battery.sh).
// tests/unit/export_seccomp_test.cpp compiles the result with libseccomp,
// as crun does, and runs both over every call and the rules' boundary
// arguments.
#include <linux/seccomp.h>
#include <seccomp.h>

#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "export_internal.hpp"

namespace zjail::exporting {
namespace {

// The kernel's order of precedence: a lower value wins (seccomp_run_filters).
int32_t precedence(uint32_t action) { return static_cast<int32_t>(action & SECCOMP_RET_ACTION_FULL); }

// The verdict of `a` then `b` attached after it.
uint32_t combine(uint32_t earlier, uint32_t later) {
  return precedence(earlier) < precedence(later) ? earlier : later;
}

const char* action_name(uint32_t action) {
  switch (action & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_KILL_PROCESS: return "SCMP_ACT_KILL_PROCESS";
    case SECCOMP_RET_KILL_THREAD: return "SCMP_ACT_KILL_THREAD";
    case SECCOMP_RET_TRAP: return "SCMP_ACT_TRAP";
    case SECCOMP_RET_ERRNO: return "SCMP_ACT_ERRNO";
    case SECCOMP_RET_LOG: return "SCMP_ACT_LOG";
    case SECCOMP_RET_ALLOW: return "SCMP_ACT_ALLOW";
    default: return nullptr;
  }
}

const char* op_name(int op) {
  switch (op) {
    case SCMP_CMP_NE: return "SCMP_CMP_NE";
    case SCMP_CMP_LT: return "SCMP_CMP_LT";
    case SCMP_CMP_LE: return "SCMP_CMP_LE";
    case SCMP_CMP_EQ: return "SCMP_CMP_EQ";
    case SCMP_CMP_GE: return "SCMP_CMP_GE";
    case SCMP_CMP_GT: return "SCMP_CMP_GT";
    case SCMP_CMP_MASKED_EQ: return "SCMP_CMP_MASKED_EQ";
    default: return "";
  }
}

// The OCI name of the native architecture (zjail allows no other ABI).
const char* native_arch() {
  switch (seccomp_arch_native()) {
    case SCMP_ARCH_X86_64: return "SCMP_ARCH_X86_64";
    case SCMP_ARCH_AARCH64: return "SCMP_ARCH_AARCH64";
    case SCMP_ARCH_PPC64LE: return "SCMP_ARCH_PPC64LE";
    case SCMP_ARCH_S390X: return "SCMP_ARCH_S390X";
    case SCMP_ARCH_RISCV64: return "SCMP_ARCH_RISCV64";
    default: return "";
  }
}

using Args = std::vector<SeccompArg>;

// (argument & mask) == value: one masked comparison.
struct Pattern {
  uint64_t mask, value;
};

// The arguments that match none of `rules`, as disjoint patterns of
// argument `index`; nullopt where a rule is not one masked (or equal)
// comparison of a single argument, all of the same, or the complement grows
// past what a filter should hold.
std::optional<std::vector<Pattern>> complement(const std::vector<const SeccompRule*>& rules, unsigned& index) {
  std::vector<Pattern> out{{0, 0}};
  for (size_t i = 0; i < rules.size(); ++i) {
    const auto& args = rules[i]->args;
    if (args.size() != 1 || (i > 0 && args[0].index != index)) return std::nullopt;
    index = args[0].index;
    Pattern p{};
    if (args[0].op == SCMP_CMP_MASKED_EQ) p = {args[0].a, args[0].b & args[0].a};
    else if (args[0].op == SCMP_CMP_EQ) p = {~uint64_t{0}, args[0].a};
    else return std::nullopt;
    std::vector<Pattern> next;
    for (Pattern q : out) {
      uint64_t both = q.mask & p.mask;
      if ((q.value & both) != (p.value & both)) {
        next.push_back(q);  // disjoint from p already
        continue;
      }
      // q minus p: for each bit p fixes and q leaves open, the half of q
      // that differs from p there (the bits before it as p has them).
      for (int bit = 63; bit >= 0; --bit) {
        uint64_t b = uint64_t{1} << bit;
        if (!(p.mask & ~q.mask & b)) continue;
        next.push_back({q.mask | b, (q.value & ~b) | (~p.value & b)});
        q = {q.mask | b, (q.value & ~b) | (p.value & b)};
      }
    }
    out = std::move(next);
    if (out.size() > 256) return std::nullopt;
  }
  return out;
}

// One entry of "syscalls": the calls that share an action and conditions.
struct Key {
  uint32_t action;
  Args args;
  bool operator<(const Key& o) const {
    auto tie = [](const Key& k) {
      std::vector<std::tuple<unsigned, int, uint64_t, uint64_t>> a;
      for (const auto& x : k.args) a.emplace_back(x.index, x.op, x.a, x.b);
      return std::make_tuple(k.args.empty() ? 0 : 1, precedence(k.action), k.action, a);
    };
    return tie(*this) < tie(o);
  }
};

}  // namespace

Json oci_seccomp(const std::vector<SeccompRuleFilter>& filters, Losses& losses) {
  // The later filters: one verdict per call, their defaults for the rest.
  uint32_t later_default = SCMP_ACT_ALLOW;
  std::set<int> calls;
  for (size_t i = 1; i < filters.size(); ++i) {
    later_default = combine(later_default, filters[i].default_action);
    for (const auto& r : filters[i].rules) calls.insert(r.nr);
  }
  auto later = [&](int nr) {
    uint32_t v = SCMP_ACT_ALLOW;
    for (size_t i = 1; i < filters.size(); ++i) {
      uint32_t f = filters[i].default_action;
      for (const auto& r : filters[i].rules)
        if (r.nr == nr) f = r.action;
      v = combine(v, f);
    }
    return v;
  };
  std::map<int, std::vector<const SeccompRule*>> base;
  for (const auto& r : filters.front().rules) {
    base[r.nr].push_back(&r);
    calls.insert(r.nr);
  }
  const uint32_t def = combine(filters.front().default_action, later_default);

  std::map<Key, std::set<std::string>> entries;
  auto emit = [&](uint32_t action, const Args& args, int nr) {
    std::string name = syscall_name(nr);
    if (!name.empty()) entries[Key{action, args}].insert(name);
  };
  for (int nr : calls) {
    uint32_t v = later(nr);
    auto it = base.find(nr);
    bool stricter_than_all = true;
    if (it != base.end())
      for (const auto* r : it->second) stricter_than_all = stricter_than_all && precedence(v) <= precedence(r->action);
    if (it == base.end() || stricter_than_all) {
      if (v != def) emit(v, {}, nr);
      continue;
    }
    bool unconditional = false;
    for (const auto* r : it->second) {
      emit(combine(r->action, v), r->args, nr);
      unconditional = unconditional || r->args.empty();
    }
    if (unconditional || v == def) continue;
    unsigned index = 0;
    if (auto rest = complement(it->second, index)) {
      for (const auto& p : *rest) emit(v, {SeccompArg{index, SCMP_CMP_MASKED_EQ, p.mask, p.value}}, nr);
    } else {
      emit(v, {SeccompArg{0, SCMP_CMP_GE, 0, 0}}, nr);
      losses.push_back(syscall_name(nr) + ": its argument rules are no masked comparisons of one argument, and "
                       "libseccomp may let the rule for its other arguments shadow them");
    }
  }

  Json out;
  out["defaultAction"] = action_name(def);
  if ((def & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) out["defaultErrnoRet"] = def & SECCOMP_RET_DATA;
  out["architectures"] = Json::array({native_arch()});
  Json list = Json::array();
  for (const auto& [key, names] : entries) {
    Json e;
    e["names"] = Json(std::vector<std::string>(names.begin(), names.end()));
    e["action"] = action_name(key.action);
    if ((key.action & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_ERRNO) e["errnoRet"] = key.action & SECCOMP_RET_DATA;
    if (!key.args.empty()) {
      Json args = Json::array();
      for (const auto& a : key.args)
        args.push_back(Json{{"index", a.index}, {"value", a.a}, {"valueTwo", a.b}, {"op", op_name(a.op)}});
      e["args"] = std::move(args);
    }
    list.push_back(std::move(e));
  }
  out["syscalls"] = std::move(list);
  losses.push_back(
      "a call of another ABI (i386, x32) kills the thread that made it, not the whole process: "
      "OCI has no setting for libseccomp's bad-architecture action");
  return out;
}

std::string json_text(const Json& j) { return j.dump(2) + "\n"; }

}  // namespace zjail::exporting
