// pam_zjail: confines a login session in a zjail jail.
//
//   session required pam_zjail.so [config=/etc/zjail/pam.conf] [debug]
//
// pam.conf maps the user to a profile; a user it does not map is left alone.
// For a mapped user, the calling process (sshd's privileged session process)
// joins a jail built from the profile before it forks anything for the user,
// so the shell, commands, sftp and forwarded connections all start inside.
// Every failure is PAM_SESSION_ERR: with `required`, no session starts.
//
// C boundary rules: nothing throws out of here, nothing exits, no threads,
// and only the pam_sm_* symbols are exported (exports.map).
#define PAM_SM_SESSION
#include <security/pam_ext.h>
#include <security/pam_modules.h>
#include <syslog.h>
#include <unistd.h>

#include <cstring>
#include <exception>
#include <memory>
#include <string>

#include "zjail/fault.hpp"
#include "zjail/pamconf.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/seccomp_cache.hpp"
#include "zjail/session.hpp"
#include "zjail/text.hpp"

namespace {

constexpr const char* kDataKey = "pam_zjail_session";

struct Options {
  std::string config = ZJAIL_PAM_CONFIG;
  bool debug = false;
  zjail::Fault fault;  // fault=STEP[:ERRNO], test builds only
};

// One syslog line whatever it quotes: a user name from NSS, a profile name
// or a path may hold control characters, which must not split the line or
// forge the next one (zjail's errors are escaped the same way).
void say(pam_handle_t* pamh, int priority, const std::string& line) {
  pam_syslog(pamh, priority, "%s", zjail::escape_unprintable(line).c_str());
}

// Unknown arguments are errors: a typo in the stack line must not silently
// fall back to defaults in a module that decides confinement.
bool parse_args(pam_handle_t* pamh, int argc, const char** argv, Options& opt) {
  for (int i = 0; i < argc; ++i) {
    const char* a = argv[i];
    if (std::strcmp(a, "debug") == 0) {
      opt.debug = true;
    } else if (std::strncmp(a, "config=", 7) == 0 && a[7] == '/') {
      opt.config = a + 7;
#ifdef ZJAIL_FAULT_INJECTION
    } else if (std::strncmp(a, "fault=", 6) == 0) {
      auto f = zjail::parse_fault(a + 6);
      if (!f) {
        pam_syslog(pamh, LOG_ERR, "%s", f.error().message().c_str());
        return false;
      }
      opt.fault = *f;
#endif
    } else {
      say(pamh, LOG_ERR, std::string("unknown or invalid argument '") + a + "' (config=/ABSOLUTE/PATH, debug)");
      return false;
    }
  }
  return true;
}

int fail(pam_handle_t* pamh, const zjail::Error& e) {
  pam_syslog(pamh, LOG_ERR, "session refused: %s", e.message().c_str());
  return PAM_SESSION_ERR;
}

void cleanup_session(pam_handle_t*, void* data, int) {
  // In the process that entered the jail this ends it (pam_end without
  // close_session); in a forked copy it only forgets it.
  delete static_cast<zjail::SessionJail*>(data);
}

int open_session(pam_handle_t* pamh, int argc, const char** argv) {
  Options opt;
  if (!parse_args(pamh, argc, argv, opt)) return PAM_SESSION_ERR;

  const void* item = nullptr;
  if (pam_get_item(pamh, PAM_USER, &item) != PAM_SUCCESS || !item || !*static_cast<const char*>(item)) {
    pam_syslog(pamh, LOG_ERR, "session refused: no user name");
    return PAM_SESSION_ERR;
  }
  std::string typed = static_cast<const char*>(item);

  auto injected = zjail::inject_fault(opt.fault, zjail::Step::PamConfig);
  if (!injected) return fail(pamh, injected.error());
  auto conf = zjail::load_pam_config(opt.config);
  if (!conf) return fail(pamh, conf.error());

  // From here on the user is who NSS says: the canonical name and the uid,
  // never the typed name (case-insensitive backends accept "ALICE").
  auto who = zjail::resolve_pam_login(typed);
  if (!who) return fail(pamh, who.error());
  const std::string& user = who->name;
  auto matched = zjail::match_pam_rule(*conf, *who);
  if (!matched) return fail(pamh, matched.error());
  const auto& rule = *matched;
  if (!rule || rule->profile.empty()) {
    if (opt.debug)
      say(pamh, LOG_DEBUG,
          user + ": not confined (" +
              (rule ? conf->file + ":" + std::to_string(rule->line) + " says '-'" : "no line in the configuration matches") +
              ")");
    return PAM_SUCCESS;
  }
  const void* existing = nullptr;
  if (pam_get_data(pamh, kDataKey, &existing) == PAM_SUCCESS && existing) {
    pam_syslog(pamh, LOG_ERR, "session refused: a session is already open in this process");
    return PAM_SESSION_ERR;
  }
  std::string origin = conf->file + ":" + std::to_string(rule->line);

  // Only root's files may decide what this root process mounts and allows:
  // the loader vets the profile, its includes, drop-in directories and
  // drop-ins, and reads each from the fd it vetted.
  auto search = zjail::profile_search_path(nullptr);
  auto path = zjail::find_profile(rule->profile, search);
  if (!path) return fail(pamh, std::move(path).error().wrap(zjail::Step::Profile, origin));
  zjail::Profile profile;
  auto loaded = zjail::inject_fault(opt.fault, zjail::Step::Profile);
  if (loaded) loaded = zjail::load_profile(profile, *path, search, zjail::ProfileTrust::root_only());
  if (!loaded) return fail(pamh, loaded.error());

  zjail::PlanContext ctx;
  ctx.invoker_uid = getuid();
  ctx.invoker_gid = getgid();
  ctx.cwd = "/";
  ctx.seccomp_cache_dir = zjail::default_seccomp_cache_dir(geteuid(), nullptr);
  ctx.fault = opt.fault;
  auto plan = zjail::build_session_plan(profile, *who, ctx);
  if (!plan) return fail(pamh, plan.error());

  // Logged before anything is built: the attempt is on record whatever
  // happens, and the syslog connection is open before the process loses
  // sight of the host's /dev/log by joining the jail.
  say(pamh, LOG_INFO, user + ": confining with profile " + rule->profile + " (" + origin + ")");
  std::string warning;
  auto scoped = zjail::place_session_in_scope(profile.resources, user, who->uid, warning, opt.fault);
  if (!scoped) return fail(pamh, scoped.error());
  if (!warning.empty()) say(pamh, LOG_WARNING, warning);

  auto session = zjail::SessionJail::enter(*plan);
  if (!session) return fail(pamh, session.error());
  auto owned = std::make_unique<zjail::SessionJail>(std::move(session).value());
  pid_t init = owned->init_pid();
  if (pam_set_data(pamh, kDataKey, owned.get(), cleanup_session) != PAM_SUCCESS) {
    pam_syslog(pamh, LOG_ERR, "session refused: pam_set_data failed");
    return PAM_SESSION_ERR;  // `owned` ends the jail on the way out
  }
  owned.release();
  say(pamh, LOG_INFO, user + ": confined, jail init pid " + std::to_string(init));
  return PAM_SUCCESS;
}

int close_session(pam_handle_t* pamh, int argc, const char** argv) {
  Options opt;
  if (!parse_args(pamh, argc, argv, opt)) return PAM_SESSION_ERR;
  const void* data = nullptr;
  if (pam_get_data(pamh, kDataKey, &data) != PAM_SUCCESS || !data) return PAM_SUCCESS;
  auto* session = static_cast<zjail::SessionJail*>(const_cast<void*>(data));
  pid_t init = session->init_pid();
  auto ended = session->end();
  // Replacing the data runs cleanup_session on the old object.
  pam_set_data(pamh, kDataKey, nullptr, nullptr);
  if (!ended) return fail(pamh, ended.error());
  if (opt.debug) pam_syslog(pamh, LOG_DEBUG, "jail with init pid %d ended", static_cast<int>(init));
  return PAM_SUCCESS;
}

// An exception's message may quote a name or path from outside, so it is
// escaped like every other line; escaping allocates, and nothing may throw
// from here.
void say_exception(pam_handle_t* pamh, const char* what, const char* message) noexcept {
  try {
    say(pamh, LOG_ERR, std::string(what) + ": " + message);
  } catch (...) {
    pam_syslog(pamh, LOG_ERR, "%s: an exception (its message could not be logged)", what);
  }
}

// Nothing thrown crosses into sshd: an exception fails the call, logged
// after `what`.
template <class Fn>
int guarded(pam_handle_t* pamh, const char* what, Fn fn) noexcept {
  try {
    return fn();
  } catch (const std::exception& e) {
    say_exception(pamh, what, e.what());
  } catch (...) {
    pam_syslog(pamh, LOG_ERR, "%s: unexpected exception", what);
  }
  return PAM_SESSION_ERR;
}

}  // namespace

extern "C" {

PAM_EXTERN int pam_sm_open_session(pam_handle_t* pamh, int, int argc, const char** argv) {
  return guarded(pamh, "session refused", [&] { return open_session(pamh, argc, argv); });
}

PAM_EXTERN int pam_sm_close_session(pam_handle_t* pamh, int, int argc, const char** argv) {
  return guarded(pamh, "closing the session", [&] { return close_session(pamh, argc, argv); });
}

}  // extern "C"
