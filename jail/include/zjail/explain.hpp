// Explain mode (`zjail --explain`, docs/denials.md "Explain mode"): a
// debugging run of the same jail that also says why calls the filters
// allow will fail: a path missing in the jail that the host has (a missing
// bind, or one a directive hides on purpose), and an EPERM that a dropped
// capability causes.
//
//   plan:    plan_explain(plan): a watch section (watch_filter.hpp) in front
//            of the merged filter routes the path calls and the calls whose
//            capability checks zjail can predict to zjail's listener;
//   runtime: Explainer::handle() on each notification: a call the filters
//            deny goes back to the denial explanations (denials.hpp); any
//            other is looked at while it waits and then let go on
//            (SECCOMP_USER_NOTIF_FLAG_CONTINUE), so it gets exactly the
//            kernel's answer.
//
// The enforcing launch (no --explain) never gets the section. The pure
// parts (the capability table, which directive hides a path, the
// suggestion) are in explain_rules.cpp; the Explainer in explain.cpp.
#pragma once

#include <linux/seccomp.h>
#include <sys/stat.h>
#include <sys/types.h>

#include <cerrno>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "zjail/denials.hpp"
#include "zjail/plan.hpp"
#include "zjail/profile.hpp"
#include "zjail/result.hpp"

namespace zjail {

// Adds the explain watch section to plan.seccomp_notify (built by
// plan_denials). Needs a launch with namespaces.
Status plan_explain(Plan& plan);

// One line of explain mode.
struct Explanation {
  std::string name;       // "openat": the journal's ZJAIL_SYSCALL=
  std::string call;       // "openat(\"/etc/nginx/nginx.conf\")", "bind(0.0.0.0:80)"
  pid_t pid = 0;          // as the jail sees it
  std::string comm;
  std::string text;       // what follows "in pid N (comm): "
  std::string directive;  // the journal's ZJAIL_DIRECTIVE= ("BindReadOnlyPaths=", "CapabilityBoundingSet=")
  uint64_t repeats = 0;   // a summary line: this many more findings were not shown
  bool quiet = false;     // an optional system file (optional_system_file()): shown with -v only
  std::string line() const;  // without the "zjail: " prefix
};
using ExplainReporter = std::function<void(const Explanation&)>;

// --- The capability table (pure) ---------------------------------------

// A user namespace's id map, as /proc/PID/uid_map shows it to zjail.
struct IdRange {
  uint32_t inside = 0, outside = 0, count = 0;
};
std::vector<IdRange> parse_id_map(const std::string& text);
// The id in the namespace for one zjail sees (`outside`), and back.
std::optional<uint32_t> id_inside(uint32_t outside, const std::vector<IdRange>& map);
bool id_mapped(uint32_t inside, const std::vector<IdRange>& map);

// What zjail read about one call the filters allow. Ids are as zjail sees
// them (the host's), the call's own arguments as the caller passed them
// (its user namespace's): `uid_map`/`gid_map` translate.
struct CapFacts {
  std::string call;  // "bind", "setuid", ...
  uint64_t args[6] = {};
  uint64_t effective = 0;  // the caller's CapEff
  uid_t ruid = 0, euid = 0, suid = 0, fsuid = 0;
  gid_t rgid = 0, egid = 0, sgid = 0, fsgid = 0;
  std::vector<gid_t> groups;
  std::vector<IdRange> uid_map, gid_map;
  // bind: the address and the socket's family (-1: unknown).
  int family = -1, socket_family = -1, port = -1;
  int unprivileged_port_start = 1024;
  // chown, chmod, ...: the file's owner; it is on a writable mount.
  bool file_known = false;
  uid_t file_uid = 0;
  gid_t file_gid = 0;
  // kill: the target's real and saved uid; it is another process.
  bool target_known = false;
  uid_t target_ruid = 0, target_suid = 0;
  // setrlimit, prlimit64 (own process): the hard limit now, and the
  // limits asked for.
  bool limit_known = false;
  uint64_t hard_now = 0, want_soft = 0, want_hard = 0;
  // mknod: the name is free and its directory there; chroot: the
  // directory is there.
  bool path_ok = false;
};

// The call fails for lack of one capability, certainly.
struct CapNeed {
  int cap = -1;     // CAP_NET_BIND_SERVICE, ...
  int err = EPERM;  // what the call fails with
};
// Only where the call and its arguments make the failure certain: the
// capability is missing from the caller's effective set and nothing else
// lets it through. std::nullopt otherwise (also where another error would
// come first, as EINVAL for an id the namespace does not map).
std::optional<CapNeed> capability_needed(const CapFacts& f);

// Why the capability is missing, naming the directive and its line:
// "needs CAP_NET_BIND_SERVICE, which CapabilityBoundingSet= (web.profile:7)
// does not keep; or use ListenStream=80".
std::string capability_text(const CapNeed& need, const Plan& plan, const Profile& profile, int port);

// --- Paths (pure) --------------------------------------------------------

// Why an absolute jail path the host has is not (usable) in the jail, from
// the plan's mount table: the directive that hides it on purpose
// (`hidden`), or the bind that would show it.
struct PathWhy {
  bool hidden = false;
  std::string directive;  // "InaccessiblePaths=", "BindReadOnlyPaths=", ...
  std::string text;       // "hidden by InaccessiblePaths=/srv/secret (t.profile:3)"
};
// `directory`: the host's is one; `parent_in_jail`: its directory is in
// the jail (then the suggestion is the path itself, else its directory);
// `write`: the call writes (BindPaths= rather than BindReadOnlyPaths=).
// `inaccessible_only`: the path is there, and only a node that hides it on
// purpose (InaccessiblePaths=, ProtectHome=yes, ...) matters.
std::optional<PathWhy> path_why(const Plan& plan, const Profile& profile, const std::string& abs, bool directory,
                                bool parent_in_jail, bool write, bool inaccessible_only);

// Files glibc reads when they are there and does fine without
// (/etc/ld.so.preload, /etc/localtime: UTC, /etc/nsswitch.conf: "files",
// locale.alias, gai.conf, host.conf): their misses are no mistakes of a
// profile, and are shown only with -v.
bool optional_system_file(const std::string& abs);

// The jail's own trees, whose misses are not binds (/proc, /sys, /dev).
bool zjail_own_tree(const std::string& abs);

// Whether a host user (`uid`, `gid`, `groups`) may read `abs` on the host by
// its mode bits: every directory on the way searchable, the file readable
// (a directory: searchable); its stat in `found`. Walked a name at a time,
// symlinks as text: nothing in a directory the user may not search is
// looked at, so that the time it takes says nothing of what is there.
// ACLs not read.
bool host_readable(const std::string& abs, uid_t uid, gid_t gid, const std::vector<gid_t>& groups,
                   struct stat* found = nullptr);

// --- The runtime part ----------------------------------------------------

class Explainer : public NotificationSink {
 public:
  // `plan` and `profile` outlive the explainer.
  Explainer(const Plan& plan, const Profile& profile, ExplainReporter report);
  // A call the filters deny: false (the denial explanations answer it).
  // Else it is looked at, reported if it will fail, and let go on.
  bool handle(int listener, const seccomp_notif& n) override;
  // One line counting the findings not shown (the per-path limit).
  void report_suppressed();

 private:
  void inspect(int listener, const seccomp_notif& n);
  void path_calls(pid_t tid, const std::string& name, const seccomp_data& d, std::vector<Explanation>& out);
  void capability_calls(pid_t tid, const std::string& name, const seccomp_data& d, std::vector<Explanation>& out);

  const Plan& plan_;
  const Profile& profile_;
  ExplainReporter report_;
  std::set<std::string> shown_;  // per path, per capability and call: once
  uint64_t suppressed_ = 0;
};

// How many different findings are shown before they are only counted.
inline constexpr size_t kExplanationsShown = 256;

}  // namespace zjail
