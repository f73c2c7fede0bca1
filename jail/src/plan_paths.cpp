// The path rules (ReadWritePaths=, ReadOnlyPaths=, InaccessiblePaths=,
// ExecPaths=, NoExecPaths=, and what ProtectSystem= and friends imply)
// applied to the mount table, with systemd's semantics:
//  - rules on one path combine: inaccessible beats everything, read-only
//    beats read-write, noexec beats exec;
//  - a rule reaches everything beneath its path that is there when it is
//    applied, host submounts included, but no mount entry of its own deeper
//    down (a bind, a tmpfs, a deeper rule): sort_mounts() applies parents
//    first, so the more specific path wins;
//  - nothing is mounted beneath an inaccessible path;
//  - ReadWritePaths= and ExecPaths= give a path the flags it has outside
//    (the host's, a bind's), never more: where it comes from the host, the
//    path is bound again from there, since a user namespace cannot clear
//    flags the host set (they are locked) and must not clear them on mounts
//    the host made read-only.
#include <sys/mount.h>

#include <algorithm>
#include <cstring>
#include <map>

#include "jail_view.hpp"
#include "plan_internal.hpp"

namespace zjail {
namespace {

using Kind = MountOp::Kind;
using Mode = PathRuleSpec::Mode;

// What the rules say about one jail path.
struct Rule {
  std::string rel;
  bool inaccessible = false;
  int write = 0;  // 1 read-only, -1 read-write
  int exec = 0;   // 1 noexec, -1 exec
  bool optional = true;
  std::string origin;  // "f.profile:3: ReadOnlyPaths=/x", of the rule that wins
};

size_t depth(const std::string& rel) { return rel.empty() ? 0 : 1 + std::count(rel.begin(), rel.end(), '/'); }

bool holds_content(Kind k) {
  return k == Kind::Bind || k == Kind::Tmpfs || k == Kind::Proc || k == Kind::Devpts || k == Kind::Cgroup2 ||
         k == Kind::Mask || k == Kind::Inaccessible;
}

bool strictly_under(const std::string& rel, const std::string& dir) {
  return rel != dir && covers(dir, rel);
}

Error unresolved(const PathRuleSpec& r, const Error& why) {
  std::string msg = r.origin + ": " + r.what;
  if (why.context != r.path) msg += ": " + why.context;
  if (why.err == ENOENT) msg += " is not in the jail (a leading '-' skips a missing path)";
  return make_error(Step::Plan, why.err, msg);
}

// The last mount entry at exactly `rel`, or -1.
int entry_at(const std::vector<MountOp>& mounts, const std::string& rel) {
  int found = -1;
  for (size_t i = 0; i < mounts.size(); ++i)
    if (holds_content(mounts[i].kind) && mounts[i].target == rel) found = static_cast<int>(i);
  return found;
}

// The deepest mount entry strictly above `rel` (what `rel` lies in), or -1
// for the root.
int container_of(const std::vector<MountOp>& mounts, const std::string& rel) {
  int found = -1;
  size_t best = 0;
  for (size_t i = 0; i < mounts.size(); ++i) {
    const MountOp& m = mounts[i];
    if (!holds_content(m.kind) || !strictly_under(rel, m.target)) continue;
    if (found < 0 || depth(m.target) >= best) found = static_cast<int>(i), best = depth(m.target);
  }
  return found;
}

// The flags zjail will have set at `rel`: those of what it lies in, then
// every Attr on the way down that reaches it.
uint64_t flags_at(const Plan& plan, int container, const std::string& rel) {
  const std::string& base = container < 0 ? std::string() : plan.mounts[static_cast<size_t>(container)].target;
  uint64_t attr = container < 0 ? plan.root_attr : plan.mounts[static_cast<size_t>(container)].attr;
  if (container < 0 && plan.root_directory.empty()) attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  // A recursive Attr reaches everything beneath it; one on the top mount
  // only (a seal) reaches what lies in that mount.
  std::vector<const MountOp*> attrs;
  for (const auto& m : plan.mounts)
    if (m.kind == Kind::Attr && (m.recursive || m.target == base) && covers(base, m.target) && covers(m.target, rel))
      attrs.push_back(&m);
  std::stable_sort(attrs.begin(), attrs.end(), [](const MountOp* a, const MountOp* b) {
    return depth(a->target) < depth(b->target);
  });
  for (const MountOp* a : attrs) attr = (attr | a->attr) & ~a->attr_clear;
  return attr;
}

// Where the host has what lies at `rel`, if it comes from the host.
bool host_source(const Plan& plan, int container, const std::string& rel, std::string& out, bool& recursive) {
  if (container < 0) {
    if (plan.root_directory.empty()) return false;
    out = plan.root_directory == "/" ? "/" + rel : plan.root_directory + "/" + rel;
    recursive = true;
    return true;
  }
  const MountOp& c = plan.mounts[static_cast<size_t>(container)];
  if (c.kind != Kind::Bind) return false;
  const std::string& src = c.resolved_source.empty() ? c.source : c.resolved_source;
  out = src + rel.substr(c.target.size());
  recursive = c.recursive;
  return true;
}

MountOp attr_op(const Rule& r, uint64_t set, uint64_t clear) {
  MountOp m;
  m.kind = Kind::Attr;
  m.target = r.rel;
  m.attr = set;
  m.attr_clear = clear;
  m.optional = r.optional;
  m.origin = r.origin;
  return m;
}

// One combined rule, on a path no mount entry of its own is at.
void apply_rule(const Rule& r, Plan& plan) {
  int c = container_of(plan.mounts, r.rel);
  uint64_t now = flags_at(plan, c, r.rel);
  uint64_t want = now;
  if (r.write > 0) want |= MOUNT_ATTR_RDONLY;
  if (r.write < 0) want &= ~uint64_t{MOUNT_ATTR_RDONLY};
  if (r.exec > 0) want |= MOUNT_ATTR_NOEXEC;
  if (r.exec < 0) want &= ~uint64_t{MOUNT_ATTR_NOEXEC};
  // The empty root turns read-only at the end of the launch anyway.
  if (r.rel.empty() && plan.root_directory.empty()) want &= ~uint64_t{MOUNT_ATTR_RDONLY};
  if (want == now) return;  // the path above has these flags already
  bool gives_back = r.write < 0 || r.exec < 0;
  std::string host;
  bool recursive = true;
  if (gives_back && !r.rel.empty() && host_source(plan, c, r.rel, host, recursive)) {
    // Bound again from the host, with the flags zjail wants and whatever
    // the host's own mounts there have.
    MountOp m;
    m.kind = Kind::Bind;
    m.source = host;
    m.target = r.rel;
    m.attr = want;
    m.recursive = recursive;
    m.optional = r.optional;
    m.origin = r.origin;
    plan.mounts.push_back(std::move(m));
    return;
  }
  plan.mounts.push_back(attr_op(r, want & ~now, now & ~want));
}

// A rule on a path where a mount entry of the jail's own is: its flags
// change, and read-write leaves it as it is (the entry keeps its own
// read-only, as in systemd).
void apply_to_entry(const Rule& r, size_t entry, Plan& plan) {
  MountOp& e = plan.mounts[entry];
  bool fresh = e.kind != Kind::Bind;
  if (r.exec > 0) e.attr |= MOUNT_ATTR_NOEXEC;
  if (r.exec < 0) e.attr &= ~uint64_t{MOUNT_ATTR_NOEXEC};
  if (r.write <= 0) return;
  if (!fresh) {
    e.attr |= MOUNT_ATTR_RDONLY;
    return;
  }
  // A fresh file system turns read-only once what is mounted in it has its
  // mount point there.
  MountOp s = attr_op(r, MOUNT_ATTR_RDONLY, 0);
  s.recursive = false;
  plan.mounts.push_back(std::move(s));
}

}  // namespace

Status apply_path_rules(const std::vector<PathRuleSpec>& specs, uid_t invoker, Plan& plan) {
  if (specs.empty()) return {};
  // Resolved in the jail as it will be, before anything is added to it.
  std::map<std::string, Rule> rules;
  for (const auto& s : specs) {
    auto rel = resolve_in_jail(plan, s.path, invoker);
    if (!rel) {
      if (s.optional && rel.error().err == ENOENT) continue;
      return unresolved(s, rel.error());
    }
    Rule& r = rules[*rel];
    r.rel = *rel;
    r.optional = r.optional && s.optional;
    // Messages name the rule that wins.
    bool wins = r.origin.empty() || (!r.inaccessible && (s.mode == Mode::Inaccessible ||
                                                         (s.mode == Mode::ReadOnly && r.write <= 0)));
    if (wins) r.origin = s.origin + ": " + s.what;
    switch (s.mode) {
      case Mode::Inaccessible: r.inaccessible = true; break;
      case Mode::ReadOnly: r.write = 1; break;
      case Mode::ReadWrite: r.write = r.write > 0 ? 1 : -1; break;
      case Mode::NoExec: r.exec = 1; break;
      case Mode::Exec: r.exec = r.exec > 0 ? 1 : -1; break;
    }
  }
  // Inaccessible paths: whatever would be mounted there or beneath goes.
  for (const auto& [rel, r] : rules) {
    if (!r.inaccessible) continue;
    if (rel.empty()) return make_error(Step::Plan, EINVAL, r.origin + ": the jail's root cannot be made inaccessible");
    // A named copy: clang before 16 refuses a structured binding in a lambda.
    const std::string& path = rel;
    std::erase_if(plan.mounts, [&](const MountOp& m) { return covers(path, m.target); });
    MountOp m;
    m.kind = Kind::Inaccessible;
    m.target = rel;
    m.options = {{"mode", "0000"}, {"nr_inodes", "2"}, {"size", "4k"}};
    m.optional = r.optional;
    m.origin = r.origin;
    plan.mounts.push_back(std::move(m));
  }
  std::vector<const Rule*> order;
  for (const auto& [rel, r] : rules) {
    bool hidden = false;
    for (const auto& [other, o] : rules)
      hidden = hidden || (o.inaccessible && covers(other, rel));
    if (!hidden) order.push_back(&r);
  }
  std::stable_sort(order.begin(), order.end(), [](const Rule* a, const Rule* b) { return depth(a->rel) < depth(b->rel); });
  for (const Rule* r : order) {
    int e = entry_at(plan.mounts, r->rel);
    if (e >= 0) apply_to_entry(*r, static_cast<size_t>(e), plan);
    else apply_rule(*r, plan);
  }
  std::string no_root;
  ZJAIL_TRY(resolve_sources(plan.mounts, no_root, invoker));
  sort_mounts(plan.mounts);
  return {};
}

}  // namespace zjail
