// The jail's mount table as Landlock path rules (landlock.hpp). Landlock
// only ever adds rights going down a tree, so the rules say what each
// mount allows at most, and the mount flags keep saying the rest: a
// read-only directory beneath a writable bind is still read-only, by its
// mount. What the rules add is a wall that does not depend on paths: a
// directory fd handed in from the host's tree (SCM_RIGHTS) reaches nothing
// beneath it, and a device node can be made read-only or write-only, which
// no mount flag can.
#include <dirent.h>
#include <fcntl.h>
#include <linux/mount.h>
#include <sys/stat.h>

#include <algorithm>
#include <map>

#include "plan_internal.hpp"
#include "zjail/landlock.hpp"

namespace zjail {
namespace {

using Kind = MountOp::Kind;

// LANDLOCK_ACCESS_FS_*, by ABI.
constexpr uint64_t kExecute = 1ULL << 0, kWriteFile = 1ULL << 1, kReadFile = 1ULL << 2, kReadDir = 1ULL << 3;
constexpr uint64_t kMake = (1ULL << 4) | (1ULL << 5) | (1ULL << 6) | (1ULL << 7) | (1ULL << 8) | (1ULL << 9) |
                           (1ULL << 10) | (1ULL << 11) | (1ULL << 12);  // remove and make entries
constexpr uint64_t kRefer = 1ULL << 13, kTruncate = 1ULL << 14, kIoctlDev = 1ULL << 15;
constexpr uint64_t kRead = kReadFile | kReadDir | kIoctlDev;
constexpr uint64_t kWrite = kWriteFile | kMake | kRefer | kTruncate;
constexpr uint64_t kAll = kRead | kWrite | kExecute;
// Rights a rule on a file (not a directory) may carry.
constexpr uint64_t kFileRights = kExecute | kWriteFile | kReadFile | kTruncate | kIoctlDev;

// ABI 1 refuses every rename and link across directories once path rules
// apply: too much for a service to lose, so rules start at ABI 2 (refer).

uint64_t handled_for(int abi) {
  if (abi >= 5) return kAll;
  if (abi >= 3) return kAll & ~kIoctlDev;
  if (abi >= kLandlockPathAbi) return kAll & ~(kIoctlDev | kTruncate);
  return 0;
}

uint64_t rights_of(uint64_t attr) {
  return kRead | ((attr & MOUNT_ATTR_RDONLY) ? 0 : kWrite) | ((attr & MOUNT_ATTR_NOEXEC) ? 0 : kExecute);
}

bool below(const std::string& path, const std::string& top) {
  return top.empty() || path == top || (path.size() > top.size() && path.starts_with(top) && path[top.size()] == '/');
}

bool is_device(const std::string& host_path) {
  struct stat st{};
  return host_path.starts_with("/dev/") && stat(host_path.c_str(), &st) == 0 &&
         (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode));
}

std::string paths_missing(int abi) {
  return "path rules (Landlock ABI 2, Linux 5.19; this kernel has " + std::to_string(abi) + ")";
}
constexpr const char* kScopesMissing = "the scopes of abstract unix sockets and signals (Landlock ABI 6, Linux 6.12)";

uint64_t profile_scopes(const Profile& p) {
  return (p.restrict_abstract_unix_sockets.value.value_or(true) ? kLandlockScopeAbstractUnix : 0) |
         (p.restrict_signals.value.value_or(true) ? kLandlockScopeSignal : 0);
}

}  // namespace

std::vector<std::string> landlock_missing(const Profile& p, int abi) {
  std::vector<std::string> out;
  if (!handled_for(abi)) out.push_back(paths_missing(abi));
  if (profile_scopes(p) && abi < kLandlockScopeAbi) out.push_back(kScopesMissing);
  return out;
}

uint64_t landlock_fs_handled(int abi) { return handled_for(abi); }
uint64_t landlock_fs_rights(uint64_t attr) { return rights_of(attr); }
uint64_t landlock_device_rights(bool read, bool write) {
  return (read ? kReadFile | kIoctlDev : 0) | (write ? kWriteFile : 0);
}

void plan_landlock_paths(const Plan& plan, int abi, LandlockPlan& ll) {
  ll.handled_fs = handled_for(abi);
  if (!ll.handled_fs) {
    ll.missing.push_back(paths_missing(abi));
    return;
  }
  // Rules by their target in the jail, relative ("" is the root).
  std::map<std::string, uint64_t> rules;
  std::vector<std::string> devices;
  bool zjail_dev = false;
  if (plan.root_directory.empty()) {
    rules[""] = kReadDir;  // an empty read-only tmpfs: there is nothing else to do in it
  } else {
    // A directory's (or the host's) tree: its entries as its mounts allow,
    // whatever they are; the mount table is the wall there.
    DIR* d = opendir(plan.root_directory.c_str());
    rules[""] = kReadDir;
    for (dirent* e; d && (e = readdir(d));) {
      std::string name = e->d_name;
      if (name == "." || name == "..") continue;
      unsigned char type = e->d_type;
      struct stat st{};
      if (type == DT_UNKNOWN && fstatat(dirfd(d), name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
        type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISLNK(st.st_mode) ? DT_LNK : DT_REG;
      // A symlink's target gets no rule through it (/lib -> usr/lib is
      // covered where it points; one planted to /dev would widen a device's).
      if (type == DT_LNK) continue;
      rules[name] = type == DT_DIR ? kAll : (kAll & kFileRights);
    }
    if (d) closedir(d);
  }
  for (const auto& m : plan.mounts) {
    switch (m.kind) {
      case Kind::Bind:
        if (is_device(m.source)) {
          rules[m.target] = kReadFile | kWriteFile | kIoctlDev;
          devices.push_back(m.target);
          break;
        }
        [[fallthrough]];
      case Kind::Tmpfs:
      case Kind::Proc:
      case Kind::Devpts:
      case Kind::Cgroup2:
      case Kind::Files:
      case Kind::JailBind: {
        // (A file bound alone gets what a file can have: apply_landlock.)
        rules[m.target] = rights_of(m.attr);
        if (m.kind == Kind::Tmpfs && m.target == "dev") zjail_dev = true;
        break;
      }
      case Kind::Attr: {
        // The subtree at the target, re-attached with other flags.
        auto adjust = [&](uint64_t r) {
          if (m.attr & MOUNT_ATTR_RDONLY) r &= ~kWrite;
          if (m.attr_clear & MOUNT_ATTR_RDONLY) r |= kWrite;
          if (m.attr & MOUNT_ATTR_NOEXEC) r &= ~kExecute;
          if (m.attr_clear & MOUNT_ATTR_NOEXEC) r |= kExecute;
          return r;
        };
        // The rights it had: its own rule, else the nearest one above.
        uint64_t base = kReadDir;
        for (const auto& [t, r] : rules)
          if (below(m.target, t)) base = r;  // std::map order: the deepest comes last
        rules[m.target] = adjust(base);
        if (m.recursive)
          for (auto& [t, r] : rules)
            if (t != m.target && below(t, m.target)) r = adjust(r);
        break;
      }
      case Kind::Mask:
      case Kind::Inaccessible:
        // Nothing to grant: what it covers goes too.
        for (auto it = rules.begin(); it != rules.end();)
          it = below(it->first, m.target) && !m.target.empty() ? rules.erase(it) : ++it;
        break;
      case Kind::MountPoint:
      case Kind::Symlink: break;
    }
  }
  // zjail's /dev: its entries may be listed, and each device node is
  // granted by a rule of its own, so that nothing above it widens what
  // DeviceAllow= gives it.
  if (zjail_dev) rules["dev"] &= kReadDir | kMake;
  for (const auto& dev : devices) {
    uint64_t& r = rules[dev];
    for (const auto& a : plan.device_access)
      if (a.path == "/" + dev) {
        if (!a.read) r &= ~(kReadFile | kIoctlDev);
        if (!a.write) r &= ~kWriteFile;
      }
  }
  ll.paths.clear();
  for (const auto& [target, r] : rules) {
    uint64_t access = r & ll.handled_fs;
    bool device = std::find(devices.begin(), devices.end(), target) != devices.end();
    if (access) ll.paths.push_back({"/" + target, access, device});
  }
  ll.exec_rule = plan.exec_fd.valid();
}

Status plan_landlock_all(const Profile& p, Plan& plan) {
  int abi = landlock_abi();
  size_t warned = plan.warnings.size();
  // ListenViaBind= sockets reach the payload too, by its bind(): copies
  // stand for them after the passed fds (whose numbers errors name).
  const std::vector<UniqueFd>* handed = &plan.pass_fds;
  std::vector<UniqueFd> all;
  if (!plan.bind_sockets.empty()) {
    auto copy = [&all](int fd, const std::string& what) -> Status {
      all.emplace_back(fcntl(fd, F_DUPFD_CLOEXEC, 3));
      if (!all.back()) return make_error(Step::Plan, errno, "copying " + what);
      return {};
    };
    for (const auto& fd : plan.pass_fds) ZJAIL_TRY(copy(fd.get(), "a passed fd"));
    for (const auto& b : plan.bind_sockets) ZJAIL_TRY(copy(b.fd.get(), b.what));
    handed = &all;
  }
  ZJAIL_TRY_ASSIGN(plan.landlock, plan_landlock(plan.private_network, *handed, abi, plan.warnings));
  LandlockPlan& ll = plan.landlock;
  ll.abi = abi;
  if (plan.warnings.size() != warned) ll.missing.push_back("the TCP connect rule (Landlock ABI 4, Linux 6.7)");
  plan_landlock_paths(plan, abi, ll);
  ZJAIL_TRY(plan_landlock_net(p, abi, ll));
  uint64_t scopes = profile_scopes(p);
  if (scopes && abi >= kLandlockScopeAbi) ll.scoped = scopes;
  else if (scopes)
    ll.missing.push_back(kScopesMissing);
  if (!plan.device_access.empty() && !ll.handled_fs)
    return make_error(Step::Plan, EOPNOTSUPP,
                      "DeviceAllow=" + plan.device_access.front().path +
                          " with r or w alone needs Landlock (ABI 2, Linux 5.19): a read-only bind does not stop "
                          "writes to a device node; allow rw, or leave the device out");
  if (p.landlock_required.value.value_or(false) && !ll.missing.empty()) {
    std::string what;
    for (const auto& m : ll.missing) what += (what.empty() ? "" : "; ") + m;
    return at(p.landlock_required.origin, Step::Plan, "LandlockRequired=yes, and this kernel lacks " + what);
  }
  return {};
}

}  // namespace zjail
