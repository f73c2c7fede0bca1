// IPAddressAllow=/IPAddressDeny=/RestrictNetworkInterfaces=, the veth
// jail's source checks and Port= as nftables batches (firewall.hpp; the expressions in firewall_expr.cpp).
#include "firewall.hpp"

#include <arpa/inet.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>

#include "firewall_expr.hpp"

namespace zjail {
namespace {

using fw::BatchWriter;
using fw::Rule;

IpPrefix prefix(int family, std::initializer_list<unsigned char> head, int len) {
  IpPrefix p;
  p.family = family;
  p.len = len;
  size_t i = 0;
  for (unsigned char b : head) p.addr[i++] = b;
  return p;
}

// systemd's is_localhost(): "localhost", "localhost.localdomain" and any
// name under them, with or without the final dot.
bool is_localhost(std::string_view w) {
  if (!w.empty() && w.back() == '.') w.remove_suffix(1);
  for (std::string_view base : {"localhost", "localhost.localdomain"}) {
    if (w == base) return true;
    if (w.size() > base.size() && w.ends_with(base) && w[w.size() - base.size() - 1] == '.') return true;
  }
  return false;
}

void clear_host_bits(IpPrefix& p) {
  for (size_t i = 0; i < p.addr.size(); ++i) {
    int bits = p.len - static_cast<int>(i) * 8;
    p.addr[i] &= bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<unsigned char>(0xff << (8 - bits));
  }
}

Status check_ifname(const std::string& name) {
  if (name.empty() || name.size() > 15 || name.find_first_of("/: \t\n") != std::string::npos || name == "." ||
      name == "..")
    return make_error(Step::Network, EINVAL, "RestrictNetworkInterfaces=: '" + name + "' is not an interface name");
  return {};
}

// The kernel's own IPv6 neighbour discovery (router and neighbour
// solicitations and advertisements, ICMPv6 133 to 136, hop limit 255 as
// RFC 4861 requires): systemd's per-socket BPF never sees it, and an
// address filter that dropped it would break IPv6 on the link itself.
void accept_neighbour_discovery(const NetLibs& L, BatchWriter& w, const std::string& chain) {
  Rule r(L, NFPROTO_INET, kFilterTable, chain);
  r.meta(NFT_META_NFPROTO, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, NFPROTO_IPV6);
  r.meta(NFT_META_L4PROTO, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, IPPROTO_ICMPV6);
  r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 0, 1, NFT_REG_1);
  r.cmp_u8(NFT_CMP_GTE, NFT_REG_1, 133).cmp_u8(NFT_CMP_LTE, NFT_REG_1, 136);
  r.payload(NFT_PAYLOAD_NETWORK_HEADER, 7, 1, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, 255);
  r.verdict(NF_ACCEPT);
  w.rule(r);
}

Status check_table(const std::string& table) {
  if (table.empty() || table.size() > 255)
    return make_error(Step::Network, EINVAL, "the jail's host side: bad table name '" + table + "'");
  return {};
}

// Chain `chain` of `table`: a source among `own` (each the jail's address
// alone, not its subnet), in fe80::/10 or :: (neighbour discovery, MLD)
// accepts; any other IPv4 or IPv6 source drops.
void own_sources_only(const NetLibs& L, BatchWriter& w, const std::string& table, const char* chain,
                      const std::vector<IpPrefix>& own) {
  w.chain(NFPROTO_INET, table, chain, nullptr);
  std::vector<IpPrefix> allowed;
  for (IpPrefix p : own) {
    p.len = static_cast<int>(p.bytes()) * 8;
    allowed.push_back(p);
  }
  allowed.push_back(prefix(AF_INET6, {0xfe, 0x80}, 10));
  allowed.push_back(prefix(AF_INET6, {}, 128));
  for (const IpPrefix& p : allowed) {
    Rule r(L, NFPROTO_INET, table, chain);
    w.rule(r.address_in(p, true).verdict(NF_ACCEPT));
  }
  for (int family : {AF_INET, AF_INET6}) {
    Rule r(L, NFPROTO_INET, table, chain);
    w.rule(r.address_in(prefix(family, {}, 0), true).verdict(NF_DROP));
  }
}

// The Port= chains (forward_batch's) in `table`, which `w` has made.
Status add_forwards(const NetLibs& L, BatchWriter& w, const std::string& table, const std::vector<PortForward>& fw,
                    const IpPrefix* jail4, const IpPrefix* jail6) {
  if (!jail4 && !jail6) return make_error(Step::Network, EINVAL, "port forwards: the jail has no address");
  if ((jail4 && jail4->family != AF_INET) || (jail6 && jail6->family != AF_INET6))
    return make_error(Step::Network, EINVAL, "port forwards: the jail's addresses are of the wrong family");
  for (const auto& f : fw)
    if ((f.protocol != IPPROTO_TCP && f.protocol != IPPROTO_UDP) || f.host_port == 0 || f.jail_port == 0)
      return make_error(Step::Network, EINVAL, "port forwards: bad forward " + f.origin);

  // priority -100: dstnat, where systemd-nspawn's Port= and nft's own
  // "dnat" examples sit, before any filter of the host's.
  for (bool output : {false, true}) {
    const std::string chain = output ? "output" : "prerouting";
    BatchWriter::Hook hook{"nat", output ? unsigned{NF_INET_LOCAL_OUT} : unsigned{NF_INET_PRE_ROUTING}, -100};
    w.chain(NFPROTO_INET, table, chain, &hook);
    for (const IpPrefix* jail : {jail4, jail6}) {
      if (!jail) continue;
      const bool v6 = jail->family == AF_INET6;
      const uint8_t nfproto = v6 ? NFPROTO_IPV6 : NFPROTO_IPV4;
      for (const auto& f : fw) {
        Rule r(L, NFPROTO_INET, table, chain);
        r.meta(NFT_META_NFPROTO, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, nfproto);
        if (output) {
          // The host's loopback stays the host's: DNAT would send a packet
          // from 127.0.0.1 or ::1 out of the veth, where it is martian.
          if (v6) {
            static constexpr unsigned char lo6[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 24, 16, NFT_REG_1).cmp(NFT_CMP_NEQ, NFT_REG_1, lo6, 16);
          } else {
            static constexpr unsigned char m8[4] = {0xff, 0, 0, 0}, lo4[4] = {127, 0, 0, 0};
            r.payload(NFT_PAYLOAD_NETWORK_HEADER, 16, 4, NFT_REG_1).mask(NFT_REG_1, m8, 4);
            r.cmp(NFT_CMP_NEQ, NFT_REG_1, lo4, 4);
          }
        }
        r.meta(NFT_META_L4PROTO, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, static_cast<uint8_t>(f.protocol));
        r.payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2, NFT_REG_1).cmp_u16(NFT_CMP_EQ, NFT_REG_1, htons(f.host_port));
        r.fib_daddr_type(NFT_REG_1).cmp_u32(NFT_CMP_EQ, NFT_REG_1, RTN_LOCAL);
        uint16_t port = htons(f.jail_port);
        r.immediate(NFT_REG_1, jail->addr.data(), static_cast<uint32_t>(jail->bytes()));
        r.immediate(NFT_REG_2, &port, 2);
        w.rule(r.dnat(nfproto, NFT_REG_1, NFT_REG_2));
      }
    }
  }
  return {};
}

}  // namespace

Result<std::vector<IpPrefix>> expand_address_words(const std::vector<std::string>& words) {
  std::vector<IpPrefix> out;
  auto add = [&out](IpPrefix p) {
    clear_host_bits(p);
    for (auto& q : out)
      if (q == p) return;
    out.push_back(p);
  };
  for (const auto& w : words) {
    if (w == "any") {
      add(prefix(AF_INET, {}, 0));
      add(prefix(AF_INET6, {}, 0));
    } else if (is_localhost(w)) {
      add(prefix(AF_INET, {127}, 8));
      add(prefix(AF_INET6, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}, 128));
    } else if (w == "link-local") {
      add(prefix(AF_INET, {169, 254}, 16));
      add(prefix(AF_INET6, {0xfe, 0x80}, 64));
    } else if (w == "multicast") {
      add(prefix(AF_INET, {224}, 4));
      add(prefix(AF_INET6, {0xff}, 8));
    } else {
      ZJAIL_TRY_ASSIGN(auto p, parse_ip_prefix(w));
      add(p);
    }
  }
  return out;
}

Result<std::vector<unsigned char>> filter_batch(const NetLibs& L, const NetworkFilter& f) {
  for (const auto& name : f.interfaces) ZJAIL_TRY(check_ifname(name));
  const bool addresses = !f.allow.empty() || !f.deny.empty();
  BatchWriter w(L);
  w.table(NFPROTO_INET, kFilterTable, 0);
  for (bool input : {true, false}) {
    const std::string base = input ? "input" : "output", addr = base + "_addresses";
    BatchWriter::Hook hook{"filter", input ? unsigned{NF_INET_LOCAL_IN} : unsigned{NF_INET_LOCAL_OUT}, 0};
    w.chain(NFPROTO_INET, kFilterTable, base, &hook);
    if (addresses) w.chain(NFPROTO_INET, kFilterTable, addr, nullptr);
    // The interface first: an address the allow list accepts must not
    // reopen an interface RestrictNetworkInterfaces= closed.
    if (f.interfaces_set && !f.interfaces_invert) {
      for (const auto& name : f.interfaces) {
        Rule r(L, NFPROTO_INET, kFilterTable, base);
        r.ifname_is(input, name);
        if (addresses) r.verdict(NFT_GOTO, addr.c_str());
        else r.verdict(NF_ACCEPT);
        w.rule(r);
      }
      Rule drop(L, NFPROTO_INET, kFilterTable, base);
      w.rule(drop.verdict(NF_DROP));
    } else {
      if (f.interfaces_set)
        for (const auto& name : f.interfaces) {
          Rule r(L, NFPROTO_INET, kFilterTable, base);
          w.rule(r.ifname_is(input, name).verdict(NF_DROP));
        }
      if (addresses) {
        Rule r(L, NFPROTO_INET, kFilterTable, base);
        w.rule(r.verdict(NFT_GOTO, addr.c_str()));
      }
    }
    if (!addresses) continue;
    // The chain the base chain went to: its end is the base chain's policy,
    // accept. Allow before deny, so that the allow list wins.
    accept_neighbour_discovery(L, w, addr);
    for (const auto& p : f.allow) {
      Rule r(L, NFPROTO_INET, kFilterTable, addr);
      w.rule(r.address_in(p, input).verdict(NF_ACCEPT));
    }
    for (const auto& p : f.deny) {
      Rule r(L, NFPROTO_INET, kFilterTable, addr);
      w.rule(r.address_in(p, input).verdict(NF_DROP));
    }
  }
  return w.finish();
}

Result<std::vector<unsigned char>> source_batch(const NetLibs& L, const std::string& ifname,
                                                const std::vector<IpPrefix>& own) {
  ZJAIL_TRY(check_ifname(ifname));
  const char* table = "zjail_source";
  BatchWriter w(L);
  w.table(NFPROTO_INET, table, 0);
  own_sources_only(L, w, table, "source", own);
  BatchWriter::Hook hook{"filter", unsigned{NF_INET_LOCAL_OUT}, 0};
  w.chain(NFPROTO_INET, table, "output", &hook);
  Rule out(L, NFPROTO_INET, table, "output");
  w.rule(out.ifname_is(false, ifname).verdict(NFT_GOTO, "source"));
  return w.finish();
}

Result<std::vector<unsigned char>> host_batch(const NetLibs& L, const std::string& table, int host_ifindex,
                                              const std::vector<IpPrefix>& own, const std::vector<PortForward>& fw) {
  ZJAIL_TRY(check_table(table));
  if (host_ifindex <= 0)
    return make_error(Step::Network, EINVAL, "the jail's host side: bad link index " + std::to_string(host_ifindex));
  if (own.empty()) return make_error(Step::Network, EINVAL, "the jail's host side: the jail has no address");
  BatchWriter w(L);
  w.table(NFPROTO_INET, table, NFT_TABLE_F_OWNER);
  own_sources_only(L, w, table, "source", own);
  // priority raw (-300): before conntrack, so a forged packet leaves no
  // connection state behind either. The link by index, which the kernel
  // does not hand out again soon, not by name, which another jail's link
  // may take once this one is gone.
  BatchWriter::Hook hook{"filter", unsigned{NF_INET_PRE_ROUTING}, -300};
  w.chain(NFPROTO_INET, table, "from_jail", &hook);
  Rule in(L, NFPROTO_INET, table, "from_jail");
  w.rule(in.iif_is(static_cast<uint32_t>(host_ifindex)).verdict(NFT_GOTO, "source"));
  if (!fw.empty())
    ZJAIL_TRY(add_forwards(L, w, table, fw, of_family(own, AF_INET), of_family(own, AF_INET6)));
  return w.finish();
}

Result<std::vector<unsigned char>> forward_batch(const NetLibs& L, const std::string& table,
                                                 const std::vector<PortForward>& fw, const IpPrefix* jail4,
                                                 const IpPrefix* jail6) {
  ZJAIL_TRY(check_table(table));
  BatchWriter w(L);
  w.table(NFPROTO_INET, table, NFT_TABLE_F_OWNER);
  ZJAIL_TRY(add_forwards(L, w, table, fw, jail4, jail6));
  return w.finish();
}

}  // namespace zjail
