// zjail export (export.hpp): plans the profile as a launch would, then
// hands the plan and the seccomp rules to the format's module.
#include "zjail/export.hpp"

#include "export_internal.hpp"
#include "plan_internal.hpp"

namespace zjail {

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

Result<std::string> export_profile(const Profile& profile, const PlanContext& ctx, const ExportRequest& req) {
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
