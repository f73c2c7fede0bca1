// `zjail --show`: the resolved profile in profile syntax, each value preceded
// by the file:line that set it. Reading the output back with
// load_profile_text gives the same profile.
#include "directives.hpp"
#include "show.hpp"
#include "zjail/network.hpp"
#include "zjail/network_setup.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

string bind_spec(const Bind& b) {
  string target = b.target.empty() ? b.source : b.target;
  string s = (b.optional ? "-" : "") + b.source;
  if (target != b.source || !b.recursive) s += ":" + target;
  if (!b.recursive) s += ":norbind";
  return quote_word(s);
}

string limit_value(rlim_t v) { return v == RLIM_INFINITY ? "infinity" : std::to_string(v); }

string syscall_action(const SyscallAction& a) {
  switch (a.kind) {
    case SyscallAction::Kill: return "kill";
    case SyscallAction::Log: return "log";
    case SyscallAction::Errno: break;
  }
  string name = errno_name(a.err);
  return name.empty() ? std::to_string(a.err) : name;
}

const char* proc_subset_name(ProcSubset s) { return s == ProcSubset::Pid ? "pid" : "all"; }

const char* protect_proc_name(ProtectProc p) {
  switch (p) {
    case ProtectProc::Default: return "default";
    case ProtectProc::Invisible: return "invisible";
    case ProtectProc::Noaccess: return "noaccess";
    case ProtectProc::Ptraceable: return "ptraceable";
  }
  return "default";
}

}  // namespace

string show_profile(const Profile& p) {
  ShowWriter w;
  text(w, "Description", p.description);
  text(w, "User", p.user);
  text(w, "Group", p.group);
  words(w, "SupplementaryGroups", p.supplementary_groups);

  text(w, "RootDirectory", p.root_directory);
  for (const auto& i : p.binds)
    w.word(i.origin, i.value.read_only ? "BindReadOnlyPaths" : "BindPaths", "", bind_spec(i.value));
  for (const auto& i : p.tmpfs) {
    string spec = i.value.target + (i.value.options.empty() ? "" : ":" + i.value.options);
    w.word(i.origin, "TemporaryFileSystem", "", quote_word(spec));
  }
  scalar(w, "ProcSubset", p.proc_subset, [](ProcSubset s) { return string(proc_subset_name(s)); });
  scalar(w, "ProtectProc", p.protect_proc, [](ProtectProc v) { return string(protect_proc_name(v)); });
  text(w, "WorkingDirectory", p.working_directory);

  boolean(w, "PrivateNetwork", p.private_network);
  text(w, "Hostname", p.hostname);
  for (const auto& i : p.listen_stream) w.set(i.origin, "ListenStream", i.value);
  for (const auto& i : p.listen_datagram) w.set(i.origin, "ListenDatagram", i.value);
  boolean(w, "ListenViaBind", p.listen_via_bind);

  name_list(w, "CapabilityBoundingSet", p.capability_bounding_set, "CAP_CHOWN");
  name_list(w, "AmbientCapabilities", p.ambient_capabilities, "CAP_CHOWN");
  name_list(w, "SystemCallFilter", p.system_call_filter, "read", "@default");
  scalar(w, "SystemCallErrorNumber", p.system_call_error_number, syscall_action);
  words(w, "SystemCallArchitectures", p.system_call_architectures);
  name_list(w, "SystemCallLog", p.system_call_log, "read");
  boolean(w, "RestrictIOUring", p.restrict_io_uring);
  boolean(w, "RestrictAbstractUnixSockets", p.restrict_abstract_unix_sockets);
  boolean(w, "RestrictSignals", p.restrict_signals);
  boolean(w, "LandlockRequired", p.landlock_required);

  for (const auto& [resource, item] : p.limits) {
    const Limit& l = item.value;
    string v = limit_value(l.soft);
    if (l.hard != l.soft) v += ":" + limit_value(l.hard);
    w.set(item.origin, l.directive, v);
  }
  words(w, "Environment", p.environment);
  words(w, "PassEnvironment", p.pass_environment);
  words(w, "UnsetEnvironment", p.unset_environment);
  boolean(w, "KeepTerminal", p.keep_terminal);

  const Resources& r = p.resources;
  auto amount = [](uint64_t v) { return v == kLimitInfinity ? string("infinity") : std::to_string(v); };
  text(w, "Slice", r.slice);
  // A share of the host as written: the same profile on another host.
  auto share = [&](const char* key) {
    return [&r, amount, key](uint64_t v) {
      auto it = r.as_share.find(key);
      return it == r.as_share.end() ? amount(v) : it->second;
    };
  };
  scalar(w, "MemoryHigh", r.memory_high, share("MemoryHigh"));
  scalar(w, "MemoryMax", r.memory_max, share("MemoryMax"));
  scalar(w, "MemorySwapMax", r.memory_swap_max, amount);
  scalar(w, "TasksMax", r.tasks_max, share("TasksMax"));
  scalar(w, "CPUQuota", r.cpu_quota_per_sec_usec, [](uint64_t v) {
    uint64_t permyriad = v / 100;
    string out = std::to_string(permyriad / 100);
    if (uint64_t cents = permyriad % 100) out += cents % 10 ? "." + std::to_string(100 + cents).substr(1) : "." + std::to_string(cents / 10);
    return out + "%";
  });
  scalar(w, "CPUWeight", r.cpu_weight, amount);
  text(w, "AllowedCPUs", r.allowed_cpus);
  scalar(w, "IOWeight", r.io_weight, amount);
  for (const auto& i : r.io_read_bandwidth_max)
    w.set(i.origin, "IOReadBandwidthMax", i.value.path + " " + amount(i.value.bytes_per_sec));
  for (const auto& i : r.io_write_bandwidth_max)
    w.set(i.origin, "IOWriteBandwidthMax", i.value.path + " " + amount(i.value.bytes_per_sec));
  scalar(w, "EnforceLimits", r.enforce_strict, [](bool s) { return string(s ? "strict" : "best-effort"); });
  // Directives whose table row says how to show them (directives_*.cpp).
  for (const auto& d : directive_table())
    if (d.show) d.show(w, p);
  // What a network the profile builds will look like (docs/network.md).
  if (network_mode(p) != NetworkMode::Private && network_mode(p) != NetworkMode::Host)
    for (const auto& line : describe_network(p)) w.comment(line);
  return w.take();
}

}  // namespace zjail
