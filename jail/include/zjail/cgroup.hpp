// Putting the jail into a cgroup v2 and applying the profile's limits.
//
// Three ways, tried in this order (docs/systemd.md, "Cgroups and limits", explains the choice):
//  - Delegated: zjail's own cgroup is delegated to it (Delegate=yes on the
//    unit, or a writable subtree without systemd). zjail moves itself (and
//    the rest of a systemd-delegated unit, e.g. a wrapper script that runs
//    zjail) into a "supervisor" leaf and starts the jail in its own leaf with the limits,
//    via CLONE_INTO_CGROUP: the service keeps all of its accounting, and
//    `systemctl stop` still kills every jailed process.
//  - Scope: outside any service, systemd starts a transient
//    zjail-<profile>-<pid>.scope with Delegate=yes and the limits, holding the
//    jail's init, before the jail is allowed to proceed.
//  - None: no limits asked for, so no cgroup work at all.
// If limits are asked for and none of these can enforce them, the launch
// fails, unless the profile says EnforceLimits=best-effort.
// The address and interface filters of a jail on the host's or a joined
// network need a Scope: systemd's cgroup BPF holds them there (scope.hpp),
// and nothing else can. Without one the launch fails, whatever
// EnforceLimits= says.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/network.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct CgroupWrite {
  std::string file;   // "memory.max"
  std::string value;  // "268435456"
};

// The cgroup v2 files a Resources block sets, and the controllers they need.
Result<std::vector<CgroupWrite>> cgroup_writes(const Resources& r);
std::vector<std::string> cgroup_controllers(const Resources& r);

enum class CgroupMode { None, Delegated, Scope };

struct CgroupEnvironment {
  std::string unified_root;  // mount point of the cgroup v2 hierarchy, "" if none
  std::string own_path;      // our cgroup, relative to the hierarchy ("/system.slice/x.service")
  bool systemd_running = false;
  bool root = false;         // invoked by root: system bus; otherwise the user's manager
};

// What this machine offers, read from /proc/self/cgroup and the mounts.
CgroupEnvironment probe_cgroup_environment();

// How this host would hold the limits of `r`, decided without touching
// anything: the mode, the delegated cgroup to build under, or why nothing
// can enforce them (then `unenforceable` says so and mode is None).
struct CgroupPlan {
  CgroupMode mode = CgroupMode::None;
  std::string base;           // Delegated: the cgroup the jail's leaf goes under
  std::string unenforceable;  // "" when the limits can be held (or none are asked)
};
// `filtered`: the jail's network filters are to be held by its scope.
CgroupPlan plan_cgroup(const Resources& r, const CgroupEnvironment& env, bool filtered = false);

class JailCgroup {
 public:
  // Before clone: decides the mode, and for Delegated creates the jail's leaf
  // with its limits. `warning` is set when limits are knowingly not enforced.
  // `filter` (scope_filter(), may be null) goes to the scope with the limits.
  static Result<JailCgroup> prepare(const Resources& r, const NetworkFilter* filter, const std::string& name,
                                    const CgroupEnvironment& env, std::string& warning);
  JailCgroup() = default;
  JailCgroup(JailCgroup&&) noexcept;
  JailCgroup& operator=(JailCgroup&&) noexcept;
  ~JailCgroup();

  CgroupMode mode() const { return mode_; }
  // Removes a delegated leaf once its jail has exited (the destructor does
  // this; a supervisor that handed over does it from the path).
  static void remove_leaf(const std::string& path) noexcept;
  int leaf_fd() const { return leaf_.get(); }   // for CLONE_INTO_CGROUP; -1 if none
  const std::string& path() const { return leaf_path_; }

  // After clone, before the jail may proceed: for Scope, move `pid` (the
  // jail's init) into a new transient scope and wait until systemd has it.
  Status adopt(pid_t pid);

 private:
  void cleanup() noexcept;
  CgroupMode mode_ = CgroupMode::None;
  UniqueFd leaf_;
  std::string leaf_path_;
  std::string name_;
  const Resources* resources_ = nullptr;
  const NetworkFilter* filter_ = nullptr;
  std::string unified_root_;
  bool system_bus_ = true;
};

}  // namespace zjail
