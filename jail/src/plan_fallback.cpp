// A launch without namespaces: where the host refuses an unprivileged
// caller a user namespace (user.max_user_namespaces=0, Ubuntu's AppArmor
// restriction), the payload is still confined by Landlock, seccomp,
// no_new_privs, rlimits and a session of its own. With no mount namespace
// the jail's view of the files cannot be built, so the mount table is
// turned into Landlock rules on the host's own paths: that only works
// where every bind shows a host path at the same path, and Landlock (which
// only ever adds rights going down a tree) must say "this, but not that
// beneath it" by granting the siblings of what is hidden instead of its
// parent. What no rule can say is refused here, before anything is taken
// from the host.
#include <dirent.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include <climits>
#include <cstdlib>
#include <cstring>
#include <map>

#include "plan_internal.hpp"
#include "zjail/lease.hpp"

namespace zjail {
namespace {

using Kind = MountOp::Kind;

// "/a//b/" -> "/a/b"; "" stays "".
std::string tidy(const std::string& path) {
  std::string out;
  for (char c : path)
    if (c != '/' || out.empty() || out.back() != '/') out += c;
  while (out.size() > 1 && out.back() == '/') out.pop_back();
  return out;
}

bool below(const std::string& path, const std::string& top) {
  return path == top || top == "/" ||
         (path.size() > top.size() && path.starts_with(top) && path[top.size()] == '/');
}

// The host path as the rule will name it, walked as the mounts walk their
// sources: a symlink anywhere on the way is refused (ELOOP), never
// followed, so that no symlink the payload planted in a writable place
// steers a later launch's rule elsewhere (the rule is opened the same way,
// LandlockPlan::no_symlinks). "" where nothing is there.
Result<std::string> real(const std::string& path) {
  UniqueFd fd(open_path_no_symlinks(path.c_str()));
  if (fd) return tidy(path);
  if (errno == ENOENT) return std::string();
  return make_error(Step::Plan, errno, path + ": a symlink on the way is not followed without a mount namespace");
}

Error needs_namespace(const std::string& what, const std::string& why) {
  return make_error(Step::Plan, 0,
                    what + " needs a mount namespace, and this host refuses zjail's user namespaces: " + why);
}

// What the payload may do beneath each host path (resolved), deepest wins,
// as the mount table would have it.
struct HostView {
  std::map<std::string, uint64_t> rights;

  uint64_t inherited(const std::string& path) const {
    uint64_t r = 0;
    for (const auto& [p, v] : rights)
      if (below(path, p)) r = v;  // std::map order: the deepest comes last
    return r;
  }
};

// `plan.mounts`, read as a view of the host's own tree.
Result<HostView> host_view(const Plan& plan) {
  HostView v;
  if (plan.root_directory == "/") v.rights["/"] = landlock_fs_rights(0);
  for (const auto& m : plan.mounts) {
    std::string target = tidy("/" + m.target);
    switch (m.kind) {
      case Kind::Bind: {
        // The source as written, which is also the path the payload uses:
        // a symlink the invoker's uid owns (the payload's, here) resolves
        // for a mount source, never for a rule.
        ZJAIL_TRY_ASSIGN(std::string host, real(m.source));
        if (host.empty()) break;  // an optional source that is not there
        struct stat st{};
        bool device = stat(host.c_str(), &st) == 0 && (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
        uint64_t r = landlock_fs_rights(m.attr);
        if (device) {
          r = landlock_device_rights(true, true);
          for (const auto& a : plan.device_access)
            if (a.path == target) r = landlock_device_rights(a.read, a.write);
        }
        v.rights[host] = r;
        break;
      }
      case Kind::Tmpfs:
      case Kind::Proc:
      case Kind::Devpts:
      case Kind::Cgroup2:
      case Kind::Mask:
      case Kind::Inaccessible:
        // What the jail would cover: the host's files there are hidden.
      {
        ZJAIL_TRY_ASSIGN(std::string host, real(target));
        if (!host.empty()) v.rights[host] = 0;
        break;
      }
      case Kind::Attr: {
        ZJAIL_TRY_ASSIGN(std::string host, real(target));
        if (host.empty()) break;
        auto adjust = [&](uint64_t r) {
          uint64_t write = landlock_fs_rights(0) & ~landlock_fs_rights(MOUNT_ATTR_RDONLY);
          uint64_t exec = landlock_fs_rights(0) & ~landlock_fs_rights(MOUNT_ATTR_NOEXEC);
          if (!r) return r;  // nothing shown there: flags add nothing
          if (m.attr & MOUNT_ATTR_RDONLY) r &= ~write;
          if (m.attr_clear & MOUNT_ATTR_RDONLY) r |= write;
          if (m.attr & MOUNT_ATTR_NOEXEC) r &= ~exec;
          if (m.attr_clear & MOUNT_ATTR_NOEXEC) r |= exec;
          return r;
        };
        v.rights[host] = adjust(v.inherited(host));
        if (m.recursive)
          for (auto& [p, r] : v.rights)
            if (p != host && below(p, host)) r = adjust(r);
        break;
      }
      case Kind::MountPoint:
      case Kind::Symlink:
        break;
      case Kind::Files:
      case Kind::JailBind:
        return needs_namespace(describe_mount(m), "no rule can show a file at another path");
    }
  }
  return v;
}

// Grants `r` beneath `path`, except beneath the entries in `lesser`: there
// the rule goes to every sibling on the way down instead. Files made later
// next to such a path get nothing (stricter, never looser).
void grant(const std::string& path, uint64_t r, const std::vector<std::string>& lesser,
           std::vector<LandlockPathRule>& out) {
  bool split = false;
  for (const auto& l : lesser) {
    if (l == path) return;  // the entry's own rule, if any, says it
    if (below(l, path)) split = true;
  }
  if (!split) {
    out.push_back({path, r});
    return;
  }
  DIR* d = opendir(path.c_str());
  if (!d) return;
  for (dirent* e; (e = readdir(d));) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string child = (path == "/" ? "" : path) + "/" + name;
    struct stat st{};
    // A symlink gets no rule: where it points is judged on its own.
    if (lstat(child.c_str(), &st) != 0 || S_ISLNK(st.st_mode)) continue;
    grant(child, r, lesser, out);
  }
  closedir(d);
}

std::vector<LandlockPathRule> host_rules(const HostView& v) {
  std::vector<LandlockPathRule> out;
  for (const auto& [path, r] : v.rights) {
    if (!r) continue;
    // Beneath it, what the jail shows with fewer rights.
    std::vector<std::string> lesser;
    for (const auto& [p, pr] : v.rights)
      if (p != path && below(p, path) && (r & ~pr)) lesser.push_back(p);
    grant(path, r, lesser, out);
  }
  return out;
}

}  // namespace

Status refuse_namespaced(const Profile& p, const PlanContext& ctx, const Plan& plan) {
  if (plan.invoked_as_root)
    return make_error(Step::Plan, ctx.user_namespace_refused,
                      "root never runs a jail without namespaces: creating a user namespace failed");
  if (plan.private_network)
    return at(p.private_network.origin, Step::Plan,
              "PrivateNetwork=yes needs a network namespace, and this host refuses zjail's user namespaces: "
              "run with --network host (or PrivateNetwork=no, as network-service has it) to confine the "
              "payload without one, on the host's network");
  if (!plan.root_directory.empty() && plan.root_directory != "/")
    return needs_namespace("RootDirectory=" + plan.root_directory, "the payload would see the host's root");
  for (const auto& m : plan.mounts) {
    if (m.kind == Kind::Files || m.kind == Kind::JailBind)
      return needs_namespace(describe_mount(m), "no rule can show a file at another path");
    if (m.kind == Kind::Bind && tidy(m.source) != tidy("/" + m.target))
      return needs_namespace(describe_mount(m),
                             "without one the payload sees the host's paths, so only binds to the same path "
                             "can be kept");
  }
  if (plan.ambient)
    return needs_namespace("AmbientCapabilities=", "an unprivileged caller has capabilities only in one");
  if (!p.restrict_io_uring.value.value_or(true))
    return at(p.restrict_io_uring.origin, Step::Plan,
              "RestrictIOUring=no needs a mount namespace, and this host refuses zjail's user namespaces: "
              "io_uring makes unix stream sockets (IORING_OP_SOCKET) past the rule that keeps the host's out "
              "of reach");
  if (ctx.listen_fds > 0 || !p.listen_stream.empty() || !p.listen_datagram.empty() || !ctx.watchdog_usec.empty())
    return needs_namespace("socket activation and the watchdog (LISTEN_PID, WATCHDOG_PID)",
                           "the payload's pid is known before it starts only in a pid namespace");
  return {};
}

Status plan_without_namespaces(const Profile& p, const PlanContext& ctx, Plan& plan) {
  ZJAIL_TRY(refuse_namespaced(p, ctx, plan));
  LandlockPlan& ll = plan.landlock;
  ll.handled_fs = landlock_fs_handled(ll.abi);
  if (!ll.handled_fs)
    return make_error(Step::Plan, EOPNOTSUPP,
                      "this host refuses zjail's user namespaces, and without them Landlock's path rules (ABI 2, "
                      "Linux 5.19) are what keeps the payload to the profile's files; this kernel has ABI " +
                          std::to_string(ll.abi));
  ZJAIL_TRY_ASSIGN(HostView view, host_view(plan));
  ll.paths = host_rules(view);
  ll.no_symlinks = true;
  ll.exec_rule = plan.exec_fd.valid();
  // A script runs by its host path: the interpreter opens it there.
  if (!plan.exec_path.empty() && !plan.exec_fd.valid())
    ll.paths.push_back({plan.exec_path, landlock_fs_rights(MOUNT_ATTR_RDONLY)});
  // A private /tmp: no rule reaches the host's, and TMPDIR names a
  // directory of the payload's own that goes with the launch.
  bool private_tmp = false;
  for (const auto& m : plan.mounts)
    if (m.kind == Kind::Tmpfs && (m.target == "tmp" || m.target == "var/tmp")) private_tmp = true;
  if (private_tmp && ctx.lease) {
    ZJAIL_TRY_ASSIGN(std::string dir, ctx.lease->make_private_tmp(ctx.private_tmp_base));
    set_env(plan.envp_storage, std::string("TMPDIR=") + dir);
    ll.paths.push_back({dir, landlock_fs_rights(0)});
  }
  if (!ctx.notify_relay.empty()) set_env(plan.envp_storage, std::string("NOTIFY_SOCKET=") + ctx.notify_relay);

  plan.namespaces = false;
  plan.clone_flags = 0;
  plan.idmap = {};
  std::string lost = "the user, mount, pid, network, IPC, UTS, time and cgroup namespaces";
  std::string shared = "it sees the host's processes (Landlock keeps its signals and ptrace in), SysV IPC, "
                       "the unix datagram sockets it can name (stream sockets are refused), hostname and network, "
                       "its children can outlive zjail";
  if (!(ll.scoped & kLandlockScopeSignal) && p.restrict_signals.value.value_or(true))
    shared += ", and it can signal every process of uid " + std::to_string(plan.uid) +
              " (no Landlock signal scope: ABI 6)";
  plan.warnings.insert(plan.warnings.begin(),
                       std::string("WITHOUT NAMESPACES: this host refuses zjail a user namespace (") +
                           std::strerror(ctx.user_namespace_refused) +
                           "); the payload is confined by Landlock (the profile's paths on the host), seccomp, "
                           "no_new_privs, rlimits and a new session only. Missing: " + lost + "; " + shared);
  return {};
}

}  // namespace zjail
