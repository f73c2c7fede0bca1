// ListenViaBind= (docs/profile.md): the payload binds the address of one of
// the profile's ListenStream=/ListenDatagram= sockets itself, and zjail puts
// the socket it bound on the host (with privileges the payload never has in
// its user namespace) in place of the payload's. A daemon that insists on
// bind()ing port 80 then runs with its own, unchanged configuration.
//
//   plan:    refuse_listen_via_bind() before anything is bound (no listener
//            to be had: fail closed); bind_listen_sockets() keeps the
//            sockets in Plan::bind_sockets; plan_listen_via_bind() after
//            plan_denials(): a watch section (watch_filter.hpp) routes bind()
//            to zjail's listener, in the enforcing launch too;
//   runtime: answer_bind() from DenialSupervisor::handle(), before learn or
//            explain mode see the call (they see what it does not answer).
//
// It grants nothing the Listen*= lines do not: the only socket the payload
// can get is one zjail bound for a listed address. Nothing here runs in
// the child.
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/socket.h>

#include <string>
#include <vector>

#include "zjail/denials.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// A profile with ListenViaBind=yes and an IPv4 or IPv6 Listen*= socket
// needs zjail's seccomp listener: where it cannot be had
// (kernel.yama.ptrace_scope=3), the launch fails rather than run the
// payload without its sockets.
Status refuse_listen_via_bind(const Profile& p, const PlanContext& ctx);

// The bind() watch section, when the plan has Plan::bind_sockets. The
// filters must allow bind() (the section would otherwise take a kill of
// theirs out of the kernel's hands).
Status plan_listen_via_bind(Plan& plan);

// `addr` (`len` bytes, as the payload passed them to bind()) is the address
// `s` is bound to: the same family, address and port (and IPv6 scope).
bool same_address(const BindSocket& s, const sockaddr_storage& addr, socklen_t len);

// The flags of a /proc/PID/fdinfo/FD text ("flags:\t02004002"), or -1.
long fdinfo_flags(const std::string& fdinfo);

// A bind() the filters allow, of a listed address, on a socket of the
// listed kind (family, type, protocol; no copy of it is taken): zjail's socket
// takes the fd's place and the call returns 0 (after `sink` observed it,
// if there is one). A bind() it does not answer: without a sink, let go on
// (CONTINUE) and true; with one, false, for the sink to answer. Any other
// call, or one the filters deny: false. A listen() the filters deny
// (SocketBind*=), on one of zjail's stream sockets: answered 0.
bool answer_bind(int listener, const seccomp_notif& n, const std::vector<BindSocket>& sockets,
                 const std::vector<std::vector<sock_filter>>& filters, NotificationSink* sink);

}  // namespace zjail
