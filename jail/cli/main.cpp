// zjail's command line: parse options, layer profiles and overrides, build
// the plan, run the jail, and map the outcome to an exit status.
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <CLI/CLI.hpp>
#include <csignal>
#include <cstdio>
#include <cstring>

#include "analyze_report.hpp"
#include "log.hpp"
#include "options.hpp"
#include "syscall_groups.hpp"
#include "verbose.hpp"
#include "zjail/check.hpp"
#include "zjail/landlock.hpp"
#include "zjail/launch.hpp"
#include "zjail/lease.hpp"
#include "zjail/notify.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/seccomp_cache.hpp"

extern char** environ;

namespace {

using zjail::kExitFailure;

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Socket activation and the watchdog, as systemd set them up for zjail (the
// unit's main process), to be passed on to the payload.
void inherit_from_systemd(zjail::PlanContext& ctx) {
  std::string mine = std::to_string(getpid());
  if (env("LISTEN_PID") == mine) {
    ctx.listen_fds = std::atoi(env("LISTEN_FDS").c_str());
    ctx.listen_fdnames = env("LISTEN_FDNAMES");
  }
  std::string wd_pid = env("WATCHDOG_PID");
  if (wd_pid.empty() || wd_pid == mine) ctx.watchdog_usec = env("WATCHDOG_USEC");
}

// Under Type=notify: the relay that passes the payload's sd_notify messages
// on from zjail's own pid, in a private directory under zjail's runtime
// directory. Without NOTIFY_SOCKET: an inactive relay.
zjail::Result<zjail::NotifyRelay> notify_relay() {
  std::string upstream = env("NOTIFY_SOCKET");
  if (upstream.empty()) return zjail::NotifyRelay();
  std::string xdg = env("XDG_RUNTIME_DIR");
  std::string run_dir = geteuid() == 0 ? "/run/zjail" : xdg.empty() ? "/tmp" : xdg + "/zjail";
  return zjail::NotifyRelay::create(run_dir, upstream);
}

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

  ctx.invoker_uid = getuid();
  ctx.invoker_gid = getgid();
  ctx.environ = environ;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd)) ctx.cwd = cwd;
  ctx.seccomp_cache_dir = zjail::default_seccomp_cache_dir(geteuid(), std::getenv("XDG_RUNTIME_DIR"));
  inherit_from_systemd(ctx);
  // The jail's name: the profile's, or the unit's when zjail is a service's
  // command (DynamicUser= and /run/credentials/NAME then match systemd's).
  std::string name = opt.profiles.empty() ? "jail" : opt.profiles.back();
  name = name.substr(name.rfind('/') + 1);
  if (name.ends_with(".profile")) name.resize(name.size() - 8);
  if (std::string unit = zjail::cli::current_unit(); unit.ends_with(".service")) ctx.unit_name = unit;
  else ctx.unit_name = name;
  ctx.credentials_directory = env("CREDENTIALS_DIRECTORY");
  // Never for root, and only where the host really refuses one: then the
  // plan confines without namespaces, or refuses a profile that needs them.
  if (getuid() != 0 && geteuid() != 0) ctx.user_namespace_refused = zjail::user_namespace_refusal();
  ctx.listener_handoff_refused = zjail::listener_handoff_refused();
  ctx.explain = opt.explain;
  if (std::string xdg = env("XDG_RUNTIME_DIR"); !xdg.empty() && access(xdg.c_str(), W_OK) == 0)
    ctx.private_tmp_base = xdg;

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

  auto relay = notify_relay();
  if (!relay) return report(relay.error());
  ctx.notify_relay = relay->socket_path();
  // What the plan takes from the host (a DynamicUser= uid, the service
  // directories) is given back when this goes, on every path out.
  zjail::HostLease lease;
  ctx.lease = &lease;
  auto plan = zjail::build_plan(profile, opt.command, ctx);
  if (!plan) return report(plan.error());
  timings.mark("plan");
  zjail::cli::log_plan(*plan, profile, opt.verbosity);
  for (const auto& w : plan->warnings) spdlog::warn("{}", w);

  std::string warning;
  auto cgroup = zjail::JailCgroup::prepare(profile.resources, name, zjail::probe_cgroup_environment(), warning);
  if (!cgroup) return report(cgroup.error());
  if (!warning.empty()) spdlog::warn("{}", warning);
  zjail::cli::log_cgroup(*cgroup, opt.verbosity);
  timings.mark("cgroup");

  auto signals = zjail::SignalForwarding::start();
  if (!signals) return report(signals.error());
  // One line per denied call (rate-limited per call by the supervisor),
  // with the call and the directive as journal fields.
  auto report_denial = [&log](const zjail::Denial& d) {
    log.set_field("ZJAIL_SYSCALL", d.name);
    log.set_field("ZJAIL_DIRECTIVE", d.directive_name);
    spdlog::warn("{}", d.line());
    log.clear_field("ZJAIL_SYSCALL");
    log.clear_field("ZJAIL_DIRECTIVE");
  };
  auto jail = zjail::start_jail(*plan, &*cgroup, report_denial);
  if (!jail) return report(jail.error());
  timings.mark("clone to execve");
  spdlog::debug("jail init is pid {}", jail->pid());
  timings.log();
  auto status = jail->wait(&*signals, &*relay, /*shed_when_idle=*/true);
  for (const auto& w : lease.release()) spdlog::warn("{}", w);
  if (!status) return report(status.error());
  if (status->signaled) {
    const char* abbrev = sigabbrev_np(status->code);
    std::string sig = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(status->code);
    if (!status->seccomp_call.empty()) spdlog::warn("payload killed by {} for {}", sig, status->seccomp_call);
    else if (status->code == SIGSYS && !plan->seccomp_notify.empty())
      // The kernel's own kill (the filters' kill action): no signal handler
      // outlives it, and zjail does not see the call.
      spdlog::warn("payload killed by SIGSYS: a system call its seccomp filters kill for; --explain names it");
    else spdlog::warn("payload killed by {}", sig);
  }
  return status->shell_code();
}

}  // namespace

int main(int argc, char** argv) {
  // A caller that ignores SIGCHLD would have the kernel reap zjail's
  // children (the jail, systemd-creds) before zjail reads their status.
  signal(SIGCHLD, SIG_DFL);
  zjail::cli::Options opt;
  auto parsed = zjail::cli::parse_command_line(argc, argv, opt);
  if (parsed.exit >= 0) {
    std::fputs(parsed.out.c_str(), stdout);
    std::fputs(parsed.err.c_str(), stderr);
    return parsed.exit;
  }
  auto log = zjail::cli::Log::setup(opt.verbosity, std::getenv("JOURNAL_STREAM"));
  try {
    return run(opt, log);
  } catch (const std::exception& e) {
    spdlog::error("{}", e.what());
    return kExitFailure;
  }
}
