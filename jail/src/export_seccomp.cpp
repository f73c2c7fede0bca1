// zjail's seccomp filters as one OCI filter (export_internal.hpp).
//
// zjail attaches two or three filters: the base filter (default allow, with
// argument rules: TIOCSTI, namespaces, socket families...), the filter that
// PrivateDevices= and its kin imply, and the profile's SystemCallFilter=.
// An OCI runtime attaches one. For each call the later filters give one
// verdict whatever the arguments; the base filter's may depend on them.
// Where they do, the argument space is cut into disjoint regions, each a
// masked compare per argument, and each region gets the kernel's verdict
// of all the filters; a region whose verdict is the default needs no rule.
// Disjoint rules leave nothing to the order in which libseccomp checks
// overlapping ones, and no rule repeats the default (libseccomp refuses
// that: EACCES). tests/unit/export_seccomp_test.cpp compiles the result as
// crun does and runs both over every call and the rules' boundary values.
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

// Values of the six arguments: a region of the argument space, or one of
// the patterns a rule matches. Argument i is constrained to
// (arg & mask[i]) == value[i].
struct Pattern {
  uint64_t mask[6] = {}, value[6] = {};
  bool consistent(const Pattern& r) const {
    for (int i = 0; i < 6; ++i)
      if ((value[i] ^ r.value[i]) & mask[i] & r.mask[i]) return false;
    return true;
  }
  // Every value of region `r` matches this pattern.
  bool covers(const Pattern& r) const {
    for (int i = 0; i < 6; ++i)
      if (mask[i] & ~r.mask[i]) return false;
    return consistent(r);
  }
};

// One comparison as the union of patterns on its argument.
std::vector<std::pair<uint64_t, uint64_t>> patterns_of(const SeccompArg& a) {
  std::vector<std::pair<uint64_t, uint64_t>> out;  // {mask, value}
  auto above = [](int bit) { return bit == 63 ? uint64_t{1} << 63 : ~((uint64_t{1} << bit) - 1); };
  auto less = [&](uint64_t v) {  // x < v
    for (int bit = 63; bit >= 0; --bit)
      if (v >> bit & 1) out.push_back({above(bit), v & above(bit) & ~(uint64_t{1} << bit)});
  };
  auto greater = [&](uint64_t v) {  // x > v
    for (int bit = 63; bit >= 0; --bit)
      if (!(v >> bit & 1)) out.push_back({above(bit), (v & above(bit)) | uint64_t{1} << bit});
  };
  switch (a.op) {
    case SCMP_CMP_MASKED_EQ:
      if (!(a.b & ~a.a)) out.push_back({a.a, a.b});
      break;
    case SCMP_CMP_EQ: out.push_back({~uint64_t{0}, a.a}); break;
    case SCMP_CMP_NE: less(a.a), greater(a.a); break;
    case SCMP_CMP_GT: greater(a.a); break;
    case SCMP_CMP_GE: greater(a.a), out.push_back({~uint64_t{0}, a.a}); break;
    case SCMP_CMP_LT: less(a.a); break;
    case SCMP_CMP_LE: less(a.a), out.push_back({~uint64_t{0}, a.a}); break;
  }
  return out;
}

struct Rule {
  Pattern p;
  uint32_t action;
};

// A base rule's conjunction of comparisons as a union of patterns; without
// `top_bit`, the patterns that need bit 63 set are left out and the others
// do not look at it (export_internal.hpp says why that is sound).
void add_patterns(const SeccompRule& r, bool top_bit, std::vector<Rule>& out) {
  std::vector<Pattern> acc(1);
  for (const auto& a : r.args) {
    std::vector<Pattern> next;
    for (const auto& [mask, value] : patterns_of(a))
      for (Pattern p : acc) {
        if ((p.value[a.index] ^ value) & p.mask[a.index] & mask) continue;
        p.mask[a.index] |= mask;
        p.value[a.index] |= value;
        next.push_back(p);
      }
    acc = std::move(next);
  }
  constexpr uint64_t kTop = uint64_t{1} << 63;
  for (Pattern p : acc) {
    if (!top_bit) {
      bool needs_top = false;
      for (int i = 0; i < 6; ++i) {
        needs_top = needs_top || (p.mask[i] & p.value[i] & kTop);
        p.mask[i] &= ~kTop;
        p.value[i] &= ~kTop;
      }
      if (needs_top) continue;
    }
    out.push_back({p, r.action});
  }
}

// The regions of `region` and their verdicts: the strictest rule that
// covers a region (none: `outside`). Splits on one bit at a time until no
// rule is left only partly inside; two halves with one verdict each, the
// same, merge back into their parent.
void split(const Pattern& region, const std::vector<const Rule*>& rules, uint32_t outside,
           std::vector<Rule>& out) {
  std::vector<const Rule*> alive;
  for (const auto* r : rules)
    if (r->p.consistent(region)) alive.push_back(r);
  std::optional<uint32_t> inside;
  for (const auto* r : alive)
    if (r->p.covers(region)) inside = inside ? combine(*inside, r->action) : r->action;
  // Inside a rule, only a rule that would give another verdict there is
  // followed further.
  const Rule* partly = nullptr;
  for (const auto* r : alive)
    if (!r->p.covers(region) && (!inside || combine(*inside, r->action) != *inside)) {
      partly = r;
      break;
    }
  if (!partly) {
    out.push_back({region, inside.value_or(outside)});
    return;
  }
  int arg = 0;
  while (!(partly->p.mask[arg] & ~region.mask[arg])) ++arg;
  uint64_t free = partly->p.mask[arg] & ~region.mask[arg];
  uint64_t bit = uint64_t{1} << (63 - __builtin_clzll(free));
  size_t first = out.size();
  for (uint64_t v : {uint64_t{0}, bit}) {
    Pattern half = region;
    half.mask[arg] |= bit;
    half.value[arg] |= v;
    split(half, alive, inside.value_or(outside), out);
  }
  if (out.size() == first + 2 && out[first].action == out[first + 1].action) {
    uint32_t action = out[first].action;
    out.resize(first);
    out.push_back({region, action});
  }
}

Args args_of(const Pattern& p) {
  Args args;
  for (unsigned i = 0; i < 6; ++i)
    if (p.mask[i]) args.push_back({i, SCMP_CMP_MASKED_EQ, p.mask[i], p.value[i]});
  return args;
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

Json oci_seccomp(const std::vector<SeccompRuleFilter>& filters, Losses& losses, bool top_bit) {
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
    if (it == base.end()) {
      if (v != def) emit(v, {}, nr);
      continue;
    }
    std::vector<Rule> patterns;
    for (const auto* r : it->second) add_patterns(*r, top_bit, patterns);
    std::vector<const Rule*> rules;
    for (const auto& r : patterns) rules.push_back(&r);
    std::vector<Rule> regions;
    split(Pattern{}, rules, SCMP_ACT_ALLOW, regions);
    for (const auto& r : regions) {
      uint32_t verdict = combine(r.action, v);
      if (verdict != def) emit(verdict, args_of(r.p), nr);
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
