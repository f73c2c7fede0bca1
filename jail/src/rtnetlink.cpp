#include "rtnetlink.hpp"

#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <sys/socket.h>

#include <cstring>

namespace zjail {
namespace {

constexpr size_t kBuffer = 32768;

struct Collected {
  const NetLibs* L;
  int family;
  std::vector<IpPrefix>* out;
  int prefix = 0;        // of the message being read
  uint16_t wanted = 0;   // the attribute holding its address
};

int on_attribute(const nlattr* a, void* data) {
  auto& c = *static_cast<Collected*>(data);
  if (c.L->mnl_attr_get_type(a) != c.wanted) return MNL_CB_OK;
  IpPrefix p;
  p.family = c.family;
  if (c.L->mnl_attr_get_payload_len(a) != p.bytes()) return MNL_CB_OK;
  std::memcpy(p.addr.data(), c.L->mnl_attr_get_payload(a), p.bytes());
  p.len = c.prefix;
  c.out->push_back(p);
  return MNL_CB_OK;
}

int on_route(const nlmsghdr* nlh, void* data) {
  auto& c = *static_cast<Collected*>(data);
  const auto* rt = static_cast<const rtmsg*>(c.L->mnl_nlmsg_get_payload(nlh));
  if (rt->rtm_family != c.family || rt->rtm_dst_len == 0) return MNL_CB_OK;  // a default route takes nothing
  c.prefix = rt->rtm_dst_len;
  c.wanted = RTA_DST;
  return c.L->mnl_attr_parse(nlh, sizeof *rt, on_attribute, &c);
}

int on_address(const nlmsghdr* nlh, void* data) {
  auto& c = *static_cast<Collected*>(data);
  const auto* ifa = static_cast<const ifaddrmsg*>(c.L->mnl_nlmsg_get_payload(nlh));
  if (ifa->ifa_family != c.family) return MNL_CB_OK;
  c.prefix = ifa->ifa_prefixlen;
  c.wanted = IFA_ADDRESS;
  return c.L->mnl_attr_parse(nlh, sizeof *ifa, on_attribute, &c);
}

struct LinkIndex {
  const NetLibs* L;
  int index = 0;
};

int on_link(const nlmsghdr* nlh, void* data) {
  auto& l = *static_cast<LinkIndex*>(data);
  l.index = static_cast<const ifinfomsg*>(l.L->mnl_nlmsg_get_payload(nlh))->ifi_index;
  return MNL_CB_OK;
}

}  // namespace

Status Rtnl::request(nlmsghdr* nlh, const std::string& what, Callback cb, void* data) {
  nlh->nlmsg_seq = ++seq_;
  // A dump ends with NLMSG_DONE; anything else is answered by an ACK.
  // (NLM_F_DUMP's bits mean NLM_F_EXCL and NLM_F_CREATE on a NEW request.)
  bool dump = (nlh->nlmsg_type == RTM_GETROUTE || nlh->nlmsg_type == RTM_GETADDR) &&
              (nlh->nlmsg_flags & NLM_F_DUMP) == NLM_F_DUMP;
  if (!dump) nlh->nlmsg_flags |= NLM_F_ACK;
  if (send(fd_, nlh, nlh->nlmsg_len, 0) < 0) return make_error(Step::Network, errno, what + ": sending to rtnetlink");
  std::vector<char> buf(kBuffer);
  for (;;) {
    ssize_t n = recv(fd_, buf.data(), buf.size(), 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      return make_error(Step::Network, errno, what + ": reading rtnetlink's answer");
    }
    int r = L.mnl_cb_run(buf.data(), static_cast<size_t>(n), seq_, 0, cb, data);
    if (r < 0) return make_error(Step::Network, errno, what);
    if (r == MNL_CB_STOP) return {};
  }
}

Status Rtnl::create_veth(const std::string& host, const std::string& peer, int netns_fd) {
  alignas(nlmsghdr) char buf[1024] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  auto* ifi = static_cast<ifinfomsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  L.mnl_attr_put_strz(nlh, IFLA_IFNAME, host.c_str());
  nlattr* linkinfo = L.mnl_attr_nest_start(nlh, IFLA_LINKINFO);
  L.mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
  nlattr* info = L.mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
  nlattr* peer_info = L.mnl_attr_nest_start(nlh, VETH_INFO_PEER);
  auto* peer_ifi = static_cast<ifinfomsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  peer_ifi->ifi_family = AF_UNSPEC;
  L.mnl_attr_put_strz(nlh, IFLA_IFNAME, peer.c_str());
  L.mnl_attr_put_u32(nlh, IFLA_NET_NS_FD, static_cast<uint32_t>(netns_fd));
  L.mnl_attr_nest_end(nlh, peer_info);
  L.mnl_attr_nest_end(nlh, info);
  L.mnl_attr_nest_end(nlh, linkinfo);
  return request(nlh, "veth pair " + host + " <-> " + peer);
}

Result<int> Rtnl::index_of(const std::string& name) {
  alignas(nlmsghdr) char buf[256] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* ifi = static_cast<ifinfomsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  L.mnl_attr_put_strz(nlh, IFLA_IFNAME, name.c_str());
  LinkIndex l{&L};
  ZJAIL_TRY(request(nlh, "looking up link " + name, on_link, &l));
  if (l.index <= 0) return make_error(Step::Network, ENODEV, "looking up link " + name);
  return l.index;
}

Status Rtnl::set_up(int ifindex, const std::string& name) {
  alignas(nlmsghdr) char buf[256] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWLINK;
  nlh->nlmsg_flags = NLM_F_REQUEST;
  auto* ifi = static_cast<ifinfomsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifinfomsg)));
  ifi->ifi_family = AF_UNSPEC;
  ifi->ifi_index = ifindex;
  ifi->ifi_flags = IFF_UP;
  ifi->ifi_change = IFF_UP;
  return request(nlh, "bringing up " + name);
}

Status Rtnl::add_address(int ifindex, const std::string& name, const IpPrefix& a) {
  alignas(nlmsghdr) char buf[256] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  auto* ifa = static_cast<ifaddrmsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<unsigned char>(a.family);
  ifa->ifa_prefixlen = static_cast<unsigned char>(a.len);
  ifa->ifa_scope = RT_SCOPE_UNIVERSE;
  ifa->ifa_index = static_cast<unsigned>(ifindex);
  L.mnl_attr_put(nlh, IFA_LOCAL, a.bytes(), a.addr.data());
  L.mnl_attr_put(nlh, IFA_ADDRESS, a.bytes(), a.addr.data());
  // No duplicate address detection: the link has two ends, both ours, and
  // an address still "tentative" would fail the payload's first bind.
  if (a.family == AF_INET6) L.mnl_attr_put_u32(nlh, IFA_FLAGS, IFA_F_NODAD);
  return request(nlh, "address " + format_ip_prefix(a) + " on " + name);
}

Status Rtnl::add_default_route(int ifindex, const IpPrefix& gateway) {
  alignas(nlmsghdr) char buf[256] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_NEWROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_CREATE | NLM_F_EXCL;
  auto* rt = static_cast<rtmsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rt->rtm_family = static_cast<unsigned char>(gateway.family);
  rt->rtm_table = RT_TABLE_MAIN;
  rt->rtm_protocol = RTPROT_STATIC;
  rt->rtm_scope = RT_SCOPE_UNIVERSE;
  rt->rtm_type = RTN_UNICAST;
  L.mnl_attr_put(nlh, RTA_GATEWAY, gateway.bytes(), gateway.addr.data());
  L.mnl_attr_put_u32(nlh, RTA_OIF, static_cast<uint32_t>(ifindex));
  return request(nlh, "default route via " + format_ip_prefix(gateway, false));
}

Result<std::vector<IpPrefix>> Rtnl::used_prefixes(int family) {
  std::vector<IpPrefix> out;
  Collected c{&L, family, &out};
  alignas(nlmsghdr) char buf[256] = {};
  nlmsghdr* nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETROUTE;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* rt = static_cast<rtmsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(rtmsg)));
  rt->rtm_family = static_cast<unsigned char>(family);  // every table: RT_TABLE_UNSPEC
  ZJAIL_TRY(request(nlh, "listing the host's routes", on_route, &c));
  std::memset(buf, 0, sizeof buf);
  nlh = L.mnl_nlmsg_put_header(buf);
  nlh->nlmsg_type = RTM_GETADDR;
  nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
  auto* ifa = static_cast<ifaddrmsg*>(L.mnl_nlmsg_put_extra_header(nlh, sizeof(ifaddrmsg)));
  ifa->ifa_family = static_cast<unsigned char>(family);
  ZJAIL_TRY(request(nlh, "listing the host's addresses", on_address, &c));
  return out;
}

Status delete_link(int fd, int ifindex) {
  struct {
    nlmsghdr h;
    ifinfomsg i;
  } req{};
  req.h.nlmsg_len = sizeof req;
  req.h.nlmsg_type = RTM_DELLINK;
  req.h.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  req.h.nlmsg_seq = 0x7a6a;  // Rtnl's requests count up from 1
  req.i.ifi_family = AF_UNSPEC;
  req.i.ifi_index = ifindex;
  const std::string what = "deleting link " + std::to_string(ifindex);
  if (send(fd, &req, sizeof req, 0) < 0) return make_error(Step::Network, errno, what);
  alignas(nlmsghdr) char buf[1024];
  for (;;) {
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Step::Network, errno, what + ": reading rtnetlink's answer");
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
      if (h->nlmsg_type != NLMSG_ERROR || h->nlmsg_seq != req.h.nlmsg_seq) continue;
      int e = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
      if (e) return make_error(Step::Network, e, what);
      return {};
    }
  }
}

}  // namespace zjail
