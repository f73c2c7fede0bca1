// Observations -> the learned profile and its drop-in (docs/learn.md).
// Each part (identity, file system, network, system calls, capabilities,
// the rest) is a section of lines with their evidence; with a base profile
// only what the base does not already give is kept. Every line is applied
// to a scratch profile before it is written, so a value zjail would refuse
// becomes a comment rather than a profile that fails --check.
#include <grp.h>
#include <pwd.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <optional>
#include <set>

#include "learn_internal.hpp"
#include "plan_internal.hpp"
#include "syntax.hpp"
#include "zjail/landlock.hpp"
#include "zjail/parser.hpp"
#include "zjail/syscalls.hpp"
#include "zjail/users.hpp"

namespace zjail::learn {
namespace {

using detail::comment_safe;
using detail::Line;
using detail::Section;
using detail::seen;
using std::string;

// Groups small and harmless enough to stand for their calls when the
// workload used most of them. The others (@privileged, @mount, @setuid,
// @resources, @debug, ...) are only ever granted call by call.
constexpr const char* kFoldGroups[] = {"@aio",     "@basic-io", "@file-system", "@io-event", "@ipc",
                                       "@network-io", "@process", "@signal",   "@sync",     "@timer"};
// Allowed in every allow list (@default, and what seccomp.cpp adds).
constexpr const char* kAlwaysAllowed[] = {"execve", "execveat", "exit", "exit_group", "write"};

struct Context {
  const Observations& o;
  const WriteOptions& w;
  const Profile* base;  // null: a whole profile
  int abi;
};

// --- System calls ----------------------------------------------------------------

std::set<string> expand_known(const std::vector<string>& names) {
  auto r = expand_syscalls(names);
  return r ? *r : std::set<string>{};
}

// What the base profile's filter lets through.
std::set<string> base_allows(const Profile& p) {
  const NameList& f = p.system_call_filter;
  std::vector<string> names;
  for (const auto& i : f.names) names.push_back(i.value);
  std::set<string> listed = expand_known(names);
  if (!f.is_set) return expand_known({"@known"});
  if (!f.invert) {
    listed.insert(std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed));
    return listed;
  }
  std::set<string> all = expand_known({"@known"}), out;
  std::set_difference(all.begin(), all.end(), listed.begin(), listed.end(), std::inserter(out, out.end()));
  return out;
}

Section syscalls(const Context& c) {
  Section s{"System calls", {}, {}};
  std::set<string> allowed =
      c.base ? base_allows(*c.base) : expand_known({"@default"});
  // What learning cannot see (unwatched_calls(): read, write, epoll, ...)
  // comes as @system-service, whose watched calls never seen are taken out.
  const std::set<string> service = expand_known({"@system-service"});
  if (!c.base) {
    allowed.insert(std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed));
    allowed.insert(service.begin(), service.end());
  }
  std::map<string, const Evidence*> rest;
  string implicit;
  for (const auto& [name, e] : c.o.syscalls) {
    if (!syscall_known(name)) {
      s.notes.push_back("not known to this libseccomp, so not listed: " + comment_safe(name) + ", " + seen(e));
      continue;
    }
    if (allowed.count(name)) {
      if (!c.base) implicit += (implicit.empty() ? "" : " ") + name;
      continue;
    }
    rest.emplace(name, &e);
  }
  if (!c.base) {
    if (!implicit.empty()) s.notes.push_back("allowed by @system-service or in every allow list: " + implicit);
    s.lines.push_back({"SystemCallFilter", "@system-service",
                       {"@system-service: learning lets its hot calls through unwatched (read, write, epoll, futex, "
                        "...), so they are allowed as this group; its watched calls never seen are taken out below"}});
    // Groups the workload used at least half of, in the table's order.
    for (const char* g : kFoldGroups) {
      std::set<string> members = expand_known({g});
      std::vector<string> used;
      for (const auto& m : members)
        if (rest.count(m)) used.push_back(m);
      if (used.size() < 2 || used.size() * 2 < members.size()) continue;
      string calls;
      uint64_t n = 0;
      for (const auto& u : used) {
        calls += (calls.empty() ? "" : ", ") + u + " x" + std::to_string(rest.at(u)->count);
        n += rest.at(u)->count;
      }
      const auto& first = *rest.at(used.front());
      s.lines.push_back({"SystemCallFilter", g,
                         {string(g) + ": " + std::to_string(used.size()) + " of its " + std::to_string(members.size()) +
                              " calls seen, " + std::to_string(n) + " times in all: " + calls,
                          "e.g. " + comment_safe(first.example)}});
      for (const auto& u : used) rest.erase(u);
    }
  }
  for (const auto& [name, e] : rest)
    s.lines.push_back({"SystemCallFilter", name, {comment_safe(seen(*e))}});
  if (!c.base) {
    // Under a jail zjail enforces, clone3 and openat2 fail with ENOSYS (the
    // base filter reads only their older forms' arguments) and libc falls
    // back to clone and openat: seen the newer, the older is needed.
    auto used = [&](const string& name) {
      if (c.o.syscalls.count(name)) return true;
      return (name == "clone" && c.o.syscalls.count("clone3")) || (name == "openat" && c.o.syscalls.count("openat2"));
    };
    string never;
    for (const auto& name : watched_service_calls())
      if (!used(name) && syscall_known(name) &&
          std::find(std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed), name) == std::end(kAlwaysAllowed))
        never += (never.empty() ? "" : " ") + name;
    if (!never.empty())
      s.lines.push_back({"SystemCallFilter", "~" + never,
                         {"in @system-service, watched while learning and never called"}});
    s.lines.push_back({"SystemCallErrorNumber", "EPERM",
                       {"a call never seen fails with EPERM, so a program probing for a feature falls back"}});
    s.lines.push_back({"SystemCallArchitectures", "native", {"only the native ABI was used (zjail sees no other)"}});
  }
  return s;
}

// --- Identity --------------------------------------------------------------------

std::vector<std::pair<string, const Evidence*>> ids(const Observations& o, const string& kind) {
  std::vector<std::pair<string, const Evidence*>> out;
  for (const auto& [k, e] : o.users)
    if (k.starts_with(kind + ":") && k.size() > kind.size() + 1 && k.substr(kind.size() + 1) != "0")
      out.emplace_back(k.substr(kind.size() + 1), &e);
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.first.size() != b.first.size() ? a.first.size() < b.first.size() : a.first < b.first;
  });
  return out;
}

// Groups whose files are the host's disks, memory, secrets or admin rights:
// learning takes an attempt (a failed setgid()) for a need, so it never
// grants them.
bool privileged_group(const string& gid) {
  constexpr const char* kNames[] = {"root", "disk", "kmem", "shadow", "sudo", "adm", "docker", "lxd", "wheel"};
  char* end = nullptr;
  unsigned long n = std::strtoul(gid.c_str(), &end, 10);
  if (end == gid.c_str() || *end) return true;
  group g{};
  group* found = nullptr;
  std::vector<char> buf(16384);
  if (getgrgid_r(static_cast<gid_t>(n), &g, buf.data(), buf.size(), &found) != 0 || !found) return false;
  return std::find_if(std::begin(kNames), std::end(kNames), [&](const char* k) { return string(k) == g.gr_name; }) !=
         std::end(kNames);
}

// A workload that ran as root and never switched may still be a daemon of
// its own user: where everything it wrote on the host is one user's
// (Debian makes /var/lib/redis redis's), it runs as that user, who can
// write there; as nobody it could not. Runtime and temporary places are
// the jail's own, made for whoever it runs as, and say nothing.
struct Owner {
  string user, group, example;
};

std::optional<Owner> owner_of_writes(const Observations& o) {
  constexpr const char* kOwn[] = {"/tmp/", "/var/tmp/", "/run/", "/dev/", "/proc/", "/sys/"};
  std::set<uid_t> owners;
  string example;
  for (const auto& entry : o.paths) {
    const string& path = entry.first;  // a plain name: clang captures no binding
    const PathUse& u = entry.second;
    if (!(u.access & (kWrite | kCreate | kRemove)) || path == "/" ||
        std::any_of(std::begin(kOwn), std::end(kOwn), [&](const char* p) { return path.starts_with(p); }))
      continue;
    // What decides whether it may: the file for a write, the directory
    // for a name made or removed (or a file no longer there).
    struct stat st{};
    bool file = !(u.access & (kCreate | kRemove)) && ::lstat(path.c_str(), &st) == 0;
    string dir = path.substr(0, std::max<size_t>(path.rfind('/'), 1));
    if (!file && ::lstat(dir.c_str(), &st) != 0) continue;
    if (owners.insert(st.st_uid).second && example.empty()) example = path;
  }
  if (owners.size() != 1 || *owners.begin() == 0) return std::nullopt;
  passwd pw{};
  passwd* found = nullptr;
  std::vector<char> buf(16384);
  if (getpwuid_r(*owners.begin(), &pw, buf.data(), buf.size(), &found) != 0 || !found) return std::nullopt;
  Owner out{pw.pw_name, "", example};
  group g{};
  group* gfound = nullptr;
  std::vector<char> gbuf(16384);
  if (getgrgid_r(pw.pw_gid, &g, gbuf.data(), gbuf.size(), &gfound) == 0 && gfound &&
      !privileged_group(std::to_string(pw.pw_gid)))
    out.group = g.gr_name;
  return out;
}

// What learning as root made and left on the host as root's: the profile
// runs as `user`, who cannot replace it (a stale socket, a pid file, a log
// the daemon reopens), so the admin removes it before the first run.
void left_by_root(const Observations& o, const string& user, Section& s) {
  constexpr const char* kPrivate[] = {"/tmp/", "/var/tmp/", "/dev/", "/proc/", "/sys/"};
  constexpr size_t kMax = 10;
  size_t n = 0;
  for (const auto& entry : o.paths) {
    const string& path = entry.first;
    const PathUse& u = entry.second;
    struct stat st{};
    if (!(u.access & kCreate) || ::lstat(path.c_str(), &st) != 0 || st.st_uid != 0 ||
        std::any_of(std::begin(kPrivate), std::end(kPrivate), [&](const char* p) { return path.starts_with(p); }))
      continue;
    if (n++ < kMax)
      s.notes.push_back("left by learning as root: " + comment_safe(path) + " is root's, and " + comment_safe(user) +
                        " cannot replace it: remove it before the first run");
  }
  if (n > kMax) s.notes.push_back("left by learning as root: " + std::to_string(n - kMax) + " more such paths");
}

Section identity(const Context& c) {
  Section s{"Identity", {}, {}};
  auto uids = ids(c.o, "uid"), gids = ids(c.o, "gid");
  std::erase_if(gids, [&](const auto& g) {
    if (!privileged_group(g.first)) return false;
    s.notes.push_back("not granted: gid " + comment_safe(g.first) + " (" + comment_safe(seen(*g.second)) +
                      "), a group of the host's disks, secrets or admins; add it by hand if truly needed");
    return true;
  });
  string user, group;
  std::vector<string> why, held;
  if (!uids.empty()) {
    user = uids.front().first;
    why = {"the workload switched to uid " + user + ": it starts as that user, with nothing to switch",
           comment_safe(seen(*uids.front().second))};
    for (size_t i = 1; i < uids.size(); ++i)
      s.notes.push_back("also switched to uid " + uids[i].first + " (" + comment_safe(seen(*uids[i].second)) +
                        "): a jail runs one user, so that switch fails");
  } else if (!c.o.user.empty() && c.o.user != "root" && c.o.user != "0") {
    user = c.o.user;
    why = {"the workload ran as " + comment_safe(user) + " and switched to no other user"};
    // It held that user's groups, as a unit's User= gives them (the
    // postmaster reads its TLS key as a member of ssl-cert); zjail's User=
    // gives only SupplementaryGroups=.
    if (auto u = lookup_user(user))
      for (gid_t g : group_list(u->name, u->gid))
        if (g != u->gid && !privileged_group(std::to_string(g)))
          held.push_back(std::to_string(g));
  } else if (auto owner = owner_of_writes(c.o)) {
    user = owner->user;
    group = owner->group;
    why = {"the workload ran as root and never switched, and what it wrote on the host is " + comment_safe(user) +
           "'s: " + comment_safe(owner->example)};
  } else {
    user = "nobody";
    group = "nogroup";
    why = {"the workload ran as root and never switched: zjail never runs a payload as root"};
  }
  // The primary group: the one numbered as the user (www-data is 33:33),
  // else the lowest; the others are supplementary.
  if (!gids.empty()) {
    auto same = std::find_if(gids.begin(), gids.end(), [&](const auto& g) { return g.first == user; });
    if (same != gids.end()) std::rotate(gids.begin(), same, same + 1);
    group = gids.front().first;
  }
  if (!c.base || c.base->user.value.value_or("") != user) s.lines.push_back({"User", user, why});
  if (!group.empty() && (!c.base || c.base->group.value.value_or("") != group))
    s.lines.push_back({"Group", group,
                       {!gids.empty() ? "the workload switched to gid " + group + ", " +
                                            comment_safe(seen(*gids.front().second))
                        : group == "nogroup" ? "nobody's group"
                                             : comment_safe(user) + "'s own group"}});
  for (size_t i = 1; i < gids.size(); ++i)
    s.lines.push_back({"SupplementaryGroups", gids[i].first,
                       {"the workload also took gid " + gids[i].first + ", " + comment_safe(seen(*gids[i].second))}});
  for (const auto& g : held)
    if (!c.base || std::none_of(c.base->supplementary_groups.begin(), c.base->supplementary_groups.end(),
                                [&](const auto& i) { return i.value == g; }))
      s.lines.push_back({"SupplementaryGroups", g, {comment_safe(user) + " is in group " + g + " in the group database"}});
  if ((c.o.user == "root" || c.o.user == "0") && user != "root" && user != "0") left_by_root(c.o, user, s);
  return s;
}

// --- Capabilities --------------------------------------------------------------------

// Capabilities that reach the host's kernel or every file: learning takes
// an attempt for a need (a failed mount() is evidence too), so these are
// never granted by it, only written as notes for an admin to decide.
constexpr const char* kNeverLearned[] = {
    "CAP_SYS_ADMIN", "CAP_SYS_MODULE", "CAP_SYS_RAWIO",  "CAP_SYS_PTRACE", "CAP_BPF",     "CAP_PERFMON",
    "CAP_MAC_ADMIN", "CAP_MAC_OVERRIDE", "CAP_SYS_BOOT", "CAP_DAC_READ_SEARCH", "CAP_SETPCAP", "CAP_SETFCAP",
};

// What other lines stand for: a privileged port is ListenStream=, a user
// switch is User=.
bool replaced(const string& cap) {
  return cap == "CAP_NET_BIND_SERVICE" || cap == "CAP_SETUID" || cap == "CAP_SETGID";
}

bool base_has_cap(const NameList& l, const string& cap) {
  bool listed = std::any_of(l.names.begin(), l.names.end(), [&](const auto& i) {
    string n = i.value;
    std::transform(n.begin(), n.end(), n.begin(), ::toupper);
    return n == cap || "CAP_" + n == cap;
  });
  return l.is_set ? listed != l.invert : false;
}

Section capabilities(const Context& c) {
  Section s{"Capabilities", {}, {}};
  std::vector<std::pair<string, const Evidence*>> kept;
  for (const auto& [cap, e] : c.o.capabilities) {
    if (replaced(cap)) {
      s.notes.push_back(comment_safe(cap) + " (" + comment_safe(seen(e)) + "): given by " +
                        (cap == "CAP_NET_BIND_SERVICE" ? "ListenStream=/ListenDatagram=" : "User=/Group=") +
                        " instead, see those lines");
      continue;
    }
    if (c.base && base_has_cap(c.base->ambient_capabilities, cap)) continue;
    if (std::find(std::begin(kNeverLearned), std::end(kNeverLearned), cap) != std::end(kNeverLearned)) {
      s.notes.push_back("not granted: " + comment_safe(cap) + " (" + comment_safe(seen(e)) +
                        "): it reaches the host's kernel; add it by hand in a drop-in of the profile if truly needed");
      continue;
    }
    kept.emplace_back(cap, &e);
  }
  if (!c.base && kept.empty()) {
    s.lines.push_back({"CapabilityBoundingSet", "", {"no capability was exercised: none in any set"}});
    s.lines.push_back({"AmbientCapabilities", "", {}});
  }
  for (const auto& [cap, e] : kept) {
    std::vector<string> why = {"exercised: " + comment_safe(seen(*e))};
    if (!c.base || !base_has_cap(c.base->capability_bounding_set, cap))
      s.lines.push_back({"CapabilityBoundingSet", cap, why});
    s.lines.push_back({"AmbientCapabilities", cap, why});
  }
  return s;
}

// --- The rest --------------------------------------------------------------------

string ns_type(const string& flag) {
  static const std::map<string, string> kTypes = {
      {"CLONE_NEWCGROUP", "cgroup"}, {"CLONE_NEWIPC", "ipc"},   {"CLONE_NEWNET", "net"},   {"CLONE_NEWNS", "mnt"},
      {"CLONE_NEWPID", "pid"},       {"CLONE_NEWUSER", "user"}, {"CLONE_NEWUTS", "uts"}, {"CLONE_NEWTIME", "time"}};
  auto it = kTypes.find(flag);
  return it == kTypes.end() ? "" : it->second;
}

Section sandbox(const Context& c, const detail::PathResult& paths) {
  Section s{"Kernel interfaces", {}, {}};
  const Observations& o = c.o;
  const Profile* b = c.base;
  if (o.write_execute.count) {
    s.notes.push_back("writable and executable memory was mapped (" + comment_safe(seen(o.write_execute)) +
                      "): no MemoryDenyWriteExecute=");
    if (b && b->security.memory_deny_write_execute.value.value_or(false))
      s.lines.push_back({"MemoryDenyWriteExecute", "no", {"W^X mapping " + comment_safe(seen(o.write_execute))}});
  } else if (!b) {
    s.lines.push_back({"MemoryDenyWriteExecute", "yes", {"no writable and executable mapping was seen"}});
  }
  if (!o.namespaces.empty()) {
    string types;
    for (const auto& [flag, e] : o.namespaces) {
      string t = ns_type(flag);
      s.notes.push_back("namespace " + comment_safe(flag) + " asked for, " + comment_safe(seen(e)) +
                        ": zjail refuses every namespace inside a jail, whatever RestrictNamespaces= says");
      if (!t.empty() && types.find(t) == string::npos) types += (types.empty() ? "" : " ") + t;
    }
    if (!b && !types.empty())
      s.lines.push_back({"RestrictNamespaces", types, {"the namespace types the workload asked for (see above)"}});
  } else if (!b) {
    s.lines.push_back({"RestrictNamespaces", "yes", {"no namespace was asked for"}});
  }
  if (!b) {
    if (!o.syscalls.count("personality"))
      s.lines.push_back({"LockPersonality", "yes", {"personality() was never called"}});
    if (!o.syscalls.count("sched_setscheduler") && !o.syscalls.count("sched_setattr"))
      s.lines.push_back({"RestrictRealtime", "yes", {"no scheduling policy was set"}});
    s.lines.push_back({"PrivateTmp", "yes",
                       {paths.tmp_used ? "/tmp used, private to the jail: " + comment_safe(seen(paths.tmp_evidence))
                                       : "/tmp was not used: an empty private one"}});
  }
  bool base_pid = b && b->proc_subset.value.value_or(ProcSubset::All) == ProcSubset::Pid;
  if (paths.proc_all && (!b || base_pid))
    s.lines.push_back({"ProcSubset", "all", {"/proc beyond the process directories: " + comment_safe(seen(paths.proc_evidence))}});
  else if (!paths.proc_all && !b)
    s.lines.push_back({"ProcSubset", "pid", {"only the process directories of /proc were used"}});
  if (!b) s.lines.push_back({"ProtectProc", "invisible", {"other users' processes are not shown"}});
  for (const auto& [name, e] : o.rlimits) {
    auto v = o.rlimit_values.find(name);
    string key = "Limit" + name;
    if (v == o.rlimit_values.end()) {
      s.notes.push_back("rlimit " + comment_safe(name) + " raised or reached, " + comment_safe(seen(e)) +
                        ": no value recorded, no line");
      continue;
    }
    if (b && std::any_of(b->limits.begin(), b->limits.end(), [&](const auto& l) {
          return l.second.value.directive == key && l.second.value.hard >= v->second;
        }))
      continue;
    s.lines.push_back({key, std::to_string(v->second), {"set or reached by the workload: " + comment_safe(seen(e))}});
  }
  if (o.notify.count)
    s.notes.push_back("sd_notify() used (" + comment_safe(seen(o.notify)) + "): zjail relays it from its own PID");
  return s;
}

// --- Assembly -----------------------------------------------------------------------

// The line if zjail takes it, else a comment saying why not.
void emit(string& out, const Line& l, Profile& scratch) {
  for (const auto& w : l.why) out += "# " + comment_safe(w) + "\n";
  auto st = apply_directive(scratch, l.key, l.value, Origin{"<learned>", 0});
  if (!st) {
    out += "# not written, zjail refuses it: " + comment_safe(l.key + "=" + l.value) + ": " +
           comment_safe(st.error().message()) + "\n";
    return;
  }
  out += l.key + "=" + l.value + "\n";
}

string command_text(const Observations& o) {
  string out;
  for (const auto& w : o.command) out += (out.empty() ? "" : " ") + quote_word(w);
  return out;
}

}  // namespace

std::string write_profile(const Observations& o, const WriteOptions& w) {
  int abi = w.landlock_abi >= 0 ? w.landlock_abi : landlock_abi();
  Context c{o, w, w.base, abi};
  auto paths = detail::plan_paths(o, w.base, w.holds_secrets);
  std::vector<Section> sections;
  sections.push_back(identity(c));
  sections.push_back(std::move(paths.files));
  sections.push_back(std::move(paths.devices));
  if (!w.base && sections.back().lines.empty())
    sections.back().lines.push_back(
        {"PrivateDevices", "yes", {"no device beyond the pseudo devices (/dev/null, /dev/urandom, ...) was opened"}});
  sections.push_back(detail::network_section(o, w.base, abi));
  sections.push_back(capabilities(c));
  sections.push_back(syscalls(c));
  sections.push_back(sandbox(c, paths));

  string out;
  out += "# Learned by `zjail learn`";
  if (!o.command.empty()) out += " from: " + comment_safe(command_text(o));
  out += "\n";
  if (w.base) {
    string names;
    for (const auto& n : w.base_profiles) names += (names.empty() ? "" : " ") + n;
    out += "# What the workload needed beyond " + comment_safe(names) +
           ": the lines to add. Saved as it is, this file is that profile with them;\n"
           "# without the Include= lines it is a drop-in (NAME.profile.d/50-learned.conf).\n";
  } else {
    out += "# A tight profile: what the workload never did is denied. Each line says what was seen.\n";
  }
  out += "\n[Jail]\n";
  Profile scratch;
  if (w.base)
    for (const auto& n : w.base_profiles) out += "Include=" + comment_safe(n) + "\n";
  if (!w.base && !o.command.empty()) {
    string cmd = comment_safe(o.command.front());
    if (cmd.size() > 200) cmd.resize(200);
    emit(out, {"Description", "Learned profile for " + cmd, {}}, scratch);
  }
  for (const auto& s : sections) {
    if (s.lines.empty() && s.notes.empty()) continue;
    out += "\n# --- " + s.title + " ---\n";
    for (const auto& n : s.notes) out += "# " + comment_safe(n) + "\n";
    for (const auto& l : s.lines) emit(out, l, scratch);
  }
  out += "\n" + evidence_block(o);
  return out;
}

namespace {

// systemd's ExecStart= word: '%' and '$' doubled, quoted where it has to be,
// a lone ';' escaped (it would end the command).
string exec_word(const string& w) {
  string v;
  for (char ch : w) {
    if (ch == '%' || ch == '$') v += ch;
    v += ch;
  }
  if (v == ";") return "\\;";
  return quote_word(v);
}

}  // namespace

std::string write_dropin(const Observations& o, const WriteOptions& w) {
  string profile = w.output.empty() ? "learned" : w.output;
  string out =
      "# Written by `zjail learn`: the unit's command under its learned profile.\n"
      "# Save as /etc/systemd/system/UNIT.service.d/zjail.conf, then\n"
      "# `systemctl daemon-reload && systemctl restart UNIT`.\n";
  if (o.socket_activation.count)
    out += "# The unit's .socket stays: systemd hands its sockets to zjail, which passes them on (" +
           comment_safe(seen(o.socket_activation)) + ").\n";
  if (o.notify.count)
    out += "# Type=notify stays: zjail relays the payload's notifications from its own PID.\n";
  out += "[Service]\n";
  out += "ExecStart=\n";
  out += "ExecStart=" + exec_word(w.zjail_binary) + " --profile " + exec_word(profile) + " --";
  for (const auto& c : o.command) out += " " + exec_word(c);
  out += "\n";
  out += "# zjail puts the jail in a cgroup leaf of its own, inside the unit's.\nDelegate=yes\n";
  bool pid_file = std::any_of(o.paths.begin(), o.paths.end(), [](const auto& p) {
    return p.first.ends_with(".pid") && (p.second.access & (kCreate | kWrite));
  });
  if (pid_file)
    out += "# The workload writes a pid file, which names a pid of the jail's, not the host's.\nPIDFile=\n";
  return out;
}

}  // namespace zjail::learn
