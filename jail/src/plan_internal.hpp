// Pieces of build_plan() that live in their own files.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/seccomp.hpp"
#include "zjail/network_setup.hpp"

namespace zjail {

struct UserInfo;  // users.hpp

// "file:line" of a directive, "" for a default no line set.
inline std::string origin_text(const Origin& o) { return o.file.empty() ? std::string() : o.str(); }

// A planning error about the directive set at `o`.
inline Error at(const Origin& o, Step step, const std::string& msg) {
  return make_error(step, 0, msg).wrap(origin_text(o));
}

// --- plan_identity.cpp ---------------------------------------------------------

// User=, Group=, SupplementaryGroups=, DynamicUser= (a uid locked in
// ctx.lease, or only picked without one) and PrivateUsers=: the payload's
// ids and the id maps that make them real.
Status plan_identity(const Profile& p, const PlanContext& ctx, Plan& plan, UserInfo& who);

// `p`, or a copy in `storage` with what DynamicUser= implies in systemd
// (PrivateTmp=, RemoveIPC=, NoNewPrivileges=, RestrictSUIDSGID=,
// ProtectSystem=strict, ProtectHome=read-only), applied through the
// directive table so that each directive's own implementation gives it
// effect. A profile that turns one of them off explicitly is an error.
// What this zjail cannot imply (a directive it lacks) fails a launch
// (`launching`), and is a warning for --check.
Result<const Profile*> with_implied_settings(const Profile& p, std::optional<Profile>& storage,
                                            std::vector<std::string>& warnings, bool launching);

// A login session (pam_zjail) is the login's identity: the directives of
// this family are refused there, naming the first one set.
Status refuse_identity_in_session(const Profile& p);

// UMask=, the service directories (planned, bound into the jail, their
// variables) and the credentials (read now, written into the jail by the
// child): what comes with a service's identity. `env` receives the
// variables, for plan_environment() to put below Environment=.
Status plan_service(const Profile& p, const PlanContext& ctx, const UserInfo& who, Plan& plan,
                    std::vector<std::string>& env);

// --- plan_fallback.cpp -----------------------------------------------------------

// A launch without namespaces (ctx.user_namespace_refused): refuses, before
// anything is taken from the host, a profile whose jail needs a namespace
// (a private network, a bind to another target, RootDirectory=DIR, the
// credentials' ramfs, socket activation, ambient capabilities); root never
// gets here.
Status refuse_namespaced(const Profile& p, const PlanContext& ctx, const Plan& plan);
// Then, once the plan is complete: no clone flags, the mount table turned
// into Landlock rules on the host's paths (mandatory: ABI 2), a private
// TMPDIR for a private /tmp, and the one warning that lists what is lost.
Status plan_without_namespaces(const Profile& p, const PlanContext& ctx, Plan& plan);

// --- service_dirs.cpp, credentials.cpp ---------------------------------------------

// RuntimeDirectory= and its siblings: where each directory lives on the host
// (plan.identity.directories, for HostLease::make_directories()), its bind
// into the jail, its symlinks, and $RUNTIME_DIRECTORY and friends in `env`.
Status plan_service_dirs(const Profile& p, const PlanContext& ctx, Plan& plan, std::vector<std::string>& env);

// The credentials, read now (Step::Credentials) into a Files mount at
// /run/credentials/NAME, readable by the payload alone; $CREDENTIALS_DIRECTORY
// in `env`.
// The jail's mount table as Landlock path rules, for a kernel of ABI `abi`
// (landlock_paths.cpp); what the kernel lacks goes to ll.missing.
void plan_landlock_paths(const Plan& plan, int abi, LandlockPlan& ll);
// SocketBind*= and SocketConnect*= as Landlock TCP port rules
// (landlock_net.cpp); rules Landlock cannot hold are an error.
Status plan_landlock_net(const Profile& p, int abi, LandlockPlan& ll);
// SocketBind*= leaves no TCP port open (and Landlock can hold it).
bool socket_bind_closes_tcp(const Profile& p);
// Landlock's file-system rights (landlock_paths.cpp): what a kernel of ABI
// `abi` handles (0: no path rules), what a mount with MOUNT_ATTR_* `attr`
// allows beneath it, and what a device node granted read and/or write gets.
uint64_t landlock_fs_handled(int abi);
uint64_t landlock_fs_rights(uint64_t attr);
uint64_t landlock_device_rights(bool read, bool write);
// All of the jail's Landlock plan: the network rule, the paths, the scopes;
// a DeviceAllow= no rule can hold, or LandlockRequired= with a feature the
// kernel lacks, is an error.
Status plan_landlock_all(const Profile& p, Plan& plan);

Status plan_credentials(const Profile& p, const PlanContext& ctx, Plan& plan, std::vector<std::string>& env);

// DynamicUser=: the user and group as nss-systemd would show them, added to
// the jail's /etc/passwd and /etc/group where the jail shows the host's.
Status plan_user_database(const UserInfo& who, Plan& plan);


// The jail's file system: what RootDirectory=, MountAPIVFS=, PrivateDevices=,
// DevicePolicy= and PrivateTmp= decide about the root and the API file
// systems (plan_sandbox.cpp), for plan_mounts() to build.
struct FsModel {
  enum class Root : unsigned char { Empty, Directory, Host } root = Root::Empty;
  bool proc = true;  // zjail's own /proc, over the host's on the host's root
  // /dev: none, zjail's (the pseudo devices and the allowed nodes), or the host's.
  enum class Dev : unsigned char { None, Zjail, Host } dev = Dev::Zjail;
  bool dev_read_only = false;  // PrivateDevices=yes makes /dev read-only, as systemd does
  bool dev_pseudo = true;      // null, zero, full, random, urandom, tty, ptmx and pts (not under DevicePolicy=strict)
  bool dev_log = false;        // /dev/log -> /run/systemd/journal/dev-log, where a host /run is
  bool sys = false;            // MountAPIVFS=yes on a root of zjail's: the host's /sys
  bool run = false;            // ... and an empty /run
  bool private_tmp = true;     // /tmp, and /var/tmp where the jail has one
  bool private_shm = false;    // RemoveIPC=: a /dev/shm of the jail's own over the host's
};

// The profile's binds and tmpfs mounts, and the API file systems `m` asks
// for, sorted (sort_mounts).
Result<std::vector<MountOp>> plan_mounts(const Profile& p, const FsModel& m);

// The file system as a whole: the root, plan_mounts(), the path rules, and
// what the sandbox directives imply for capabilities and system calls.
Status plan_sandbox(const Profile& p, const PlanContext& ctx, Plan& plan);

// The host's device nodes a DeviceAllow= entry names (a missing one is
// skipped, as systemd skips it); `pts` is set when it names the
// pseudo-terminals, which come from the jail's own devpts.
std::vector<std::string> device_nodes(const DeviceRule& r, bool& pts);

// The capabilities PrivateDevices=, ProtectKernelModules= and
// ProtectKernelLogs= take from the bounding set, as systemd takes them
// (--analyze judges what is left).
uint64_t sandbox_dropped_caps(const Profile& p);

// One rule of the kind ReadWritePaths=, ReadOnlyPaths=, InaccessiblePaths=,
// ExecPaths= and NoExecPaths= set, from those directives or implied by
// others (ProtectSystem=, ProtectHome=, ProtectKernel*=, ...).
struct PathRuleSpec {
  enum class Mode : unsigned char { Inaccessible, ReadOnly, ReadWrite, NoExec, Exec };
  std::string path;       // absolute, in the jail; its symlinks are resolved as the jail would
  Mode mode = Mode::ReadOnly;
  bool optional = false;  // '-': skipped where the jail lacks the path; otherwise an error
  std::string what;       // for messages: "ReadOnlyPaths=/x", "ProtectSystem=strict"
  std::string origin;     // "f.profile:3", where it was said
};

// Applies the rules to plan.mounts with systemd's semantics (plan_paths.cpp):
// the more specific path wins, a mount entry of its own (a bind, a tmpfs)
// is left as it is by the rules of the paths above it, and nothing is
// mounted beneath an inaccessible path. ReadWritePaths= and ExecPaths=
// give a path back the flags it has outside, not more.
Status apply_path_rules(const std::vector<PathRuleSpec>& rules, uid_t invoker, Plan& plan);

// What the profile's directives add to the system call filter, the way
// systemd implies them (ProtectClock= denies @clock, ...): each family adds
// its part here (plan.cpp lists them), and --analyze reads the same.
Result<SeccompExtras> implied_seccomp_extras(const Profile& p);

// The filter of EPERM rules that PrivateDevices=, ProtectKernelModules= and
// ProtectKernelLogs= imply, as a profile of its own; none when none is set.
std::optional<Profile> implied_filter_profile(const Profile& p);

// The rules of every filter a jail with namespaces attaches, in the order
// build_plan() attaches them, for any host: what `zjail export` writes for
// other engines. Where this host's launch enforces a directive otherwise
// (PR_SET_MDWE) or from this process (the personality LockPersonality=
// keeps), the rules say what another host needs.
Result<std::vector<SeccompRuleFilter>> jail_seccomp_rules(const Profile& p);

// Kernel interfaces and process properties (plan_security.cpp): the
// family's part of the filter, and of the plan (after plan_capabilities,
// which it narrows, and the Limit*= rlimits, which it may add to).
Status add_security_extras(const Profile& p, SeccompExtras& extras);
Status plan_security(const Profile& p, Plan& plan);
// network_plan.cpp: the NetworkPlan, after the capabilities (a payload
// that could empty the filters is refused).
bool has_network_filter(const Profile& p);
Status plan_network(const Profile& p, Plan& plan);

// Whether this kernel has PR_SET_MDWE (6.3): MemoryDenyWriteExecute= is the
// prctl there, seccomp rules elsewhere.
bool kernel_has_mdwe();
// What a login session cannot take (pam_zjail).
Status refuse_in_session(const Profile& p);

// Resolves every bind source (and RootDirectory=) to a path without
// symlinks, following only symlinks owned by root or by `invoker`. Binds
// resolved already are left as they are.
Status resolve_sources(std::vector<MountOp>& mounts, std::string& root_directory, uid_t invoker);

// Parents before children, otherwise in the order given; a mount that only
// changes the flags of its own mount (not recursive) after everything else;
// and the mount points that would have to be made under a read-only
// subtree made before it is read-only (MountOp::Kind::MountPoint).
void sort_mounts(std::vector<MountOp>& mounts);

// ListenStream=/ListenDatagram=: bound now, as the invoker, in the host
// network namespace, into plan.pass_fds or (ListenViaBind=yes)
// plan.bind_sockets.
Status bind_listen_sockets(const Profile& p, Plan& plan);

// --- learn_jail.cpp -------------------------------------------------------------

// Learn mode's native jail (PlanContext::learn_native), last: what the
// planner made of learn_native_profile() loosened to the caller's own
// identity, capabilities, hostname and mounts, with no Landlock.
Status plan_learn_native(const PlanContext& ctx, Plan& plan);

// Sets KEY=VALUE in an environment, replacing an earlier KEY.
void set_env(std::vector<std::string>& env, const std::string& kv);

}  // namespace zjail
