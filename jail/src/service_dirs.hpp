// The host side of RuntimeDirectory= and its siblings (service_dirs.cpp):
// making a service directory as root without being steered by anyone else,
// judging whether it could be made (--check), and removing one at the end
// (HostLease).
#pragma once

#include <string>

#include "zjail/fd.hpp"
#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct MadeDirectory {
  UniqueFd parent;   // O_PATH of the directory that holds it
  std::string name;  // its last component
};

// Makes `d` (or adopts it) as systemd does: the parents root's, 0755; the
// innermost directory owned by d.uid:d.gid (its contents too, where they
// belonged to its previous owner) with mode d.mode; DynamicUser='s private/
// base 0700 and the symlink beside it. As root, every component is reached
// from an fd of its parent without following a symlink, and every
// directory above the innermost must be root's and writable by root alone,
// so nothing the service user (or anyone else) planted can redirect a
// mkdir, chown or chmod done as root. Step::Directories errors.
Result<MadeDirectory> make_service_directory(const ServiceDirPlan& d);

// What would stop make_service_directory() on this host now, found without
// changing anything; "" if nothing.
std::string service_directory_problem(const ServiceDirPlan& d);

// Removes `name` in `parent` with everything below it, never following a
// symlink (one found is removed itself) and never crossing into another
// mount (which makes the removal fail).
Status remove_tree(int parent, const std::string& name);

}  // namespace zjail
