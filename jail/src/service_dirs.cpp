// RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory= and
// ConfigurationDirectory=: planned (where each lives on the host, its bind
// and symlinks in the jail, its variable), then made on the host by the
// parent before clone, and the runtime ones removed at the end.
//
// Making a directory as root in a tree the service user can write is where
// such features go wrong (a symlink planted where a chown or mkdir follows
// it). So everything is done from fds: each component is opened from its
// parent with O_NOFOLLOW, every directory above the innermost must be
// root's and writable by root alone, and ownership is changed on an open fd
// or, inside a directory of the old owner, only on what the old owner owns.
#include "service_dirs.hpp"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "dir_entries.hpp"
#include "plan_internal.hpp"
#include "syntax.hpp"
#include "zjail/lease.hpp"
#include "zjail/trust.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

using std::string;

constexpr const char* kKeys[kServiceDirKinds] = {"RuntimeDirectory", "StateDirectory", "CacheDirectory",
                                                 "LogsDirectory", "ConfigurationDirectory"};
constexpr const char* kEnv[kServiceDirKinds] = {"RUNTIME_DIRECTORY", "STATE_DIRECTORY", "CACHE_DIRECTORY",
                                                "LOGS_DIRECTORY", "CONFIGURATION_DIRECTORY"};
// Where a system service's directories live (systemd.exec(5)).
constexpr const char* kRootBase[kServiceDirKinds] = {"/run", "/var/lib", "/var/cache", "/var/log", "/etc"};
constexpr int kMaxDepth = 256;

Error dir_error(int err, const string& what) { return make_error(Step::Directories, err, what); }

string parent_of(const string& path) {
  size_t slash = path.rfind('/');
  return slash == 0 ? "/" : path.substr(0, slash);
}

std::vector<string> components(const string& rel) {
  auto parts = path_components(rel);
  return {parts.begin(), parts.end()};
}

// An environment variable of the invoker's, "" if unset.
string env_of(const PlanContext& ctx, const string& key) {
  for (char** e = ctx.environ; e && *e; ++e)
    if (std::strncmp(*e, key.c_str(), key.size()) == 0 && (*e)[key.size()] == '=') return *e + key.size() + 1;
  return "";
}

// An unprivileged zjail's directories are its caller's, where systemd puts
// a user service's: the XDG base directories.
Result<string> user_base(ServiceDirKind kind, const PlanContext& ctx, const string& home) {
  auto xdg = [&](const char* key, const string& fallback) {
    string v = env_of(ctx, key);
    return valid_path(v) ? v : fallback;  // the spec ignores a relative value
  };
  switch (kind) {
    case ServiceDirKind::Runtime: {
      string run = xdg("XDG_RUNTIME_DIR", "");
      if (run.empty())
        return make_error(Step::Plan, 0, "RuntimeDirectory= needs $XDG_RUNTIME_DIR when zjail runs unprivileged");
      return run;
    }
    case ServiceDirKind::State: return xdg("XDG_STATE_HOME", home + "/.local/state");
    case ServiceDirKind::Cache: return xdg("XDG_CACHE_HOME", home + "/.cache");
    case ServiceDirKind::Logs: return xdg("XDG_STATE_HOME", home + "/.local/state") + "/log";
    case ServiceDirKind::Configuration: return xdg("XDG_CONFIG_HOME", home + "/.config");
  }
  return make_error(Step::Plan, EINVAL, "directory kind");
}

MountOp jail_op(MountOp::Kind kind, string source, const string& jail_path, const Origin& o) {
  MountOp m;
  m.kind = kind;
  m.source = std::move(source);
  m.target = jail_path.substr(jail_path.find_first_not_of('/'));
  m.attr = kind == MountOp::Kind::Symlink ? 0 : MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  m.origin = o.str();
  return m;
}

}  // namespace

Status plan_service_dirs(const Profile& p, const PlanContext& ctx, Plan& plan, std::vector<string>& env) {
  const Identity& id = p.identity;
  if (!id.any_directory()) return {};
  string home = env_of(ctx, "HOME");
  if (!plan.invoked_as_root && !valid_path(home)) {
    ZJAIL_TRY_ASSIGN(auto me, lookup_uid(ctx.invoker_uid));
    home = me.home;
  }
  std::vector<MountOp> ops;
  for (size_t k = 0; k < kServiceDirKinds; ++k) {
    auto kind = static_cast<ServiceDirKind>(k);
    if (id.directories[k].empty()) continue;
    bool is_private = plan.identity.dynamic && (kind == ServiceDirKind::State || kind == ServiceDirKind::Cache ||
                                                kind == ServiceDirKind::Logs);
    string base = kRootBase[k];
    if (!plan.invoked_as_root) {
      auto b = user_base(kind, ctx, home);
      if (!b) return std::move(b).error().wrap(Step::Plan, origin_text(id.directories[k].front().origin));
      base = *b;
    }
    string vars;
    bool private_tmpfs = false;
    for (const auto& item : id.directories[k]) {
      const ServiceDir& sd = item.value;
      ServiceDirPlan d;
      d.directive = string(kKeys[k]) + "=" + sd.name + " (" + item.origin.str() + ")";
      d.base = is_private ? base + "/private" : base;
      d.name = sd.name;
      d.mode = id.directory_mode[k].value.value_or(0755);
      d.uid = plan.uid;
      d.gid = plan.gid;
      d.chown = kind != ServiceDirKind::Configuration && plan.invoked_as_root;
      d.remove = kind == ServiceDirKind::Runtime && id.runtime_preserve.value.value_or(RuntimePreserve::No) !=
                                                         RuntimePreserve::Yes;
      d.private_base = is_private;
      d.privileged = plan.invoked_as_root;
      // The path the payload is told, and where it finds the directory: a
      // dynamic user's goes through the symlink beside private/, as on the host.
      string shown = base + "/" + sd.name;
      if (is_private) {
        d.host_link = shown;
        string up;
        for (size_t n = components(sd.name).size(); n > 1; --n) up += "../";
        ops.push_back(jail_op(MountOp::Kind::Symlink, up + "private/" + sd.name, shown, item.origin));
        // The host's private/ is root's 0700; in the jail an empty
        // directory open to all stands in, holding only these.
        if (!private_tmpfs) {
          MountOp tmp = jail_op(MountOp::Kind::Tmpfs, "", base + "/private", item.origin);
          tmp.options = {{"mode", "0755"}, {"size", "64k"}, {"nr_inodes", "64"}};
          tmp.attr |= MOUNT_ATTR_NOEXEC;
          ops.push_back(std::move(tmp));
          // Read-only, as systemd's, once the directories' mount points are in it.
          MountOp seal = jail_op(MountOp::Kind::Attr, "", base + "/private", item.origin);
          seal.attr = MOUNT_ATTR_RDONLY;
          seal.recursive = false;
          ops.push_back(std::move(seal));
          private_tmpfs = true;
        }
      }
      ops.push_back(jail_op(MountOp::Kind::Bind, d.host_path(), d.host_path(), item.origin));
      if (!sd.link.empty()) ops.push_back(jail_op(MountOp::Kind::Symlink, shown, base + "/" + sd.link, item.origin));
      vars += (vars.empty() ? "" : ":") + shown;
      plan.identity.directories.push_back(std::move(d));
    }
    if (!vars.empty()) env.push_back(string(kEnv[k]) + "=" + vars);
  }
  // The binds reach the directories through what symlinks root put on the
  // way (a /var that is one), as every other bind does.
  string no_root;
  ZJAIL_TRY(resolve_sources(ops, no_root, ctx.invoker_uid));
  for (auto& m : ops) plan.mounts.push_back(std::move(m));
  return {};
}

namespace {

// --- Making them ----------------------------------------------------------------

// Root's and writable by root alone, or an error naming `shown`.
Status vet_root_dir(int fd, const string& shown) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return dir_error(errno, shown);
  if (!S_ISDIR(st.st_mode)) return dir_error(ENOTDIR, shown);
  if (st.st_uid != 0)
    return dir_error(EPERM, shown + " is owned by uid " + std::to_string(st.st_uid) +
                                ", not root: zjail makes nothing as root below it");
  if (st.st_mode & 022) return dir_error(EPERM, shown + " is writable by group or others: zjail makes nothing as root below it");
  return {};
}

// Opens directory `name` in `dir` without following a symlink. The kernel
// says ENOTDIR for a symlink when O_DIRECTORY is given: a symlink is
// reported as ELOOP, whatever it points to.
int open_dir_nofollow(int dir, const string& name) {
  int fd = openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0 && errno == ENOTDIR) {
    struct stat st{};
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode)) errno = ELOOP;
    else errno = ENOTDIR;
  }
  return fd;
}

// Opens directory `name` in `dir` without following a symlink, making it
// (with `mode`, whatever the umask) when missing. `made` says whether it did.
Result<UniqueFd> open_or_make(int dir, const string& name, mode_t mode, const string& shown, bool* made = nullptr) {
  bool created = mkdirat(dir, name.c_str(), 0700) == 0;
  if (!created && errno != EEXIST) return dir_error(errno, shown);
  UniqueFd fd(open_dir_nofollow(dir, name));
  if (!fd) {
    if (errno == ELOOP) return dir_error(ELOOP, shown + " is a symlink, and zjail never follows one here");
    return dir_error(errno, shown);
  }
  if (created && fchmod(fd.get(), mode) < 0) return dir_error(errno, shown);
  if (made) *made = created;
  return fd;
}

// A directory on a path root alone controls (trust.hpp), made with its
// missing parents (root's, 0755) when `create`.
Result<UniqueFd> trusted_dir(const string& path, bool create) {
  TrustRule rule;
  rule.leaf_must_be_dir = true;
  auto fd = open_trusted(path, rule);
  if (fd) return fd;
  if (fd.error().err != ENOENT || !create || path == "/") return std::move(fd).error().wrap(Step::Directories, "");
  ZJAIL_TRY_ASSIGN(auto parent, trusted_dir(parent_of(path), true));
  ZJAIL_TRY(open_or_make(parent.get(), path.substr(path.rfind('/') + 1), 0755, path));
  auto again = open_trusted(path, rule);
  if (!again) return std::move(again).error().wrap(Step::Directories, "");
  return again;
}

// The directory of `rel`'s parents below `base`, made root's where missing;
// `shown` is `base`'s path.
Result<UniqueFd> walk_parents(UniqueFd base, const string& shown, const std::vector<string>& comps) {
  string at = shown;
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    at += "/" + comps[i];
    ZJAIL_TRY_ASSIGN(auto next, open_or_make(base.get(), comps[i], 0755, at));
    ZJAIL_TRY(vet_root_dir(next.get(), at));
    base = std::move(next);
  }
  return base;
}

struct Owner {
  uid_t uid;
  gid_t gid;
};

// Everything below `dir` that belonged to `from` goes to `to`, each entry
// changed through an fd of its own: a name swapped for a hard link or a
// symlink between a look and the chown cannot redirect it. Entries with
// other owners stay as they are (a hard link to someone else's file among
// them keeps its owner), and so does anything on another mount.
Status chown_tree(int dir, dev_t dev, Owner from, Owner to, const string& shown, int depth) {
  if (depth > kMaxDepth) return dir_error(ELOOP, shown + ": nested too deep");
  std::vector<string> names;
  if (int e = entry_names(dir, names)) return dir_error(e, shown);
  Status result;
  for (const string& name : names) {
    UniqueFd fd(openat(dir, name.c_str(), O_PATH | O_NOFOLLOW | O_CLOEXEC));
    struct stat st{};
    if (!fd || fstat(fd.get(), &st) < 0 || st.st_dev != dev) continue;
    if (S_ISDIR(st.st_mode)) {
      UniqueFd sub(openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (!sub) continue;
      result = chown_tree(sub.get(), dev, from, to, shown + "/" + name, depth + 1);
      if (!result) break;
    } else if (S_ISREG(st.st_mode) && st.st_nlink > 1) {
      continue;  // a hard link: the same file is elsewhere too
    }
    uid_t u = st.st_uid == from.uid ? to.uid : static_cast<uid_t>(-1);
    gid_t g = st.st_gid == from.gid ? to.gid : static_cast<gid_t>(-1);
    if (u == static_cast<uid_t>(-1) && g == static_cast<gid_t>(-1)) continue;
    if (fchownat(fd.get(), "", u, g, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) < 0) {
      result = dir_error(errno, shown + "/" + name);
      break;
    }
  }
  return result;
}

// The innermost directory: made, or adopted from an earlier owner (its
// contents with it, as systemd does; not when root owned it, whose files
// stay root's), then given the planned mode.
Status adopt(int fd, const ServiceDirPlan& d, const string& shown) {
  struct stat st{};
  if (fstat(fd, &st) < 0) return dir_error(errno, shown);
  if (d.chown && (st.st_uid != d.uid || st.st_gid != d.gid)) {
    if (st.st_uid != d.uid && st.st_uid >= kDynamicUidMin && st.st_uid <= kDynamicUidMax &&
        dynamic_uid_in_use(st.st_uid))
      return dir_error(EBUSY, shown + " belongs to uid " + std::to_string(st.st_uid) + " of a running jail");
    if (st.st_uid != 0) ZJAIL_TRY(chown_tree(fd, st.st_dev, {st.st_uid, st.st_gid}, {d.uid, d.gid}, shown, 0));
    if (fchown(fd, d.uid, d.gid) < 0) return dir_error(errno, shown);
  }
  if ((st.st_mode & 07777) != d.mode && fchmod(fd, d.mode) < 0) return dir_error(errno, shown);
  return {};
}

// DynamicUser=: the name beside private/ is a symlink into it. A real
// directory there (the service ran without DynamicUser= before) moves into
// private/ first, as systemd moves it.
Status prepare_host_link(const ServiceDirPlan& d, int link_dir, int private_dir, const string& last, bool& missing) {
  string text;
  for (size_t n = components(d.name).size(); n > 1; --n) text += "../";
  text += "private/" + d.name;
  struct stat st{};
  missing = false;
  if (fstatat(link_dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) {
    if (errno != ENOENT) return dir_error(errno, d.host_link);
    missing = true;
    return {};
  }
  if (S_ISLNK(st.st_mode)) {
    char buf[4096];
    ssize_t n = readlinkat(link_dir, last.c_str(), buf, sizeof buf - 1);
    if (n < 0) return dir_error(errno, d.host_link);
    if (string(buf, static_cast<size_t>(n)) != text || st.st_uid != 0)
      return dir_error(EEXIST, d.host_link + " is a symlink to " + string(buf, static_cast<size_t>(n)) +
                                   ", not zjail's to " + text);
    return {};
  }
  if (!S_ISDIR(st.st_mode)) return dir_error(EEXIST, d.host_link + " is in the way (not a directory)");
  if (fstatat(private_dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0)
    return dir_error(EEXIST, d.host_link + " and " + d.host_path() + " both exist: remove one");
  if (renameat(link_dir, last.c_str(), private_dir, last.c_str()) < 0) return dir_error(errno, d.host_link);
  missing = true;
  return {};
}

// The reverse: a static service whose directory is still the symlink
// DynamicUser= left gets its directory back from private/.
Status migrate_from_private(const ServiceDirPlan& d, int dir, const string& last, const string& shown) {
  char buf[4096];
  ssize_t n = readlinkat(dir, last.c_str(), buf, sizeof buf - 1);
  string text = n < 0 ? "" : string(buf, static_cast<size_t>(n));
  if (text.find("private/" + d.name) == string::npos || d.base == "/" || !d.privileged)
    return dir_error(ELOOP, shown + " is a symlink, and zjail never follows one here");
  string private_path = d.base + "/private/" + d.name;
  ZJAIL_TRY_ASSIGN(auto priv, trusted_dir(parent_of(private_path), false));
  struct stat st{};
  if (fstatat(dir, last.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0 || st.st_uid != 0)
    return dir_error(ELOOP, shown + " is a symlink not of root's");
  if (unlinkat(dir, last.c_str(), 0) < 0) return dir_error(errno, shown);
  if (renameat(priv.get(), last.c_str(), dir, last.c_str()) < 0) return dir_error(errno, private_path);
  return {};
}

Result<MadeDirectory> make_privileged(const ServiceDirPlan& d) {
  auto comps = components(d.name);
  const string& last = comps.back();
  UniqueFd base;
  string outer_path = d.private_base ? parent_of(d.base) : d.base;
  ZJAIL_TRY_ASSIGN(auto outer, trusted_dir(outer_path, true));
  if (d.private_base) {
    ZJAIL_TRY_ASSIGN(base, open_or_make(outer.get(), "private", 0700, d.base));
    ZJAIL_TRY(vet_root_dir(base.get(), d.base));
    struct stat st{};
    if (fstat(base.get(), &st) == 0 && (st.st_mode & 07777) != 0700 && fchmod(base.get(), 0700) < 0)
      return dir_error(errno, d.base);
  } else {
    base = std::move(outer);
  }
  ZJAIL_TRY_ASSIGN(auto parent, walk_parents(std::move(base), d.base, comps));
  UniqueFd link_dir;
  bool link_missing = false;
  if (!d.host_link.empty()) {
    ZJAIL_TRY_ASSIGN(auto top, trusted_dir(outer_path, false));
    ZJAIL_TRY_ASSIGN(link_dir, walk_parents(std::move(top), outer_path, comps));
    ZJAIL_TRY(prepare_host_link(d, link_dir.get(), parent.get(), last, link_missing));
  }
  string shown = d.host_path();
  UniqueFd leaf;
  bool made = mkdirat(parent.get(), last.c_str(), 0700) == 0;
  if (!made && errno != EEXIST) return dir_error(errno, shown);
  leaf.reset(open_dir_nofollow(parent.get(), last));
  if (!leaf && errno == ELOOP && !d.private_base) {
    ZJAIL_TRY(migrate_from_private(d, parent.get(), last, shown));
    leaf.reset(open_dir_nofollow(parent.get(), last));
  }
  if (!leaf) {
    if (errno == ELOOP) return dir_error(ELOOP, shown + " is a symlink, and zjail never follows one here");
    return dir_error(errno, shown);
  }
  ZJAIL_TRY(adopt(leaf.get(), d, shown));
  if (link_missing) {
    string text;
    for (size_t n = comps.size(); n > 1; --n) text += "../";
    text += "private/" + d.name;
    if (symlinkat(text.c_str(), link_dir.get(), last.c_str()) < 0) return dir_error(errno, d.host_link);
  }
  UniqueFd where(fcntl(parent.get(), F_DUPFD_CLOEXEC, 3));
  if (!where) return dir_error(errno, shown);
  return MadeDirectory{std::move(where), last};
}

// An unprivileged zjail's own directories: made with its own rights, so
// nothing to be steered; only the service's part is kept free of symlinks.
Result<MadeDirectory> make_own(const ServiceDirPlan& d) {
  UniqueFd cur(open("/", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  string at;
  for (const auto& c : components(d.base)) {
    at += "/" + c;
    if (mkdirat(cur.get(), c.c_str(), 0700) < 0 && errno != EEXIST) return dir_error(errno, at);
    UniqueFd next(openat(cur.get(), c.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (!next) return dir_error(errno, at);
    cur = std::move(next);
  }
  auto comps = components(d.name);
  for (size_t i = 0; i + 1 < comps.size(); ++i) {
    at += "/" + comps[i];
    ZJAIL_TRY_ASSIGN(cur, open_or_make(cur.get(), comps[i], 0755, at));
  }
  at += "/" + comps.back();
  ZJAIL_TRY_ASSIGN(auto leaf, open_or_make(cur.get(), comps.back(), d.mode, at));
  ZJAIL_TRY(adopt(leaf.get(), d, at));
  return MadeDirectory{std::move(cur), comps.back()};
}

Status remove_below(int dir, dev_t dev, const string& shown, int depth) {
  if (depth > kMaxDepth) return dir_error(ELOOP, shown + ": nested too deep");
  std::vector<string> names;
  if (int e = entry_names(dir, names)) return dir_error(e, shown);
  Status result;
  for (const string& name : names) {
    struct stat st{};
    if (fstatat(dir, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) continue;
    if (S_ISDIR(st.st_mode) && st.st_dev == dev) {
      UniqueFd sub(openat(dir, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
      if (sub) {
        result = remove_below(sub.get(), dev, shown + "/" + name, depth + 1);
        if (!result) break;
      }
    }
    // A directory swapped for a symlink meanwhile is removed as the symlink.
    if (unlinkat(dir, name.c_str(), S_ISDIR(st.st_mode) ? AT_REMOVEDIR : 0) < 0 && errno != ENOENT &&
        unlinkat(dir, name.c_str(), 0) < 0 && errno != ENOENT) {
      result = dir_error(errno, shown + "/" + name);
      break;
    }
  }
  return result;
}

}  // namespace

Result<MadeDirectory> make_service_directory(const ServiceDirPlan& d) {
  auto r = d.privileged ? make_privileged(d) : make_own(d);
  if (!r) return std::move(r).error().wrap(Step::Directories, d.directive);
  return r;
}

Status remove_tree(int parent, const string& name) {
  UniqueFd dir(openat(parent, name.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (!dir) {
    if (errno == ENOENT) return {};
    if ((errno == ELOOP || errno == ENOTDIR) && unlinkat(parent, name.c_str(), 0) == 0) return {};
    return dir_error(errno, name);
  }
  struct stat st{};
  if (fstat(dir.get(), &st) < 0) return dir_error(errno, name);
  ZJAIL_TRY(remove_below(dir.get(), st.st_dev, name, 0));
  if (unlinkat(parent, name.c_str(), AT_REMOVEDIR) < 0 && errno != ENOENT) return dir_error(errno, name);
  return {};
}

std::string service_directory_problem(const ServiceDirPlan& d) {
  if (!d.privileged) return "";
  string outer_path = d.private_base ? parent_of(d.base) : d.base;
  TrustRule rule;
  rule.leaf_must_be_dir = true;
  auto outer = open_trusted(outer_path, rule);
  if (!outer) return outer.error().err == ENOENT ? "" : outer.error().message();
  UniqueFd cur = std::move(outer).value();
  string at = outer_path;
  std::vector<string> comps = components(d.name);
  if (d.private_base) comps.insert(comps.begin(), "private");
  for (size_t i = 0; i < comps.size(); ++i) {
    at += "/" + comps[i];
    struct stat st{};
    if (fstatat(cur.get(), comps[i].c_str(), &st, AT_SYMLINK_NOFOLLOW) < 0) return "";  // would be made
    bool leaf = i + 1 == comps.size();
    if (S_ISLNK(st.st_mode) && !(leaf && !d.private_base))
      return at + " is a symlink, and zjail never follows one here";
    if (S_ISLNK(st.st_mode)) return "";  // DynamicUser='s symlink: moved back (migrate_from_private)
    if (!S_ISDIR(st.st_mode)) return at + " is not a directory";
    if (!leaf && (st.st_uid != 0 || (st.st_mode & 022)))
      return at + (st.st_uid != 0 ? " is owned by uid " + std::to_string(st.st_uid) + ", not root"
                                  : " is writable by group or others") + ": zjail makes nothing as root below it";
    if (leaf && st.st_uid != d.uid && st.st_uid >= kDynamicUidMin && st.st_uid <= kDynamicUidMax &&
        dynamic_uid_in_use(st.st_uid))
      return at + " belongs to uid " + std::to_string(st.st_uid) + " of a running jail";
    UniqueFd next(openat(cur.get(), comps[i].c_str(), O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
    if (!next) return at + ": " + std::strerror(errno);
    cur = std::move(next);
  }
  return "";
}

}  // namespace zjail
