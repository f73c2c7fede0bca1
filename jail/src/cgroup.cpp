#include "zjail/cgroup.hpp"

#include <fcntl.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <fstream>

#include "scope.hpp"

namespace zjail {
namespace {

std::string num_or_max(uint64_t v) { return v == kLimitInfinity ? "max" : std::to_string(v); }

bool is_cgroup2(const char* path) {
  struct statfs fs{};
  return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::string s((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return s;
}

Status write_at(int dirfd, const std::string& dir, const std::string& file, const std::string& value) {
  UniqueFd fd(openat(dirfd, file.c_str(), O_WRONLY | O_CLOEXEC));
  if (!fd || write(fd.get(), value.data(), value.size()) != static_cast<ssize_t>(value.size()))
    return make_error(Step::Cgroup, errno, dir + "/" + file + " <- " + value);
  return {};
}

// The whole disk behind a path (io.max wants a disk, not a partition).
Result<std::string> block_device(const std::string& path) {
  struct stat st{};
  if (stat(path.c_str(), &st) != 0) return make_error(Step::Cgroup, errno, "IO limit path " + path);
  dev_t dev = S_ISBLK(st.st_mode) ? st.st_rdev : st.st_dev;
  std::string sys = "/sys/dev/block/" + std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
  if (access((sys + "/partition").c_str(), F_OK) == 0) {
    std::string parent = read_text(sys + "/../dev");
    while (!parent.empty() && (parent.back() == '\n' || parent.back() == ' ')) parent.pop_back();
    if (!parent.empty()) return parent;
  }
  return std::to_string(major(dev)) + ":" + std::to_string(minor(dev));
}

bool delegated(const std::string& dir) {
  char v[8] = {};
  for (const char* attr : {"trusted.delegate", "user.delegate"})
    if (getxattr(dir.c_str(), attr, v, sizeof v - 1) > 0 && v[0] == '1') return true;
  return false;
}

// The no-internal-processes rule: the jail's controllers can be enabled only
// once the unit's cgroup holds no process. In a unit whose main process is a
// wrapper that runs zjail as a child, the wrapper (and whatever else it
// started) is still there: every process moves into the supervisor leaf,
// still inside the unit, as systemd's delegation rules ask of a delegated
// unit. Repeated until nothing is left, since a wrapper may fork meanwhile.
void vacate(int dirfd) {
  for (int round = 0; round < 8; ++round) {
    std::string procs;
    if (UniqueFd fd(openat(dirfd, "cgroup.procs", O_RDONLY | O_CLOEXEC)); fd) {
      char buf[4096];
      ssize_t n;
      while ((n = read(fd.get(), buf, sizeof buf)) > 0) procs.append(buf, static_cast<size_t>(n));
    }
    if (procs.empty()) return;
    for (size_t pos = 0, end; pos < procs.size(); pos = end + 1) {
      end = procs.find('\n', pos);
      if (end == std::string::npos) end = procs.size();
      // A process that exited meanwhile answers ESRCH; any other failure
      // shows as EBUSY when the controllers are enabled.
      (void)write_at(dirfd, "", "supervisor/cgroup.procs", procs.substr(pos, end - pos));
    }
  }
}

}  // namespace

Result<std::vector<CgroupWrite>> cgroup_writes(const Resources& r) {
  std::vector<CgroupWrite> w;
  if (r.memory_high.is_set()) w.push_back({"memory.high", num_or_max(*r.memory_high.value)});
  if (r.memory_max.is_set()) w.push_back({"memory.max", num_or_max(*r.memory_max.value)});
  if (r.memory_swap_max.is_set()) w.push_back({"memory.swap.max", num_or_max(*r.memory_swap_max.value)});
  if (r.tasks_max.is_set()) w.push_back({"pids.max", num_or_max(*r.tasks_max.value)});
  if (r.cpu_quota_per_sec_usec.is_set()) {
    // systemd's period is 100ms: the quota per second scaled to it.
    uint64_t q = *r.cpu_quota_per_sec_usec.value;
    w.push_back({"cpu.max", q == kLimitInfinity ? "max 100000" : std::to_string(std::max<uint64_t>(q / 10, 1000)) + " 100000"});
  }
  if (r.cpu_weight.is_set()) w.push_back({"cpu.weight", std::to_string(*r.cpu_weight.value)});
  if (r.allowed_cpus.is_set()) w.push_back({"cpuset.cpus", *r.allowed_cpus.value});
  if (r.io_weight.is_set()) w.push_back({"io.weight", "default " + std::to_string(*r.io_weight.value)});
  for (const auto* list : {&r.io_read_bandwidth_max, &r.io_write_bandwidth_max}) {
    const char* key = list == &r.io_read_bandwidth_max ? "rbps" : "wbps";
    for (const auto& item : *list) {
      auto dev = block_device(item.value.path);
      if (!dev) return std::move(dev).error().wrap(Step::Cgroup, item.origin.str());
      w.push_back({"io.max", *dev + " " + key + "=" + num_or_max(item.value.bytes_per_sec)});
    }
  }
  return w;
}

std::vector<std::string> cgroup_controllers(const Resources& r) {
  std::vector<std::string> c;
  if (r.memory_high.is_set() || r.memory_max.is_set() || r.memory_swap_max.is_set()) c.push_back("memory");
  if (r.tasks_max.is_set()) c.push_back("pids");
  if (r.cpu_quota_per_sec_usec.is_set() || r.cpu_weight.is_set()) c.push_back("cpu");
  if (r.allowed_cpus.is_set()) c.push_back("cpuset");
  if (r.io_weight.is_set() || !r.io_read_bandwidth_max.empty() || !r.io_write_bandwidth_max.empty())
    c.push_back("io");
  return c;
}

CgroupEnvironment probe_cgroup_environment() {
  CgroupEnvironment env;
  if (is_cgroup2("/sys/fs/cgroup")) env.unified_root = "/sys/fs/cgroup";
  else if (is_cgroup2("/sys/fs/cgroup/unified")) env.unified_root = "/sys/fs/cgroup/unified";
  std::string self = read_text("/proc/self/cgroup");
  size_t pos = self.find("0::");
  if (pos != std::string::npos && (pos == 0 || self[pos - 1] == '\n')) {
    size_t end = self.find('\n', pos);
    env.own_path = self.substr(pos + 3, end == std::string::npos ? std::string::npos : end - pos - 3);
  }
  struct stat st{};
  env.systemd_running = lstat("/run/systemd/system", &st) == 0 && S_ISDIR(st.st_mode);
  env.root = geteuid() == 0;
  return env;
}

JailCgroup::JailCgroup(JailCgroup&& o) noexcept
    : mode_(o.mode_), leaf_(std::move(o.leaf_)), leaf_path_(std::move(o.leaf_path_)),
      name_(std::move(o.name_)), resources_(o.resources_), filter_(o.filter_),
      unified_root_(std::move(o.unified_root_)), system_bus_(o.system_bus_) {
  o.mode_ = CgroupMode::None;
  o.leaf_path_.clear();
}

JailCgroup& JailCgroup::operator=(JailCgroup&& o) noexcept {
  if (this != &o) {
    cleanup();
    mode_ = std::exchange(o.mode_, CgroupMode::None);
    leaf_ = std::move(o.leaf_);
    leaf_path_ = std::move(o.leaf_path_);
    o.leaf_path_.clear();
    name_ = std::move(o.name_);
    resources_ = o.resources_;
    filter_ = o.filter_;
    unified_root_ = std::move(o.unified_root_);
    system_bus_ = o.system_bus_;
  }
  return *this;
}

JailCgroup::~JailCgroup() { cleanup(); }

void JailCgroup::remove_leaf(const std::string& path) noexcept {
  // Only empty cgroups can be removed: by now the jail has exited.
  if (!path.empty()) rmdir(path.c_str());
}

void JailCgroup::cleanup() noexcept {
  leaf_.reset();
  if (mode_ == CgroupMode::Delegated) remove_leaf(leaf_path_);
  leaf_path_.clear();
}

CgroupPlan plan_cgroup(const Resources& r, const CgroupEnvironment& env, bool filtered) {
  CgroupPlan plan;
  if (filtered) {
    plan = plan_cgroup(r, env, false);
    std::string unit = env.own_path;
    if (unit.ends_with("/supervisor")) unit.resize(unit.size() - 11);
    unit = unit.substr(unit.rfind('/') + 1);
    std::string why;
    if (!env.root)
      why = "systemd's user manager cannot hold them";
    else if (!env.systemd_running)
      why = "systemd is not the service manager here";
    else if (plan.mode == CgroupMode::Delegated || unit.ends_with(".service"))
      why = "zjail runs in " + unit +
            ", whose own IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces= hold its whole cgroup: set "
            "them there";
    if (why.empty()) return {CgroupMode::Scope, "", ""};
    return {CgroupMode::None, "",
            "the filters of a jail on the host's network are systemd's cgroup BPF on a transient scope, and " +
                why};
  }
  if (!(r.any_limit() || r.slice.is_set())) return plan;
  std::string own = env.unified_root.empty() ? "" : env.unified_root + env.own_path;
  bool in_service = env.own_path.ends_with(".service");
  // In <unit>/supervisor, an earlier zjail of this unit moved us there (a
  // wrapper that runs zjail more than once): the unit's cgroup is the base.
  if (std::string_view sup = "/supervisor"; !own.empty() && own.ends_with(sup) && !delegated(own) &&
                                            delegated(own.substr(0, own.size() - sup.size()))) {
    own.resize(own.size() - sup.size());
    in_service = true;
  }
  if (!own.empty() && (delegated(own) || (!env.systemd_running && access(own.c_str(), W_OK) == 0))) {
    std::string available = read_text(own + "/cgroup.controllers");
    for (const auto& c : cgroup_controllers(r))
      if ((" " + available + " ").find(" " + c + " ") == std::string::npos &&
          (" " + available).find(" " + c + "\n") == std::string::npos)
        plan.unenforceable = "controller '" + c + "' is not available in " + own;
    if (plan.unenforceable.empty()) {
      plan.mode = CgroupMode::Delegated;
      plan.base = own;
    }
  } else if (env.systemd_running && in_service) {
    plan.unenforceable = "the unit " + env.own_path.substr(env.own_path.rfind('/') + 1) +
                         " does not delegate its cgroup: set Delegate=yes on it";
  } else if (env.systemd_running) {
    plan.mode = CgroupMode::Scope;  // limits travel with StartTransientUnit
  } else if (env.unified_root.empty()) {
    plan.unenforceable = "no cgroup v2 hierarchy is mounted";
  } else {
    plan.unenforceable = "no systemd and no writable delegated cgroup v2 subtree at " + own;
  }
  return plan;
}

Result<JailCgroup> JailCgroup::prepare(const Resources& r, const NetworkFilter* filter, const std::string& name,
                                       const CgroupEnvironment& env, std::string& warning) {
  JailCgroup cg;
  cg.name_ = name;
  cg.resources_ = &r;
  cg.filter_ = filter;
  cg.unified_root_ = env.unified_root;
  cg.system_bus_ = env.root;
  CgroupPlan plan = plan_cgroup(r, env, filter != nullptr);
  if (plan.mode == CgroupMode::None && plan.unenforceable.empty()) return cg;
  ZJAIL_TRY_ASSIGN(auto writes, cgroup_writes(r));
  // The filters never run best-effort: a jail never runs without a
  // directive it was given.
  if (filter && !plan.unenforceable.empty()) return make_error(Step::Cgroup, 0, plan.unenforceable);
  if (!plan.unenforceable.empty()) {
    if (r.enforce_strict.value.value_or(true))
      return make_error(Step::Cgroup, 0, "resource limits requested but cannot be enforced: " + plan.unenforceable +
                                             " (EnforceLimits=best-effort runs without them)");
    warning = "RUNNING WITHOUT RESOURCE LIMITS (EnforceLimits=best-effort): " + plan.unenforceable;
    return cg;
  }
  cg.mode_ = plan.mode;
  if (plan.mode != CgroupMode::Delegated) return cg;
  // Delegated subtree. The no-internal-processes rule: zjail moves itself
  // into a leaf of its own before controllers can be enabled for the jail.
  const std::string& own = plan.base;
  UniqueFd dir(open(own.c_str(), O_PATH | O_DIRECTORY | O_CLOEXEC));
  if (!dir) return make_error(Step::Cgroup, errno, own);
  mkdirat(dir.get(), "supervisor", 0755);
  ZJAIL_TRY(write_at(dir.get(), own, "supervisor/cgroup.procs", "0"));
  std::string enable;
  for (const auto& c : cgroup_controllers(r)) enable += "+" + c + " ";
  if (!enable.empty()) {
    auto st = write_at(dir.get(), own, "cgroup.subtree_control", enable);
    if (!st && st.error().err == EBUSY && delegated(own)) {
      vacate(dir.get());
      st = write_at(dir.get(), own, "cgroup.subtree_control", enable);
    }
    if (!st) return std::move(st).error();
  }
  std::string leaf_name = "jail-" + std::to_string(getpid());
  if (mkdirat(dir.get(), leaf_name.c_str(), 0755) != 0 && errno != EEXIST)
    return make_error(Step::Cgroup, errno, own + "/" + leaf_name);
  cg.leaf_path_ = own + "/" + leaf_name;
  cg.leaf_.reset(openat(dir.get(), leaf_name.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg.leaf_) return make_error(Step::Cgroup, errno, cg.leaf_path_);
  for (const auto& w : writes) ZJAIL_TRY(write_at(cg.leaf_.get(), cg.leaf_path_, w.file, w.value));
  return cg;
}

Status JailCgroup::adopt(pid_t pid) {
  if (mode_ != CgroupMode::Scope) return {};
  return start_scope(*resources_, name_, pid, system_bus_, filter_, unified_root_);
}

}  // namespace zjail
