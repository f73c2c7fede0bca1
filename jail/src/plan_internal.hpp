// Pieces of build_plan() that live in their own files.
#pragma once

#include <vector>

#include "zjail/plan.hpp"
#include "zjail/profile.hpp"

namespace zjail {

Result<std::vector<MountOp>> plan_mounts(const Profile& p);

// Resolves every bind source (and RootDirectory=) to a path without
// symlinks, following only symlinks owned by root or by `invoker`.
Status resolve_sources(std::vector<MountOp>& mounts, std::string& root_directory, uid_t invoker);

// Parents before children, otherwise in the order given.
void sort_mounts(std::vector<MountOp>& mounts);

// ListenStream=/ListenDatagram=: bound now, as the invoker, in the host
// network namespace.
Result<std::vector<UniqueFd>> bind_listen_sockets(const Profile& p);

}  // namespace zjail
