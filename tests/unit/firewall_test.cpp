// The firewall's batches (firewall.hpp), read back message by message with
// libmnl and libnftnl: what each table, chain and rule says, in order.
// Whether the kernel enforces them is tests/root/root_firewall_test.cpp's.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
// After netinet/in.h, which the kernel's headers then leave alone.
#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>

#include <cstring>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "firewall.hpp"

namespace zjail {
namespace {

struct Msg {
  uint16_t type = 0;  // NFT_MSG_* or NFNL_MSG_BATCH_*
  uint16_t flags = 0;
  uint8_t family = 0;
  std::map<uint16_t, std::vector<unsigned char>> attrs;  // top-level attributes
  std::string rule;  // a rule's expressions as libnftnl prints them

  std::string str(uint16_t a) const {
    auto it = attrs.find(a);
    return it == attrs.end() ? std::string("<none>") : std::string(reinterpret_cast<const char*>(it->second.data()));
  }
  uint32_t be32(uint16_t a) const {
    auto it = attrs.find(a);
    if (it == attrs.end() || it->second.size() < 4) return 0xdeadbeef;
    uint32_t v;
    memcpy(&v, it->second.data(), 4);
    return ntohl(v);
  }
  // NFTA_CHAIN_HOOK's nested NFTA_HOOK_HOOKNUM and NFTA_HOOK_PRIORITY.
  std::pair<uint32_t, int32_t> hook() const {
    auto it = attrs.find(NFTA_CHAIN_HOOK);
    if (it == attrs.end()) return {0xdeadbeef, 0};
    uint32_t num = 0, prio = 0;
    for (size_t off = 0; off + sizeof(nlattr) <= it->second.size();) {
      nlattr a;
      memcpy(&a, it->second.data() + off, sizeof a);
      uint32_t v;
      memcpy(&v, it->second.data() + off + sizeof a, 4);
      if ((a.nla_type & NLA_TYPE_MASK) == NFTA_HOOK_HOOKNUM) num = ntohl(v);
      if ((a.nla_type & NLA_TYPE_MASK) == NFTA_HOOK_PRIORITY) prio = ntohl(v);
      off += NLA_ALIGN(a.nla_len);
    }
    return {num, static_cast<int32_t>(prio)};
  }
};

struct Reader {
  const NetLibs* L;
  Msg* m;
};

int keep_attr(const nlattr* a, void* data) {
  auto* r = static_cast<Reader*>(data);
  auto* p = static_cast<const unsigned char*>(r->L->mnl_attr_get_payload(a));
  r->m->attrs[r->L->mnl_attr_get_type(a)].assign(p, p + r->L->mnl_attr_get_payload_len(a));
  return MNL_CB_OK;
}

std::vector<Msg> decode(const NetLibs& L, const std::vector<unsigned char>& batch) {
  std::vector<Msg> out;
  int left = static_cast<int>(batch.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(batch.data()); L.mnl_nlmsg_ok(nlh, left);
       nlh = L.mnl_nlmsg_next(nlh, &left)) {
    Msg m;
    m.flags = nlh->nlmsg_flags;
    if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
      m.type = nlh->nlmsg_type;
    } else {
      EXPECT_EQ(nlh->nlmsg_type >> 8, NFNL_SUBSYS_NFTABLES);
      m.type = nlh->nlmsg_type & 0xff;
      m.family = static_cast<const nfgenmsg*>(L.mnl_nlmsg_get_payload(nlh))->nfgen_family;
      Reader r{&L, &m};
      L.mnl_attr_parse(nlh, sizeof(nfgenmsg), keep_attr, &r);
      if (m.type == NFT_MSG_NEWRULE) {
        nftnl_rule* rule = L.nftnl_rule_alloc();
        EXPECT_EQ(L.nftnl_rule_nlmsg_parse(nlh, rule), 0);
        char text[4096] = {};
        L.nftnl_rule_snprintf(text, sizeof text, rule, NFTNL_OUTPUT_DEFAULT, 0);
        m.rule = text;
        L.nftnl_rule_free(rule);
      }
    }
    out.push_back(std::move(m));
  }
  EXPECT_EQ(left, 0) << "trailing bytes after the last message";
  return out;
}

// The rules of one chain, in order.
std::vector<std::string> rules_of(const std::vector<Msg>& msgs, const std::string& chain) {
  std::vector<std::string> out;
  for (const auto& m : msgs)
    if (m.type == NFT_MSG_NEWRULE && m.str(NFTA_RULE_CHAIN) == chain) out.push_back(m.rule);
  return out;
}

int count(const std::string& s, const std::string& what) {
  int n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

IpPrefix pfx(const char* text) { return parse_ip_prefix(text).value(); }

class Firewall : public ::testing::Test {
 protected:
  void SetUp() override {
    auto l = load_net_libs();
    if (!l) GTEST_SKIP() << "libmnl/libnftnl not installed: " << l.error().message();
    libs_ = std::make_unique<NetLibs>(std::move(l).value());
  }
  const NetLibs& L() { return *libs_; }
  std::vector<Msg> filter(const NetworkFilter& f) {
    auto b = filter_batch(L(), f);
    EXPECT_TRUE(b.ok()) << (b ? "" : b.error().message());
    return b ? decode(L(), *b) : std::vector<Msg>{};
  }
  // A batch that must make the owned table `name` first, decoded; the base
  // chains' hooks by chain name in `hooks`.
  using Hooks = std::map<std::string, std::pair<uint32_t, int32_t>>;
  std::vector<Msg> owned_table(const Result<std::vector<unsigned char>>& b, const std::string& name, Hooks& hooks) {
    EXPECT_TRUE(b.ok()) << (b ? "" : b.error().message());
    if (!b) return {};
    auto m = decode(L(), *b);
    EXPECT_GE(m.size(), 4u);
    if (m.size() < 2) return m;
    EXPECT_EQ(m[1].type, NFT_MSG_NEWTABLE);
    EXPECT_EQ(m[1].str(NFTA_TABLE_NAME), name);
    EXPECT_EQ(m[1].be32(NFTA_TABLE_FLAGS), static_cast<uint32_t>(NFT_TABLE_F_OWNER));
    for (const auto& x : m)
      if (x.type == NFT_MSG_NEWCHAIN && x.attrs.count(NFTA_CHAIN_HOOK)) hooks[x.str(NFTA_CHAIN_NAME)] = x.hook();
    return m;
  }
  std::unique_ptr<NetLibs> libs_;
};

// --- expand_address_words -------------------------------------------------

std::vector<std::string> texts(const std::vector<IpPrefix>& ps) {
  std::vector<std::string> out;
  for (auto& p : ps) out.push_back(format_ip_prefix(p));
  return out;
}

TEST(AddressWords, KeywordsAreSystemds) {
  using V = std::vector<std::string>;
  EXPECT_EQ(texts(expand_address_words({"any"}).value()), (V{"0.0.0.0/0", "::/0"}));
  EXPECT_EQ(texts(expand_address_words({"localhost"}).value()), (V{"127.0.0.0/8", "::1/128"}));
  EXPECT_EQ(texts(expand_address_words({"link-local"}).value()), (V{"169.254.0.0/16", "fe80::/64"}));
  EXPECT_EQ(texts(expand_address_words({"multicast"}).value()), (V{"224.0.0.0/4", "ff00::/8"}));
  // systemd's is_localhost(): the .localdomain spelling and names under them.
  EXPECT_EQ(texts(expand_address_words({"localhost.localdomain", "foo.localhost."}).value()),
            (V{"127.0.0.0/8", "::1/128"}));
}

TEST(AddressWords, AddressesHostBitsAndDuplicates) {
  using V = std::vector<std::string>;
  auto r = expand_address_words({"10.1.2.3/8", "10.0.0.0/8", "192.168.7.9", "2001:db8::1/32", "fe80::1/10", "any", "0.0.0.0/0"});
  ASSERT_TRUE(r.ok()) << r.error().message();
  // Host bits cleared as systemd's in_addr_prefix_add() does, so the first
  // two are one prefix; "any" and 0.0.0.0/0 likewise.
  EXPECT_EQ(texts(*r), (V{"10.0.0.0/8", "192.168.7.9/32", "2001:db8::/32", "fe80::/10", "0.0.0.0/0", "::/0"}));
  EXPECT_TRUE(expand_address_words({}).value().empty());
}

TEST(AddressWords, BadWordsAreNamed) {
  for (const char* bad : {"anyy", "Any", "local-host", "10.0.0.0/33", "fe80::/129", "10.0.0.1/", "10.0.0.1/-1",
                          "", "localhost/8", "300.1.1.1", "link-local/16"}) {
    auto r = expand_address_words({"any", bad});
    ASSERT_FALSE(r.ok()) << "'" << bad << "' was accepted";
    EXPECT_EQ(r.error().step, Step::Profile);
    EXPECT_EQ(r.error().err, EINVAL);
    EXPECT_NE(r.error().message().find("'" + std::string(bad) + "'"), std::string::npos) << r.error().message();
  }
}

// --- filter_batch -------------------------------------------------------------

TEST_F(Firewall, EmptyFilterIsATableWithTwoAcceptingChains) {
  auto m = filter(NetworkFilter{});
  ASSERT_EQ(m.size(), 5u);
  EXPECT_EQ(m[0].type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(m[4].type, NFNL_MSG_BATCH_END);
  for (const auto& x : m) EXPECT_TRUE(x.flags & NLM_F_ACK) << "message type " << x.type;
  EXPECT_EQ(m[1].type, NFT_MSG_NEWTABLE);
  EXPECT_EQ(m[1].family, NFPROTO_INET);
  EXPECT_EQ(m[1].str(NFTA_TABLE_NAME), "zjail");
  EXPECT_EQ(m[1].be32(NFTA_TABLE_FLAGS), 0u);  // not owned: it outlives zjail's socket
  EXPECT_TRUE(m[1].flags & NLM_F_EXCL);
  for (int i : {2, 3}) {
    EXPECT_EQ(m[i].type, NFT_MSG_NEWCHAIN);
    EXPECT_EQ(m[i].str(NFTA_CHAIN_TYPE), "filter");
    EXPECT_EQ(m[i].be32(NFTA_CHAIN_POLICY), static_cast<uint32_t>(NF_ACCEPT));
    EXPECT_EQ(m[i].hook().second, 0);
  }
  EXPECT_EQ(m[2].str(NFTA_CHAIN_NAME), "input");
  EXPECT_EQ(m[2].hook().first, static_cast<uint32_t>(NF_INET_LOCAL_IN));
  EXPECT_EQ(m[3].str(NFTA_CHAIN_NAME), "output");
  EXPECT_EQ(m[3].hook().first, static_cast<uint32_t>(NF_INET_LOCAL_OUT));
}

TEST_F(Firewall, AllowBeforeDenyBothFamiliesAndDirections) {
  NetworkFilter f;
  f.allow = {pfx("10.1.0.0/16"), pfx("2001:db8::5")};
  f.deny = expand_address_words({"any"}).value();
  auto m = filter(f);
  // BEGIN table input input_addresses output output_addresses rules... END
  for (const char* base : {"input", "output"}) {
    auto r = rules_of(m, base);
    ASSERT_EQ(r.size(), 1u) << base;
    EXPECT_NE(r[0].find(std::string("goto -> ") + base + "_addresses"), std::string::npos) << r[0];
  }
  auto in = rules_of(m, "input_addresses"), out = rules_of(m, "output_addresses");
  ASSERT_EQ(in.size(), 5u);  // neighbour discovery, 2 allow, 2 deny
  ASSERT_EQ(out.size(), 5u);
  // Neighbour discovery: ICMPv6 133..136 with hop limit 255.
  EXPECT_NE(in[0].find("[ cmp gte reg 1 0x00000085 ]"), std::string::npos) << in[0];
  EXPECT_NE(in[0].find("[ cmp lte reg 1 0x00000088 ]"), std::string::npos) << in[0];
  EXPECT_NE(in[0].find("[ payload load 1b @ network header + 7 => reg 1 ]"), std::string::npos) << in[0];
  // Input checks the source (IPv4 +12, IPv6 +8), output the destination (+16, +24).
  EXPECT_NE(in[1].find("[ payload load 4b @ network header + 12 => reg 1 ]"), std::string::npos) << in[1];
  EXPECT_NE(in[1].find("[ bitwise reg 1 = ( reg 1 & 0x0000ffff ) ^ 0x00000000 ]"), std::string::npos) << in[1];
  EXPECT_NE(in[1].find("[ cmp eq reg 1 0x0000010a ]"), std::string::npos) << in[1];
  EXPECT_NE(in[1].find("accept"), std::string::npos);
  EXPECT_NE(in[2].find("[ payload load 16b @ network header + 8 => reg 1 ]"), std::string::npos) << in[2];
  EXPECT_EQ(in[2].find("bitwise"), std::string::npos) << "a /128 needs no mask: " << in[2];
  EXPECT_NE(out[1].find("network header + 16 "), std::string::npos) << out[1];
  EXPECT_NE(out[2].find("network header + 24 "), std::string::npos) << out[2];
  // "any": /0 is the family alone, no payload at all.
  for (int i : {3, 4}) {
    EXPECT_EQ(in[i].find("payload"), std::string::npos) << in[i];
    EXPECT_EQ(count(in[i], "[ meta load nfproto => reg 1 ]"), 1) << in[i];
    EXPECT_NE(in[i].find("drop"), std::string::npos) << in[i];
  }
  EXPECT_NE(in[3].find("[ cmp eq reg 1 0x00000002 ]"), std::string::npos) << "IPv4 first: " << in[3];
  EXPECT_NE(in[4].find("[ cmp eq reg 1 0x0000000a ]"), std::string::npos) << "then IPv6: " << in[4];
}

TEST_F(Firewall, InterfaceAllowListGoesToTheAddressesOrDrops) {
  NetworkFilter f;
  f.interfaces_set = true;
  f.interfaces = {"host0", "lo"};
  f.deny = {pfx("192.0.2.0/24")};
  auto m = filter(f);
  auto in = rules_of(m, "input"), out = rules_of(m, "output");
  ASSERT_EQ(in.size(), 3u);
  EXPECT_NE(in[0].find("[ meta load iifname => reg 1 ]"), std::string::npos) << in[0];
  // "host0" padded with NULs to IFNAMSIZ, as meta loads it.
  EXPECT_NE(in[0].find("[ cmp eq reg 1 0x74736f68 0x00000030 0x00000000 0x00000000 ]"), std::string::npos) << in[0];
  EXPECT_NE(in[0].find("goto -> input_addresses"), std::string::npos) << in[0];
  EXPECT_NE(in[1].find("goto -> input_addresses"), std::string::npos) << in[1];
  EXPECT_NE(in[2].find("drop"), std::string::npos) << in[2];
  EXPECT_EQ(in[2].find("meta"), std::string::npos) << "the last rule drops everything else: " << in[2];
  ASSERT_EQ(out.size(), 3u);
  EXPECT_NE(out[0].find("[ meta load oifname => reg 1 ]"), std::string::npos) << out[0];
  EXPECT_EQ(rules_of(m, "input_addresses").size(), 2u);

  // Without addresses an allowed interface accepts outright.
  f.deny.clear();
  m = filter(f);
  in = rules_of(m, "input");
  ASSERT_EQ(in.size(), 3u);
  EXPECT_NE(in[0].find("accept"), std::string::npos) << in[0];
  EXPECT_TRUE(rules_of(m, "input_addresses").empty());
  for (const auto& x : m)
    if (x.type == NFT_MSG_NEWCHAIN) {
      EXPECT_EQ(x.str(NFTA_CHAIN_NAME).find("_addresses"), std::string::npos);
    }

  // An empty allow list lets no interface through.
  f.interfaces.clear();
  in = rules_of(filter(f), "input");
  ASSERT_EQ(in.size(), 1u);
  EXPECT_NE(in[0].find("drop"), std::string::npos);
}

TEST_F(Firewall, InterfaceDenyListDropsThenChecksAddresses) {
  NetworkFilter f;
  f.interfaces_set = true;
  f.interfaces_invert = true;
  f.interfaces = {"eth1"};
  f.allow = {pfx("0.0.0.0/0")};
  auto in = rules_of(filter(f), "input");
  ASSERT_EQ(in.size(), 2u);
  EXPECT_NE(in[0].find("[ meta load iifname => reg 1 ]"), std::string::npos) << in[0];
  EXPECT_NE(in[0].find("drop"), std::string::npos) << in[0];
  EXPECT_NE(in[1].find("goto -> input_addresses"), std::string::npos) << in[1];

  // A deny list alone, and an empty one (which restricts nothing).
  f.allow.clear();
  in = rules_of(filter(f), "input");
  ASSERT_EQ(in.size(), 1u);
  f.interfaces.clear();
  EXPECT_TRUE(rules_of(filter(f), "input").empty());
}

TEST_F(Firewall, BadInterfaceNamesAreRefused) {
  for (const char* bad : {"", "sixteen-chars-xx", "a/b", "a b", "eth0:1", ".."}) {
    NetworkFilter f;
    f.interfaces_set = true;
    f.interfaces = {"host0", bad};
    auto b = filter_batch(L(), f);
    ASSERT_FALSE(b.ok()) << "'" << bad << "'";
    EXPECT_EQ(b.error().step, Step::Network);
    EXPECT_NE(b.error().message().find("RestrictNetworkInterfaces="), std::string::npos);
  }
}

TEST_F(Firewall, ManyPrefixesMakeOneRuleEach) {
  NetworkFilter f;
  for (int i = 0; i < 300; ++i) f.deny.push_back(pfx(("10." + std::to_string(i / 256) + "." + std::to_string(i % 256) + ".0/24").c_str()));
  auto m = filter(f);
  EXPECT_EQ(rules_of(m, "input_addresses").size(), 301u);
  EXPECT_EQ(rules_of(m, "output_addresses").size(), 301u);
  // Sequence numbers are distinct and increasing: send_batch names errors by them.
  EXPECT_EQ(m.front().type, NFNL_MSG_BATCH_BEGIN);
  EXPECT_EQ(m.back().type, NFNL_MSG_BATCH_END);
}

// --- forward_batch ------------------------------------------------------------

// A veth jail sends only from its own addresses (and IPv6's link-local and
// unspecified ones): tried, an unprivileged payload with IPV6_FREEBIND sent
// from fd00::dead and 2001:db8::1 and the host took both.
TEST_F(Firewall, SourceTableKeepsTheJailToItsOwnAddresses) {
  auto b = source_batch(L(), "host0", {pfx("10.9.0.2/30"), pfx("fd09::2/64")});
  ASSERT_TRUE(b.ok()) << b.error().message();
  auto m = decode(L(), *b);
  int tables = 0;
  for (const auto& x : m)
    if (x.type == NFT_MSG_NEWTABLE) {
      ++tables;
      EXPECT_EQ(x.str(NFTA_TABLE_NAME), "zjail_source");
    }
  EXPECT_EQ(tables, 1);
  auto out = rules_of(m, "output");
  ASSERT_EQ(out.size(), 1u);
  EXPECT_NE(out[0].find("oifname"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("goto -> source"), std::string::npos) << out[0];
  auto src = rules_of(m, "source");
  ASSERT_EQ(src.size(), 6u);  // 2 own, fe80::/10, ::, then drop each family
  // The jail's own address, whole, not its subnet: the source at +12 / +8.
  EXPECT_NE(src[0].find("[ payload load 4b @ network header + 12 => reg 1 ]"), std::string::npos) << src[0];
  EXPECT_EQ(src[0].find("bitwise"), std::string::npos) << src[0];
  EXPECT_NE(src[0].find("[ cmp eq reg 1 0x0200090a ]"), std::string::npos) << src[0];
  EXPECT_NE(src[1].find("[ payload load 16b @ network header + 8 => reg 1 ]"), std::string::npos) << src[1];
  EXPECT_EQ(src[1].find("bitwise"), std::string::npos) << src[1];
  EXPECT_NE(src[2].find("bitwise"), std::string::npos) << "fe80::/10 is masked: " << src[2];
  for (int i : {0, 1, 2, 3}) EXPECT_NE(src[i].find("accept"), std::string::npos) << src[i];
  for (int i : {4, 5}) {
    EXPECT_EQ(src[i].find("payload"), std::string::npos) << src[i];
    EXPECT_NE(src[i].find("drop"), std::string::npos) << src[i];
  }
  EXPECT_FALSE(source_batch(L(), "bad/name", {}).ok());
}

// The same check on the host's side, where the payload has no reach: a
// packet socket in the jail writes frames with any source past the jail's
// own table. One owned table per jail, with the forwards when there are any.
TEST_F(Firewall, HostTableDropsWhatTheJailForges) {
  std::vector<PortForward> fw = {{IPPROTO_TCP, 8080, 80, "Port=8080:80"}};
  for (bool ports : {false, true}) {
    Hooks hooks;
    auto m = owned_table(host_batch(L(), "zjail_web_1a2b", 7, {pfx("10.9.0.2/30"), pfx("fd09::2/64")},
                                    ports ? fw : std::vector<PortForward>{}),
                         "zjail_web_1a2b", hooks);
    EXPECT_EQ(hooks["from_jail"], std::make_pair(uint32_t{NF_INET_PRE_ROUTING}, -300));
    EXPECT_EQ(hooks.size(), ports ? 3u : 1u);
    auto in = rules_of(m, "from_jail");
    ASSERT_EQ(in.size(), 1u);
    EXPECT_NE(in[0].find("[ meta load iif => reg 1 ]"), std::string::npos) << in[0];
    EXPECT_NE(in[0].find("[ cmp eq reg 1 0x00000007 ]"), std::string::npos) << in[0];
    EXPECT_NE(in[0].find("goto -> source"), std::string::npos) << in[0];
    auto src = rules_of(m, "source");
    ASSERT_EQ(src.size(), 6u);  // as the jail's own table: 2 own, fe80::/10, ::, drop each family
    EXPECT_NE(src[0].find("[ cmp eq reg 1 0x0200090a ]"), std::string::npos) << src[0];
    EXPECT_NE(src[5].find("drop"), std::string::npos) << src[5];
    EXPECT_EQ(rules_of(m, "prerouting").size(), ports ? 2u : 0u);
  }
  EXPECT_FALSE(host_batch(L(), "t", 0, {pfx("10.9.0.2/30")}, {}).ok());
  EXPECT_FALSE(host_batch(L(), "t", 7, {}, {}).ok());
  EXPECT_FALSE(host_batch(L(), "", 7, {pfx("10.9.0.2/30")}, {}).ok());
}

TEST_F(Firewall, ForwardsAreAnOwnedNatTable) {
  IpPrefix j4 = pfx("10.77.0.2/30"), j6 = pfx("fd00:77::2/64");
  std::vector<PortForward> fw = {{IPPROTO_TCP, 8080, 80, "Port=8080:80"}, {IPPROTO_UDP, 5353, 53, "Port=udp:5353:53"}};
  Hooks hooks;
  auto m = owned_table(forward_batch(L(), "zjail-web", fw, &j4, &j6), "zjail-web", hooks);
  for (const auto& x : m)
    if (x.type == NFT_MSG_NEWCHAIN) {
      EXPECT_EQ(x.str(NFTA_CHAIN_TYPE), "nat");
    }
  EXPECT_EQ(hooks["prerouting"], std::make_pair(uint32_t{NF_INET_PRE_ROUTING}, -100));
  EXPECT_EQ(hooks["output"], std::make_pair(uint32_t{NF_INET_LOCAL_OUT}, -100));
  auto pre = rules_of(m, "prerouting"), out = rules_of(m, "output");
  ASSERT_EQ(pre.size(), 4u);  // {v4, v6} x {tcp 8080, udp 5353}
  ASSERT_EQ(out.size(), 4u);
  // IPv4 tcp 8080 -> 10.77.0.2:80
  EXPECT_NE(pre[0].find("[ cmp eq reg 1 0x00000002 ]"), std::string::npos) << pre[0];
  EXPECT_NE(pre[0].find("[ cmp eq reg 1 0x00000006 ]"), std::string::npos) << pre[0];
  EXPECT_NE(pre[0].find("[ payload load 2b @ transport header + 2 => reg 1 ]"), std::string::npos) << pre[0];
  EXPECT_NE(pre[0].find("[ cmp eq reg 1 0x0000901f ]"), std::string::npos) << pre[0];  // htons(8080)
  EXPECT_NE(pre[0].find("[ fib daddr type => reg 1 ]"), std::string::npos) << pre[0];
  EXPECT_NE(pre[0].find("[ cmp eq reg 1 0x00000002 ]"), std::string::npos) << pre[0];  // RTN_LOCAL
  EXPECT_NE(pre[0].find("[ immediate reg 1 0x02004d0a ]"), std::string::npos) << pre[0];
  EXPECT_NE(pre[0].find("[ immediate reg 2 0x00005000 ]"), std::string::npos) << pre[0];  // htons(80)
  EXPECT_NE(pre[0].find("[ nat dnat ip addr_min reg 1 proto_min reg 2"), std::string::npos) << pre[0];
  EXPECT_NE(pre[1].find("[ cmp eq reg 1 0x00000011 ]"), std::string::npos) << "udp: " << pre[1];
  EXPECT_NE(pre[2].find("[ nat dnat ip6 addr_min reg 1 proto_min reg 2"), std::string::npos) << pre[2];
  EXPECT_NE(pre[2].find("[ immediate reg 1 0x770000fd 0x00000000 0x00000000 0x02000000 ]"), std::string::npos) << pre[2];
  EXPECT_EQ(pre[0].find("network header"), std::string::npos) << "prerouting has no loopback test: " << pre[0];
  // The output chain leaves the host's loopback alone.
  EXPECT_NE(out[0].find("[ bitwise reg 1 = ( reg 1 & 0x000000ff ) ^ 0x00000000 ]"), std::string::npos) << out[0];
  EXPECT_NE(out[0].find("[ cmp neq reg 1 0x0000007f ]"), std::string::npos) << out[0];
  EXPECT_NE(out[2].find("[ payload load 16b @ network header + 24 => reg 1 ]"), std::string::npos) << out[2];
  EXPECT_NE(out[2].find("[ cmp neq reg 1 0x00000000 0x00000000 0x00000000 0x01000000 ]"), std::string::npos) << out[2];
}

TEST_F(Firewall, ForwardsToOneFamilyOnly) {
  IpPrefix j6 = pfx("fd00::2");
  auto b = forward_batch(L(), "t", {{IPPROTO_TCP, 1, 65535, "x"}}, nullptr, &j6);
  ASSERT_TRUE(b.ok());
  auto m = decode(L(), *b);
  auto pre = rules_of(m, "prerouting");
  ASSERT_EQ(pre.size(), 1u);
  EXPECT_NE(pre[0].find("dnat ip6"), std::string::npos);
  EXPECT_NE(pre[0].find("[ immediate reg 2 0x0000ffff ]"), std::string::npos) << pre[0];
  // No forwards: the table and its chains, nothing else.
  b = forward_batch(L(), "t", {}, nullptr, &j6);
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(decode(L(), *b).size(), 5u);
}

TEST_F(Firewall, ForwardErrors) {
  IpPrefix j4 = pfx("10.0.0.2"), j6 = pfx("fd00::2");
  std::vector<PortForward> fw = {{IPPROTO_TCP, 80, 80, "Port=80"}};
  EXPECT_FALSE(forward_batch(L(), "t", fw, nullptr, nullptr).ok());
  EXPECT_FALSE(forward_batch(L(), "t", fw, &j6, nullptr).ok());
  EXPECT_FALSE(forward_batch(L(), "t", fw, nullptr, &j4).ok());
  EXPECT_FALSE(forward_batch(L(), "", fw, &j4, nullptr).ok());
  auto r = forward_batch(L(), "t", {{IPPROTO_ICMP, 80, 80, "Port=icmp:80 (x.profile:3)"}}, &j4, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.error().message().find("x.profile:3"), std::string::npos) << r.error().message();
}

}  // namespace
}  // namespace zjail
