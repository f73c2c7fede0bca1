// ListenStream=/ListenDatagram=: zjail binds these itself, before any
// namespace or privilege change, so a payload with no capabilities and an
// empty network namespace can still serve a privileged port. They are
// passed as LISTEN_FDS, or with ListenViaBind=yes handed over by the
// payload's own bind() (listen_via_bind.hpp).
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <charconv>
#include <cstddef>
#include <cstring>

#include "listen.hpp"
#include "plan_internal.hpp"

namespace zjail {
namespace {

bool parse_port(std::string_view s, uint16_t& port) {
  unsigned v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size() || v == 0 || v > 65535) return false;
  port = static_cast<uint16_t>(v);
  return true;
}

// `port` on `host`, a literal address of `family` (AF_INET or AF_INET6), or
// on the any address when `host` is null.
bool set_inet(ListenAddress& a, int family, const char* host, uint16_t port) {
  void* addr;
  if (family == AF_INET6) {
    auto* in6 = reinterpret_cast<sockaddr_in6*>(&a.ss);
    in6->sin6_port = htons(port);
    addr = &in6->sin6_addr;
    a.len = sizeof(sockaddr_in6);
  } else {
    auto* in = reinterpret_cast<sockaddr_in*>(&a.ss);
    in->sin_port = htons(port);
    addr = &in->sin_addr;
    a.len = sizeof(sockaddr_in);
  }
  a.ss.ss_family = static_cast<sa_family_t>(family);
  // The any address is all zeros, as `a` starts.
  return !host || inet_pton(family, host, addr) == 1;
}

}  // namespace

bool parse_listen_address(const std::string& spec, ListenAddress& a) {
  a = ListenAddress{};
  uint16_t port;
  if (!spec.empty() && spec[0] == '/') {
    auto* un = reinterpret_cast<sockaddr_un*>(&a.ss);
    if (spec.size() >= sizeof(un->sun_path)) return false;
    un->sun_family = AF_UNIX;
    std::memcpy(un->sun_path, spec.c_str(), spec.size() + 1);
    a.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + spec.size() + 1);
    return true;
  }
  if (parse_port(spec, port)) {
    a.dual_stack = true;
    return set_inet(a, AF_INET6, nullptr, port);
  }
  if (spec.size() > 2 && spec[0] == '[') {
    size_t close = spec.find("]:");
    if (close == std::string::npos || !parse_port(std::string_view(spec).substr(close + 2), port))
      return false;
    return set_inet(a, AF_INET6, spec.substr(1, close - 1).c_str(), port);
  }
  size_t colon = spec.rfind(':');
  if (colon == std::string::npos || !parse_port(std::string_view(spec).substr(colon + 1), port))
    return false;
  return set_inet(a, AF_INET, spec.substr(0, colon).c_str(), port);
}

namespace {

// The socket's own word on what it is, for ListenViaBind= to compare the
// payload's socket with.
Status describe_bound(int fd, const ListenAddress& a, const std::string& what, BindSocket& out) {
  auto option = [fd](int level, int name, int& v) {
    socklen_t len = sizeof v;
    return getsockopt(fd, level, name, &v, &len) == 0;
  };
  if (!option(SOL_SOCKET, SO_DOMAIN, out.family) || !option(SOL_SOCKET, SO_TYPE, out.type) ||
      !option(SOL_SOCKET, SO_PROTOCOL, out.protocol) ||
      (out.family == AF_INET6 && !option(IPPROTO_IPV6, IPV6_V6ONLY, out.v6only)))
    return make_error(Step::Listen, errno, "reading back the socket for " + what);
  out.addr = a.ss;
  out.len = a.len;
  out.what = what;
  return {};
}

Status bind_one(const Item<std::string>& item, int type, const char* directive, const Profile& p, Plan& plan) {
  const Profile::Ipv6Only v6only = p.bind_ipv6_only.value.value_or(Profile::Ipv6Only::Default);
  std::string what = std::string(directive) + "=" + item.value + " (" + item.origin.str() + ")";
  ListenAddress a;
  if (!parse_listen_address(item.value, a))
    return make_error(Step::Listen, 0, item.origin.str() + ": invalid address '" + item.value +
                                           "' for " + directive +
                                           "=: expected PORT, ADDR:PORT, [ADDR6]:PORT or /path");
  UniqueFd fd(socket(a.ss.ss_family, type | SOCK_CLOEXEC, 0));
  if (!fd) return make_error(Step::Listen, errno, "socket for " + what);
  int one = 1, zero = 0;
  if (a.ss.ss_family != AF_UNIX)
    setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // BindIPv6Only=ipv6-only lets [::]:80 stand beside 0.0.0.0:80 (as nginx
  // binds them); "both" makes any IPv6 socket take IPv4 too.
  if (a.ss.ss_family == AF_INET6) {
    if (v6only == Profile::Ipv6Only::Ipv6Only) setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
    else if (a.dual_stack || v6only == Profile::Ipv6Only::Both)
      setsockopt(fd.get(), IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  }
  if (a.ss.ss_family == AF_UNIX) {
    // A socket file outlives the socket: one left by an earlier run would make
    // every restart fail with EADDRINUSE. Replace it, as systemd does for its
    // own ListenStream=; anything else at the path stays and bind() fails.
    const char* path = reinterpret_cast<const sockaddr_un*>(&a.ss)->sun_path;
    struct stat st{};
    if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode)) unlink(path);
  }
  if (bind(fd.get(), reinterpret_cast<sockaddr*>(&a.ss), a.len) != 0)
    return make_error(Step::Listen, errno, "bind " + what);
  if (type == SOCK_STREAM && listen(fd.get(), SOMAXCONN) != 0)
    return make_error(Step::Listen, errno, "listen " + what);
  if (!via_bind(p, item.value)) {
    plan.pass_fds.push_back(std::move(fd));
    return {};
  }
  BindSocket b;
  ZJAIL_TRY(describe_bound(fd.get(), a, what, b));
  b.fd = std::move(fd);
  plan.bind_sockets.push_back(std::move(b));
  return {};
}

}  // namespace

bool via_bind(const Profile& p, const std::string& spec) {
  return p.listen_via_bind.value.value_or(false) && !spec.empty() && spec[0] != '/';
}

Status bind_listen_sockets(const Profile& p, Plan& plan) {
  for (const auto& item : p.listen_stream) ZJAIL_TRY(bind_one(item, SOCK_STREAM, "ListenStream", p, plan));
  for (const auto& item : p.listen_datagram) ZJAIL_TRY(bind_one(item, SOCK_DGRAM, "ListenDatagram", p, plan));
  return {};
}

}  // namespace zjail
