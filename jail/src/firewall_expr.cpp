// nftables messages and expressions built by hand with libnftnl
// (firewall_expr.hpp), and the batch sent and acknowledged (send_batch).
#include "firewall_expr.hpp"

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netlink.h>
#include <sys/socket.h>

#include <cstring>
#include <utility>

#include "firewall.hpp"

namespace zjail::fw {

Rule::Rule(const NetLibs& l, uint32_t family, const std::string& table, const std::string& chain)
    : L(l), r_(L.nftnl_rule_alloc()) {
  L.nftnl_rule_set_u32(r_, NFTNL_RULE_FAMILY, family);
  L.nftnl_rule_set_str(r_, NFTNL_RULE_TABLE, table.c_str());
  L.nftnl_rule_set_str(r_, NFTNL_RULE_CHAIN, chain.c_str());
}

Rule::~Rule() { L.nftnl_rule_free(r_); }

Rule& Rule::add(nftnl_expr* e) {
  L.nftnl_rule_add_expr(r_, e);  // the rule owns it now
  return *this;
}

Rule& Rule::meta(uint32_t key, uint32_t reg) {
  nftnl_expr* e = L.nftnl_expr_alloc("meta");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, reg);
  return add(e);
}

Rule& Rule::payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t reg) {
  nftnl_expr* e = L.nftnl_expr_alloc("payload");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, offset);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, reg);
  return add(e);
}

Rule& Rule::mask(uint32_t reg, const unsigned char* mask, uint32_t len) {
  static constexpr unsigned char zero[16] = {};
  nftnl_expr* e = L.nftnl_expr_alloc("bitwise");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_SREG, reg);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_DREG, reg);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_BITWISE_LEN, len);
  L.nftnl_expr_set(e, NFTNL_EXPR_BITWISE_MASK, mask, len);
  L.nftnl_expr_set(e, NFTNL_EXPR_BITWISE_XOR, zero, len);
  return add(e);
}

Rule& Rule::cmp(uint32_t op, uint32_t reg, const void* data, uint32_t len) {
  nftnl_expr* e = L.nftnl_expr_alloc("cmp");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, reg);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, op);
  L.nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
  return add(e);
}

Rule& Rule::immediate(uint32_t reg, const void* data, uint32_t len) {
  nftnl_expr* e = L.nftnl_expr_alloc("immediate");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, reg);
  L.nftnl_expr_set(e, NFTNL_EXPR_IMM_DATA, data, len);
  return add(e);
}

Rule& Rule::verdict(int v, const char* chain) {
  nftnl_expr* e = L.nftnl_expr_alloc("immediate");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, static_cast<uint32_t>(v));
  if (chain) L.nftnl_expr_set_str(e, NFTNL_EXPR_IMM_CHAIN, chain);
  return add(e);
}

Rule& Rule::fib_daddr_type(uint32_t reg) {
  nftnl_expr* e = L.nftnl_expr_alloc("fib");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_FLAGS, NFTA_FIB_F_DADDR);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_RESULT, NFT_FIB_RESULT_ADDRTYPE);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_FIB_DREG, reg);
  return add(e);
}

Rule& Rule::dnat(uint32_t nfproto, uint32_t addr_reg, uint32_t port_reg) {
  nftnl_expr* e = L.nftnl_expr_alloc("nat");
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_TYPE, NFT_NAT_DNAT);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_FAMILY, nfproto);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_ADDR_MIN, addr_reg);
  L.nftnl_expr_set_u32(e, NFTNL_EXPR_NAT_REG_PROTO_MIN, port_reg);
  return add(e);
}

Rule& Rule::address_in(const IpPrefix& p, bool source) {
  bool v6 = p.family == AF_INET6;
  meta(NFT_META_NFPROTO, NFT_REG_1).cmp_u8(NFT_CMP_EQ, NFT_REG_1, v6 ? NFPROTO_IPV6 : NFPROTO_IPV4);
  if (p.len == 0) return *this;  // /0: the whole family
  // iphdr saddr/daddr at 12/16, ipv6hdr at 8/24.
  uint32_t offset = v6 ? (source ? 8 : 24) : (source ? 12 : 16);
  auto n = static_cast<uint32_t>(p.bytes());
  payload(NFT_PAYLOAD_NETWORK_HEADER, offset, n, NFT_REG_1);
  unsigned char m[16] = {}, net[16] = {};
  for (int i = 0; i < static_cast<int>(n); ++i) {
    int bits = p.len - i * 8;
    m[i] = bits >= 8 ? 0xff : bits <= 0 ? 0 : static_cast<unsigned char>(0xff << (8 - bits));
    net[i] = p.addr[i] & m[i];
  }
  if (p.len < static_cast<int>(n) * 8) mask(NFT_REG_1, m, n);
  return cmp(NFT_CMP_EQ, NFT_REG_1, net, n);
}

Rule& Rule::ifname_is(bool input, const std::string& name) {
  char padded[16] = {};  // IFNAMSIZ: the name and its NULs, as meta loads it
  std::memcpy(padded, name.data(), name.size() < 15 ? name.size() : 15);
  meta(input ? NFT_META_IIFNAME : NFT_META_OIFNAME, NFT_REG_1);
  return cmp(NFT_CMP_EQ, NFT_REG_1, padded, sizeof padded);
}

Rule& Rule::iif_is(uint32_t ifindex) {
  meta(NFT_META_IIF, NFT_REG_1);
  return cmp_u32(NFT_CMP_EQ, NFT_REG_1, ifindex);
}

namespace {
// Generous room for one message: zjail's longest rule is a few hundred bytes.
constexpr size_t kRoom = 8192;
constexpr uint16_t nft_type(int msg) { return static_cast<uint16_t>((NFNL_SUBSYS_NFTABLES << 8) | msg); }
}  // namespace

BatchWriter::BatchWriter(const NetLibs& l) : L(l), seq_(1) {
  nlmsghdr* nlh = L.nftnl_batch_begin(reinterpret_cast<char*>(room()), seq_++);
  nlh->nlmsg_flags |= NLM_F_ACK;
  commit(nlh);
}

unsigned char* BatchWriter::room() {
  size_t used = buf_.size();
  buf_.resize(used + kRoom);
  return buf_.data() + used;
}

void BatchWriter::commit(nlmsghdr* nlh) {
  size_t start = reinterpret_cast<unsigned char*>(nlh) - buf_.data();
  buf_.resize(start + NLMSG_ALIGN(nlh->nlmsg_len));
}

void BatchWriter::table(uint32_t family, const std::string& name, uint32_t flags) {
  nftnl_table* t = L.nftnl_table_alloc();
  L.nftnl_table_set_str(t, NFTNL_TABLE_NAME, name.c_str());
  L.nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, family);
  L.nftnl_table_set_u32(t, NFTNL_TABLE_FLAGS, flags);
  nlmsghdr* nlh = L.nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(room()), nft_type(NFT_MSG_NEWTABLE),
                                          static_cast<uint16_t>(family), NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
                                          seq_++);
  L.nftnl_table_nlmsg_build_payload(nlh, t);
  L.nftnl_table_free(t);
  commit(nlh);
}

void BatchWriter::chain(uint32_t family, const std::string& table, const std::string& name, const Hook* hook) {
  nftnl_chain* c = L.nftnl_chain_alloc();
  L.nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, table.c_str());
  L.nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, name.c_str());
  L.nftnl_chain_set_u32(c, NFTNL_CHAIN_FAMILY, family);
  if (hook) {
    L.nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, hook->type);
    L.nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, hook->hooknum);
    L.nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, hook->priority);
    L.nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
  }
  nlmsghdr* nlh = L.nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(room()), nft_type(NFT_MSG_NEWCHAIN),
                                          static_cast<uint16_t>(family), NLM_F_CREATE | NLM_F_ACK, seq_++);
  L.nftnl_chain_nlmsg_build_payload(nlh, c);
  L.nftnl_chain_free(c);
  commit(nlh);
}

void BatchWriter::rule(Rule& r) {
  nlmsghdr* nlh = L.nftnl_nlmsg_build_hdr(reinterpret_cast<char*>(room()), nft_type(NFT_MSG_NEWRULE),
                                          static_cast<uint16_t>(L.nftnl_rule_get_u32(r.get(), NFTNL_RULE_FAMILY)),
                                          NLM_F_CREATE | NLM_F_APPEND | NLM_F_ACK, seq_++);
  L.nftnl_rule_nlmsg_build_payload(nlh, r.get());
  commit(nlh);
}

std::vector<unsigned char> BatchWriter::finish() {
  nlmsghdr* nlh = L.nftnl_batch_end(reinterpret_cast<char*>(room()), seq_++);
  nlh->nlmsg_flags |= NLM_F_ACK;
  commit(nlh);
  return std::move(buf_);
}

}  // namespace zjail::fw

namespace zjail {
namespace {

const char* family_name(int f) {
  switch (f) {
    case NFPROTO_INET: return "inet";
    case NFPROTO_IPV4: return "ip";
    case NFPROTO_IPV6: return "ip6";
    default: return "?";
  }
}

// The names a message carries, read back for error messages.
struct Names {
  const NetLibs* L;
  uint16_t type;
  std::string table, chain;
};

int read_name(const nlattr* a, void* data) {
  auto* n = static_cast<Names*>(data);
  uint16_t t = n->L->mnl_attr_get_type(a);
  const char* s = static_cast<const char*>(n->L->mnl_attr_get_payload(a));
  size_t len = strnlen(s, n->L->mnl_attr_get_payload_len(a));
  bool table = ((n->type == NFT_MSG_NEWTABLE || n->type == NFT_MSG_DELTABLE) && t == NFTA_TABLE_NAME) ||
               (n->type == NFT_MSG_NEWCHAIN && t == NFTA_CHAIN_TABLE) ||
               (n->type == NFT_MSG_NEWRULE && t == NFTA_RULE_TABLE);
  bool chain = (n->type == NFT_MSG_NEWCHAIN && t == NFTA_CHAIN_NAME) ||
               (n->type == NFT_MSG_NEWRULE && t == NFTA_RULE_CHAIN);
  if (table) n->table.assign(s, len);
  if (chain) n->chain.assign(s, len);
  return MNL_CB_OK;
}

struct Sent {
  uint32_t seq;
  std::string what;  // "rule 3 of chain input in table inet zjail"
  bool content;      // not BEGIN or END, which older kernels never acknowledge
};

std::vector<Sent> describe(const NetLibs& L, const std::vector<unsigned char>& batch) {
  std::vector<Sent> out;
  std::vector<std::pair<std::string, int>> rules_per_chain;
  int left = static_cast<int>(batch.size());
  for (auto* nlh = reinterpret_cast<const nlmsghdr*>(batch.data()); L.mnl_nlmsg_ok(nlh, left);
       nlh = L.mnl_nlmsg_next(nlh, &left)) {
    if (nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN || nlh->nlmsg_type == NFNL_MSG_BATCH_END) {
      out.push_back({nlh->nlmsg_seq, nlh->nlmsg_type == NFNL_MSG_BATCH_BEGIN ? "batch begin" : "batch end", false});
      continue;
    }
    const auto* g = static_cast<const nfgenmsg*>(L.mnl_nlmsg_get_payload(nlh));
    Names n{&L, static_cast<uint16_t>(nlh->nlmsg_type & 0xff), {}, {}};
    L.mnl_attr_parse(nlh, sizeof(nfgenmsg), read_name, &n);
    std::string table = std::string("table ") + family_name(g->nfgen_family) + " " + n.table;
    std::string what = "message type " + std::to_string(n.type) + " in " + table;
    if (n.type == NFT_MSG_NEWTABLE) what = table;
    if (n.type == NFT_MSG_DELTABLE) what = "deleting " + table;
    if (n.type == NFT_MSG_NEWCHAIN) what = "chain " + n.chain + " in " + table;
    if (n.type == NFT_MSG_NEWRULE) {
      int k = 0;
      for (auto& [c, count] : rules_per_chain)
        if (c == n.chain) k = ++count;
      if (k == 0) rules_per_chain.emplace_back(n.chain, k = 1);
      what = "rule " + std::to_string(k) + " of chain " + n.chain + " in " + table;
    }
    out.push_back({nlh->nlmsg_seq, what, true});
  }
  return out;
}

// The kernel runs the whole batch inside sendmsg and queues one
// acknowledgement per message before it returns; the receive buffer must
// hold them all (each is its own skb, about a kilobyte of accounting).
void make_room(int sock, int opt_force, int opt, size_t want) {
  int have = 0;
  socklen_t len = sizeof have;
  if (getsockopt(sock, SOL_SOCKET, opt, &have, &len) == 0 && static_cast<size_t>(have) >= want) return;
  int v = want > (1u << 30) ? (1 << 30) : static_cast<int>(want);
  if (setsockopt(sock, SOL_SOCKET, opt_force, &v, sizeof v) != 0) (void)setsockopt(sock, SOL_SOCKET, opt, &v, sizeof v);
}

}  // namespace

Status send_batch(const NetLibs& L, int nfnl_sock, const std::vector<unsigned char>& batch) {
  std::vector<Sent> sent = describe(L, batch);
  make_room(nfnl_sock, SO_SNDBUFFORCE, SO_SNDBUF, batch.size() + 4096);
  make_room(nfnl_sock, SO_RCVBUFFORCE, SO_RCVBUF, sent.size() * 2048 + 65536);
  sockaddr_nl kernel{};
  kernel.nl_family = AF_NETLINK;
  ssize_t n = sendto(nfnl_sock, batch.data(), batch.size(), 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel);
  if (n < 0) return make_error(Step::Network, errno, "sending an nftables batch of " + std::to_string(batch.size()) + " bytes");
  if (static_cast<size_t>(n) != batch.size()) return make_error(Step::Network, EMSGSIZE, "sending an nftables batch: short write");

  const Sent* failed = nullptr;
  int failed_errno = 0;
  size_t acked = 0, content = 0;
  for (auto& s : sent) content += s.content;
  std::vector<unsigned char> buf(65536);
  for (;;) {
    ssize_t got = recv(nfnl_sock, buf.data(), buf.size(), MSG_DONTWAIT);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
    if (got < 0) return make_error(Step::Network, errno, "reading the nftables batch's acknowledgements");
    int left = static_cast<int>(got);
    for (auto* nlh = reinterpret_cast<const nlmsghdr*>(buf.data()); L.mnl_nlmsg_ok(nlh, left);
         nlh = L.mnl_nlmsg_next(nlh, &left)) {
      if (nlh->nlmsg_type != NLMSG_ERROR) continue;
      const auto* e = static_cast<const nlmsgerr*>(L.mnl_nlmsg_get_payload(nlh));
      const Sent* which = nullptr;
      for (auto& s : sent)
        if (s.seq == nlh->nlmsg_seq) which = &s;
      if (which && which->content) ++acked;
      if (e->error != 0 && !failed_errno) {
        failed = which;
        failed_errno = -e->error;
      }
    }
  }
  if (failed_errno)
    return make_error(Step::Network, failed_errno,
                      "nftables: " + (failed ? failed->what : std::string("an unknown message")) + " refused");
  if (acked < content)
    return make_error(Step::Network, EPROTO,
                      "nftables: the kernel acknowledged " + std::to_string(acked) + " of " + std::to_string(content) +
                          " messages");
  return {};
}

}  // namespace zjail
