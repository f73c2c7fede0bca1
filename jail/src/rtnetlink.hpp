// The rtnetlink requests the network step makes (network.cpp), with
// libmnl: links, addresses, routes. Each request waits for the kernel's
// answer, and an error names what was asked.
#pragma once

#include <string>
#include <vector>

#include "nl_libs.hpp"
#include "zjail/network.hpp"

namespace zjail {

class Rtnl {
 public:
  // `fd`: a NETLINK_ROUTE socket, bound to the namespace it was made in.
  Rtnl(const NetLibs& libs, int fd) : L(libs), fd_(fd) {}

  // A veth pair: `host` here, `peer` in the namespace `netns_fd`.
  Status create_veth(const std::string& host, const std::string& peer, int netns_fd);
  Result<int> index_of(const std::string& name);
  Status set_up(int ifindex, const std::string& name);
  Status add_address(int ifindex, const std::string& name, const IpPrefix& a);
  Status add_default_route(int ifindex, const IpPrefix& gateway);
  // The destinations of every route in every table, and the host's own
  // addresses: what a picked subnet must not touch.
  Result<std::vector<IpPrefix>> used_prefixes(int family);

 private:
  using Callback = int (*)(const nlmsghdr*, void*);
  Status request(nlmsghdr* nlh, const std::string& what, Callback cb = nullptr, void* data = nullptr);
  const NetLibs& L;
  int fd_;
  unsigned seq_ = 0;
};

// Deletes link `ifindex` with RTM_DELLINK on `fd`, a NETLINK_ROUTE socket,
// and waits for the kernel's answer; a veth's peer goes with it, at once.
// Built by hand: the lease that calls it holds neither library.
Status delete_link(int fd, int ifindex);

}  // namespace zjail
