// Cgroup resource directives (MemoryMax=, TasksMax=, CPUQuota=, ...), with
// systemd's value syntax. Kept apart from directives.cpp: they fill
// Profile::resources, which only the cgroup code reads.
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <fstream>

#include "directives.hpp"
#include "scope.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Error invalid(const Assignment& a, string_view expected) { return invalid_value(a, expected); }

Resources& res(Profile& p) { return p.resources; }

// A share of `total`, from a permyriad.
uint64_t scaled(uint64_t total, uint64_t permyriad) {
  return static_cast<uint64_t>(static_cast<unsigned __int128>(total) * permyriad / 10000);
}

uint64_t physical_memory() {
  long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
  return pages > 0 && size > 0 ? static_cast<uint64_t>(pages) * static_cast<uint64_t>(size) : 0;
}

uint64_t read_number(const char* path) {
  std::ifstream in(path);
  uint64_t v = 0;
  return in >> v ? v : 0;
}

// The most tasks this system runs, as systemd computes it for TasksMax=N%:
// kernel.threads-max and kernel.pid_max - 1 (pid 0 is no task), capped at
// systemd's own 4194303.
uint64_t system_tasks_max() {
  uint64_t m = 4194303;
  if (uint64_t t = read_number("/proc/sys/kernel/threads-max")) m = std::min(m, t);
  if (uint64_t p = read_number("/proc/sys/kernel/pid_max"); p > 1) m = std::min(m, p - 1);
  return m;
}

// MemoryMax=, MemoryHigh=, MemorySwapMax=: bytes, "infinity", or (except
// for swap) a percentage of the physical memory, resolved now, on the host
// that runs the jail. Only swap may be 0, as in systemd.
template <Setting<uint64_t> Resources::*M>
Status bytes(Profile& p, const Assignment& a) {
  const std::string name(a.key);
  res(p).as_share.erase(name);
  if (a.value.empty()) return res(p).*M = {}, Status{};
  bool swap = M == &Resources::memory_swap_max;
  uint64_t v = 0, permyriad = 0;
  if (a.value == "infinity") v = kLimitInfinity;
  else if (!swap && parse_permyriad(a.value, 10000, permyriad))
    v = scaled(physical_memory(), permyriad), res(p).as_share[name] = std::string(a.value);
  else if (!parse_size(a.value, v))
    return invalid(a, swap ? "expected bytes (suffixes K, M, G, T) or 'infinity'"
                           : "expected bytes (suffixes K, M, G, T), a percentage of the memory (10%) or 'infinity'");
  if (v == 0 && !swap) return invalid(a, "a memory limit of 0 is out of range");
  assign(res(p).*M, v, a.origin);
  return {};
}

// A number, "infinity", or a share of the system's task limit.
Status tasks_max(Profile& p, const Assignment& a) {
  res(p).as_share.erase("TasksMax");
  if (a.value.empty()) return res(p).tasks_max = {}, Status{};
  uint64_t v = 0, permyriad = 0;
  if (a.value == "infinity") v = kLimitInfinity;
  else if (parse_permyriad(a.value, 10000, permyriad))
    v = scaled(system_tasks_max(), permyriad), res(p).as_share["TasksMax"] = std::string(a.value);
  else if (!parse_uint(a.value, v)) return invalid(a, "expected a positive number, a percentage or 'infinity'");
  if (v == 0) return invalid(a, "expected a positive number, a percentage or 'infinity'");
  assign(res(p).tasks_max, v, a.origin);
  return {};
}

// A share of one CPU, over 100% for more than one: "20%", "150%", "12.5%".
Status cpu_quota(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).cpu_quota_per_sec_usec = {}, Status{};
  uint64_t permyriad = 0;
  if (!parse_permyriad(a.value, 10000000, permyriad) || permyriad == 0)
    return invalid(a, "expected a percentage such as 20%, 12.5% or 200%");
  assign(res(p).cpu_quota_per_sec_usec, permyriad * 100, a.origin);
  return {};
}

template <Setting<uint64_t> Resources::*M>
Status weight(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).*M = {}, Status{};
  uint64_t v;
  if (!parse_uint(a.value, v) || v < 1 || v > 10000) return invalid(a, "expected a weight from 1 to 10000");
  assign(res(p).*M, v, a.origin);
  return {};
}

Status allowed_cpus(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).allowed_cpus = {}, Status{};
  string list(a.value);
  std::replace(list.begin(), list.end(), ' ', ',');
  if (!cpuset_mask(list)) return invalid(a, "expected CPU numbers and ranges, such as 0-3,6");
  assign(res(p).allowed_cpus, list, a.origin);
  return {};
}

template <std::vector<Item<IoBandwidth>> Resources::*M>
Status io_bandwidth(Profile& p, const Assignment& a) {
  if (a.value.empty()) return (res(p).*M).clear(), Status{};
  size_t space = a.value.find_first_of(" \t");
  IoBandwidth bw;
  if (space == string_view::npos) return invalid(a, "expected 'PATH BYTES', such as '/var/lib 10M'");
  bw.path = string(a.value.substr(0, space));
  string_view amount = trim(a.value.substr(space + 1));
  if (!valid_path(bw.path)) return invalid(a, "the path must be absolute, without '..'");
  if (amount == "infinity") bw.bytes_per_sec = kLimitInfinity;
  // Powers of 1000 here, as systemd.resource-control(5) says.
  else if (!parse_size(amount, bw.bytes_per_sec, 1000) || bw.bytes_per_sec == 0)
    return invalid(a, "expected bytes per second (suffixes K, M, G, T: powers of 1000) or 'infinity'");
  (res(p).*M).push_back({bw, a.origin});
  return {};
}

Status slice(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).slice = {}, Status{};
  bool ok = a.value.size() > 6 && a.value.ends_with(".slice") &&
            std::all_of(a.value.begin(), a.value.end(), [](char c) {
              return std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' || c == '@';
            });
  if (!ok) return invalid(a, "expected a slice unit name, such as system-zjail.slice");
  assign(res(p).slice, string(a.value), a.origin);
  return {};
}

Status enforce_limits(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).enforce_strict = {}, Status{};
  if (a.value == "strict") assign(res(p).enforce_strict, true, a.origin);
  else if (a.value == "best-effort") assign(res(p).enforce_strict, false, a.origin);
  else return invalid(a, "expected 'strict' or 'best-effort'");
  return {};
}

}  // namespace

const std::vector<Directive>& resource_directives() {
  static const std::vector<Directive> table = {
      {"Slice", slice},
      {"MemoryHigh", bytes<&Resources::memory_high>},
      {"MemoryMax", bytes<&Resources::memory_max>},
      {"MemorySwapMax", bytes<&Resources::memory_swap_max>},
      {"TasksMax", tasks_max},
      {"CPUQuota", cpu_quota},
      {"CPUWeight", weight<&Resources::cpu_weight>},
      {"AllowedCPUs", allowed_cpus},
      {"IOWeight", weight<&Resources::io_weight>},
      {"IOReadBandwidthMax", io_bandwidth<&Resources::io_read_bandwidth_max>, Directive::Merge::Accumulate},
      {"IOWriteBandwidthMax", io_bandwidth<&Resources::io_write_bandwidth_max>, Directive::Merge::Accumulate},
      {"EnforceLimits", enforce_limits},
  };
  return table;
}

}  // namespace zjail
