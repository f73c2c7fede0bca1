#include "launch.hpp"

#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <optional>

#include "verbose.hpp"
#include "zjail/explain.hpp"
#include "zjail/handover.hpp"
#include "zjail/lease.hpp"
#include "zjail/notify.hpp"
#include "zjail/seccomp_cache.hpp"

extern char** environ;

namespace zjail::cli {
namespace {

std::string env(const char* name) {
  const char* v = std::getenv(name);
  return v ? v : "";
}

// Socket activation and the watchdog, as systemd set them up for zjail (the
// unit's main process), to be passed on to the payload.
void inherit_from_systemd(PlanContext& ctx) {
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
Result<NotifyRelay> notify_relay(const PlanContext& ctx) {
  std::string upstream = env("NOTIFY_SOCKET");
  if (upstream.empty()) return NotifyRelay();
  std::string xdg = env("XDG_RUNTIME_DIR");
  std::string run_dir = geteuid() == 0 ? "/run/zjail" : xdg.empty() ? "/tmp" : xdg + "/zjail";
  // Learning natively as root, the payload sees the host's root and may
  // become another user (unbound drops to its own before it notifies).
  if (ctx.learn_native && geteuid() == 0) return NotifyRelay::create(run_dir + "/learn", upstream, true);
  return NotifyRelay::create(run_dir, upstream);
}

}  // namespace

DenialReporter denial_reporter(Log& log) {
  return [&log](const Denial& d) {
    log.set_field("ZJAIL_SYSCALL", d.name);
    log.set_field("ZJAIL_DIRECTIVE", d.directive_name);
    spdlog::warn("{}", d.line());
    log.clear_field("ZJAIL_SYSCALL");
    log.clear_field("ZJAIL_DIRECTIVE");
  };
}

void report_end(const ExitStatus& status, bool notified) {
  if (!status.signaled) return;
  const char* abbrev = sigabbrev_np(status.code);
  std::string sig = abbrev ? std::string("SIG") + abbrev : "signal " + std::to_string(status.code);
  if (!status.seccomp_call.empty()) spdlog::warn("payload killed by {} for {}", sig, status.seccomp_call);
  else if (status.code == SIGSYS && notified)
    // The kernel's own kill (the filters' kill action): no signal handler
    // outlives it, and zjail does not see the call.
    spdlog::warn("payload killed by SIGSYS: a system call its seccomp filters kill for; --explain names it");
  else spdlog::warn("payload killed by {}", sig);
}

PlanContext plan_context(const Options& opt, std::string& name) {
  PlanContext ctx;
  ctx.invoker_uid = getuid();
  ctx.invoker_gid = getgid();
  ctx.environ = environ;
  char cwd[4096];
  if (getcwd(cwd, sizeof cwd)) ctx.cwd = cwd;
  ctx.seccomp_cache_dir = default_seccomp_cache_dir(geteuid(), std::getenv("XDG_RUNTIME_DIR"));
  inherit_from_systemd(ctx);
  name = opt.profiles.empty() ? "jail" : opt.profiles.back();
  name = name.substr(name.rfind('/') + 1);
  if (name.ends_with(".profile")) name.resize(name.size() - 8);
  if (std::string unit = current_unit(); unit.ends_with(".service")) ctx.unit_name = unit;
  else ctx.unit_name = name;
  ctx.credentials_directory = env("CREDENTIALS_DIRECTORY");
  // Never for root, and only where the host really refuses one: then the
  // plan confines without namespaces, or refuses a profile that needs them.
  if (getuid() != 0 && geteuid() != 0) ctx.user_namespace_refused = user_namespace_refusal();
  ctx.listener_handoff_refused = listener_handoff_refused();
  ctx.explain = opt.explain;
  if (std::string xdg = env("XDG_RUNTIME_DIR"); !xdg.empty() && access(xdg.c_str(), W_OK) == 0)
    ctx.private_tmp_base = xdg;
  return ctx;
}

Result<ExitStatus> launch(const Profile& profile, const Options& opt, PlanContext& ctx, const std::string& name,
                          Log& log, Timings& timings, LaunchHooks* hooks) {
  ZJAIL_TRY_ASSIGN(auto relay, notify_relay(ctx));
  ctx.notify_relay = relay.socket_path();
  // What the plan takes from the host (a DynamicUser= uid, the service
  // directories) is given back when this goes, on every path out.
  HostLease lease;
  ctx.lease = &lease;
  ZJAIL_TRY_ASSIGN(auto plan, build_plan(profile, opt.command, ctx));
  if (hooks && hooks->planned) ZJAIL_TRY(hooks->planned(plan));
  // --explain on a plain launch: the explain watch section (explain.hpp).
  // Without --explain the plan stays exactly the enforcing one.
  const bool explaining = ctx.explain && !hooks && !plan.seccomp_notify.empty();
  if (explaining) ZJAIL_TRY(plan_explain(plan));
  else if (ctx.explain && !hooks)
    spdlog::warn("--explain: zjail cannot hold this jail's seccomp listener (no namespaces, or "
                 "kernel.yama.ptrace_scope=3): nothing is explained");
  timings.mark("plan");
  log_plan(plan, profile, opt.verbosity);
  for (const auto& w : plan.warnings) spdlog::warn("{}", w);

  std::string warning;
  ZJAIL_TRY_ASSIGN(auto cgroup, JailCgroup::prepare(profile.resources, scope_filter(plan.network), name,
                                                    probe_cgroup_environment(), warning));
  if (!warning.empty()) spdlog::warn("{}", warning);
  log_cgroup(cgroup, opt.verbosity);
  timings.mark("cgroup");

  ZJAIL_TRY_ASSIGN(auto signals, SignalForwarding::start());
  // One line per finding of explain mode (each path and call once).
  std::optional<Explainer> explainer;
  if (explaining)
    explainer.emplace(plan, profile, [&log](const Explanation& e) {
      log.set_field("ZJAIL_SYSCALL", e.name);
      log.set_field("ZJAIL_DIRECTIVE", e.directive);
      if (e.quiet) spdlog::debug("{}", e.line());
      else spdlog::warn("{}", e.line());
      log.clear_field("ZJAIL_SYSCALL");
      log.clear_field("ZJAIL_DIRECTIVE");
    });
  NotificationSink* sink = hooks && hooks->sink ? hooks->sink(plan) : explainer ? &*explainer : nullptr;
  ZJAIL_TRY_ASSIGN(auto jail, start_jail(plan, &cgroup, denial_reporter(log), sink));
  timings.mark("clone to execve");
  spdlog::debug("jail init is pid {}", jail.pid());
  timings.log();
  const bool notified = !plan.seccomp_notify.empty();
  // learn and --explain read the whole plan while the jail runs, and only
  // a jail whose end needs nothing of this process may be handed over.
  SupervisorTicket ticket;
  if (!hooks && !explainer) {
    release_payload_fds(plan);
    if (lease.empty() && plan.bind_sockets.empty()) {
      ticket = SupervisorTicket::prepare(opt.argv);
      ticket.verbosity = opt.verbosity;
      ticket.profile_name = opt.profiles.empty() ? "" : opt.profiles.back();
      ticket.notified = notified;
      if (cgroup.mode() == CgroupMode::Delegated) ticket.cgroup_leaf = cgroup.path();
    }
    if (!ticket.ready()) keep_for_supervision(plan);
  }
  auto status = jail.wait(&signals, &relay, /*shed_when_idle=*/!hooks, hooks ? hooks->stop_grace_ms : -1,
                          ticket.ready() ? &ticket : nullptr);
  if (explainer) explainer->report_suppressed();
  for (const auto& w : lease.release()) spdlog::warn("{}", w);
  if (hooks) hooks->notify_messages = relay.received();
  if (!status) return std::move(status).error();
  report_end(*status, notified);
  return status;
}

}  // namespace zjail::cli
