// --analyze for the networks with a way out (docs/network.md): less exposed
// than the host's network, more than one with only lo; the address filters
// close what the link opens.
#include <algorithm>

#include "analyze_internal.hpp"
#include "zjail/profile.hpp"

namespace zjail::analysis {

void judge_linked_network(Findings& f, const Profile& p, NetworkMode mode) {
  const std::string P = "profile";
  const Security& s = p.security;
  switch (mode) {
    case NetworkMode::Veth:
      judge(f, PrivateNetwork, 0.3, "(VirtualEthernet=yes)", P,
            "a namespace of its own with one link to the host: the host's side and, where the host forwards, "
            "beyond; no other interface of the host's");
      break;
    case NetworkMode::UserMode:
      judge(f, PrivateNetwork, 0.5, "(UserModeNetworking=yes)", P,
            "a namespace of its own, with outbound TCP and UDP to any address through pasta; the host's "
            "loopback only on HostLoopbackPort= ports");
      break;
    case NetworkMode::Join:
    case NetworkMode::Host:
    case NetworkMode::Private:
      judge(f, PrivateNetwork, 0.7, "(NetworkNamespacePath=)", P,
            "joins " + *s.network_namespace_path.value +
                ": whatever it holds, shared with everything else in it; the payload cannot reconfigure it");
      judge(f, IPAddressDeny, 1, "(none)", "zjail", "zjail filters only in a namespace of the jail's own");
      return;
  }
  // The filters: a deny-all with an allow list closes the link to what the
  // list names; a partial deny list narrows it.
  auto any = [](const std::vector<zjail::Item<std::string>>& v) {
    return std::any_of(v.begin(), v.end(), [](const auto& i) { return i.value == "any"; });
  };
  if (any(s.ip_address_deny))
    judge(f, IPAddressDeny, 0, "any", P,
          s.ip_address_allow.empty() ? "no address reachable" : "only the addresses IPAddressAllow= lists");
  else if (!s.ip_address_deny.empty())
    judge(f, IPAddressDeny, 0.5, "(some)", P, "some addresses denied, the rest reachable");
  else
    judge(f, IPAddressDeny, 1, "(none)", P, "every address the link leads to");
}

}  // namespace zjail::analysis
