// zjail's command line: parse options, layer profiles and overrides, build
// the plan, run the jail, and map the outcome to an exit status.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>

#include "analyze_report.hpp"
#include "export_command.hpp"
#include "launch.hpp"
#include "learn_command.hpp"
#include "log.hpp"
#include "options.hpp"
#include "supervise.hpp"
#include "syscall_groups.hpp"
#include "verbose.hpp"
#include "zjail/check.hpp"
#include "zjail/landlock.hpp"
#include "zjail/learn_observe.hpp"
#include "zjail/launch.hpp"
#include "zjail/parser.hpp"
#include "zjail/supervise_env.hpp"

namespace {

using zjail::kExitFailure;

struct Reporter {
  zjail::cli::Log& log;
  int operator()(const zjail::Error& e) const {
    log.set_field("ZJAIL_STEP", zjail::step_name(e.step));
    if (e.err != 0) log.set_field("ERRNO", std::to_string(e.err));
    spdlog::error("{}", e.message());
    return zjail::exit_code(e.step, e.err);
  }
};

int run(const zjail::cli::Options& opt, zjail::cli::Log& log) {
  Reporter report{log};
  zjail::cli::Timings timings(opt.verbosity);
  if (!opt.profiles.empty()) log.set_field("ZJAIL_PROFILE", opt.profiles.back());
  if (log.to_journal()) {
    std::string unit = zjail::cli::current_unit();
    if (!unit.empty()) log.set_field("ZJAIL_UNIT", unit);
  }
  if (opt.syscall_groups) {
    auto text = zjail::cli::describe_syscall_groups(opt.command);
    if (!text) return report(text.error());
    std::fputs(text->c_str(), stdout);
    return 0;
  }
  auto search = zjail::profile_search_path(std::getenv("ZJAIL_PROFILE_PATH"));
  if (opt.list_profiles) {
    for (const auto& [name, path] : zjail::list_profiles(search))
      std::printf("%-24s %s\n", name.c_str(), path.c_str());
    return 0;
  }

  // As root, only files root alone can write may shape the jail.
  auto trust = zjail::caller_profile_trust(geteuid(), std::getenv("ZJAIL_PROFILE_OWNER"));
  if (!trust) return report(trust.error());

  if (opt.analyze) {
    auto code = zjail::cli::analyze_command(opt, search, *trust);
    return code ? *code : report(code.error());
  }
  if (opt.export_profile) {
    auto code = zjail::cli::export_command(opt, search, *trust);
    return code ? *code : report(code.error());
  }

  zjail::PlanContext ctx;
#ifdef ZJAIL_FAULT_INJECTION
  // Test builds only (zjail-faultinject): the release binary has no such hook.
  if (const char* spec = std::getenv("ZJAIL_FAULT_STEP")) {
    if (auto steps = zjail::fault_list(spec)) {
      std::fputs(steps->c_str(), stdout);
      return 0;
    }
    auto fault = zjail::parse_fault(spec);
    if (!fault) return report(fault.error());
    ctx.fault = *fault;
  }
#endif
  if (auto f = zjail::inject_fault(ctx.fault, zjail::Step::Profile); !f) return report(f.error());

  zjail::Profile profile;
  // Learning without --profile: the native jail (docs/learn.md).
  if (opt.learn && opt.profiles.empty())
    if (auto st = zjail::load_profile_text(profile, zjail::learn::native_profile(), "<learn>", search, *trust); !st)
      return report(st.error());
  for (const auto& name : opt.profiles) {
    auto st = zjail::load_profile(profile, name, search, *trust);
    if (!st) return report(st.error());
  }
  auto st = zjail::cli::apply_overrides(profile, opt);
  if (!st) return report(st.error());
  timings.mark("profiles");

  if (opt.show) {
    std::fputs(zjail::show_profile(profile).c_str(), stdout);
    // What this kernel's Landlock leaves out of it; the profile above is
    // the same on every host.
    int abi = zjail::landlock_abi();
    auto missing = zjail::landlock_missing(profile, abi);
    std::printf("# Landlock on this kernel: ABI %d, %s\n", abi, missing.empty() ? "all of it applies" : "not applied:");
    for (const auto& m : missing) std::printf("#   %s\n", m.c_str());
    return 0;
  }

  std::string name;
  {
    zjail::Fault fault = ctx.fault;
    ctx = zjail::cli::plan_context(opt, name);
    ctx.fault = fault;
  }

  if (opt.learn) {
    auto code = zjail::cli::learn_command(profile, opt, ctx, name, log, timings);
    return code ? *code : report(code.error());
  }
  if (opt.check) {
    auto findings = zjail::check_profile(profile, opt.command, ctx);
    if (!findings) return report(findings.error());
    bool failed = false;
    for (const auto& f : *findings) {
      bool error = f.level == zjail::CheckFinding::Level::Error;
      failed = failed || error;
      if (error) spdlog::error("{}", f.message);
      else spdlog::warn("{}", f.message);
    }
    if (failed) return kExitFailure;
    spdlog::info("profile OK{}", findings->empty() ? "" : " (with warnings)");
    return 0;
  }
  if (opt.command.empty()) {
    spdlog::error("no command given (see --help)");
    return kExitFailure;
  }

  auto status = zjail::cli::launch(profile, opt, ctx, name, log, timings);
  if (!status) return report(status.error());
  return status->shell_code();
}

// zjail's end: what it printed is flushed, and nothing else runs. Every
// resource zjail holds is released by then, in the scopes that held it (the
// jail's cleanup ends inside run()); what exit() would add is the static
// destructors (CLI11's, the locale's, spdlog's registry), ~460 µs a launch
// here, spent on pages that the jail's clone left copy-on-write
// (bench/where-the-time-goes.md). Sanitizer builds exit normally, so their
// leak check still sees everything freed.
//
// Output that did not reach stdout (a full disk, a closed pipe) is zjail's
// failure: `zjail --analyze --json >report.json` must not succeed with half
// a report.
[[noreturn]] void leave(int code) {
  spdlog::default_logger_raw()->flush();
  int failed = std::fflush(stdout) != 0 ? errno : 0;
  if ((failed != 0 || std::ferror(stdout)) && code == 0) {
    spdlog::error("writing to stdout: {}", failed != 0 ? std::strerror(failed) : "some of the output was lost");
    code = kExitFailure;
  }
  std::fflush(nullptr);
#if defined(ZJAIL_SANITIZER_BUILD)
  std::exit(code);
#else
  _exit(code);
#endif
}

}  // namespace

int main(int argc, char** argv) {
  // A caller that ignores SIGCHLD would have the kernel reap zjail's
  // children (the jail, systemd-creds) before zjail reads their status.
  signal(SIGCHLD, SIG_DFL);
  // Exec'd back by the small supervisor: a running jail to take over.
  if (const char* spec = std::getenv(zjail::kSuperviseEnv)) leave(zjail::cli::resume_supervision(spec, argv));
  zjail::cli::Options opt;
  opt.argv = argv;
  auto parsed = zjail::cli::parse_command_line(argc, argv, opt);
  if (parsed.exit >= 0) {
    std::fputs(parsed.out.c_str(), stdout);
    std::fputs(parsed.err.c_str(), stderr);
    leave(parsed.exit);
  }
  auto log = zjail::cli::Log::setup(opt.verbosity, std::getenv("JOURNAL_STREAM"));
  int code = kExitFailure;
  try {
    code = run(opt, log);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
  }
  leave(code);
}
