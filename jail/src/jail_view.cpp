// The jail's file system from the plan's mount table (jail_view.hpp).
#include "jail_view.hpp"

#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include "zjail/trust.hpp"

namespace zjail {

bool covers(const std::string& target, const std::string& rel) {
  return target.empty() || rel == target || (rel.size() > target.size() && rel.compare(0, target.size(), target) == 0 &&
                                             rel[target.size()] == '/');
}

namespace {

// Mounts that change how a path behaves, not what it is.
bool changes_nothing_there(MountOp::Kind k) {
  return k == MountOp::Kind::Attr || k == MountOp::Kind::MountPoint;
}

std::string host_root_path(const Plan& plan, const std::string& rel) {
  if (plan.root_directory == "/") return "/" + rel;
  return plan.root_directory + (rel.empty() ? "" : "/" + rel);
}

// Mounts whose mount point zjail makes when it is missing.
bool creates_mount_point(MountOp::Kind k) {
  return k != MountOp::Kind::Attr && k != MountOp::Kind::Mask && k != MountOp::Kind::Inaccessible &&
         k != MountOp::Kind::JailBind;
}

}  // namespace

JailNode node_at(const Plan& plan, const std::string& rel, size_t upto) {
  const MountOp* best = nullptr;
  size_t best_len = 0;
  upto = std::min(upto, plan.mounts.size());
  for (size_t i = 0; i < upto; ++i) {
    const MountOp& m = plan.mounts[i];
    if (changes_nothing_there(m.kind) || !covers(m.target, rel)) continue;
    if (m.kind == MountOp::Kind::Symlink && m.target != rel) continue;
    if (!best || m.target.size() >= best_len) best = &m, best_len = m.target.size();
  }
  auto below = [&](const std::string& base) {
    return rel.size() > best_len ? base + rel.substr(best_len) : base;
  };
  if (!best) {
    if (!plan.root_directory.empty()) return {JailNode::Host, host_root_path(plan, rel), nullptr};
    best_len = 0;
  } else {
    switch (best->kind) {
      case MountOp::Kind::Bind: {
        const std::string& src = best->resolved_source.empty() ? best->source : best->resolved_source;
        return {JailNode::Host, below(src), best};
      }
      case MountOp::Kind::Symlink: return {JailNode::Link, best->source, best};
      case MountOp::Kind::Mask:
      case MountOp::Kind::Inaccessible: return {rel == best->target ? JailNode::Dir : JailNode::Missing, "", best};
      case MountOp::Kind::Tmpfs:
      case MountOp::Kind::Proc:
      case MountOp::Kind::Devpts:
      case MountOp::Kind::Cgroup2:
      case MountOp::Kind::Attr:
      case MountOp::Kind::MountPoint:
      case MountOp::Kind::Files:     // zjail's own files (credentials), none a program runs
      case MountOp::Kind::JailBind:  // one of those files (the user database)
        break;  // a fresh file system: only its own mount points exist
    }
  }
  if (best && rel == best->target) return {JailNode::Dir, "", best};
  // Inside a fresh tmpfs (or the empty root): a directory only where zjail
  // created one on the way to a deeper mount point.
  for (size_t i = 0; i < upto; ++i)
    if (plan.mounts[i].target.size() > rel.size() && covers(rel, plan.mounts[i].target) &&
        creates_mount_point(plan.mounts[i].kind))
      return {JailNode::Dir, "", best};
  return rel.empty() ? JailNode{JailNode::Dir, "", nullptr} : JailNode{JailNode::Missing, "", best};
}

JailNode resolve_node(const Plan& plan, const std::string& path) {
  PathWalk walk(path);
  for (std::string next; walk.next(next);) {
    JailNode n = node_at(plan, next.substr(1));
    std::string link;
    if (n.kind == JailNode::Missing) return n;
    if (n.kind == JailNode::Link) {
      link = n.text;
    } else if (n.kind == JailNode::Host) {
      struct stat st{};
      if (lstat(n.text.c_str(), &st) != 0) return JailNode{};
      if (S_ISLNK(st.st_mode)) {
        link.resize(4096);
        ssize_t len = readlink(n.text.c_str(), link.data(), link.size());
        if (len <= 0) return JailNode{};
        link.resize(static_cast<size_t>(len));
      }
    }
    // A symlink resolves in the jail: an absolute one from the jail's root.
    if (link.empty()) walk.enter(std::move(next));
    else if (!walk.follow(link)) return JailNode{};
  }
  return node_at(plan, walk.resolved().substr(1));
}

Result<std::string> resolve_in_jail(const Plan& plan, const std::string& path, uid_t invoker) {
  PathWalk walk(path);
  for (std::string next; walk.next(next);) {
    JailNode n = node_at(plan, next.substr(1));
    std::string link;
    if (n.kind == JailNode::Missing && n.mount && n.mount->kind == MountOp::Kind::Proc) {
      // The jail's /proc has the kernel's files as the host's has them
      // (fewer with ProcSubset=pid): where the host has one, it may be there.
      struct stat st{};
      if (lstat(("/proc" + next.substr(1 + n.mount->target.size())).c_str(), &st) != 0)
        return make_error(Step::Plan, ENOENT, next);
      walk.enter(std::move(next));
      continue;
    }
    if (n.kind == JailNode::Missing) return make_error(Step::Plan, ENOENT, next);
    if (n.kind == JailNode::Link) {
      link = n.text;
    } else if (n.kind == JailNode::Host) {
      struct stat st{};
      if (lstat(n.text.c_str(), &st) != 0) return make_error(Step::Plan, errno, next);
      if (S_ISLNK(st.st_mode)) {
        // Whoever could plant this link could point the rule elsewhere.
        if (st.st_uid != 0 && st.st_uid != invoker)
          return make_error(Step::Plan, EPERM, "symlink " + next + " belongs to uid " + std::to_string(st.st_uid) +
                                                   ", not root: not followed");
        link.resize(4096);
        ssize_t len = readlink(n.text.c_str(), link.data(), link.size());
        if (len <= 0) return make_error(Step::Plan, len < 0 ? errno : EIO, next);
        link.resize(static_cast<size_t>(len));
      }
    }
    if (link.empty()) walk.enter(std::move(next));
    else if (!walk.follow(link)) return make_error(Step::Plan, ELOOP, path);
  }
  return walk.resolved().substr(1);
}

}  // namespace zjail
