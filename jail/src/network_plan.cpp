// The network a profile asks for, as a NetworkPlan (network.hpp): which of
// the five modes, the addresses and ports given, and the filters with
// systemd's keywords expanded. Everything that contradicts itself is
// refused here, with the line that said it, before anything is made.
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fcntl.h>
#include <linux/nsfs.h>
#include <sys/ioctl.h>

#include "directives.hpp"
#include "firewall.hpp"
#include "pasta.hpp"
#include "plan_internal.hpp"
#include "zjail/network_setup.hpp"

namespace zjail {
namespace {

constexpr int kCapNetAdmin = 12;
constexpr int kCapNetRaw = 13;

// Whether RestrictAddressFamilies= leaves the payload `family`.
bool family_open(const Security& s, int family) {
  if (s.address_families_none.is_set()) return false;
  if (!s.restrict_address_families.is_set) return true;
  bool listed = false;
  for (const auto& i : s.restrict_address_families.names)
    if (address_family_number(i.value) == family) listed = true;
  return listed != s.restrict_address_families.invert;
}

const Origin& first(const std::vector<Item<std::string>>& v) { return v.front().origin; }

Status refuse(const Origin& o, const std::string& why) { return at(o, Step::Plan, why); }

Result<std::vector<IpPrefix>> addresses(const std::vector<Item<std::string>>& items) {
  std::vector<IpPrefix> out;
  for (const auto& i : items) {
    auto p = parse_ip_prefix(i.value);
    if (!p) return at(i.origin, Step::Plan, p.error().context);
    out.push_back(*p);
  }
  return out;
}

Result<std::vector<PortForward>> ports(const std::vector<Item<std::string>>& items, const char* key) {
  std::vector<PortForward> out;
  for (const auto& i : items) {
    auto f = parse_port_forward(i.value);
    if (!f) return at(i.origin, Step::Plan, f.error().context);
    f->origin = std::string(key) + "=" + i.value + " (" + i.origin.str() + ")";
    for (const auto& o : out)
      if (o.protocol == f->protocol && o.host_port == f->host_port)
        return at(i.origin, Step::Plan, std::string(key) + "=" + i.value + " forwards a port " + o.origin +
                                            " forwards already");
    out.push_back(std::move(*f));
  }
  return out;
}

// Address= and HostAddress= of one family must share a subnet, so that the
// jail's default route has its gateway on the link, and must differ.
Status check_pairs(const Network& n, const NetworkPlan& net) {
  for (int family : {AF_INET, AF_INET6}) {
    const IpPrefix *jail = nullptr, *host = nullptr;
    for (const auto& a : net.jail_addresses)
      if (a.family == family && !jail) jail = &a;
    for (const auto& a : net.host_addresses)
      if (a.family == family && !host) host = &a;
    if (!jail && !host) continue;  // picked at launch
    const Origin& o = n.host_address.empty() ? first(n.address) : first(n.host_address);
    if (!jail || !host)
      return refuse(o, std::string(jail ? "Address=" : "HostAddress=") + format_ip_prefix(jail ? *jail : *host) +
                           " needs the other side's address of its family too (" +
                           (jail ? "HostAddress=" : "Address=") + "): a picked subnet would not hold it");
    if (!prefixes_overlap(*jail, *host))
      return refuse(o, "Address=" + format_ip_prefix(*jail) + " and HostAddress=" + format_ip_prefix(*host) +
                           " are not on one subnet: the jail's default route needs the host's side on its link");
    IpPrefix a = *jail, b = *host;
    a.len = b.len = family == AF_INET ? 32 : 128;
    if (a == b) return refuse(o, "Address= and HostAddress= are the same address " + format_ip_prefix(*jail, false));
  }
  return {};
}

}  // namespace

NetworkMode network_mode(const Profile& p) {
  const Network& n = p.network;
  if (p.security.network_namespace_path.is_set()) return NetworkMode::Join;
  if (n.virtual_ethernet.value.value_or(false)) return NetworkMode::Veth;
  if (n.user_mode.value.value_or(false)) return NetworkMode::UserMode;
  return p.private_network.value.value_or(true) ? NetworkMode::Private : NetworkMode::Host;
}

bool has_network_filter(const Profile& p) {
  const Security& s = p.security;
  return !s.ip_address_allow.empty() || !s.ip_address_deny.empty() || s.restrict_network_interfaces.is_set;
}

Status plan_network(const Profile& p, Plan& plan) {
  const Network& n = p.network;
  const Security& s = p.security;
  NetworkPlan& net = plan.network;
  net.mode = network_mode(p);
  bool veth = n.virtual_ethernet.value.value_or(false), user = n.user_mode.value.value_or(false);
  bool join = net.mode == NetworkMode::Join;
  // What cannot be had together.
  if (veth && user)
    return refuse(n.user_mode.origin, "UserModeNetworking=yes and VirtualEthernet=yes are two networks: choose one");
  if (join && (veth || user || p.private_network.value.value_or(false)))
    return refuse(s.network_namespace_path.origin,
                  "NetworkNamespacePath= joins a namespace, which PrivateNetwork=yes, VirtualEthernet= or "
                  "UserModeNetworking= would make instead: choose one");
  if ((veth || user) && p.private_network.is_set() && !*p.private_network.value)
    return refuse(p.private_network.origin, std::string(veth ? "VirtualEthernet" : "UserModeNetworking") +
                                                "=yes makes a network namespace of its own, and PrivateNetwork=no "
                                                "asks for the host's: choose one");
  if (!veth && !n.address.empty())
    return refuse(first(n.address), "Address= is the jail's side of VirtualEthernet=yes, which is not set");
  if (!veth && !n.host_address.empty())
    return refuse(first(n.host_address), "HostAddress= is the host's side of VirtualEthernet=yes, which is not set");
  if (!veth && !user && !n.port.empty())
    return refuse(first(n.port), "Port= forwards to a jail with VirtualEthernet=yes or UserModeNetworking=yes");
  if (!user && !n.host_loopback_port.empty())
    return refuse(first(n.host_loopback_port), "HostLoopbackPort= reaches the host's loopback through "
                                               "UserModeNetworking=yes, which is not set");
  if (veth && !plan.invoked_as_root)
    return refuse(n.virtual_ethernet.origin,
                  "VirtualEthernet=yes needs root: it makes a link in the host's network namespace "
                  "(UserModeNetworking=yes is the way for other users)");

  ZJAIL_TRY_ASSIGN(net.jail_addresses, addresses(n.address));
  ZJAIL_TRY_ASSIGN(net.host_addresses, addresses(n.host_address));
  ZJAIL_TRY(check_pairs(n, net));
  ZJAIL_TRY_ASSIGN(net.ports, ports(n.port, "Port"));
  ZJAIL_TRY_ASSIGN(net.loopback_ports, ports(n.host_loopback_port, "HostLoopbackPort"));
  if (user) {
    auto pasta = find_pasta();
    if (!pasta) return at(n.user_mode.origin, Step::Plan, "UserModeNetworking=yes: " + pasta.error().context);
    net.pasta = *pasta;
  }
  if (join) {
    const std::string& path = *s.network_namespace_path.value;
    if (!plan.invoked_as_root)
      return refuse(s.network_namespace_path.origin,
                    "NetworkNamespacePath= needs root: only root may enter a namespace the jail's own user "
                    "namespace does not own");
    net.join_path = path;
    net.join_fd.reset(open(path.c_str(), O_RDONLY | O_CLOEXEC));
    if (!net.join_fd)
      return make_error(Step::Plan, errno, s.network_namespace_path.origin.str() + ": NetworkNamespacePath=" + path);
    if (ioctl(net.join_fd.get(), NS_GET_NSTYPE) != CLONE_NEWNET)
      return refuse(s.network_namespace_path.origin,
                    "NetworkNamespacePath=" + path + " is not a network namespace (such as /run/netns/NAME)");
  }

  if (has_network_filter(p)) {
    const Origin& o = !s.ip_address_allow.empty()  ? first(s.ip_address_allow)
                      : !s.ip_address_deny.empty() ? first(s.ip_address_deny)
                      : s.restrict_network_interfaces.names.empty()
                          ? Origin{}
                          : s.restrict_network_interfaces.names.front().origin;
    if (owns_network_namespace(net.mode)) {
      // A payload with CAP_NET_ADMIN over its namespace could delete them.
      if ((plan.ambient & (1ULL << kCapNetAdmin)) || ((plan.bounding & (1ULL << kCapNetAdmin)) && plan.uid == 0))
        return refuse(o, "the address and interface filters live in the jail's network namespace, which a payload "
                         "holding CAP_NET_ADMIN could empty: drop it from CapabilityBoundingSet=");
      // CAP_NET_RAW: a packet socket writes frames straight to the device,
      // under every netfilter hook; a raw ICMPv6 socket dresses any data as
      // neighbour discovery, which the address check lets through (tried:
      // both reached a denied host).
      bool raw = (plan.ambient & (1ULL << kCapNetRaw)) || ((plan.bounding & (1ULL << kCapNetRaw)) && plan.uid == 0);
      bool lists = !s.ip_address_allow.empty() || !s.ip_address_deny.empty();
      if (raw && (family_open(s, AF_PACKET) || (lists && family_open(s, AF_INET6))))
        return refuse(o, "a payload holding CAP_NET_RAW passes the address and interface filters (AF_PACKET "
                         "frames, and ICMPv6 dressed as neighbour discovery): drop CAP_NET_RAW, or close AF_PACKET "
                         "(and AF_INET6 with IPAddressAllow=/IPAddressDeny=) with RestrictAddressFamilies=");
    } else {
      // The host's or a joined namespace: systemd's cgroup BPF on the
      // jail's scope holds them (scope.cpp), for the sockets made in the
      // scope. A listener zjail binds is made outside it, and a connection
      // accepted on it would pass unfiltered.
      for (const auto* list : {&p.listen_stream, &p.listen_datagram})
        for (const auto& i : *list)
          if (!i.value.starts_with("/") && !i.value.starts_with("@"))
            return refuse(i.origin, "the filters of a jail on the " +
                                        std::string(join ? "joined" : "host's") +
                                        " network are systemd's, on the jail's scope, and hold for the sockets "
                                        "made in it; zjail binds " + i.value +
                                        " outside it: set the filters on the unit instead, or give the jail a "
                                        "network of its own (VirtualEthernet=yes)");
    }
    std::vector<std::string> words;
    for (const auto& i : s.ip_address_allow) words.push_back(i.value);
    ZJAIL_TRY_ASSIGN(net.filter.allow, expand_address_words(words));
    words.clear();
    for (const auto& i : s.ip_address_deny) words.push_back(i.value);
    ZJAIL_TRY_ASSIGN(net.filter.deny, expand_address_words(words));
    const NameList& ifs = s.restrict_network_interfaces;
    net.filter.interfaces_set = ifs.is_set;
    net.filter.interfaces_invert = ifs.invert;
    for (const auto& i : ifs.names) net.filter.interfaces.push_back(i.value);
  }

  // The namespace flag follows the mode; only the isolated one counts as
  // "private" for the rules that assume no way out (Landlock, io_uring).
  plan.private_network = net.mode == NetworkMode::Private;
  return {};
}

}  // namespace zjail

namespace zjail {

// --show's account of the network a launch builds: which one, the names
// and addresses it will have, and where ports lead.
std::vector<std::string> describe_network(const Profile& p) {
  const Network& n = p.network;
  std::vector<std::string> out;
  auto ports = [&](const std::vector<Item<std::string>>& items, bool loopback) {
    for (const auto& i : items) {
      auto f = parse_port_forward(i.value);
      if (!f) continue;
      std::string proto = f->protocol == IPPROTO_UDP ? "udp" : "tcp";
      out.push_back(loopback ? "the jail's 127.0.0.1:" + std::to_string(f->jail_port) + " (" + proto +
                                   ") reaches the host's 127.0.0.1:" + std::to_string(f->host_port)
                             : "the host's port " + std::to_string(f->host_port) + " (" + proto +
                                   ") leads to the jail's port " + std::to_string(f->jail_port));
    }
  };
  switch (network_mode(p)) {
    case NetworkMode::Host: out.push_back("network: the host's"); break;
    case NetworkMode::Private: out.push_back("network: private, only lo"); break;
    case NetworkMode::Join:
      out.push_back("network: joins " + *p.security.network_namespace_path.value + " (zjail builds nothing there)");
      break;
    case NetworkMode::UserMode:
      out.push_back("network: user mode through pasta: host0 in the jail copies the host's address and routes; "
                    "outbound through the host's stack; the host's loopback only through HostLoopbackPort=");
      ports(n.port, false);
      ports(n.host_loopback_port, true);
      break;
    case NetworkMode::Veth: {
      out.push_back("network: veth: host0 in the jail, zj-NAME-XXXX on the host (NAME from the profile, XXXX "
                    "random, unique when the link is made)");
      auto side = [&](const std::vector<Item<std::string>>& items, const char* who) {
        for (const auto& i : items) out.push_back(std::string(who) + " " + i.value);
      };
      side(n.address, "the jail's address:");
      side(n.host_address, "the host's address:");
      bool v4 = false, v6 = false;
      for (const auto& i : n.address) (i.value.find(':') == std::string::npos ? v4 : v6) = true;
      if (!v4) out.push_back("IPv4: a free /30 in 10.0.0.0/8, picked at launch (the host .1, the jail .2)");
      if (!v6) out.push_back("IPv6: a free ULA /64 in fd00::/8, picked at launch (the host ::1, the jail ::2)");
      out.push_back("the jail's default routes lead to the host's side");
      ports(n.port, false);
      break;
    }
  }
  if (has_network_filter(p) && owns_network_namespace(network_mode(p)))
    out.push_back("IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces=: nftables table inet zjail in the "
                  "jail's namespace");
  return out;
}

}  // namespace zjail
