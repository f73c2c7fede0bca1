#include "zjail/result.hpp"

#include <cstring>

namespace zjail {

const char* step_name(Step s) noexcept {
  switch (s) {
    case Step::Profile: return "profile";
    case Step::ResolveUser: return "resolve-user";
    case Step::ResolveCommand: return "resolve-command";
    case Step::Listen: return "listen";
    case Step::CompileSeccomp: return "compile-seccomp";
    case Step::Plan: return "plan";
    case Step::PamConfig: return "pam-config";
    case Step::CheckPaths: return "check-paths";
    case Step::Cgroup: return "cgroup";
    case Step::SyncSocket: return "sync-socket";
    case Step::Clone: return "clone";
    case Step::IdMap: return "id-map";
    case Step::JoinJail: return "join-jail";
    case Step::SyncWait: return "sync-wait";
    case Step::CgroupNamespace: return "cgroup-namespace";
    case Step::MountPrivate: return "mount-private";
    case Step::OpenSources: return "open-sources";
    case Step::RootMount: return "root-mount";
    case Step::Mounts: return "mounts";
    case Step::PivotRoot: return "pivot-root";
    case Step::RemountRoot: return "remount-root";
    case Step::Hostname: return "hostname";
    case Step::Loopback: return "loopback";
    case Step::InitSetup: return "init-setup";
    case Step::ForkPayload: return "fork-payload";
    case Step::Setsid: return "setsid";
    case Step::Rlimits: return "rlimits";
    case Step::PassFds: return "pass-fds";
    case Step::CloseFds: return "close-fds";
    case Step::Groups: return "setgroups";
    case Step::Gid: return "setresgid";
    case Step::BoundingSet: return "bounding-set";
    case Step::Uid: return "setresuid";
    case Step::Capabilities: return "capabilities";
    case Step::NoNewPrivs: return "no-new-privs";
    case Step::Landlock: return "landlock";
    case Step::Chdir: return "chdir";
    case Step::Seccomp: return "seccomp";
    case Step::Exec: return "exec";
    case Step::Wait: return "wait";
    case Step::Count_: break;
  }
  return "unknown";
}

std::string Error::detail() const {
  std::string m = context;
  if (err != 0) {
    if (!m.empty()) m += ": ";
    m += std::strerror(err);
  }
  return m;
}

std::string Error::message() const {
  std::string m = detail();
  // Profile errors already read "file:line: message"; the step adds nothing.
  if (step != Step::Profile) {
    m += " (step: ";
    m += step_name(step);
    m += ")";
  }
  return m;
}

}  // namespace zjail
