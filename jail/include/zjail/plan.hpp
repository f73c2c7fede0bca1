// The plan: everything the jail needs, computed in the parent before clone.
// After clone the child only reads it (it has its own copy-on-write copy), so
// nothing here may need allocation to use: strings and vectors are complete,
// file descriptors are open, the seccomp program is compiled.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <cstdint>
#include <memory>
#include <map>
#include <string>
#include <vector>

#include "zjail/fault.hpp"
#include "zjail/fd.hpp"
#include "zjail/forwarded_signals.hpp"
#include "zjail/landlock.hpp"
#include "zjail/network.hpp"
#include "zjail/result.hpp"

typedef struct _cap_struct* cap_t;

namespace zjail {

// The planner's inputs, which the child never sees.
struct Profile;  // profile.hpp
struct Login;    // users.hpp
class HostLease; // lease.hpp

struct CapFree {
  void operator()(struct _cap_struct* c) const noexcept;
};
using UniqueCap = std::unique_ptr<struct _cap_struct, CapFree>;

// One entry of the jail's mount table, applied in order under the new root.
// A mount never reaches into what a deeper entry mounts later, which is how
// the more specific path wins (systemd's ReadWritePaths= inside
// ReadOnlyPaths=): sort_mounts() puts parents first.
struct MountOp {
  enum class Kind : unsigned char {
    Bind,          // clone of a host path (opened before the root is built)
    Tmpfs,         // fresh tmpfs with `options`
    Proc,          // fresh procfs for the jail's pid namespace
    Devpts,        // private devpts instance
    Cgroup2,       // fresh cgroup2, rooted at the jail's cgroup namespace
    Mask,          // bind /dev/null (files) or an empty read-only tmpfs (dirs)
    Inaccessible,  // systemd's inaccessible node: a mode-0000 file or an empty mode-0000 directory
    Attr,          // the subtree at `target` re-attached with `attr` set and `attr_clear` cleared
    MountPoint,    // makes the mount point of mounts[ref] before an Attr makes its parent read-only
    Symlink,       // symlink `target` -> `source` (one already there with that text is fine)
    Files,         // fresh read-only ramfs holding `files`, owned by `owner`/`group`
    JailBind,      // re-bind `source`, a jail path mounted earlier (sorted last), onto `target`
  };
  Kind kind = Kind::Bind;
  std::string source;  // host path (Bind), link text (Symlink)
  // Bind: `source` with every symlink resolved by the parent, opened by the
  // child with RESOLVE_NO_SYMLINKS ("" for zjail's own binds: by path).
  std::string resolved_source;
  std::string target;  // path inside the jail, relative: "usr/lib"; "" is the root (Attr only)
  std::vector<std::pair<std::string, std::string>> options;  // fsconfig keys
  uint64_t attr = 0;       // MOUNT_ATTR_* to set
  uint64_t attr_clear = 0; // Attr: MOUNT_ATTR_* to clear (only ever zjail's own flags)
  bool recursive = true;   // Bind: rbind/norbind; Attr: the whole subtree or the top mount
  bool optional = false;   // skip quietly when the source (or the target of a tmpfs, Mask, Attr) is missing
  int ref = -1;            // MountPoint: the index of the mount it prepares
  std::string origin;      // "file:line" of the directive, for error messages
  // Files: what the ramfs holds (the child writes it as it is: no allocation).
  struct File {
    std::string name;
    std::string data;
  };
  std::vector<File> files;
  uid_t owner = 0;         // Files: the ramfs root and its files belong to owner:group
  gid_t group = 0;
  mode_t dir_mode = 0755;  // Files: the ramfs root's mode
  mode_t file_mode = 0400; //   and each file's
};


// Where a script payload given by path is bound, read-only, in the jail.
inline constexpr const char* kJailCommandDir = "/run/host/command";

// "mount /usr -> /usr (base-service.profile:14)": one mount op as errors
// and -vv show it.
std::string describe_mount(const MountOp& m);

struct IdMapPlan {
  std::string uid_map;   // contents written to /proc/PID/uid_map
  std::string gid_map;
  bool deny_setgroups = false;
};

// Who asked for one seccomp filter's denials (parallel to Plan::seccomp),
// for the denial explanations (denials.hpp). The parent's alone.
struct DenialSource {
  // "SystemCallFilter=", "ProtectKernelModules=yes", ...; "" for the base filter.
  std::string directive;
  bool allow_list = false;  // the filter allows exactly `names`
  // Names or @groups with the "file:line" (or directive) that listed them.
  std::vector<std::pair<std::string, std::string>> names;
  // An allow list's "~" entries after it (NameList::removed), likewise.
  std::vector<std::pair<std::string, std::string>> removed;
  // The base filter: the "file:line" of each directive behind its rules
  // ("RestrictAddressFamilies=" -> "web.profile:7"), where one set it.
  std::map<std::string, std::string> origins;
};

struct RlimitPlan {
  int resource;
  rlim_t soft, hard;
  std::string origin;  // "LimitNOFILE= (echo.profile:12)", for error messages
};

// A process property the parent sets on the jail's init before its
// go-ahead: the payload, forked from the init, inherits it. Some need the
// host's privileges (a negative Nice=, a lower OOMScoreAdjust=, real-time
// scheduling), which the payload never has in its user namespace.
struct ProcessProperty {
  enum class Kind : unsigned char { Nice, OomScoreAdjust, Scheduler, IoPriority, CpuAffinity };
  Kind kind = Kind::Nice;
  int value = 0;        // the nice level, oom_score_adj, SCHED_* policy or ioprio value
  int priority = 0;     // Scheduler: the static priority
  std::string mask;     // CpuAffinity: the CPU bitmask, little-endian bytes
  std::string origin;   // "Nice=-5 (echo.profile:3)", for errors
};

// Kernel interfaces and process properties (plan_security.cpp).
struct SecurityPlan {
  std::vector<ProcessProperty> process;  // in this order, by the parent
  // The payload's own steps (child/steps.cpp):
  int securebits = -1;                   // SecureBits=; -1 leaves them
  enum class Keyring : unsigned char { Inherit, Private, Shared } keyring = Keyring::Private;
  long personality = -1;                 // Personality=; -1 leaves it
  bool deny_write_execute = false;       // PR_SET_MDWE, where the kernel has it
  int reset_on_fork_policy = -1;         // this policy again, with SCHED_RESET_ON_FORK
  int reset_on_fork_priority = 0;
};

// One directory of RuntimeDirectory= and its siblings: made (or adopted) on
// the host by the parent before clone (HostLease, lease.hpp), then bound
// read-write into the jail. The child never reads this.
struct ServiceDirPlan {
  std::string directive;   // "StateDirectory=foo (echo.profile:3)", for messages
  std::string base;        // "/var/lib", "/var/lib/private", "$XDG_STATE_HOME"...: its root
  std::string name;        // "foo/bar" below `base`; parents are made root's, 0755
  mode_t mode = 0755;
  uid_t uid = 0;           // the innermost directory's owner (unless !chown)
  gid_t gid = 0;
  bool chown = true;       // false for ConfigurationDirectory=: it stays root's
  bool remove = false;     // RuntimeDirectory= without RuntimeDirectoryPreserve=yes
  bool private_base = false;  // `base` is DynamicUser='s private/: made 0700 root
  std::string host_link;   // DynamicUser=: "/var/lib/foo", made a symlink to "private/foo"
  bool privileged = true;  // root's zjail: every component vetted; else the caller's own tree
  std::string host_path() const { return base + "/" + name; }
};

// Identity beyond the ids themselves (plan_identity.cpp).
struct IdentityPlan {
  int umask = -1;          // UMask=; -1 leaves zjail's own (inherited)
  bool dynamic = false;    // DynamicUser= allocated `uid` (released with the HostLease)
  std::vector<ServiceDirPlan> directories;
};

// ListenViaBind=yes (listen_via_bind.hpp): an IPv4 or IPv6 socket zjail
// bound for ListenStream=/ListenDatagram=, handed to the payload in place of
// its own socket when it binds the same address, instead of as LISTEN_FDS.
// The supervisor's alone: the jail's init closes it (close-stray-fds).
struct BindSocket {
  UniqueFd fd;
  sockaddr_storage addr{};  // as bound
  socklen_t len = 0;
  int family = 0, type = 0, protocol = 0;  // SO_DOMAIN, SO_TYPE, SO_PROTOCOL
  int v6only = -1;          // AF_INET6: IPV6_V6ONLY as set; -1 for AF_INET
  std::string what;         // "ListenStream=127.0.0.1:80 (web.profile:3)", for messages
};

struct Plan {
  // Identity.
  uid_t uid = 0;
  gid_t gid = 0;
  std::vector<gid_t> groups;
  IdMapPlan idmap;
  bool invoked_as_root = false;
  IdentityPlan identity;

  // Namespaces and the root file system. Without namespaces (the host
  // refuses an unprivileged user namespace: plan_fallback.cpp), clone_flags
  // is 0, `mounts` is only what the Landlock rules were derived from, and
  // the payload is the clone child itself (child/steps.cpp, kFallbackSteps).
  bool namespaces = true;
  uint64_t clone_flags = 0;
  std::string stage_dir = "/tmp";   // where the new root is attached before pivot
  std::string root_directory;       // RootDirectory=, "" for a fresh tmpfs root, "/" for the host's
  uint64_t root_attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;  // set on the root and what it holds
  bool root_read_only = true;       // the root mount read-only once built (not with RootDirectory=/)
  std::vector<MountOp> mounts;
  std::string hostname;
  // A namespace with only lo (PrivateNetwork=yes); NetworkPlan says which
  // network the jail has when it is not (network.hpp).
  bool private_network = true;
  NetworkPlan network;

  // Privileges.
  uint64_t bounding = 0;            // capability bounding set
  uint64_t ambient = 0;
  int last_cap = 40;
  UniqueCap caps;                   // permitted/effective/inheritable for the payload
  // Attached in order, the last one right before execve; never empty.
  std::vector<std::vector<sock_filter>> seccomp;
  // The filters above as one, every denial routed to zjail's listener
  // (denials.hpp); the payload attaches it instead of them. Empty: the
  // filters are attached as they are (a login session, the launch without
  // namespaces), their denials unexplained.
  std::vector<sock_filter> seccomp_notify;
  std::vector<DenialSource> denial_sources;  // parent only, parallel to `seccomp`
  LandlockPlan landlock;            // applied by the payload after no_new_privs
  std::vector<DeviceAccess> device_access;  // DeviceAllow= nodes granted r or w only

  // Process.
  SecurityPlan security;
  std::vector<RlimitPlan> rlimits;
  std::vector<UniqueFd> pass_fds;   // become fd 3, 4, ... (socket activation)
  std::vector<BindSocket> bind_sockets;  // ListenViaBind=yes: given by the payload's bind()
  bool keep_terminal = false;
  std::string workdir = "/";

  // The payload. exec_fd is set for a path command (works even if the path is
  // not visible inside the jail); otherwise exec_candidates are tried in order
  // (a script given by path is bound read-only under kJailCommandDir).
  UniqueFd exec_fd;
  std::string exec_path;            // exec_fd's absolute path, tried in the jail first
  std::vector<std::string> exec_candidates;
  std::vector<std::string> argv_storage, envp_storage;
  std::vector<char*> argv, envp;    // null-terminated views of the storage

  std::string profile_name;         // for logs
  // What this jail knowingly leaves open on this kernel, for the front end
  // to report (the core does not log).
  std::vector<std::string> warnings;
  // The init's argv, NUL-separated, for /proc/1/cmdline instead of the
  // caller's; and the caller's own argv area, overwritten where the title
  // cannot be moved (no CAP_SYS_RESOURCE).
  std::string init_title;
  unsigned long arg_start = 0, arg_end = 0;

  // A login session (pam_zjail): the jail has no payload of its own. Its
  // init builds the jail and waits; the caller then joins it (session.hpp).
  bool session = false;

  Fault fault;                      // test builds only: the step to fail (fault.hpp)
};

struct PlanContext {
  uid_t invoker_uid = 0;
  gid_t invoker_gid = 0;
  char** environ = nullptr;         // the invoker's environment (PassEnvironment=)
  std::string cwd;                  // for relative command paths
  std::string seccomp_cache_dir;    // "" compiles the filter every time
  // What systemd handed zjail, to be passed through to the payload.
  int listen_fds = 0;               // LISTEN_FDS, when LISTEN_PID is ours
  std::string listen_fdnames;       // LISTEN_FDNAMES
  // Under Type=notify: the jail-side socket of the caller's NotifyRelay
  // (notify.hpp), shown in the jail at kJailNotifyPath; "" without one.
  std::string notify_relay;
  std::string watchdog_usec;        // WATCHDOG_USEC, when WATCHDOG_PID is ours (or unset)
  // The jail's name, as a unit's: DynamicUser='s user name and the
  // credentials' directory (/run/credentials/NAME) derive from it.
  std::string unit_name = "zjail";
  std::string credentials_directory;  // zjail's own $CREDENTIALS_DIRECTORY, when systemd gave it one
  // What build_plan takes from the host for the jail's lifetime (the
  // DynamicUser= uid, the service directories); nullptr: nothing may be taken
  // (check_plan), and build_plan refuses a profile that needs it.
  HostLease* lease = nullptr;
  // The host refuses this (unprivileged) caller a user namespace
  // (user_namespace_refusal(), launch.hpp): plan a launch without
  // namespaces, or refuse a profile that needs them (plan_fallback.cpp).
  int user_namespace_refused = 0;   // the errno; 0: namespaces as always
  // Yama forbids every ptrace attach (listener_handoff_refused(),
  // launch.hpp): zjail cannot copy the payload's seccomp listener, so the
  // filters are attached as they are and their denials go unexplained.
  bool listener_handoff_refused = false;
  // --explain: a debugging run that names every denial, kills included
  // (routed to zjail, where a signal handler can outlive them).
  bool explain = false;
  // Where a launch without namespaces makes the payload's private TMPDIR.
  std::string private_tmp_base = "/tmp";
  // Learn mode without a profile (docs/learn.md): the payload runs as the
  // caller, with the caller's capabilities, on the host's root and network,
  // in a pid and mount namespace only (a user namespace only for an
  // unprivileged caller), so that it behaves as it would natively.
  bool learn_native = false;
  // With learn_native and a root caller: the user the payload runs as
  // (`zjail learn --user`), natively, without capabilities; "" the caller.
  std::string learn_user;
  Fault fault;                      // test builds only: the step to fail (fault.hpp)
};

Result<Plan> build_plan(const Profile& profile, const std::vector<std::string>& command,
                        const PlanContext& ctx);

// The plan for a login session of `user` (pam_zjail): the profile's jail,
// with the user's home bound read-write at the same path, and no user
// namespace (the joining process stays real root until sshd drops it to the
// user). Every bind source and RootDirectory= must pass open_trusted(). The
// user is looked up by uid (a name of digits would read as another uid), and
// a login in group root (gid 0) is refused, as Group=root is: the jail cannot
// take the group away, and the session would reach root's group files.
Result<Plan> build_session_plan(const Profile& profile, const Login& user,
                                const PlanContext& ctx);

// Everything build_plan() validates (users, mounts, capabilities, seccomp),
// without side effects: no sockets are bound and no command is needed. The
// plan it returns has no command and no passed fds (check.hpp reads it).
Result<Plan> check_plan(const Profile& profile, const PlanContext& ctx);

}  // namespace zjail
