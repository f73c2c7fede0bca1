// Cgroup resource directives (MemoryMax=, TasksMax=, CPUQuota=, ...), with
// systemd's value syntax. Kept apart from directives.cpp: they fill
// Profile::resources, which only the cgroup code reads.
#include <algorithm>
#include <cctype>

#include "directives.hpp"
#include "scope.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Error invalid(const Assignment& a, string_view expected) { return invalid_value(a, expected); }

Resources& res(Profile& p) { return p.resources; }

template <Setting<uint64_t> Resources::*M>
Status bytes(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).*M = {}, Status{};
  uint64_t v;
  if (a.value == "infinity") v = kLimitInfinity;
  else if (!parse_size(a.value, v)) return invalid(a, "expected bytes (suffixes K, M, G, T) or 'infinity'");
  assign(res(p).*M, v, a.origin);
  return {};
}

Status tasks_max(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).tasks_max = {}, Status{};
  uint64_t v;
  if (a.value == "infinity") v = kLimitInfinity;
  else if (!parse_uint(a.value, v) || v == 0) return invalid(a, "expected a positive number or 'infinity'");
  assign(res(p).tasks_max, v, a.origin);
  return {};
}

Status cpu_quota(Profile& p, const Assignment& a) {
  if (a.value.empty()) return res(p).cpu_quota_per_sec_usec = {}, Status{};
  uint64_t pct;
  if (a.value.size() < 2 || a.value.back() != '%' || !parse_uint(a.value.substr(0, a.value.size() - 1), pct) ||
      pct == 0 || pct > 100000)
    return invalid(a, "expected a percentage such as 20% or 200%");
  assign(res(p).cpu_quota_per_sec_usec, pct * 10000, a.origin);
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
  else if (!parse_size(amount, bw.bytes_per_sec) || bw.bytes_per_sec == 0)
    return invalid(a, "expected bytes per second (suffixes K, M, G) or 'infinity'");
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
