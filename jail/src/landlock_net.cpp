// SocketBindAllow=/SocketBindDeny= and SocketConnectAllow=/SocketConnectDeny=
// as Landlock network rules (ABI 4): the payload may bind() or connect() a
// TCP socket only to the ports the rules leave open, on the host's network
// too, with no cgroup and no BPF.
//
// systemd's meaning: a call that matches an allow rule is allowed; one that
// matches a deny rule is denied; any other is allowed. Landlock can only
// say "these TCP ports, whatever the family", so the rules are evaluated
// here into the set of open TCP ports, and a profile whose rules say more
// than that (a UDP port denied, IPv4 and IPv6 apart, most of the port range
// open) is refused rather than half-enforced.
#include <netinet/in.h>

#include <algorithm>
#include <set>

#include "plan_internal.hpp"
#include "zjail/landlock.hpp"

namespace zjail {
namespace {

// One landlock_add_rule() per open port, in the payload before exec: an
// allow list, not a deny list with the rest of the range open.
constexpr size_t kMaxOpenPorts = 1024;

struct PortRule {
  int family = 0;  // 0: both, else AF_INET or AF_INET6
  int protocol = 0;  // 0: any, else IPPROTO_TCP or IPPROTO_UDP
  int lo = 0, hi = 65535;
};

// A rule the directive's parser has accepted: [ipv4:|ipv6:][tcp:|udp:](PORT|PORT-PORT|any), or "any".
PortRule parse(const std::string& text) {
  PortRule r;
  std::string_view v = text;
  auto take = [&](std::string_view word) {
    if (!v.starts_with(word) || v.size() <= word.size() || v[word.size()] != ':') return false;
    v.remove_prefix(word.size() + 1);
    return true;
  };
  if (take("ipv4")) r.family = AF_INET;
  else if (take("ipv6")) r.family = AF_INET6;
  if (take("tcp")) r.protocol = IPPROTO_TCP;
  else if (take("udp")) r.protocol = IPPROTO_UDP;
  if (v == "any") return r;
  size_t dash = v.find('-');
  r.lo = std::stoi(std::string(v.substr(0, dash)));
  r.hi = dash == std::string_view::npos ? r.lo : std::stoi(std::string(v.substr(dash + 1)));
  return r;
}

struct Rules {
  std::vector<PortRule> allow, deny;
  const Origin* origin = nullptr;  // null: no rules
  const char* name = "";           // "SocketBindAllow=/SocketBindDeny="
};

Rules rules_of(const std::vector<Item<std::string>>& allow, const std::vector<Item<std::string>>& deny,
               const char* name) {
  Rules r;
  r.name = name;
  for (const auto& i : allow) r.allow.push_back(parse(i.value));
  for (const auto& i : deny) r.deny.push_back(parse(i.value));
  // The rule that closes ports, for errors.
  if (!deny.empty()) r.origin = &deny.front().origin;
  else if (!allow.empty()) r.origin = &allow.front().origin;
  return r;
}

bool matches(const PortRule& r, int family, int protocol, int port) {
  return (!r.family || r.family == family) && (!r.protocol || r.protocol == protocol) && port >= r.lo &&
         port <= r.hi;
}

bool allowed(const Rules& r, int family, int protocol, int port) {
  for (const auto& a : r.allow)
    if (matches(a, family, protocol, port)) return true;
  for (const auto& d : r.deny)
    if (matches(d, family, protocol, port)) return false;
  return true;
}

// The ports where the answer can change: each rule's ends.
std::vector<int> segments(const Rules& r) {
  std::set<int> starts{0};
  for (const auto* list : {&r.allow, &r.deny})
    for (const auto& p : *list) {
      starts.insert(p.lo);
      if (p.hi < 65535) starts.insert(p.hi + 1);
    }
  return {starts.begin(), starts.end()};
}

// The TCP ports the rules leave open, or an error where Landlock cannot say
// what they say. `tcp_only`: the directives govern TCP alone.
Result<std::optional<std::vector<uint16_t>>> open_tcp_ports(const Rules& r, bool tcp_only) {
  auto refuse = [&](const std::string& why) { return at(*r.origin, Step::Plan, std::string(r.name) + " " + why); };
  std::vector<int> starts = segments(r);
  std::vector<std::pair<int, int>> open_ranges;
  size_t count = 0;
  bool restricted = false;
  for (size_t i = 0; i < starts.size(); ++i) {
    int lo = starts[i], hi = i + 1 < starts.size() ? starts[i + 1] - 1 : 65535;
    bool v4 = allowed(r, AF_INET, IPPROTO_TCP, lo), v6 = allowed(r, AF_INET6, IPPROTO_TCP, lo);
    if (v4 != v6)
      return refuse("treat TCP port " + std::to_string(lo) +
                    " differently for IPv4 and IPv6, which Landlock's TCP rules cannot tell apart: give both "
                    "families the same ports");
    if (!tcp_only && !(allowed(r, AF_INET, IPPROTO_UDP, lo) && allowed(r, AF_INET6, IPPROTO_UDP, lo)))
      return refuse("deny binds to UDP ports, and Landlock confines TCP only: restrict TCP alone (SocketBindDeny=tcp:any), or run "
                    "without the rule");
    if (!v4) {
      restricted = true;
      continue;
    }
    open_ranges.push_back({lo, hi});
    count += static_cast<size_t>(hi - lo + 1);
  }
  if (!restricted) return std::optional<std::vector<uint16_t>>{};
  if (count > kMaxOpenPorts)
    return refuse("leave more than " + std::to_string(kMaxOpenPorts) +
                  " TCP ports open, and Landlock takes open ports one by one: deny everything "
                  "(SocketBindDeny=tcp:any) and allow the ports the service uses");
  // Port 0 is never granted: Landlock reads a rule for it as "bind to any
  // free port", which would take ports the rules close (systemd's hook
  // lets bind(0) through where no rule covers 0; zjail refuses it).
  std::vector<uint16_t> open;
  for (auto [lo, hi] : open_ranges)
    for (int port = std::max(lo, 1); port <= hi; ++port) open.push_back(static_cast<uint16_t>(port));
  return std::optional<std::vector<uint16_t>>{std::move(open)};
}

}  // namespace

std::string landlock_ports_text(const std::vector<uint16_t>& ports) {
  if (ports.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < ports.size();) {
    size_t j = i;
    while (j + 1 < ports.size() && ports[j + 1] == ports[j] + 1) ++j;
    out += (out.empty() ? "" : " ") + std::to_string(ports[i]);
    if (j > i) out += "-" + std::to_string(ports[j]);
    i = j + 1;
  }
  return out;
}

bool socket_bind_closes_tcp(const Profile& p) {
  const Security& s = p.security;
  Rules r = rules_of(s.socket_bind_allow, s.socket_bind_deny, "SocketBindAllow=/SocketBindDeny=");
  if (!r.origin) return false;
  auto open = open_tcp_ports(r, false);
  return open && *open && (*open)->empty();
}

Status plan_landlock_net(const Profile& p, int abi, LandlockPlan& ll) {
  const Security& s = p.security;
  struct Pair {
    Rules rules;
    bool tcp_only;
    bool LandlockPlan::*handle;
    std::vector<uint16_t> LandlockPlan::*ports;
  };
  Pair pairs[] = {
      {rules_of(s.socket_bind_allow, s.socket_bind_deny, "SocketBindAllow=/SocketBindDeny="), false,
       &LandlockPlan::handle_bind_tcp, &LandlockPlan::bind_ports},
      {rules_of(s.socket_connect_allow, s.socket_connect_deny, "SocketConnectAllow=/SocketConnectDeny="), true,
       &LandlockPlan::handle_connect_tcp, &LandlockPlan::connect_ports},
  };
  for (auto& pair : pairs) {
    if (!pair.rules.origin) continue;
    ZJAIL_TRY_ASSIGN(auto open, open_tcp_ports(pair.rules, pair.tcp_only));
    if (!open) continue;  // the rules close no TCP port
    if (abi < kLandlockNetAbi)
      return at(*pair.rules.origin, Step::Plan,
                std::string(pair.rules.name) + " need Landlock's network rules (ABI 4, Linux 6.7), and this kernel " +
                    "has ABI " + std::to_string(abi) +
                    "; zjail never runs a jail without a rule it was given (PrivateNetwork=yes is the way on "
                    "older kernels)");
    if (ll.*pair.handle) {
      // Already handled with no port open (a passed TCP socket in a
      // private network): the stricter rule stands.
      continue;
    }
    ll.*pair.handle = true;
    ll.*pair.ports = std::move(*open);
  }
  return {};
}

}  // namespace zjail
