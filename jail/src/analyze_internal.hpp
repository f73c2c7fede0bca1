// Internal to `zjail --analyze`: the item table and what each confinement
// layer (a zjail profile, a systemd unit) says about every item. analyze.cpp
// judges profiles and combines the layers; analyze_unit.cpp judges units.
#pragma once

#include <array>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "zjail/analyze.hpp"
#include "zjail/network.hpp"

namespace zjail::analysis {

enum Item : int {
  User,
  PrivateUsers,
  NoNewPrivileges,
  CapSysAdmin,
  CapSysPtrace,
  CapKernel,
  CapNet,
  CapFiles,
  CapIds,
  CapOther,
  PrivateNetwork,
  RestrictAddressFamilies,
  IPAddressDeny,
  RestrictAbstractUnixSockets,
  LandlockPaths,
  RestrictNamespaces,
  ProtectProc,
  ProcSubset,
  ProtectHostname,
  PrivateIPC,
  RootDirectory,
  ProtectSystem,
  ProtectHome,
  ReadWritePaths,
  PrivateTmp,
  PrivateDevices,
  ProtectKernelTunables,
  ProtectKernelLogs,
  ProtectControlGroups,
  RestrictSUIDSGID,
  SystemCallArchitectures,
  SysMount,
  SysModule,
  SysRawIo,
  SysReboot,
  SysSwap,
  SysClock,
  SysDebug,
  SysPrivileged,
  SysKeyring,
  SysIoUring,
  SysResources,
  SysCpuEmulation,
  SysObsolete,
  MemoryDenyWriteExecute,
  RestrictRealtime,
  LockPersonality,
  TasksMax,
  MemoryMax,
  LimitNOFILE,
  LimitCORE,
  Count
};

struct ItemInfo {
  const char* name;
  int weight;
};
const ItemInfo& item_info(Item i);

// What one layer says about an item.
struct Finding {
  double exposure = 1;
  std::string setting;
  std::string source;
  std::string reason;
  bool known = false;  // false: the layer does not judge this item
};
using Findings = std::array<Finding, Count>;

inline void judge(Findings& f, Item i, double e, std::string setting, std::string source,
                  std::string reason) {
  f[i] = Finding{e, std::move(setting), std::move(source), std::move(reason), true};
}

// A system call policy: everything allowed, an allow list or a deny list of
// expanded call names, plus the calls a layer always denies.
struct SyscallPolicy {
  bool set = false;
  bool allow_list = false;
  std::set<std::string> names;
  std::set<std::string> denied;  // whatever the list says (ProtectClock= and the like)
  bool allowed(const std::string& call) const {
    if (denied.count(call)) return false;
    if (!set) return true;
    return allow_list ? names.count(call) > 0 : names.count(call) == 0;
  }
};

// The capability groups and syscall groups that items judge.
struct CapGroup {
  Item item;
  std::vector<int> caps;  // empty: every capability of no other group
};
const std::vector<CapGroup>& cap_groups();
uint64_t cap_group_mask(const CapGroup& g);

// Judges the capability items for `held` capabilities. `scoped` means they
// count only inside a user namespace of the payload's own.
void judge_caps(Findings& f, uint64_t held, bool scoped, const std::string& source,
                const std::string& how);

// Judges the system call group items. `host_privileged`: the payload holds
// capabilities in the host's user namespace, so privileged calls can succeed.
void judge_syscalls(Findings& f, const SyscallPolicy& policy, bool host_privileged,
                    const std::string& setting, const std::string& source);

// The members of a zjail syscall group, expanded; empty if unknown.
std::set<std::string> group_members(const std::string& group);

// 0 for none, 0.3 for one writable host path and 0.1 more for each further.
double writable_paths_exposure(size_t n);

// The file-system items of a zjail profile (analyze_fs.cpp).
void judge_file_system(Findings& f, const Profile& p);
// A network with a way out: veth, user mode, a joined namespace
// (analyze_network.cpp).
void judge_linked_network(Findings& f, const Profile& p, NetworkMode mode);

// A systemd unit's findings (analyze_unit.cpp). Unknown syscall names or
// groups go to `notes`.
Findings judge_unit(const UnitFile& u, std::vector<std::string>& notes);

// The unit's own settings that would stop zjail from starting inside it
// (namespaces, capabilities and system calls zjail needs to build a jail,
// Delegate= for the profile's limits), one line each.
std::vector<std::string> unit_blocks_zjail(const UnitFile& u, bool limits);

}  // namespace zjail::analysis
