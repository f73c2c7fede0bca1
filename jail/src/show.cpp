// `zjail --show`: the resolved profile in profile syntax, each value preceded
// by the file:line that set it. Reading the output back with
// load_profile_text gives the same profile.
#include "directives.hpp"
#include "zjail/parser.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

class Writer {
 public:
  // One word of a list: consecutive words with the same origin share a line,
  // the way they were most likely written.
  void word(const Origin& o, string_view key, string_view prefix, string_view word) {
    if (key == key_ && o.file == origin_.file && o.line == origin_.line) {
      out_.insert(out_.size() - 1, " " + string(word));
      return;
    }
    set(o, key, string(prefix) + string(word));
    key_ = key;
    origin_ = o;
  }
  void comment(const string& text) {
    out_ += "# " + text + "\n";
    key_ = {};
  }
  void raw(string_view key, string_view value) {
    out_ += string(key) + "=" + string(value) + "\n";
    key_ = {};
  }
  void set(const Origin& o, string_view key, string_view value) {
    comment("set at " + o.str());
    raw(key, value);
  }
  string take() { return std::move(out_); }

 private:
  string out_ = "[Jail]\n";
  string_view key_;  // the directive and origin of the last line, while words may join it
  Origin origin_;
};

template <class T, class F>
void scalar(Writer& w, const char* key, const Setting<T>& s, F format) {
  if (s.is_set()) w.set(s.origin, key, format(*s.value));
}

void text(Writer& w, const char* key, const Setting<string>& s) {
  scalar(w, key, s, [](const string& v) { return v; });
}

void boolean(Writer& w, const char* key, const Setting<bool>& s) {
  scalar(w, key, s, [](bool b) { return string(b ? "yes" : "no"); });
}

void words(Writer& w, const char* key, const std::vector<Item<string>>& items) {
  for (const auto& i : items) w.word(i.origin, key, "", quote_word(i.value));
}

// `sample`: a name that validates, for the one list state that needs two lines.
void name_list(Writer& w, const char* key, const NameList& l, const char* sample) {
  if (!l.is_set) return;
  const char* prefix = l.invert ? "~" : "";
  for (const auto& i : l.names) w.word(i.origin, key, prefix, quote_word(i.value));
  if (!l.names.empty()) return;
  if (l.invert) {
    w.comment("a deny list of nothing");
    w.raw(key, "~");
  } else {
    // "Key=" would reset the list to unset, which is not the same thing.
    w.comment("an allow list emptied by removals");
    w.raw(key, sample);
    w.raw(key, string("~") + sample);
  }
}

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
  Writer w;
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
  boolean(w, "PrivateTmp", p.private_tmp);
  scalar(w, "ProcSubset", p.proc_subset, [](ProcSubset s) { return string(proc_subset_name(s)); });
  scalar(w, "ProtectProc", p.protect_proc, [](ProtectProc v) { return string(protect_proc_name(v)); });
  text(w, "WorkingDirectory", p.working_directory);

  boolean(w, "PrivateNetwork", p.private_network);
  text(w, "Hostname", p.hostname);
  for (const auto& i : p.listen_stream) w.set(i.origin, "ListenStream", i.value);
  for (const auto& i : p.listen_datagram) w.set(i.origin, "ListenDatagram", i.value);

  name_list(w, "CapabilityBoundingSet", p.capability_bounding_set, "CAP_CHOWN");
  name_list(w, "AmbientCapabilities", p.ambient_capabilities, "CAP_CHOWN");
  name_list(w, "SystemCallFilter", p.system_call_filter, "read");
  scalar(w, "SystemCallErrorNumber", p.system_call_error_number, syscall_action);
  words(w, "SystemCallArchitectures", p.system_call_architectures);
  name_list(w, "SystemCallLog", p.system_call_log, "read");
  boolean(w, "RestrictIOUring", p.restrict_io_uring);

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
  scalar(w, "MemoryHigh", r.memory_high, amount);
  scalar(w, "MemoryMax", r.memory_max, amount);
  scalar(w, "MemorySwapMax", r.memory_swap_max, amount);
  scalar(w, "TasksMax", r.tasks_max, amount);
  scalar(w, "CPUQuota", r.cpu_quota_per_sec_usec, [](uint64_t v) { return std::to_string(v / 10000) + "%"; });
  scalar(w, "CPUWeight", r.cpu_weight, amount);
  text(w, "AllowedCPUs", r.allowed_cpus);
  scalar(w, "IOWeight", r.io_weight, amount);
  for (const auto& i : r.io_read_bandwidth_max)
    w.set(i.origin, "IOReadBandwidthMax", i.value.path + " " + amount(i.value.bytes_per_sec));
  for (const auto& i : r.io_write_bandwidth_max)
    w.set(i.origin, "IOWriteBandwidthMax", i.value.path + " " + amount(i.value.bytes_per_sec));
  scalar(w, "EnforceLimits", r.enforce_strict, [](bool s) { return string(s ? "strict" : "best-effort"); });
  return w.take();
}

}  // namespace zjail
