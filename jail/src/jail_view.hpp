// The jail's file system as the plan's mount table will build it, seen from
// the parent before anything exists: which host path (or zjail-made
// directory, or symlink) a jail path will be. --check looks commands and
// mount points up through it, and the planner resolves the paths of
// ReadOnlyPaths= and the like in it, as the jail would.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <sys/types.h>

#include "zjail/plan.hpp"

namespace zjail {

struct JailNode {
  enum Kind { Missing, Host, Link, Dir } kind = Missing;
  std::string text;                // Host: the host path; Link: the link's text
  const MountOp* mount = nullptr;  // the mount it lies in (nullptr: the root)
};

// Whether jail path `rel` ("" for /, "usr/lib") is `target` or beneath it.
bool covers(const std::string& target, const std::string& rel);

// What `rel` (a jail path without symlinks above it) is once the first
// `upto` mounts are in place: the deepest mount covering it decides, the
// later of two on the same target.
JailNode node_at(const Plan& plan, const std::string& rel, size_t upto = SIZE_MAX);

// `path` resolved in the jail, its symlinks followed as the jail would.
JailNode resolve_node(const Plan& plan, const std::string& path);

// `path` with its symlinks resolved in the jail, as a jail-relative path
// ("" for /). A symlink of the host's that belongs to anyone but root or
// `invoker` is not followed (EPERM), as for bind sources; a missing
// component is ENOENT.
Result<std::string> resolve_in_jail(const Plan& plan, const std::string& path, uid_t invoker);

}  // namespace zjail
