// zjail export: one profile, written for the engines that enforce it
// without zjail (docs/fleet.md): a systemd drop-in, an OCI runtime config,
// its seccomp section alone, or a Kubernetes SeccompProfile with the Pod
// securityContext that uses it. Every format states what it cannot carry.
#pragma once

#include <string>
#include <vector>

#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

enum class ExportFormat : unsigned char { Systemd, Oci, OciSeccomp, K8s };

// "systemd", "oci", "oci-seccomp", "k8s"; anything else is an error.
Result<ExportFormat> parse_export_format(const std::string& name);

// Debian 12's systemd: what a drop-in targets unless told otherwise.
inline constexpr int kDefaultSystemdVersion = 252;

struct ExportRequest {
  ExportFormat format = ExportFormat::Oci;
  int systemd_version = kDefaultSystemdVersion;  // systemd: no directive newer than this
  // The payload and its arguments: OCI's process.args, the drop-in's
  // ExecStart=; empty leaves the unit's own ExecStart= (systemd) and is an
  // error where a format needs one (oci).
  std::vector<std::string> command;
  // The command is a unit's ExecStart= words (--unit): in systemd's syntax,
  // where $NAME is the unit's variable, which the drop-in leaves to systemd.
  // Otherwise each word is literal ('$' written "$$").
  bool command_from_unit = false;
  // The profiles' names as given (--profile), for the header.
  std::vector<std::string> profile_names;
  // The name of what is exported: the unit ("redis-server.service"), the
  // SeccompProfile's metadata.name. Derived from the last profile when empty.
  std::string name;
};

// The text of the export (deterministic: the same profile gives the same
// bytes). The profile is planned as a launch would plan it (check_plan), so
// a profile zjail would refuse is refused here too.
Result<std::string> export_profile(const Profile& profile, const PlanContext& ctx, const ExportRequest& req);

}  // namespace zjail
