// Addresses with prefixes and port forwards, as the network directives
// write them (network.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>

#include <charconv>
#include <cstring>

#include "zjail/network.hpp"

namespace zjail {
namespace {

bool to_int(std::string_view s, int lo, int hi, int& out) {
  if (s.empty()) return false;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && out >= lo && out <= hi;
}

Error bad(std::string_view text, const char* why) {
  return make_error(Step::Profile, EINVAL, "'" + std::string(text) + "': " + why);
}

}  // namespace

Result<IpPrefix> parse_ip_prefix(std::string_view text) {
  size_t slash = text.find('/');
  std::string addr(text.substr(0, slash));
  IpPrefix p;
  if (inet_pton(AF_INET, addr.c_str(), p.addr.data()) == 1) p.family = AF_INET, p.len = 32;
  else if (inet_pton(AF_INET6, addr.c_str(), p.addr.data()) == 1) p.family = AF_INET6, p.len = 128;
  else return bad(text, "expected an IPv4 or IPv6 address with an optional /PREFIX");
  if (slash != std::string_view::npos && !to_int(text.substr(slash + 1), 0, p.len, p.len))
    return bad(text, p.family == AF_INET ? "the prefix length is 0 to 32" : "the prefix length is 0 to 128");
  return p;
}

std::string format_ip_prefix(const IpPrefix& p, bool with_len) {
  char buf[INET6_ADDRSTRLEN] = {};
  inet_ntop(p.family, p.addr.data(), buf, sizeof buf);
  std::string s = buf;
  if (with_len) s += "/" + std::to_string(p.len);
  return s;
}

bool prefixes_overlap(const IpPrefix& a, const IpPrefix& b) {
  if (a.family != b.family) return false;
  int bits = a.len < b.len ? a.len : b.len;
  for (int i = 0; i < bits; i += 8) {
    int n = bits - i >= 8 ? 8 : bits - i;
    unsigned char mask = static_cast<unsigned char>(0xff << (8 - n));
    if ((a.addr[i / 8] & mask) != (b.addr[i / 8] & mask)) return false;
  }
  return true;
}

const IpPrefix* of_family(const std::vector<IpPrefix>& v, int family) {
  for (const auto& p : v)
    if (p.family == family) return &p;
  return nullptr;
}

Result<PortForward> parse_port_forward(std::string_view text) {
  PortForward f;
  f.protocol = IPPROTO_TCP;
  std::string_view rest = text;
  if (rest.substr(0, 4) == "tcp:") rest.remove_prefix(4);
  else if (rest.substr(0, 4) == "udp:") f.protocol = IPPROTO_UDP, rest.remove_prefix(4);
  size_t colon = rest.find(':');
  int host = 0, jail = 0;
  if (!to_int(rest.substr(0, colon), 1, 65535, host) ||
      (colon != std::string_view::npos && !to_int(rest.substr(colon + 1), 1, 65535, jail)))
    return bad(text, "expected [tcp:|udp:]PORT[:PORT], ports 1 to 65535");
  f.host_port = static_cast<uint16_t>(host);
  f.jail_port = static_cast<uint16_t>(colon == std::string_view::npos ? host : jail);
  return f;
}

const char* network_mode_name(NetworkMode m) {
  switch (m) {
    case NetworkMode::Host: return "host";
    case NetworkMode::Private: return "private";
    case NetworkMode::Veth: return "veth";
    case NetworkMode::UserMode: return "user-mode";
    case NetworkMode::Join: return "join";
  }
  return "?";
}

}  // namespace zjail
