// A veth jail's payload against the host's side of its link: it sends
// from a source not its own, with IPV6_FREEBIND or through a packet socket
// writing whole frames, and it advertises itself as a router. The host's
// side must take none of it. Each test makes its own "host" namespace
// (jail_network.hpp); no packet leaves namespaces the test made.
#include "jail_network.hpp"

namespace zjail_test {
namespace {

// 1. An unprivileged payload sends only from the jail's own addresses:
// IPV6_FREEBIND let it send from any IPv6 address, which the host took
// (no reverse path filter for IPv6).
TEST_F(JailNetwork, VethPayloadCannotSpoofItsSource) {
  Netns host("spoof");
  zjail::UniqueFd u;
  {
    Inside in(host);
    u.reset(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    Addr any = addr("::", 9999);
    ASSERT_EQ(bind(u.get(), reinterpret_cast<sockaddr*>(&any.ss), any.len), 0) << errno;
  }
  constexpr const char* kSpoof = R"(import socket
for src in ["fd77::2","fd00::dead","2001:db8::1","fd77::2"]:
  s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM); s.setsockopt(socket.IPPROTO_IPV6,78,1)
  s.bind((src,0))
  try: s.sendto(src.encode(),("fd77::1",9999))
  except OSError: pass
print("SENT",flush=True)
)";
  auto r = run_in(host, profile("spoof", std::string(kVeth) + "Address=fd77::2/64\nHostAddress=fd77::1/64\n"),
                  {"/usr/bin/python3", "-c", kSpoof});
  ASSERT_THAT(r.out, HasSubstr("SENT")) << r.dump();
  std::vector<std::string> got;
  char buf[64];
  while (readable(u.get(), 500)) {
    ssize_t n = recv(u.get(), buf, sizeof buf, 0);
    if (n > 0) got.emplace_back(buf, static_cast<size_t>(n));
  }
  // The jail's own address is the control: the path itself works.
  EXPECT_THAT(got, ::testing::Contains("fd77::2"));
  EXPECT_THAT(got, ::testing::Each("fd77::2"));
}

// 2. A payload with CAP_NET_RAW writes whole frames through a packet
// socket, past the jail's own table: from any source it likes, to the
// host's side. The host's table (zjail's, owned by its netlink socket)
// drops all but the jail's own addresses, even those inside the jail's
// subnet, which IPv4's reverse path filter would let through. The table is
// gone once the jail has ended.
constexpr const char* kForge = R"(import socket,struct,sys,time
def csum(b):
  b+=b"\0"*(len(b)%2); s=sum(struct.unpack("!%dH"%(len(b)//2),b))
  while s>>16: s=(s&0xffff)+(s>>16)
  return ~s&0xffff
def frame(src):
  v6=":" in src; f=socket.AF_INET6 if v6 else socket.AF_INET
  s=socket.inet_pton(f,src); d=socket.inet_pton(f,"fd77::1" if v6 else "10.77.0.1")
  u=struct.pack("!HHHH",4444,9999,8+len(src),0)+src.encode()
  if v6:
    u=u[:6]+struct.pack("!H",csum(s+d+struct.pack("!II",len(u),17)+u) or 0xffff)+u[8:]
    return 0x86dd,struct.pack("!IHBB",6<<28,len(u),17,64)+s+d+u
  h=struct.pack("!BBHHHBBH4s4s",0x45,0,20+len(u),0,0,64,17,0,s,d)
  return 0x0800,h[:10]+struct.pack("!H",csum(h))+h[12:]+u
p=socket.socket(socket.AF_PACKET,socket.SOCK_DGRAM)
for src in sys.argv[1:]:
  proto,pkt=frame(src); p.sendto(pkt,("host0",proto,0,0,b"\xff"*6)); time.sleep(0.02)
print("SENT",flush=True)
time.sleep(0.5)
)";

TEST_F(JailNetwork, HostDropsWhatAPacketSocketForges) {
  Netns host("forge");
  zjail::UniqueFd u;
  {
    Inside in(host);
    u.reset(socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0));
    int off = 0;
    ASSERT_EQ(setsockopt(u.get(), IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off), 0);
    Addr any = addr("::", 9999);
    ASSERT_EQ(bind(u.get(), reinterpret_cast<sockaddr*>(&any.ss), any.len), 0) << errno;
  }
  const std::vector<std::string> own = {"fd77::2", "10.77.0.2"};
  std::vector<std::string> args = {"/usr/bin/python3", "-c", kForge, own[0], own[1]};
  for (const char* forged : {"fd00::dead", "2001:db8::1", "fd77::3", "10.77.0.3", "192.0.2.99"}) args.push_back(forged);
  args.insert(args.end(), own.begin(), own.end());
  auto z = start(host, profile("forge", std::string(kVeth) + "Address=fd77::2/64\nHostAddress=fd77::1/64\n" +
                                            "AmbientCapabilities=CAP_NET_RAW\n"),
                 args);
  ASSERT_NE(z->wait_line("SENT"), "") << z->wait(1000).dump();
  EXPECT_THAT(host.tables(), HasSubstr("table inet zjail_forge_"));
  std::vector<std::string> got;
  char buf[64];
  while (readable(u.get(), kWaitMs)) {
    ssize_t n = recv(u.get(), buf, sizeof buf, 0);
    if (n > 0) got.emplace_back(buf, static_cast<size_t>(n));
  }
  // The jail's own addresses are the control: frames written this way arrive.
  EXPECT_THAT(got, ::testing::Contains("fd77::2"));
  EXPECT_THAT(got, ::testing::Contains("10.77.0.2"));
  EXPECT_THAT(got, ::testing::Each(::testing::AnyOf("fd77::2", "10.77.0.2")));
  auto r = z->wait(5000);
  EXPECT_EQ(r.code, 0) << r.dump();
  // Dropped when zjail reaped the jail's init, before it exited.
  EXPECT_EQ(host.tables(), "");
}

// 3. The host's side takes no router advertisement from the jail: one sent
// by a payload with CAP_NET_RAW gave the host a default IPv6 route through
// the jail and a SLAAC address.
TEST_F(JailNetwork, HostSideTakesNoRouterAdvertisement) {
  Netns host("ra");
  constexpr const char* kAdvertise = R"(import socket,struct,time
s=socket.socket(socket.AF_INET6,socket.SOCK_RAW,socket.IPPROTO_ICMPV6)
i=socket.if_nametoindex("host0")
s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_HOPS,255)
s.setsockopt(socket.IPPROTO_IPV6,socket.IPV6_MULTICAST_IF,i)
ra=struct.pack("!BBHBBHII",134,0,0,64,0,1800,0,0)+struct.pack("!BBBBIII16s",3,4,64,0xc0,86400,14400,0,socket.inet_pton(socket.AF_INET6,"2001:db8:77::"))
time.sleep(2)
for _ in range(3): s.sendto(ra,("ff02::1",0,0,i)); time.sleep(0.2)
print("SENT",flush=True)
time.sleep(60)
)";
  auto z = start(host, profile("ra", std::string(kVeth) + "AmbientCapabilities=CAP_NET_RAW\n"),
                 {"/usr/bin/python3", "-c", kAdvertise});
  ASSERT_NE(z->wait_line("SENT"), "") << z->wait(1000).dump();
  usleep(300 * 1000);
  std::string routes = output_of("ip -n " + host.name + " -6 route");
  EXPECT_THAT(routes, Not(HasSubstr("proto ra"))) << routes;
  EXPECT_THAT(routes, Not(HasSubstr("2001:db8:77"))) << routes;
  EXPECT_THAT(output_of("ip -n " + host.name + " -6 addr"), Not(HasSubstr("2001:db8:77")));
  // And strict reverse path filtering for IPv4 on the host's side.
  std::string rp = output_of("ip netns exec " + host.name + " sh -c 'cat /proc/sys/net/ipv4/conf/zj-ra-*/rp_filter'");
  EXPECT_EQ(rp.substr(0, 1), "1") << rp;
}

}  // namespace
}  // namespace zjail_test
