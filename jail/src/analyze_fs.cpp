// What a zjail profile's file system does for the --analyze items
// RootDirectory=, ProtectSystem=, ProtectHome=, ReadWritePaths=,
// PrivateTmp=, PrivateDevices=, ProtectKernelTunables=, ProtectKernelLogs=
// and ProtectControlGroups=. On zjail's own root the payload sees only what
// the profile binds, narrowed by the sandbox directives; on RootDirectory=/
// it sees the host's root, and the items are judged as systemd-analyze
// judges a unit's, for a user that is never root.
#include <algorithm>

#include "analyze_internal.hpp"
#include "zjail/trust.hpp"

namespace zjail::analysis {
namespace {

using std::string;

const string P = "profile", Z = "zjail";

string join(const std::vector<string>& v) {
  string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

bool under(const string& path, const string& dir) {
  if (dir == "/") return true;
  return path == dir || (path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 && path[dir.size()] == '/');
}

bool covers_any(const string& source, std::initializer_list<const char*> dirs) {
  for (const char* d : dirs)
    if (under(d, source)) return true;
  return false;
}

bool inside_any(const string& source, std::initializer_list<const char*> dirs) {
  for (const char* d : dirs)
    if (under(source, d)) return true;
  return false;
}

template <class T>
bool is(const Setting<T>& s, T v) {
  return s.value && *s.value == v;
}

bool listed(const std::vector<zjail::Item<PathRule>>& rules, const string& path) {
  return std::any_of(rules.begin(), rules.end(), [&](const auto& r) { return under(path, r.value.path); });
}

// Whether the directives leave `target` (a bind's path in the jail) read-only.
bool made_read_only(const Sandbox& s, const string& target) {
  zjail::ProtectSystem ps = s.protect_system.value.value_or(zjail::ProtectSystem::No);
  if (ps != zjail::ProtectSystem::No && under(target, "/usr")) return true;
  if ((ps == zjail::ProtectSystem::Full) && under(target, "/etc")) return true;
  if (ps != zjail::ProtectSystem::No && (under(target, "/boot") || under(target, "/efi"))) return true;
  if (is(s.protect_home, zjail::ProtectHome::ReadOnly) && inside_any(target, {"/home", "/root", "/run/user"})) return true;
  return listed(s.read_only_paths, target) && !listed(s.read_write_paths, target);
}

bool made_inaccessible(const Sandbox& s, const string& target) {
  if ((is(s.protect_home, zjail::ProtectHome::Yes) || is(s.protect_home, zjail::ProtectHome::Tmpfs)) &&
      inside_any(target, {"/home", "/root", "/run/user"}))
    return true;
  return listed(s.inaccessible_paths, target);
}

// The host's root, judged like systemd-analyze judges a unit for a user
// other than root (zjail never runs the payload as host root).
void judge_host_root(Findings& f, const Profile& p) {
  const Sandbox& s = p.sandbox;
  bool hidden = !s.inaccessible_paths.empty() || is(s.protect_home, zjail::ProtectHome::Yes);
  judge(f, RootDirectory, hidden ? 0.48 : 0.6, "/", P,
        "the host's whole file system is visible, as to a unit without RootDirectory=");
  zjail::ProtectSystem ps = s.protect_system.value.value_or(zjail::ProtectSystem::No);
  bool ps_set = s.protect_system.is_set();
  judge(f, ProtectSystem, ps == zjail::ProtectSystem::No ? 0.2 : 0,
        ps == zjail::ProtectSystem::Strict ? "strict" : ps == zjail::ProtectSystem::Full ? "full" : ps == zjail::ProtectSystem::Yes ? "yes" : "no",
        ps_set ? P : Z,
        ps == zjail::ProtectSystem::No ? "the OS is writable as far as permissions allow"
                                : "/usr, /boot and /efi read-only" + string(ps == zjail::ProtectSystem::Yes ? "" : ", /etc too"));
  zjail::ProtectHome ph = s.protect_home.value.value_or(zjail::ProtectHome::No);
  double ph_e = ph == zjail::ProtectHome::No ? 0.5 : ph == zjail::ProtectHome::ReadOnly ? 0.15 : 0;
  judge(f, ProtectHome, ph_e,
        ph == zjail::ProtectHome::Yes ? "yes" : ph == zjail::ProtectHome::Tmpfs ? "tmpfs" : ph == zjail::ProtectHome::ReadOnly ? "read-only" : "no",
        s.protect_home.is_set() ? P : Z, ph_e == 0 ? "home directories are hidden" : "home directories are visible");
  if (ps == zjail::ProtectSystem::Strict) {
    std::vector<string> rw;
    for (const auto& i : s.read_write_paths) rw.push_back(i.value.path);
    judge(f, ReadWritePaths, writable_paths_exposure(rw.size()), rw.empty() ? "(none)" : join(rw), P,
          rw.empty() ? "nothing of the host is writable" : "these host paths are writable");
  } else {
    judge(f, ReadWritePaths, 0.5, "(no ProtectSystem=strict)", P, "everything the user may write is writable");
  }
  bool tmp = s.private_tmp.value.value_or(zjail::PrivateTmp::No) != zjail::PrivateTmp::No;
  judge(f, PrivateTmp, tmp ? 0 : 1, tmp ? "yes" : "no", s.private_tmp.is_set() ? P : Z,
        tmp ? "a /tmp and /var/tmp of its own" : "the host's /tmp is shared");
  bool pdev = is(s.private_devices, true);
  bool policy = s.device_policy.value.value_or(zjail::DevicePolicy::Auto) != zjail::DevicePolicy::Auto || !s.device_allow.empty();
  judge(f, PrivateDevices, pdev ? 0 : policy ? 0.2 : 0.3,
        pdev ? "yes" : policy ? "DevicePolicy/DeviceAllow" : "no", pdev || policy ? P : Z,
        pdev ? "a minimal /dev" : policy ? "/dev holds the allowed nodes only" : "every host device node");
  for (auto [item, on, what] :
       {std::tuple{ProtectKernelTunables, is(s.protect_kernel_tunables, true), "/proc/sys and /sys"},
        {ProtectKernelLogs, is(s.protect_kernel_logs, true), "the kernel log"},
        {ProtectControlGroups, s.protect_control_groups.value.value_or(zjail::ProtectControlGroups::No) != zjail::ProtectControlGroups::No,
         "the cgroup tree"}}) {
    judge(f, item, on ? 0 : 0.2, on ? "yes" : "no", on ? P : Z, string(what) + (on ? " protected" : " readable"));
  }
}

}  // namespace

void judge_file_system(Findings& f, const Profile& p) {
  if (p.root_directory.is_set() && path_components(*p.root_directory.value).empty()) {
    judge_host_root(f, p);
    return;
  }
  const Sandbox& s = p.sandbox;
  // An empty read-only root plus what the profile binds, narrowed by the
  // sandbox directives.
  double view = 0, os = 0, home = 0, dev = 0, tunables = 0, logs = 0, cgroups = 0;
  bool host_tmp = false;
  std::vector<string> writable, visible_wide;
  for (const auto& item : p.binds) {
    const Bind& b = item.value;
    const string& src = b.source;
    const string target = b.target.empty() ? b.source : b.target;
    if (made_inaccessible(s, target)) continue;
    bool ro = b.read_only || made_read_only(s, target);
    double rw = ro ? 0.5 : 1;
    if (!ro) writable.push_back(src);
    if (src == "/") view = 1;
    else if (inside_any(src, {"/etc", "/var", "/home", "/root", "/run", "/srv"}) &&
             covers_any(src, {"/etc", "/var", "/home", "/root", "/run", "/srv"}))
      view = std::max(view, 0.5), visible_wide.push_back(src);
    if (!ro && covers_any(src, {"/usr", "/etc", "/boot"})) os = 1;
    else if (!ro && inside_any(src, {"/usr", "/etc", "/boot"})) os = std::max(os, 0.5);
    if (covers_any(src, {"/home", "/root"})) home = std::max(home, rw);
    else if (inside_any(src, {"/home", "/root"})) home = std::max(home, rw * 0.6);
    if (inside_any(src, {"/dev"}) || covers_any(src, {"/dev"})) dev = std::max(dev, rw);
    if (inside_any(src, {"/sys", "/proc"}) || covers_any(src, {"/sys", "/proc"}))
      tunables = std::max(tunables, ro || is(s.protect_kernel_tunables, true) ? 0.3 : 1.0);
    if (covers_any(src, {"/dev/kmsg"}) && !is(s.protect_kernel_logs, true)) logs = std::max(logs, rw);
    if ((covers_any(src, {"/sys/fs/cgroup"}) || inside_any(src, {"/sys/fs/cgroup"})) &&
        s.protect_control_groups.value.value_or(zjail::ProtectControlGroups::No) == zjail::ProtectControlGroups::No)
      cgroups = std::max(cgroups, rw);
    if (under(target, "/tmp") && covers_any(src, {"/tmp", "/var/tmp"}) && !ro) host_tmp = true;
  }
  bool api = is(s.mount_api_vfs, true);
  bool pdev = is(s.private_devices, true);
  bool policy = s.device_policy.value.value_or(zjail::DevicePolicy::Auto) != zjail::DevicePolicy::Auto || !s.device_allow.empty();
  if (api && !pdev && !policy) dev = std::max(dev, 1.0);  // MountAPIVFS=yes binds the host's /dev
  if (api && !is(s.protect_kernel_tunables, true)) tunables = std::max(tunables, 0.3);
  if (p.root_directory.is_set()) {
    judge(f, RootDirectory, std::max(view, 0.3), *p.root_directory.value, P,
          "a whole directory tree as the root, plus what is bound");
  } else {
    judge(f, RootDirectory, view, visible_wide.empty() && view < 1 ? "(empty root)" : join(visible_wide), Z,
          view == 0 ? "an empty root: only what the profile binds is visible"
                    : "a wide part of the host's file system is visible");
  }
  judge(f, ProtectSystem, os, os > 0 ? "writable binds" : "strict", os > 0 ? P : Z,
        os > 0 ? "part of the OS (/usr, /etc, /boot) is bound writable" : "the root is read-only; OS binds are read-only");
  judge(f, ProtectHome, home, home > 0 ? "bound" : "yes", home > 0 ? P : Z,
        home > 0 ? "home directories are bound into the jail" : "no home directory is visible");
  judge(f, ReadWritePaths, writable_paths_exposure(writable.size()), writable.empty() ? "(none)" : join(writable),
        writable.empty() ? Z : P, writable.empty() ? "nothing of the host is writable" : "these host paths are writable");
  judge(f, PrivateTmp, host_tmp ? 1 : 0, host_tmp ? "host /tmp bound" : "yes", host_tmp ? P : Z,
        host_tmp ? "the host's /tmp is shared" : "a /tmp of its own");
  judge(f, PrivateDevices, dev, dev > 0 ? "/dev bound" : pdev ? "yes" : "(zjail's /dev)", dev > 0 || pdev ? P : Z,
        dev > 0 ? "host device nodes are bound into the jail"
                : "/dev has null, zero, full, random, urandom, tty and the allowed nodes only");
  judge(f, ProtectKernelTunables, tunables, tunables > 0 ? "/sys or /proc bound" : "yes", tunables > 0 ? P : Z,
        tunables > 0 ? "host /sys or /proc is bound into the jail" : "/proc/sys read-only, no /sys");
  judge(f, ProtectKernelLogs, logs, logs > 0 ? "/dev/kmsg bound" : "yes", logs > 0 ? P : Z,
        logs > 0 ? "the kernel log device is bound" : "no /dev/kmsg; syslog(2) needs host CAP_SYSLOG");
  judge(f, ProtectControlGroups, cgroups, cgroups > 0 ? "cgroupfs bound" : "yes", cgroups > 0 ? P : Z,
        cgroups > 0 ? "the cgroup file system is bound" : "no host cgroupfs, and a cgroup namespace");
}

}  // namespace zjail::analysis
