// The nftables half of networking (docs/network.md, "Filters" and "Port
// forwards in veth mode"): IPAddressAllow=/IPAddressDeny= and
// RestrictNetworkInterfaces= as a table in the jail's own namespace, where
// the payload, without CAP_NET_ADMIN, cannot change it; a veth jail's
// source check and Port= as a table in the host's namespace owned by
// zjail's netlink socket, so that the kernel deletes it when zjail exits,
// however it exits.
// Contract: batches are built in memory with libnftnl (through NetLibs,
// never linked) and sent by send_batch; nothing here logs, prints or keeps
// state between calls.
#pragma once

#include <string>
#include <vector>

#include "nl_libs.hpp"
#include "zjail/network.hpp"

namespace zjail {

// The filter's table in the jail's namespace: `table inet zjail`.
inline constexpr const char* kFilterTable = "zjail";

// IPAddressAllow=/IPAddressDeny= words as systemd.resource-control(5) reads
// them: `any` (0.0.0.0/0 ::/0), `localhost` (127.0.0.0/8 ::1/128),
// `link-local` (169.254.0.0/16 fe80::/64), `multicast` (224.0.0.0/4
// ff00::/8), or ADDR[/LEN]. Host bits past the prefix are cleared, as
// systemd does (10.1.2.3/8 is 10.0.0.0/8); duplicates are dropped. A bad
// word is a Step::Profile error naming it.
Result<std::vector<IpPrefix>> expand_address_words(const std::vector<std::string>& words);

// One nfnetlink batch (BEGIN, table, chains, rules, END; every message with
// NLM_F_ACK) creating `table inet zjail` with filter chains `input` and
// `output` (policy accept). An interface outside RestrictNetworkInterfaces=
// drops; then the remote address (source on input, destination on output)
// accepts if it is in `allow`, drops if it is in `deny`, and accepts
// otherwise. Every packet is checked, ICMP errors included; the kernel's
// own IPv6 neighbour discovery is let through, as systemd's BPF never sees
// it. No forward chain: the jail is an endpoint. The table is created with
// NLM_F_EXCL, so a namespace that has one already fails with EEXIST.
Result<std::vector<unsigned char>> filter_batch(const NetLibs& L, const NetworkFilter& f);

// One batch creating a veth jail's `table inet <table>` in the host's
// namespace, owned by the socket that sends it (NFT_TABLE_F_OWNER): chain
// `from_jail` (filter, hook prerouting, priority -300) sends what comes in
// on the host's side of the pair, link `host_ifindex`, to chain `source`,
// which accepts a source among `own` (the jail's addresses, each alone),
// fe80::/10 and :: and drops any other IPv4 or IPv6 packet. The payload
// cannot reach this namespace, so it holds even against a packet socket
// writing whole frames. With forwards, the Port= chains (forward_batch)
// in the same table.
Result<std::vector<unsigned char>> host_batch(const NetLibs& L, const std::string& table, int host_ifindex,
                                              const std::vector<IpPrefix>& own, const std::vector<PortForward>& fw);

// One batch creating `table inet <table>`, owned by the socket that sends it
// (NFT_TABLE_F_OWNER), with nat chains `prerouting` (hook prerouting,
// priority -100) and `output` (hook output, priority -100) that DNAT
// packets to a local address of this namespace, by protocol and host port,
// to the jail's address (jail4 for IPv4, jail6 for IPv6; either may be
// null) and jail port. The output chain skips 127.0.0.0/8 and ::1: a
// connection to the host's loopback stays on the host's loopback. A jail's
// own table is host_batch's; this one is the forwards alone.
Result<std::vector<unsigned char>> forward_batch(const NetLibs& L, const std::string& table,
                                                 const std::vector<PortForward>& fw, const IpPrefix* jail4,
                                                 const IpPrefix* jail6);

// One batch creating `table inet zjail_source` in a veth jail's namespace:
// a packet leaving through `ifname` must come from one of `own` (the jail's
// addresses), from fe80::/10 or from :: (neighbour discovery, MLD). Without
// it an unprivileged payload sends from any IPv6 address (IPV6_FREEBIND),
// and the host, which has no reverse path filter for IPv6, takes it
// (host_batch's check stops that too; this one keeps such a packet in the
// jail).
Result<std::vector<unsigned char>> source_batch(const NetLibs& L, const std::string& ifname,
                                                const std::vector<IpPrefix>& own);
// Sends `batch` on a NETLINK_NETFILTER socket and reads every
// acknowledgement. The first error names its message ("rule 3 of chain
// input in table inet zjail") and keeps the kernel's errno. The socket stays
// the caller's: an owner table lives exactly as long as it stays open.
Status send_batch(const NetLibs& L, int nfnl_sock, const std::vector<unsigned char>& batch);

}  // namespace zjail
