// Kernel interfaces and process properties (RestrictAddressFamilies=,
// MemoryDenyWriteExecute=, Nice=, ...), with systemd's value syntax and list
// semantics. Kept apart from directives.cpp: they fill Profile::security,
// which plan_security.cpp turns into filter rules and launch steps. Values
// that systemd logs and ignores are errors here: a sandbox directive that
// silently did nothing would be a hole.
#include <arpa/inet.h>
#include <linux/ioprio.h>
#include <linux/securebits.h>
#include <sched.h>
#include <sys/personality.h>

#include <algorithm>
#include <type_traits>

#include "directives.hpp"
#include "scope.hpp"
#include "show.hpp"
#include "zjail/suggest.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Security& sec(Profile& p) { return p.security; }

// A decimal integer with an optional sign, within [lo, hi].
bool parse_int(string_view s, int lo, int hi, int& out) {
  bool negative = !s.empty() && s[0] == '-';
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) s.remove_prefix(1);
  uint64_t v = 0;
  if (!parse_uint(s, v) || v > 100000) return false;
  long n = negative ? -static_cast<long>(v) : static_cast<long>(v);
  if (n < lo || n > hi) return false;
  out = static_cast<int>(n);
  return true;
}

template <class T>
using Table = std::vector<std::pair<const char*, T>>;

template <class T>
const T* lookup(const Table<T>& table, string_view v) {
  for (const auto& e : table)
    if (v == e.first) return &e.second;
  return nullptr;
}

template <class T>
string name_of(const Table<T>& table, T v) {
  for (const auto& e : table)
    if (e.second == v) return e.first;
  if constexpr (std::is_arithmetic_v<T>) return std::to_string(v);
  return "";
}

template <class T>
string one_of(const Table<T>& table) {
  string out = "expected ";
  for (size_t i = 0; i < table.size(); ++i)
    out += string(i == 0 ? "" : i + 1 == table.size() ? " or " : ", ") + "'" + table[i].first + "'";
  return out;
}

// A name from `table`; with `numbers`, also the number of one of its values
// (systemd's numeric fallback).
template <class T>
Status named(Setting<T>& s, const Table<T>& table, const Assignment& a, bool numbers = false) {
  if (a.value.empty()) return s = {}, Status{};
  const T* v = lookup(table, a.value);
  uint64_t n = 0;
  if (!v && numbers && parse_uint(a.value, n))
    for (const auto& e : table)
      if (static_cast<uint64_t>(e.second) == n) v = &e.second;
  if (!v) return invalid_value(a, one_of(table));
  assign(s, *v, a.origin);
  return {};
}

// --- Booleans ----------------------------------------------------------------

template <Setting<bool> Security::*M>
Status flag(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).*M = {}, Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid_value(a, "expected a boolean");
  assign(sec(p).*M, *b, a.origin);
  return {};
}

// --- RestrictAddressFamilies= ---------------------------------------------------

// The kernel's socket families (include/linux/socket.h), by the names systemd
// reads; an alias shows as the first name of its number.
const Table<int> kFamilies = {
    {"AF_UNIX", 1},       {"AF_LOCAL", 1},     {"AF_FILE", 1},       {"AF_INET", 2},        {"AF_AX25", 3},
    {"AF_IPX", 4},        {"AF_APPLETALK", 5}, {"AF_NETROM", 6},     {"AF_BRIDGE", 7},      {"AF_ATMPVC", 8},
    {"AF_X25", 9},        {"AF_INET6", 10},    {"AF_ROSE", 11},      {"AF_DECnet", 12},     {"AF_NETBEUI", 13},
    {"AF_SECURITY", 14},  {"AF_KEY", 15},      {"AF_NETLINK", 16},   {"AF_ROUTE", 16},      {"AF_PACKET", 17},
    {"AF_ASH", 18},       {"AF_ECONET", 19},   {"AF_ATMSVC", 20},    {"AF_RDS", 21},        {"AF_SNA", 22},
    {"AF_IRDA", 23},      {"AF_PPPOX", 24},    {"AF_WANPIPE", 25},   {"AF_LLC", 26},        {"AF_IB", 27},
    {"AF_MPLS", 28},      {"AF_CAN", 29},      {"AF_TIPC", 30},      {"AF_BLUETOOTH", 31},  {"AF_IUCV", 32},
    {"AF_RXRPC", 33},     {"AF_ISDN", 34},     {"AF_PHONET", 35},    {"AF_IEEE802154", 36}, {"AF_CAIF", 37},
    {"AF_ALG", 38},       {"AF_NFC", 39},      {"AF_VSOCK", 40},     {"AF_KCM", 41},        {"AF_QIPCRTR", 42},
    {"AF_SMC", 43},       {"AF_XDP", 44},      {"AF_MCTP", 45},
};

Result<string> check_family(const Assignment& a, const string& word) {
  if (const int* af = lookup(kFamilies, word)) return name_of(kFamilies, *af);
  std::vector<string> names;
  for (const auto& e : kFamilies) names.emplace_back(e.first);
  return profile_error(a.origin, "unknown address family '" + word + "' in " + string(a.key) + "=" +
                                     did_you_mean(word, names));
}

Status restrict_address_families(Profile& p, const Assignment& a) {
  Security& s = sec(p);
  if (a.value == "none") {
    s.restrict_address_families = {};
    assign(s.address_families_none, true, a.origin);
    return {};
  }
  s.address_families_none = {};
  return name_list_directive(s.restrict_address_families, a, check_family);
}

void show_address_families(ShowWriter& w, const Profile& p) {
  const Security& s = p.security;
  if (s.address_families_none.is_set()) w.set(s.address_families_none.origin, "RestrictAddressFamilies", "none");
  else name_list(w, "RestrictAddressFamilies", s.restrict_address_families, "AF_UNIX");
}

// --- RestrictNamespaces= ----------------------------------------------------------

const Table<uint64_t> kNamespaces = {
    {"cgroup", CLONE_NEWCGROUP}, {"ipc", CLONE_NEWIPC}, {"net", CLONE_NEWNET},   {"mnt", CLONE_NEWNS},
    {"pid", CLONE_NEWPID},       {"user", CLONE_NEWUSER}, {"uts", CLONE_NEWUTS}, {"time", CLONE_NEWTIME},
};

uint64_t all_namespaces() {
  uint64_t all = 0;
  for (const auto& e : kNamespaces) all |= e.second;
  return all;
}

// systemd's semantics: a boolean replaces what came before (yes: none
// allowed); the first list sets the allowed types (~: all but those), later
// lists add (or, with ~, take away) types.
Status restrict_namespaces(Profile& p, const Assignment& a) {
  Setting<uint64_t>& s = sec(p).restrict_namespaces;
  if (a.value.empty()) return s = {}, Status{};
  if (auto b = parse_bool(a.value)) {
    assign(s, *b ? uint64_t{0} : all_namespaces(), a.origin);
    return {};
  }
  bool invert = a.value[0] == '~';
  Assignment rest{a.key, trim(a.value.substr(invert ? 1 : 0)), a.origin};
  ZJAIL_TRY_ASSIGN(auto words, words_of(rest));
  uint64_t flags = 0;
  for (const auto& w : words) {
    const uint64_t* f = lookup(kNamespaces, w);
    if (!f) return invalid_word(a, w, "expected a boolean or namespace types: " + one_of(kNamespaces).substr(9));
    flags |= *f;
  }
  uint64_t allowed = s.is_set() ? *s.value : invert ? all_namespaces() : 0;
  allowed = invert ? allowed & ~flags : allowed | flags;
  assign(s, allowed, a.origin);
  return {};
}

void show_namespaces(ShowWriter& w, const Profile& p) {
  scalar(w, "RestrictNamespaces", p.security.restrict_namespaces, [](uint64_t allowed) {
    if (allowed == 0) return string("yes");
    if (allowed == all_namespaces()) return string("no");
    string out;
    for (const auto& e : kNamespaces)
      if (allowed & e.second) out += (out.empty() ? "" : " ") + string(e.first);
    return out;
  });
}

// --- ProtectHostname= ---------------------------------------------------------------

Status protect_hostname(Profile& p, const Assignment& a) {
  Setting<HostnameProtection>& s = sec(p).protect_hostname;
  if (a.value.empty()) return s = {}, Status{};
  string_view v = a.value;
  HostnameProtection h;
  size_t colon = v.find(':');
  string_view mode = v.substr(0, colon);
  if (colon != string_view::npos) {
    h.name = string(v.substr(colon + 1));
    if (!valid_hostname(h.name))
      return invalid_value(a, "the host name after ':' is 1 to 64 characters of A-Z, a-z, 0-9, '.' and '-'");
  }
  if (mode == "private") h.mode = HostnameProtection::Private;
  else if (auto b = parse_bool(mode)) h.mode = *b ? HostnameProtection::Yes : HostnameProtection::No;
  else return invalid_value(a, "expected a boolean or 'private', optionally followed by ':HOSTNAME'");
  if (h.mode == HostnameProtection::No && colon != string_view::npos)
    return invalid_value(a, "a host name needs 'yes' or 'private' before it");
  assign(s, h, a.origin);
  return {};
}

void show_protect_hostname(ShowWriter& w, const Profile& p) {
  scalar(w, "ProtectHostname", p.security.protect_hostname, [](const HostnameProtection& h) {
    string mode = h.mode == HostnameProtection::Private ? "private" : h.mode == HostnameProtection::Yes ? "yes" : "no";
    return h.name.empty() ? mode : mode + ":" + h.name;
  });
}

// --- Credentials and the execution domain --------------------------------------------

const Table<KeyringMode> kKeyringModes = {
    {"inherit", KeyringMode::Inherit}, {"private", KeyringMode::Private}, {"shared", KeyringMode::Shared}};

const Table<unsigned> kSecureBits = {
    {"keep-caps", 1u << SECURE_KEEP_CAPS},
    {"keep-caps-locked", 1u << SECURE_KEEP_CAPS_LOCKED},
    {"no-setuid-fixup", 1u << SECURE_NO_SETUID_FIXUP},
    {"no-setuid-fixup-locked", 1u << SECURE_NO_SETUID_FIXUP_LOCKED},
    {"noroot", 1u << SECURE_NOROOT},
    {"noroot-locked", 1u << SECURE_NOROOT_LOCKED},
};

// Assignments OR their bits together; "" resets to none.
Status secure_bits(Profile& p, const Assignment& a) {
  Setting<unsigned>& s = sec(p).secure_bits;
  if (a.value.empty()) return s = {}, Status{};
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  unsigned bits = s.value.value_or(0);
  for (const auto& w : words) {
    const unsigned* b = lookup(kSecureBits, w);
    if (!b) return invalid_word(a, w, one_of(kSecureBits));
    bits |= *b;
  }
  assign(s, bits, a.origin);
  return {};
}

void show_secure_bits(ShowWriter& w, const Profile& p) {
  scalar(w, "SecureBits", p.security.secure_bits, [](unsigned bits) {
    string out;
    for (const auto& e : kSecureBits)
      if (bits & e.second) out += (out.empty() ? "" : " ") + string(e.first);
    return out;
  });
}

// The ABIs uname(2) can report here, as systemd names architectures: the
// native one and its 32-bit counterpart.
#if defined(__x86_64__)
const Table<unsigned long> kPersonalities = {{"x86-64", PER_LINUX}, {"x86", PER_LINUX32}};
#elif defined(__aarch64__)
const Table<unsigned long> kPersonalities = {{"arm64", PER_LINUX}, {"arm", PER_LINUX32}};
#else
const Table<unsigned long> kPersonalities = {};
#endif

Status personality_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).personality = {}, Status{};
  const unsigned long* v = lookup(kPersonalities, a.value);
  if (!v) return invalid_value(a, one_of(kPersonalities) + " (this machine's own ABI and its 32-bit counterpart)");
  assign(sec(p).personality, *v, a.origin);
  return {};
}

// --- Scheduling ------------------------------------------------------------------------

template <Setting<int> Security::*M, int Lo, int Hi>
Status ranged(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).*M = {}, Status{};
  int v = 0;
  if (!parse_int(a.value, Lo, Hi, v))
    return invalid_value(a, "expected an integer from " + std::to_string(Lo) + " to " + std::to_string(Hi));
  assign(sec(p).*M, v, a.origin);
  return {};
}

const Table<int> kSchedPolicies = {
    {"other", SCHED_OTHER}, {"batch", SCHED_BATCH}, {"idle", SCHED_IDLE}, {"fifo", SCHED_FIFO}, {"rr", SCHED_RR}};

Status cpu_scheduling_policy(Profile& p, const Assignment& a) {
  return named(sec(p).cpu_scheduling_policy, kSchedPolicies, a, true);
}

const Table<int> kIoClasses = {{"none", IOPRIO_CLASS_NONE},
                               {"realtime", IOPRIO_CLASS_RT},
                               {"best-effort", IOPRIO_CLASS_BE},
                               {"idle", IOPRIO_CLASS_IDLE}};

// An empty IOSchedulingClass= or IOSchedulingPriority= resets both.
Status io_scheduling_class(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).io_scheduling_class = {}, sec(p).io_scheduling_priority = {}, Status{};
  return named(sec(p).io_scheduling_class, kIoClasses, a, true);
}

Status io_scheduling_priority(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).io_scheduling_class = {}, sec(p).io_scheduling_priority = {}, Status{};
  return ranged<&Security::io_scheduling_priority, 0, 7>(p, a);
}

// CPU indices and ranges, separated by spaces or commas; assignments merge.
Status cpu_affinity(Profile& p, const Assignment& a) {
  Setting<string>& s = sec(p).cpu_affinity;
  if (a.value.empty()) return s = {}, Status{};
  if (a.value == "numa") return invalid_value(a, "'numa' takes the CPUs of NUMAMask=, which zjail does not support");
  string list(a.value);
  std::replace_if(list.begin(), list.end(), [](char c) { return c == ' ' || c == '\t'; }, ',');
  if (!cpuset_mask(list) || list.find_first_not_of("0123456789,-") != string::npos ||
      list.find_first_of("0123456789") == string::npos)
    return invalid_value(a, "expected CPU numbers and ranges, such as 0-3 6");
  assign(s, s.is_set() ? *s.value + "," + list : list, a.origin);
  return {};
}

// --- Socket bind and connect rules --------------------------------------------

// [ipv4:|ipv6:][tcp:|udp:](PORT|PORT-PORT|any), or just "any".
bool valid_socket_bind(string_view v) {
  if (v == "any") return true;
  std::vector<string_view> parts;
  for (size_t i = 0;;) {
    size_t j = v.find(':', i);
    parts.push_back(v.substr(i, j == string_view::npos ? string_view::npos : j - i));
    if (j == string_view::npos) break;
    i = j + 1;
  }
  if (parts.size() > 3) return false;
  size_t k = 0;
  if (parts.size() > 1 && (parts[k] == "ipv4" || parts[k] == "ipv6")) ++k;
  if (k + 1 < parts.size() && (parts[k] == "tcp" || parts[k] == "udp")) ++k;
  if (k + 1 != parts.size()) return false;
  string_view ports = parts[k];
  if (ports == "any") return true;
  size_t dash = ports.find('-');
  int lo = 0, hi = 0;
  if (!parse_int(ports.substr(0, dash), 0, 65535, lo)) return false;
  if (dash == string_view::npos) return true;
  return parse_int(ports.substr(dash + 1), lo, 65535, hi);
}

template <std::vector<Item<string>> Security::*M>
Status socket_bind(Profile& p, const Assignment& a) {
  if (a.value.empty()) return (sec(p).*M).clear(), Status{};
  if (!valid_socket_bind(a.value) || a.value.find_first_of("+ \t") != string_view::npos)
    return invalid_value(a, "expected [ipv4:|ipv6:][tcp:|udp:]PORT, a range PORT-PORT, or 'any'");
  (sec(p).*M).push_back({string(a.value), a.origin});
  return {};
}

// SocketConnect*=: the bind rules' syntax, for TCP only (Landlock sees the
// port of a TCP connect(); nothing sees a UDP sendto()'s without a filter
// on every datagram).
template <std::vector<Item<string>> Security::*M>
Status socket_connect(Profile& p, const Assignment& a) {
  if (a.value.empty()) return (sec(p).*M).clear(), Status{};
  if (!valid_socket_bind(a.value) || a.value.find_first_of("+ \t") != string_view::npos ||
      a.value.find("udp") != string_view::npos)
    return invalid_value(a, "expected [ipv4:|ipv6:][tcp:]PORT, a range PORT-PORT, or 'any' (TCP only)");
  (sec(p).*M).push_back({string(a.value), a.origin});
  return {};
}


// --- Show -------------------------------------------------------------------------------

string number(int v) { return std::to_string(v); }

template <class T>
auto by_name(const Table<T>& table) {
  return [&table](T v) { return name_of(table, v); };
}

}  // namespace

int address_family_number(string_view name) {
  const int* af = lookup(kFamilies, name);
  return af ? *af : -1;
}

const std::vector<Directive>& security_directives() {
  using S = ShowWriter;
  using P = Profile;
  constexpr auto Ordered = Directive::Merge::Ordered;
  constexpr auto Accumulate = Directive::Merge::Accumulate;
  static const std::vector<Directive> table = {
      {"RestrictAddressFamilies", restrict_address_families, Ordered, show_address_families},
      {"RestrictNamespaces", restrict_namespaces, Ordered, show_namespaces},
      {"LockPersonality", flag<&Security::lock_personality>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "LockPersonality", p.security.lock_personality); }},
      {"MemoryDenyWriteExecute", flag<&Security::memory_deny_write_execute>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "MemoryDenyWriteExecute", p.security.memory_deny_write_execute); }},
      {"RestrictRealtime", flag<&Security::restrict_realtime>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "RestrictRealtime", p.security.restrict_realtime); }},
      {"RestrictSUIDSGID", flag<&Security::restrict_suid_sgid>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "RestrictSUIDSGID", p.security.restrict_suid_sgid); }},
      {"ProtectClock", flag<&Security::protect_clock>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "ProtectClock", p.security.protect_clock); }},
      {"ProtectHostname", protect_hostname, Directive::Merge::Replace, show_protect_hostname},
      {"PrivateIPC", flag<&Security::private_ipc>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "PrivateIPC", p.security.private_ipc); }},
      {"PrivatePIDs", flag<&Security::private_pids>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "PrivatePIDs", p.security.private_pids); }},
      {"RemoveIPC", flag<&Security::remove_ipc>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "RemoveIPC", p.security.remove_ipc); }},
      {"KeyringMode", [](P& p, const Assignment& a) { return named(p.security.keyring_mode, kKeyringModes, a); },
       Directive::Merge::Replace,
       [](S& w, const P& p) { scalar(w, "KeyringMode", p.security.keyring_mode, by_name(kKeyringModes)); }},
      {"SecureBits", secure_bits, Accumulate, show_secure_bits},
      {"Personality", personality_directive, Directive::Merge::Replace,
       [](S& w, const P& p) { scalar(w, "Personality", p.security.personality, by_name(kPersonalities)); }},
      {"Nice", ranged<&Security::nice, -20, 19>, Directive::Merge::Replace,
       [](S& w, const P& p) { scalar(w, "Nice", p.security.nice, number); }},
      {"OOMScoreAdjust", ranged<&Security::oom_score_adjust, -1000, 1000>, Directive::Merge::Replace,
       [](S& w, const P& p) { scalar(w, "OOMScoreAdjust", p.security.oom_score_adjust, number); }},
      {"CPUSchedulingPolicy", cpu_scheduling_policy, Directive::Merge::Replace,
       [](S& w, const P& p) {
         scalar(w, "CPUSchedulingPolicy", p.security.cpu_scheduling_policy, by_name(kSchedPolicies));
       }},
      {"CPUSchedulingPriority", ranged<&Security::cpu_scheduling_priority, 0, 99>, Directive::Merge::Replace,
       [](S& w, const P& p) { scalar(w, "CPUSchedulingPriority", p.security.cpu_scheduling_priority, number); }},
      {"CPUSchedulingResetOnFork", flag<&Security::cpu_scheduling_reset_on_fork>, Directive::Merge::Replace,
       [](S& w, const P& p) { boolean(w, "CPUSchedulingResetOnFork", p.security.cpu_scheduling_reset_on_fork); }},
      {"IOSchedulingClass", io_scheduling_class, Ordered,
       [](S& w, const P& p) { scalar(w, "IOSchedulingClass", p.security.io_scheduling_class, by_name(kIoClasses)); }},
      {"IOSchedulingPriority", io_scheduling_priority, Ordered,
       [](S& w, const P& p) { scalar(w, "IOSchedulingPriority", p.security.io_scheduling_priority, number); }},
      {"CPUAffinity", cpu_affinity, Accumulate, [](S& w, const P& p) { text(w, "CPUAffinity", p.security.cpu_affinity); }},
      {"SocketBindAllow", socket_bind<&Security::socket_bind_allow>, Accumulate,
       [](S& w, const P& p) {
         for (const auto& i : p.security.socket_bind_allow) w.set(i.origin, "SocketBindAllow", i.value);
       }},
      {"SocketBindDeny", socket_bind<&Security::socket_bind_deny>, Accumulate,
       [](S& w, const P& p) {
         for (const auto& i : p.security.socket_bind_deny) w.set(i.origin, "SocketBindDeny", i.value);
       }},
      {"SocketConnectAllow", socket_connect<&Security::socket_connect_allow>, Accumulate,
       [](S& w, const P& p) {
         for (const auto& i : p.security.socket_connect_allow) w.set(i.origin, "SocketConnectAllow", i.value);
       }},
      {"SocketConnectDeny", socket_connect<&Security::socket_connect_deny>, Accumulate,
       [](S& w, const P& p) {
         for (const auto& i : p.security.socket_connect_deny) w.set(i.origin, "SocketConnectDeny", i.value);
       }},
  };
  return table;
}

}  // namespace zjail
