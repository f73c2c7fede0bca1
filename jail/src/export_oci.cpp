// zjail export --format oci (export.hpp): the planned jail as an OCI
// runtime-spec config.json, what crun (Debian's 1.8) runs. Written from the
// Plan, in its mount order; the profile only where the plan keeps no trace
// (cgroup limits, sockets). What OCI cannot say is listed in the
// annotations "org.zjail.not-carried.NN", never left out silently.
#include <sys/capability.h>
#include <sys/resource.h>
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <set>

#include "export_internal.hpp"
#include "learn_args.hpp"

namespace zjail::exporting {
namespace {

using Kind = MountOp::Kind;

// runtime-spec 1.0.2: crun 1.8 takes it, and every field used here is in it
// (linux.resources.unified and process.user.umask are read by crun since 0.16).
constexpr const char* kOciVersion = "1.0.2";

// What crun makes by itself in a /dev it mounts as tmpfs (libcrun's default
// devices and symlinks): zjail's own of these need no entry.
const std::set<std::string> kCrunDevLinks = {"dev/fd", "dev/stdin", "dev/stdout", "dev/stderr", "dev/ptmx"};

std::string jail(const std::string& rel) { return "/" + rel; }

bool covers(const std::string& dir, const std::string& rel) {
  return dir.empty() || rel == dir || (rel.starts_with(dir) && rel[dir.size()] == '/');
}

void add_attr_options(Json& opts, uint64_t attr) {
  auto add = [&](const char* o) {
    if (std::find(opts.begin(), opts.end(), o) == opts.end()) opts.push_back(o);
  };
  if (attr & MOUNT_ATTR_RDONLY) add("ro");
  if (attr & MOUNT_ATTR_NOSUID) add("nosuid");
  if (attr & MOUNT_ATTR_NODEV) add("nodev");
  if (attr & MOUNT_ATTR_NOEXEC) add("noexec");
}

Json fs_options(const MountOp& m) {
  Json opts = Json::array();
  add_attr_options(opts, m.attr);
  for (const auto& [k, v] : m.options) opts.push_back(v.empty() ? k : k + "=" + v);
  return opts;
}

Json mount(const std::string& dest, const char* type, const std::string& source, Json opts) {
  Json j;
  j["destination"] = dest;
  j["type"] = type;
  j["source"] = source;
  j["options"] = std::move(opts);
  return j;
}

struct Builder {
  Builder(const Source& s, Losses& l) : src(s), losses(l) {}
  const Source& src;
  Losses& losses;
  Json mounts = Json::array();
  Json masked = Json::array();
  Json readonly = Json::array();
  std::vector<std::string> args;

  // The jail's mount table, in its order (parents first).
  void from_plan() {
    bool inaccessible = false;
    for (const auto& m : src.plan.mounts) {
      const std::string dest = jail(m.target);
      switch (m.kind) {
        case Kind::Bind: {
          // An optional bind ("-SRC") this host lacks: zjail's launch here
          // skips it, and crun would refuse it.
          struct stat st{};
          if (m.optional && lstat(m.source.c_str(), &st) != 0 && errno == ENOENT) break;
          Json opts = Json::array({m.recursive ? "rbind" : "bind"});
          for (const auto& o : fs_options(m)) opts.push_back(o);
          mounts.push_back(mount(dest, "bind", m.source, std::move(opts)));
          break;
        }
        case Kind::Tmpfs: mounts.push_back(mount(dest, "tmpfs", "tmpfs", fs_options(m))); break;
        case Kind::Proc: mounts.push_back(mount(dest, "proc", "proc", fs_options(m))); break;
        case Kind::Devpts: mounts.push_back(mount(dest, "devpts", "devpts", fs_options(m))); break;
        case Kind::Cgroup2: mounts.push_back(mount(dest, "cgroup", "cgroup", fs_options(m))); break;
        case Kind::Inaccessible: inaccessible = true; [[fallthrough]];
        case Kind::Mask:
          if (std::find(masked.begin(), masked.end(), dest) == masked.end()) masked.push_back(dest);
          break;
        case Kind::Attr: attr(m); break;
        case Kind::MountPoint: break;  // crun makes every mount point
        case Kind::Symlink:
          if (kCrunDevLinks.count(m.target) == 0)
            losses.push_back("the symlink " + dest + " -> " + m.source + " (" + m.origin +
                             "): OCI makes no symlinks; make it in the bundle's rootfs");
          break;
        case Kind::Files:
          losses.push_back("the files zjail writes at " + dest + " (" + m.origin +
                           "): OCI writes no files; the rootfs must hold them");
          break;
        case Kind::JailBind:
          losses.push_back(dest + " from /" + m.source + " (" + m.origin + "): part of the files above");
          break;
      }
    }
    if (inaccessible)
      losses.push_back("InaccessiblePaths= and its kin are maskedPaths: an empty directory or /dev/null, "
                       "not systemd's mode-0000 node (reads give nothing instead of EACCES)");
  }

  // New flags on a mount already in the table, or on a directory within one.
  void attr(const MountOp& m) {
    if (m.target.empty()) return;  // the root: root.readonly
    const std::string dest = jail(m.target);
    for (auto it = mounts.rbegin(); it != mounts.rend(); ++it) {
      if ((*it)["destination"] != dest) continue;
      Json& opts = (*it)["options"];
      add_attr_options(opts, m.attr);
      for (auto [flag, name] : {std::pair{MOUNT_ATTR_RDONLY, "ro"}, std::pair{MOUNT_ATTR_NOSUID, "nosuid"},
                                std::pair{MOUNT_ATTR_NODEV, "nodev"}, std::pair{MOUNT_ATTR_NOEXEC, "noexec"}})
        if (m.attr_clear & flag) opts.erase(std::remove(opts.begin(), opts.end(), name), opts.end());
      return;
    }
    if ((m.attr & MOUNT_ATTR_RDONLY) && std::find(readonly.begin(), readonly.end(), dest) == readonly.end())
      readonly.push_back(dest);
    // readonlyPaths keeps the flags of the mount it lies in (runtime-spec:
    // a read-only bind of itself); only flags that mount lacks are lost.
    const Json* within = nullptr;
    for (const auto& o : mounts)
      if (covers(o["destination"].get<std::string>().substr(1), m.target)) within = &o;
    Json have = within ? (*within)["options"] : Json::array();
    Json want = Json::array();
    add_attr_options(want, m.attr & (MOUNT_ATTR_NOEXEC | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV));
    std::string lost;
    for (const auto& w : want)
      if (std::find(have.begin(), have.end(), w) == have.end()) lost += (lost.empty() ? "" : "/") + w.get<std::string>();
    if (!lost.empty())
      losses.push_back(lost + " on " + dest + " (" + m.origin +
                       "): OCI sets flags on mounts only, and this is a directory within one");
  }

  // The payload: a command the jail shows runs by its path in the jail;
  // one it does not (a build's binary, a script) is bound read-only under
  // kJailCommandDir, as zjail binds a script.
  Status command() {
    const auto& cmd = src.req.command;
    if (cmd.empty())
      return make_error(Step::Plan, EINVAL, "export --format oci needs the command to run (after --)");
    args = cmd;
    if (cmd[0].find('/') == std::string::npos) return {};  // found on the jail's PATH by crun
    std::string path = std::filesystem::absolute(cmd[0]).lexically_normal().string();
    struct stat st{};
    if (stat(path.c_str(), &st) != 0) return make_error(Step::Plan, errno, "export: the command " + path);
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
      return make_error(Step::Plan, EACCES, "export: the command " + path + " is no executable file");
    std::string rel = path.substr(1);
    const MountOp* deepest = nullptr;
    for (const auto& m : src.plan.mounts) {
      if (m.kind == Kind::Attr || m.kind == Kind::MountPoint || m.kind == Kind::Symlink || m.target.empty()) continue;
      if (covers(m.target, rel) && (!deepest || m.target.size() >= deepest->target.size())) deepest = &m;
    }
    // Hidden by the profile: refused, as zjail refuses it (plan.cpp).
    if (deepest && (deepest->kind == Kind::Mask || deepest->kind == Kind::Inaccessible))
      return make_error(Step::Plan, EACCES, "export: the command " + path + " is hidden by " + deepest->origin);
    if (deepest && deepest->kind == Kind::Bind && deepest->source == jail(deepest->target)) {
      args[0] = path;
      return {};
    }
    std::string shown = std::string(kJailCommandDir) + "/" + path.substr(path.rfind('/') + 1);
    mounts.push_back(mount(shown, "bind", path, Json::array({"bind", "ro", "nosuid", "nodev"})));
    args[0] = shown;
    return {};
  }
};

Json id_mappings(const std::string& map) {
  Json out = Json::array();
  size_t i = 0;
  while (i < map.size()) {
    size_t j = map.find('\n', i);
    if (j == std::string::npos) j = map.size();
    unsigned long long inside = 0, outside = 0, count = 0;
    if (std::sscanf(map.substr(i, j - i).c_str(), "%llu %llu %llu", &inside, &outside, &count) == 3)
      out.push_back(Json{{"containerID", inside}, {"hostID", outside}, {"size", count}});
    i = j + 1;
  }
  return out;
}

Json cap_names(uint64_t mask, int last) { return Json(capability_names_of(mask, last)); }

uint64_t cap_set(cap_t caps, cap_flag_t flag, int last) {
  uint64_t mask = 0;
  if (!caps) return mask;
  for (int c = 0; c <= last && c < 64; ++c) {
    cap_flag_value_t v = CAP_CLEAR;
    if (cap_get_flag(caps, static_cast<cap_value_t>(c), flag, &v) == 0 && v == CAP_SET) mask |= uint64_t{1} << c;
  }
  return mask;
}

Json process(const Source& src, const std::vector<std::string>& args, Losses& losses) {
  const Plan& plan = src.plan;
  Json p;
  p["terminal"] = false;
  Json user;
  user["uid"] = plan.uid;
  user["gid"] = plan.gid;
  if (plan.identity.umask >= 0) user["umask"] = plan.identity.umask;
  if (!plan.groups.empty()) user["additionalGids"] = plan.groups;
  p["user"] = std::move(user);
  p["args"] = args;
  // The sockets and the notify relay are zjail's: no payload of crun's finds them.
  Json env = Json::array();
  for (const auto& e : plan.envp_storage) {
    bool zjails = false;
    for (const char* v : {"LISTEN_PID=", "LISTEN_FDS=", "LISTEN_FDNAMES=", "NOTIFY_SOCKET=", "WATCHDOG_PID=",
                          "WATCHDOG_USEC="})
      zjails = zjails || e.starts_with(v);
    if (!zjails) env.push_back(e);
  }
  p["env"] = std::move(env);
  p["cwd"] = plan.workdir;
  const int last = plan.last_cap;
  Json caps;
  caps["bounding"] = cap_names(plan.bounding, last);
  caps["effective"] = cap_names(cap_set(plan.caps.get(), CAP_EFFECTIVE, last), last);
  caps["inheritable"] = cap_names(cap_set(plan.caps.get(), CAP_INHERITABLE, last), last);
  caps["permitted"] = cap_names(cap_set(plan.caps.get(), CAP_PERMITTED, last), last);
  caps["ambient"] = cap_names(plan.ambient, last);
  p["capabilities"] = std::move(caps);
  Json limits = Json::array();
  for (const auto& r : plan.rlimits) {
    // OCI names them as <sys/resource.h> does.
    std::string name = learn::rlimit_name(r.resource);
    if (name.empty()) {
      losses.push_back(r.origin + ": no OCI name for this limit");
      continue;
    }
    auto num = [](rlim_t v) { return static_cast<unsigned long long>(v); };
    limits.push_back(Json{{"type", "RLIMIT_" + name}, {"hard", num(r.hard)}, {"soft", num(r.soft)}});
  }
  p["rlimits"] = std::move(limits);
  p["noNewPrivileges"] = true;
  for (const auto& prop : plan.security.process) {
    if (prop.kind == ProcessProperty::Kind::OomScoreAdjust) p["oomScoreAdj"] = prop.value;
    else losses.push_back(prop.origin + ": runtime-spec 1.0.2 has no field for it (1.1's scheduler, ioPriority "
                                        "and execCPUAffinity are newer than crun 1.8)");
  }
  return p;
}

// The ports a ListenStream=/ListenDatagram= entry names: "7", "ADDR:7", "[ADDR6]:7".
int listen_port(const std::string& v) {
  if (v.empty() || v[0] == '/' || v[0] == '@') return -1;
  size_t colon = v.rfind(':');
  std::string port = colon == std::string::npos ? v : v.substr(colon + 1);
  if (port.empty() || port.find_first_not_of("0123456789") != std::string::npos || port.size() > 5) return -1;
  return std::stoi(port);
}

// ListenStream= and its kin: crun passes no sockets; the payload binds its
// own, in its own network namespace when PrivateNetwork=yes, where a lower
// unprivileged port start concerns no one else.
void sockets(const Source& src, Json& linux, Losses& losses) {
  const Profile& p = src.profile;
  int lowest = 65536;
  for (const auto& [directive, list] : {std::pair{"ListenStream=", &p.listen_stream},
                                        std::pair{"ListenDatagram=", &p.listen_datagram}})
    for (const auto& item : *list) {
      int port = listen_port(item.value);
      if (port >= 0) lowest = std::min(lowest, port);
      losses.push_back(directive + item.value + " (" + item.origin.str() +
                       "): OCI passes no sockets (no LISTEN_FDS); the payload must bind its own" +
                       (src.plan.private_network ? ", in the container's network namespace, which an engine "
                                                   "publishes (podman -p) or a client joins"
                                                 : ""));
    }
  if (lowest < 1024) {
    if (src.plan.private_network)
      linux["sysctl"] = Json{{"net.ipv4.ip_unprivileged_port_start", std::to_string(lowest)}};
    else
      losses.push_back("a port below 1024 on the host's network: the payload binds it itself, which needs "
                       "CAP_NET_BIND_SERVICE (zjail bound it before dropping privileges)");
  }
  if (p.listen_via_bind.value.value_or(false))
    losses.push_back("ListenViaBind= (" + p.listen_via_bind.origin.str() + "): the payload's own bind() is its own");
}

// The cgroup limits OCI carries; the rest is listed.
Json resources(const Profile& p, Losses& losses) {
  const Resources& r = p.resources;
  Json out = Json::object();
  Json unified = Json::object();
  auto set = [](const Setting<uint64_t>& s) { return s.is_set() && *s.value != kLimitInfinity; };
  if (set(r.memory_max)) out["memory"]["limit"] = *r.memory_max.value;
  if (set(r.memory_swap_max)) {
    if (set(r.memory_max))
      out["memory"]["swap"] = *r.memory_max.value + *r.memory_swap_max.value;  // OCI's swap is memory+swap
    else
      unified["memory.swap.max"] = std::to_string(*r.memory_swap_max.value);
  }
  if (set(r.memory_high)) unified["memory.high"] = std::to_string(*r.memory_high.value);
  if (set(r.tasks_max)) out["pids"]["limit"] = *r.tasks_max.value;
  // OCI takes amounts: a share is resolved against the exporting host.
  for (const auto& [key, share] : r.as_share)
    losses.push_back(key + "=" + share + ": a share of the host's memory or tasks, written as this host resolves it");
  if (set(r.cpu_quota_per_sec_usec)) {
    out["cpu"]["quota"] = *r.cpu_quota_per_sec_usec.value;
    out["cpu"]["period"] = 1000000;
  }
  if (r.allowed_cpus.is_set()) out["cpu"]["cpus"] = *r.allowed_cpus.value;
  if (r.cpu_weight.is_set()) unified["cpu.weight"] = std::to_string(*r.cpu_weight.value);
  if (r.io_weight.is_set()) unified["io.weight"] = "default " + std::to_string(*r.io_weight.value);
  for (const auto* list : {&r.io_read_bandwidth_max, &r.io_write_bandwidth_max})
    for (const auto& item : *list)
      losses.push_back("IO bandwidth limit on " + item.value.path + " (" + item.origin.str() +
                       "): OCI names the device by major:minor, which differs from host to host");
  if (r.slice.is_set()) losses.push_back("Slice=" + *r.slice.value + ": the engine chooses the cgroup (cgroupsPath)");
  if (!unified.empty()) out["unified"] = std::move(unified);
  return out;
}

void landlock_and_more(const Source& src, Losses& losses) {
  const Plan& plan = src.plan;
  const Profile& p = src.profile;
  if (plan.root_directory.empty() && (plan.root_attr & (MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV)))
    losses.push_back("nosuid/nodev on the root: crun binds rootfs as it is (empty and read-only, it holds "
                     "nothing to run or open but the mount points)");
  if (plan.landlock.handled_fs != 0)
    losses.push_back("Landlock's path rules (" + std::to_string(plan.landlock.paths.size()) +
                     "): the file system is confined by the mounts alone");
  if (plan.landlock.scoped != 0)
    losses.push_back("Landlock's scopes (RestrictAbstractUnixSockets=, RestrictSignals=): abstract unix sockets "
                     "and signals outside the container stay in reach where its namespaces share them");
  if (plan.landlock.handle_bind_tcp || plan.landlock.handle_connect_tcp)
    losses.push_back("SocketBindAllow=/SocketConnectAllow= (Landlock's TCP rules): no OCI field");
  if (!plan.device_access.empty()) losses.push_back("DeviceAllow='s read-only or write-only nodes: no OCI field");
  if (plan.security.securebits >= 0) losses.push_back("SecureBits=: no OCI field");
  if (plan.security.personality >= 0) losses.push_back("Personality=: runtime-spec 1.0.2 has no linux.personality");
  if (plan.security.deny_write_execute)
    losses.push_back("MemoryDenyWriteExecute='s PR_SET_MDWE: only its seccomp rules are carried");
  if (plan.security.keyring != SecurityPlan::Keyring::Private)
    losses.push_back("KeyringMode=: crun always gives a new session keyring");
  if (p.identity.any_directory())
    losses.push_back("RuntimeDirectory=, StateDirectory= and their kin: zjail makes them on the host, owned by the "
                     "payload's user; under crun they must exist before it runs");
  if (!p.identity.credentials.empty())
    losses.push_back("LoadCredential= and its kin: no OCI field (the rootfs or a bind must hold them)");
  losses.push_back("zjail's init (PID 1 that forwards signals and reaps): under crun the payload is PID 1, so "
                   "signals it has no handler for are ignored (an engine's --init adds one)");
  losses.push_back("denials are not logged: zjail's seccomp listener names each denied call and its directive");
}

}  // namespace

Result<std::string> export_oci(const Source& src) {
  const Plan& plan = src.plan;
  Losses losses;
  Builder b(src, losses);
  ZJAIL_TRY(b.command());
  Json command_mount = b.mounts;  // the command's bind goes after the table: its mount point may be in a tmpfs
  b.mounts = Json::array();
  b.from_plan();
  for (auto& m : command_mount) b.mounts.push_back(std::move(m));

  Json linux;
  linux["uidMappings"] = id_mappings(plan.idmap.uid_map);
  linux["gidMappings"] = id_mappings(plan.idmap.gid_map);
  Json ns = Json::array();
  for (const char* n : {"pid", "ipc", "uts", "mount", "user", "cgroup", "time"}) ns.push_back(Json{{"type", n}});
  if (plan.private_network) ns.push_back(Json{{"type", "network"}});
  linux["namespaces"] = std::move(ns);
  sockets(src, linux, losses);
  Json res = resources(src.profile, losses);
  if (!res.empty()) linux["resources"] = std::move(res);
  linux["seccomp"] = oci_seccomp(src.seccomp, losses);
  if (!b.masked.empty()) linux["maskedPaths"] = std::move(b.masked);
  if (!b.readonly.empty()) linux["readonlyPaths"] = std::move(b.readonly);
  landlock_and_more(src, losses);

  Json out;
  out["ociVersion"] = kOciVersion;
  out["process"] = process(src, b.args, losses);
  out["root"] = Json{{"path", plan.root_directory.empty() ? "rootfs" : plan.root_directory},
                     {"readonly", plan.root_read_only}};
  out["hostname"] = plan.hostname;
  out["mounts"] = std::move(b.mounts);
  out["linux"] = std::move(linux);
  Json notes;
  std::string names;
  for (const auto& n : src.req.profile_names) names += (names.empty() ? "" : " ") + n;
  notes["org.zjail.profile"] = names;
  if (plan.root_directory.empty())
    notes["org.zjail.rootfs"] = "rootfs is an empty directory the admin makes (mkdir rootfs): zjail's root is an "
                                "empty tmpfs, and every path the payload sees is a mount below";
  for (size_t i = 0; i < losses.size(); ++i) {
    std::string n = std::to_string(i + 1);
    notes["org.zjail.not-carried." + std::string(n.size() < 2 ? 2 - n.size() : 0, '0') + n] = losses[i];
  }
  out["annotations"] = std::move(notes);
  return json_text(out);
}

}  // namespace zjail::exporting
