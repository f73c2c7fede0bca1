#include "options.hpp"

#include <CLI/CLI.hpp>
#include <algorithm>
#include <cctype>
#include <stdexcept>
#include <unistd.h>

#include "zjail/parser.hpp"

namespace zjail::cli {

void define_options(CLI::App& app, Options& opt) {
  app.set_version_flag("--version", std::string("zjail ") + ZJAIL_VERSION);
  // Each repeatable option takes exactly one value per use, so that nothing
  // after it is swallowed before COMMAND.
  auto list = [&](const char* name, std::vector<std::string>& v, const char* help) {
    app.add_option(name, v, help)->allow_extra_args(false);
  };
  list("-p,--profile", opt.profiles, "Profile NAME or PATH; later ones layer on earlier ones");
  app.add_option("-u,--user", opt.user, "User= override");
  app.add_option("-g,--group", opt.group, "Group= override");
  list("--bind", opt.binds, "BindPaths= SRC[:DST]");
  list("--ro-bind", opt.ro_binds, "BindReadOnlyPaths= SRC[:DST]");
  list("--tmpfs", opt.tmpfs, "TemporaryFileSystem= PATH[:OPTIONS]");
  list("--setenv", opt.setenv, "Environment= KEY=VALUE");
  app.add_option("--chdir", opt.chdir, "WorkingDirectory= override");
  app.add_option("--hostname", opt.hostname, "Hostname= override");
  app.add_option("--network", opt.network, "private (PrivateNetwork=yes) or host")
      ->check(CLI::IsMember({"private", "host"}));
  list("--syscall-filter", opt.syscall_filter, "SystemCallFilter= LIST");
  list("--capability", opt.capabilities, "Grant capabilities (ambient and bounding) LIST");
  list("--rlimit", opt.rlimits, "NAME=VALUE, e.g. NOFILE=1024 or nproc=64:128");
  app.add_flag("--keep-tty", opt.keep_tty, "Keep the controlling terminal (KeepTerminal=yes)");
  app.add_flag("--explain", opt.explain,
               "Debugging: also explain missing binds, hidden paths, dropped capabilities and the calls the filters "
               "kill for (a signal handler can then outlive the kill)");
  app.add_flag("--check", opt.check, "Validate the profiles and exit");
  app.add_flag("--show", opt.show, "Print the resolved profile with the origin of each value");
  app.add_flag("--list-profiles", opt.list_profiles, "List the profiles on the search path");
  app.add_flag("--syscall-groups", opt.syscall_groups,
               "Print zjail's system call groups (those named after it, or all) and exit");
  auto* analyze = app.add_flag("--analyze", opt.analyze,
                               "Score the sandbox the profiles (and --unit) give, 0.0-10.0, and exit");
  auto* exp = app.add_flag("--export", opt.export_profile,
                           "Write the profiles for another engine instead of running anything (docs/fleet.md)");
  app.add_option("--format", opt.export_format,
                 "With export: systemd (a drop-in), oci (config.json), oci-seccomp, or k8s (SeccompProfile and "
                 "Pod securityContext)")
      ->check(CLI::IsMember({"systemd", "oci", "oci-seccomp", "k8s"}))
      ->needs(exp);
  app.add_option("--systemd-version", opt.systemd_version,
                 "With export --format systemd: the systemd the drop-in targets (default 252, Debian 12's)")
      ->check(CLI::Range(239, 999))
      ->needs(exp);
  app.add_option("--unit", opt.unit,
                 "With --analyze: a service unit NAME or PATH whose own sandboxing applies too; with export: the unit "
                 "whose zjail profiles, command and identity to export");
  app.add_flag("--json", opt.json, "With --analyze: print JSON")->needs(analyze);
  app.add_option("--threshold", opt.threshold, "With --analyze: exit 1 if the score is above N")
      ->needs(analyze)
      ->check(CLI::Range(0.0, 10.0));
  auto* learn = app.add_flag("--learn", opt.learn,
                             "Run COMMAND observed and write the profile it needs (--profile: what it needs beyond them)");
  app.add_option("--output", opt.output, "With --learn: the profile to write; with export: the file to write");
  app.add_option("--merge", opt.merge, "With --learn: a learned profile to widen with this run")->needs(learn);
  app.add_option("--dropin", opt.dropin, "With --learn: also write the unit drop-in that runs it")->needs(learn);
  app.add_flag("-v,--verbose", opt.verbosity, "More logging; repeat for more");
  // Everything from COMMAND on belongs to the payload, options included.
  app.prefix_command();
  app.footer("zjail [OPTIONS] [--] COMMAND [ARG...]\n"
             "zjail check|show|analyze|list-profiles|syscall-groups [OPTIONS] [...]: the same as --check, ...\n"
             "zjail learn [--profile BASE]... [--user USER] [--merge FILE] --output FILE [--dropin FILE] [--] COMMAND [ARG...]\n"
             "zjail export --format systemd|oci|oci-seccomp|k8s [--profile P]... [--unit U] [--output FILE] [--] [COMMAND [ARG...]]");
}

const std::vector<std::string>& verbs() {
  static const std::vector<std::string> v = {"check", "show", "analyze", "list-profiles", "syscall-groups", "learn", "export"};
  return v;
}

ParseOutcome parse_command_line(int argc, const char* const* argv, Options& opt) {
  CLI::App app{"zjail: run a command in a systemd-style sandbox", "zjail"};
  define_options(app, opt);
  // A verb first is its flag: "zjail check -p x" reads as "zjail --check -p x".
  std::vector<std::string> args(argv, argv + argc);
  if (args.size() > 1 && std::find(verbs().begin(), verbs().end(), args[1]) != verbs().end())
    args[1] = "--" + args[1];
  std::vector<const char*> cargs;
  for (const auto& a : args) cargs.push_back(a.c_str());
  try {
    app.parse(static_cast<int>(cargs.size()), cargs.data());
  } catch (const CLI::CallForHelp&) {
    return {0, app.help(), ""};
  } catch (const CLI::CallForAllHelp&) {
    return {0, app.help("", CLI::AppFormatMode::All), ""};
  } catch (const CLI::CallForVersion& e) {
    return {0, std::string(e.what()) + "\n", ""};
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return {0, "", ""};
    return {kExitFailure, "", std::string("zjail: ") + e.what() + " (see --help)\n"};
  } catch (const std::out_of_range&) {
    // CLI11 converts some values with std::stoll, which throws its own
    // exception for "--verbose=99999999999999999999".
    return {kExitFailure, "", "zjail: a number on the command line is out of range (see --help)\n"};
  } catch (const std::exception& e) {
    return {kExitFailure, "", std::string("zjail: cannot parse the command line: ") + e.what() + " (see --help)\n"};
  }
  // Everything from COMMAND on is the payload's; an option zjail does not
  // know, before any COMMAND or "--", is a mistake rather than a command.
  opt.command = app.remaining();
  if (!opt.command.empty() && opt.command.front() == "--") {
    opt.command.erase(opt.command.begin());
  } else if (!opt.command.empty() && opt.command.front().starts_with("-")) {
    return {kExitFailure, "",
            "zjail: unknown option '" + opt.command.front() + "' (see --help; put COMMAND after --)\n"};
  }
  return {};
}

namespace {

// A relative bind source on the command line means what it means in a shell:
// relative to the current directory. ("-" marks an optional source.)
std::string absolute_source(const std::string& spec, const std::string& cwd) {
  size_t start = !spec.empty() && spec[0] == '-' ? 1 : 0;
  if (spec.size() <= start || spec[start] == '/' || cwd.empty()) return spec;
  return spec.substr(0, start) + cwd + "/" + spec.substr(start);
}

std::string quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

Status apply_overrides(Profile& p, const Options& opt) {
  int n = 0;
  auto set = [&](std::string_view key, const std::string& value) {
    return apply_directive(p, key, value, Origin{"<command line>", ++n});
  };
  if (!opt.user.empty()) ZJAIL_TRY(set("User", opt.user));
  if (!opt.group.empty()) ZJAIL_TRY(set("Group", opt.group));
  char buf[4096];
  std::string cwd = getcwd(buf, sizeof buf) ? buf : "";
  for (const auto& b : opt.binds) ZJAIL_TRY(set("BindPaths", absolute_source(b, cwd)));
  for (const auto& b : opt.ro_binds) ZJAIL_TRY(set("BindReadOnlyPaths", absolute_source(b, cwd)));
  for (const auto& t : opt.tmpfs) ZJAIL_TRY(set("TemporaryFileSystem", t));
  for (const auto& e : opt.setenv) ZJAIL_TRY(set("Environment", quote(e)));
  if (!opt.chdir.empty()) ZJAIL_TRY(set("WorkingDirectory", opt.chdir));
  if (!opt.hostname.empty()) ZJAIL_TRY(set("Hostname", opt.hostname));
  if (!opt.network.empty()) ZJAIL_TRY(set("PrivateNetwork", opt.network == "private" ? "yes" : "no"));
  for (const auto& f : opt.syscall_filter) ZJAIL_TRY(set("SystemCallFilter", f));
  for (const auto& c : opt.capabilities) {
    if (p.capability_bounding_set.is_set) ZJAIL_TRY(set("CapabilityBoundingSet", c));
    ZJAIL_TRY(set("AmbientCapabilities", c));
  }
  for (const auto& r : opt.rlimits) {
    size_t eq = r.find('=');
    if (eq == std::string::npos || eq == 0)
      return make_error(Step::Profile, 0, "<command line>: --rlimit '" + r + "': expected NAME=VALUE");
    std::string name = r.substr(0, eq);
    std::transform(name.begin(), name.end(), name.begin(), [](unsigned char c) { return std::toupper(c); });
    ZJAIL_TRY(set("Limit" + name, r.substr(eq + 1)));
  }
  if (opt.keep_tty) ZJAIL_TRY(set("KeepTerminal", "yes"));
  return {};
}

}  // namespace zjail::cli
