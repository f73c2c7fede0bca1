// Profile -> Plan. Everything that can fail for a reason the admin can fix
// (unknown user, missing command, bad capability) fails here, before any
// namespace exists.
#include "zjail/plan.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/capability.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>

#include "listen.hpp"
#include "listen_via_bind.hpp"
#include "plan_internal.hpp"
#include "zjail/caps.hpp"
#include "zjail/lease.hpp"
#include "zjail/notify.hpp"
#include "zjail/denials.hpp"
#include "zjail/seccomp_cache.hpp"
#include "zjail/trust.hpp"
#include "zjail/users.hpp"

namespace zjail {

void CapFree::operator()(struct _cap_struct* c) const noexcept { cap_free(c); }

namespace {

constexpr const char* kDefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

Status plan_capabilities(const Profile& p, Plan& plan) {
  ZJAIL_TRY_ASSIGN(auto bounding, capability_mask(p.capability_bounding_set));
  ZJAIL_TRY_ASSIGN(auto ambient, capability_mask(p.ambient_capabilities));
  plan.last_cap = last_capability();
  plan.ambient = ambient;
  if (!p.capability_bounding_set.is_set) {
    plan.bounding = ambient;  // nothing beyond what the payload is given
  } else {
    plan.bounding = bounding;
    uint64_t missing = ambient & ~bounding;
    if (missing) {
      int cap = __builtin_ctzll(missing);
      const Origin& o = p.ambient_capabilities.names.empty() ? Origin{} : p.ambient_capabilities.names.front().origin;
      return at(o, Step::Plan, "AmbientCapabilities=" + capability_name(cap) +
                                   " is not in CapabilityBoundingSet=");
    }
  }
  plan.caps.reset(cap_init());
  if (!plan.caps) return make_error(Step::Plan, errno, "cap_init");
  for (int c = 0; c <= plan.last_cap && c < 64; ++c) {
    if (!(plan.ambient & (1ULL << c))) continue;
    cap_value_t v = c;
    for (cap_flag_t f : {CAP_PERMITTED, CAP_EFFECTIVE, CAP_INHERITABLE})
      if (cap_set_flag(plan.caps.get(), f, 1, &v, CAP_SET) != 0)
        return make_error(Step::Plan, errno, "cap_set_flag " + capability_name(c));
  }
  return {};
}

// `service`: $STATE_DIRECTORY and friends (plan_service()), which
// Environment= may override, as in systemd.
void plan_environment(const Profile& p, const PlanContext& ctx, const UserInfo& who,
                      const std::vector<std::string>& service, Plan& plan) {
  auto& env = plan.envp_storage;
  set_env(env, std::string("PATH=") + kDefaultPath);
  // As systemd (USER_CREDS_CLEAN): no HOME for a home that is none ("/",
  // "/nonexistent"), no SHELL for one that only refuses a login.
  // Learning as root, as a unit without User= runs: systemd sets none of
  // these then, and a daemon that reads them ($SHELL for lighttpd's
  // include_shell) must do under learning what it does under its unit.
  bool no_user = ctx.learn_native && ctx.learn_user.empty() && ctx.invoker_uid == 0;
  if (!no_user) {
    if (!who.home.empty() && who.home != "/" && who.home != "/nonexistent") set_env(env, "HOME=" + who.home);
    set_env(env, "USER=" + who.name);
    set_env(env, "LOGNAME=" + who.name);
    static constexpr std::string_view kPlaceholderShells[] = {
        "/bin/nologin", "/sbin/nologin", "/usr/bin/nologin", "/usr/sbin/nologin",
        "/bin/false",   "/usr/bin/false", "/bin/true",       "/usr/bin/true"};
    if (!who.shell.empty() && std::find(std::begin(kPlaceholderShells), std::end(kPlaceholderShells), who.shell) ==
                                  std::end(kPlaceholderShells))
      set_env(env, "SHELL=" + who.shell);
  }
  for (const auto& kv : service) set_env(env, kv);
  for (const auto& item : p.environment) set_env(env, item.value);
  for (const auto& item : p.pass_environment) {
    for (char** e = ctx.environ; e && *e; ++e) {
      std::string_view kv(*e);
      if (kv.size() > item.value.size() && kv.compare(0, item.value.size(), item.value) == 0 &&
          kv[item.value.size()] == '=')
        set_env(env, std::string(kv));
    }
  }
  if (plan.keep_terminal)
    for (char** e = ctx.environ; e && *e; ++e)
      if (std::string_view(*e).starts_with("TERM=")) set_env(env, *e);
  for (const auto& item : p.unset_environment) {
    const std::string& u = item.value;
    std::erase_if(env, [&](const std::string& e) {
      return u.find('=') != std::string::npos ? e == u : e.compare(0, u.size() + 1, u + "=") == 0;
    });
  }
  // The payload is always PID 2 in its namespace: PID 1 is zjail's init.
  size_t own = 0;  // ListenViaBind= sockets come by bind(), not here
  for (const auto* list : {&p.listen_stream, &p.listen_datagram})
    for (const auto& item : *list) own += via_bind(p, item.value) ? 0 : 1;
  size_t listen = static_cast<size_t>(ctx.listen_fds) + own;
  if (listen > 0) {
    set_env(env, "LISTEN_PID=2");
    set_env(env, "LISTEN_FDS=" + std::to_string(listen));
    std::string names = ctx.listen_fdnames;
    if (names.empty())
      for (int i = 0; i < ctx.listen_fds; ++i) names += (i ? ":" : "") + std::string("unknown");
    for (size_t i = 0; i < own; ++i) names += (names.empty() ? "" : ":") + std::string("zjail");
    set_env(env, "LISTEN_FDNAMES=" + names);
  }
  if (!ctx.notify_relay.empty()) {
    set_env(env, std::string("NOTIFY_SOCKET=") + kJailNotifyPath);
    if (!ctx.watchdog_usec.empty()) {
      set_env(env, "WATCHDOG_USEC=" + ctx.watchdog_usec);
      set_env(env, "WATCHDOG_PID=2");
    }
  }
}

// A script's interpreter needs a path to open, and an fd passed for that
// (/dev/fd/N) would stay open in every descendant, a handle on the host file
// that the payload could reopen for writing through /proc/self/fd. Instead
// the script is bound read-only at a path of its own, and the kernel hands
// that path to the interpreter.
Status plan_script(const std::string& path, uid_t invoker, Plan& plan) {
  std::string name = path.substr(path.rfind('/') + 1);
  MountOp m;
  m.kind = MountOp::Kind::Bind;
  m.source = path;
  m.target = std::string(kJailCommandDir).substr(1) + "/" + name;
  m.attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  m.recursive = false;
  m.origin = "command";
  std::vector<MountOp> one;
  one.push_back(std::move(m));
  std::string no_root;
  ZJAIL_TRY(resolve_sources(one, no_root, invoker));
  plan.exec_candidates = {"/" + one.front().target};
  plan.mounts.push_back(std::move(one.front()));
  sort_mounts(plan.mounts);
  plan.exec_fd.reset();
  plan.exec_path.clear();
  return {};
}

// A command given by path that the profile hides from the jail does not
// run, as under systemd: behind InaccessiblePaths= or a mask, or, on a
// directory root, under a tmpfs. (On zjail's empty root a command the jail
// does not show runs from the fd opened here.) Step jail-command judges
// the rest, noexec included, in the jail.
Status refuse_hidden_command(const Plan& plan) {
  if (plan.exec_path.empty()) return {};
  std::string rel = plan.exec_path.substr(1);
  const MountOp* deepest = nullptr;
  for (const auto& m : plan.mounts) {
    using K = MountOp::Kind;
    if (m.kind == K::Attr || m.kind == K::MountPoint || m.kind == K::Symlink || m.target.empty()) continue;
    bool covers = rel == m.target || (rel.starts_with(m.target) && rel[m.target.size()] == '/');
    if (covers && (!deepest || m.target.size() >= deepest->target.size())) deepest = &m;
  }
  if (!deepest) return {};
  if (deepest->kind == MountOp::Kind::Inaccessible || deepest->kind == MountOp::Kind::Mask)
    return make_error(Step::ResolveCommand, EACCES, plan.exec_path + ": hidden by " + deepest->origin);
  if (deepest->kind == MountOp::Kind::Tmpfs && !plan.root_directory.empty())
    return make_error(Step::ResolveCommand, ENOENT, plan.exec_path + ": under a tmpfs of " + deepest->origin);
  return {};
}

Status plan_command(const std::vector<std::string>& command, const PlanContext& ctx, Plan& plan) {
  if (command.empty()) return make_error(Step::ResolveCommand, 0, "no command given");
  const std::string& cmd = command[0];
  if (cmd.find('/') != std::string::npos) {
    // Resolved against the invoker's cwd now and executed through this fd,
    // so the payload need not be visible inside the jail.
    std::string path = cmd[0] == '/' ? cmd : ctx.cwd + "/" + cmd;
    plan.exec_fd.reset(open(path.c_str(), O_PATH | O_CLOEXEC));
    if (!plan.exec_fd) return make_error(Step::ResolveCommand, errno, cmd);
    struct stat st{};
    if (fstat(plan.exec_fd.get(), &st) != 0) return make_error(Step::ResolveCommand, errno, cmd);
    if (!S_ISREG(st.st_mode) || !(st.st_mode & 0111))
      return make_error(Step::ResolveCommand, EACCES, cmd);
    plan.exec_path = path;
    UniqueFd rd(open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY));
    char magic[2] = {};
    bool script = rd && read(rd.get(), magic, 2) == 2 && magic[0] == '#' && magic[1] == '!';
    if (script && ctx.user_namespace_refused) {
      // No mount namespace: the script runs by its host path, which the
      // Landlock rules grant it (plan_fallback.cpp).
      plan.exec_candidates = {path};
      plan.exec_fd.reset();
    } else if (script) {
      ZJAIL_TRY(plan_script(path, ctx.invoker_uid, plan));
    }
  } else {
    std::string path = kDefaultPath;
    for (const auto& e : plan.envp_storage)
      if (e.starts_with("PATH=")) path = e.substr(5);
    size_t i = 0;
    while (i <= path.size()) {
      size_t j = path.find(':', i);
      if (j == std::string::npos) j = path.size();
      std::string dir = path.substr(i, j - i);
      if (!dir.empty() && dir[0] == '/') plan.exec_candidates.push_back(dir + "/" + cmd);
      i = j + 1;
    }
    if (plan.exec_candidates.empty()) return make_error(Step::ResolveCommand, ENOENT, cmd);
  }
  plan.argv_storage = command;
  return {};
}

void plan_rlimits(const Profile& p, Plan& plan) {
  for (const auto& [res, item] : p.limits)
    plan.rlimits.push_back(RlimitPlan{res, item.value.soft, item.value.hard,
                                      item.value.directive + "= (" + item.origin.str() + ")"});
}

Status plan_common(const Profile& p, const PlanContext& ctx, Plan& plan, UserInfo& who) {
  plan.fault = ctx.fault;
  ZJAIL_TRY(inject_fault(plan.fault, Step::ResolveUser));
  ZJAIL_TRY(plan_identity(p, ctx, plan, who));
  ZJAIL_TRY(inject_fault(plan.fault, Step::Plan));
  plan.hostname = p.hostname.value.value_or("zjail");
  plan.keep_terminal = p.keep_terminal.value.value_or(false);
  plan.workdir = p.working_directory.value.value_or("/");
  plan_rlimits(p, plan);
  ZJAIL_TRY(plan_capabilities(p, plan));
  ZJAIL_TRY(plan_network(p, plan));
  // io_uring's IORING_OP_SOCKET makes sockets of any family without
  // socket(2): reopened, it would walk past the base filter's AF_VSOCK rule.
  if (!p.restrict_io_uring.value.value_or(true) && owns_network_namespace(plan.network.mode))
    return at(p.restrict_io_uring.origin, Step::Plan,
              "RestrictIOUring=no needs PrivateNetwork=no: io_uring creates sockets (IORING_OP_SOCKET) "
              "that the private network's AF_VSOCK rule cannot see");
  // Every namespace there is; the time namespace only hides the host's
  // clock offsets, but a jail shares nothing it does not have to. The cgroup
  // namespace comes later, from the child (see child/steps.cpp).
  plan.clone_flags = CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                     CLONE_NEWTIME | (owns_network_namespace(plan.network.mode) ? CLONE_NEWNET : 0);

  ZJAIL_TRY(plan_security(p, plan));
  ZJAIL_TRY_ASSIGN(auto extras, implied_seccomp_extras(p));
  // Without a mount namespace every host unix socket the caller can name is
  // in reach, and Landlock does not cover connect(): the caller's session
  // bus and systemd user manager would start processes outside any jail.
  extras.without_namespaces = ctx.user_namespace_refused != 0;
  ZJAIL_TRY(inject_fault(plan.fault, Step::CompileSeccomp));
  ZJAIL_TRY_ASSIGN(auto bpf, cached_seccomp(p, extras, ctx.seccomp_cache_dir));
  plan.seccomp = std::move(bpf.filters);
  // Who asked for each filter's denials, for the denial explanations.
  DenialSource base;
  for (const auto& d : extras.deny) base.names.push_back({d.name, d.why});
  base.origins = base_filter_origins(p);
  plan.denial_sources.push_back(std::move(base));
  if (plan.seccomp.size() > 1) {
    DenialSource own;
    own.directive = "SystemCallFilter=";
    own.allow_list = p.system_call_filter.is_set && !p.system_call_filter.invert;
    for (const auto& item : p.system_call_filter.names) own.names.push_back({item.value, item.origin.str()});
    for (const auto& item : p.system_call_filter.removed) own.removed.push_back({item.value, item.origin.str()});
    plan.denial_sources.push_back(std::move(own));
  }
  ZJAIL_TRY(plan_sandbox(p, ctx, plan));
  return {};
}

// Every host path the session's init will mount must be root's all the way
// down (the user's own home excepted), so nothing the user controls can steer
// a mount done by root.
Status check_session_paths(const Plan& plan, const UserInfo& who) {
  if (!plan.root_directory.empty()) {
    TrustRule dir;
    dir.leaf_must_be_dir = true;
    auto fd = open_trusted(plan.root_directory, dir);
    if (!fd) return make_error(Step::CheckPaths, fd.error().err, "RootDirectory=" + fd.error().context);
  }
  for (const auto& m : plan.mounts) {
    if (m.kind != MountOp::Kind::Bind) continue;
    TrustRule rule;
    if (m.source == who.home) rule.leaf_owner = who.uid;
    auto fd = open_trusted(m.source, rule);
    if (!fd) {
      if (m.optional && fd.error().err == ENOENT) continue;
      std::string where = m.origin == "built-in" ? "" : " (" + m.origin + ")";
      return make_error(Step::CheckPaths, fd.error().err, fd.error().context + where);
    }
  }
  return {};
}

// The jail's init is a copy of this process, so /proc/1/cmdline in the
// jail would show this process's arguments (--setenv values among them). The
// init replaces them with `title`; it needs to know where they live: fields
// 48 and 49 of /proc/self/stat, counted after the command name, which may
// contain anything.
void set_init_title(Plan& plan, std::string title) {
  plan.init_title = std::move(title);
  UniqueFd stat_fd(open("/proc/self/stat", O_RDONLY | O_CLOEXEC));
  char buf[1024];
  ssize_t n = stat_fd ? read(stat_fd.get(), buf, sizeof buf - 1) : -1;
  if (n <= 0) return;
  buf[n] = '\0';
  const char* p = strrchr(buf, ')');
  for (int field = 2; p && *p && field < 48; ++field) p = strchr(p + 1, ' ');
  if (p) sscanf(p, " %lu %lu", &plan.arg_start, &plan.arg_end);
}

}  // namespace

void set_env(std::vector<std::string>& env, const std::string& kv) {
  std::string key = kv.substr(0, kv.find('='));
  auto it = std::find_if(env.begin(), env.end(), [&](const std::string& e) {
    return e.compare(0, key.size() + 1, key + "=") == 0;
  });
  if (it != env.end()) *it = kv;
  else env.push_back(kv);
}


Result<SeccompExtras> implied_seccomp_extras(const Profile& p) {
  SeccompExtras extras;
  ZJAIL_TRY(add_security_extras(p, extras));
  return extras;
}

Result<std::vector<SeccompRuleFilter>> jail_seccomp_rules(const Profile& p) {
  ZJAIL_TRY_ASSIGN(auto extras, implied_seccomp_extras(p));
  // For another host: MemoryDenyWriteExecute='s rules whether or not this
  // kernel has PR_SET_MDWE, and LockPersonality= of Personality= or
  // PER_LINUX, not of the exporting process.
  extras.deny_write_execute = p.security.memory_deny_write_execute.value.value_or(false);
  if (extras.lock_personality >= 0)
    extras.lock_personality = static_cast<long>(p.security.personality.value.value_or(PER_LINUX));
  ZJAIL_TRY_ASSIGN(auto rules, seccomp_rules(p, extras));
  if (auto deny = implied_filter_profile(p)) {
    ZJAIL_TRY_ASSIGN(auto implied, seccomp_rules(*deny));
    rules.insert(rules.begin() + 1, std::move(implied.back()));
  }
  return rules;
}

Result<Plan> build_session_plan(const Profile& p, const Login& login, const PlanContext& ctx) {
  if (ctx.invoker_uid != 0) return make_error(Step::Plan, EPERM, "a login session jail needs root");
  ZJAIL_TRY(refuse_identity_in_session(p));
  const std::string& user = login.name;
  if (std::find(login.groups.begin(), login.groups.end(), 0) != login.groups.end())
    return make_error(Step::ResolveUser, 0,
                      user + " is in group root (gid 0), which a jail cannot take from a login: refused, as Group=root is");
  ZJAIL_TRY(refuse_in_session(p));
  Profile q = p;
  q.user.value = std::to_string(login.uid);
  q.user.origin = Origin{"<login>", 0};
  q.group = {};
  q.supplementary_groups.clear();
  Plan plan;
  UserInfo who;
  ZJAIL_TRY(plan_common(q, ctx, plan, who));
  plan.session = true;
  // No user namespace: sshd's process must stay real root after joining, to
  // allocate the pty and drop to the user itself.
  plan.clone_flags = CLONE_NEWPID | CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC |
                     (owns_network_namespace(plan.network.mode) ? CLONE_NEWNET : 0);
  plan.idmap = {};
  if (who.home.empty() || who.home[0] != '/' || who.home == "/")
    return make_error(Step::Plan, EINVAL, "home directory '" + who.home + "' of " + user + " cannot be bound");
  MountOp home;
  home.kind = MountOp::Kind::Bind;
  home.source = who.home;
  home.target = who.home.substr(who.home.find_first_not_of('/'));
  while (!home.target.empty() && home.target.back() == '/') home.target.pop_back();
  home.attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV;
  home.origin = "home of " + user;
  plan.mounts.push_back(std::move(home));
  sort_mounts(plan.mounts);
  ZJAIL_TRY(inject_fault(plan.fault, Step::CheckPaths));
  ZJAIL_TRY(check_session_paths(plan, who));
  ZJAIL_TRY(plan_landlock_all(p, plan));
  // The caller itself takes the rules, and it ends the session by
  // signalling the jail's init, outside its domain: no signal scope here.
  plan.landlock.scoped &= ~kLandlockScopeSignal;
  if (!p.sources.empty()) plan.profile_name = p.sources.front();
  std::string name = plan.profile_name.substr(plan.profile_name.rfind('/') + 1);
  if (name.ends_with(".profile")) name.resize(name.size() - 8);
  set_init_title(plan, std::string("zjail-init") + '\0' + "--session" + '\0' + user + '\0' + name + '\0');
  return plan;
}

Result<Plan> check_plan(const Profile& profile, const PlanContext& ctx) {
  Plan plan;
  UserInfo who;
  std::optional<Profile> implied;
  ZJAIL_TRY_ASSIGN(const Profile* p, with_implied_settings(profile, implied, plan.warnings, false));
  PlanContext dry = ctx;
  dry.lease = nullptr;  // nothing is taken from the host
  ZJAIL_TRY(plan_common(*p, dry, plan, who));
  ZJAIL_TRY(refuse_listen_via_bind(*p, dry));
  std::vector<std::string> service;
  ZJAIL_TRY(plan_service(*p, dry, who, plan, service));
  plan_environment(*p, dry, who, service, plan);
  ZJAIL_TRY(plan_landlock_all(*p, plan));
  if (ctx.user_namespace_refused) ZJAIL_TRY(plan_without_namespaces(*p, dry, plan));
  return plan;
}

Result<Plan> build_plan(const Profile& profile, const std::vector<std::string>& command,
                        const PlanContext& ctx) {
  Plan plan;
  UserInfo who;
  const Identity& id = profile.identity;
  if (!ctx.lease && (id.dynamic_user.value.value_or(false) || id.any_directory()))
    return make_error(Step::Plan, EINVAL, "DynamicUser= and the service directories need a HostLease (lease.hpp)");
  std::optional<Profile> implied;
  ZJAIL_TRY_ASSIGN(const Profile* pp, with_implied_settings(profile, implied, plan.warnings, true));
  const Profile& p = *pp;
  ZJAIL_TRY(plan_common(p, ctx, plan, who));
  ZJAIL_TRY(refuse_listen_via_bind(p, ctx));
  std::vector<std::string> service;
  ZJAIL_TRY(plan_service(p, ctx, who, plan, service));
  // Before anything is taken from the host.
  if (ctx.user_namespace_refused) ZJAIL_TRY(refuse_namespaced(p, ctx, plan));

  plan_environment(p, ctx, who, service, plan);
  ZJAIL_TRY(inject_fault(plan.fault, Step::ResolveCommand));
  ZJAIL_TRY(plan_command(command, ctx, plan));
  ZJAIL_TRY(refuse_hidden_command(plan));
  // After everything that can fail for the admin's reasons, before the
  // sockets: the host's directories are made only for a plan that runs.
  ZJAIL_TRY(inject_fault(plan.fault, Step::Directories));
  if (ctx.lease) ZJAIL_TRY(ctx.lease->make_directories(plan.identity.directories));
  // The credentials' mount point in a host tree, held for the jail's life.
  if (ctx.lease && plan.invoked_as_root && !plan.root_directory.empty())
    for (const auto& m : plan.mounts)
      if (m.kind == MountOp::Kind::Files && m.target.starts_with("run/credentials/"))
        ZJAIL_TRY(ctx.lease->hold_mount_point(
            (plan.root_directory == "/" ? "" : plan.root_directory) + "/" + m.target, Step::Credentials));
  ZJAIL_TRY(inject_fault(plan.fault, Step::Listen));
  // Last, so that nothing is bound for a plan that cannot run. Sockets from
  // systemd come first, as fd 3 onwards, then the profile's own.
  for (int i = 0; i < ctx.listen_fds; ++i) {
    UniqueFd fd(fcntl(3 + i, F_DUPFD_CLOEXEC, 3));
    if (!fd) return make_error(Step::Listen, errno, "inherited LISTEN_FDS fd " + std::to_string(3 + i));
    // The scope's filters hold for the sockets made in it; an IP socket
    // made before (by whoever started zjail: outside a service, no socket
    // unit's filters hold it either) would carry the payload's traffic
    // past them, as the profile's own IP listeners would (network_plan.cpp).
    int domain = 0;
    socklen_t len = sizeof domain;
    if (scope_filter(plan.network) && getsockopt(fd.get(), SOL_SOCKET, SO_DOMAIN, &domain, &len) == 0 &&
        (domain == AF_INET || domain == AF_INET6))
      return make_error(Step::Listen, 0,
                        "inherited LISTEN_FDS fd " + std::to_string(3 + i) +
                            " is an IP socket made outside the jail's scope, whose IPAddressAllow=/IPAddressDeny=/"
                            "RestrictNetworkInterfaces= hold only for sockets made in it: set the filters where the "
                            "socket is made, or give the jail a network of its own (VirtualEthernet=yes)");
    plan.pass_fds.push_back(std::move(fd));
  }
  ZJAIL_TRY(bind_listen_sockets(p, plan));

  if (!ctx.notify_relay.empty() && !ctx.user_namespace_refused) {
    MountOp m;
    m.kind = MountOp::Kind::Bind;
    m.source = ctx.notify_relay;
    m.target = std::string(kJailNotifyPath).substr(1);
    m.attr = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
    m.recursive = false;
    m.origin = "NOTIFY_SOCKET";
    plan.mounts.push_back(std::move(m));
    sort_mounts(plan.mounts);
  }

  ZJAIL_TRY(plan_landlock_all(p, plan));
  if (ctx.user_namespace_refused) ZJAIL_TRY(plan_without_namespaces(p, ctx, plan));
  // With a jail around it, the payload's denials are explained; without
  // one (no pid namespace keeps a supervisor's children in), they act directly.
  if (plan.namespaces && !ctx.listener_handoff_refused) ZJAIL_TRY(plan_denials(plan, ctx.explain));
  ZJAIL_TRY(plan_listen_via_bind(plan));
  if (ctx.learn_native) ZJAIL_TRY(plan_learn_native(ctx, plan));

  for (auto& s : plan.argv_storage) plan.argv.push_back(s.data());
  plan.argv.push_back(nullptr);
  for (auto& s : plan.envp_storage) plan.envp.push_back(s.data());
  plan.envp.push_back(nullptr);
  if (!p.sources.empty()) plan.profile_name = p.sources.front();
  set_init_title(plan, std::string("zjail-init") + '\0');
  return plan;
}

}  // namespace zjail
