#include "learn_command.hpp"

#include <fcntl.h>
#include <spdlog/spdlog.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "output_file.hpp"
#include "zjail/fd.hpp"
#include "zjail/learn.hpp"
#include "zjail/learn_observe.hpp"
#include "zjail/users.hpp"

namespace zjail::cli {
namespace {

// How long the payload has to exit after SIGTERM once learning is stopped.
constexpr int kStopGraceMs = 5000;

Result<std::string> read_file(const std::string& path) {
  UniqueFd fd(open(path.c_str(), O_RDONLY | O_CLOEXEC));
  if (!fd) return make_error(Step::Profile, errno, "--merge " + path);
  std::string text;
  char buf[65536];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return make_error(Step::Profile, errno, "--merge " + path);
    text.append(buf, static_cast<size_t>(n));
  }
  return text;
}

}  // namespace

Result<int> learn_command(const Profile& profile, const Options& opt, PlanContext& ctx, const std::string& name,
                          Log& log, Timings& timings) {
  if (opt.output.empty()) return make_error(Step::Profile, 0, "learn needs --output FILE (see --help)");
  if (opt.command.empty()) return make_error(Step::Profile, 0, "learn needs a COMMAND (see --help)");
  ZJAIL_TRY(check_destination(opt.output, "--output"));
  if (!opt.dropin.empty()) ZJAIL_TRY(check_destination(opt.dropin, "--dropin"));
  std::optional<learn::Observations> previous;
  if (!opt.merge.empty()) {
    ZJAIL_TRY_ASSIGN(auto text, read_file(opt.merge));
    ZJAIL_TRY_ASSIGN(previous, learn::parse_evidence(text, opt.merge));
  }

  const bool against_base = !opt.profiles.empty();
  ctx.learn_native = !against_base;
  // --user without a base: the payload runs natively as that user (a
  // daemon that refuses root); with one, it overrides the base's User=.
  if (!against_base && !opt.user.empty()) {
    if (getuid() != 0) return make_error(Step::Profile, EPERM, "learn --user " + opt.user + ": only root may");
    ctx.learn_user = opt.user;
  }
  // Nothing is denied while learning: the base's kills too must reach the
  // observer, which lets every call go on.
  ctx.explain = true;
  std::optional<learn::Observer> observer;
  LaunchHooks hooks;
  hooks.planned = [](Plan& plan) { return learn::plan_watch(plan); };
  hooks.sink = [&](const Plan& plan) -> NotificationSink* {
    auto who = lookup_uid(plan.uid);
    observer.emplace(plan, against_base, opt.command, who ? who->name : std::to_string(plan.uid));
    return &*observer;
  };
  hooks.stop_grace_ms = kStopGraceMs;
  ZJAIL_TRY_ASSIGN(auto status, launch(profile, opt, ctx, name, log, timings, &hooks));
  if (!observer) return make_error(Step::Wait, EPROTO, "learn mode: the jail ran unobserved");
  observer->finish(hooks.notify_messages);
  if (status.shell_code() != 0 && !status.signaled)
    spdlog::info("the payload exited with status {}", status.code);

  learn::Observations seen = observer->observations();
  if (previous) {
    learn::merge(*previous, seen);
    seen = std::move(*previous);
  }
  learn::WriteOptions w;
  w.output = opt.output;
  w.base_profiles = opt.profiles;
  if (against_base) w.base = &profile;
  char self[4096];
  if (ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1); n > 0) w.zjail_binary.assign(self, static_cast<size_t>(n));
  ZJAIL_TRY(write_atomically(opt.output, learn::write_profile(seen, w)));
  if (!opt.dropin.empty()) ZJAIL_TRY(write_atomically(opt.dropin, learn::write_dropin(seen, w)));
  spdlog::info("learned {} system calls, {} paths, {} processes: wrote {}", seen.syscalls.size(), seen.paths.size(),
               seen.processes, opt.output);
  return 0;
}

}  // namespace zjail::cli
