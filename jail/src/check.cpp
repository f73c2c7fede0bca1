#include "zjail/check.hpp"

#include <elf.h>
#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>

#include "jail_view.hpp"
#include "plan_internal.hpp"
#include "service_dirs.hpp"
#include "zjail/caps.hpp"
#include "zjail/cgroup.hpp"
#include "zjail/fd.hpp"
#include "zjail/landlock.hpp"
#include "zjail/trust.hpp"

namespace zjail {
namespace {

using Level = CheckFinding::Level;

// --- What a program needs to start ----------------------------------------------

std::string read_head(const std::string& host, size_t n) {
  UniqueFd fd(open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return "";
  std::string buf(n, '\0');
  ssize_t got = pread(fd.get(), buf.data(), n, 0);
  buf.resize(got > 0 ? static_cast<size_t>(got) : 0);
  return buf;
}

// The interpreter a program needs: "#!" line of a script, PT_INTERP of a
// dynamic ELF executable; "" for none.
std::string interpreter_of(const std::string& host) {
  std::string head = read_head(host, 256);
  if (head.rfind("#!", 0) == 0) {
    std::string line = head.substr(2, head.find('\n') - 2);
    size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) return "";
    return line.substr(b, line.find_first_of(" \t", b) - b);
  }
  Elf64_Ehdr eh{};
  if (head.size() < sizeof eh || std::memcmp(head.data(), ELFMAG, SELFMAG) != 0 || head[EI_CLASS] != ELFCLASS64)
    return "";
  std::memcpy(&eh, head.data(), sizeof eh);
  UniqueFd fd(open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  for (unsigned i = 0; fd && i < eh.e_phnum && i < 256; ++i) {
    Elf64_Phdr ph{};
    if (pread(fd.get(), &ph, sizeof ph, static_cast<off_t>(eh.e_phoff + i * eh.e_phentsize)) != sizeof ph) break;
    if (ph.p_type != PT_INTERP || ph.p_filesz == 0 || ph.p_filesz > 4096) continue;
    std::string interp(ph.p_filesz, '\0');
    if (pread(fd.get(), interp.data(), interp.size(), static_cast<off_t>(ph.p_offset)) != static_cast<ssize_t>(interp.size()))
      return "";
    return interp.substr(0, interp.find('\0'));
  }
  return "";
}

bool executable_file(const std::string& host) {
  struct stat st{};
  return stat(host.c_str(), &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111);
}

// A program found in the jail also needs its interpreter there.
void check_interpreter(const Plan& plan, const std::string& shown, const std::string& host,
                       std::vector<CheckFinding>& out) {
  std::string interp = interpreter_of(host);
  if (interp.empty() || interp[0] != '/') return;
  std::string found = host_path_in_jail(plan, interp);
  if (found.empty() || !executable_file(found))
    out.push_back({Level::Error, shown + ": its interpreter " + interp +
                                     " is not in the jail: the launch would fail with exit 127 (bind it, or its "
                                     "directory, with BindReadOnlyPaths=)"});
}

void check_command(const Plan& plan, const std::vector<std::string>& command, const PlanContext& ctx,
                   std::vector<CheckFinding>& out) {
  if (command.empty()) return;
  const std::string& cmd = command[0];
  if (cmd.find('/') != std::string::npos) {
    // Opened on the host before the jail exists (plan.cpp): only what it
    // needs at exec time must be inside.
    std::string host = cmd[0] == '/' ? cmd : ctx.cwd + "/" + cmd;
    if (!executable_file(host)) {
      out.push_back({Level::Error, cmd + ": " + (access(host.c_str(), F_OK) == 0 ? "not an executable file"
                                                                                 : std::strerror(ENOENT))});
      return;
    }
    check_interpreter(plan, cmd, host, out);
    return;
  }
  std::string path = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
  for (const auto& e : plan.envp_storage)
    if (e.starts_with("PATH=")) path = e.substr(5);
  std::vector<std::string> dirs;
  for (size_t i = 0; i <= path.size();) {
    size_t j = std::min(path.find(':', i), path.size());
    if (j > i && path[i] == '/') dirs.push_back(path.substr(i, j - i));
    i = j + 1;
  }
  for (const auto& d : dirs) {
    std::string host = host_path_in_jail(plan, d + "/" + cmd);
    if (host.empty() || !executable_file(host)) continue;
    check_interpreter(plan, d + "/" + cmd, host, out);
    return;
  }
  out.push_back({Level::Error, cmd + ": not found in the jail's PATH (" + path +
                                   "): the launch would fail with exit 127 (give a path, or bind its directory)"});
}

// --- Bind sources and capabilities ------------------------------------------------------

// The service directories zjail makes itself before the launch: bound,
// but not there yet; what could stop them being made is a finding of its own.
bool made_by_zjail(const Plan& plan, const std::string& source) {
  return std::any_of(plan.identity.directories.begin(), plan.identity.directories.end(),
                     [&](const ServiceDirPlan& d) { return d.host_path() == source; });
}

void check_directories(const Plan& plan, std::vector<CheckFinding>& out) {
  for (const auto& d : plan.identity.directories) {
    std::string why = service_directory_problem(d);
    if (!why.empty())
      out.push_back({Level::Error, d.directive + ": " + why + " (the launch would fail at step directories)"});
  }
}

void check_binds(const Plan& plan, std::vector<CheckFinding>& out) {
  for (const auto& m : plan.mounts) {
    if (m.kind != MountOp::Kind::Bind || m.optional || m.origin == "built-in") continue;
    if (made_by_zjail(plan, m.source)) continue;
    const std::string& src = m.resolved_source.empty() ? m.source : m.resolved_source;
    struct stat st{};
    if (lstat(src.c_str(), &st) == 0) continue;
    int e = errno;
    out.push_back({Level::Error, m.origin + ": bind source " + m.source + ": " + std::strerror(e) +
                                     " (the launch would fail at step open-sources; a leading '-' makes it optional)"});
  }
}

// Capabilities count in the jail's own user namespace only: over objects
// that namespace owns (its network, if private; its mounts, its processes)
// and files of the ids mapped into it. Over anything of the host's they
// have no effect, and a profile that grants them promises what it cannot.
struct CapNote {
  int cap;
  bool only_host_network;  // harmless to grant in a private network
  const char* why;
};
constexpr CapNote kCapNotes[] = {
    {10, true, "the host's network belongs to the host's user namespace: bind privileged ports with ListenStream="},
    {11, true, "the host's network belongs to the host's user namespace"},  // NET_BROADCAST
    {12, true, "the host's network belongs to the host's user namespace"},  // NET_ADMIN
    {13, true, "the host's network belongs to the host's user namespace"},  // NET_RAW
    {0, false, "only files owned by the ids mapped into the jail are affected"},   // CHOWN
    {1, false, "only files owned by the ids mapped into the jail are affected"},   // DAC_OVERRIDE
    {2, false, "only files owned by the ids mapped into the jail are affected"},   // DAC_READ_SEARCH
    {3, false, "only files owned by the ids mapped into the jail are affected"},   // FOWNER
    {4, false, "only files owned by the ids mapped into the jail are affected"},   // FSETID
    {9, false, "the kernel checks it in the host's user namespace"},               // LINUX_IMMUTABLE
    {14, false, "the kernel checks it in the host's user namespace"},              // IPC_LOCK
    {16, false, "loading kernel modules needs it in the host's user namespace"},   // SYS_MODULE
    {17, false, "the kernel checks it in the host's user namespace"},              // SYS_RAWIO
    {20, false, "the kernel checks it in the host's user namespace"},              // SYS_PACCT
    {22, false, "the kernel checks it in the host's user namespace"},              // SYS_BOOT
    {23, false, "the kernel checks it in the host's user namespace"},              // SYS_NICE
    {24, false, "the kernel checks it in the host's user namespace"},              // SYS_RESOURCE
    {25, false, "the clock is the host's"},                                        // SYS_TIME
    {26, false, "the kernel checks it in the host's user namespace"},              // SYS_TTY_CONFIG
    {27, false, "device nodes cannot be made in a user namespace"},                // MKNOD
    {29, false, "the audit subsystem is the host's"},                              // AUDIT_WRITE
    {30, false, "the audit subsystem is the host's"},                              // AUDIT_CONTROL
    {32, false, "the kernel checks it in the host's user namespace"},              // MAC_OVERRIDE
    {33, false, "the kernel checks it in the host's user namespace"},              // MAC_ADMIN
    {34, false, "the kernel log is the host's"},                                   // SYSLOG
    {35, false, "the kernel checks it in the host's user namespace"},              // WAKE_ALARM
    {36, false, "the kernel checks it in the host's user namespace"},              // BLOCK_SUSPEND
    {37, false, "the audit subsystem is the host's"},                              // AUDIT_READ
    {38, false, "the kernel checks it in the host's user namespace"},              // PERFMON
    {39, false, "the kernel checks it in the host's user namespace"},              // BPF
};

void check_capabilities(const Profile& p, const Plan& plan, std::vector<CheckFinding>& out) {
  std::string origin = p.ambient_capabilities.names.empty() ? "AmbientCapabilities="
                                                             : p.ambient_capabilities.names.front().origin.str();
  for (const auto& n : kCapNotes) {
    if (n.cap > plan.last_cap || !(plan.ambient & (1ULL << n.cap))) continue;
    if (n.only_host_network && owns_network_namespace(plan.network.mode)) continue;
    std::string name = capability_name(n.cap);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    out.push_back({Level::Warning, origin + ": " + name + " cannot take effect here: " + n.why});
  }
}

// Every mount point zjail makes on the way to a mount (child/mounts.cpp
// open_target): through directories, never a symlink, and where one is
// missing, in something writable at that point of the launch: a fresh tmpfs
// (not a read-only one) or a writable bind, never a read-only bind.
std::string mount_point_problem(const Plan& plan, size_t index) {
  const MountOp& m = plan.mounts[index];
  bool want_dir = m.kind == MountOp::Kind::Tmpfs;
  if (m.kind == MountOp::Kind::Bind) {
    struct stat st{};
    const std::string& src = m.resolved_source.empty() ? m.source : m.resolved_source;
    if (stat(src.c_str(), &st) != 0) return "";  // check_binds reports it
    want_dir = S_ISDIR(st.st_mode);
  }
  auto comps = path_components("/" + m.target);
  std::string rel;
  for (size_t k = 0; k < comps.size(); ++k) {
    rel = rel.empty() ? comps[k] : rel + "/" + comps[k];
    bool last = k + 1 == comps.size();
    std::string at = "/" + rel;
    JailNode n = node_at(plan, rel, index);
    bool is_dir = n.kind == JailNode::Dir;
    if (n.kind == JailNode::Link) return at + " is a symlink in the jail, and zjail never follows one to a mount point";
    if (n.kind == JailNode::Host) {
      struct stat st{};
      if (lstat(n.text.c_str(), &st) != 0) {
        if (n.mount && (n.mount->attr & MOUNT_ATTR_RDONLY))
          return at + " would have to be made inside the read-only bind " + n.mount->source + " (" + n.mount->origin +
                 ")";
        return "";  // made in a writable bind (on the host) or in RootDirectory=
      }
      if (S_ISLNK(st.st_mode)) return at + " is a symlink (" + n.text + "), and zjail never follows one to a mount point";
      is_dir = S_ISDIR(st.st_mode);
    } else if (n.kind == JailNode::Missing) {
      if (n.mount && (n.mount->attr & MOUNT_ATTR_RDONLY))
        return at + " would have to be made inside the read-only tmpfs on /" + n.mount->target;
      return "";  // made in a fresh tmpfs
    }
    if (!last && !is_dir) return at + " is not a directory";
    if (last && is_dir != want_dir)
      return at + (is_dir ? " is a directory, and what is mounted there is not" : " is not a directory, and what is mounted there is");
  }
  return "";
}

void check_mounts(const Plan& plan, std::vector<CheckFinding>& out) {
  for (size_t i = 0; i < plan.mounts.size(); ++i) {
    const MountOp& m = plan.mounts[i];
    if (m.origin == "built-in" || (m.kind != MountOp::Kind::Bind && m.kind != MountOp::Kind::Tmpfs)) continue;
    std::string why = mount_point_problem(plan, i);
    if (!why.empty())
      out.push_back({Level::Error, m.origin + ": " + describe_mount(m) + ": " + why + " (the launch would fail at step mounts)"});
  }
  JailNode wd = resolve_node(plan, plan.workdir);
  struct stat st{};
  bool dir = wd.kind == JailNode::Dir || (wd.kind == JailNode::Host && stat(wd.text.c_str(), &st) == 0 && S_ISDIR(st.st_mode));
  if (!dir)
    out.push_back({Level::Error, "WorkingDirectory=" + plan.workdir +
                                     " is not a directory in the jail (the launch would fail at step chdir)"});
}

// The limits and the scope's filters, as JailCgroup::prepare() would meet
// them on this host.
void check_limits(const Profile& p, const Plan& jail, std::vector<CheckFinding>& out) {
  const Resources& r = p.resources;
  auto writes = cgroup_writes(r);
  if (!writes) {
    out.push_back({Level::Error, writes.error().detail()});
    return;
  }
  bool filtered = scope_filter(jail.network) != nullptr;
  CgroupPlan plan = plan_cgroup(r, probe_cgroup_environment(), filtered);
  if (plan.unenforceable.empty()) return;
  if (filtered) {
    out.push_back({Level::Error, plan.unenforceable + " (the launch would fail at step cgroup)"});
    return;
  }
  bool strict = r.enforce_strict.value.value_or(true);
  out.push_back({strict ? Level::Error : Level::Warning,
                 "resource limits cannot be enforced here: " + plan.unenforceable +
                     (strict ? " (the launch would fail at step cgroup; EnforceLimits=best-effort runs without them)"
                             : " (EnforceLimits=best-effort: the jail would run without them)")});
}

// What the sandbox directives cannot do on this host: give a path back
// flags the host's own mount has (a user namespace cannot clear them), and
// allow devices the host does not have.
void check_sandbox(const Profile& p, const Plan& plan, std::vector<CheckFinding>& out) {
  auto host_flag = [&](const std::string& path, unsigned long flag) {
    std::string host = host_path_in_jail(plan, path);
    struct statvfs v{};
    return !host.empty() && statvfs(host.c_str(), &v) == 0 && (v.f_flag & flag);
  };
  for (const auto& i : p.sandbox.exec_paths)
    if (host_flag(i.value.path, ST_NOEXEC))
      out.push_back({Level::Warning, i.origin.str() + ": ExecPaths=" + i.value.path +
                                         " stays noexec: the host mounts it noexec, and zjail's user namespace "
                                         "cannot take that flag off (systemd, as root, can)"});
  for (const auto& i : p.sandbox.read_write_paths)
    if (host_flag(i.value.path, ST_RDONLY))
      out.push_back({Level::Warning, i.origin.str() + ": ReadWritePaths=" + i.value.path +
                                         " stays read-only: the host mounts it read-only"});
  for (const auto& i : p.sandbox.device_allow) {
    bool pts = false;
    if (device_nodes(i.value, pts).empty() && !pts)
      out.push_back({Level::Warning, i.origin.str() + ": DeviceAllow=" + i.value.specifier +
                                         " names no device node of this host's /dev"});
  }
}

}  // namespace

std::string host_path_in_jail(const Plan& plan, const std::string& path) {
  JailNode n = resolve_node(plan, path);
  return n.kind == JailNode::Host ? n.text : "";
}

Result<std::vector<CheckFinding>> check_profile(const Profile& p, const std::vector<std::string>& command,
                                                const PlanContext& ctx) {
  ZJAIL_TRY_ASSIGN(auto plan, check_plan(p, ctx));
  std::vector<CheckFinding> out;
  check_binds(plan, out);
  check_directories(plan, out);
  check_mounts(plan, out);
  check_limits(p, plan, out);
  check_capabilities(p, plan, out);
  check_sandbox(p, plan, out);
  // What the launch warns about for the sockets zjail binds (landlock.hpp).
  bool tcp = std::any_of(p.listen_stream.begin(), p.listen_stream.end(),
                         [](const auto& i) { return !i.value.starts_with("/"); });
  if (plan.private_network && tcp)
    if (int abi = landlock_abi(); abi < kLandlockNetAbi) out.push_back({Level::Warning, tcp_reconnect_warning(abi)});
  check_command(plan, command, ctx, out);
  return out;
}

}  // namespace zjail
