// Who the payload is: User=, Group=, SupplementaryGroups=, DynamicUser= and
// PrivateUsers=, made real by the id maps; and what comes with a service's
// identity: UMask=, the service directories and the credentials (their host
// side lives in service_dirs.cpp and credentials.cpp).
#include <fcntl.h>
#include <sys/mount.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <set>

#include "plan_internal.hpp"
#include "syntax.hpp"
#include "zjail/check.hpp"
#include "zjail/lease.hpp"
#include "zjail/parser.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

using std::string;

// systemd's name for a unit's dynamic user: the unit's name if it is a
// plain user name, else one made of a hash of it.
string dynamic_user_name(const string& unit) {
  string name = unit.substr(0, unit.rfind(".service"));
  bool plain = !name.empty() && name.size() <= 31 && valid_user_name(name) &&
               !std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  if (plain) return name;
  uint64_t h = 14695981039346656037ULL;  // FNV-1a
  for (unsigned char c : unit) h = (h ^ c) * 1099511628211ULL;
  char buf[24];
  std::snprintf(buf, sizeof buf, "_du%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// DynamicUser=: the user named by User= (or after the unit) if the user
// database has it, as systemd does; otherwise a uid of the dynamic range,
// locked in the lease for the jail's lifetime (or only picked, for --check).
Status plan_dynamic_user(const Profile& p, const PlanContext& ctx, Plan& plan, UserInfo& who) {
  const Origin& o = p.identity.dynamic_user.origin;
  if (!plan.invoked_as_root)
    return at(o, Step::ResolveUser, "DynamicUser= needs root: an unprivileged zjail can only run as its caller");
  string name = p.user.is_set() ? *p.user.value : dynamic_user_name(ctx.unit_name);
  bool numeric = std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
  auto stat_user = numeric ? lookup_user(name) : lookup_user_name(name);
  if (stat_user) {
    who = std::move(stat_user).value();
    return {};
  }
  if (stat_user.error().err != 0) return std::move(stat_user).error().wrap(Step::ResolveUser, origin_text(o));
  uid_t uid;
  if (ctx.lease) {
    auto r = ctx.lease->lock_dynamic_uid(name);
    if (!r) return std::move(r).error().wrap(Step::ResolveUser, origin_text(o));
    uid = *r;
  } else {
    auto r = peek_dynamic_uid(name);
    if (!r) return std::move(r).error().wrap(Step::ResolveUser, origin_text(o));
    uid = *r;
  }
  // nss-systemd's answer for a dynamic user.
  who = UserInfo{uid, static_cast<gid_t>(uid), name, "/", "/usr/sbin/nologin"};
  plan.identity.dynamic = true;
  return {};
}

// The id maps for a root zjail, per PrivateUsers=. Inside, 0 is the jail's
// own init; every mode maps ids to themselves, so that host file permissions
// see exactly the payload's unprivileged ids.
Status root_id_maps(const Profile& p, Plan& plan) {
  PrivateUsersMode mode = p.identity.private_users.value.value_or(PrivateUsersMode::No);
  const Origin& o = p.identity.private_users.origin;
  std::set<gid_t> gids(plan.groups.begin(), plan.groups.end());
  gids.insert(plan.gid);
  gids.erase(0);
  switch (mode) {
    case PrivateUsersMode::No:
    case PrivateUsersMode::Self:
      // systemd's "self": root and the unit's own ids, everything else
      // nobody. zjail maps no more than that even without PrivateUsers=.
      plan.idmap.uid_map = "0 0 1\n" + std::to_string(plan.uid) + " " + std::to_string(plan.uid) + " 1\n";
      plan.idmap.gid_map = "0 0 1\n";
      for (gid_t g : gids) plan.idmap.gid_map += std::to_string(g) + " " + std::to_string(g) + " 1\n";
      return {};
    case PrivateUsersMode::Identity:
      if (plan.uid > 65535 || (!gids.empty() && *gids.rbegin() > 65535))
        return at(o, Step::ResolveUser, "PrivateUsers=identity maps ids 0-65535 only, and the payload's uid " +
                                            std::to_string(plan.uid) + " or one of its groups lies above");
      plan.idmap.uid_map = plan.idmap.gid_map = "0 0 65536\n";
      return {};
    case PrivateUsersMode::Full:
      // Two extents, as systemd writes it: "0 0 4294967295" would read as
      // the host's own namespace to programs that compare the map.
      plan.idmap.uid_map = plan.idmap.gid_map = "0 0 1\n1 1 4294967294\n";
      return {};
    case PrivateUsersMode::Managed:
      break;
  }
  return at(o, Step::ResolveUser,
            "PrivateUsers=managed takes a transient id range from systemd-nsresourced, which zjail does not "
            "do: use PrivateUsers=self (what zjail maps anyway)");
}

}  // namespace

Status plan_identity(const Profile& p, const PlanContext& ctx, Plan& plan, UserInfo& who) {
  plan.invoked_as_root = ctx.invoker_uid == 0;
  if (ctx.learn_native) {
    // Learn mode's native jail: the caller itself, root included, as a unit
    // without User= runs. Root needs no user namespace (learn_jail.cpp);
    // an unprivileged caller maps itself, as always.
    // --user: root starts the payload as that user, as a unit's User= does
    // (a daemon that refuses root, such as the postmaster), with the
    // host's ids: no user namespace hides root's files from it.
    if (!ctx.learn_user.empty()) {
      auto u = lookup_user(ctx.learn_user);
      if (!u) return std::move(u).error().wrap(Step::ResolveUser, "learn --user");
      who = std::move(u).value();
      plan.uid = who.uid;
      plan.gid = who.gid;
      // And its groups from the group database, as systemd's User= gives
      // them (the postmaster reads its TLS key as a member of ssl-cert).
      for (gid_t g : group_list(who.name, who.gid))
        if (g != 0 && g != who.gid) plan.groups.push_back(g);
      return {};
    }
    ZJAIL_TRY_ASSIGN(who, lookup_uid(ctx.invoker_uid));
    plan.uid = who.uid;
    plan.gid = who.gid = ctx.invoker_gid;
    if (plan.invoked_as_root) return {};
    plan.idmap.uid_map = std::to_string(plan.uid) + " " + std::to_string(plan.uid) + " 1\n";
    plan.idmap.gid_map = std::to_string(plan.gid) + " " + std::to_string(plan.gid) + " 1\n";
    plan.idmap.deny_setgroups = true;
    return {};
  }
  if (p.identity.dynamic_user.value.value_or(false)) {
    ZJAIL_TRY(plan_dynamic_user(p, ctx, plan, who));
  } else if (p.user.is_set()) {
    auto u = lookup_user(*p.user.value);
    if (!u) return std::move(u).error().wrap(Step::ResolveUser, origin_text(p.user.origin));
    who = std::move(u).value();
  } else if (plan.invoked_as_root) {
    // Root gets no default: the payload must never map to host root.
    ZJAIL_TRY_ASSIGN(auto u, lookup_user("nobody"));
    who = std::move(u);
  } else {
    ZJAIL_TRY_ASSIGN(auto u, lookup_uid(ctx.invoker_uid));
    who = std::move(u);
    who.gid = ctx.invoker_gid;
  }
  plan.uid = who.uid;
  plan.gid = who.gid;
  if (p.group.is_set()) {
    auto g = lookup_group(*p.group.value);
    // A dynamic user's group of another name is dynamic too: the same number.
    if (!g && !(plan.identity.dynamic && g.error().err == 0))
      return std::move(g).error().wrap(Step::ResolveUser, origin_text(p.group.origin));
    if (g) plan.gid = *g;
  }
  for (const auto& item : p.supplementary_groups) {
    auto g = lookup_group(item.value);
    if (!g) return std::move(g).error().wrap(Step::ResolveUser, origin_text(item.origin));
    if (*g == 0 && plan.invoked_as_root)
      return at(item.origin, Step::ResolveUser,
                "SupplementaryGroups=" + item.value + " would give the payload host group root; "
                "name an unprivileged group");
    if (std::find(plan.groups.begin(), plan.groups.end(), *g) == plan.groups.end())
      plan.groups.push_back(*g);
  }

  if (plan.invoked_as_root) {
    if (plan.uid == 0)
      return at(p.user.origin, Step::ResolveUser,
                "User=root would run the payload as host root; name an unprivileged user");
    // Host gid 0 is root's as much as uid 0 is: files of group root that are
    // group-writable (or readable only by it) would open up to the payload
    // (SupplementaryGroups= is checked as it is resolved, above).
    if (plan.gid == 0)
      return at(p.group.is_set() ? p.group.origin : p.user.origin, Step::ResolveUser,
                "gid 0 (root) would run the payload in host group root; name an unprivileged group");
    return root_id_maps(p, plan);
  }
  // Unprivileged: the kernel allows exactly one mapping, of ourselves.
  if (plan.uid != ctx.invoker_uid)
    return at(p.user.origin, Step::ResolveUser,
              "User=" + who.name + " needs root: an unprivileged zjail can only run as its caller");
  if (plan.gid != ctx.invoker_gid || !plan.groups.empty())
    return at(p.group.origin, Step::ResolveUser,
              "Group= and SupplementaryGroups= need root: an unprivileged zjail keeps its caller's group");
  PrivateUsersMode mode = p.identity.private_users.value.value_or(PrivateUsersMode::No);
  if (mode != PrivateUsersMode::No && mode != PrivateUsersMode::Self)
    return at(p.identity.private_users.origin, Step::ResolveUser,
              "PrivateUsers= other than self needs root: an unprivileged zjail can map only its caller");
  plan.idmap.uid_map = std::to_string(plan.uid) + " " + std::to_string(plan.uid) + " 1\n";
  plan.idmap.gid_map = std::to_string(plan.gid) + " " + std::to_string(plan.gid) + " 1\n";
  plan.idmap.deny_setgroups = true;
  return {};
}

namespace {

// What DynamicUser= implies in systemd (unit_patch_contexts()), and the
// values of each that are at least as strict. `always`: zjail does it in
// every jail, so a zjail without the directive loses nothing.
struct Implied {
  const char* key;
  const char* value;
  std::initializer_list<const char*> as_strict;
  bool always;
};
const Implied kDynamicUserImplies[] = {
    {"PrivateTmp", "yes", {"yes", "disconnected"}, false},
    {"RemoveIPC", "yes", {"yes"}, true},            // the IPC namespace and a private /dev/shm (fs_model)
    {"NoNewPrivileges", "yes", {"yes"}, true},      // always set
    {"RestrictSUIDSGID", "yes", {"yes"}, false},
    {"ProtectSystem", "strict", {"strict"}, false},
    {"ProtectHome", "read-only", {"read-only", "yes", "tmpfs"}, false},
};

// KEY's value as --show writes it, or "" when the profile leaves it unset.
string shown_value(const string& shown, const string& key) {
  size_t at = shown.find("\n" + key + "=");
  if (at == string::npos) return "";
  at += key.size() + 2;
  return shown.substr(at, shown.find('\n', at) - at);
}

}  // namespace

Result<const Profile*> with_implied_settings(const Profile& p, std::optional<Profile>& storage,
                                            std::vector<string>& warnings, bool launching) {
  if (!p.identity.dynamic_user.value.value_or(false)) return &p;
  const Origin& o = p.identity.dynamic_user.origin;
  string shown = show_profile(p);
  std::vector<string> known = [] {
    Profile probe;
    std::vector<string> out;
    for (const auto& i : kDynamicUserImplies)
      if (apply_directive(probe, i.key, i.value, Origin{"<probe>", 1})) out.emplace_back(i.key);
    return out;
  }();
  storage = p;
  for (const auto& i : kDynamicUserImplies) {
    if (std::find(known.begin(), known.end(), i.key) == known.end()) {
      if (i.always) continue;
      // Never run with less than systemd would: refused at launch.
      string why = string("DynamicUser= implies ") + i.key + "=" + i.value + ", which this zjail does not have";
      if (launching) return at(o, Step::Plan, why + ": it would run without it");
      warnings.push_back(origin_text(o) + ": " + why + ": a launch would fail");
      continue;
    }
    string now = shown_value(shown, i.key);
    if (now.empty()) {
      ZJAIL_TRY(apply_directive(*storage, i.key, i.value, o));
      continue;
    }
    if (std::none_of(i.as_strict.begin(), i.as_strict.end(), [&](const char* v) { return now == v; }))
      return at(o, Step::Profile, string("DynamicUser=yes implies ") + i.key + "=" + i.value + ", and the profile sets " +
                                      i.key + "=" + now + ": remove one of them");
  }
  return &*storage;
}

Status refuse_identity_in_session(const Profile& p) {
  const Identity& id = p.identity;
  auto refuse = [](const Origin& o, const char* what) {
    return at(o, Step::Plan, string(what) + " is for services: a login session runs as the login's own user, "
                                            "so pam_zjail refuses it");
  };
  if (id.dynamic_user.is_set()) return refuse(id.dynamic_user.origin, "DynamicUser=");
  if (id.private_users.is_set()) return refuse(id.private_users.origin, "PrivateUsers=");
  if (id.umask.is_set()) return refuse(id.umask.origin, "UMask=");
  for (const auto& list : id.directories)
    if (!list.empty()) return refuse(list.front().origin, "RuntimeDirectory= (and its siblings)");
  if (!id.credentials.empty()) return refuse(id.credentials.front().origin, "LoadCredential= (and its siblings)");
  return {};
}

namespace {

// The host file the jail shows at `path`, with `line` added unless an entry
// of that name is there already; "" when the jail shows no such file.
Result<string> with_entry(const Plan& plan, const string& path, const string& name, const string& line) {
  string host = host_path_in_jail(plan, path);
  if (host.empty()) return string();
  UniqueFd fd(open(host.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK));
  if (!fd) return make_error(Step::Plan, errno, host);
  string text;
  char buf[65536];
  for (ssize_t n; (n = read(fd.get(), buf, sizeof buf)) != 0;) {
    if (n < 0) return make_error(Step::Plan, errno, host);
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (16u << 20)) return make_error(Step::Plan, EFBIG, host);
  }
  if (text.starts_with(name + ":") || text.find("\n" + name + ":") != string::npos) return text;
  if (!text.empty() && text.back() != '\n') text += '\n';
  return text + line;
}

}  // namespace

Status plan_user_database(const UserInfo& who, Plan& plan) {
  string uid = std::to_string(who.uid), gid = std::to_string(plan.gid);
  ZJAIL_TRY_ASSIGN(auto passwd, with_entry(plan, "/etc/passwd", who.name,
                                           who.name + ":x:" + uid + ":" + gid + ":Dynamic User:/:/usr/sbin/nologin\n"));
  ZJAIL_TRY_ASSIGN(auto group, with_entry(plan, "/etc/group", who.name, who.name + ":x:" + gid + ":\n"));
  if (passwd.empty() && group.empty()) return {};  // no user database in the jail: `id` shows numbers
  MountOp db;
  db.kind = MountOp::Kind::Files;
  db.target = "run/host/userdb";
  db.attr = MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC;
  db.dir_mode = 0755;
  db.file_mode = 0644;
  db.origin = "DynamicUser=";
  for (auto [name, text] : {std::pair{"passwd", &passwd}, std::pair{"group", &group}}) {
    if (text->empty()) continue;
    db.files.push_back({name, std::move(*text)});
    MountOp bind;
    bind.kind = MountOp::Kind::JailBind;
    bind.source = db.target + "/" + name;
    bind.target = string("etc/") + name;
    bind.attr = db.attr;
    bind.recursive = false;
    bind.origin = db.origin;
    plan.mounts.push_back(std::move(bind));
  }
  plan.mounts.push_back(std::move(db));
  return {};
}

Status plan_service(const Profile& p, const PlanContext& ctx, const UserInfo& who, Plan& plan,
                    std::vector<string>& env) {
  if (p.identity.umask.is_set()) plan.identity.umask = static_cast<int>(*p.identity.umask.value & 0777);
  ZJAIL_TRY(plan_service_dirs(p, ctx, plan, env));
  ZJAIL_TRY(inject_fault(plan.fault, Step::Credentials));
  ZJAIL_TRY(plan_credentials(p, ctx, plan, env));
  if (plan.identity.dynamic) ZJAIL_TRY(plan_user_database(who, plan));
  sort_mounts(plan.mounts);
  return {};
}

}  // namespace zjail
