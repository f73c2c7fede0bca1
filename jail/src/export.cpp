// zjail export (export.hpp): plans the profile as a launch would, then
// hands the plan and the seccomp rules to the format's module.
#include "zjail/export.hpp"

#include <algorithm>
#include <cctype>

#include "export_internal.hpp"
#include "zjail/caps.hpp"
#include "plan_internal.hpp"

namespace zjail {

std::vector<std::string> exporting::capability_names_of(uint64_t mask, int last_cap) {
  std::vector<std::string> out;
  for (int cap = 0; cap <= last_cap && cap < 64; ++cap)
    if (mask >> cap & 1) {
      std::string name = capability_name(cap);
      std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
      out.push_back(std::move(name));
    }
  return out;
}

Result<ExportFormat> parse_export_format(const std::string& name) {
  static const std::pair<const char*, ExportFormat> kFormats[] = {
      {"systemd", ExportFormat::Systemd},
      {"oci", ExportFormat::Oci},
      {"oci-seccomp", ExportFormat::OciSeccomp},
      {"k8s", ExportFormat::K8s},
  };
  for (const auto& [n, f] : kFormats)
    if (name == n) return f;
  return make_error(Step::Plan, EINVAL, "export: unknown format '" + name + "' (systemd, oci, oci-seccomp, k8s)");
}

Result<std::string> export_profile(const Profile& given, const PlanContext& ctx, const ExportRequest& req) {
  // What a launch enforces: the settings other directives imply
  // (DynamicUser= implies RestrictSUIDSGID=, ...), and a refusal of what
  // zjail would refuse to launch.
  std::optional<Profile> implied;
  std::vector<std::string> warnings;
  ZJAIL_TRY_ASSIGN(const Profile* effective, with_implied_settings(given, implied, warnings, true));
  const Profile& profile = *effective;
  // The engines have networks of their own (a pod's, a bridge), and a
  // service's drop-in no veth: a profile that builds one is not exported
  // as if it did not.
  if (profile.network.any() || has_network_filter(profile) || profile.security.network_namespace_path.is_set())
    return make_error(Step::Plan, EINVAL,
                      "export: the profile's network (VirtualEthernet=, UserModeNetworking=, Port=, the address "
                      "filters, NetworkNamespacePath=) is zjail's to build and is not exported (docs/network.md)");
  // A drop-in names its users for the target host to resolve, which has
  // them (the daemon's package made them); the exporting host need not: the
  // rest of the profile is checked as a launch would check it.
  Profile checked = profile;
  if (req.format == ExportFormat::Systemd) {
    checked.user = {};
    checked.group = {};
    checked.supplementary_groups.clear();
  }
  ZJAIL_TRY_ASSIGN(auto plan, check_plan(checked, ctx));
  ZJAIL_TRY_ASSIGN(auto rules, jail_seccomp_rules(profile));
  exporting::Source src{profile, plan, rules, req};
  switch (req.format) {
    case ExportFormat::Systemd: return exporting::export_systemd(src);
    case ExportFormat::Oci: return exporting::export_oci(src);
    case ExportFormat::OciSeccomp: {
      exporting::Losses losses;
      return exporting::json_text(exporting::oci_seccomp(rules, losses));
    }
    case ExportFormat::K8s: return exporting::export_k8s(src);
  }
  return make_error(Step::Plan, EINVAL, "export: no such format");
}

}  // namespace zjail
