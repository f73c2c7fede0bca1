#include "verbose.hpp"

#include <sched.h>
#include <spdlog/spdlog.h>

#include <cctype>
#include <cstring>

#include "zjail/caps.hpp"
#include "zjail/syscalls.hpp"

namespace zjail::cli {
namespace {

std::string namespaces(uint64_t flags) {
  static const std::pair<uint64_t, const char*> kNames[] = {
      {CLONE_NEWUSER, "user"}, {CLONE_NEWPID, "pid"}, {CLONE_NEWNS, "mount"}, {CLONE_NEWNET, "net"},
      {CLONE_NEWUTS, "uts"},   {CLONE_NEWIPC, "ipc"}, {CLONE_NEWTIME, "time"}};
  std::string out;
  for (const auto& [flag, name] : kNames)
    if (flags & flag) out += (out.empty() ? "" : " ") + std::string(name);
  // The cgroup namespace is the init's own step (cgroup-namespace).
  return out.empty() ? "none" : out + " cgroup";
}

std::string capabilities(uint64_t mask, int last) {
  std::string out;
  for (int c = 0; c <= last && c < 64; ++c) {
    if (!(mask & (1ULL << c))) continue;
    std::string n = capability_name(c);
    for (char& ch : n) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
    out += (out.empty() ? "" : " ") + n;
  }
  return out.empty() ? "(none)" : out;
}

std::string filter_summary(const Profile& p) {
  const NameList& f = p.system_call_filter;
  if (!f.is_set) return "SystemCallFilter= unset (only the base filter's rules)";
  std::vector<std::string> names;
  for (const auto& i : f.names) names.push_back(i.value);
  auto calls = expand_syscalls(names);
  size_t n = calls ? calls->size() : 0;
  std::string action = "kill";
  if (p.system_call_error_number.is_set()) {
    const SyscallAction& a = *p.system_call_error_number.value;
    const char* name = a.kind == SyscallAction::Errno ? strerrorname_np(a.err) : nullptr;
    action = a.kind == SyscallAction::Log    ? "log"
             : a.kind == SyscallAction::Kill ? "kill"
             : name                          ? name
                                             : std::to_string(a.err);
  }
  return std::string("SystemCallFilter= ") + (f.invert ? "deny list of " : "allow list of ") + std::to_string(n) +
         " calls, denied calls: " + action;
}

}  // namespace

void log_plan(const Plan& plan, const Profile& profile, int verbosity) {
  if (verbosity < 1) return;
  spdlog::debug("plan: uid {} gid {}{}, namespaces: {}, hostname {}, {} mounts, workdir {}", plan.uid, plan.gid,
                plan.groups.empty() ? "" : " +" + std::to_string(plan.groups.size()) + " groups",
                namespaces(plan.clone_flags), plan.hostname, plan.mounts.size(), plan.workdir);
  spdlog::debug("plan: {} passed fds, {} rlimits, ambient capabilities {}", plan.pass_fds.size(),
                plan.rlimits.size(), capabilities(plan.ambient, plan.last_cap));
  const LandlockPlan& ll = plan.landlock;
  std::string applied;
  if (ll.handled_fs) applied += std::to_string(ll.paths.size()) + " path rules";
  if (ll.scoped & kLandlockScopeAbstractUnix) applied += std::string(applied.empty() ? "" : ", ") + "abstract unix sockets scoped";
  if (ll.scoped & kLandlockScopeSignal) applied += std::string(applied.empty() ? "" : ", ") + "signals scoped";
  if (ll.handle_bind_tcp)
    applied += std::string(applied.empty() ? "" : ", ") + "TCP bind to " + landlock_ports_text(ll.bind_ports);
  if (ll.handle_connect_tcp)
    applied += std::string(applied.empty() ? "" : ", ") + "TCP connect to " + landlock_ports_text(ll.connect_ports);
  spdlog::debug("Landlock ABI {}: {}", ll.abi, applied.empty() ? "nothing applied" : applied);
  for (const auto& m : ll.missing) spdlog::debug("Landlock: not applied, this kernel lacks {}", m);
  if (verbosity < 2) return;
  for (const auto& m : plan.mounts) spdlog::trace("mount: {}", describe_mount(m));
  auto one_line = [](std::string map) {
    if (map.empty()) return std::string("(none)");
    while (map.back() == '\n') map.pop_back();
    for (char& c : map)
      if (c == '\n') c = ',';
    return map;
  };
  spdlog::trace("id maps: uid {}; gid {}", one_line(plan.idmap.uid_map), one_line(plan.idmap.gid_map));
  spdlog::trace("capabilities: bounding set {}", capabilities(plan.bounding, plan.last_cap));
  size_t total = 0;
  for (const auto& f : plan.seccomp) total += f.size();
  std::string sandbox;
  const Sandbox& s = profile.sandbox;
  for (auto [flag, calls] : {std::pair{&s.private_devices, "@raw-io"}, {&s.protect_kernel_modules, "@module"},
                             {&s.protect_kernel_logs, "syslog"}})
    if (flag->value.value_or(false)) sandbox += std::string(sandbox.empty() ? "" : " ") + calls;
  if (!sandbox.empty()) sandbox = "; the sandbox directives' filter denies " + sandbox + " (EPERM)";
  spdlog::trace("seccomp: {} filters, {} instructions ({} base); {}{}", plan.seccomp.size(), total,
                plan.seccomp.empty() ? 0 : plan.seccomp.front().size(), filter_summary(profile), sandbox);
  if (!plan.seccomp_notify.empty())
    spdlog::trace("seccomp: attached as one filter of {} instructions, every denial explained by zjail",
                  plan.seccomp_notify.size());
  else if (plan.namespaces)
    spdlog::warn("denials unexplained: kernel.yama.ptrace_scope=3 forbids zjail to take the payload's seccomp "
                 "listener; the filters act on their own");
}

void log_cgroup(const JailCgroup& cg, int verbosity) {
  if (verbosity < 1) return;
  switch (cg.mode()) {
    case CgroupMode::None: spdlog::debug("cgroup: none (no limits asked for)"); break;
    case CgroupMode::Delegated: spdlog::debug("cgroup: delegated leaf {}", cg.path()); break;
    case CgroupMode::Scope: spdlog::debug("cgroup: a transient systemd scope, asked for after clone"); break;
  }
}

void Timings::mark(const char* phase) {
  if (!on_) return;
  auto now = std::chrono::steady_clock::now();
  phases_.emplace_back(phase, std::chrono::duration<double, std::milli>(now - last_).count());
  last_ = now;
}

void Timings::log() const {
  if (!on_) return;
  std::string line;
  for (const auto& [name, ms] : phases_) line += fmt::format("{}{} {:.2f} ms", line.empty() ? "" : ", ", name, ms);
  double total = std::chrono::duration<double, std::milli>(last_ - start_).count();
  spdlog::trace("timing: {}; {:.2f} ms from start to the payload's execve", line, total);
}

}  // namespace zjail::cli
