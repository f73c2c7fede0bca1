// The parent's side of a jail's network (network.hpp's plan carried out):
// what a launch builds and holds, and what --show says of it. Kept apart
// from network.hpp, which the plan includes: the code after clone sees only
// plain data (tests/layers.sh).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "zjail/network.hpp"

namespace zjail {

struct Plan;
struct Profile;

// The mode a profile asks for, and --show's account of the network it
// builds (network_plan.cpp).
NetworkMode network_mode(const Profile& p);
std::vector<std::string> describe_network(const Profile& p);

// What a jail's network holds on the host while the jail runs: pasta, and
// the netlink socket that owns a veth jail's table in the host's namespace
// (source checks, Port=; the kernel deletes the table when that socket
// closes, so even a SIGKILLed zjail leaves none), and the host's side of a
// veth pair, which it deletes when dropped (a SIGKILLed zjail leaves that
// to the kernel, which deletes the pair with the jail's namespace, later).
// Empty for the modes that build nothing.
class NetworkLease {
 public:
  struct State;
  NetworkLease();
  NetworkLease(NetworkLease&&) noexcept;
  NetworkLease& operator=(NetworkLease&&) noexcept;
  ~NetworkLease();
  explicit NetworkLease(std::unique_ptr<State> s);
  // Whether the jail's network holds anything on the host.
  bool holds_anything() const noexcept { return state_ != nullptr; }

 private:
  std::unique_ptr<State> state_;
};

// Step::Network, in the parent, once the init's id maps are written and
// before its go-ahead: builds the jail's network (network.cpp).
Result<NetworkLease> setup_network(const Plan& plan, pid_t init);

// NetworkNamespacePath=: the parent enters the namespace for the clone
// (which the init then shares) and comes back (Step::JoinNetwork).
class NetworkJoin {
 public:
  static Result<NetworkJoin> enter(const Plan& plan);
  Status leave();
  ~NetworkJoin();
  NetworkJoin(NetworkJoin&&) noexcept = default;

 private:
  NetworkJoin() = default;
  UniqueFd home_;
};

}  // namespace zjail
