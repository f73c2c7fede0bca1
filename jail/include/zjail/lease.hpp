// What a launch takes from the host for as long as its jail lives, and gives
// back when the jail ends: the lock that keeps a DynamicUser= uid this jail's
// alone, and the RuntimeDirectory= directories, removed unless
// RuntimeDirectoryPreserve=yes. The front end owns it, as it owns the notify
// relay:
//
//   HostLease lease;
//   ctx.lease = &lease;
//   auto plan = build_plan(profile, command, ctx);  // takes a uid, makes directories
//   ... start and wait for the jail ...
//   for (auto& w : lease.release()) warn(w);        // or ~HostLease, quietly
//
// A zjail killed with SIGKILL leaves its runtime directories behind (as a
// systemd that crashed would); its uid lock goes with the process.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/plan.hpp"
#include "zjail/result.hpp"

namespace zjail {

// systemd's range for dynamic users (systemd.exec(5), DynamicUser=).
inline constexpr uid_t kDynamicUidMin = 61184;
inline constexpr uid_t kDynamicUidMax = 65519;

// Where the uid locks live: zjail's own, and systemd's, which zjail takes as
// well where it exists, so that systemd's DynamicUser= never hands a service
// the uid of a running jail (systemd skips a uid whose lock file is locked).
struct DynamicUidDirs {
  std::string own = "/run/zjail/dynamic-uid";
  std::string systemd = "/run/systemd/dynamic-uid";
  // Root's locks on the runtime directories and mount points jails share.
  std::string leases = "/run/zjail/leases";
};

// The slot `name` tries first: a hash of it in the range, so that a jail
// usually gets the same uid, and its directories need no chown, each time.
uid_t dynamic_uid_slot(const std::string& name);

// Whether a running jail holds `uid` (its lock file is locked).
bool dynamic_uid_in_use(uid_t uid, const DynamicUidDirs& dirs = {});

// The uid lock_dynamic_uid() would most likely take now, without taking it
// (--check).
Result<uid_t> peek_dynamic_uid(const std::string& name, const DynamicUidDirs& dirs = {});

class HostLease {
 public:
  HostLease() = default;
  explicit HostLease(DynamicUidDirs dirs) : dirs_(std::move(dirs)) {}
  ~HostLease() { (void)release(); }
  HostLease(const HostLease&) = delete;
  HostLease& operator=(const HostLease&) = delete;

  // A uid of the dynamic range that no NSS database names and no other jail
  // (nor systemd) holds, locked until release(); the gid is the same number.
  // `name` is recorded in the lock file, for an admin wondering who has it.
  Result<uid_t> lock_dynamic_uid(const std::string& name);

  // Makes each planned directory on the host (service_dirs.hpp) and
  // remembers the ones to remove at the end. Step::Directories errors.
  // Jails of one profile share a runtime directory: each holds a shared
  // BSD lock for it (use_lock), and the last to end removes it.
  Status make_directories(const std::vector<ServiceDirPlan>& dirs);

  // The mount point in a host tree (RootDirectory=) for a mount of zjail's
  // own (the credentials' ramfs at /run/credentials/NAME), made now if
  // missing, with its parent, and held (a shared BSD lock) for the jail's
  // life. The last jail holding one that zjail made removes it, as systemd
  // removes /run/credentials/UNIT; until then another jail's mount there
  // stays attached. `path`'s parents must be root's alone.
  Status hold_mount_point(const std::string& path, Step step);

  // A directory of this launch's own, mode 0700, made under `base` (the
  // caller's runtime directory or /tmp) and removed with everything in it
  // at release(): a payload without a mount namespace gets it as TMPDIR
  // where the jail would have had a private /tmp (plan_fallback.cpp).
  Result<std::string> make_private_tmp(const std::string& base);

  // Removes the runtime directories and drops the uid lock, now. What could
  // not be removed comes back as messages (the jail is over either way).
  std::vector<std::string> release();
  // Whether there is anything for release() to give back.
  bool empty() const noexcept { return locks_.empty() && removals_.empty() && mount_points_.empty(); }

 private:
  Result<UniqueFd> use_lock(const std::string& path, int dir, Step step);
  struct Removal {
    UniqueFd parent;   // O_PATH of the directory holding it
    std::string name;  // its last component
    std::string shown; // its path, for messages
    UniqueFd lock;     // holds a shared BSD lock while this jail uses it (use_lock)
    bool made = false; // made by this lease (mount points; also marked by an xattr)
    UniqueFd self;     // mount points: the directory, for its mark
  };
  struct Lock {
    UniqueFd fd;       // holds the BSD lock
    std::string path;  // unlinked on release, while still locked
  };
  DynamicUidDirs dirs_;
  std::vector<Lock> locks_;
  std::vector<Removal> removals_;
  std::vector<Removal> mount_points_;
};

}  // namespace zjail
