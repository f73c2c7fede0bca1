// The file-system sandbox, from the profile's directives to the mount
// table: RootDirectory= (a directory, or the host's root with "/"), the API
// file systems (MountAPIVFS=, PrivateDevices=, DevicePolicy=,
// DeviceAllow=, PrivateTmp=), the path rules of ReadWritePaths= & co and
// of ProtectSystem=, ProtectHome=, ProtectKernel*= and
// ProtectControlGroups= (applied by plan_paths.cpp), and the capabilities
// and system calls some of them take away, as systemd does.
#include <dirent.h>
#include <fnmatch.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <algorithm>
#include <cstdio>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "plan_internal.hpp"
#include "zjail/caps.hpp"
#include "zjail/seccomp_cache.hpp"
#include "zjail/trust.hpp"

namespace zjail {
namespace {

using Kind = MountOp::Kind;
using Mode = PathRuleSpec::Mode;
using Root = FsModel::Root;

constexpr uint64_t kNoSuidDev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

std::string where(const Origin& o) { return o.file.empty() ? std::string("built-in") : o.str(); }

// DevicePolicy= as it applies: PrivateDevices=yes implies closed, and so
// does auto with DeviceAllow= entries (systemd.resource-control(5)).
DevicePolicy device_policy(const Sandbox& s) {
  DevicePolicy v = s.device_policy.value.value_or(DevicePolicy::Auto);
  if (v == DevicePolicy::Auto && (s.private_devices.value.value_or(false) || !s.device_allow.empty()))
    v = DevicePolicy::Closed;
  return v;
}

Status plan_root(const Profile& p, Plan& plan, FsModel& m) {
  if (!p.root_directory.is_set()) return {};
  const std::string& dir = *p.root_directory.value;
  if (path_components(dir).empty()) {
    // The host's root as a unit without RootDirectory= sees it: writable
    // where the host's mounts are, until a directive says otherwise.
    m.root = Root::Host;
    plan.root_directory = "/";
    plan.root_read_only = false;
    return {};
  }
  // Checked now for a clear error; the child clones it by path, since a
  // mount can only be cloned from inside its own mount namespace.
  struct stat st{};
  if (stat(dir.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return make_error(Step::Plan, errno ? errno : ENOTDIR, p.root_directory.origin.str() + ": RootDirectory=" + dir);
  m.root = Root::Directory;
  plan.root_directory = dir;
  return {};
}

FsModel fs_model(const Profile& p, Root root) {
  const Sandbox& s = p.sandbox;
  FsModel m;
  m.root = root;
  bool host = root == Root::Host;
  DevicePolicy policy = device_policy(s);
  bool restricted = s.private_devices.value.value_or(false) || policy != DevicePolicy::Auto;
  std::optional<bool> api = s.mount_api_vfs.value;
  if (host) {
    // A pid namespace of its own needs a /proc of its own: MountAPIVFS=
    // changes nothing on the host's root, as in systemd without RootDirectory=.
    m.dev = restricted ? FsModel::Dev::Zjail : FsModel::Dev::Host;
    m.dev_log = true;
  } else if (api == false) {
    m.proc = false;
    m.dev = FsModel::Dev::None;
  } else {
    // Unset: zjail's /proc and minimal /dev, as always. Yes: the host's
    // /dev unless PrivateDevices= (or a device policy) says otherwise, and
    // the host's /sys and an empty /run, as in systemd.
    m.dev = api && !restricted ? FsModel::Dev::Host : FsModel::Dev::Zjail;
    m.sys = m.run = api.value_or(false);
  }
  m.dev_read_only = s.private_devices.value.value_or(false);
  m.dev_pseudo = policy != DevicePolicy::Strict;
  m.private_tmp = s.private_tmp.value.value_or(host ? PrivateTmp::No : PrivateTmp::Yes) != PrivateTmp::No;
  // systemd's RemoveIPC= (which DynamicUser= implies) deletes the user's
  // POSIX shared memory when the unit stops; on the host's /dev a jail's
  // would outlive it, for the next holder of a dynamic uid to read. A
  // /dev/shm of the jail's own goes with the jail. (SysV objects live in
  // the jail's IPC namespace and go with it too.)
  m.private_shm = m.dev == FsModel::Dev::Host && (p.security.remove_ipc.value.value_or(false) ||
                                                  p.identity.dynamic_user.value.value_or(false));
  return m;
}

// --- DeviceAllow= ---------------------------------------------------------------

// The majors /proc/devices gives drivers whose name matches `glob`.
std::set<unsigned> majors_of(bool block, const std::string& glob) {
  std::set<unsigned> out;
  std::ifstream in("/proc/devices");
  bool in_block = false;
  for (std::string line; std::getline(in, line);) {
    if (line.starts_with("Character devices:")) in_block = false;
    else if (line.starts_with("Block devices:")) in_block = true;
    unsigned major = 0;
    char name[256];
    if (in_block != block || std::sscanf(line.c_str(), "%u %255s", &major, name) != 2) continue;
    if (fnmatch(glob.c_str(), name, 0) == 0) out.insert(major);
  }
  return out;
}

// Every device node under the host's /dev of that type and one of those
// majors; not the pseudo-terminal, shm, mqueue and hugepages file systems.
void nodes_of(const std::string& dir, bool block, const std::set<unsigned>& majors, int depth,
              std::vector<std::string>& out) {
  DIR* d = opendir(dir.c_str());
  if (!d) return;
  while (dirent* e = readdir(d)) {
    std::string name = e->d_name;
    if (name == "." || name == "..") continue;
    std::string path = dir + "/" + name;
    struct stat st{};
    if (lstat(path.c_str(), &st) != 0) continue;
    if (S_ISDIR(st.st_mode)) {
      if (depth < 3 && path != "/dev/pts" && path != "/dev/shm" && path != "/dev/mqueue" && path != "/dev/hugepages")
        nodes_of(path, block, majors, depth + 1, out);
    } else if ((block ? S_ISBLK(st.st_mode) : S_ISCHR(st.st_mode)) && majors.count(major(st.st_rdev))) {
      out.push_back(path);
    }
  }
  closedir(d);
}

}  // namespace

std::vector<std::string> device_nodes(const DeviceRule& r, bool& pts) {
  std::vector<std::string> out;
  if (r.specifier.starts_with("/dev/")) {
    char real[PATH_MAX];
    struct stat st{};
    if (!realpath(r.specifier.c_str(), real) || stat(real, &st) != 0) return out;
    if (std::string(real) == "/dev/ptmx" || std::string(real).starts_with("/dev/pts/")) pts = true;
    else if ((S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) && std::string(real).starts_with("/dev/")) out.push_back(real);
    return out;
  }
  bool block = r.specifier.starts_with("block-");
  std::string glob = r.specifier.substr(block ? 6 : 5);
  if (!block && fnmatch(glob.c_str(), "pts", 0) == 0) pts = true;
  auto majors = majors_of(block, glob);
  // Pseudo-terminals come from the jail's own devpts instance.
  if (!block) majors.erase(136), majors.erase(5);
  if (!majors.empty()) nodes_of("/dev", block, majors, 0, out);
  std::sort(out.begin(), out.end());
  return out;
}

namespace {

Status add_device_nodes(const Profile& p, FsModel& m, std::vector<MountOp>& mounts, std::vector<DeviceAccess>& access) {
  if (m.dev != FsModel::Dev::Zjail) return {};
  std::set<std::string> bound = {"/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty"};
  if (!m.dev_pseudo) bound.clear();
  // What each node is granted, all its lines together, as systemd merges
  // them; the pseudo devices a policy grants are read-write.
  std::map<std::string, std::pair<bool, bool>> granted;
  for (const auto& node : bound) granted[node] = {true, true};
  bool pts = false;
  for (const auto& item : p.sandbox.device_allow) {
    const DeviceRule& r = item.value;
    if (!r.read && !r.write) continue;  // "m" alone: a user namespace can never mknod
    for (const auto& node : device_nodes(r, pts)) {
      auto& g = granted[node];
      g.first = g.first || r.read;
      g.second = g.second || r.write;
      if (!bound.insert(node).second) continue;
      MountOp b;
      b.kind = Kind::Bind;
      b.source = node;
      b.target = node.substr(1);
      b.attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
      b.recursive = false;
      b.optional = true;
      b.origin = item.origin.str();
      mounts.push_back(std::move(b));
    }
  }
  // r or w alone: bound, and held to it by Landlock (a read-only bind does
  // not stop writes to a device; plan_landlock_paths).
  for (const auto& [node, g] : granted)
    if (g.first != g.second) access.push_back({node, g.first, g.second});
  if (pts && !m.dev_pseudo) {
    // DevicePolicy=strict with char-pts: the jail's own pseudo-terminals.
    MountOp pts_fs;
    pts_fs.kind = Kind::Devpts;
    pts_fs.target = "dev/pts";
    pts_fs.attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC;
    pts_fs.options = {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}};
    pts_fs.origin = "built-in";
    mounts.push_back(std::move(pts_fs));
    MountOp link;
    link.kind = Kind::Symlink;
    link.source = "pts/ptmx";
    link.target = "dev/ptmx";
    link.origin = "built-in";
    mounts.push_back(std::move(link));
  }
  return {};
}

// --- The rules ----------------------------------------------------------------------

struct Rules {
  const FsModel& model;
  std::vector<PathRuleSpec> list;

  // On a root of zjail's own, a path a directive implies is narrowed only
  // where the profile binds it; on the host's root, systemd's tables say.
  void imply(Mode mode, std::string path, bool optional, const std::string& what, const Origin& o) {
    optional = optional || model.root != Root::Host;
    list.push_back({std::move(path), mode, optional, what, where(o)});
  }
  void from(const std::vector<Item<PathRule>>& items, Mode mode, const char* key) {
    for (const auto& i : items)
      list.push_back({i.value.path, mode, i.value.optional, std::string(key) + "=" + i.value.path, i.origin.str()});
  }
};

template <class T>
bool is(const Setting<T>& s, T v) {
  return s.value && *s.value == v;
}

void tmpfs_over(std::vector<MountOp>& mounts, const std::string& target, const char* mode, const Origin& o) {
  // An entry of the profile's own on the same path wins (systemd: a bind
  // beats the tmpfs, and turns read-only with it).
  for (auto& e : mounts)
    if (e.target == target && e.kind == Kind::Bind) {
      e.attr |= MOUNT_ATTR_RDONLY;
      return;
    }
  MountOp t;
  t.kind = Kind::Tmpfs;
  t.target = target;
  t.attr = kNoSuidDev;
  t.options = {{"mode", mode}};
  t.optional = true;
  t.origin = where(o);
  mounts.push_back(t);
  MountOp seal;
  seal.kind = Kind::Attr;
  seal.target = target;
  seal.attr = MOUNT_ATTR_RDONLY;
  seal.recursive = false;
  seal.optional = true;
  seal.origin = t.origin;
  mounts.push_back(std::move(seal));
}

std::vector<PathRuleSpec> path_rules(const Profile& p, const FsModel& m, std::vector<MountOp>& mounts) {
  const Sandbox& s = p.sandbox;
  Rules r{m, {}};
  bool host = m.root == Root::Host;
  r.from(s.read_write_paths, Mode::ReadWrite, "ReadWritePaths");
  r.from(s.read_only_paths, Mode::ReadOnly, "ReadOnlyPaths");
  r.from(s.inaccessible_paths, Mode::Inaccessible, "InaccessiblePaths");
  r.from(s.exec_paths, Mode::Exec, "ExecPaths");
  r.from(s.no_exec_paths, Mode::NoExec, "NoExecPaths");

  ProtectSystem ps = s.protect_system.value.value_or(ProtectSystem::No);
  const Origin& pso = s.protect_system.origin;
  if (ps != ProtectSystem::No) {
    std::string what = ps == ProtectSystem::Yes ? "ProtectSystem=yes" : ps == ProtectSystem::Full ? "ProtectSystem=full"
                                                                                                  : "ProtectSystem=strict";
    if (ps == ProtectSystem::Strict) {
      // The empty root is read-only already; a directory root's submounts are not.
      if (m.root != Root::Empty) r.imply(Mode::ReadOnly, "/", false, what, pso);
      if (host) {
        // The API file systems and the homes stay as they are: other
        // directives protect them.
        r.imply(Mode::ReadWrite, "/sys", false, what, pso);
        if (m.dev == FsModel::Dev::Host) r.imply(Mode::ReadWrite, "/dev", false, what, pso);
        for (const char* h : {"/home", "/run/user", "/root"}) r.imply(Mode::ReadWrite, h, true, what, pso);
      }
    } else {
      r.imply(Mode::ReadOnly, "/usr", false, what, pso);
      r.imply(Mode::ReadOnly, "/boot", true, what, pso);
      r.imply(Mode::ReadOnly, "/efi", true, what, pso);
      if (ps == ProtectSystem::Full) r.imply(Mode::ReadOnly, "/etc", false, what, pso);
    }
  }

  ProtectHome ph = s.protect_home.value.value_or(ProtectHome::No);
  const Origin& pho = s.protect_home.origin;
  if (ph == ProtectHome::Yes || ph == ProtectHome::ReadOnly) {
    Mode mode = ph == ProtectHome::Yes ? Mode::Inaccessible : Mode::ReadOnly;
    std::string what = ph == ProtectHome::Yes ? "ProtectHome=yes" : "ProtectHome=read-only";
    for (const char* h : {"/home", "/run/user", "/root"}) r.imply(mode, h, true, what, pho);
  } else if (ph == ProtectHome::Tmpfs) {
    tmpfs_over(mounts, "home", "0755", pho);
    tmpfs_over(mounts, "run/user", "0755", pho);
    tmpfs_over(mounts, "root", "0700", pho);
  }

  const Origin& pkt = s.protect_kernel_tunables.origin;
  if (is(s.protect_kernel_tunables, true)) {
    const char* what = "ProtectKernelTunables=yes";
    // zjail's /proc keeps sys, bus, fs and irq read-only and masks the rest
    // of systemd's list already.
    if (m.proc) {
      for (const char* ro : {"/proc/asound", "/proc/mtrr"}) r.imply(Mode::ReadOnly, ro, true, what, pkt);
      r.imply(Mode::Inaccessible, "/proc/apm", true, what, pkt);
    }
    r.imply(Mode::ReadOnly, "/sys", false, what, pkt);
    for (const char* ro : {"/sys/fs/bpf", "/sys/kernel/debug", "/sys/kernel/tracing"})
      r.imply(Mode::ReadOnly, ro, true, what, pkt);
    r.imply(Mode::ReadWrite, "/sys/fs/cgroup", true, what, pkt);
    r.imply(Mode::ReadWrite, "/sys/fs/selinux", true, what, pkt);
  }
  if (is(s.protect_kernel_modules, true))
    for (const char* dir : {"/usr/lib/modules", "/lib/modules"})
      r.imply(Mode::Inaccessible, dir, true, "ProtectKernelModules=yes", s.protect_kernel_modules.origin);
  if (is(s.protect_kernel_logs, true))
    for (const char* log : {"/proc/kmsg", "/dev/kmsg"})
      r.imply(Mode::Inaccessible, log, true, "ProtectKernelLogs=yes", s.protect_kernel_logs.origin);

  ProtectControlGroups pcg = s.protect_control_groups.value.value_or(ProtectControlGroups::No);
  const Origin& pco = s.protect_control_groups.origin;
  if (pcg == ProtectControlGroups::Yes) {
    r.imply(Mode::ReadOnly, "/sys/fs/cgroup", false, "ProtectControlGroups=yes", pco);
  } else if (pcg != ProtectControlGroups::No) {
    // A cgroup2 of the jail's own, rooted at its cgroup namespace (which
    // zjail always has): systemd 257's private and strict.
    MountOp cg;
    cg.kind = Kind::Cgroup2;
    cg.target = "sys/fs/cgroup";
    cg.attr = kNoSuidDev | MOUNT_ATTR_NOEXEC;
    cg.origin = where(pco);
    mounts.push_back(cg);
    if (pcg == ProtectControlGroups::Strict) {
      cg.kind = Kind::Attr;
      cg.attr = MOUNT_ATTR_RDONLY;
      cg.recursive = false;
      mounts.push_back(std::move(cg));
    }
  }
  return std::move(r.list);
}

// --- Capabilities and system calls ------------------------------------------------

// What systemd takes away for these, from the bounding set and with a
// system call filter of EPERM.
struct Implied {
  Setting<bool> Sandbox::*flag;
  const char* by;
  int caps[2];
  const char* calls;
};
constexpr Implied kImplied[] = {
    {&Sandbox::private_devices, "PrivateDevices=yes", {CAP_MKNOD, CAP_SYS_RAWIO}, "@raw-io"},
    {&Sandbox::protect_kernel_modules, "ProtectKernelModules=yes", {CAP_SYS_MODULE, -1}, "@module"},
    {&Sandbox::protect_kernel_logs, "ProtectKernelLogs=yes", {CAP_SYSLOG, -1}, "syslog"},
};

}  // namespace

std::optional<Profile> implied_filter_profile(const Profile& p) {
  Profile deny;
  for (const auto& i : kImplied)
    if (is(p.sandbox.*i.flag, true)) deny.system_call_filter.names.push_back({i.calls, Origin{}});
  if (deny.system_call_filter.names.empty()) return std::nullopt;
  // A filter of its own, compiled (and cached) like a profile's: EPERM
  // whatever SystemCallErrorNumber= says, as in systemd.
  deny.private_network = p.private_network;
  deny.restrict_io_uring = p.restrict_io_uring;
  deny.system_call_filter.is_set = true;
  deny.system_call_filter.invert = true;
  deny.system_call_error_number.value = SyscallAction{SyscallAction::Errno, EPERM};
  return deny;
}

namespace {

Status plan_privileges(const Profile& p, const PlanContext& ctx, Plan& plan) {
  for (const auto& i : kImplied) {
    if (!is(p.sandbox.*i.flag, true)) continue;
    for (int cap : i.caps) {
      if (cap < 0) continue;
      uint64_t bit = 1ULL << cap;
      if (plan.ambient & bit) {
        const auto& names = p.ambient_capabilities.names;
        std::string name = capability_name(cap);
        for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
        return make_error(Step::Plan, 0, where(names.empty() ? Origin{} : names.front().origin) +
                                             ": AmbientCapabilities=" + name + " contradicts " + i.by +
                                             ", which takes it from the bounding set");
      }
      plan.bounding &= ~bit;
    }
  }
  auto deny = implied_filter_profile(p);
  if (!deny) return {};
  ZJAIL_TRY_ASSIGN(auto bpf, cached_seccomp(*deny, SeccompExtras{}, ctx.seccomp_cache_dir));
  // Installed before the profile's own filter (the last one, when there is
  // one): an allow list without seccomp() would refuse any filter after it.
  plan.seccomp.insert(plan.seccomp.begin() + 1, std::move(bpf.filters.back()));
  DenialSource src;
  for (const auto& i : kImplied)
    if (is(p.sandbox.*i.flag, true)) {
      src.directive += (src.directive.empty() ? "" : ", ") + std::string(i.by);
      src.names.push_back({i.calls, i.by});
    }
  if (plan.denial_sources.size() >= 1) plan.denial_sources.insert(plan.denial_sources.begin() + 1, std::move(src));
  return {};
}

}  // namespace

uint64_t sandbox_dropped_caps(const Profile& p) {
  uint64_t mask = 0;
  for (const auto& i : kImplied)
    if (is(p.sandbox.*i.flag, true))
      for (int cap : i.caps)
        if (cap >= 0) mask |= 1ULL << cap;
  return mask;
}

Status plan_sandbox(const Profile& p, const PlanContext& ctx, Plan& plan) {
  FsModel model;
  ZJAIL_TRY(plan_root(p, plan, model));
  model = fs_model(p, model.root);
  if (model.root == Root::Host)
    plan.root_attr = MOUNT_ATTR_NOSUID | (model.dev == FsModel::Dev::Host ? 0 : MOUNT_ATTR_NODEV);
  ZJAIL_TRY_ASSIGN(plan.mounts, plan_mounts(p, model));
  ZJAIL_TRY(add_device_nodes(p, model, plan.mounts, plan.device_access));
  auto rules = path_rules(p, model, plan.mounts);
  sort_mounts(plan.mounts);
  ZJAIL_TRY(resolve_sources(plan.mounts, plan.root_directory, ctx.invoker_uid));
  ZJAIL_TRY(apply_path_rules(rules, ctx.invoker_uid, plan));
  return plan_privileges(p, ctx, plan);
}

}  // namespace zjail
