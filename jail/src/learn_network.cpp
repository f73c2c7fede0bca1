// The network part of a learned profile (docs/learn.md#the-network).
//
// The host's network is given only where the workload needs something
// outside the jail: a port it bound to serve, a server it connected to
// (on another host, or a host service on loopback), an abstract unix
// socket of the host's, a packet socket. Otherwise PrivateNetwork=yes: the
// jail's own loopback serves whatever the workload said to itself.
//
// On the host's network, the Landlock TCP rules say "these ports and no
// other": SocketBindDeny=tcp:any with the ports bound, SocketConnectDeny=any
// with the ports connected to. They are written the way zjail can enforce
// them (TCP only, IPv4 and IPv6 alike, never a UDP deny, which the launch
// refuses), and left as comments where the kernel lacks Landlock ABI 4 or
// the workload bound port 0 (refused under any bind rule). A port below
// 1024 is bound by zjail (ListenStream=/ListenDatagram=): the payload's own
// capability could not bind it on the host's network.
#include <algorithm>
#include <set>

#include "learn_internal.hpp"
#include "plan_internal.hpp"
#include "syntax.hpp"
#include "zjail/landlock.hpp"
#include "zjail/parser.hpp"

namespace zjail::learn::detail {
namespace {

using std::string;

struct Target {
  string proto, host;
  int port = -1;
};

// "tcp:127.0.0.1:5432", "udp:[::1]:53", "unix:/run/x.sock", "unix:@name".
bool parse_target(const string& t, Target& out) {
  size_t colon = t.find(':');
  if (colon == string::npos) return false;
  out.proto = t.substr(0, colon);
  string rest = t.substr(colon + 1);
  if (out.proto == "unix") {
    out.host = rest;
    return !rest.empty();
  }
  size_t pc;
  if (!rest.empty() && rest[0] == '[') {
    size_t close = rest.find(']');
    if (close == string::npos || close + 1 >= rest.size() || rest[close + 1] != ':') return false;
    out.host = rest.substr(1, close - 1);
    pc = close + 1;
  } else {
    pc = rest.rfind(':');
    if (pc == string::npos) return false;
    out.host = rest.substr(0, pc);
  }
  string port = rest.substr(pc + 1);
  if (port.empty() || port.size() > 5 || !std::all_of(port.begin(), port.end(), ::isdigit)) return false;
  out.port = std::stoi(port);
  return out.port <= 65535;
}

bool loopback(const string& host) {
  return host.starts_with("127.") || host == "::1" || host == "localhost" || host.starts_with("::ffff:127.");
}

// Linux's default net.ipv4.ip_local_port_range starts here.
constexpr int kEphemeralLow = 32768;

struct Reason {
  string text;
  const Evidence* e;
};

bool family_allowed(const Profile& p, const string& f) {
  if (p.security.address_families_none.value.value_or(false)) return false;
  const NameList& l = p.security.restrict_address_families;
  if (!l.is_set) return true;
  bool listed = std::any_of(l.names.begin(), l.names.end(), [&](const auto& i) { return i.value == f; });
  return listed != l.invert;
}

bool listens(const std::vector<Item<string>>& l, uint16_t port) {
  string p = std::to_string(port);
  return std::any_of(l.begin(), l.end(), [&](const auto& i) {
    return i.value == p || i.value.ends_with(":" + p);
  });
}

// The addresses the workload bound `port` at (learned with their address
// since the listen facts exist): each becomes a Listen line that
// ListenViaBind= hands to the workload's own bind() of it. False if the
// evidence has no address for the port (an older profile's).
bool by_address(const Observations& o, const string& proto, uint16_t port, Section& s) {
  bool any = false;
  for (const auto& [key, e] : o.listens) {
    string text = key.substr(0, key.find(' '));
    if (!text.starts_with(proto + ":") || !text.ends_with(":" + std::to_string(port))) continue;
    any = true;
    s.lines.push_back({proto == "tcp" ? "ListenStream" : "ListenDatagram", text.substr(proto.size() + 1),
                       {"bound " + comment_safe(key) + ", " + comment_safe(seen(e)),
                        "zjail binds it and gives it to the workload's own bind() of that address (ListenViaBind=)"}});
  }
  return any;
}

// ListenViaBind=, and the IPv6 wildcard's dual-stack setting the workload
// chose (nginx makes [::]:80 IPv6-only beside 0.0.0.0:80; zjail's
// socket must be the same, or the two collide).
void via_bind(const Observations& o, const Profile* base, Section& s) {
  bool written = std::any_of(s.lines.begin(), s.lines.end(), [](const Line& l) {
    return (l.key == "ListenStream" || l.key == "ListenDatagram") && l.value.find(':') != string::npos;
  });
  if (!written) return;
  if (!base || !base->listen_via_bind.value.value_or(false))
    s.lines.push_back({"ListenViaBind", "yes", {"the workload binds its ports below 1024 itself (above)"}});
  int only = 0, dual = 0;
  const Evidence* example = nullptr;
  for (const auto& [key, e] : o.listens) {
    if (key.find(":[::]:") == string::npos) continue;
    (key.ends_with(" v6only") ? only : dual)++;
    if (!example) example = &e;
  }
  if (only && dual)
    s.notes.push_back("the IPv6 wildcard was bound both IPv6-only and dual-stack; zjail has one BindIPv6Only=: "
                      "IPv6-only is kept");
  if (only || dual)
    s.lines.push_back({"BindIPv6Only", only ? "ipv6-only" : "both",
                       {string("the workload bound the IPv6 wildcard ") + (only ? "IPv6-only" : "dual-stack") + ", " +
                        comment_safe(seen(*example))}});
}

}  // namespace

Section network_section(const Observations& o, const Profile* base, int abi) {
  Section s{"Network", {}, {}};
  std::set<uint16_t> own;
  for (const auto* m : {&o.tcp_binds, &o.udp_binds})
    for (const auto& [port, e] : *m)
      if (port) own.insert(port);

  std::vector<Reason> reasons;
  std::map<uint16_t, std::vector<std::pair<string, const Evidence*>>> tcp_out;
  bool abstract = false;
  for (const auto& [port, e] : o.tcp_binds)
    if (port) reasons.push_back({"serves TCP port " + std::to_string(port), &e});
  for (const auto& [port, e] : o.udp_binds)
    if (port) reasons.push_back({"serves UDP port " + std::to_string(port), &e});
  for (const auto& [target, e] : o.connects) {
    Target t;
    if (!parse_target(target, t)) {
      s.notes.push_back("an unreadable connection target, ignored: " + comment_safe(target));
      continue;
    }
    if (t.proto == "unix") {
      if (t.host[0] == '/') continue;  // a path: learn_paths.cpp binds it
      abstract = true;
      reasons.push_back({"connected to the abstract unix socket " + t.host, &e});
      continue;
    }
    if (t.proto == "tcp") tcp_out[static_cast<uint16_t>(t.port)].emplace_back(target, &e);
    // On loopback, a port it bound itself, or one from the ephemeral range
    // after it bound port 0, is the workload talking to itself.
    bool self = own.count(static_cast<uint16_t>(t.port)) || (o.tcp_binds.count(0) && t.port >= kEphemeralLow) ||
                (o.udp_binds.count(0) && t.port >= kEphemeralLow);
    if (!loopback(t.host)) reasons.push_back({"connected to " + target, &e});
    else if (!self)
      reasons.push_back({"connected to " + target + ", a host service on loopback", &e});
  }
  if (o.families.count("AF_PACKET")) reasons.push_back({"opened a packet socket", &o.families.at("AF_PACKET")});
  bool host = !reasons.empty();
  bool base_private = base && base->private_network.value.value_or(true);
  // The socket rules go with the host's network: on a base that already has
  // it, only the ports its rules close are added.
  bool full = !base || (host && base_private);

  if (host && (!base || base_private)) {
    Line l{"PrivateNetwork", "no", {}};
    for (const auto& r : reasons) l.why.push_back(comment_safe(r.text + ", " + seen(*r.e)));
    s.lines.push_back(std::move(l));
  } else if (!base) {
    s.lines.push_back({"PrivateNetwork", "yes",
                       {o.families.empty() ? "no socket was made"
                                           : "nothing outside the jail was reached: its own loopback serves the rest"}});
  }

  // Address families, each checked with zjail's own parser.
  std::vector<string> families;
  for (const auto& [f, e] : o.families) {
    Profile scratch;
    if (!apply_directive(scratch, "RestrictAddressFamilies", f, Origin{"<learned>", 0})) {
      s.notes.push_back("an address family zjail does not know, not listed: " + comment_safe(f));
      continue;
    }
    if (base && family_allowed(*base, f)) continue;
    families.push_back(f);
  }
  if (!base && families.empty())
    s.lines.push_back({"RestrictAddressFamilies", "none", {"no socket() was called (socketpair() stays)"}});
  for (const auto& f : families)
    s.lines.push_back({"RestrictAddressFamilies", f, {comment_safe(f + ": " + seen(o.families.at(f)))}});

  if (o.socket_activation.count)
    s.notes.push_back("sockets passed in (" + comment_safe(seen(o.socket_activation)) +
                      "): systemd's socket units stay, see the drop-in");
  if (!host) {
    if (!base) s.notes.push_back("no socket rules: a private network reaches nothing but the jail itself");
    return s;
  }
  // Ports below 1024 are bound by zjail, before it drops anything: the
  // host's network grants a jail no capability for them.
  bool zero = false;
  std::vector<uint16_t> bind_allow;
  for (const auto& [port, e] : o.tcp_binds) {
    if (!port) zero = true;
    else if (port >= 1024) bind_allow.push_back(port);
    else if ((!base || !listens(base->listen_stream, port)) && !by_address(o, "tcp", port, s))
      s.lines.push_back({"ListenStream", std::to_string(port),
                         {"bound TCP port " + std::to_string(port) + ", " + comment_safe(seen(e)),
                          "zjail binds it and passes it in (LISTEN_FDS, fd 3 on): the workload must take it "
                          "rather than bind it, which needs a capability the host's network never grants a jail"}});
  }
  for (const auto& [port, e] : o.udp_binds) {
    if (port && port < 1024) {
      if ((!base || !listens(base->listen_datagram, port)) && !by_address(o, "udp", port, s))
        s.lines.push_back({"ListenDatagram", std::to_string(port),
                           {"bound UDP port " + std::to_string(port) + ", " + comment_safe(seen(e)),
                            "zjail binds it and passes it in: the workload must take it rather than bind it"}});
    } else if (port) {
      s.notes.push_back("UDP port " + std::to_string(port) + " bound (" + comment_safe(seen(e)) +
                        "): Landlock confines TCP only, so UDP binds stay open");
    }
  }
  via_bind(o, base, s);
  for (const auto& [target, e] : o.connects)
    if (target.starts_with("udp:"))
      s.notes.push_back("UDP to " + comment_safe(target) + " (" + comment_safe(seen(e)) +
                        "): Landlock confines TCP only, so UDP destinations stay open");
  if (abi < kLandlockNetAbi) {
    s.notes.push_back("no port rules: this kernel has Landlock ABI " + std::to_string(abi) +
                      ", and zjail refuses a SocketBindAllow=/SocketConnectAllow= it cannot enforce (ABI 4, Linux 6.7)");
    return s;
  }
  LandlockPlan open;
  if (base && !full && !plan_landlock_net(*base, abi, open)) open = {};
  auto opened = [](const std::vector<uint16_t>& ports, uint16_t p) {
    return std::find(ports.begin(), ports.end(), p) != ports.end();
  };
  if (zero) {
    s.notes.push_back("no bind rule: the workload bound port 0 (any free port, " +
                      comment_safe(seen(o.tcp_binds.at(0))) + "), which zjail refuses under any bind rule");
  } else if (full) {
    s.lines.push_back({"SocketBindDeny", "tcp:any", {"TCP binds beyond the ports below were never made"}});
  }
  for (uint16_t port : bind_allow)
    if ((full && !zero) || (open.handle_bind_tcp && !opened(open.bind_ports, port)))
      s.lines.push_back({"SocketBindAllow", "tcp:" + std::to_string(port),
                         {"bound TCP port " + std::to_string(port) + ", " + comment_safe(seen(o.tcp_binds.at(port)))}});
  if (tcp_out.size() > 1024) {
    s.notes.push_back("no connect rule: more than 1024 TCP ports were connected to");
    return s;
  }
  if (full)
    s.lines.push_back({"SocketConnectDeny", "any",
                       {tcp_out.empty() ? "no TCP connection was made" : "no TCP connection beyond the ports below"}});
  for (const auto& [port, targets] : tcp_out) {
    if (!full && (!open.handle_connect_tcp || opened(open.connect_ports, port))) continue;
    Line l{"SocketConnectAllow", "tcp:" + std::to_string(port), {}};
    for (const auto& [target, e] : targets) l.why.push_back(comment_safe(target + ": " + seen(*e)));
    if (port == 0) continue;  // not a port anyone connects to
    s.lines.push_back(std::move(l));
  }
  if (abstract && (!base || base->restrict_abstract_unix_sockets.value.value_or(true)))
    s.lines.push_back({"RestrictAbstractUnixSockets", "no", {"the workload talks to a host service over an abstract socket (above)"}});
  return s;
}

}  // namespace zjail::learn::detail
