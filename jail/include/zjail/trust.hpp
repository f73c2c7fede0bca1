// Vetting paths that decide what a root process does, the way sshd checks
// ChrootDirectory: resolution goes one component at a time through O_PATH
// fds, and every directory on the way must be owned by root and writable by
// nobody else, so no unprivileged user can swap a component between the
// check and the use. A symlink is followed only where it sits in such a
// directory and is itself root's, that is where only root could have put it.
#pragma once

#include <sys/types.h>

#include <deque>
#include <string>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

struct TrustRule {
  // The final component may belong to this uid instead of root (a user's
  // home directory); its mode is then the user's business. Everything else
  // must be root's and writable by root alone: a sticky, world-writable
  // directory such as /tmp is never trusted.
  uid_t leaf_owner = 0;
  bool leaf_must_be_dir = false;
  // Besides root, this uid may own any component (a developer's tree that
  // root was told to trust); its objects must not be writable by group or
  // others either. 0: root alone.
  uid_t owner = 0;
  // A sticky directory writable by others (/tmp) may be crossed when the
  // entry taken in it is a directory of root's (or `owner`'s): the sticky
  // bit keeps anyone else from renaming or removing that entry. A file or a
  // symlink directly in it is still refused (others could have planted it).
  bool cross_sticky = false;
};

// Resolves `path` as described above and returns an O_PATH fd of the final
// object, or an error naming the offending component (Step::CheckPaths; EPERM for
// ownership or mode problems, ELOOP for too many links).
Result<UniqueFd> open_trusted(const std::string& path, const TrustRule& rule = {});

// "/a//b/./c" -> {"a", "b", ".", "c"}: the non-empty components, in order
// ("." and ".." are left for the resolver to interpret).
std::deque<std::string> path_components(const std::string& path);

// A path resolved one component at a time, as the kernel does: "." stays,
// ".." climbs (never above /), and a symlink's target is resolved in place
// of the link, from / when it is absolute. The caller looks each component
// up in its own world (the host, the jail's mount table) and says what it
// found:
//   PathWalk walk(path);
//   for (std::string next; walk.next(next);)
//     if (!is_link(next)) walk.enter(next);
//     else if (!walk.follow(target_of(next))) return ELOOP;
class PathWalk {
 public:
  explicit PathWalk(const std::string& path) : todo_(path_components(path)) {}
  // The next path to look up, absolute ("/usr/lib"); false when none is left.
  bool next(std::string& path);
  // The path from next() exists and is no symlink: it is resolved so far.
  void enter(std::string path) { done_ = std::move(path); }
  // It is a symlink to `target`. False after 40 of them, where the kernel
  // would say ELOOP.
  bool follow(const std::string& target);
  // What is resolved so far: "/" for the root.
  std::string resolved() const { return done_.empty() ? "/" : done_; }
  // The components not looked up yet.
  const std::deque<std::string>& rest() const { return todo_; }

 private:
  std::deque<std::string> todo_;
  std::string done_;  // "" is "/"
  int links_ = 0;
};

// A trusted regular file opened for reading (configuration, profiles).
Result<UniqueFd> open_trusted_file(const std::string& path);

// Opens the object behind an O_PATH fd for reading, through /proc/self/fd:
// what was checked is what is read, whatever the path names by now.
Result<UniqueFd> reopen_for_reading(int path_fd, const std::string& shown);

}  // namespace zjail
