// HostLease: the DynamicUser= uid locks and the RuntimeDirectory= removal.
// The uid lock follows systemd's own (src/core/dynamic-user.c): a BSD lock
// on a file named after the uid, held for as long as the uid is in use, the
// file unlinked while still locked when it is given back; a lock taken on a
// file that was unlinked meanwhile is retried.
#include "zjail/lease.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <functional>

#include "service_dirs.hpp"
#include "zjail/trust.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

constexpr uid_t kRange = kDynamicUidMax - kDynamicUidMin + 1;

// The lock directory, made if missing: the caller's, 0700 for zjail's own
// (0755 for systemd's, which systemd makes so itself), never a symlink.
Result<UniqueFd> lock_dir(const std::string& path, mode_t mode, bool create) {
  if (create) {
    std::string parent = path.substr(0, path.rfind('/'));
    if (!parent.empty() && mkdir(parent.c_str(), 0755) < 0 && errno != EEXIST)
      return make_error(Step::ResolveUser, errno, parent);
    if (mkdir(path.c_str(), mode) < 0 && errno != EEXIST) return make_error(Step::ResolveUser, errno, path);
  }
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return make_error(Step::ResolveUser, errno, path);
  struct stat st{};
  if (fstat(fd.get(), &st) < 0) return make_error(Step::ResolveUser, errno, path);
  if (st.st_uid != geteuid() || (st.st_mode & 022))
    return make_error(Step::ResolveUser, EPERM,
                      path + " is not owned by uid " + std::to_string(geteuid()) + " alone: not used for uid locks");
  return fd;
}

// Locks `uid`'s file in `dir`, creating it: an fd holding the lock, or an
// empty fd with errno EWOULDBLOCK when someone else holds it.
UniqueFd lock_uid_file(int dir, uid_t uid) {
  std::string name = std::to_string(uid);
  for (;;) {
    UniqueFd fd(openat(dir, name.c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY, 0600));
    if (!fd) return fd;
    if (flock(fd.get(), LOCK_EX | LOCK_NB) < 0) return UniqueFd();
    struct stat st{};
    if (fstat(fd.get(), &st) < 0) return UniqueFd();
    if (st.st_nlink > 0) return fd;  // else unlinked by its last holder meanwhile: again
  }
}

bool held_in(const std::string& dir, uid_t uid) {
  std::string path = dir + "/" + std::to_string(uid);
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY));
  if (!fd) return false;
  if (flock(fd.get(), LOCK_EX | LOCK_NB) == 0) return false;  // closing the fd drops the probe's lock
  return errno == EWOULDBLOCK;
}

Result<bool> named_by_nss(uid_t uid) {
  ZJAIL_TRY_ASSIGN(bool user, uid_has_entry(uid));
  ZJAIL_TRY_ASSIGN(bool group, gid_has_entry(static_cast<gid_t>(uid)));
  return user || group;
}

// The i-th uid to try for `name`, from its slot on.
uid_t candidate(uid_t slot, uid_t i) { return kDynamicUidMin + (slot - kDynamicUidMin + i) % kRange; }

// Marks a mount point zjail made, so that the last jail holding it removes
// it even when another jail made it.
constexpr const char* kMadeXattr = "trusted.zjail.made";

// `path` as a file name: '/' as '-', '-' and '\\' escaped; a long one by
// its hash.
std::string escape_path(const std::string& path) {
  std::string name;
  for (char c : path.substr(1)) {
    if (c == '/') name += '-';
    else if (c == '-') name += "\\x2d";
    else if (c == '\\') name += "\\x5c";
    else name += c;
  }
  if (name.empty() || name.size() > 200) {
    char hex[32];
    snprintf(hex, sizeof hex, "hash-%016zx", std::hash<std::string>{}(path));
    name = hex;
  }
  return name;
}

// A shared BSD lock on `fd`, waiting a few seconds at most for a jail
// that holds it exclusively while it removes what the lock is for.
Status lock_shared(int fd, Step step, const std::string& shown) {
  for (int i = 0;; ++i) {
    if (flock(fd, LOCK_SH | LOCK_NB) == 0) return {};
    if (errno != EWOULDBLOCK && errno != EINTR) return make_error(step, errno, "locking " + shown);
    if (i >= 100) return make_error(step, ETIMEDOUT, "waiting for " + shown + ", which another jail is removing");
    usleep(100 * 1000);
  }
}

bool linked(int fd) {
  struct stat st{};
  return fstat(fd, &st) == 0 && st.st_nlink > 0;
}

}  // namespace

uid_t dynamic_uid_slot(const std::string& name) {
  uint64_t h = 14695981039346656037ULL;  // FNV-1a
  for (unsigned char c : name) h = (h ^ c) * 1099511628211ULL;
  return kDynamicUidMin + static_cast<uid_t>(h % kRange);
}

bool dynamic_uid_in_use(uid_t uid, const DynamicUidDirs& dirs) {
  return held_in(dirs.own, uid) || held_in(dirs.systemd, uid);
}

Result<uid_t> peek_dynamic_uid(const std::string& name, const DynamicUidDirs& dirs) {
  uid_t slot = dynamic_uid_slot(name);
  for (uid_t i = 0; i < kRange; ++i) {
    uid_t uid = candidate(slot, i);
    ZJAIL_TRY_ASSIGN(bool named, named_by_nss(uid));
    if (!named && !dynamic_uid_in_use(uid, dirs)) return uid;
  }
  return make_error(Step::ResolveUser, EBUSY, "no free uid in the dynamic range 61184-65519");
}

Result<uid_t> HostLease::lock_dynamic_uid(const std::string& name) {
  ZJAIL_TRY_ASSIGN(auto own, lock_dir(dirs_.own, 0700, true));
  // systemd's, only where systemd made it: zjail locks the uid there too.
  UniqueFd theirs_dir;
  if (auto d = lock_dir(dirs_.systemd, 0755, false)) theirs_dir = std::move(d).value();
  uid_t slot = dynamic_uid_slot(name);
  for (uid_t i = 0; i < kRange; ++i) {
    uid_t uid = candidate(slot, i);
    ZJAIL_TRY_ASSIGN(bool named, named_by_nss(uid));
    if (named) continue;
    UniqueFd ours = lock_uid_file(own.get(), uid);
    if (!ours) {
      if (errno == EWOULDBLOCK) continue;
      return make_error(Step::ResolveUser, errno, dirs_.own + "/" + std::to_string(uid));
    }
    UniqueFd theirs;
    if (theirs_dir) {
      theirs = lock_uid_file(theirs_dir.get(), uid);
      if (!theirs) {
        int e = errno;
        unlinkat(own.get(), std::to_string(uid).c_str(), 0);
        if (e == EWOULDBLOCK) continue;
        return make_error(Step::ResolveUser, e, dirs_.systemd + "/" + std::to_string(uid));
      }
    }
    // Who has it, for an admin looking (systemd writes the name, too).
    std::string line = name + "\n";
    for (int fd : {ours.get(), theirs.get()}) {
      if (fd < 0) continue;
      if (ftruncate(fd, 0) < 0 || pwrite(fd, line.data(), line.size(), 0) != static_cast<ssize_t>(line.size()))
        return make_error(Step::ResolveUser, errno, "writing the uid lock of " + std::to_string(uid));
    }
    locks_.push_back({std::move(ours), dirs_.own + "/" + std::to_string(uid)});
    if (theirs) locks_.push_back({std::move(theirs), dirs_.systemd + "/" + std::to_string(uid)});
    return uid;
  }
  return make_error(Step::ResolveUser, EBUSY, "no free uid in the dynamic range 61184-65519");
}

// The lock that says a jail uses `path`, held shared for the jail's life.
// As root, a file in a directory of root's alone: anyone who could open
// the directory itself could lock it, and keep it from being removed or
// stall every jail that waits for it. Unprivileged, the directory is in the
// caller's own runtime directory, which no one else opens: `dir` itself.
Result<UniqueFd> HostLease::use_lock(const std::string& path, int dir, Step step) {
  UniqueFd fd;
  if (dir >= 0) {
    fd.reset(fcntl(dir, F_DUPFD_CLOEXEC, 0));
  } else {
    auto locks = lock_dir(dirs_.leases, 0700, true);
    if (!locks) return std::move(locks).error().wrap(step, "");
    fd.reset(openat(locks->get(), escape_path(path).c_str(), O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY,
                    0600));
  }
  if (!fd) return make_error(step, errno, "the lock for " + path);
  ZJAIL_TRY(lock_shared(fd.get(), step, path));
  return fd;
}

Status HostLease::make_directories(const std::vector<ServiceDirPlan>& dirs) {
  bool root = geteuid() == 0;
  for (const auto& d : dirs) {
    if (!d.remove) {
      auto made = make_service_directory(d);
      if (!made) return std::move(made).error();
      continue;
    }
    // Jails of one profile share a runtime directory; the last removes it.
    // As root the lock comes first, so that no jail removes the directory
    // between its making and the lock.
    UniqueFd lock;
    if (root) {
      ZJAIL_TRY_ASSIGN(lock, use_lock(d.host_path(), -1, Step::Directories));
    }
    for (int attempt = 0;; ++attempt) {
      ZJAIL_TRY_ASSIGN(auto made, make_service_directory(d));
      if (!root) {
        UniqueFd self(openat(made.parent.get(), made.name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
        if (!self) return make_error(Step::Directories, errno, d.host_path());
        ZJAIL_TRY_ASSIGN(lock, use_lock(d.host_path(), self.get(), Step::Directories));
        // Removed by a jail that was ending: it is made again.
        if (!linked(lock.get())) {
          if (attempt < 3) continue;
          return make_error(Step::Directories, EAGAIN, d.host_path() + " keeps being removed");
        }
      }
      removals_.push_back({std::move(made.parent), made.name, d.host_path(), std::move(lock), false, UniqueFd()});
      break;
    }
  }
  return {};
}

Result<std::string> HostLease::make_private_tmp(const std::string& base) {
  std::string path = base + "/zjail-tmp-XXXXXX";
  if (!mkdtemp(path.data())) return make_error(Step::Directories, errno, path);
  size_t slash = path.rfind('/');
  UniqueFd parent(open(base.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  UniqueFd self(open(path.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  // Its own lock, never contended: release() removes what it can lock.
  if (!parent || !self || flock(self.get(), LOCK_SH) < 0) {
    int e = errno;
    rmdir(path.c_str());
    return make_error(Step::Directories, e, path);
  }
  removals_.push_back({std::move(parent), path.substr(slash + 1), path, std::move(self), true, UniqueFd()});
  return path;
}

Status HostLease::hold_mount_point(const std::string& path, Step step) {
  size_t slash = path.rfind('/');
  std::string parent_path = slash == 0 ? "/" : path.substr(0, slash), name = path.substr(slash + 1);
  TrustRule rule;
  rule.leaf_must_be_dir = true;
  auto parent = open_trusted(parent_path, rule);
  if (!parent && parent.error().err == ENOENT) {
    // Its parent (/run/credentials) as systemd makes it: root's, 0755.
    size_t up = parent_path.rfind('/');
    auto grand = open_trusted(up == 0 ? "/" : parent_path.substr(0, up), rule);
    if (!grand) return std::move(grand).error().wrap(step, "");
    if (mkdirat(grand->get(), parent_path.substr(up + 1).c_str(), 0755) < 0 && errno != EEXIST)
      return make_error(step, errno, parent_path);
    parent = open_trusted(parent_path, rule);
  }
  if (!parent) return std::move(parent).error().wrap(step, "");
  ZJAIL_TRY_ASSIGN(auto lock, use_lock(path, -1, step));
  bool made = mkdirat(parent->get(), name.c_str(), 0755) == 0;
  if (!made && errno != EEXIST) return make_error(step, errno, path);
  UniqueFd self(openat(parent->get(), name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!self) return make_error(step, errno, path);
  if (made) (void)fsetxattr(self.get(), kMadeXattr, "1", 1, 0);
  UniqueFd held(fcntl(parent->get(), F_DUPFD_CLOEXEC, 0));
  if (!held) return make_error(step, errno, parent_path);
  mount_points_.push_back({std::move(held), name, path, std::move(lock), made, std::move(self)});
  return {};
}

std::vector<std::string> HostLease::release() {
  std::vector<std::string> problems;
  // The last holder removes what zjail made, if it is empty: a mount there
  // in another jail's namespace would be detached by the removal.
  for (auto& m : mount_points_) {
    if (flock(m.lock.get(), LOCK_EX | LOCK_NB) < 0) continue;
    char mark[2];
    if (!m.made && fgetxattr(m.self.get(), kMadeXattr, mark, sizeof mark) < 0) continue;
    if (unlinkat(m.parent.get(), m.name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT && errno != ENOTEMPTY &&
        errno != EEXIST && errno != EBUSY)
      problems.push_back("mount point " + m.shown + " not removed: " + std::strerror(errno));
  }
  mount_points_.clear();
  // Innermost first, as they were made outermost first.
  for (auto it = removals_.rbegin(); it != removals_.rend(); ++it) {
    // Another jail still holds it: the last one removes it.
    if (flock(it->lock.get(), LOCK_EX | LOCK_NB) < 0) continue;
    auto st = remove_tree(it->parent.get(), it->name);
    if (!st) problems.push_back((it->made ? "TMPDIR " : "RuntimeDirectory ") + it->shown + " not removed: " + st.error().message());
  }
  removals_.clear();
  // Unlinked while still locked: whoever opened it meanwhile sees it gone.
  for (auto& l : locks_) unlink(l.path.c_str());
  locks_.clear();
  return problems;
}

}  // namespace zjail
