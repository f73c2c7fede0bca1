// systemd's directive names that are not zjail's, each with what to do
// instead. A unit's [Service] lines pasted into a profile meet these first:
// "unknown directive" would read as a typo, when the line is systemd's and
// belongs elsewhere (the unit), is inherited through zjail anyway, or names
// something zjail does another way. The directive table is asked first, so
// a name zjail implements never reaches this table.
#include "foreign_directives.hpp"

#include <array>

namespace zjail {
namespace {

constexpr std::string_view kUnit =
    "belongs to the unit that runs zjail, not to the profile: keep it in the unit";
constexpr std::string_view kCommand =
    "the command is zjail's own argument: ExecStart=zjail --profile NAME COMMAND, in the unit";
constexpr std::string_view kStreams =
    "zjail passes the payload the unit's standard streams and journal connection: keep it in the unit";
constexpr std::string_view kInherited =
    "set it in the unit that runs zjail: the jail's processes inherit it";
constexpr std::string_view kImage =
    "zjail mounts no disk images: mount the image on the host and use RootDirectory= or BindReadOnlyPaths=";
constexpr std::string_view kMac =
    "zjail sets no LSM label; it confines with namespaces, seccomp and Landlock";
constexpr std::string_view kAlways =
    "every jail has mounts and an IPC namespace of its own; drop the line";
constexpr std::string_view kBpf =
    "it needs systemd's BPF programs, which zjail does not load";
constexpr std::string_view kCgroup =
    "set it on the unit that runs zjail: a delegated unit's jail lives in its cgroup";

struct Foreign {
  std::string_view name;
  std::string_view instead;
};

// Sorted by name within each group; the test checks that no entry is also
// a zjail directive.
constexpr std::array kForeign = {
    // [Unit] and [Install].
    Foreign{"After", kUnit}, Foreign{"Alias", kUnit}, Foreign{"Also", kUnit}, Foreign{"Before", kUnit},
    Foreign{"BindsTo", kUnit}, Foreign{"Conflicts", kUnit}, Foreign{"DefaultDependencies", kUnit},
    Foreign{"DefaultInstance", kUnit}, Foreign{"Documentation", kUnit}, Foreign{"OnFailure", kUnit},
    Foreign{"OnSuccess", kUnit}, Foreign{"PartOf", kUnit}, Foreign{"RequiredBy", kUnit},
    Foreign{"Requires", kUnit}, Foreign{"Requisite", kUnit}, Foreign{"StartLimitBurst", kUnit},
    Foreign{"StartLimitIntervalSec", kUnit}, Foreign{"StopWhenUnneeded", kUnit}, Foreign{"Upholds", kUnit},
    Foreign{"WantedBy", kUnit}, Foreign{"Wants", kUnit},
    // [Service]: how systemd runs and supervises the process.
    Foreign{"BusName", kUnit}, Foreign{"ExitType", kUnit}, Foreign{"FileDescriptorStoreMax", kUnit},
    Foreign{"GuessMainPID", kUnit}, Foreign{"KillMode", kUnit}, Foreign{"KillSignal", kUnit},
    Foreign{"NotifyAccess", kUnit}, Foreign{"OOMPolicy", kUnit}, Foreign{"PIDFile", kUnit},
    Foreign{"RemainAfterExit", kUnit}, Foreign{"Restart", kUnit}, Foreign{"RestartForceExitStatus", kUnit},
    Foreign{"RestartPreventExitStatus", kUnit}, Foreign{"RestartSec", kUnit}, Foreign{"RuntimeMaxSec", kUnit},
    Foreign{"SendSIGHUP", kUnit}, Foreign{"SendSIGKILL", kUnit}, Foreign{"Sockets", kUnit},
    Foreign{"SuccessExitStatus", kUnit}, Foreign{"TimeoutSec", kUnit}, Foreign{"TimeoutStartSec", kUnit},
    Foreign{"TimeoutStopSec", kUnit}, Foreign{"Type", kUnit}, Foreign{"WatchdogSec", kUnit},
    Foreign{"ExecCondition", kCommand}, Foreign{"ExecReload", kCommand}, Foreign{"ExecStart", kCommand},
    Foreign{"ExecStartPost", kCommand}, Foreign{"ExecStartPre", kCommand}, Foreign{"ExecStop", kCommand},
    Foreign{"ExecStopPost", kCommand},
    // Standard streams and logging.
    Foreign{"LogExtraFields", kStreams}, Foreign{"LogLevelMax", kStreams}, Foreign{"LogNamespace", kStreams},
    Foreign{"LogRateLimitBurst", kStreams}, Foreign{"LogRateLimitIntervalSec", kStreams},
    Foreign{"StandardError", kStreams}, Foreign{"StandardInput", kStreams}, Foreign{"StandardOutput", kStreams},
    Foreign{"SyslogFacility", kStreams}, Foreign{"SyslogIdentifier", kStreams}, Foreign{"SyslogLevel", kStreams},
    Foreign{"SyslogLevelPrefix", kStreams}, Foreign{"TTYPath", kStreams}, Foreign{"TTYReset", kStreams},
    Foreign{"TTYVHangup", kStreams},
    // Process properties that pass through clone and exec unchanged.
    Foreign{"CoredumpFilter", kInherited}, Foreign{"NUMAMask", kInherited},
    Foreign{"NUMAPolicy", kInherited}, Foreign{"TimerSlackNSec", kInherited},
    // Sandboxing done another way, or not at all.
    Foreign{"ExtensionDirectories", kImage}, Foreign{"ExtensionImages", kImage}, Foreign{"MountImages", kImage},
    Foreign{"RootHash", kImage}, Foreign{"RootHashSignature", kImage}, Foreign{"RootImage", kImage},
    Foreign{"RootImageOptions", kImage}, Foreign{"RootVerity", kImage},
    Foreign{"AppArmorProfile", kMac}, Foreign{"SELinuxContext", kMac}, Foreign{"SmackProcessLabel", kMac},
    Foreign{"IPCNamespacePath", kAlways}, Foreign{"MountFlags", kAlways}, Foreign{"PrivateMounts", kAlways},
    Foreign{"BPFProgram", kBpf}, Foreign{"IPEgressFilterPath", kBpf}, Foreign{"IPIngressFilterPath", kBpf},
    Foreign{"RestrictFileSystems", kBpf},
    // Resource control zjail leaves to the unit.
    Foreign{"CPUAccounting", kCgroup}, Foreign{"Delegate", kCgroup}, Foreign{"DisableControllers", kCgroup},
    Foreign{"IOAccounting", kCgroup}, Foreign{"IPAccounting", kCgroup}, Foreign{"ManagedOOMMemoryPressure", kCgroup},
    Foreign{"ManagedOOMSwap", kCgroup}, Foreign{"MemoryAccounting", kCgroup},
    Foreign{"TasksAccounting", kCgroup},
};

}  // namespace

std::optional<std::string_view> foreign_directive(std::string_view name) {
  for (const auto& f : kForeign)
    if (f.name == name) return f.instead;
  return std::nullopt;
}

std::vector<std::string_view> foreign_directive_names() {
  std::vector<std::string_view> names;
  names.reserve(kForeign.size());
  for (const auto& f : kForeign) names.push_back(f.name);
  return names;
}

}  // namespace zjail
