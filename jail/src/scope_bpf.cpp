// Whether systemd's cgroup BPF really holds a scope's network filters.
// systemd accepts IPAddressAllow=/IPAddressDeny= and
// RestrictNetworkInterfaces= on any scope and, where it cannot enforce them
// (no BPF firewall support, a build without BPF_FRAMEWORK), logs a warning
// and runs the unit without them. zjail reads what is attached to the
// scope's cgroup instead of trusting the reply: the address lists are
// LPM-trie maps of systemd's sd_fw programs, the interface list the
// ifaces_map of its restrict-ifaces programs, both ways. A list that is
// "any" (0.0.0.0/0 and ::/0) gets no map: systemd compiles it into the
// sd_fw program itself, so IPAddressDeny=any alone is an sd_fw program
// without an LPM trie.
#include "scope_bpf.hpp"

#include <fcntl.h>
#include <linux/bpf.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string_view>

namespace zjail {
namespace {

long bpf(int cmd, bpf_attr& attr) { return syscall(SYS_bpf, cmd, &attr, sizeof attr); }

// The programs attached to `cgroup` itself for one direction (`flags`
// BPF_F_QUERY_EFFECTIVE: those that run there, its ancestors' included).
Result<std::vector<uint32_t>> attached(int cgroup, bpf_attach_type type, uint32_t flags = 0) {
  std::array<uint32_t, 64> ids{};
  bpf_attr a{};
  a.query.target_fd = static_cast<uint32_t>(cgroup);
  a.query.attach_type = type;
  a.query.query_flags = flags;
  a.query.prog_ids = reinterpret_cast<uintptr_t>(ids.data());
  a.query.prog_cnt = ids.size();
  if (bpf(BPF_PROG_QUERY, a) != 0) return make_error(Step::Cgroup, errno, "BPF_PROG_QUERY");
  return std::vector<uint32_t>(ids.begin(), ids.begin() + std::min<size_t>(a.query.prog_cnt, ids.size()));
}

struct MapSeen {
  bool lpm_trie = false;
  bool ifaces = false;
  bool sd_fw = false;  // systemd's own address program for this direction
};

// systemd's "any": both families' /0, which it enforces without a map.
bool is_any(const std::vector<IpPrefix>& list) {
  auto has = [&](int family) {
    return std::any_of(list.begin(), list.end(), [&](const IpPrefix& p) { return p.family == family && p.len == 0; });
  };
  return has(AF_INET) && has(AF_INET6);
}

// What the maps of program `id` are, and whether it is `sd_fw` by name.
Result<MapSeen> maps_of(uint32_t id, std::string_view sd_fw) {
  bpf_attr a{};
  a.prog_id = id;
  UniqueFd prog(static_cast<int>(bpf(BPF_PROG_GET_FD_BY_ID, a)));
  if (!prog) return make_error(Step::Cgroup, errno, "BPF_PROG_GET_FD_BY_ID " + std::to_string(id));
  std::array<uint32_t, 16> map_ids{};
  bpf_prog_info info{};
  info.nr_map_ids = map_ids.size();
  info.map_ids = reinterpret_cast<uintptr_t>(map_ids.data());
  a = {};
  a.info.bpf_fd = static_cast<uint32_t>(prog.get());
  a.info.info_len = sizeof info;
  a.info.info = reinterpret_cast<uintptr_t>(&info);
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, a) != 0) return make_error(Step::Cgroup, errno, "BPF_OBJ_GET_INFO_BY_FD");
  MapSeen seen;
  seen.sd_fw = info.type == BPF_PROG_TYPE_CGROUP_SKB && std::string_view(info.name) == sd_fw;
  for (uint32_t i = 0; i < std::min<uint32_t>(info.nr_map_ids, map_ids.size()); ++i) {
    a = {};
    a.map_id = map_ids[i];
    UniqueFd map(static_cast<int>(bpf(BPF_MAP_GET_FD_BY_ID, a)));
    if (!map) return make_error(Step::Cgroup, errno, "BPF_MAP_GET_FD_BY_ID " + std::to_string(map_ids[i]));
    bpf_map_info m{};
    a = {};
    a.info.bpf_fd = static_cast<uint32_t>(map.get());
    a.info.info_len = sizeof m;
    a.info.info = reinterpret_cast<uintptr_t>(&m);
    if (bpf(BPF_OBJ_GET_INFO_BY_FD, a) != 0) return make_error(Step::Cgroup, errno, "BPF_OBJ_GET_INFO_BY_FD");
    if (m.type == BPF_MAP_TYPE_LPM_TRIE) seen.lpm_trie = true;
    if (m.type == BPF_MAP_TYPE_HASH && std::string_view(m.name) == "ifaces_map") seen.ifaces = true;
  }
  return seen;
}

}  // namespace

Result<bool> runs_network_programs(const std::string& cgroup_path) {
  UniqueFd cg(open(cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) return make_error(Step::Cgroup, errno, cgroup_path);
  for (auto type : {BPF_CGROUP_INET_INGRESS, BPF_CGROUP_INET_EGRESS}) {
    ZJAIL_TRY_ASSIGN(auto ids, attached(cg.get(), type, BPF_F_QUERY_EFFECTIVE));
    if (!ids.empty()) return true;
  }
  return false;
}

Status verify_scope_filter(const std::string& cgroup_path, const std::string& unit, const NetworkFilter& f) {
  UniqueFd cg(open(cgroup_path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!cg) return make_error(Step::Cgroup, errno, cgroup_path);
  bool lists = !f.allow.empty() || !f.deny.empty();
  bool any = is_any(f.allow) || is_any(f.deny);
  for (auto [type, way] : {std::pair{BPF_CGROUP_INET_INGRESS, "ingress"}, std::pair{BPF_CGROUP_INET_EGRESS, "egress"}}) {
    ZJAIL_TRY_ASSIGN(auto ids, attached(cg.get(), type));
    MapSeen all;
    for (uint32_t id : ids) {
      ZJAIL_TRY_ASSIGN(auto seen, maps_of(id, type == BPF_CGROUP_INET_INGRESS ? "sd_fw_ingress" : "sd_fw_egress"));
      all.lpm_trie |= seen.lpm_trie;
      all.ifaces |= seen.ifaces;
      all.sd_fw |= seen.sd_fw;
    }
    if (lists && !all.lpm_trie && !(any && all.sd_fw))
      return make_error(Step::Cgroup, 0,
                        "systemd did not attach IPAddressAllow=/IPAddressDeny= to " + unit + " (" + way +
                            "): its BPF firewall is unavailable on this host, and the jail does not run without it");
    if (f.interfaces_set && !all.ifaces)
      return make_error(Step::Cgroup, 0,
                        "systemd did not attach RestrictNetworkInterfaces= to " + unit + " (" + way +
                            "): it needs a systemd built with BPF_FRAMEWORK (systemctl --version), and the jail "
                            "does not run without it");
  }
  return {};
}

}  // namespace zjail
