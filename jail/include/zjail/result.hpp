// Error values shared by every part of the core. The core never exits, never
// throws across its API and never prints: it returns a Result and lets the
// front end (CLI or PAM module) decide how to report it.
#pragma once

#include <cerrno>
#include <string>
#include <utility>
#include <variant>

namespace zjail {

// Every setup step has a stable name. The names appear in error messages, in
// the docs and in the tests, so renaming one is a user-visible change.
enum class Step : unsigned char {
  // Parent side: everything that allocates happens here, before clone.
  Profile,         // "profile": parsing and validating profiles
  ResolveUser,     // "resolve-user": User=/Group=/SupplementaryGroups= lookup
  ResolveCommand,  // "resolve-command": finding and opening the payload
  Listen,          // "listen": binding ListenStream=/ListenDatagram= sockets
  CompileSeccomp,  // "compile-seccomp": building the BPF program
  Plan,            // "plan": turning the profile into the plain-data plan
  PamConfig,       // "pam-config": reading /etc/zjail/pam.conf (pam_zjail)
  CheckPaths,      // "check-paths": a session's root and bind sources are root's
  Cgroup,          // "cgroup": the jail's cgroup, its limits, the systemd scope
  SyncSocket,      // "sync-socket": parent/child error channel
  Clone,           // "clone": creating the namespaces and the jail init
  IdMap,           // "id-map": writing uid_map/setgroups/gid_map
  JoinJail,        // "join-jail": a login session's process entering the jail
  // Child side, in order of execution.
  SyncWait,        // "sync-wait": waiting for the parent's go-ahead
  CgroupNamespace, // "cgroup-namespace": rooted at the jail's final cgroup
  MountPrivate,    // "mount-private": making every mount private
  OpenSources,     // "open-sources": cloning bind sources before they are hidden
  RootMount,       // "root-mount": the fresh tmpfs root or RootDirectory=
  Mounts,          // "mounts": binds, tmpfs, /proc, /dev in plan order
  PivotRoot,       // "pivot-root": entering the new root, detaching the old
  RemountRoot,     // "remount-root": making the jail root read-only
  Hostname,        // "hostname": the uts namespace's host name
  Loopback,        // "loopback": bringing lo up in the private network
  InitSetup,       // "init-setup": signal mask and death signal of the init
  ForkPayload,     // "fork-payload": starting the payload as PID 2
  Setsid,          // "setsid": new session, or keeping the terminal
  Rlimits,         // "rlimits": Limit*= directives
  PassFds,         // "pass-fds": placing passed fds at 3, 4, ...
  CloseFds,        // "close-fds": closing every fd not passed on purpose
  Groups,          // "setgroups": supplementary groups
  Gid,             // "setresgid"
  BoundingSet,     // "bounding-set": dropping from the bounding set
  Uid,             // "setresuid"
  Capabilities,    // "capabilities": permitted/effective/inheritable/ambient
  NoNewPrivs,      // "no-new-privs"
  Landlock,        // "landlock": the payload's Landlock rules (landlock.hpp)
  Chdir,           // "chdir": WorkingDirectory=
  Seccomp,         // "seccomp": installing the filter, last before exec
  Exec,            // "exec": execve of the payload
  Wait,            // "wait": supervising the jail
  Count_
};

const char* step_name(Step s) noexcept;

struct Error {
  Step step = Step::Plan;
  int err = 0;          // errno, 0 when not a system error
  std::string context;  // what failed: a path, a value, or "file:line: message"

  // "context: strerror (step: name)", or "context (step: name)" without errno.
  std::string message() const;
  // The same without the step: for wrapping into another error's context.
  std::string detail() const;
};

inline Error make_error(Step step, int err, std::string context) {
  return Error{step, err, std::move(context)};
}

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  Result(Error e) : v_(std::in_place_index<1>, std::move(e)) {}

  bool ok() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(v_); }
  const T& value() const& { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }

  const Error& error() const& { return std::get<1>(v_); }
  Error&& error() && { return std::get<1>(std::move(v_)); }

 private:
  std::variant<T, Error> v_;
};

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error e) : err_(std::move(e)), failed_(true) {}

  bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  const Error& error() const& { return err_; }
  Error&& error() && { return std::move(err_); }

 private:
  Error err_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace zjail

// Propagates an error from an expression returning Result/Status.
#define ZJAIL_TRY(expr)                                    \
  do {                                                     \
    auto zjail_try_r_ = (expr);                            \
    if (!zjail_try_r_) return std::move(zjail_try_r_).error(); \
  } while (0)
