// nftables batches built by hand with libnftnl (firewall.hpp): a writer that
// appends nfnetlink messages to a byte buffer, and a rule builder whose
// methods are the few expressions zjail's rules use. Internal to
// firewall.cpp and firewall_expr.cpp.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "nl_libs.hpp"
#include "zjail/network.hpp"

namespace zjail::fw {

// A rule under construction; owns its nftnl_rule until the writer takes it.
class Rule {
 public:
  Rule(const NetLibs& L, uint32_t family, const std::string& table, const std::string& chain);
  ~Rule();
  Rule(const Rule&) = delete;
  Rule& operator=(const Rule&) = delete;

  // reg = meta KEY
  Rule& meta(uint32_t key, uint32_t reg);
  // reg = the packet's bytes at BASE+offset
  Rule& payload(uint32_t base, uint32_t offset, uint32_t len, uint32_t reg);
  // reg = reg & mask (xor 0)
  Rule& mask(uint32_t reg, const unsigned char* mask, uint32_t len);
  // stop the rule unless reg OP data
  Rule& cmp(uint32_t op, uint32_t reg, const void* data, uint32_t len);
  Rule& cmp_u8(uint32_t op, uint32_t reg, uint8_t v) { return cmp(op, reg, &v, 1); }
  Rule& cmp_u16(uint32_t op, uint32_t reg, uint16_t v) { return cmp(op, reg, &v, 2); }
  Rule& cmp_u32(uint32_t op, uint32_t reg, uint32_t v) { return cmp(op, reg, &v, 4); }
  // reg = data
  Rule& immediate(uint32_t reg, const void* data, uint32_t len);
  // verdict: NF_ACCEPT, NF_DROP, or NFT_GOTO/NFT_JUMP with a chain
  Rule& verdict(int v, const char* chain = nullptr);
  // reg = the address type (RTN_*) of the packet's destination
  Rule& fib_daddr_type(uint32_t reg);
  // dnat to the address in addr_reg and the port in port_reg
  Rule& dnat(uint32_t nfproto, uint32_t addr_reg, uint32_t port_reg);

  // Matches packets of `nfproto` whose address at `offset` in the network
  // header lies in `p` (nothing more than the family for /0).
  Rule& address_in(const IpPrefix& p, bool source);
  // Matches the input (iifname) or output (oifname) interface `name`.
  Rule& ifname_is(bool input, const std::string& name);
  // Matches packets that came in on the link with index `ifindex`.
  Rule& iif_is(uint32_t ifindex);

  nftnl_rule* get() const { return r_; }

 private:
  Rule& add(nftnl_expr* e);
  const NetLibs& L;
  nftnl_rule* r_;
};

// Appends nfnetlink messages, each with NLM_F_ACK and its own sequence
// number, starting with BEGIN; finish() adds END and returns the bytes.
class BatchWriter {
 public:
  explicit BatchWriter(const NetLibs& L);
  // `flags` 0 or NFT_TABLE_F_OWNER.
  void table(uint32_t family, const std::string& name, uint32_t flags);
  // A base chain when `type` is given, else a regular one.
  struct Hook {
    const char* type = nullptr;  // "filter", "nat"
    uint32_t hooknum = 0;        // NF_INET_*
    int32_t priority = 0;
  };
  void chain(uint32_t family, const std::string& table, const std::string& name, const Hook* hook);
  void rule(Rule& r);
  std::vector<unsigned char> finish();

 private:
  unsigned char* room();
  void commit(nlmsghdr* nlh);
  const NetLibs& L;
  std::vector<unsigned char> buf_;
  uint32_t seq_;
};

}  // namespace zjail::fw
