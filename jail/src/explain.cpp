// Explain mode's watch section and its supervisor side (explain.hpp). Each
// watched call the filters allow is looked at while its caller waits, and
// then let go on (SECCOMP_USER_NOTIF_FLAG_CONTINUE): the kernel runs it as
// if nothing had asked, so explain mode never changes what a call returns.
// What is read of the caller is used only if SECCOMP_IOCTL_NOTIF_ID_VALID
// still holds afterwards (a pid reused by another process lends nothing);
// the caller changing its memory after the read (TOCTOU) only misleads the
// explanation of its own call.
#include <fcntl.h>
#include <linux/capability.h>
#include <seccomp.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <memory>

#include "learn_args.hpp"
#include "task_view.hpp"
#include "watch_filter.hpp"
#include "zjail/explain.hpp"
#include "zjail/learn.hpp"

namespace zjail {
namespace {

using learn::TaskCreds;
using learn::TaskFiles;

// The calls explain mode looks at: those that look a path up (a missing
// bind shows as ENOENT from one of them), and those whose capability check
// capability_needed() can predict.
const std::vector<const char*> kPathCalls = {
    "open", "openat", "openat2", "creat", "execve", "execveat", "stat", "lstat", "newfstatat", "statx",
    "access", "faccessat", "faccessat2", "readlink", "readlinkat", "mkdir", "mkdirat", "chdir", "truncate",
    "inotify_add_watch", "statfs", "unlink", "unlinkat", "rmdir", "link", "linkat", "symlink", "symlinkat",
    "rename", "renameat", "renameat2", "utimensat"};
const std::vector<const char*> kCapabilityCalls = {
    "bind", "setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid", "setgroups", "chown", "lchown",
    "fchown", "fchownat", "chmod", "fchmod", "fchmodat", "fchmodat2", "kill", "mknod", "mknodat", "chroot",
    "socket", "setrlimit", "prlimit64"};

int as_int(uint64_t v) { return static_cast<int>(static_cast<int32_t>(v)); }

std::string parent_of(const std::string& abs) {
  size_t slash = abs.rfind('/');
  return slash == 0 || slash == std::string::npos ? "/" : abs.substr(0, slash);
}

// The last field of a "Key:\ta\tb" line of a /proc status file.
long last_field(const std::string& status, const char* key) {
  size_t p = status.find(std::string("\n") + key);
  if (p == std::string::npos) return -1;
  size_t end = status.find('\n', p + 1);
  std::string line = status.substr(p, end == std::string::npos ? std::string::npos : end - p);
  while (!line.empty() && (line.back() == ' ' || line.back() == '\t')) line.pop_back();
  size_t last = line.find_last_of(" \t");
  return last == std::string::npos ? -1 : std::atol(line.c_str() + last + 1);
}

// The uids of a "Uid:" line: real, effective, saved.
bool uids(const std::string& status, uid_t& real, uid_t& saved) {
  size_t p = status.find("\nUid:");
  if (p == std::string::npos) return false;
  unsigned long r = 0, e = 0, s = 0;
  if (std::sscanf(status.c_str() + p + 5, "%lu %lu %lu", &r, &e, &s) != 3) return false;
  real = static_cast<uid_t>(r);
  saved = static_cast<uid_t>(s);
  return true;
}

std::string shown_path(const std::string& abs) { return "\"" + shown(abs) + "\""; }

}  // namespace

Status plan_explain(Plan& plan) {
  std::vector<const char*> names = kPathCalls;
  names.insert(names.end(), kCapabilityCalls.begin(), kCapabilityCalls.end());
  // fstat() is newfstatat()/statx() with AT_EMPTY_PATH on an fd: nothing to
  // look up, and a hot call. Off the listener.
  std::vector<WatchArgRule> rules;
  for (auto [name, arg] : {std::pair{"newfstatat", 3u}, std::pair{"statx", 2u}})
    if (int nr = seccomp_syscall_resolve_name(name); nr >= 0) rules.push_back({nr, arg, AT_EMPTY_PATH, false});
  return add_watch_section(plan, call_numbers(names), rules, "explaining");
}

Explainer::Explainer(const Plan& plan, const Profile& profile, ExplainReporter report)
    : plan_(plan), profile_(profile), report_(std::move(report)) {}

bool Explainer::handle(int listener, const seccomp_notif& n) {
  // Denied by the filters (or the marker call): the denial explanations
  // answer it, exactly as the filters would.
  if (evaluate(plan_.seccomp, n.data).denied()) return false;
  inspect(listener, n);
  seccomp_notif_resp resp{};
  resp.id = n.id;
  resp.flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
  (void)ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);  // ENOENT: the caller is gone
  return true;
}

void Explainer::inspect(int listener, const seccomp_notif& n) {
  const auto tid = static_cast<pid_t>(n.pid);
  std::unique_ptr<char, decltype(&free)> cname(seccomp_syscall_resolve_num_arch(n.data.arch, n.data.nr), &free);
  if (!cname) return;
  const std::string name = cname.get();
  std::vector<Explanation> found;
  if (learn::path_call(name)) path_calls(tid, name, n.data, found);
  capability_calls(tid, name, n.data, found);
  if (found.empty()) return;
  TaskIds ids = task_ids(tid);
  std::string comm = task_comm(tid);
  if (ioctl(listener, SECCOMP_IOCTL_NOTIF_ID_VALID, &n.id) != 0) return;
  for (Explanation& e : found) {
    e.pid = ids.jail_pid;
    e.comm = shown(comm);
    // `e.name` carries the key until here: a path, or a capability and call.
    std::string key = std::move(e.name);
    e.name = name;
    if (shown_.count(key)) continue;
    if (shown_.size() >= kExplanationsShown) {
      ++suppressed_;
      continue;
    }
    shown_.insert(key);
    if (report_) report_(e);
  }
}

void Explainer::path_calls(pid_t tid, const std::string& name, const seccomp_data& d, std::vector<Explanation>& out) {
  const learn::PathCall* pc = learn::path_call(name);
  TaskFiles files(tid);
  std::optional<TaskCreds> creds;
  for (const learn::PathArg& a : pc->args) {
    if (a.path < 0 || d.args[a.path] == 0) continue;
    std::string raw = read_string(tid, d.args[a.path], 4096);
    if (raw.empty()) continue;  // AT_EMPTY_PATH: an fd, nothing is looked up
    int dirfd = a.dirfd < 0 ? AT_FDCWD : as_int(d.args[a.dirfd]);
    std::string abs = files.absolute(dirfd, raw);
    if (abs.empty() || zjail_own_tree(abs)) continue;
    unsigned access = a.access;
    if (pc->flags == learn::PathFlags::Open) access = learn::open_access(d.args[a.path + 1]);
    if (pc->flags == learn::PathFlags::OpenHow) {
      uint64_t flags = 0;
      if (read_memory(tid, d.args[2], &flags, sizeof flags)) access = learn::open_access(flags);
    }
    if (pc->flags == learn::PathFlags::AccessMode && (d.args[a.path + 1] & W_OK)) access |= learn::kWrite;
    bool is_dir = false;
    int err = files.lookup(abs, &is_dir);
    // What is made needs its directory; what is there already is opened.
    std::string subject = abs;
    if ((access & learn::kCreate) && err != 0) {
      subject = parent_of(abs);
      err = files.lookup(subject, &is_dir);
    }
    const bool missing = err == ENOENT || err == ENOTDIR;
    if (!missing && err != 0 && err != EACCES) continue;
    // There (or refused): only a node that hides it on purpose is news. The
    // plan says so without touching the host, as for most calls.
    if (!missing && !path_why(plan_, profile_, subject, false, true, false, true)) continue;
    // Probes for what the host lacks too (/etc/ld.so.preload, hwcaps
    // library directories, ...) are no miss: only what the host has, and
    // the jail's user could read there, is reported. Looked up as that
    // user would (host_readable()): zjail's own stat, as root, would take
    // longer where the host has a file, and the payload, timing its call,
    // would learn of files beyond any directory its user may search.
    struct stat host{};
    if (!creds) creds = learn::task_creds(tid);
    if (!host_readable(subject, creds->fsuid, creds->fsgid, creds->groups, &host)) continue;
    // A symlink in the jail that leads to what is missing: the target is
    // what to bind (/usr/share/locale/locale.alias -> /etc/locale.alias).
    const std::string via = subject;
    if (missing) subject = files.resolve(subject);
    if (subject != via && !host_readable(subject, creds->fsuid, creds->fsgid, creds->groups, &host)) continue;
    bool parent_in_jail = files.lookup(parent_of(subject)) == 0;
    bool write = (access & (learn::kWrite | learn::kCreate | learn::kRemove)) != 0;
    auto why = path_why(plan_, profile_, subject, S_ISDIR(host.st_mode), parent_in_jail, write, !missing);
    if (!why) continue;
    Explanation e;
    e.name = subject;  // the key (inspect())
    e.call = name + "(" + shown_path(abs) + ")";
    e.text = (subject == via ? "" : "its symlink leads to " + shown(subject) + ", which is ") + why->text;
    e.directive = why->directive;
    e.quiet = !why->hidden && optional_system_file(subject);
    out.push_back(std::move(e));
  }
}

void Explainer::capability_calls(pid_t tid, const std::string& name, const seccomp_data& d,
                                 std::vector<Explanation>& out) {
  bool watched = false;
  for (const char* c : kCapabilityCalls) watched = watched || name == c;
  if (!watched) return;
  CapFacts f;
  f.call = name;
  std::copy(std::begin(d.args), std::end(d.args), std::begin(f.args));
  TaskCreds c = learn::task_creds(tid);
  f.effective = c.cap_effective;
  f.ruid = c.ruid, f.euid = c.euid, f.suid = c.suid, f.fsuid = c.fsuid;
  f.rgid = c.rgid, f.egid = c.egid, f.sgid = c.sgid, f.fsgid = c.fsgid;
  f.groups = c.groups;
  const std::string proc = "/proc/" + std::to_string(tid);
  f.uid_map = parse_id_map(read_small(proc + "/uid_map"));
  f.gid_map = parse_id_map(read_small(proc + "/gid_map"));
  TaskIds ids = task_ids(tid);
  const pid_t tgid = ids.tgid > 0 ? ids.tgid : tid;
  TaskFiles files(tid);
  std::string call = name + "()";
  auto file_facts = [&](const std::string& abs, bool follow) {
    struct stat st{};
    bool read_only = true;
    // A read-only mount answers EROFS before any capability is checked.
    if (files.stat(abs, follow, st, &read_only) == 0 && !read_only) {
      f.file_known = true;
      f.file_uid = st.st_uid;
      f.file_gid = st.st_gid;
    }
  };
  auto path_arg = [&](int path, int dirfd) {
    std::string raw = d.args[path] ? read_string(tid, d.args[path], 4096) : "";
    return raw.empty() ? "" : files.absolute(dirfd < 0 ? AT_FDCWD : as_int(d.args[dirfd]), raw);
  };
  int port = 0;

  if (name == "bind") {
    learn::SocketAddress sa = learn::read_sockaddr(tid, d.args[1], d.args[2]);
    call = "bind(" + sa.text + ")";
    f.family = sa.family;
    f.port = sa.port;
    port = sa.port;
    f.socket_family = learn::socket_domain(tgid, as_int(d.args[0]));
    // The sysctl is the network namespace's own. The jail's own namespace
    // starts at the kernel's 1024, and only CAP_NET_ADMIN could lower it.
    struct stat mine{}, theirs{};
    bool same_net = ::stat("/proc/self/ns/net", &mine) == 0 && ::stat((proc + "/ns/net").c_str(), &theirs) == 0 &&
                    mine.st_ino == theirs.st_ino && mine.st_dev == theirs.st_dev;
    if (same_net) f.unprivileged_port_start = std::atoi(read_small("/proc/sys/net/ipv4/ip_unprivileged_port_start").c_str());
    else if (plan_.bounding & (1ULL << CAP_NET_ADMIN)) return;  // cannot tell
  } else if (name == "chown" || name == "lchown" || name == "fchownat" || name == "chmod" || name == "fchmodat" ||
             name == "fchmodat2") {
    bool at = name == "fchownat" || name.starts_with("fchmodat");
    std::string abs = at ? path_arg(1, 0) : path_arg(0, -1);
    if (abs.empty()) return;
    bool follow = name != "lchown" && !(name == "fchownat" && (d.args[4] & AT_SYMLINK_NOFOLLOW));
    file_facts(abs, follow);
    call = name + "(" + shown_path(abs) + ")";
  } else if (name == "fchown" || name == "fchmod") {
    std::string p = files.fd_path(as_int(d.args[0]));
    struct stat st{};
    struct statfs fs{};
    std::string fd = proc + "/fd/" + std::to_string(as_int(d.args[0]));
    if (::stat(fd.c_str(), &st) == 0 && ::statfs(fd.c_str(), &fs) == 0 && !(fs.f_flags & ST_RDONLY)) {
      f.file_known = true;
      f.file_uid = st.st_uid;
      f.file_gid = st.st_gid;
    }
    call = name + "(" + (p.empty() ? "fd " + std::to_string(as_int(d.args[0])) : shown_path(p)) + ")";
  } else if (name == "kill") {
    int pid = as_int(d.args[0]);
    if (pid <= 0) return;
    // The target as the jail's own /proc shows it (its pid is the jail's).
    std::string status = files.read("/proc/" + std::to_string(pid) + "/status");
    long own_tgid = last_field(read_small(proc + "/status"), "NStgid:");
    if (status.empty() || last_field(status, "Tgid:") == own_tgid) return;
    f.target_known = uids(status, f.target_ruid, f.target_suid);
    call = "kill(" + std::to_string(pid) + ", " + std::to_string(as_int(d.args[1])) + ")";
  } else if (name == "mknod" || name == "mknodat" || name == "chroot") {
    std::string abs = name == "mknodat" ? path_arg(1, 0) : path_arg(0, -1);
    if (abs.empty()) return;
    bool dir = false;
    f.path_ok = name == "chroot" ? files.lookup(abs, &dir) == 0 && dir
                                 : files.lookup(abs) == ENOENT && files.lookup(parent_of(abs)) == 0;
    call = name + "(" + shown_path(abs) + ")";
  } else if (name == "socket") {
    call = "socket(" + learn::family_name(as_int(d.args[0])) + ")";
  } else if (name == "setrlimit" || name == "prlimit64") {
    bool pr = name == "prlimit64";
    if (pr && as_int(d.args[0]) != 0) return;  // another process: its limits, its owner
    int res = as_int(pr ? d.args[1] : d.args[0]);
    uint64_t ptr = pr ? d.args[2] : d.args[1];
    rlimit want{}, have{};
    std::string r = learn::rlimit_name(res);
    if (!ptr || r.empty() || !read_memory(tid, ptr, &want, sizeof want)) return;
    if (prlimit(tgid, static_cast<__rlimit_resource>(res), nullptr, &have) != 0) return;
    f.limit_known = true;
    f.hard_now = have.rlim_max;
    f.want_soft = want.rlim_cur;
    f.want_hard = want.rlim_max;
    call = name + "(" + r + ")";
  } else if (name == "setgroups") {
    call = "setgroups(" + std::to_string(as_int(d.args[0])) + " groups)";
  } else {  // the set*id calls
    int nargs = name.starts_with("setres") ? 3 : name.starts_with("setre") ? 2 : 1;
    std::string list;
    for (int i = 0; i < nargs; ++i) list += (i ? ", " : "") + std::to_string(as_int(d.args[i]));
    call = name + "(" + list + ")";
  }

  auto need = capability_needed(f);
  if (!need) return;
  Explanation e;
  e.name = std::to_string(need->cap) + " " + call;  // the key (inspect())
  e.call = call;
  e.text = std::string("will fail (") + strerrorname_np(need->err) + "): " +
           capability_text(*need, plan_, profile_, port);
  e.directive = plan_.bounding & (1ULL << need->cap) ? "AmbientCapabilities=" : "CapabilityBoundingSet=";
  out.push_back(std::move(e));
}

void Explainer::report_suppressed() {
  if (suppressed_ == 0 || !report_) return;
  Explanation e;
  e.name = "explain";
  e.repeats = suppressed_;
  report_(e);
  suppressed_ = 0;
}

}  // namespace zjail
