// The jail's mount table: the admin's binds and tmpfs mounts, plus the
// private /tmp, /proc and /dev (and /sys, /run) that FsModel asks for.
// Ordered so that a parent is always mounted before anything beneath it.
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>

#include "plan_internal.hpp"
#include "zjail/trust.hpp"

namespace zjail {
namespace {

using Kind = MountOp::Kind;

constexpr uint64_t kNoSuidDev = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;

// Normalises an absolute path to the relative form used under the new root,
// refusing anything that could climb out of it.
Result<std::string> jail_relative(const std::string& path, const Origin& origin, const char* what) {
  auto bad = [&](const char* why) {
    return make_error(Step::Plan, 0, origin.str() + ": " + what + " '" + path + "' " + why);
  };
  if (path.empty() || path[0] != '/') return bad("is not an absolute path");
  std::string out;
  size_t i = 0;
  while (i < path.size()) {
    while (i < path.size() && path[i] == '/') ++i;
    size_t j = path.find('/', i);
    if (j == std::string::npos) j = path.size();
    std::string comp = path.substr(i, j - i);
    if (comp == "..") return bad("contains '..'");
    if (!comp.empty() && comp != ".") {
      if (!out.empty()) out += '/';
      out += comp;
    }
    i = j;
  }
  return out;
}

size_t depth(const std::string& rel) {
  return rel.empty() ? 0 : 1 + std::count(rel.begin(), rel.end(), '/');
}

bool is_under(const std::string& rel, const char* top) {
  size_t n = std::char_traits<char>::length(top);
  return rel.compare(0, n, top) == 0 && (rel.size() == n || rel[n] == '/');
}

std::vector<std::pair<std::string, std::string>> split_options(const std::string& opts) {
  std::vector<std::pair<std::string, std::string>> out;
  size_t i = 0;
  while (i <= opts.size() && !opts.empty()) {
    size_t j = opts.find(',', i);
    if (j == std::string::npos) j = opts.size();
    std::string kv = opts.substr(i, j - i);
    if (!kv.empty()) {
      size_t eq = kv.find('=');
      if (eq == std::string::npos) out.emplace_back(kv, "");
      else out.emplace_back(kv.substr(0, eq), kv.substr(eq + 1));
    }
    i = j + 1;
  }
  return out;
}

MountOp op(Kind kind, std::string source, std::string target, uint64_t attr) {
  MountOp m;
  m.kind = kind;
  m.source = std::move(source);
  m.target = std::move(target);
  m.attr = attr;
  m.origin = "built-in";
  return m;
}

void add_proc(const Profile& p, std::vector<MountOp>& out) {
  MountOp proc = op(Kind::Proc, "", "proc", kNoSuidDev | MOUNT_ATTR_NOEXEC);
  ProtectProc protect = p.protect_proc.value.value_or(ProtectProc::Invisible);
  switch (protect) {
    case ProtectProc::Default: break;
    case ProtectProc::Invisible: proc.options.emplace_back("hidepid", "invisible"); break;
    case ProtectProc::Noaccess: proc.options.emplace_back("hidepid", "noaccess"); break;
    case ProtectProc::Ptraceable: proc.options.emplace_back("hidepid", "ptraceable"); break;
  }
  if (p.proc_subset.value.value_or(ProcSubset::All) == ProcSubset::Pid)
    proc.options.emplace_back("subset", "pid");
  out.push_back(std::move(proc));

  // Kernel knobs stay readable where programs expect them, but never writable;
  // the files that leak or poke the host kernel are masked outright.
  for (const char* ro : {"proc/sys", "proc/bus", "proc/fs", "proc/irq"}) {
    MountOp m = op(Kind::Attr, "", ro, MOUNT_ATTR_RDONLY | kNoSuidDev | MOUNT_ATTR_NOEXEC);
    m.optional = true;
    out.push_back(std::move(m));
  }
  for (const char* masked : {"proc/sysrq-trigger", "proc/kcore", "proc/kallsyms", "proc/keys",
                             "proc/timer_list", "proc/latency_stats", "proc/sched_debug",
                             "proc/acpi", "proc/scsi"}) {
    MountOp m = op(Kind::Mask, "", masked, MOUNT_ATTR_RDONLY | kNoSuidDev | MOUNT_ATTR_NOEXEC);
    m.optional = true;
    out.push_back(std::move(m));
  }
  // What the host booted with (and may pass secrets in) and who on the host
  // holds keys: hidden unless the profile asks for the host's /proc as is.
  if (protect == ProtectProc::Default) return;
  for (const char* masked : {"proc/cmdline", "proc/bootconfig", "proc/key-users", "proc/config.gz", "proc/consoles"}) {
    MountOp m = op(Kind::Mask, "", masked, MOUNT_ATTR_RDONLY | kNoSuidDev | MOUNT_ATTR_NOEXEC);
    m.optional = true;
    out.push_back(std::move(m));
  }
}

// A mount that only changes the flags of the mount at `target`, after
// everything beneath it is in place (sort_mounts puts it last).
MountOp seal(std::string target, uint64_t attr, const std::string& origin) {
  MountOp m = op(Kind::Attr, "", std::move(target), attr);
  m.recursive = false;
  m.origin = origin;
  return m;
}

void add_dev(const FsModel& model, std::vector<MountOp>& out) {
  if (model.dev == FsModel::Dev::Host) {
    // MountAPIVFS=yes without PrivateDevices=, as systemd does it.
    MountOp dev = op(Kind::Bind, "/dev", "dev", MOUNT_ATTR_NOSUID);
    out.push_back(std::move(dev));
    return;
  }
  MountOp dev = op(Kind::Tmpfs, "", "dev", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC);
  // Each node DeviceAllow= binds needs an inode for its mount point: a
  // unit's `DeviceAllow=char-tty` alone names over 60. Only root writes
  // here, so the limit guards nothing but a runaway plan.
  dev.options = {{"mode", "0755"}, {"size", "64k"}, {"nr_inodes", "4096"}};
  out.push_back(std::move(dev));
  if (model.dev_read_only) out.push_back(seal("dev", MOUNT_ATTR_RDONLY, "built-in"));
  if (model.dev_pseudo) {
    // Device nodes are binds of the host's: a user namespace cannot mknod.
    // On a read-only /dev they are read-only mounts too, as systemd's nodes
    // on its read-only tmpfs are: that stops no write to a device node, but
    // the node's mount says what systemd's says.
    const uint64_t node_attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NOEXEC | (model.dev_read_only ? MOUNT_ATTR_RDONLY : 0);
    for (const char* node : {"null", "zero", "full", "random", "urandom", "tty"}) {
      MountOp m = op(Kind::Bind, std::string("/dev/") + node, std::string("dev/") + node, node_attr);
      m.recursive = false;
      out.push_back(std::move(m));
    }
    MountOp pts = op(Kind::Devpts, "", "dev/pts", node_attr);
    pts.options = {{"newinstance", ""}, {"ptmxmode", "0666"}, {"mode", "0620"}};
    out.push_back(std::move(pts));
    out.push_back(op(Kind::Symlink, "pts/ptmx", "dev/ptmx", 0));
  }
  MountOp shm = op(Kind::Tmpfs, "", "dev/shm", kNoSuidDev | MOUNT_ATTR_NOEXEC);
  shm.options = {{"mode", "1777"}};
  out.push_back(std::move(shm));
  if (model.dev_log) out.push_back(op(Kind::Symlink, "/run/systemd/journal/dev-log", "dev/log", 0));
  out.push_back(op(Kind::Symlink, "/proc/self/fd", "dev/fd", 0));
  out.push_back(op(Kind::Symlink, "/proc/self/fd/0", "dev/stdin", 0));
  out.push_back(op(Kind::Symlink, "/proc/self/fd/1", "dev/stdout", 0));
  out.push_back(op(Kind::Symlink, "/proc/self/fd/2", "dev/stderr", 0));
}

// `path` with its symlinks resolved, like realpath(3), except that a symlink
// owned by anyone but root or the invoker is an error: whoever can plant one
// in a writable part of a source path could otherwise point the bind at any
// host directory (pam_namespace's CVE-2025-6020 is this mistake). So is a
// symlink beneath one of `writable` (the jail's own writable binds), whoever
// owns it: the payload writes there, and as the invoker's uid when zjail is
// not root. Whatever does not exist is left as it is, for the child to
// report (or skip, when the bind is optional).
// `followed` (when given) counts the symlinks followed.
Result<std::string> resolve_trusted(const std::string& path, uid_t invoker,
                                    const std::vector<std::string>& writable = {}, int* followed = nullptr) {
  PathWalk walk(path);
  for (std::string next; walk.next(next);) {
    struct stat st{};
    if (lstat(next.c_str(), &st) != 0) {
      for (const auto& rest : walk.rest()) next += "/" + rest;
      return next;
    }
    if (!S_ISLNK(st.st_mode)) {
      walk.enter(std::move(next));
      continue;
    }
    if (st.st_uid != 0 && st.st_uid != invoker)
      return make_error(Step::OpenSources, ELOOP, "symlink " + next + " belongs to uid " + std::to_string(st.st_uid) +
                                                      ", not root: not followed");
    for (const auto& w : writable)
      if (next.size() > w.size() && next.starts_with(w) && (w == "/" || next[w.size()] == '/'))
        return make_error(Step::OpenSources, ELOOP,
                          "symlink " + next + " lies in " + w + ", which the jail may write: not followed");
    std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
    ssize_t n = readlink(next.c_str(), target.data(), target.size());
    if (n < 0 || static_cast<size_t>(n) >= target.size()) return make_error(Step::OpenSources, errno ? errno : EIO, next);
    target.resize(static_cast<size_t>(n));
    if (!walk.follow(target)) return make_error(Step::OpenSources, ELOOP, path);
    if (followed) ++*followed;
  }
  return walk.resolved();
}

}  // namespace

Status resolve_sources(std::vector<MountOp>& mounts, std::string& root_directory, uid_t invoker) {
  // The writable binds' sources first: no other source may pass a symlink
  // beneath one of them.
  // A source resolved there through no symlink is resolved again the same
  // way (no symlink to judge against the others): its result is kept.
  std::vector<std::string> writable;
  std::map<std::string, std::string> direct;
  for (const auto& m : mounts) {
    if (m.kind != Kind::Bind || !m.resolved_source.empty() || (m.attr & MOUNT_ATTR_RDONLY)) continue;
    int followed = 0;
    if (auto r = resolve_trusted(m.source, invoker, {}, &followed)) {
      writable.push_back(*r);
      if (followed == 0) direct.emplace(m.source, *r);
    }
  }
  for (auto& m : mounts) {
    if (m.kind != Kind::Bind || !m.resolved_source.empty()) continue;
    if (auto it = direct.find(m.source); it != direct.end()) {
      m.resolved_source = it->second;
      continue;
    }
    std::vector<std::string> others;
    for (const auto& w : writable)
      if (w != m.source) others.push_back(w);
    auto r = resolve_trusted(m.source, invoker, others);
    if (!r)
      return std::move(r).error().wrap(Step::OpenSources,
                                       "mount " + m.source + " -> /" + m.target + " (" + m.origin + ")");
    m.resolved_source = std::move(r).value();
  }
  if (!root_directory.empty() && root_directory != "/") {
    auto r = resolve_trusted(root_directory, invoker);
    if (!r) return std::move(r).error().wrap(Step::OpenSources, "RootDirectory=" + root_directory);
    root_directory = std::move(r).value();
  }
  return {};
}

Result<std::vector<MountOp>> plan_mounts(const Profile& p, const FsModel& model) {
  std::vector<MountOp> out;
  // A bind or tmpfs of the profile's own on these takes the place of the
  // private one, as in systemd.
  bool user_tmp = false, user_var_tmp = false;
  auto note = [&](const std::string& target) {
    user_tmp = user_tmp || target == "tmp";
    user_var_tmp = user_var_tmp || target == "var/tmp";
  };

  for (const auto& item : p.binds) {
    const Bind& b = item.value;
    ZJAIL_TRY_ASSIGN(auto target, jail_relative(b.target.empty() ? b.source : b.target, item.origin, "bind target"));
    if (b.source.empty() || b.source[0] != '/')
      return make_error(Step::Plan, 0, item.origin.str() + ": bind source '" + b.source +
                                           "' is not an absolute path");
    if (target.empty() || is_under(target, "proc") || target == "dev")
      return make_error(Step::Plan, 0, item.origin.str() + ": cannot bind over '/" + target +
                                           "': zjail builds it itself");
    MountOp m;
    m.kind = Kind::Bind;
    m.source = b.source;
    m.target = std::move(target);
    m.attr = kNoSuidDev | (b.read_only ? MOUNT_ATTR_RDONLY : 0);
    m.recursive = b.recursive;
    m.optional = b.optional;
    m.origin = item.origin.str();
    note(m.target);
    out.push_back(std::move(m));
  }
  for (const auto& item : p.tmpfs) {
    ZJAIL_TRY_ASSIGN(auto target, jail_relative(item.value.target, item.origin, "TemporaryFileSystem="));
    if (target.empty() || is_under(target, "proc") || target == "dev")
      return make_error(Step::Plan, 0, item.origin.str() + ": cannot mount a tmpfs over '/" +
                                           target + "': zjail builds it itself");
    MountOp m;
    m.kind = Kind::Tmpfs;
    m.target = std::move(target);
    m.attr = kNoSuidDev;
    bool read_only = false;
    for (auto& [k, v] : split_options(item.value.options)) {
      // Access modes are mount attributes here; everything else goes to tmpfs.
      if (k == "ro") read_only = true;
      else if (k == "rw") read_only = false;
      else if (k == "nosuid" || k == "nodev") continue;
      else if (k == "noexec") m.attr |= MOUNT_ATTR_NOEXEC;
      else m.options.emplace_back(k, v);
    }
    // systemd.exec(5): mode=0755 unless the options say otherwise (the
    // kernel's own default is 1777).
    if (std::none_of(m.options.begin(), m.options.end(), [](const auto& o) { return o.first == "mode"; }))
      m.options.insert(m.options.begin(), {"mode", "0755"});
    m.origin = item.origin.str();
    note(m.target);
    // Read-only once what is mounted beneath it has its mount point in it
    // (systemd.exec's TemporaryFileSystem=/var:ro with BindReadOnlyPaths=/var/lib/x).
    if (read_only) out.push_back(seal(m.target, MOUNT_ATTR_RDONLY, m.origin));
    out.push_back(std::move(m));
  }
  if (model.private_tmp) {
    // /var/tmp only where the jail has a /var: the host's on a root from
    // the host, or one the profile mounts (a tmpfs gets one made).
    auto var = std::find_if(out.begin(), out.end(), [](const MountOp& m) { return m.target == "var"; });
    bool var_tmp = !user_var_tmp && (model.root != FsModel::Root::Empty || var != out.end());
    bool var_fresh = var != out.end() && var->kind == Kind::Tmpfs;
    for (const char* dir : {"tmp", "var/tmp"}) {
      if (dir == std::string("tmp") ? user_tmp : !var_tmp) continue;
      MountOp tmp = op(Kind::Tmpfs, "", dir, kNoSuidDev);
      tmp.options = {{"mode", "1777"}};
      tmp.optional = dir != std::string("tmp") && !var_fresh;
      out.push_back(std::move(tmp));
    }
  }
  if (model.proc) add_proc(p, out);
  // The host's /dev is there already on the host's root.
  if (model.dev == FsModel::Dev::Zjail || (model.dev == FsModel::Dev::Host && model.root != FsModel::Root::Host))
    add_dev(model, out);
  if (model.private_shm) {
    MountOp shm = op(Kind::Tmpfs, "", "dev/shm", kNoSuidDev | MOUNT_ATTR_NOEXEC);
    shm.options = {{"mode", "1777"}};
    out.push_back(std::move(shm));
  }
  if (model.sys) {
    MountOp sys = op(Kind::Bind, "/sys", "sys", kNoSuidDev | MOUNT_ATTR_NOEXEC);
    out.push_back(std::move(sys));
  }
  if (model.run) {
    MountOp run = op(Kind::Tmpfs, "", "run", kNoSuidDev);
    run.options = {{"mode", "0755"}};
    out.push_back(std::move(run));
  }

  sort_mounts(out);
  return out;
}

std::string describe_mount(const MountOp& m) {
  std::string target = "/" + m.target;
  std::string what;
  auto flags = [](uint64_t a) {
    std::string s;
    for (auto [bit, name] : {std::pair{MOUNT_ATTR_RDONLY, "read-only"}, {MOUNT_ATTR_NOEXEC, "noexec"},
                             {MOUNT_ATTR_NOSUID, "nosuid"}, {MOUNT_ATTR_NODEV, "nodev"}})
      if (a & bit) s += (s.empty() ? "" : ",") + std::string(name);
    return s;
  };
  switch (m.kind) {
    case MountOp::Kind::Bind: what = "mount " + m.source + " -> " + target; break;
    case MountOp::Kind::Tmpfs: what = "mount tmpfs -> " + target; break;
    case MountOp::Kind::Proc: what = "mount proc -> " + target; break;
    case MountOp::Kind::Devpts: what = "mount devpts -> " + target; break;
    case MountOp::Kind::Cgroup2: what = "mount cgroup2 -> " + target; break;
    case MountOp::Kind::Mask: what = "mask " + target; break;
    case MountOp::Kind::Inaccessible: what = "make inaccessible " + target; break;
    case MountOp::Kind::Attr:
      what = "remount " + target + (m.recursive ? "" : " (top mount only)");
      if (m.attr & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC)) what += " " + flags(m.attr & (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOEXEC));
      if (m.attr_clear) what += " without " + flags(m.attr_clear);
      break;
    case MountOp::Kind::MountPoint: what = "make mount point " + target; break;
    case MountOp::Kind::Symlink: what = "symlink " + target + " -> " + m.source; break;
    case MountOp::Kind::Files: what = "mount ramfs of " + std::to_string(m.files.size()) + " files -> " + target; break;
    case MountOp::Kind::JailBind: what = "mount /" + m.source + " -> " + target; break;
  }
  if (m.origin != "built-in") what += " (" + m.origin + ")";
  return what;
}

namespace {

bool holds_content(Kind k) {
  return k == Kind::Bind || k == Kind::Tmpfs || k == Kind::Proc || k == Kind::Devpts || k == Kind::Cgroup2 ||
         k == Kind::Mask || k == Kind::Inaccessible || k == Kind::Files || k == Kind::JailBind;
}

// Whether the op makes its mount point when it is missing.
bool makes_mount_point(const MountOp& m) {
  switch (m.kind) {
    case Kind::Bind:
    case Kind::Proc:
    case Kind::Devpts:
    case Kind::Cgroup2:
    case Kind::Files:
    case Kind::Symlink: return true;
    case Kind::JailBind: return false;  // a file the jail shows already (/etc/passwd)
    case Kind::Tmpfs: return !m.optional;
    case Kind::Mask:
    case Kind::Inaccessible:
    case Kind::Attr:
    case Kind::MountPoint: return false;
  }
  return false;
}

bool strictly_under(const std::string& rel, const std::string& dir) {
  return rel != dir && (dir.empty() || (rel.size() > dir.size() && rel.compare(0, dir.size(), dir) == 0 &&
                                        rel[dir.size()] == '/'));
}

}  // namespace

void sort_mounts(std::vector<MountOp>& mounts) {
  std::erase_if(mounts, [](const MountOp& m) { return m.kind == Kind::MountPoint; });
  // The order, stable: a JailBind last (its source is another op's mount,
  // and it is a file with nothing beneath it), a non-recursive Attr late,
  // and otherwise by depth. The keys are computed once and an index sorted,
  // so that each op (a dozen strings) is moved once, at the end: a plan is
  // sorted several times on every launch.
  const size_t n = mounts.size();
  std::vector<std::pair<size_t, size_t>> keyed(n);  // key, index in `mounts`
  for (size_t i = 0; i < n; ++i) {
    const MountOp& m = mounts[i];
    const size_t last = m.kind == Kind::JailBind ? 1 : 0;
    const size_t late = m.kind == Kind::Attr && !m.recursive ? 1 : 0;
    keyed[i] = {(last << 41) | (late << 40) | depth(m.target), i};
  }
  std::sort(keyed.begin(), keyed.end());  // the index breaks ties: stable
  auto at = [&](size_t k) -> MountOp& { return mounts[keyed[k].second]; };
  // A recursive read-only Attr comes before the mounts beneath it (those
  // keep their own flags), so the mount points it would otherwise leave
  // uncreatable are made first: where one lies in what the Attr covers, it
  // is made (a symlink: moved) right before the Attr.
  std::vector<size_t> before(n, SIZE_MAX);  // op -> the Attr it must precede
  for (size_t x = 0; x < n; ++x) {
    if (!makes_mount_point(at(x))) continue;
    size_t from = 0;  // just after the last mount that holds x's mount point
    for (size_t l = 0; l < x; ++l)
      if (holds_content(at(l).kind) && strictly_under(at(x).target, at(l).target)) from = l + 1;
    for (size_t a = from; a < x; ++a) {
      const MountOp& attr = at(a);
      if (attr.kind == Kind::Attr && attr.recursive && (attr.attr & MOUNT_ATTR_RDONLY) &&
          strictly_under(at(x).target, attr.target)) {
        before[x] = a;
        break;
      }
    }
  }
  std::vector<MountOp> out;
  std::vector<size_t> index(n);  // sorted -> new index of every op kept in place
  std::vector<size_t> points;    // new indices of the MountPoint ops, whose ref is sorted
  out.reserve(n * 2);
  for (size_t i = 0; i < n; ++i) {
    for (size_t x = i + 1; x < n; ++x) {
      if (before[x] != i) continue;
      if (at(x).kind == Kind::Symlink) {
        index[x] = out.size();
        out.push_back(at(x));
        continue;
      }
      MountOp m;
      m.kind = Kind::MountPoint;
      m.target = at(x).target;
      m.origin = at(x).origin;
      m.ref = static_cast<int>(x);
      points.push_back(out.size());
      out.push_back(std::move(m));
    }
    if (before[i] != SIZE_MAX && at(i).kind == Kind::Symlink) continue;  // moved
    index[i] = out.size();
    out.push_back(std::move(at(i)));
  }
  for (size_t p : points) out[p].ref = static_cast<int>(index[static_cast<size_t>(out[p].ref)]);
  mounts = std::move(out);
}

}  // namespace zjail
