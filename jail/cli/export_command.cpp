#include "export_command.hpp"

#include <unistd.h>

#include <cstdio>

#include "output_file.hpp"
#include "zjail/export.hpp"
#include "zjail/parser.hpp"
#include "zjail/unit_file.hpp"

namespace zjail::cli {

Result<int> export_command(const Options& opt, const std::vector<std::string>& search, const ProfileTrust& trust) {
  if (opt.export_format.empty())
    return make_error(Step::Profile, 0, "export needs --format systemd|oci|oci-seccomp|k8s (see --help)");
  ExportRequest req;
  ZJAIL_TRY_ASSIGN(req.format, parse_export_format(opt.export_format));
  req.systemd_version = opt.systemd_version;

  // --unit: the unit's own zjail command line, read as zjail reads it, or
  // the command it runs without zjail.
  Options from_unit;
  std::vector<std::string> unit_command;
  std::string unit_user;
  if (!opt.unit.empty()) {
    ZJAIL_TRY_ASSIGN(auto unit, load_system_unit(opt.unit));
    req.name = unit.name;
    auto words = exec_start_words(unit);
    if (words.empty()) return make_error(Step::Profile, 0, unit.name + " has no ExecStart= to export");
    if (runs_zjail(words)) {
      std::vector<const char*> argv;
      for (const auto& w : words) argv.push_back(w.c_str());
      auto parsed = parse_command_line(static_cast<int>(argv.size()), argv.data(), from_unit);
      if (parsed.exit >= 0)
        return make_error(Step::Profile, 0, unit.name + ": ExecStart= is no zjail command line zjail accepts");
      unit_command = from_unit.command;
    } else {
      unit_command = words;
      unit_user = unit.last("User");
    }
  }
  std::vector<std::string> profiles = opt.profiles.empty() ? from_unit.profiles : opt.profiles;
  if (profiles.empty())
    return make_error(Step::Profile, 0, "export needs --profile, or a --unit whose ExecStart= runs zjail --profile");

  Profile profile;
  for (const auto& name : profiles) ZJAIL_TRY(load_profile(profile, name, search, trust));
  // The unit's User= runs the payload where the profile names no user.
  if (!unit_user.empty() && !profile.user.is_set())
    ZJAIL_TRY(apply_directive(profile, "User", unit_user, Origin{opt.unit, 0}));
  ZJAIL_TRY(apply_overrides(profile, from_unit));
  ZJAIL_TRY(apply_overrides(profile, opt));
  req.command = opt.command.empty() ? unit_command : opt.command;
  req.command_from_unit = opt.command.empty() && !unit_command.empty();
  req.profile_names = profiles;

  // Planned for a root launch, as a unit's zjail runs; nothing of the
  // exporter's environment goes into the export.
  PlanContext ctx;
  ctx.invoker_uid = 0;
  ctx.invoker_gid = 0;
  ZJAIL_TRY_ASSIGN(auto text, export_profile(profile, ctx, req));
  if (opt.output.empty()) {
    if (std::fwrite(text.data(), 1, text.size(), stdout) != text.size() || std::fflush(stdout) != 0)
      return make_error(Step::Profile, errno, "writing the export to stdout");
  } else {
    ZJAIL_TRY(write_atomically(opt.output, text));
  }
  return 0;
}

}  // namespace zjail::cli
