// The network directives (docs/network.md): systemd.exec(5)'s filters and
// NetworkNamespacePath=, systemd.nspawn(5)'s VirtualEthernet= and Port=,
// systemd.network(5)'s Address=, and zjail's own HostAddress=,
// UserModeNetworking= and HostLoopbackPort=. Values are checked here, in
// full, so that a profile that parses can be planned; what depends on the
// host (free addresses, pasta, the namespace path) is the planner's
// (network_plan.cpp).
#include <algorithm>

#include "directives.hpp"
#include "show.hpp"
#include "zjail/network.hpp"

namespace zjail {

Result<std::vector<std::string>> words_of(const Assignment& a) {
  std::vector<std::string> words;
  std::string why;
  if (!split_words(a.value, words, why)) return invalid_value(a, why);
  return words;
}

namespace {

using std::string;

Network& net(Profile& p) { return p.network; }
Security& sec(Profile& p) { return p.security; }

template <Setting<bool> Network::*M>
Status flag(Profile& p, const Assignment& a) {
  if (a.value.empty()) return net(p).*M = {}, Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid_value(a, "expected a boolean");
  assign(net(p).*M, *b, a.origin);
  return {};
}

// A list of words, each checked by `check`; "" resets.
template <class C>
Status word_list(std::vector<Item<string>>& list, const Assignment& a, C check) {
  if (a.value.empty()) return list.clear(), Status{};
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  for (const auto& w : words) ZJAIL_TRY(check(w));
  for (auto& w : words) list.push_back({std::move(w), a.origin});
  return {};
}

bool is_ip_keyword(const string& w) {
  return w == "any" || w == "localhost" || w == "link-local" || w == "multicast";
}

template <std::vector<Item<string>> Security::*M>
Status ip_address_list(Profile& p, const Assignment& a) {
  return word_list(sec(p).*M, a, [&](const string& w) -> Status {
    if (is_ip_keyword(w) || parse_ip_prefix(w)) return {};
    return invalid_word(a, w, "expected IPv4 or IPv6 addresses with an optional /PREFIX, or 'any', "
                              "'localhost', 'link-local', 'multicast'");
  });
}

// Address=/HostAddress=: one address of an interface, with its prefix; a
// network or broadcast address, or a prefix that leaves no room for the
// other side, is refused.
template <std::vector<Item<string>> Network::*M>
Status interface_address(Profile& p, const Assignment& a) {
  return word_list(net(p).*M, a, [&](const string& w) -> Status {
    auto pre = parse_ip_prefix(w);
    if (!pre) return invalid_word(a, w, "expected ADDRESS/PREFIX, such as 10.5.0.2/30 or fd00:5::2/64");
    int bits = pre->family == AF_INET ? 32 : 128;
    if (w.find('/') == string::npos || pre->len == 0 || pre->len > bits - 1)
      return invalid_word(a, w, "expected a prefix length from 1 to " + std::to_string(bits - 1) +
                                    ", with room for the other side of the link");
    return {};
  });
}

template <std::vector<Item<string>> Network::*M>
Status port_list(Profile& p, const Assignment& a) {
  return word_list(net(p).*M, a, [&](const string& w) -> Status {
    if (parse_port_forward(w)) return {};
    return invalid_word(a, w, "expected [tcp:|udp:]PORT[:PORT], ports 1 to 65535");
  });
}

Result<string> check_interface(const Assignment& a, const string& word) {
  // The kernel's rules for names (15 bytes) and alternative names (127).
  bool ok = !word.empty() && word.size() <= 127 && word != "." && word != ".." &&
            std::none_of(word.begin(), word.end(), [](unsigned char c) {
              return c == '/' || c == ':' || c <= ' ' || c == 0x7f;
            });
  if (!ok) return invalid_word(a, word, "expected network interface names");
  return word;
}

Status restrict_network_interfaces(Profile& p, const Assignment& a) {
  return name_list_directive(sec(p).restrict_network_interfaces, a, check_interface);
}

Status network_namespace_path(Profile& p, const Assignment& a) {
  if (a.value.empty()) return sec(p).network_namespace_path = {}, Status{};
  if (!valid_path(a.value)) return invalid_value(a, "expected an absolute path without '..'");
  assign(sec(p).network_namespace_path, string(a.value), a.origin);
  return {};
}

void each(ShowWriter& w, const char* key, const std::vector<Item<string>>& items) {
  for (const auto& i : items) w.set(i.origin, key, i.value);
}

}  // namespace

const std::vector<Directive>& network_directives() {
  using S = ShowWriter;
  using P = Profile;
  constexpr auto Replace = Directive::Merge::Replace;
  constexpr auto Accumulate = Directive::Merge::Accumulate;
  static const std::vector<Directive> table = {
      {"VirtualEthernet", flag<&Network::virtual_ethernet>, Replace,
       [](S& w, const P& p) { boolean(w, "VirtualEthernet", p.network.virtual_ethernet); }},
      {"Address", interface_address<&Network::address>, Accumulate,
       [](S& w, const P& p) { words(w, "Address", p.network.address); }},
      {"HostAddress", interface_address<&Network::host_address>, Accumulate,
       [](S& w, const P& p) { words(w, "HostAddress", p.network.host_address); }},
      {"UserModeNetworking", flag<&Network::user_mode>, Replace,
       [](S& w, const P& p) { boolean(w, "UserModeNetworking", p.network.user_mode); }},
      {"Port", port_list<&Network::port>, Accumulate, [](S& w, const P& p) { each(w, "Port", p.network.port); }},
      {"HostLoopbackPort", port_list<&Network::host_loopback_port>, Accumulate,
       [](S& w, const P& p) { each(w, "HostLoopbackPort", p.network.host_loopback_port); }},
      {"NetworkNamespacePath", network_namespace_path, Replace,
       [](S& w, const P& p) { text(w, "NetworkNamespacePath", p.security.network_namespace_path); }},
      {"IPAddressAllow", ip_address_list<&Security::ip_address_allow>, Accumulate,
       [](S& w, const P& p) { words(w, "IPAddressAllow", p.security.ip_address_allow); }},
      {"IPAddressDeny", ip_address_list<&Security::ip_address_deny>, Accumulate,
       [](S& w, const P& p) { words(w, "IPAddressDeny", p.security.ip_address_deny); }},
      {"RestrictNetworkInterfaces", restrict_network_interfaces, Directive::Merge::Ordered,
       [](S& w, const P& p) {
         name_list(w, "RestrictNetworkInterfaces", p.security.restrict_network_interfaces, "lo");
       }},
  };
  return table;
}

}  // namespace zjail
