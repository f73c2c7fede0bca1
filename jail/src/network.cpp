// Step::Network: the parent builds the jail's network while the init waits
// for its go-ahead (network.hpp). The jail's side is configured through
// netlink sockets made inside the jail's namespaces, so the payload never
// holds CAP_NET_ADMIN over its own network, and nothing runs in the jail
// that the payload could race.
#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <linux/netlink.h>

#include <cctype>
#include <optional>

#include "firewall.hpp"
#include "nl_libs.hpp"
#include "pasta.hpp"
#include "rtnetlink.hpp"
#include "zjail/plan.hpp"
#include "zjail/network_setup.hpp"

namespace zjail {

struct NetworkLease::State {
  std::optional<Pasta> pasta;
  UniqueFd host_table_owner;  // owns the host's table: closing it deletes the table
  // The host's side of a veth pair, deleted when the lease is dropped (the
  // jail's init reaped): the kernel would dismantle the jail's namespace,
  // and the pair with it, from a work queue, and a jail started again at
  // once with the same addresses could find them still taken. An error
  // (ENODEV: gone already) changes nothing: the jail has ended.
  UniqueFd host_route;
  int host_link = 0;
  ~State() {
    if (host_link > 0) (void)delete_link(host_route.get(), host_link);
  }
};

NetworkLease::NetworkLease() = default;
NetworkLease::NetworkLease(std::unique_ptr<State> s) : state_(std::move(s)) {}
NetworkLease::NetworkLease(NetworkLease&&) noexcept = default;
NetworkLease& NetworkLease::operator=(NetworkLease&&) noexcept = default;
NetworkLease::~NetworkLease() = default;

namespace {

constexpr const char* kLockPath = "/run/zjail/network.lock";

// Netlink sockets inside the jail's user and network namespaces, made by a
// short-lived child sharing our fd table: it joins the jail's user
// namespace first, which gives an unprivileged caller the rights there that
// it lacks on the host, then the network namespace.
struct JailSockets {
  int route = -1, netfilter = -1, err = 0;
  const char* step = "";
  int user_ns = -1, net_ns = -1;
};

int make_jail_sockets(void* arg) {
  auto* s = static_cast<JailSockets*>(arg);
  auto fail = [&](const char* step) {
    s->err = errno;
    s->step = step;
    return 1;
  };
  if (setns(s->user_ns, CLONE_NEWUSER) < 0) return fail("joining the jail's user namespace");
  if (setns(s->net_ns, CLONE_NEWNET) < 0) return fail("joining the jail's network namespace");
  s->route = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (s->route < 0) return fail("rtnetlink socket");
  s->netfilter = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
  if (s->netfilter < 0) return fail("nfnetlink socket");
  return 0;
}

Result<std::pair<UniqueFd, UniqueFd>> jail_sockets(pid_t init) {
  std::string base = "/proc/" + std::to_string(init) + "/ns/";
  UniqueFd user(open((base + "user").c_str(), O_RDONLY | O_CLOEXEC));
  UniqueFd net(open((base + "net").c_str(), O_RDONLY | O_CLOEXEC));
  if (!user || !net) return make_error(Step::Network, errno, base + "{user,net}");
  JailSockets s;
  s.user_ns = user.get();
  s.net_ns = net.get();
  constexpr size_t kStack = 64 * 1024;
  void* stack = mmap(nullptr, kStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (stack == MAP_FAILED) return make_error(Step::Network, errno, "a stack for the namespace helper");
  pid_t pid = clone(make_jail_sockets, static_cast<char*>(stack) + kStack,
                    CLONE_VM | CLONE_VFORK | CLONE_FILES | SIGCHLD, &s);
  int e = errno;
  if (pid > 0)
    while (waitpid(pid, nullptr, 0) < 0 && errno == EINTR) {}
  munmap(stack, kStack);
  UniqueFd route(s.route), netfilter(s.netfilter);
  if (pid < 0) return make_error(Step::Network, e, "clone of the namespace helper");
  if (s.err) return make_error(Step::Network, s.err, std::string(s.step) + " (" + base + ")");
  return std::pair{std::move(route), std::move(netfilter)};
}

uint32_t random32() {
  uint32_t r = 0;
  while (getrandom(&r, sizeof r, 0) != sizeof r) {}
  return r;
}

bool clashes(const IpPrefix& p, const std::vector<IpPrefix>& used) {
  for (const auto& u : used)
    if (prefixes_overlap(p, u)) return true;
  return false;
}

// A free /30 in 10.0.0.0/8, or a ULA /64 (RFC 4193: fd00::/8 and a random
// 40-bit global id), that overlaps no route and no address of the host.
Result<std::pair<IpPrefix, IpPrefix>> pick_subnet(int family, const std::vector<IpPrefix>& used) {
  for (int attempt = 0; attempt < 4096; ++attempt) {
    IpPrefix net;
    net.family = family;
    if (family == AF_INET) {
      uint32_t host = (10u << 24) | (random32() & 0x00fffffcu);
      for (int i = 0; i < 4; ++i) net.addr[i] = static_cast<unsigned char>(host >> (24 - 8 * i));
      net.len = 30;
    } else {
      net.addr[0] = 0xfd;
      uint32_t a = random32(), b = random32();
      for (int i = 0; i < 4; ++i) net.addr[1 + i] = static_cast<unsigned char>(a >> (8 * i));
      net.addr[5] = static_cast<unsigned char>(b);
      net.len = 64;
    }
    if (clashes(net, used)) continue;
    IpPrefix host = net, jail = net;
    host.addr[net.bytes() - 1] |= 1;
    jail.addr[net.bytes() - 1] |= 2;
    return std::pair{host, jail};
  }
  return make_error(Step::Network, EADDRNOTAVAIL,
                    family == AF_INET ? "no free /30 in 10.0.0.0/8: set Address= and HostAddress="
                                      : "no free ULA /64: set Address= and HostAddress=");
}

// "zj-", up to 6 characters of the profile's or command's name, and a
// random suffix: unique on the host, and at most IFNAMSIZ - 1 bytes. Not
// nspawn's "ve-": systemd-networkd's 80-container-ve.network takes every
// ve-* link for an nspawn container's and readdresses it (seen in the VM).
std::string link_name(const Plan& plan) {
  std::string from = plan.profile_name.empty() ? (plan.argv_storage.empty() ? "" : plan.argv_storage[0])
                                               : plan.profile_name;
  from = from.substr(from.rfind('/') == std::string::npos ? 0 : from.rfind('/') + 1);
  if (auto dot = from.find('.'); dot != std::string::npos) from.resize(dot);
  std::string base;
  for (char c : from)
    if (std::isalnum(static_cast<unsigned char>(c)) && base.size() < 6) base += static_cast<char>(std::tolower(c));
  char suffix[8];
  for (;;) {
    snprintf(suffix, sizeof suffix, "%04x", random32() & 0xffff);
    std::string name = "zj-" + (base.empty() ? std::string("jail") : base) + "-" + suffix;
    if (if_nametoindex(name.c_str()) == 0) return name;
  }
}

// The host's side takes no router advertisement and no redirect from the
// jail: with CAP_NET_RAW a payload sent one and the host took a default
// IPv6 route through the jail and a SLAAC address from it (accept_ra is 1
// while the host does not forward). Strict reverse path filtering drops
// IPv4 from any source but the jail's subnet, as the host's table (below)
// drops any source but the jail's own address. ENOENT: that family is off
// on the host.
Status harden_host_side(const std::string& name) {
  for (auto [key, value] : {std::pair{"ipv6/conf/@/accept_ra", "0\n"},
                            {"ipv6/conf/@/accept_redirects", "0\n"},
                            {"ipv4/conf/@/accept_redirects", "0\n"},
                            {"ipv4/conf/@/rp_filter", "1\n"}}) {
    std::string file = std::string("/proc/sys/net/") + key;
    file.replace(file.find('@'), 1, name);
    UniqueFd fd(open(file.c_str(), O_WRONLY | O_CLOEXEC | O_NOFOLLOW));
    if (!fd && errno == ENOENT) continue;
    if (!fd || write(fd.get(), value, 2) != 2) return make_error(Step::Network, errno, file);
  }
  return {};
}

Status build_veth(const NetLibs& L, const Plan& plan, pid_t init, int jail_route, int jail_netfilter,
                  NetworkLease::State& state) {
  const NetworkPlan& net = plan.network;
  mkdir("/run/zjail", 0755);
  UniqueFd lock(open(kLockPath, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600));
  if (!lock) return make_error(Step::Network, errno, kLockPath);
  while (flock(lock.get(), LOCK_EX) < 0)
    if (errno != EINTR) return make_error(Step::Network, errno, std::string("flock ") + kLockPath);
  state.host_route.reset(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE));
  if (!state.host_route) return make_error(Step::Network, errno, "rtnetlink socket");
  Rtnl host(L, state.host_route.get());
  std::vector<IpPrefix> jail_addrs = net.jail_addresses, host_addrs = net.host_addresses;
  // Families given only on one side, or not at all, are picked.
  for (int family : {AF_INET, AF_INET6}) {
    const IpPrefix* j = of_family(jail_addrs, family);
    const IpPrefix* h = of_family(host_addrs, family);
    if (j && h) {
      // Given addresses must be as free as picked ones: a subnet the host
      // already routes would take its traffic, or give it away.
      ZJAIL_TRY_ASSIGN(auto used, host.used_prefixes(family));
      for (const auto& u : used)
        if (prefixes_overlap(*h, u))
          return make_error(Step::Network, EADDRINUSE,
                            "HostAddress=" + format_ip_prefix(*h) + " clashes with the host's " + format_ip_prefix(u) +
                                " (a route or address, perhaps another jail's)");
      continue;
    }
    if (j || h)
      return make_error(Step::Network, EINVAL,
                        std::string(j ? "Address=" : "HostAddress=") + format_ip_prefix(j ? *j : *h) +
                            " needs the other side's address too (" + (j ? "HostAddress=" : "Address=") + ")");
    ZJAIL_TRY_ASSIGN(auto used, host.used_prefixes(family));
    ZJAIL_TRY_ASSIGN(auto pair, pick_subnet(family, used));
    host_addrs.push_back(pair.first);
    jail_addrs.push_back(pair.second);
  }
  std::string name = link_name(plan);
  std::string ns = "/proc/" + std::to_string(init) + "/ns/net";
  UniqueFd netns(open(ns.c_str(), O_RDONLY | O_CLOEXEC));
  if (!netns) return make_error(Step::Network, errno, ns);
  ZJAIL_TRY(host.create_veth(name, net.jail_ifname, netns.get()));
  ZJAIL_TRY_ASSIGN(int host_index, host.index_of(name));
  state.host_link = host_index;  // the lease deletes it, however the launch ends
  ZJAIL_TRY(harden_host_side(name));
  for (const auto& a : host_addrs) ZJAIL_TRY(host.add_address(host_index, name, a));
  ZJAIL_TRY(host.set_up(host_index, name));
  lock.reset();  // the host's routes now show the subnets taken

  // The host's side checks every source before host0 is up; with Port=, the
  // forwards are in the same table. Its socket is held for the jail's life.
  UniqueFd owner(socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER));
  if (!owner) return make_error(Step::Network, errno, "nfnetlink socket");
  std::string table = "zjail_" + name.substr(3);
  for (char& c : table)
    if (c == '-') c = '_';
  ZJAIL_TRY_ASSIGN(auto host_table, host_batch(L, table, host_index, jail_addrs, net.ports));
  ZJAIL_TRY(send_batch(L, owner.get(), host_table));
  state.host_table_owner = std::move(owner);

  // Keeps a forged source in the jail: the host's table drops it too, but
  // only once it has crossed the link.
  ZJAIL_TRY_ASSIGN(auto source, source_batch(L, net.jail_ifname, jail_addrs));
  ZJAIL_TRY(send_batch(L, jail_netfilter, source));
  Rtnl jail(L, jail_route);
  ZJAIL_TRY_ASSIGN(int index, jail.index_of(net.jail_ifname));
  for (const auto& a : jail_addrs) ZJAIL_TRY(jail.add_address(index, net.jail_ifname, a));
  ZJAIL_TRY(jail.set_up(index, net.jail_ifname));
  for (const auto& h : host_addrs) {
    IpPrefix gw = h;
    gw.len = h.family == AF_INET ? 32 : 128;
    ZJAIL_TRY(jail.add_default_route(index, gw));
  }
  return {};
}

}  // namespace

Result<NetworkLease> setup_network(const Plan& plan, pid_t init) {
  const NetworkPlan& net = plan.network;
  bool veth = net.mode == NetworkMode::Veth, user = net.mode == NetworkMode::UserMode;
  // The host's or a joined network: nothing to build, and its filters are
  // systemd's, on the jail's scope.
  if (!owns_network_namespace(net.mode) || (!veth && !user && net.filter.empty())) return NetworkLease{};
  auto state = std::make_unique<NetworkLease::State>();
  // Unloaded again when the network is built: what the lease holds needs
  // neither library.
  ZJAIL_TRY_ASSIGN(const NetLibs L, load_net_libs());
  ZJAIL_TRY_ASSIGN(auto sockets, jail_sockets(init));
  // The filters first: the jail's interface is never up without them.
  if (!net.filter.empty()) {
    ZJAIL_TRY_ASSIGN(auto batch, filter_batch(L, net.filter));
    ZJAIL_TRY(send_batch(L, sockets.second.get(), batch));
  }
  Rtnl jail(L, sockets.first.get());
  ZJAIL_TRY(jail.set_up(1, "lo"));
  if (veth) ZJAIL_TRY(build_veth(L, plan, init, sockets.first.get(), sockets.second.get(), *state));
  if (user) {
    PastaSpec spec;
    spec.binary = net.pasta;
    spec.target = init;
    spec.ports = net.ports;
    spec.loopback_ports = net.loopback_ports;
    ZJAIL_TRY_ASSIGN(auto pasta, start_pasta(spec));
    state->pasta.emplace(std::move(pasta));
  }
  return NetworkLease(std::move(state));
}

Result<NetworkJoin> NetworkJoin::enter(const Plan& plan) {
  NetworkJoin j;
  if (plan.network.mode != NetworkMode::Join) return j;
  j.home_.reset(open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!j.home_) return make_error(Step::JoinNetwork, errno, "/proc/thread-self/ns/net");
  if (setns(plan.network.join_fd.get(), CLONE_NEWNET) < 0) {
    j.home_.reset();
    return make_error(Step::JoinNetwork, errno, "NetworkNamespacePath=" + plan.network.join_path);
  }
  return j;
}

Status NetworkJoin::leave() {
  if (!home_) return {};
  int fd = home_.get();
  if (setns(fd, CLONE_NEWNET) < 0) return make_error(Step::JoinNetwork, errno, "returning to zjail's network namespace");
  home_.reset();
  return {};
}

// Only on a failed launch, before leave(): best effort, the launch is over.
NetworkJoin::~NetworkJoin() {
  if (home_) (void)setns(home_.get(), CLONE_NEWNET);
}

}  // namespace zjail
