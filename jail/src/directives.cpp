// The directive table: one row per directive, its name and the function that
// parses and applies its value. Every value is validated here, so that a bad
// profile fails with "file:line: ..." before anything is planned.
#include "directives.hpp"
#include "foreign_directives.hpp"
#include "show.hpp"
#include "listen.hpp"

#include <sys/resource.h>

#include <algorithm>
#include <cctype>
#include <cstring>
#include <set>

#include "zjail/caps.hpp"
#include "zjail/parser.hpp"
#include "zjail/suggest.hpp"
#include "zjail/syscalls.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Error invalid(const Assignment& a, string_view value, string_view expected) {
  return profile_error(a.origin, "invalid value '" + string(value) + "' for " + string(a.key) +
                                     "=: " + string(expected));
}

Error invalid(const Assignment& a, string_view expected) { return invalid(a, a.value, expected); }

string upper(string_view s) {
  string out(s);
  for (char& c : out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  return out;
}

constexpr const char* kPathExpected = "expected an absolute path without '..'";

// The empty assignment: back to the default.
template <class T>
Status reset(T& x) {
  x = T{};
  return {};
}


// --- Scalars ---------------------------------------------------------------

template <Setting<bool> Profile::*M>
Status bool_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.*M);
  auto b = parse_bool(a.value);
  if (!b) return invalid(a, "expected a boolean");
  assign(p.*M, *b, a.origin);
  return {};
}

template <Setting<string> Profile::*M>
Status path_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.*M);
  if (!valid_path(a.value)) return invalid(a, kPathExpected);
  assign(p.*M, string(a.value), a.origin);
  return {};
}

template <Setting<string> Profile::*M>
Status name_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.*M);
  if (!valid_user_name(a.value)) return invalid(a, "expected a user or group name, or a numeric id");
  assign(p.*M, string(a.value), a.origin);
  return {};
}

Status description(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.description);
  assign(p.description, string(a.value), a.origin);
  return {};
}

Status hostname(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.hostname);
  if (!valid_hostname(a.value)) return invalid(a, "expected 1 to 64 characters of A-Z, a-z, 0-9, '.' and '-'");
  assign(p.hostname, string(a.value), a.origin);
  return {};
}

Status proc_subset(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.proc_subset);
  if (a.value == "all") assign(p.proc_subset, ProcSubset::All, a.origin);
  else if (a.value == "pid") assign(p.proc_subset, ProcSubset::Pid, a.origin);
  else return invalid(a, "expected 'all' or 'pid'");
  return {};
}

Status protect_proc(Profile& p, const Assignment& a) {
  static const std::pair<const char*, ProtectProc> kValues[] = {
      {"default", ProtectProc::Default}, {"invisible", ProtectProc::Invisible},
      {"noaccess", ProtectProc::Noaccess}, {"ptraceable", ProtectProc::Ptraceable}};
  if (a.value.empty()) return reset(p.protect_proc);
  for (const auto& [name, v] : kValues) {
    if (a.value != name) continue;
    assign(p.protect_proc, v, a.origin);
    return {};
  }
  return invalid(a, "expected 'default', 'invisible', 'noaccess' or 'ptraceable'");
}

Status no_new_privileges(Profile&, const Assignment& a) {
  if (a.value.empty()) return {};
  auto b = parse_bool(a.value);
  if (!b) return invalid(a, "expected a boolean");
  if (!*b)
    return invalid(a, "zjail always sets no_new_privs: without it a setuid or file-capability "
                      "binary in the jail would regain the privileges the jail dropped");
  return {};
}

// --- Errors and architectures ----------------------------------------------

// The errno names glibc knows, and the aliases it names by their other
// spelling. Walked on demand rather than kept in a table: a profile names an
// errno once, and a supervisor would carry the table for the jail's life.
template <class F>
void each_errno(F&& f) {
  for (int e = 1; e < 4096; ++e)
    if (const char* n = strerrorname_np(e)) f(std::string_view(n), e);
  f("EWOULDBLOCK", EWOULDBLOCK);
  f("EDEADLOCK", EDEADLOCK);
  f("ENOTSUP", ENOTSUP);
}

Status syscall_error_number(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.system_call_error_number);
  SyscallAction act;
  uint64_t n = 0;
  if (a.value == "kill") {
    act.kind = SyscallAction::Kill;
  } else if (a.value == "log") {
    act.kind = SyscallAction::Log;
  } else if (parse_uint(a.value, n)) {
    if (n < 1 || n > 4095) return invalid(a, "an error number is between 1 and 4095");
    act = {SyscallAction::Errno, static_cast<int>(n)};
  } else {
    int err = 0;
    each_errno([&](std::string_view name, int e) {
      if (!err && name == a.value) err = e;
    });
    if (!err) {
      std::vector<string> names;
      each_errno([&](std::string_view name, int) { names.emplace_back(name); });
      return invalid(a, "expected an errno name such as EPERM, a number, 'kill' or 'log'" +
                            did_you_mean(a.value, names));
    }
    act = {SyscallAction::Errno, err};
  }
  assign(p.system_call_error_number, act, a.origin);
  return {};
}

#if defined(__x86_64__)
constexpr const char* kNativeArch = "x86-64";
#elif defined(__aarch64__)
constexpr const char* kNativeArch = "arm64";
#else
constexpr const char* kNativeArch = "native";
#endif

Status syscall_architectures(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.system_call_architectures);
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  for (const auto& w : words)
    if (w != "native" && w != kNativeArch)
      return invalid(a, w, string("only 'native' (") + kNativeArch +
                               ") is supported: other ABIs would be a way around the filter");
  for (const auto& w : words) {
    auto& list = p.system_call_architectures;
    if (std::none_of(list.begin(), list.end(), [&](const auto& i) { return i.value == w; }))
      list.push_back({w, a.origin});
  }
  return {};
}

// --- Capability and syscall lists -------------------------------------------

Result<string> check_capability(const Assignment& a, const string& word) {
  if (auto cap = capability_from_name(word)) return upper(capability_name(*cap));
  std::vector<string> names;
  for (const auto& n : capability_names()) names.push_back(upper(n));
  string probe = upper(word);
  if (probe.rfind("CAP_", 0) != 0) probe = "CAP_" + probe;
  return profile_error(a.origin, "unknown capability '" + word + "'" + did_you_mean(probe, names));
}

Result<string> check_syscall(const Assignment& a, const string& word) {
  if (word.find(':') != string::npos)
    return profile_error(a.origin, "'" + word + "' in " + string(a.key) +
                                       "=: per-call error numbers are not supported; "
                                       "use SystemCallErrorNumber=");
  bool group = !word.empty() && word[0] == '@';
  if (group ? find_syscall_group(word) != nullptr : syscall_known(word)) return word;
  std::vector<string> names;
  for (auto& n : syscall_name_candidates())
    if (!n.empty() && (n[0] == '@') == group) names.push_back(std::move(n));
  return profile_error(a.origin, string(group ? "unknown syscall group '" : "unknown system call '") +
                                     word + "'" + did_you_mean(word, names));
}

void add_unique(std::vector<Item<string>>& list, const string& name, const Origin& o) {
  if (std::none_of(list.begin(), list.end(), [&](const auto& i) { return i.value == name; }))
    list.push_back({name, o});
}

Result<std::set<string>> expand(const Assignment& a, const std::vector<string>& names) {
  auto r = expand_syscalls(names);
  if (!r) return std::move(r).error().wrap(Step::Profile, a.origin.str());
  return r;
}

// Keeps what `name` allows minus `drop`: a group untouched by `drop` stays a
// group, one wholly inside it goes, and one it cuts into is replaced by its
// members, each treated the same way. Members this architecture does not know
// are left out, as they would be from the filter.
Status subtract(const Assignment& a, const Origin& o, const string& name, const std::set<string>& drop,
                std::vector<Item<string>>& out, int depth = 0) {
  if (name.empty() || name[0] != '@') {
    if (!drop.count(name) && syscall_known(name)) add_unique(out, name, o);
    return {};
  }
  ZJAIL_TRY_ASSIGN(auto members, expand(a, {name}));
  size_t hit = std::count_if(members.begin(), members.end(), [&](const string& m) { return drop.count(m) > 0; });
  if (hit == 0) {
    add_unique(out, name, o);
    return {};
  }
  if (hit == members.size()) return {};
  const SyscallGroup* g = find_syscall_group(name);
  if (!g || depth >= 16)
    return profile_error(a.origin, "cannot take system calls out of " + name + ": groups nest too deep");
  for (const char* m : g->members) ZJAIL_TRY(subtract(a, o, m, drop, out, depth + 1));
  return {};
}

// systemd's list semantics: "" resets; the first assignment after that fixes
// the polarity (a leading '~' makes it a deny list); later assignments of the
// same polarity add names, of the opposite polarity remove them. System call
// lists remove by expansion (subtract above), other lists name by name.
Status name_list(NameList& list, const Assignment& a, NameCheck check, bool syscalls) {
  if (a.value.empty()) return reset(list);
  bool invert = a.value[0] == '~';
  Assignment rest{a.key, trim(a.value.substr(invert ? 1 : 0)), a.origin};
  ZJAIL_TRY_ASSIGN(auto words, words_of(rest));
  std::vector<string> names;
  for (const auto& w : words) {
    ZJAIL_TRY_ASSIGN(auto n, check(a, w));
    names.push_back(std::move(n));
  }
  bool first = !list.is_set;
  if (first) {
    list.is_set = true;
    list.invert = invert;
    // An allow list starts with what every program needs, as systemd's does
    // (@default; see docs/systemd.md for what that is in each version).
    if (syscalls && !invert && a.key == "SystemCallFilter") add_unique(list.names, "@default", a.origin);
  }
  if (invert == list.invert) {
    for (const auto& n : names) add_unique(list.names, n, a.origin);
  } else if (!syscalls) {
    std::erase_if(list.names, [&](const auto& i) {
      return std::find(names.begin(), names.end(), i.value) != names.end();
    });
  } else {
    ZJAIL_TRY_ASSIGN(auto drop, expand(a, names));
    for (const auto& n : names) list.removed.push_back({n, a.origin});
    std::vector<Item<string>> kept;
    for (const auto& i : list.names) ZJAIL_TRY(subtract(a, i.origin, i.value, drop, kept));
    list.names = std::move(kept);
  }
  return {};
}

template <NameList Profile::*M>
Status capability_list(Profile& p, const Assignment& a) {
  return name_list(p.*M, a, check_capability, false);
}

template <NameList Profile::*M>
Status syscall_list(Profile& p, const Assignment& a) {
  return name_list(p.*M, a, check_syscall, true);
}

// --- File system ------------------------------------------------------------

Status bind_paths(Profile& p, const Assignment& a, bool read_only) {
  if (a.value.empty()) {
    std::erase_if(p.binds, [&](const auto& i) { return i.value.read_only == read_only; });
    return {};
  }
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  std::vector<Bind> binds;
  for (string_view w : words) {
    Bind b;
    b.read_only = read_only;
    if (!w.empty() && w[0] == '-') {
      b.optional = true;
      w.remove_prefix(1);
    }
    size_t c1 = w.find(':');
    size_t c2 = c1 == string_view::npos ? c1 : w.find(':', c1 + 1);
    b.source = string(w.substr(0, c1));
    b.target = c1 == string_view::npos ? b.source : string(w.substr(c1 + 1, c2 - c1 - 1));
    if (c2 != string_view::npos) {
      string_view opt = w.substr(c2 + 1);
      if (opt == "norbind") b.recursive = false;
      else if (opt != "rbind") return invalid(a, w, "the bind option is 'rbind' or 'norbind'");
    }
    if (!valid_path(b.source) || !valid_path(b.target))
      return invalid(a, w, "expected [-]SOURCE[:TARGET[:rbind|norbind]] with absolute paths without '..'");
    binds.push_back(std::move(b));
  }
  for (auto& b : binds) p.binds.push_back({std::move(b), a.origin});
  return {};
}

Status bind_rw(Profile& p, const Assignment& a) { return bind_paths(p, a, false); }
Status bind_ro(Profile& p, const Assignment& a) { return bind_paths(p, a, true); }

bool valid_tmpfs_options(string_view opts) {
  static const std::set<string_view> kFlags = {"ro", "rw", "nosuid", "nodev", "noexec"};
  static const std::set<string_view> kKeyed = {"mode", "size", "nr_blocks", "nr_inodes",
                                               "uid", "gid", "huge", "mpol"};
  size_t i = 0;
  while (i <= opts.size()) {
    size_t j = std::min(opts.find(',', i), opts.size());
    string_view kv = opts.substr(i, j - i);
    size_t eq = kv.find('=');
    string_view k = kv.substr(0, eq), v = eq == string_view::npos ? "" : kv.substr(eq + 1);
    if (eq == string_view::npos ? !kFlags.count(k) : (!kKeyed.count(k) || v.empty())) return false;
    if (k == "mode" && (v.size() > 4 || v.find_first_not_of("01234567") != string_view::npos))
      return false;
    // What the kernel's tmpfs parser takes: sizes with a suffix or a
    // percentage of RAM, ids as numbers, the huge page policies by name.
    auto number = [](string_view n, bool percent) {
      size_t d = 0;
      while (d < n.size() && std::isdigit(static_cast<unsigned char>(n[d]))) ++d;
      string_view rest = n.substr(d);
      return d > 0 && (rest.empty() || (rest.size() == 1 && string_view("kKmMgGtTpPeE").find(rest) != string_view::npos) ||
                       (percent && rest == "%"));
    };
    if (k == "size" && !number(v, true)) return false;
    if ((k == "nr_blocks" || k == "nr_inodes") && !number(v, false)) return false;
    if ((k == "uid" || k == "gid") && v.find_first_not_of("0123456789") != string_view::npos) return false;
    if (k == "huge" && v != "never" && v != "always" && v != "within_size" && v != "advise" && v != "deny" &&
        v != "force")
      return false;
    i = j + 1;
  }
  return true;
}

Status temporary_file_system(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.tmpfs);
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  std::vector<Tmpfs> mounts;
  for (string_view w : words) {
    size_t colon = w.find(':');
    Tmpfs t{string(w.substr(0, colon)), colon == string_view::npos ? "" : string(w.substr(colon + 1))};
    if (!valid_path(t.target)) return invalid(a, w, kPathExpected);
    if (colon != string_view::npos && !valid_tmpfs_options(t.options))
      return invalid(a, w, "options are a comma-separated list of mode=OCTAL, size=, nr_inodes=, "
                           "nr_blocks=, uid=, gid=, huge=, mpol=, ro, rw, nosuid, nodev, noexec");
    mounts.push_back(std::move(t));
  }
  for (auto& t : mounts) p.tmpfs.push_back({std::move(t), a.origin});
  return {};
}

// --- Sockets ----------------------------------------------------------------

// The grammar lives with the code that binds (listen.cpp); a socket path must
// also be a clean absolute path.
bool valid_listen_address(const string& s) {
  ListenAddress addr;
  return parse_listen_address(s, addr) && (s[0] != '/' || valid_path(s));
}

Status bind_ipv6_only(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.bind_ipv6_only);
  if (a.value == "default") assign(p.bind_ipv6_only, Profile::Ipv6Only::Default, a.origin);
  else if (a.value == "both") assign(p.bind_ipv6_only, Profile::Ipv6Only::Both, a.origin);
  else if (a.value == "ipv6-only") assign(p.bind_ipv6_only, Profile::Ipv6Only::Ipv6Only, a.origin);
  else return invalid(a, "expected 'default', 'both' or 'ipv6-only'");
  return {};
}

void show_bind_ipv6_only(ShowWriter& w, const Profile& p) {
  scalar(w, "BindIPv6Only", p.bind_ipv6_only, [](Profile::Ipv6Only v) {
    switch (v) {
      case Profile::Ipv6Only::Default: return string("default");
      case Profile::Ipv6Only::Both: return string("both");
      case Profile::Ipv6Only::Ipv6Only: return string("ipv6-only");
    }
    return string("default");
  });
}

template <std::vector<Item<string>> Profile::*M>
Status listen_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return reset(p.*M);
  string addr(a.value);
  if (!valid_listen_address(addr))
    return invalid(a, "expected PORT, IPV4:PORT, [IPV6]:PORT or an absolute socket path");
  (p.*M).push_back({addr, a.origin});
  return {};
}

// --- Word lists: groups and environment ----------------------------------------

enum class WordCheck { UserName, EnvName, EnvAssignment, EnvNameOrAssignment };

bool check_word(WordCheck c, const string& w) {
  size_t eq = w.find('=');
  switch (c) {
    case WordCheck::UserName: return valid_user_name(w);
    case WordCheck::EnvName: return valid_env_name(w);
    case WordCheck::EnvAssignment: return eq != string::npos && valid_env_name(string_view(w).substr(0, eq));
    case WordCheck::EnvNameOrAssignment: return valid_env_name(string_view(w).substr(0, eq));
  }
  return false;
}

template <std::vector<Item<string>> Profile::*M, WordCheck C>
Status word_list(Profile& p, const Assignment& a) {
  static constexpr const char* kExpected[] = {
      "expected user or group names, or numeric ids",
      "expected environment variable names",
      "expected KEY=VALUE words (quote a value with spaces: \"KEY=a b\")",
      "expected environment variable names or KEY=VALUE words"};
  if (a.value.empty()) return reset(p.*M);
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  for (const auto& w : words)
    if (!check_word(C, w)) return invalid(a, w, kExpected[static_cast<int>(C)]);
  for (auto& w : words) (p.*M).push_back({std::move(w), a.origin});
  return {};
}

// --- Resource limits ----------------------------------------------------------

enum class LimitKind { Count, Bytes, Seconds, Usec, Nice };

bool parse_limit_value(string_view s, LimitKind kind, rlim_t& out) {
  if (s == "infinity") {
    out = RLIM_INFINITY;
    return true;
  }
  uint64_t v = 0;
  switch (kind) {
    case LimitKind::Count: if (!parse_uint(s, v)) return false; break;
    case LimitKind::Bytes: if (!parse_size(s, v)) return false; break;
    case LimitKind::Usec: if (!parse_time_usec(s, 1, v)) return false; break;
    case LimitKind::Seconds:
      if (!parse_time_usec(s, 1000000, v)) return false;
      v = v / 1000000 + (v % 1000000 != 0);  // rounded up, as systemd does
      break;
    case LimitKind::Nice:
      // "+5"/"-5" is a nice level (RLIMIT_NICE = 20 - nice); a bare number is raw.
      if (!s.empty() && (s[0] == '+' || s[0] == '-')) {
        uint64_t level = 0;
        if (!parse_uint(s.substr(1), level) || level > 20 || (s[0] == '+' && level > 19)) return false;
        v = s[0] == '+' ? 20 - level : 20 + level;
      } else if (!parse_uint(s, v) || v > 40) {
        return false;
      }
      break;
  }
  out = static_cast<rlim_t>(v);
  return true;
}

template <int R, LimitKind K>
Status limit_directive(Profile& p, const Assignment& a) {
  static constexpr const char* kExpected[] = {
      "expected a number, SOFT:HARD or 'infinity'",
      "expected a size in bytes (suffixes K, M, G, T, P, E are powers of 1024), SOFT:HARD or 'infinity'",
      "expected seconds (or a time with a unit: 500ms, 10s, 5min, 1h), SOFT:HARD or 'infinity'",
      "expected microseconds (or a time with a unit: 500ms, 10s), SOFT:HARD or 'infinity'",
      "expected a nice level with its sign (-20..+19), a raw limit 0..40, SOFT:HARD or 'infinity'"};
  if (a.value.empty()) {
    p.limits.erase(R);
    return {};
  }
  size_t colon = a.value.find(':');
  Limit l;
  l.directive = a.key;
  if (!parse_limit_value(a.value.substr(0, colon), K, l.soft))
    return invalid(a, kExpected[static_cast<int>(K)]);
  l.hard = l.soft;
  if (colon != string_view::npos && !parse_limit_value(a.value.substr(colon + 1), K, l.hard))
    return invalid(a, kExpected[static_cast<int>(K)]);
  if (l.soft > l.hard) return invalid(a, "the soft limit is above the hard limit");
  p.limits[R] = {l, a.origin};
  return {};
}

// --- The table ----------------------------------------------------------------

const std::vector<Directive> kDirectives = {
    {"Description", description},
    {"Include", nullptr},
    {"User", name_directive<&Profile::user>},
    {"Group", name_directive<&Profile::group>},
    {"SupplementaryGroups", word_list<&Profile::supplementary_groups, WordCheck::UserName>, Directive::Merge::Accumulate},
    {"RootDirectory", path_directive<&Profile::root_directory>},
    {"BindPaths", bind_rw, Directive::Merge::Accumulate},
    {"BindReadOnlyPaths", bind_ro, Directive::Merge::Accumulate},
    {"TemporaryFileSystem", temporary_file_system, Directive::Merge::Accumulate},
    {"ProcSubset", proc_subset},
    {"ProtectProc", protect_proc},
    {"WorkingDirectory", path_directive<&Profile::working_directory>},
    {"PrivateNetwork", bool_directive<&Profile::private_network>},
    {"Hostname", hostname},
    {"ListenStream", listen_directive<&Profile::listen_stream>, Directive::Merge::Accumulate},
    {"ListenDatagram", listen_directive<&Profile::listen_datagram>, Directive::Merge::Accumulate},
    {"BindIPv6Only", bind_ipv6_only, Directive::Merge::Replace, show_bind_ipv6_only},
    {"ListenViaBind", bool_directive<&Profile::listen_via_bind>},
    {"CapabilityBoundingSet", capability_list<&Profile::capability_bounding_set>, Directive::Merge::Ordered},
    {"AmbientCapabilities", capability_list<&Profile::ambient_capabilities>, Directive::Merge::Ordered},
    {"NoNewPrivileges", no_new_privileges},
    {"SystemCallFilter", syscall_list<&Profile::system_call_filter>, Directive::Merge::Ordered},
    {"SystemCallErrorNumber", syscall_error_number},
    {"SystemCallArchitectures", syscall_architectures, Directive::Merge::Accumulate},
    {"SystemCallLog", syscall_list<&Profile::system_call_log>, Directive::Merge::Ordered},
    {"RestrictIOUring", bool_directive<&Profile::restrict_io_uring>},
    {"RestrictAbstractUnixSockets", bool_directive<&Profile::restrict_abstract_unix_sockets>},
    {"RestrictSignals", bool_directive<&Profile::restrict_signals>},
    {"LandlockRequired", bool_directive<&Profile::landlock_required>},
    {"LimitCPU", limit_directive<RLIMIT_CPU, LimitKind::Seconds>},
    {"LimitFSIZE", limit_directive<RLIMIT_FSIZE, LimitKind::Bytes>},
    {"LimitDATA", limit_directive<RLIMIT_DATA, LimitKind::Bytes>},
    {"LimitSTACK", limit_directive<RLIMIT_STACK, LimitKind::Bytes>},
    {"LimitCORE", limit_directive<RLIMIT_CORE, LimitKind::Bytes>},
    {"LimitRSS", limit_directive<RLIMIT_RSS, LimitKind::Bytes>},
    {"LimitNOFILE", limit_directive<RLIMIT_NOFILE, LimitKind::Count>},
    {"LimitAS", limit_directive<RLIMIT_AS, LimitKind::Bytes>},
    {"LimitNPROC", limit_directive<RLIMIT_NPROC, LimitKind::Count>},
    {"LimitMEMLOCK", limit_directive<RLIMIT_MEMLOCK, LimitKind::Bytes>},
    {"LimitLOCKS", limit_directive<RLIMIT_LOCKS, LimitKind::Count>},
    {"LimitSIGPENDING", limit_directive<RLIMIT_SIGPENDING, LimitKind::Count>},
    {"LimitMSGQUEUE", limit_directive<RLIMIT_MSGQUEUE, LimitKind::Bytes>},
    {"LimitNICE", limit_directive<RLIMIT_NICE, LimitKind::Nice>},
    {"LimitRTPRIO", limit_directive<RLIMIT_RTPRIO, LimitKind::Count>},
    {"LimitRTTIME", limit_directive<RLIMIT_RTTIME, LimitKind::Usec>},
    {"Environment", word_list<&Profile::environment, WordCheck::EnvAssignment>, Directive::Merge::Ordered},
    {"PassEnvironment", word_list<&Profile::pass_environment, WordCheck::EnvName>, Directive::Merge::Accumulate},
    {"UnsetEnvironment", word_list<&Profile::unset_environment, WordCheck::EnvNameOrAssignment>, Directive::Merge::Accumulate},
    {"KeepTerminal", bool_directive<&Profile::keep_terminal>},
};

}  // namespace

Error invalid_value(const Assignment& a, string_view expected) { return invalid(a, expected); }

Error invalid_word(const Assignment& a, string_view word, string_view expected) { return invalid(a, word, expected); }

Status name_list_directive(NameList& list, const Assignment& a, NameCheck check) {
  return name_list(list, a, check, false);
}

const std::vector<Directive>& directive_table() {
  static const std::vector<Directive> all = [] {
    std::vector<Directive> t = kDirectives;
    for (const auto* part : {&resource_directives(), &sandbox_directives(), &security_directives(),
                             &identity_directives(), &network_directives()})
      t.insert(t.end(), part->begin(), part->end());
    return t;
  }();
  return all;
}

const Directive* find_directive(string_view name) {
  for (const auto& d : directive_table())
    if (name == d.name) return &d;
  return nullptr;
}

std::vector<string> directive_names() {
  std::vector<string> names;
  for (const auto& d : directive_table()) names.emplace_back(d.name);
  return names;
}

Status apply_directive(Profile& into, string_view key, string_view value, const Origin& origin) {
  key = trim(key);
  const Directive* d = find_directive(key);
  if (!d) {
    if (auto instead = foreign_directive(key))
      return profile_error(origin, string(key) + "= is systemd's, not supported by zjail: " + string(*instead));
    return profile_error(origin, "unknown directive '" + string(key) + "'" +
                                     did_you_mean(key, directive_names()));
  }
  if (!d->parse)
    return profile_error(origin, string(key) + "= can only be used in a profile file");
  return d->parse(into, Assignment{d->name, trim(value), origin});
}

}  // namespace zjail
