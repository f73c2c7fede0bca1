// The resolved profile: what the admin asked for, with the file:line that set
// each value so that `zjail --show` can explain it. Parsing lives in
// parser.hpp; turning a Profile into something executable lives in plan.hpp.
#pragma once

#include <sys/resource.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace zjail {

struct Origin {
  std::string file;  // profile path, or "<command line>"
  int line = 0;
  std::string str() const { return file + ":" + std::to_string(line); }
};

// A scalar directive: the last assignment wins, an empty assignment resets.
template <class T>
struct Setting {
  std::optional<T> value;
  Origin origin;
  bool is_set() const { return value.has_value(); }
};

// One entry of a list directive, with where it came from.
template <class T>
struct Item {
  T value;
  Origin origin;
};

// BindPaths= / BindReadOnlyPaths=: "[-]SRC[:DST[:rbind|norbind]]".
struct Bind {
  std::string source;
  std::string target;
  bool read_only = false;
  bool optional = false;   // leading '-': a missing source is skipped
  bool recursive = true;   // rbind (default) or norbind
};

// TemporaryFileSystem=PATH[:OPTIONS], OPTIONS as for mount -t tmpfs.
struct Tmpfs {
  std::string target;
  std::string options;     // e.g. "mode=0755,size=16m"; may be empty
};

// A syscall or capability list in systemd's semantics: a list that starts with
// '~' is a deny list. Assignments accumulate; the first assignment fixes the
// polarity, as in systemd.
struct NameList {
  bool invert = false;                 // true: everything except `names`
  std::vector<Item<std::string>> names;
  bool is_set = false;
  // An allow list's later "~" entries, as written: `names` no longer holds
  // what they took out, and a denial names the line that did.
  std::vector<Item<std::string>> removed;
};

// LimitXXX=soft[:hard], "infinity" allowed.
struct Limit {
  rlim_t soft = RLIM_INFINITY;
  rlim_t hard = RLIM_INFINITY;
  std::string directive;  // the directive that set it: "LimitNOFILE"
};

enum class ProcSubset { All, Pid };
enum class ProtectProc { Default, Invisible, Noaccess, Ptraceable };

// SystemCallErrorNumber=: an errno, or the kill/log actions.
struct SyscallAction {
  enum Kind { Errno, Kill, Log } kind = Kill;
  int err = 0;
};

// Cgroup v2 resource control, with systemd's directive names and units.
inline constexpr uint64_t kLimitInfinity = UINT64_MAX;

struct IoBandwidth {
  std::string path;          // a block device, or any path on the file system to limit
  uint64_t bytes_per_sec = 0;
};

struct Resources {
  Setting<uint64_t> memory_max;      // MemoryMax=, bytes or kLimitInfinity
  Setting<uint64_t> memory_high;     // MemoryHigh=
  Setting<uint64_t> memory_swap_max; // MemorySwapMax=
  Setting<uint64_t> tasks_max;       // TasksMax=
  Setting<uint64_t> cpu_quota_per_sec_usec;  // CPUQuota=20% -> 200000
  Setting<uint64_t> cpu_weight;      // CPUWeight=, 1..10000
  Setting<std::string> allowed_cpus; // AllowedCPUs=, a cpuset list "0-3,6"
  Setting<uint64_t> io_weight;       // IOWeight=, 1..10000
  std::vector<Item<IoBandwidth>> io_read_bandwidth_max;   // IOReadBandwidthMax=
  std::vector<Item<IoBandwidth>> io_write_bandwidth_max;  // IOWriteBandwidthMax=
  Setting<std::string> slice;        // Slice=, for the transient scope
  // MemoryMax=, MemoryHigh= and TasksMax= given as a share of this host
  // ("50%"): the directive's name -> the text as written. The values above
  // are resolved here; --show and an export for other hosts need the share.
  std::map<std::string, std::string> as_share;
  // EnforceLimits=strict (default): refuse to run when nothing can enforce
  // the limits; best-effort: run anyway and say so loudly.
  Setting<bool> enforce_strict;

  bool any_limit() const {
    return memory_max.is_set() || memory_high.is_set() || memory_swap_max.is_set() ||
           tasks_max.is_set() || cpu_quota_per_sec_usec.is_set() || cpu_weight.is_set() ||
           allowed_cpus.is_set() || io_weight.is_set() || !io_read_bandwidth_max.empty() ||
           !io_write_bandwidth_max.empty();
  }
};

// The file-system sandbox, with systemd.exec's directives and semantics:
// directives_sandbox.cpp parses them, plan_sandbox.cpp turns them into the
// jail's mounts. Every path is a path in the jail: on RootDirectory=/ the
// host's, on the empty root what the profile binds.
enum class ProtectSystem { No, Yes, Full, Strict };
enum class ProtectHome { No, Yes, ReadOnly, Tmpfs };
enum class PrivateTmp { No, Yes, Disconnected };
enum class DevicePolicy { Auto, Closed, Strict };
enum class ProtectControlGroups { No, Yes, Private, Strict };

// One path of ReadWritePaths=, ReadOnlyPaths=, InaccessiblePaths=,
// ExecPaths= or NoExecPaths=: "[-][+]PATH".
struct PathRule {
  std::string path;
  bool optional = false;  // '-': ignored where the jail lacks it
  bool plus = false;      // '+': relative to RootDirectory=, which every zjail path is
};

// DeviceAllow=: "SPECIFIER [rwm]"; a specifier is a /dev path, or char-NAME
// or block-NAME as /proc/devices names the driver (globs allowed).
struct DeviceRule {
  std::string specifier;
  bool read = true, write = true, mknod = true;
};

struct Sandbox {
  Setting<ProtectSystem> protect_system;          // default no
  Setting<ProtectHome> protect_home;              // default no
  std::vector<Item<PathRule>> read_write_paths;   // ReadWritePaths=
  std::vector<Item<PathRule>> read_only_paths;    // ReadOnlyPaths=
  std::vector<Item<PathRule>> inaccessible_paths; // InaccessiblePaths=
  std::vector<Item<PathRule>> exec_paths;         // ExecPaths=
  std::vector<Item<PathRule>> no_exec_paths;      // NoExecPaths=
  Setting<PrivateTmp> private_tmp;                // default yes on zjail's root, no on RootDirectory=/
  Setting<bool> private_devices;                  // default no
  Setting<DevicePolicy> device_policy;            // default auto
  std::vector<Item<DeviceRule>> device_allow;     // DeviceAllow=
  Setting<bool> mount_api_vfs;                    // MountAPIVFS=; unset: zjail's /proc and /dev
  Setting<bool> protect_kernel_tunables;
  Setting<bool> protect_kernel_modules;
  Setting<bool> protect_kernel_logs;
  Setting<ProtectControlGroups> protect_control_groups;
};

// Kernel interfaces and process properties (systemd.exec(5)): what the
// payload may ask of the kernel, and how it is scheduled. Parsed in
// directives_security.cpp, planned in plan_security.cpp.
enum class KeyringMode { Inherit, Private, Shared };

// ProtectHostname=yes|private[:NAME] (no: zjail's UTS namespace all the same).
struct HostnameProtection {
  enum Mode { No, Yes, Private } mode = No;
  std::string name;  // systemd 258's ":NAME", "" for none
};

struct Security {
  // RestrictAddressFamilies=: family names ("AF_UNIX"), in systemd's list
  // semantics. "none" (no family at all) is kept apart, since a list written
  // after it starts afresh, with a polarity of its own.
  NameList restrict_address_families;
  Setting<bool> address_families_none;
  // RestrictNamespaces=: the CLONE_NEW* types the profile would allow; zjail
  // allows none whatever it says (the base filter, seccomp.hpp).
  Setting<uint64_t> restrict_namespaces;
  Setting<bool> lock_personality;
  Setting<bool> memory_deny_write_execute;
  Setting<bool> restrict_realtime;
  Setting<bool> restrict_suid_sgid;
  Setting<bool> protect_clock;
  Setting<HostnameProtection> protect_hostname;
  // Accepted: the jail always has IPC and PID namespaces of its own, and its
  // IPC objects go with the IPC namespace.
  Setting<bool> private_ipc;
  Setting<bool> private_pids;
  Setting<bool> remove_ipc;
  Setting<KeyringMode> keyring_mode;     // default private
  Setting<unsigned> secure_bits;         // SECBIT_* bits, ORed over assignments
  Setting<unsigned long> personality;    // PER_LINUX or PER_LINUX32

  // Process properties.
  Setting<int> nice;                     // -20..19
  Setting<int> oom_score_adjust;         // -1000..1000
  Setting<int> cpu_scheduling_policy;    // SCHED_OTHER, _BATCH, _IDLE, _FIFO, _RR
  Setting<int> cpu_scheduling_priority;  // 0..99
  Setting<bool> cpu_scheduling_reset_on_fork;
  Setting<int> io_scheduling_class;      // IOPRIO_CLASS_*
  Setting<int> io_scheduling_priority;   // 0..7
  Setting<std::string> cpu_affinity;     // CPUAffinity=, a CPU list "0-3,6", merged over assignments

  // SocketBindAllow=/SocketBindDeny= (systemd's bind rules) and
  // SocketConnectAllow=/SocketConnectDeny= (the same rules for outgoing
  // TCP), enforced by Landlock (landlock_net.cpp).
  std::vector<Item<std::string>> socket_bind_allow;
  std::vector<Item<std::string>> socket_bind_deny;
  std::vector<Item<std::string>> socket_connect_allow;
  std::vector<Item<std::string>> socket_connect_deny;
  // Network directives: validated now, refused at launch until zjail
  // enforces them (plan_security.cpp).
  std::vector<Item<std::string>> ip_address_allow;
  std::vector<Item<std::string>> ip_address_deny;
  NameList restrict_network_interfaces;
  Setting<std::string> network_namespace_path;
};

// Identity, service directories and credentials (directives_identity.cpp,
// plan_identity.cpp, service_dirs.cpp, credentials.cpp).

// RuntimeDirectory=, StateDirectory=, CacheDirectory=, LogsDirectory=,
// ConfigurationDirectory=, in this order (an index into Identity's arrays).
enum class ServiceDirKind : unsigned char { Runtime, State, Cache, Logs, Configuration };
inline constexpr size_t kServiceDirKinds = 5;

// One word of those directives: "NAME[:LINK]", both relative paths without
// "..", normalised ("a//b/" is "a/b").
struct ServiceDir {
  std::string name;
  std::string link;  // "": none; else a symlink to the directory (not ConfigurationDirectory=)
};

enum class RuntimePreserve : unsigned char { No, Yes, Restart };
// PrivateUsers=: no, yes/self (root and the payload's own ids), identity
// (0-65535), full (every id), managed (systemd-nsresourced's range).
enum class PrivateUsersMode : unsigned char { No, Self, Identity, Full, Managed };

// LoadCredential=, LoadCredentialEncrypted=, SetCredential=,
// SetCredentialEncrypted=, ImportCredential=.
struct Credential {
  enum class Kind : unsigned char { Load, LoadEncrypted, Set, SetEncrypted, Import };
  Kind kind = Kind::Load;
  std::string id;     // the credential's name; for Import the glob
  std::string value;  // Load: the path as written ("" = the id, searched); Set: the unescaped value
};

struct Identity {
  std::vector<Item<ServiceDir>> directories[kServiceDirKinds];
  Setting<mode_t> directory_mode[kServiceDirKinds];  // default 0755
  Setting<RuntimePreserve> runtime_preserve;         // default no
  Setting<mode_t> umask;                             // default: zjail's own, inherited
  Setting<bool> dynamic_user;                        // default no
  Setting<PrivateUsersMode> private_users;           // default no
  std::vector<Item<Credential>> credentials;         // in the order given

  bool any_directory() const {
    for (const auto& d : directories)
      if (!d.empty()) return true;
    return false;
  }
};

// The network between "none" and "the host's" (directives_network.cpp,
// network_plan.cpp; docs/network.md). Values are checked when parsed.
struct Network {
  Setting<bool> virtual_ethernet;            // VirtualEthernet= (systemd.nspawn)
  std::vector<Item<std::string>> address;    // Address= (systemd.network): the jail's side
  std::vector<Item<std::string>> host_address;  // HostAddress= (zjail's): the host's side
  std::vector<Item<std::string>> port;       // Port= (systemd.nspawn)
  Setting<bool> user_mode;                   // UserModeNetworking= (zjail's): pasta
  std::vector<Item<std::string>> host_loopback_port;  // HostLoopbackPort= (zjail's)
  bool any() const {
    return virtual_ethernet.value.value_or(false) || user_mode.value.value_or(false) || !address.empty() ||
           !host_address.empty() || !port.empty() || !host_loopback_port.empty();
  }
};

struct Profile {
  // The files that made this profile, in the order they were applied.
  std::vector<std::string> sources;

  Setting<std::string> description;

  // Credentials. Names are resolved later, in the parent, by the planner.
  Setting<std::string> user;
  Setting<std::string> group;
  std::vector<Item<std::string>> supplementary_groups;

  // File system.
  Setting<std::string> root_directory;
  std::vector<Item<Bind>> binds;          // BindPaths= and BindReadOnlyPaths=, in order
  std::vector<Item<Tmpfs>> tmpfs;         // TemporaryFileSystem=
  Setting<ProcSubset> proc_subset;        // default all
  Setting<ProtectProc> protect_proc;      // default invisible
  Setting<std::string> working_directory;

  // Namespaces and identity.
  Setting<bool> private_network;          // default yes
  Setting<std::string> hostname;          // default "zjail"

  // Privileges.
  NameList capability_bounding_set;       // default: empty set
  NameList ambient_capabilities;          // default: empty set
  NameList system_call_filter;            // default: no filter rules (arch only)
  Setting<SyscallAction> system_call_error_number;  // default kill
  std::vector<Item<std::string>> system_call_architectures;  // "native", ...
  NameList system_call_log;               // SystemCallLog=
  // RestrictIOUring= (default yes): zjail's base filter closes io_uring,
  // whose requests (sockets, opens, ...) no seccomp rule can see.
  Setting<bool> restrict_io_uring;
  // Landlock's scopes (ABI 6), on by default: RestrictAbstractUnixSockets=
  // keeps abstract unix sockets of processes outside the payload's domain
  // out of reach (the mount namespace does not cover them, and the host's
  // network shares them), RestrictSignals= their signals. LandlockRequired=
  // makes any Landlock feature the jail would use and the kernel lacks fatal.
  Setting<bool> restrict_abstract_unix_sockets;
  Setting<bool> restrict_signals;
  Setting<bool> landlock_required;

  // Limits and environment. Keys are RLIMIT_* values.
  std::map<int, Item<Limit>> limits;
  std::vector<Item<std::string>> environment;       // "KEY=VALUE", in order
  std::vector<Item<std::string>> pass_environment;  // names
  std::vector<Item<std::string>> unset_environment; // names or KEY=VALUE

  // Sockets bound by zjail before anything is dropped and passed like socket
  // activation: "PORT", "ADDR:PORT", "[ADDR6]:PORT" or an absolute unix path.
  std::vector<Item<std::string>> listen_stream;
  std::vector<Item<std::string>> listen_datagram;
  // BindIPv6Only= (systemd.socket): for IPv6 sockets, whether they take IPv4
  // too. Default: a bare port is dual-stack, an explicit address follows the
  // kernel's net.ipv6.bindv6only.
  enum class Ipv6Only { Default, Both, Ipv6Only };
  Setting<Ipv6Only> bind_ipv6_only;
  // ListenViaBind= (zjail's own, default no): the IPv4 and IPv6 sockets
  // above are not passed as LISTEN_FDS; the payload gets one in place of
  // its own socket when it binds the same address (listen_via_bind.hpp).
  Setting<bool> listen_via_bind;

  Resources resources;
  Sandbox sandbox;
  Security security;
  Identity identity;
  Network network;

  // Process hygiene.
  Setting<bool> keep_terminal;            // default no: setsid()
};

}  // namespace zjail
