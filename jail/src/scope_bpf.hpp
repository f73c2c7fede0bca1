// The check that systemd's cgroup BPF holds a scope's network filters
// (scope_bpf.cpp): systemd runs a unit without them where it cannot.
#pragma once

#include <string>

#include "zjail/network.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Fails unless the programs attached to `cgroup_path` (the scope's cgroup
// directory) enforce `f` both ways. Needs root.
Status verify_scope_filter(const std::string& cgroup_path, const std::string& unit, const NetworkFilter& f);

// Whether any program filters or counts the packets of the sockets made in
// `cgroup_path` (its own or an ancestor's). Needs root.
Result<bool> runs_network_programs(const std::string& cgroup_path);

}  // namespace zjail
