// zjail export --format systemd (export.hpp, docs/fleet.md): a
// drop-in for the service's own unit that asks systemd for the jail the
// profile describes, so that a host without zjail enforces it natively.
//
// The profile is written from `zjail --show`'s resolved form: a directive
// systemd has with the same meaning passes through; zjail's defaults that
// differ from systemd's are written out (the empty root, no capabilities,
// the private namespaces); the syscall filter is written as the call names
// zjail's own filter allows, never as @groups, so that the result does not
// depend on the target's group contents. What systemd cannot express, or
// only from a version newer than the target, is listed at the top: never
// dropped silently. Deterministic: the same profile gives the same bytes.
#include <linux/seccomp.h>
#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <map>
#include <set>
#include <sstream>

#include "export_internal.hpp"
#include "syntax.hpp"
#include "zjail/parser.hpp"

namespace zjail::exporting {
namespace {

using std::string;
using std::string_view;

// The systemd version that introduced each directive the export writes
// (systemd.exec(5)'s "Added in version", NEWS for the older ones). 1: as old
// as any systemd a fleet still runs. A directive not listed here is zjail's
// own: systemd has no such thing, and the line becomes a loss.
constexpr std::pair<const char*, int> kSince[] = {
    {"User", 1}, {"Group", 1}, {"SupplementaryGroups", 1}, {"DynamicUser", 232},
    {"RootDirectory", 1}, {"WorkingDirectory", 1}, {"BindPaths", 233}, {"BindReadOnlyPaths", 233},
    {"TemporaryFileSystem", 238}, {"MountAPIVFS", 233}, {"PrivateTmp", 1}, {"PrivateDevices", 209},
    {"DevicePolicy", 1}, {"DeviceAllow", 1}, {"ProtectSystem", 214}, {"ProtectHome", 214},
    {"ReadWritePaths", 231}, {"ReadOnlyPaths", 231}, {"InaccessiblePaths", 231},
    {"ExecPaths", 248}, {"NoExecPaths", 248}, {"ProtectProc", 247}, {"ProcSubset", 247},
    {"ProtectKernelTunables", 232}, {"ProtectKernelModules", 232}, {"ProtectKernelLogs", 244},
    {"ProtectControlGroups", 232}, {"ProtectClock", 245}, {"ProtectHostname", 242},
    {"PrivateNetwork", 1}, {"PrivateUsers", 232}, {"PrivateIPC", 248}, {"PrivatePIDs", 257},
    {"RestrictNamespaces", 233}, {"NoNewPrivileges", 187}, {"SecureBits", 1},
    {"CapabilityBoundingSet", 1}, {"AmbientCapabilities", 229}, {"RestrictAddressFamilies", 211},
    {"LockPersonality", 235}, {"MemoryDenyWriteExecute", 231}, {"RestrictRealtime", 231},
    {"RestrictSUIDSGID", 242}, {"RemoveIPC", 232}, {"SystemCallFilter", 187},
    {"SystemCallErrorNumber", 209}, {"SystemCallArchitectures", 209}, {"SystemCallLog", 247},
    {"Personality", 211}, {"KeyringMode", 235}, {"IPAddressAllow", 235}, {"IPAddressDeny", 235},
    {"SocketBindAllow", 249}, {"SocketBindDeny", 249}, {"RestrictNetworkInterfaces", 250},
    {"NetworkNamespacePath", 242}, {"UMask", 1}, {"Nice", 1}, {"OOMScoreAdjust", 1},
    {"CPUSchedulingPolicy", 1}, {"CPUSchedulingPriority", 1}, {"CPUSchedulingResetOnFork", 1},
    {"IOSchedulingClass", 1}, {"IOSchedulingPriority", 1}, {"CPUAffinity", 1},
    {"Environment", 1}, {"PassEnvironment", 228}, {"UnsetEnvironment", 235},
    {"RuntimeDirectory", 211}, {"RuntimeDirectoryMode", 211}, {"RuntimeDirectoryPreserve", 235},
    {"StateDirectory", 235}, {"CacheDirectory", 235}, {"LogsDirectory", 235},
    {"ConfigurationDirectory", 235}, {"StateDirectoryMode", 235}, {"CacheDirectoryMode", 235},
    {"LogsDirectoryMode", 235}, {"ConfigurationDirectoryMode", 235},
    {"LoadCredential", 247}, {"SetCredential", 247}, {"LoadCredentialEncrypted", 250},
    {"SetCredentialEncrypted", 250}, {"ImportCredential", 254},
    {"Slice", 1}, {"MemoryHigh", 231}, {"MemoryMax", 231}, {"MemorySwapMax", 232}, {"TasksMax", 227},
    {"CPUQuota", 213}, {"CPUWeight", 231}, {"AllowedCPUs", 244}, {"IOWeight", 230},
    {"IOReadBandwidthMax", 230}, {"IOWriteBandwidthMax", 230},
    {"LimitCPU", 1}, {"LimitFSIZE", 1}, {"LimitDATA", 1}, {"LimitSTACK", 1}, {"LimitCORE", 1},
    {"LimitRSS", 1}, {"LimitNOFILE", 1}, {"LimitAS", 1}, {"LimitNPROC", 1}, {"LimitMEMLOCK", 1},
    {"LimitLOCKS", 1}, {"LimitSIGPENDING", 1}, {"LimitMSGQUEUE", 1}, {"LimitNICE", 1},
    {"LimitRTPRIO", 1}, {"LimitRTTIME", 1},
};

// Values newer than their directive.
int value_since(string_view key, string_view value) {
  if (key == "PrivateTmp" && value == "disconnected") return 256;
  if (key == "ProtectControlGroups" && (value == "private" || value == "strict")) return 257;
  if (key == "ProtectHostname" && value.substr(0, 7) == "private") return 258;
  if (key == "PrivateUsers" && value == "identity") return 248;
  if (key == "PrivateUsers" && value == "full") return 257;
  if (key == "PrivateUsers" && value == "managed") return 258;
  if (key == "ProtectSystem" && value == "strict") return 232;
  if (key == "ProtectHome" && value == "tmpfs") return 238;
  return 0;
}

int since(string_view key) {
  for (const auto& [k, v] : kSince)
    if (key == k) return v;
  return -1;
}

// Directives the export writes itself (below), not from --show's lines.
const std::set<string_view> kWrittenHere = {
    "Description", "User", "Group", "RootDirectory", "ProtectProc", "PrivateNetwork", "Hostname",
    "ListenStream", "ListenDatagram", "BindIPv6Only", "CapabilityBoundingSet", "AmbientCapabilities",
    "NoNewPrivileges", "SystemCallFilter", "SystemCallErrorNumber", "SystemCallArchitectures",
    "RestrictIOUring", "PrivateTmp", "PrivateDevices", "RestrictNamespaces", "ProtectHostname",
    "PrivateIPC", "PrivatePIDs", "PrivateUsers", "KeyringMode", "RestrictAddressFamilies",
    "EnforceLimits", "SupplementaryGroups", "BindPaths", "BindReadOnlyPaths"};

// Lists that accumulate: the unit's own entries are reset first, so that
// the drop-in states the whole list (an allow list added to the unit's
// would widen it; a path the unit names may not exist on the empty root).
constexpr const char* kResetFirst[] = {
    "SupplementaryGroups", "BindPaths", "TemporaryFileSystem", "ReadWritePaths",
    "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths", "DeviceAllow",
    "RestrictAddressFamilies", "SystemCallFilter", "SystemCallLog", "CapabilityBoundingSet",
    "AmbientCapabilities", "RuntimeDirectory", "StateDirectory", "CacheDirectory", "LogsDirectory",
    "ConfigurationDirectory", "SocketBindAllow", "SocketBindDeny", "IPAddressAllow", "IPAddressDeny"};

// A unit file's value: '%' is systemd's specifier character.
string unit_value(string_view v) {
  string out;
  for (char c : v) {
    if (c == '%') out += '%';
    out += c;
  }
  return out;
}

// systemd ends a line at LF, CR and NUL (read_line()): a control character
// written raw would start a line of the author's choosing.
bool control(char c) { return static_cast<unsigned char>(c) < 0x20 || c == 0x7f; }

string hex_escape(char c) {
  static const char kHex[] = "0123456789abcdef";
  auto u = static_cast<unsigned char>(c);
  return string("\\x") + kHex[u >> 4] + kHex[u & 15];
}

// Free text in a comment: every control character as \xHH.
string comment_text(string_view v) {
  string out;
  for (char c : v) out += control(c) ? hex_escape(c) : string(1, c);
  return out;
}

// One ExecStart= word as systemd splits it: double quotes around a word
// with whitespace, quotes, backslashes, control characters or a leading
// ';' (a lone ';' separates commands), with C escapes inside. A literal
// '$' is "$$": systemd would substitute $NAME where zjail passes the word
// as it is; a unit's own words keep their variables.
string exec_word(const string& w, bool literal) {
  bool plain = !w.empty() && w != ";";
  for (char c : w)
    if (std::isspace(static_cast<unsigned char>(c)) || c == '"' || c == '\'' || c == '\\' || control(c)) plain = false;
  string out = plain ? "" : "\"";
  for (char c : w) {
    if (!plain && (c == '"' || c == '\\')) out += '\\';
    if (control(c)) out += hex_escape(c);
    else if (c == '$' && literal) out += "$$";
    else out += c;
  }
  return unit_value(plain ? out : out + "\"");
}

class DropIn {
 public:
  explicit DropIn(int version) : version_(version) {}

  // KEY=VALUE, or a loss when the target's systemd is too old for it.
  void set(const string& key, const string& value) {
    int need = std::max(since(key), value_since(key, value));
    if (need < 0) {
      loss(key + "=" + value + ": zjail's own; systemd has no such directive");
      return;
    }
    if (need > version_) {
      loss(key + "=" + value + ": systemd " + std::to_string(need) + " (this drop-in targets " +
           std::to_string(version_) + ")");
      return;
    }
    reset(key);
    if (std::any_of(value.begin(), value.end(), control) && bad_.empty())
      bad_ = key + "=" + comment_text(value) + " holds a control character, which systemd reads as a line break";
    lines_.push_back(key + "=" + value);
  }
  void reset(string key) {
    // One list in systemd: an empty BindPaths= resets BindReadOnlyPaths=
    // too, and the other way round.
    if (key == "BindReadOnlyPaths") key = "BindPaths";
    if (std::find(std::begin(kResetFirst), std::end(kResetFirst), key) == std::end(kResetFirst)) return;
    if (!reset_.insert(key).second) return;
    lines_.push_back(key + "=");
  }
  void comment(const string& text) { lines_.push_back("# " + comment_text(text)); }
  void loss(const string& text) { losses_.push_back(comment_text(text)); }
  void raw(const string& line) { lines_.push_back(line); }

  const std::vector<string>& lines() const { return lines_; }
  // The first value that cannot be written safely; "" when none.
  const string& bad() const { return bad_; }
  const Losses& losses() const { return losses_; }
  int version() const { return version_; }

 private:
  int version_;
  std::vector<string> lines_;
  std::set<string> reset_;
  Losses losses_;
  string bad_;
};

// --show's KEY=VALUE lines, in its order.
std::vector<std::pair<string, string>> shown_lines(const Profile& p) {
  std::vector<std::pair<string, string>> out;
  std::istringstream in(show_profile(p));
  string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#' || line[0] == '[') continue;
    auto eq = line.find('=');
    if (eq == string::npos) continue;
    out.emplace_back(line.substr(0, eq), line.substr(eq + 1));
  }
  return out;
}

string cap_names(uint64_t mask, int last) {
  string out;
  for (const auto& n : capability_names_of(mask, last)) out += (out.empty() ? "" : " ") + n;
  return out;
}

// Names, several to a line: a list line systemd reads as one assignment.
void list_lines(DropIn& d, const string& key, const string& prefix, const std::vector<string>& names) {
  constexpr size_t kPerLine = 8;
  for (size_t i = 0; i < names.size(); i += kPerLine) {
    string v = prefix;
    for (size_t j = i; j < std::min(names.size(), i + kPerLine); ++j) v += (j == i ? "" : " ") + names[j];
    d.set(key, v);
  }
}

string action_errno(uint32_t action) {
  if ((action & SECCOMP_RET_ACTION_FULL) != SCMP_ACT_ERRNO(0)) return "";
  string n = errno_name(static_cast<int>(action & SECCOMP_RET_DATA));
  return n.empty() ? std::to_string(action & SECCOMP_RET_DATA) : n;
}

bool kills(uint32_t action) {
  uint32_t a = action & SECCOMP_RET_ACTION_FULL;
  return a == SCMP_ACT_KILL_PROCESS || a == SCMP_ACT_KILL_THREAD || a == SCMP_ACT_TRAP;
}

// zjail's filters as SystemCallFilter= lines: the profile's allow list (the
// calls its own filter lets through), then every call a filter refuses
// whatever its arguments, by name and with its errno. Argument rules have
// no systemd form: the directive that asked for them usually has one
// (RestrictNamespaces=, RestrictAddressFamilies=, ...), and each is listed.
void syscall_filter(DropIn& d, const Source& src) {
  const auto& filters = src.seccomp;
  const Profile& p = src.profile;
  // The profile's own filter: present when SystemCall*= is set (seccomp.hpp).
  bool allow_list = p.system_call_filter.is_set && !p.system_call_filter.invert;
  std::set<string> allowed;
  std::map<string, uint32_t> denied;  // call -> the first filter's action that refuses it
  std::set<string> argument_rules;
  for (size_t f = 0; f < filters.size(); ++f) {
    bool profile_allow = allow_list && f + 1 == filters.size() && f > 0;
    for (const auto& r : filters[f].rules) {
      string name = syscall_name(r.nr);
      if (name.empty()) name = "@" + std::to_string(r.nr);
      uint32_t kind = r.action & SECCOMP_RET_ACTION_FULL;
      if (kind == SCMP_ACT_ALLOW || kind == SCMP_ACT_LOG) {
        if (profile_allow && r.args.empty()) allowed.insert(name);
        continue;
      }
      if (!r.args.empty()) {
        argument_rules.insert(name);
        continue;
      }
      denied.emplace(name, r.action);
    }
  }
  for (const auto& n : denied) allowed.erase(n.first);

  d.comment("System calls: the call names zjail's filters allow and refuse, not @groups, so that");
  d.comment("the target's group contents do not matter.");
  if (allow_list) {
    d.comment("systemd adds its own @default to an allow list; every other call is refused.");
    list_lines(d, "SystemCallFilter", "", {allowed.begin(), allowed.end()});
  }
  // The refused calls, grouped by how they fail.
  uint32_t deny = p.system_call_error_number.is_set() && p.system_call_error_number.value->kind == SyscallAction::Errno
                      ? SCMP_ACT_ERRNO(static_cast<uint16_t>(p.system_call_error_number.value->err))
                      : SCMP_ACT_KILL_PROCESS;
  std::map<string, std::vector<string>> by_suffix;
  for (const auto& [name, action] : denied) {
    string e = action_errno(action);
    string suffix;
    if (e.empty() || action == deny) suffix = "";
    else if (d.version() >= 247) suffix = ":" + e;
    else d.loss(name + " fails with " + e + " under zjail; systemd " + std::to_string(d.version()) +
                " has no per-call errno (247), so it fails as SystemCallErrorNumber= says");
    if (kills(action) && !kills(deny))
      d.loss(name + " kills the process under zjail; here it fails as SystemCallErrorNumber= says");
    by_suffix[suffix].push_back(name + suffix);
  }
  for (const auto& [suffix, names] : by_suffix) list_lines(d, "SystemCallFilter", "~", names);
  // The argument rules whose directive systemd has (RestrictNamespaces=,
  // RestrictAddressFamilies=, MemoryDenyWriteExecute=, RestrictRealtime=,
  // RestrictSUIDSGID=, LockPersonality=, written here) hold natively; the
  // rest is lost.
  const Security& s = p.security;
  bool socket_protocols = !s.socket_bind_allow.empty() || !s.socket_bind_deny.empty() ||
                          !s.socket_connect_allow.empty() || !s.socket_connect_deny.empty();
  for (const auto& n : argument_rules) {
    if (n == "ioctl")
      d.loss("zjail refuses the TIOCSTI and TIOCLINUX ioctls and the console's KD*/VT_* requests (an argument "
             "rule): systemd has no argument filters");
    else if (n == "socket" && socket_protocols)
      d.loss("zjail refuses MPTCP, SCTP and SMC sockets beside SocketBind*=/SocketConnect*= (an argument rule)");
    else if (n == "listen")
      d.loss("zjail refuses listen() when SocketBind*= leaves no TCP port (an argument rule)");
    else if (n == "socket" || n == "clone" || n == "unshare" || n == "mmap" || n == "mprotect" ||
             n == "pkey_mprotect" || n == "shmat" || n == "sched_setscheduler" || n == "sched_setattr" ||
             n == "personality" || n == "chmod" || n == "fchmod" || n == "fchmodat" || n == "fchmodat2" ||
             n == "mkdir" || n == "mkdirat" || n == "mknod" || n == "mknodat" || n == "open" || n == "openat" ||
             n == "creat")
      continue;
    else
      d.loss("zjail's argument rule on " + n + ": systemd has no argument filters");
  }
  d.set("SystemCallArchitectures", "native");
  d.loss("zjail kills i386 (int 0x80) and x32 calls; SystemCallArchitectures=native refuses them with systemd's own action, not necessarily a kill");
  if (p.system_call_error_number.is_set()) {
    const auto& a = *p.system_call_error_number.value;
    string v = a.kind == SyscallAction::Kill ? "kill" : a.kind == SyscallAction::Log ? "log" : errno_name(a.err);
    if (v == "kill" || v == "log") {
      if (d.version() >= 246) d.set("SystemCallErrorNumber", v);
      else d.loss("SystemCallErrorNumber=" + v + ": systemd 246");
    } else {
      d.set("SystemCallErrorNumber", v.empty() ? std::to_string(a.err) : v);
    }
  }
}

// ListenStream=/ListenDatagram=: a socket unit's directives. The sockets go
// to the service through NAME.socket, which the comment block spells out.
std::vector<string> socket_unit(const std::vector<std::pair<string, string>>& shown) {
  std::vector<string> out;
  for (const auto& [k, v] : shown)
    if (k == "ListenStream" || k == "ListenDatagram" || k == "BindIPv6Only") out.push_back(k + "=" + v);
  return out;
}

string unit_name(const ExportRequest& req) {
  if (!req.name.empty()) return req.name;
  string n = req.profile_names.empty() ? "zjail" : req.profile_names.back();
  auto slash = n.rfind('/');
  if (slash != string::npos) n = n.substr(slash + 1);
  auto dot = n.find(".profile");
  if (dot != string::npos) n = n.substr(0, dot);
  return n + ".service";
}

}  // namespace

Result<std::string> export_systemd(const Source& src) {
  const Profile& p = src.profile;
  const Plan& plan = src.plan;
  DropIn d(src.req.systemd_version);
  auto shown = shown_lines(p);
  string unit = unit_name(src.req);
  string base = unit.substr(0, unit.rfind('.'));
  if (std::any_of(unit.begin(), unit.end(), control))
    return make_error(Step::Plan, EINVAL, "export --format systemd: the unit's name '" + comment_text(unit) +
                                              "' holds a control character");

  // --- The command ---
  // systemd reads a leading + ! - @ : | of the first word as a prefix
  // ('+' runs it unconfined); zjail runs the word as a file.
  if (!src.req.command.empty() && !src.req.command[0].empty() &&
      string_view("+!-@:|").find(src.req.command[0][0]) != string_view::npos)
    return make_error(Step::Plan, EINVAL,
                      "export --format systemd: the command '" + comment_text(src.req.command[0]) +
                          "' starts with a character systemd reads as an ExecStart= prefix");
  if (!src.req.command.empty()) {
    string cmd;
    for (const auto& w : src.req.command) cmd += (cmd.empty() ? "" : " ") + exec_word(w, !src.req.command_from_unit);
    d.raw("ExecStart=");
    d.raw("ExecStart=" + cmd);
  }

  // --- Identity ---
  d.set("User", unit_value(p.user.value.value_or("nobody")));
  if (p.group.is_set()) d.set("Group", unit_value(*p.group.value));
  else if (p.user.is_set()) d.raw("Group=");  // the user's own group, as under zjail
  else d.set("Group", "nogroup");
  d.reset("SupplementaryGroups");
  for (const auto& g : p.supplementary_groups) d.set("SupplementaryGroups", unit_value(g.value));
  // zjail's user namespace maps the payload's user and group and root (its
  // init's); PrivateUsers=self maps the same ids, yes as well up to 257.
  string users = "yes";
  if (p.identity.private_users.is_set()) {
    switch (*p.identity.private_users.value) {
      case PrivateUsersMode::Identity: users = "identity"; break;
      case PrivateUsersMode::Full: users = "full"; break;
      case PrivateUsersMode::Managed: users = "managed"; break;
      case PrivateUsersMode::No:
      case PrivateUsersMode::Self: break;
    }
  }
  if (value_since("PrivateUsers", users) > d.version()) {
    d.loss("PrivateUsers=" + users + ": systemd " + std::to_string(value_since("PrivateUsers", users)) +
           "; PrivateUsers=yes instead");
    users = "yes";
  }
  d.set("PrivateUsers", users);
  d.loss("zjail's own user namespace holds the payload alone; PrivateUsers= here is shared with the "
         "unit's other commands (ExecStartPre= and the like)");

  // --- The file system ---
  bool empty_root = !p.root_directory.is_set() || p.root_directory.value->empty();
  if (empty_root) {
    d.comment("zjail's empty root: a read-only tmpfs holding only what the profile binds.");
    d.set("TemporaryFileSystem", "/:ro");
    d.set("MountAPIVFS", "yes");
    d.loss("/sys: systemd mounts it on the tmpfs root (read-only here, ProtectKernelTunables=); zjail's empty root has none");
  } else if (*p.root_directory.value == "/") {
    d.comment("RootDirectory=/: the host's root, read-only but for the binds.");
    d.set("ReadOnlyPaths", "/");
  } else {
    d.set("RootDirectory", unit_value(*p.root_directory.value));
    d.set("ReadOnlyPaths", "/");
  }
  // The unit's own path lists name the host's layout, which the jail need
  // not have: a missing path would fail the unit.
  for (const char* k : {"ReadWritePaths", "ReadOnlyPaths", "InaccessiblePaths", "ExecPaths", "NoExecPaths"}) d.reset(k);
  if (empty_root) {
    // systemd keeps one mount per path: ProtectSystem='s read-only / would
    // take the tmpfs root's place and show the host's whole tree (seen on
    // systemd 252). The tmpfs root is read-only already.
    d.comment("ProtectSystem=no: its read-only / would replace the tmpfs root with the host's.");
    d.set("ProtectSystem", "no");
  } else if (!p.sandbox.protect_system.is_set()) {
    d.set("ProtectSystem", "no");
  }
  if (!p.sandbox.protect_home.is_set()) d.set("ProtectHome", "no");
  // A bind and a tmpfs on one path: zjail mounts both, the tmpfs last
  // (network-service empties /bin, which base-service binds); systemd keeps
  // one mount per path, the bind. So the bind is left out.
  std::set<string> tmpfs_targets;
  for (const auto& t : p.tmpfs) tmpfs_targets.insert(t.value.target);
  string bind_key, bind_words;
  Origin bind_origin;
  auto flush = [&] {
    if (!bind_words.empty()) d.set(bind_key, bind_words);
    bind_words.clear();
  };
  for (const auto& item : p.binds) {
    const Bind& b = item.value;
    string target = b.target.empty() ? b.source : b.target;
    if (tmpfs_targets.count(target)) continue;
    string spec = (b.optional ? "-" : "") + b.source;
    if (target != b.source || !b.recursive) spec += ":" + target;
    if (!b.recursive) spec += ":norbind";
    string key = b.read_only ? "BindReadOnlyPaths" : "BindPaths";
    if (key != bind_key || item.origin.file != bind_origin.file || item.origin.line != bind_origin.line) flush();
    bind_key = key;
    bind_origin = item.origin;
    bind_words += (bind_words.empty() ? "" : " ") + unit_value(quote_word(spec));
  }
  flush();
  // systemd executes the command by its path in the jail; zjail through a
  // descriptor opened outside, so the profile need not show it.
  if (!src.req.command.empty() && !src.req.command[0].empty() && src.req.command[0][0] == '/')
    d.set("BindReadOnlyPaths", unit_value(src.req.command[0]));
  // Type=notify: zjail relays the payload's notifications (notify.hpp);
  // here the payload reaches systemd's socket itself.
  if (!p.root_directory.is_set() || *p.root_directory.value != "/")
    d.set("BindReadOnlyPaths", "-/run/systemd/notify");
  // MountAPIVFS='s /run is an empty tmpfs anyone may write to; zjail's
  // empty root has a read-only one. A read-only tmpfs takes its place,
  // unless the profile mounts its own there.
  if (empty_root && !tmpfs_targets.count("/run")) d.set("TemporaryFileSystem", "/run:ro");
  // The service directories zjail makes and binds in: systemd makes them
  // too, and they are bound so that they are there on the empty root.
  for (const auto& dir : plan.identity.directories)
    d.set(dir.chown ? "BindPaths" : "BindReadOnlyPaths", unit_value(dir.host_path()));
  d.set("PrivateTmp", p.sandbox.private_tmp.is_set()
                          ? (*p.sandbox.private_tmp.value == PrivateTmp::No ? "no"
                             : *p.sandbox.private_tmp.value == PrivateTmp::Yes ? "yes" : "disconnected")
                          : (empty_root ? "yes" : "no"));
  // zjail's /dev is always its own: null, zero, full, random, urandom, tty,
  // pts, ptmx, shm, as PrivateDevices= makes it.
  d.set("PrivateDevices", "yes");
  const char* protect_proc = "invisible";
  if (p.protect_proc.is_set()) {
    switch (*p.protect_proc.value) {
      case ProtectProc::Default: protect_proc = "default"; break;
      case ProtectProc::Invisible: protect_proc = "invisible"; break;
      case ProtectProc::Noaccess: protect_proc = "noaccess"; break;
      case ProtectProc::Ptraceable: protect_proc = "ptraceable"; break;
    }
  }
  d.set("ProtectProc", protect_proc);
  // zjail's /proc: the kernel's knobs read-only, what leaks or pokes the
  // host's kernel masked.
  d.set("ProtectKernelTunables", "yes");
  d.set("InaccessiblePaths",
        "-/proc/sysrq-trigger -/proc/kcore -/proc/kallsyms -/proc/keys -/proc/timer_list "
        "-/proc/latency_stats -/proc/sched_debug -/proc/acpi -/proc/scsi");
  if (string_view(protect_proc) != "default")
    d.set("InaccessiblePaths", "-/proc/cmdline -/proc/bootconfig -/proc/key-users -/proc/config.gz -/proc/consoles");
  d.set("ProtectControlGroups", "yes");
  d.loss("zjail's cgroup namespace shows the payload its own cgroup as /; ProtectControlGroups=yes "
         "leaves the host's tree visible, read-only");

  // --- Namespaces ---
  bool private_net = p.private_network.value.value_or(true);
  d.set("PrivateNetwork", private_net ? "yes" : "no");
  d.set("PrivateIPC", "yes");
  d.set("PrivatePIDs", "yes");
  // zjail's UTS namespace always; its name only from systemd 258 on.
  string hostname = p.hostname.value.value_or("zjail");
  if (d.version() >= 258) {
    d.set("ProtectHostname", "private:" + hostname);
  } else {
    d.set("ProtectHostname", "yes");
    d.loss("Hostname=" + hostname + ": zjail names the jail's UTS namespace; ProtectHostname=private:NAME is systemd 258");
  }
  d.set("RestrictNamespaces", "yes");
  d.set("KeyringMode", "private");

  // --- Privileges ---
  d.set("NoNewPrivileges", "yes");
  d.reset("CapabilityBoundingSet");
  string bounding = cap_names(plan.bounding, plan.last_cap);
  if (!bounding.empty()) d.set("CapabilityBoundingSet", bounding);
  d.reset("AmbientCapabilities");
  string ambient = cap_names(plan.ambient, plan.last_cap);
  if (!ambient.empty()) d.set("AmbientCapabilities", ambient);
  if (!ambient.empty())
    d.loss("zjail's capabilities count in its user namespace only; under PrivateUsers= here they "
           "do the same, but ExecStartPre= and the like share them");

  // RestrictAddressFamilies=, and zjail's vsock rule.
  std::vector<string> families;
  for (const auto& [k, v] : shown)
    if (k == "RestrictAddressFamilies") families.push_back(v);
  bool allow_families = p.security.restrict_address_families.is_set && !p.security.restrict_address_families.invert;
  bool none = p.security.address_families_none.value.value_or(false);
  for (const auto& v : families) d.set("RestrictAddressFamilies", v);
  if (!none && !allow_families) d.set("RestrictAddressFamilies", "~AF_VSOCK");

  syscall_filter(d, src);
  if (p.restrict_io_uring.value.value_or(true))
    d.comment("io_uring stays closed (zjail's RestrictIOUring=yes): its calls are refused above.");

  // --- Everything else --show writes, as it is ---
  for (const auto& [k, v] : shown) {
    if (kWrittenHere.count(k)) continue;
    if (k == "ProtectSystem" && empty_root) continue;  // above
    if (k == "RestrictAbstractUnixSockets" || k == "RestrictSignals" || k == "LandlockRequired" ||
        k == "ListenViaBind" || k == "KeepTerminal" || k == "SocketConnectAllow" || k == "SocketConnectDeny") {
      d.loss(k + "=" + v + ": zjail's own (Landlock or the launch); systemd has no such directive");
      continue;
    }
    // The resource limits take no specifiers: their '%' is a share.
    bool share = k == "MemoryHigh" || k == "MemoryMax" || k == "MemorySwapMax" || k == "TasksMax" || k == "CPUQuota";
    d.set(k, share ? v : unit_value(v));
  }
  if (!p.restrict_abstract_unix_sockets.is_set() && !p.restrict_signals.is_set())
    d.loss("Landlock scopes (RestrictAbstractUnixSockets=, RestrictSignals=, on by default): abstract unix "
           "sockets and signals outside the payload stay reachable as the namespaces allow");
  if (plan.landlock.handled_fs)
    d.loss("Landlock path rules: zjail's second layer under the mounts; systemd has the mounts only");
  if (p.resources.any_limit() && !p.resources.enforce_strict.value.value_or(true))
    d.loss("EnforceLimits=best-effort: systemd enforces the limits or fails the unit");

  if (!d.bad().empty()) return make_error(Step::Plan, EINVAL, "export --format systemd: " + d.bad());

  // --- The text ---
  std::ostringstream out;
  string profiles;
  for (const auto& n : src.req.profile_names) profiles += (profiles.empty() ? "" : " ") + comment_text(n);
  out << "# " << unit << ".d/zjail-export.conf: zjail's profile " << (profiles.empty() ? "(none)" : profiles)
      << ",\n# written for systemd " << d.version() << " by `zjail export --format systemd`, to run "
      << unit << "\n# natively without zjail. Install it in /etc/systemd/system/" << unit
      << ".d/ instead of zjail's drop-in.\n";
  if (p.description.is_set()) out << "# " << comment_text(*p.description.value) << "\n";
  auto sockets = socket_unit(shown);
  if (!sockets.empty()) {
    out << "#\n# The profile's sockets are a socket unit's: install " << base
        << ".socket with these lines\n# (the service gets them as zjail's payload does, from fd 3 on):\n";
    out << "#   [Socket]\n";
    for (const auto& s : sockets) out << "#   " << comment_text(s) << "\n";
  }
  if (!d.losses().empty()) {
    out << "#\n# What systemd cannot express here (zjail enforces it, this drop-in does not):\n";
    for (const auto& l : d.losses()) out << "#   - " << l << "\n";
  }
  out << "\n";
  if (!sockets.empty()) out << "[Unit]\nRequires=" << base << ".socket\nAfter=" << base << ".socket\n\n";
  out << "[Service]\n";
  for (const auto& l : d.lines()) out << l << "\n";
  return out.str();
}

}  // namespace zjail::exporting
