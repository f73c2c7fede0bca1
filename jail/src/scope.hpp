// The transient systemd scope that holds a jail started outside any service.
#pragma once

#include <sys/types.h>

#include <string>

#include "zjail/network.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Asks systemd (system bus for root, the user's manager otherwise) for
// zjail-<name>-<pid>.scope with Delegate=yes, the profile's limits and Slice=,
// holding `pid`, and waits until the job has finished. With `filter`, the
// scope carries the network filters too, and the programs systemd attached
// for them are checked under `unified_root` (scope_bpf.hpp).
Status start_scope(const Resources& r, const std::string& name, pid_t pid, bool system_bus,
                   const NetworkFilter* filter = nullptr, const std::string& unified_root = {});

// "0-3,6" -> the little-endian CPU bitmask systemd's AllowedCPUs= takes.
Result<std::string> cpuset_mask(const std::string& list);

// The unit name: zjail-<name>-<pid>.scope, with <name> made unit-safe.
std::string scope_name(const std::string& name, pid_t pid);

}  // namespace zjail
