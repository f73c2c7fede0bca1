// Building the jail's root file system with the new mount API. Bind sources
// are cloned (open_tree) before anything is mounted over them; every target
// is reached one component at a time with openat2(RESOLVE_NO_SYMLINKS |
// RESOLVE_BENEATH), so a symlink planted inside a writable bind can never
// redirect a mount outside the jail.
#include <fcntl.h>
#include <linux/openat2.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstring>

#include "child.hpp"

namespace zjail::child {
namespace {

using Kind = MountOp::Kind;

int openat2_beneath(int dirfd, const char* name, int flags) {
  open_how how{};
  how.flags = static_cast<uint64_t>(flags | O_CLOEXEC);
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;
  return static_cast<int>(syscall(SYS_openat2, dirfd, name, &how, sizeof how));
}

// Whether the op mounts something at its target (MountPoint and Symlink
// only make entries; an Attr of the root changes it in place).
bool mounts_at_target(const MountOp& op) {
  return op.kind != Kind::MountPoint && op.kind != Kind::Symlink && !op.target.empty();
}

// `t` is `path` (its first `len` characters) or a directory above it.
bool covers(const std::string& t, const char* path, size_t len) {
  return t.size() <= len && std::memcmp(t.data(), path, t.size()) == 0 && (t.size() == len || path[t.size()] == '/');
}

// Whether the directory `path` (first `len` characters, "" for the root)
// lies on a file system this init made and only it can reach yet: the
// fresh tmpfs root, or a tmpfs, proc or devpts an earlier op mounted there
// (the latest mount on `path` or above it is what `path` shows). A bind of
// a host directory, which others may change meanwhile, never is; nor is an
// optional op, which may not have mounted anything.
bool made_here(const Context& ctx, const char* path, size_t len) {
  const auto& mounts = ctx.plan->mounts;
  bool owned = ctx.plan->root_directory.empty();
  size_t upto = ctx.detail < 0 ? 0 : std::min(static_cast<size_t>(ctx.detail), mounts.size());
  for (size_t i = 0; i < upto; ++i) {
    const MountOp& op = mounts[i];
    if (!mounts_at_target(op) || !covers(op.target, path, len)) continue;
    owned = !op.optional && (op.kind == Kind::Tmpfs || op.kind == Kind::Proc || op.kind == Kind::Devpts);
  }
  return owned;
}

void forget_dir(Context& ctx) {
  if (ctx.dir_fd >= 0) close(ctx.dir_fd);
  ctx.dir_fd = -1;
  ctx.dir_path = nullptr;
  ctx.dir_len = 0;
}

void forget_null_mask(Context& ctx) {
  if (ctx.null_mask >= 0) close(ctx.null_mask);
  ctx.null_mask = -1;
}

// Makes `name` in `dir`: a directory, or an empty file.
int make_entry(int dir, const char* name, bool want_dir) {
  if (want_dir) return mkdirat(dir, name, 0755);
  int fd = openat(dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  return fd < 0 ? -1 : close(fd);
}

// Whether `dir` is the directory kept open from an earlier target.
bool kept(const Context& ctx, const char* dir, size_t len) {
  return len > 0 && ctx.dir_fd >= 0 && ctx.dir_len == len && std::memcmp(ctx.dir_path, dir, len) == 0;
}

// Keeps `fd`, the directory `dir` (its first `len` characters, pointing
// into the plan), for the next target in it, or closes it.
void keep_or_close(Context& ctx, int fd, const char* dir, size_t len) {
  if (fd == ctx.root_fd || fd == ctx.dir_fd) return;
  if (len == 0 || !made_here(ctx, dir, len)) {
    close(fd);
    return;
  }
  forget_dir(ctx);
  ctx.dir_fd = fd;
  ctx.dir_path = dir;
  ctx.dir_len = len;
}

// Opens `rel` (its first `rel_len` characters, pointing into the plan)
// under the root being built as an O_PATH fd, creating missing directories
// (and the final file when !is_dir) when `create` is set. Never follows a
// symlink: one is an error (ELOOP), not a redirection.
//
// Fewer calls where the init made the file system itself (made_here): the
// target is made first and opened once (EEXIST is fine: the open judges what
// is there, as before; a file is made with mknod, which is the same
// creation), and the target's directory stays open for the next target in
// it (/dev/*, /proc/*) until something is mounted on it or above it.
int open_target(Context& ctx, const char* rel, size_t rel_len, bool is_dir, bool create) {
  const int root = ctx.root_fd;
  char comp[NAME_MAX + 1];
  int cur = root;
  const char* p = rel;
  const char* end = rel + rel_len;
  size_t dir_len = 0;
  for (const char* q = rel; q < end; ++q)
    if (*q == '/') dir_len = static_cast<size_t>(q - rel);
  if (dir_len + 1 < rel_len && kept(ctx, rel, dir_len)) {  // a name follows the kept directory
    cur = ctx.dir_fd;
    p = rel + dir_len + 1;
  }
  auto drop = [&](int fd) {
    if (fd != root && fd != ctx.dir_fd) close(fd);
  };
  while (p < end) {
    const char* slash = static_cast<const char*>(std::memchr(p, '/', static_cast<size_t>(end - p)));
    size_t len = slash ? static_cast<size_t>(slash - p) : static_cast<size_t>(end - p);
    if (len == 0 || len > NAME_MAX) {
      drop(cur);
      return -EINVAL;
    }
    std::memcpy(comp, p, len);
    comp[len] = '\0';
    bool last = slash == nullptr;
    bool want_dir = !last || is_dir;
    size_t here = static_cast<size_t>(p - rel);  // `cur` is rel[0, here - 1)
    // Directories on the way usually exist (an earlier target made them).
    bool fresh = create && last && made_here(ctx, rel, here == 0 ? 0 : here - 1);
    int flags = O_PATH | (want_dir ? O_DIRECTORY : 0);
    int fd;
    if (fresh) {
      int r = want_dir ? mkdirat(cur, comp, 0755) : mknodat(cur, comp, S_IFREG | 0644, 0);
      if (r < 0 && errno != EEXIST) {
        int e = errno;
        drop(cur);
        return -e;
      }
      fd = openat2_beneath(cur, comp, flags);
    } else {
      fd = openat2_beneath(cur, comp, flags);
      if (fd < 0 && errno == ENOENT && create) {
        if (make_entry(cur, comp, want_dir) < 0 && errno != EEXIST) {
          int e = errno;
          drop(cur);
          return -e;
        }
        fd = openat2_beneath(cur, comp, flags);
      }
    }
    int e = errno;
    if (fd >= 0 && last) keep_or_close(ctx, cur, rel, dir_len);
    else drop(cur);
    if (fd < 0) return -e;
    cur = fd;
    p = last ? end : slash + 1;
  }
  if (cur == root) return -EINVAL;  // the root itself is never a target
  return cur;
}

int open_target(Context& ctx, const std::string& rel, bool is_dir, bool create) {
  return open_target(ctx, rel.data(), rel.size(), is_dir, create);
}

int set_attr(int fd, uint64_t attr, bool recursive) {
  if (attr == 0) return 0;
  mount_attr a{};
  a.attr_set = attr;
  return mount_setattr(fd, "", AT_EMPTY_PATH | (recursive ? AT_RECURSIVE : 0), &a, sizeof a);
}

int attach(int tree, int target) {
  return move_mount(tree, "", target, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH);
}

// Attaches `tree` onto `target` and closes both; a `tree` of -1 means making
// it failed, with errno saying why. Returns 0 or an errno.
int attach_and_close(int tree, int target) {
  int r = tree < 0 ? -1 : attach(tree, target);
  int e = errno;
  if (tree >= 0) close(tree);
  close(target);
  return r < 0 ? e : 0;
}

// `tree` with `attr` set; -1 (with `tree` closed) if that fails.
int with_attr(int tree, uint64_t attr, bool recursive) {
  if (tree < 0 || set_attr(tree, attr, recursive) == 0) return tree;
  int e = errno;
  close(tree);
  errno = e;
  return -1;
}

// A fresh filesystem instance (tmpfs, proc, devpts) as a detached mount,
// with `op`'s options and `attr`.
int new_fs(const char* type, const MountOp& op, uint64_t attr) {
  int fs = fsopen(type, FSOPEN_CLOEXEC);
  if (fs < 0) return -1;
  for (const auto& [key, value] : op.options) {
    int r = value.empty() ? fsconfig(fs, FSCONFIG_SET_FLAG, key.c_str(), nullptr, 0)
                          : fsconfig(fs, FSCONFIG_SET_STRING, key.c_str(), value.c_str(), 0);
    if (r < 0) {
      int e = errno;
      close(fs);
      errno = e;
      return -1;
    }
  }
  int mnt = -1;
  if (fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0)
    mnt = fsmount(fs, FSMOUNT_CLOEXEC, static_cast<unsigned>(attr));
  int e = errno;
  close(fs);
  errno = e;
  return mnt;
}

// An optional one goes only where its mount point exists already.
int fs_type_mount(Context& ctx, const MountOp& op, const char* type) {
  int target = open_target(ctx, op.target, true, !op.optional);
  if (target == -ENOENT && op.optional) return 0;
  if (target < 0) return -target;
  return attach_and_close(new_fs(type, op, op.attr), target);
}

int bind_mount(Context& ctx, const MountOp& op, int& src) {
  if (src < 0) return 0;  // optional source that does not exist
  struct stat st{};
  if (fstat(src, &st) < 0) return errno;
  int target = open_target(ctx, op.target, S_ISDIR(st.st_mode), true);
  if (target < 0) return -target;
  int r = attach_and_close(src, target);
  src = -1;
  return r;
}

// The existing target a mask covers, and what it is: 0 with `fd` open (-1
// for an optional target that is missing), or the errno.
int open_covered(Context& ctx, const MountOp& op, int& fd, struct stat& st) {
  fd = open_target(ctx, op.target, false, false);
  if (fd == -ENOENT && op.optional) {
    fd = -1;
    return 0;
  }
  if (fd < 0) return -fd;
  if (fstat(fd, &st) < 0) {
    int e = errno;
    close(fd);
    fd = -1;
    return e;
  }
  return 0;
}

int mask(Context& ctx, const MountOp& op) {
  int target = -1;
  struct stat st{};
  if (int e = open_covered(ctx, op, target, st)) return e;
  if (target < 0) return 0;
  // A directory is covered with an empty read-only tmpfs instead.
  if (S_ISDIR(st.st_mode)) return attach_and_close(new_fs("tmpfs", op, op.attr), target);
  // Masks come in runs (/proc's): the one attached last, which has the same
  // flags, is cloned instead of /dev/null, so the flags need no setting.
  int tree;
  if (ctx.null_mask >= 0 && ctx.null_mask_attr == op.attr) {
    tree = open_tree(ctx.null_mask, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  } else {
    tree = with_attr(open_tree(AT_FDCWD, "/dev/null", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC), op.attr, false);
  }
  int r = tree < 0 ? -1 : attach(tree, target);
  int e = errno;
  close(target);
  if (r < 0) {
    if (tree >= 0) close(tree);
    return e;
  }
  if (ctx.null_mask >= 0) close(ctx.null_mask);
  ctx.null_mask = tree;
  ctx.null_mask_attr = op.attr;
  return 0;
}

// The subtree is cloned with everything mounted in it, so that nothing under
// the target is lost when the clone covers it; `recursive` says whether the
// flags change on all of it or on the top mount only. The root itself is
// the tree being built, changed in place.
int change_attr(Context& ctx, const MountOp& op) {
  mount_attr a{};
  a.attr_set = op.attr;
  a.attr_clr = op.attr_clear;
  unsigned deep = op.recursive ? AT_RECURSIVE : 0;
  if (op.target.empty()) return mount_setattr(ctx.root_fd, "", AT_EMPTY_PATH | deep, &a, sizeof a) < 0 ? errno : 0;
  int target = open_target(ctx, op.target, false, false);
  if (target == -ENOENT && op.optional) return 0;
  if (target < 0) return -target;
  int tree = open_tree(target, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH | AT_RECURSIVE);
  if (tree >= 0 && mount_setattr(tree, "", AT_EMPTY_PATH | deep, &a, sizeof a) < 0) {
    int e = errno;
    close(tree);
    errno = e;
    tree = -1;
  }
  return attach_and_close(tree, target);
}

constexpr uint64_t kSealed = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;

// systemd's inaccessible nodes: a directory is covered with an empty,
// read-only tmpfs of mode 0000, anything else with a mode-0000 file of a
// private tmpfs made the first time one is needed (a user namespace cannot
// make the device nodes systemd uses for device targets). Only a holder of
// CAP_DAC_OVERRIDE gets through, to nothing.
int inaccessible(Context& ctx, const MountOp& op) {
  int target = -1;
  struct stat st{};
  if (int e = open_covered(ctx, op, target, st)) return e;
  if (target < 0) return 0;
  // `op` carries the tmpfs options (mode=0000).
  if (S_ISDIR(st.st_mode)) return attach_and_close(new_fs("tmpfs", op, kSealed), target);
  if (ctx.inaccessible_fs < 0) {
    int fs = new_fs("tmpfs", op, 0);
    int file = fs < 0 ? -1 : openat(fs, "inaccessible", O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
    if (file < 0) {
      int e = errno;
      if (fs >= 0) close(fs);
      close(target);
      return e;
    }
    close(file);
    // Kernels before 6.15 clone only from a mount attached in the caller's
    // namespace (EINVAL otherwise): stack it on the stage until the mounts
    // are done (apply_mounts takes it off before the pivot).
    if (move_mount(fs, "", AT_FDCWD, ctx.plan->stage_dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0) {
      int e = errno;
      close(fs);
      close(target);
      return e;
    }
    ctx.inaccessible_fs = fs;
  }
  int tree = open_tree(ctx.inaccessible_fs, "inaccessible", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
  return attach_and_close(with_attr(tree, kSealed, false), target);
}

// The mount point of a later mount, made while its parent is still writable.
int make_mount_point(Context& ctx, const MountOp& op) {
  if (op.ref < 0 || static_cast<size_t>(op.ref) >= ctx.plan->mounts.size()) return EINVAL;
  const MountOp& later = ctx.plan->mounts[static_cast<size_t>(op.ref)];
  bool dir = true;
  if (later.kind == Kind::Bind) {
    int src = ctx.src_fds[op.ref];
    struct stat st{};
    if (src < 0) return 0;  // an optional source that is missing: nothing will be mounted
    if (fstat(src, &st) < 0) return errno;
    dir = S_ISDIR(st.st_mode);
  }
  int target = open_target(ctx, op.target, dir, true);
  if (target < 0) return -target;
  close(target);
  return 0;
}

int symlink_in_root(Context& ctx, const MountOp& op) {
  const char* rel = op.target.c_str();
  const char* slash = std::strrchr(rel, '/');
  int dir = ctx.root_fd;
  size_t len = slash ? static_cast<size_t>(slash - rel) : 0;
  if (len >= PATH_MAX) return ENAMETOOLONG;
  if (kept(ctx, rel, len)) {
    dir = ctx.dir_fd;
  } else if (slash) {
    dir = open_target(ctx, rel, len, true, true);
    if (dir < 0) return -dir;
  }
  const char* name = slash ? slash + 1 : rel;
  int r = symlinkat(op.source.c_str(), dir, name);
  int e = errno;
  if (r < 0 && e == EEXIST) {
    // One with the same text is what was asked for (a RootDirectory= that
    // already holds the link DynamicUser= made on the host).
    char text[PATH_MAX];
    ssize_t n = readlinkat(dir, name, text, sizeof text);
    bool same = n >= 0 && static_cast<size_t>(n) == op.source.size() &&
                std::memcmp(text, op.source.data(), op.source.size()) == 0;
    if (same) r = 0;
  }
  keep_or_close(ctx, dir, rel, len);
  return r < 0 ? e : 0;
}

// Writes `data` to `fd` whole.
int write_all(int fd, const std::string& data) {
  size_t done = 0;
  while (done < data.size()) {
    ssize_t n = write(fd, data.data() + done, data.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return errno;
    done += static_cast<size_t>(n);
  }
  return 0;
}

// A fresh ramfs (never swapped out) holding the plan's files, owned by
// op.owner, made read-only before anyone can reach it.
int files_mount(Context& ctx, const MountOp& op) {
  int fs = fsopen("ramfs", FSOPEN_CLOEXEC);
  if (fs < 0) return errno;
  int mnt = fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0) == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, 0) : -1;
  int e = errno;
  close(fs);
  if (mnt < 0) return e;
  int r = 0;
  for (const auto& f : op.files) {
    int fd = openat(mnt, f.name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
      r = errno;
      break;
    }
    r = write_all(fd, f.data);
    // The ramfs holds it now; this copy of the plan (the init's own, after
    // clone) need not.
    explicit_bzero(const_cast<char*>(f.data.data()), f.data.size());
    if (r == 0 && (fchown(fd, op.owner, op.group) < 0 || fchmod(fd, op.file_mode) < 0)) r = errno;
    close(fd);
    if (r != 0) break;
  }
  // The mount fd is an O_PATH one; its root is changed through a real open.
  int root = r == 0 ? openat(mnt, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (r == 0 && (root < 0 || fchown(root, op.owner, op.group) < 0 || fchmod(root, op.dir_mode) < 0)) r = errno;
  if (root >= 0) close(root);
  if (r == 0 && set_attr(mnt, op.attr, true) < 0) r = errno;
  if (r != 0) {
    close(mnt);
    return r;
  }
  int target = open_target(ctx, op.target, true, true);
  if (target < 0) {
    close(mnt);
    return -target;
  }
  return attach_and_close(mnt, target);
}

// A bind of what an earlier op mounted in the jail (a file of a Files
// mount), reached without following a symlink.
int jail_bind(Context& ctx, const MountOp& op) {
  int src = open_target(ctx, op.source, false, false);
  if (src < 0) return -src;
  struct stat st{};
  int tree = -1;
  if (fstat(src, &st) == 0)
    tree = open_tree(src, "", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_EMPTY_PATH);
  int e = errno;
  close(src);
  if (tree < 0) return e;
  int target = open_target(ctx, op.target, S_ISDIR(st.st_mode), true);
  if (target < 0) {
    close(tree);
    return -target;
  }
  return attach_and_close(with_attr(tree, op.attr, false), target);
}

// The parent resolved the path and vetted its symlinks; opening it with
// RESOLVE_NO_SYMLINKS makes a symlink swapped in since then fail the launch
// (ELOOP) instead of redirecting the bind.
int clone_path(const char* resolved, unsigned flags) {
  int path = open_path_no_symlinks(resolved);
  if (path < 0) return -1;
  int fd = open_tree(path, "", flags | AT_EMPTY_PATH);
  int e = errno;
  close(path);
  errno = e;
  return fd;
}

int clone_source(const MountOp& op, unsigned flags) {
  if (op.resolved_source.empty()) return open_tree(AT_FDCWD, op.source.c_str(), flags);  // zjail's own
  return clone_path(op.resolved_source.c_str(), flags);
}

}  // namespace

int make_mounts_private(Context&) {
  return mount(nullptr, "/", nullptr, MS_REC | MS_PRIVATE, nullptr) < 0 ? errno : 0;
}

int open_sources(Context& ctx) {
  const auto& mounts = ctx.plan->mounts;
  for (size_t i = 0; i < mounts.size(); ++i) {
    const MountOp& op = mounts[i];
    if (op.kind != Kind::Bind) continue;
    ctx.detail = static_cast<int>(i);
    unsigned flags = OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | (op.recursive ? AT_RECURSIVE : 0);
    int fd = clone_source(op, flags);
    if (fd < 0) {
      if (errno == ENOENT && op.optional) continue;
      return errno;
    }
    ctx.src_fds[i] = fd;
    if (set_attr(fd, op.attr, op.recursive) < 0) return errno;
  }
  ctx.detail = -1;
  return 0;
}

int mount_root(Context& ctx) {
  const Plan& plan = *ctx.plan;
  int tree;
  if (!plan.root_directory.empty()) {
    tree = clone_path(plan.root_directory.c_str(), OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
    if (tree < 0) return errno;
    if (set_attr(tree, plan.root_attr, true) < 0) return errno;
  } else {
    int fs = fsopen("tmpfs", FSOPEN_CLOEXEC);
    if (fs < 0) return errno;
    int r = fsconfig(fs, FSCONFIG_SET_STRING, "mode", "0755", 0);
    if (r == 0) r = fsconfig(fs, FSCONFIG_CMD_CREATE, nullptr, nullptr, 0);
    tree = r == 0 ? fsmount(fs, FSMOUNT_CLOEXEC, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV) : -1;
    int e = errno;
    close(fs);
    if (tree < 0) return e;
  }
  if (move_mount(tree, "", AT_FDCWD, plan.stage_dir.c_str(), MOVE_MOUNT_F_EMPTY_PATH) < 0) return errno;
  ctx.root_fd = tree;
  return 0;
}

int apply_mounts(Context& ctx) {
  const auto& mounts = ctx.plan->mounts;
  // Mount points are created 0755 (directories) and 0644 (files) whatever
  // umask zjail inherited: under a unit's UMask=007 the jail's /etc came out
  // 0750 root and the payload could not reach its own config. The payload
  // gets the inherited umask back.
  mode_t inherited = umask(0);
  int r = 0;
  for (size_t i = 0; i < mounts.size() && r == 0; ++i) {
    const MountOp& op = mounts[i];
    ctx.detail = static_cast<int>(i);
    // A mask is cloned from the one before only across a run of masks:
    // nothing else can have changed its flags meanwhile.
    if (op.kind != Kind::Mask) forget_null_mask(ctx);
    switch (op.kind) {
      case Kind::Bind: r = bind_mount(ctx, op, ctx.src_fds[i]); break;
      case Kind::Tmpfs: r = fs_type_mount(ctx, op, "tmpfs"); break;
      case Kind::Proc: r = fs_type_mount(ctx, op, "proc"); break;
      case Kind::Devpts: r = fs_type_mount(ctx, op, "devpts"); break;
      case Kind::Cgroup2: r = fs_type_mount(ctx, op, "cgroup2"); break;
      case Kind::Mask: r = mask(ctx, op); break;
      case Kind::Inaccessible: r = inaccessible(ctx, op); break;
      case Kind::Attr: r = change_attr(ctx, op); break;
      case Kind::MountPoint: r = make_mount_point(ctx, op); break;
      case Kind::Symlink: r = symlink_in_root(ctx, op); break;
      case Kind::Files: r = files_mount(ctx, op); break;
      case Kind::JailBind: r = jail_bind(ctx, op); break;
    }
    // The kept directory is no longer what its path shows once something
    // is mounted on it or above it.
    if (ctx.dir_fd >= 0 && mounts_at_target(op) && covers(op.target, ctx.dir_path, ctx.dir_len)) forget_dir(ctx);
  }
  forget_dir(ctx);
  forget_null_mask(ctx);
  umask(inherited);
  if (ctx.inaccessible_fs >= 0) {
    close(ctx.inaccessible_fs);
    ctx.inaccessible_fs = -1;
    if (umount2(ctx.plan->stage_dir.c_str(), MNT_DETACH) < 0 && r == 0) r = errno;
  }
  if (r == 0) ctx.detail = -1;
  return r;
}

// pivot_root(".", ".") stacks the old root on top of the new one; detaching
// it leaves only the jail's tree, with no directory to create or remove.
int pivot_root(Context& ctx) {
  if (fchdir(ctx.root_fd) < 0) return errno;
  if (syscall(SYS_pivot_root, ".", ".") < 0) return errno;
  if (umount2(".", MNT_DETACH) < 0) return errno;
  if (chdir("/") < 0) return errno;
  return 0;
}

int remount_root(Context& ctx) {
  mount_attr a{};
  a.attr_set = MOUNT_ATTR_RDONLY;
  if (ctx.plan->root_read_only && mount_setattr(AT_FDCWD, "/", 0, &a, sizeof a) < 0) return errno;
  close(ctx.root_fd);
  ctx.root_fd = -1;
  return 0;
}

}  // namespace zjail::child
