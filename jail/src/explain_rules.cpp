// Explain mode, the pure parts (explain.hpp): which calls fail for lack of
// a capability, the directive behind a path the jail lacks, and the
// wording. Each capability rule follows the kernel's own check for that
// call, and answers only where the outcome is certain.
#include <linux/capability.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <cstdlib>
#include <sstream>

#include "jail_view.hpp"
#include "zjail/caps.hpp"
#include "zjail/explain.hpp"

namespace zjail {
namespace {

constexpr uint32_t kNoId = UINT32_MAX;  // (uid_t)-1: "leave it"

bool has(uint64_t effective, int cap) { return (effective >> cap) & 1; }

std::string upper(std::string s) {
  for (char& c : s) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return s;
}

bool one_of(uint32_t id, std::initializer_list<std::optional<uint32_t>> own) {
  for (const auto& o : own)
    if (o && *o == id) return true;
  return false;
}

// The set*id calls: which of the caller's ids each argument may take
// without the capability (kernel/sys.c).
std::optional<CapNeed> set_ids(const CapFacts& f, bool gid, int nargs) {
  const auto& map = gid ? f.gid_map : f.uid_map;
  auto r = id_inside(gid ? f.rgid : f.ruid, map), e = id_inside(gid ? f.egid : f.euid, map),
       s = id_inside(gid ? f.sgid : f.suid, map);
  bool fails = false;
  for (int i = 0; i < nargs; ++i) {
    auto id = static_cast<uint32_t>(f.args[i]);
    if (id == kNoId) {
      if (nargs == 1) return std::nullopt;  // setuid(-1): EINVAL
      continue;
    }
    if (!id_mapped(id, map)) return std::nullopt;  // EINVAL, whatever the capabilities
    bool ok = nargs == 1   ? one_of(id, {r, s})                       // setuid: the real or saved id
              : nargs == 2 ? (i == 0 ? one_of(id, {r, e}) : one_of(id, {r, e, s}))  // setreuid
                           : one_of(id, {r, e, s});                   // setresuid
    fails = fails || !ok;
  }
  if (!fails) return std::nullopt;
  int cap = gid ? CAP_SETGID : CAP_SETUID;
  if (has(f.effective, cap)) return std::nullopt;
  return CapNeed{cap, EPERM};
}

std::optional<CapNeed> need(const CapFacts& f, int cap, int err) {
  if (has(f.effective, cap)) return std::nullopt;
  return CapNeed{cap, err};
}

// "file:line, file:line" of a list directive's lines.
std::string lines_of(const NameList& list) {
  std::vector<std::string> out;
  auto add = [&](const Origin& o) {
    if (o.file.empty()) return;
    std::string s = o.str();
    if (std::find(out.begin(), out.end(), s) == out.end()) out.push_back(s);
  };
  for (const auto& i : list.names) add(i.origin);
  for (const auto& i : list.removed) add(i.origin);
  std::string s;
  for (const auto& o : out) s += (s.empty() ? "" : ", ") + o;
  return s;
}

// "file:line: InaccessiblePaths=/x" (plan_paths.cpp's origins) ->
// {"InaccessiblePaths=/x", "file:line"}; a bare origin names no directive.
std::pair<std::string, std::string> split_origin(const std::string& origin) {
  size_t p = origin.rfind(": ");
  if (p == std::string::npos) return {"", origin};
  return {origin.substr(p + 2), origin.substr(0, p)};
}

std::string directive_of(const std::string& what) { return what.substr(0, what.find('=') + 1); }

std::string with_where(const std::string& what, const std::string& where) {
  return where.empty() || where == "built-in" ? what : what + " (" + where + ")";
}

// The directive behind a tmpfs zjail mounts at `target` (jail-relative).
std::pair<std::string, std::string> tmpfs_directive(const Profile& p, const MountOp& m) {
  const std::string path = "/" + m.target;
  for (const auto& t : p.tmpfs) {
    std::string want = t.value.target;
    while (want.size() > 1 && want.back() == '/') want.pop_back();
    if (want == path) return {"TemporaryFileSystem=", with_where("TemporaryFileSystem=" + path, t.origin.str())};
  }
  const Sandbox& s = p.sandbox;
  if ((m.target == "tmp" || m.target == "var/tmp") && m.origin == "built-in")
    return {"PrivateTmp=", with_where("PrivateTmp=", s.private_tmp.is_set() ? s.private_tmp.origin.str() : "")};
  if ((m.target == "home" || m.target == "run/user") && s.protect_home.is_set())
    return {"ProtectHome=", with_where("ProtectHome=tmpfs", s.protect_home.origin.str())};
  return {"TemporaryFileSystem=", with_where("a tmpfs zjail mounts on " + path, m.origin)};
}

size_t depth(const std::string& abs) { return static_cast<size_t>(std::count(abs.begin(), abs.end(), '/')); }

bool may(const struct stat& st, uid_t uid, gid_t gid, const std::vector<gid_t>& groups, mode_t bits_owner) {
  if (uid == 0) return true;
  mode_t shift = st.st_uid == uid ? 0
                 : (st.st_gid == gid || std::find(groups.begin(), groups.end(), st.st_gid) != groups.end()) ? 3
                                                                                                            : 6;
  return (st.st_mode & (bits_owner >> shift)) != 0;
}

}  // namespace

std::vector<IdRange> parse_id_map(const std::string& text) {
  std::vector<IdRange> out;
  std::istringstream in(text);
  for (IdRange r; in >> r.inside >> r.outside >> r.count;) out.push_back(r);
  return out;
}

std::optional<uint32_t> id_inside(uint32_t outside, const std::vector<IdRange>& map) {
  for (const auto& r : map)
    if (outside >= r.outside && outside - r.outside < r.count) return r.inside + (outside - r.outside);
  return std::nullopt;
}

bool id_mapped(uint32_t inside, const std::vector<IdRange>& map) {
  for (const auto& r : map)
    if (inside >= r.inside && inside - r.inside < r.count) return true;
  return false;
}

std::optional<CapNeed> capability_needed(const CapFacts& f) {
  const std::string& c = f.call;
  auto arg = [&](int i) { return static_cast<uint32_t>(f.args[i]); };
  if (c == "bind") {
    // inet_bind(): a port below net.ipv4.ip_unprivileged_port_start needs
    // CAP_NET_BIND_SERVICE, checked before the port is looked at further.
    if ((f.family != AF_INET && f.family != AF_INET6) || f.socket_family != f.family) return std::nullopt;
    if (f.port <= 0 || f.port >= f.unprivileged_port_start) return std::nullopt;
    return need(f, CAP_NET_BIND_SERVICE, EACCES);
  }
  if (c == "setuid") return set_ids(f, false, 1);
  if (c == "setreuid") return set_ids(f, false, 2);
  if (c == "setresuid") return set_ids(f, false, 3);
  if (c == "setgid") return set_ids(f, true, 1);
  if (c == "setregid") return set_ids(f, true, 2);
  if (c == "setresgid") return set_ids(f, true, 3);
  if (c == "setgroups") return need(f, CAP_SETGID, EPERM);  // may_setgroups() comes first
  if (c == "chown" || c == "lchown" || c == "fchown" || c == "fchownat") {
    if (!f.file_known) return std::nullopt;
    int ui = c == "fchownat" ? 2 : 1;
    uint32_t u = arg(ui), g = arg(ui + 1);
    if ((u != kNoId && !id_mapped(u, f.uid_map)) || (g != kNoId && !id_mapped(g, f.gid_map))) return std::nullopt;
    auto fu = id_inside(f.file_uid, f.uid_map), fg = id_inside(f.file_gid, f.gid_map);
    if (!fu || !fg) return std::nullopt;  // the capability would not help either
    auto me = id_inside(f.fsuid, f.uid_map);
    bool owner = me && *me == *fu;
    bool in_group = false;
    for (gid_t h : f.groups)
      in_group = in_group || id_inside(h, f.gid_map) == std::optional<uint32_t>(g);
    in_group = in_group || id_inside(f.fsgid, f.gid_map) == std::optional<uint32_t>(g);
    bool bad_uid = u != kNoId && !(owner && u == *fu);
    bool bad_gid = g != kNoId && !(owner && (g == *fg || in_group));
    if (!bad_uid && !bad_gid) return std::nullopt;
    return need(f, CAP_CHOWN, EPERM);
  }
  if (c == "chmod" || c == "fchmod" || c == "fchmodat" || c == "fchmodat2") {
    if (!f.file_known) return std::nullopt;
    auto fu = id_inside(f.file_uid, f.uid_map), me = id_inside(f.fsuid, f.uid_map);
    if (!fu || (me && *me == *fu)) return std::nullopt;
    return need(f, CAP_FOWNER, EPERM);
  }
  if (c == "kill") {
    // kill_ok_by_cred(): the sender's real or effective uid must be the
    // target's real or saved one. SIGCONT within a session is always fine.
    auto sig = static_cast<int>(arg(1));
    if (!f.target_known || static_cast<int32_t>(arg(0)) <= 0 || sig == SIGCONT || sig < 0 || sig > 64)
      return std::nullopt;
    if (f.euid == f.target_suid || f.euid == f.target_ruid || f.ruid == f.target_suid || f.ruid == f.target_ruid)
      return std::nullopt;
    return need(f, CAP_KILL, EPERM);
  }
  if (c == "mknod" || c == "mknodat") {
    int mi = c == "mknodat" ? 2 : 1;
    auto mode = static_cast<mode_t>(f.args[mi]);
    bool device = S_ISCHR(mode) || S_ISBLK(mode);
    bool whiteout = S_ISCHR(mode) && f.args[mi + 1] == 0;  // overlayfs' whiteout: anyone may
    if (!device || whiteout || !f.path_ok) return std::nullopt;
    return need(f, CAP_MKNOD, EPERM);
  }
  if (c == "chroot") return f.path_ok ? need(f, CAP_SYS_CHROOT, EPERM) : std::nullopt;
  if (c == "socket") {
    int family = static_cast<int>(arg(0)), type = static_cast<int>(arg(1)) & 0xf;
    if (family == AF_PACKET) return need(f, CAP_NET_RAW, EPERM);  // packet_create() checks first
    // inet_create(): raw sockets with a protocol (0 is EPROTONOSUPPORT).
    if ((family == AF_INET || family == AF_INET6) && type == SOCK_RAW && arg(2) != 0)
      return need(f, CAP_NET_RAW, EPERM);
    return std::nullopt;
  }
  if (c == "setrlimit" || c == "prlimit64") {
    if (!f.limit_known || f.want_soft > f.want_hard || f.want_hard <= f.hard_now) return std::nullopt;
    return need(f, CAP_SYS_RESOURCE, EPERM);
  }
  return std::nullopt;
}

std::string capability_text(const CapNeed& n, const Plan& plan, const Profile& profile, int port) {
  const std::string cap = upper(capability_name(n.cap));
  const uint64_t bit = 1ULL << n.cap;
  std::string text = "needs " + cap + ", which ";
  if (!(plan.bounding & bit)) {
    std::string lines = lines_of(profile.capability_bounding_set);
    // An empty list (zjail's default, or an empty assignment) has no line.
    text += lines.empty() ? "CapabilityBoundingSet= does not keep (the jail keeps no capabilities)"
                          : "CapabilityBoundingSet= (" + lines + ") does not keep";
  } else if (!(plan.ambient & bit)) {
    std::string lines = lines_of(profile.ambient_capabilities);
    text += "AmbientCapabilities=" + (lines.empty() ? "" : " (" + lines + ")") +
            " does not grant (CapabilityBoundingSet= keeps it)";
  } else {
    text += "the process no longer has: AmbientCapabilities= granted it, and a change of user or capset() dropped it";
  }
  if (n.cap == CAP_NET_BIND_SERVICE && port > 0)
    text += "; or use ListenStream=" + std::to_string(port) +
            " (zjail binds it and passes the socket; with ListenViaBind=yes, to the daemon's own bind())";
  if (n.cap == CAP_SETUID || n.cap == CAP_SETGID) text += "; or start it as that user (User=, Group=)";
  return text;
}

bool optional_system_file(const std::string& abs) {
  for (const char* f : {"/etc/ld.so.preload", "/etc/localtime", "/etc/nsswitch.conf", "/etc/locale.alias",
                        "/usr/share/locale/locale.alias", "/etc/gai.conf", "/etc/host.conf"})
    if (abs == f) return true;
  return false;
}

bool zjail_own_tree(const std::string& abs) {
  for (const char* t : {"/proc", "/sys", "/dev"}) {
    std::string_view v(t);
    if (abs == v || (abs.starts_with(v) && abs[v.size()] == '/')) return true;
  }
  return false;
}

std::optional<PathWhy> path_why(const Plan& plan, const Profile& profile, const std::string& abs, bool directory,
                                bool parent_in_jail, bool write, bool inaccessible_only) {
  const std::string rel = abs.size() > 1 ? abs.substr(1) : "";
  JailNode n = node_at(plan, rel);
  const MountOp* m = n.mount;
  PathWhy why;
  if (m && (m->kind == MountOp::Kind::Inaccessible || m->kind == MountOp::Kind::Mask)) {
    auto [what, where] = split_origin(m->origin);
    why.hidden = true;
    why.directive = what.empty() ? "InaccessiblePaths=" : directive_of(what);
    why.text = "hidden by " + with_where(what.empty() ? "zjail" : what, where);
    return why;
  }
  if (inaccessible_only) return std::nullopt;
  // What a bind would add: the file's directory, unless that is a
  // top-level one (/etc) or already in the jail; then the path itself.
  std::string parent = abs.substr(0, std::max<size_t>(abs.rfind('/'), 1));
  bool whole_dir = !directory && !parent_in_jail && depth(parent) >= 2;
  std::string bind = (write ? "BindPaths=" : "BindReadOnlyPaths=");
  // `abs` is the payload's: escaped (shown()), so that a name it chose on
  // the host (through a writable bind) cannot break the line in two or
  // send the terminal escape sequences.
  std::string add = "add " + bind + shown(whole_dir ? parent : abs) + (whole_dir ? " (or the file)" : "");
  why.directive = bind;
  if (!m) {
    if (plan.root_directory == "/") return std::nullopt;  // the host's root: not a missing bind
    why.text = plan.root_directory.empty()
                   ? "not in the jail, but on the host: " + add
                   : "not in RootDirectory=" + plan.root_directory + ", but on the host: " + add;
    return why;
  }
  switch (m->kind) {
    case MountOp::Kind::Tmpfs: {
      auto [directive, what] = tmpfs_directive(profile, *m);
      why.hidden = true;
      why.directive = directive;
      why.text = "hidden by " + what + ", which shows an empty directory there; " + add + " if the jail should see it";
      return why;
    }
    case MountOp::Kind::Bind: {
      const std::string& src = m->resolved_source.empty() ? m->source : m->resolved_source;
      const std::string at = "/" + m->target;
      std::string where = m->origin == "built-in" ? "" : " (" + m->origin + ")";
      why.directive = m->attr & MOUNT_ATTR_RDONLY ? "BindReadOnlyPaths=" : "BindPaths=";
      if (src != at)
        why.text = "not in the jail: " + at + " is bound from " + src + where + ", which lacks it; the host has it at " + shown(abs);
      else
        why.text = "not in the jail's bind of " + at + where +
                   ", though the host has it now (a mount beneath it the bind does not carry, or made after the start)";
      return why;
    }
    case MountOp::Kind::Proc:
    case MountOp::Kind::Devpts:
    case MountOp::Kind::Cgroup2:
    case MountOp::Kind::Mask:
    case MountOp::Kind::Inaccessible:
    case MountOp::Kind::Attr:
    case MountOp::Kind::MountPoint:
    case MountOp::Kind::Symlink:
    case MountOp::Kind::Files:
    case MountOp::Kind::JailBind:
      break;  // zjail's own file systems (/proc, credentials, ...): not binds
  }
  return std::nullopt;
}

bool host_readable(const std::string& abs, uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                   struct stat* found) {
  // Walked a name at a time, as the kernel would for the user: nothing in
  // a directory it may not search is looked at (zjail, as root, could), so
  // neither the answer nor the time it takes tells the payload what lies
  // beyond. Symlinks are read as text (readlink), never followed by the
  // kernel: /proc's magic links lead nowhere special.
  std::vector<std::string> todo;  // the names still to walk, last first
  auto push = [&todo](const std::string& path) {
    std::vector<std::string> parts;
    std::istringstream in(path);
    for (std::string c; std::getline(in, c, '/');)
      if (!c.empty() && c != ".") parts.push_back(c);
    todo.insert(todo.end(), parts.rbegin(), parts.rend());
  };
  push(abs);
  struct stat st{};
  if (lstat("/", &st) != 0 || !may(st, uid, gid, groups, S_IXUSR)) return false;
  std::string dir;  // searchable ("" is "/")
  for (int links = 0; !todo.empty();) {
    std::string name = todo.back();
    todo.pop_back();
    if (name == "..") {
      dir = dir.substr(0, dir.rfind('/'));
      continue;
    }
    std::string next = dir + "/" + name;
    if (zjail_own_tree(next) || lstat(next.c_str(), &st) != 0) return false;
    if (S_ISLNK(st.st_mode)) {
      char buf[PATH_MAX];
      ssize_t n = readlink(next.c_str(), buf, sizeof buf);
      if (n <= 0 || static_cast<size_t>(n) >= sizeof buf || ++links > 40) return false;
      std::string target(buf, static_cast<size_t>(n));
      if (target[0] == '/') dir.clear();
      push(target);
      continue;
    }
    bool last = todo.empty();
    mode_t bits = !last || S_ISDIR(st.st_mode) ? S_IXUSR : S_IRUSR;
    if ((!last && !S_ISDIR(st.st_mode)) || !may(st, uid, gid, groups, bits)) return false;
    dir = next;
  }
  // Where the walk ended ("..", a symlink's target): what it names.
  if (lstat(dir.empty() ? "/" : dir.c_str(), &st) != 0) return false;
  if (found) *found = st;
  return true;
}

std::string Explanation::line() const {
  if (repeats > 0)
    return "explain: " + std::to_string(repeats) + " more finding" + (repeats == 1 ? "" : "s") +
           " not shown (each path and call is shown once, at most " + std::to_string(kExplanationsShown) + ")";
  // "... (nginx): not in the jail", but "... (nginx) will fail (EACCES): ...".
  return "explain: " + call + " in pid " + (pid > 0 ? std::to_string(pid) : std::string("?")) + " (" + comm + ")" +
         (text.starts_with("will ") ? " " : ": ") + text;
}

}  // namespace zjail
