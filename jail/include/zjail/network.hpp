// Networking between "none" and "the host's" (docs/network.md): a veth pair
// with addresses (VirtualEthernet=), user-mode networking through pasta
// (UserModeNetworking=), joining a namespace (NetworkNamespacePath=), port
// forwards (Port=), and address and interface filters enforced in the
// jail's own namespace (IPAddressAllow=, IPAddressDeny=,
// RestrictNetworkInterfaces=). The planner fills a NetworkPlan; the parent
// carries it out at Step::Network, before the jail's go-ahead, so the
// payload never sees its network half-made and never holds CAP_NET_ADMIN
// over it.
#pragma once

#include <sys/socket.h>
#include <sys/types.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "zjail/fd.hpp"
#include "zjail/result.hpp"

namespace zjail {

// An IPv4 or IPv6 address with its prefix length ("10.0.0.2/30").
struct IpPrefix {
  int family = 0;                      // AF_INET or AF_INET6
  std::array<unsigned char, 16> addr{};  // network byte order; IPv4 in the first 4
  int len = 0;                         // prefix length
  size_t bytes() const { return family == AF_INET6 ? 16 : 4; }
  bool operator==(const IpPrefix&) const = default;
};

// "ADDR" (a host prefix: /32 or /128) or "ADDR/LEN".
Result<IpPrefix> parse_ip_prefix(std::string_view text);
std::string format_ip_prefix(const IpPrefix& p, bool with_len = true);
// Whether two prefixes share any address.
bool prefixes_overlap(const IpPrefix& a, const IpPrefix& b);
// The first of `v` of `family`, or null.
const IpPrefix* of_family(const std::vector<IpPrefix>& v, int family);

// Port=[tcp:|udp:]HOSTPORT[:JAILPORT] (systemd.nspawn(5)), and
// HostLoopbackPort= the other way round (zjail's).
struct PortForward {
  int protocol = 0;  // IPPROTO_TCP or IPPROTO_UDP
  uint16_t host_port = 0, jail_port = 0;
  std::string origin;  // "Port=8080:80 (redis.profile:4)", for messages
};
Result<PortForward> parse_port_forward(std::string_view text);

enum class NetworkMode : unsigned char {
  Host,      // PrivateNetwork=no: the host's namespace
  Private,   // PrivateNetwork=yes: a namespace with only lo
  Veth,      // VirtualEthernet=yes: host0 <-> zj-NAME-XXXX
  UserMode,  // UserModeNetworking=yes: pasta, for any user
  Join,      // NetworkNamespacePath=
};
const char* network_mode_name(NetworkMode m);
// Whether the jail gets a network namespace of its own (CLONE_NEWNET).
constexpr bool owns_network_namespace(NetworkMode m) {
  return m == NetworkMode::Private || m == NetworkMode::Veth || m == NetworkMode::UserMode;
}

// IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces= as the
// firewall (firewall.hpp) enforces them in the jail's own namespace, or, on
// the host's or a joined network, systemd's cgroup BPF on the jail's scope
// (scope.hpp).
struct NetworkFilter {
  std::vector<IpPrefix> allow, deny;  // systemd's keywords already expanded
  bool interfaces_set = false;
  bool interfaces_invert = false;     // "~": every interface except these
  std::vector<std::string> interfaces;
  bool empty() const { return allow.empty() && deny.empty() && !interfaces_set; }
};

struct NetworkPlan {
  NetworkMode mode = NetworkMode::Private;
  // Veth.
  std::string host_ifname;                 // "zj-NAME-XXXX", at most 15 bytes, unique per jail
  std::string jail_ifname = "host0";
  std::vector<IpPrefix> jail_addresses;    // Address=, or picked: the jail's side
  std::vector<IpPrefix> host_addresses;    // HostAddress=, or picked: the host's side
  // Veth and user mode.
  std::vector<PortForward> ports;          // Port=: the host's port to the jail's
  std::vector<PortForward> loopback_ports; // HostLoopbackPort=: the jail's port to the host's loopback
  std::string pasta;                       // the pasta binary, found when planned
  // Join.
  std::string join_path;
  UniqueFd join_fd;                        // opened when planned: the namespace itself
  // Every mode but Private.
  NetworkFilter filter;
};

// The filters systemd holds on the jail's scope: those of a jail on the
// host's or a joined network. nullptr when there are none.
inline const NetworkFilter* scope_filter(const NetworkPlan& n) {
  return owns_network_namespace(n.mode) || n.filter.empty() ? nullptr : &n.filter;
}

}  // namespace zjail
