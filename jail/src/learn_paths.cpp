// The file-system part of a learned profile: every path the workload read,
// wrote, executed or created, turned into the fewest binds that give it
// exactly that, and nothing it never touched that could matter.
//
// The rules (docs/learn.md#the-file-system):
//  - zjail's own /proc, /dev and private /tmp serve what lies there; a /proc
//    file outside the process directories makes ProcSubset=all, a device
//    beyond the pseudo devices a DeviceAllow= line;
//  - a path under /usr, /bin, /sbin, /lib* binds that whole OS tree
//    read-only (libraries and data, no secrets, as base-service does),
//    noexec but for the files the workload executed or mapped executable;
//  - a write binds the file written, read-write; a file created or removed
//    binds the directory it was made in, or becomes StateDirectory=,
//    CacheDirectory=, LogsDirectory=, RuntimeDirectory= under /var/lib,
//    /var/cache, /var/log and /run (a file directly in /run: a private
//    tmpfs there); never a system-wide directory such as /etc or /var/lib;
//  - a read binds the file read-only, or folds with its siblings into the
//    highest directory that holds two of them (or that was listed) when that
//    directory is not system-wide (/etc, /var/lib, /home/USER, ...), is not
//    a secret and holds none: none of the known secret paths (/etc/shadow,
//    /etc/ssh, /etc/ssl/private, ...), no touched secret, and no file or
//    directory on the host whose name looks like one (*.key, private, .ssh).
//    A secret that was read is bound alone, read-only;
//  - every bind is optional ('-'): what the host lacks at launch is left
//    out, as the workload found it missing.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <set>

#include "learn_internal.hpp"
#include "syntax.hpp"

namespace zjail::learn::detail {
namespace {

using std::string;
using std::string_view;

constexpr string_view kOsTrees[] = {"/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"};

// Files and trees that hold secrets on Debian and its neighbours.
constexpr string_view kSecretPaths[] = {
    "/etc/shadow",       "/etc/shadow-",          "/etc/gshadow",
    "/etc/gshadow-",     "/etc/ssh",              "/etc/ssl/private",
    "/etc/sudoers",      "/etc/sudoers.d",        "/etc/security/opasswd",
    "/etc/krb5.keytab",  "/etc/credstore",        "/etc/credstore.encrypted",
    "/run/credstore",    "/run/credstore.encrypted", "/run/credentials",
    "/var/lib/systemd/credential.secret",         "/etc/letsencrypt",
    "/etc/wireguard",    "/etc/ipsec.secrets",    "/etc/ppp/chap-secrets",
    "/etc/ppp/pap-secrets", "/etc/NetworkManager/system-connections",
    "/etc/mysql/debian.cnf", "/etc/pki",          "/etc/dropbear",
    "/root",             "/var/backups",          "/var/lib/private",
    "/var/cache/private", "/var/log/private",     "/etc/machine-id",
};

// Directories shared by everything on the host: never bound whole, however
// many of their files the workload used.
constexpr string_view kBroad[] = {"/",          "/etc",        "/var",         "/var/lib", "/var/log",
                                  "/var/cache", "/var/spool",  "/var/backups", "/var/mail", "/var/www",
                                  "/home",      "/root",       "/srv",         "/opt",     "/mnt",
                                  "/media",     "/boot",       "/run",         "/run/user", "/usr",
                                  "/usr/local", "/usr/local/etc", "/etc/ssl",  "/etc/default", "/etc/systemd"};

// What zjail's own /dev always has.
constexpr string_view kPseudoDevices[] = {"/dev/null",  "/dev/zero",  "/dev/full",  "/dev/random", "/dev/urandom",
                                          "/dev/tty",   "/dev/ptmx",  "/dev/pts",   "/dev/shm",    "/dev/fd",
                                          "/dev/stdin", "/dev/stdout", "/dev/stderr"};

struct ServiceRoot {
  string_view path;
  ServiceDirKind kind;
  const char* directive;
  std::vector<string_view> shared;  // names the host's own services use: never taken over
};
const ServiceRoot kServiceRoots[] = {
    {"/var/lib", ServiceDirKind::State, "StateDirectory", {"apt", "dpkg", "misc", "private", "systemd", "ucf"}},
    {"/var/cache", ServiceDirKind::Cache, "CacheDirectory", {"apt", "debconf", "ldconfig", "man", "private"}},
    {"/var/log", ServiceDirKind::Logs, "LogsDirectory", {"apt", "installer", "journal", "private"}},
    {"/run", ServiceDirKind::Runtime, "RuntimeDirectory",
     {"credentials", "dbus", "lock", "log", "mount", "systemd", "udev", "user", "zjail"}},
};

string lower(string_view s) {
  string out(s);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool looks_secret(string_view name) {
  static const std::set<string_view> kNames = {
      ".ssh",     ".gnupg",      ".pgpass",     ".netrc",      ".aws",       ".kube",    ".docker",
      ".password-store", "private", "secret",   "secrets",     "shadow",     "gshadow",  "shadow-",
      "gshadow-", "credentials", "credstore",   "id_rsa",      "id_dsa",     "id_ecdsa", "id_ed25519",
      ".htpasswd", "htpasswd",   "master.key",  "keyring",     "keyrings"};
  static const string_view kSuffixes[] = {".key",  "_key",  ".keytab", ".p12",    ".pfx",     ".jks",
                                          ".kdbx", ".secret", ".secrets", ".gpg", "-key.pem", "_key.pem", ".priv"};
  string n = lower(name);
  if (kNames.count(n)) return true;
  for (auto s : kSuffixes)
    if (n.size() > s.size() && n.ends_with(s)) return true;
  return false;
}

bool is_broad(const string& d) {
  for (auto b : kBroad)
    if (d == b) return true;
  // A user's home, and a user's runtime directory.
  for (string_view top : {"/home/", "/run/user/"})
    if (d.starts_with(top) && d.find('/', top.size()) == string::npos) return true;
  return false;
}

bool is_pid_dir(string_view rest) {  // "self/..", "thread-self", "123/.."
  string_view first = rest.substr(0, rest.find('/'));
  if (first == "self" || first == "thread-self") return true;
  return !first.empty() && std::all_of(first.begin(), first.end(), [](char c) { return c >= '0' && c <= '9'; });
}

// The base profile's view: what it already gives a path.
struct Base {
  const Profile* p = nullptr;

  bool root_is_host() const { return p && p->root_directory.value.value_or("") == "/"; }

  bool gives(const string& path, bool write) const {
    if (!p) return false;
    // The deepest mount covering the path decides.
    size_t depth = 0;
    enum { None, Bind, BindRo, Tmpfs, TmpfsRo } what = None;
    auto consider = [&](const string& target, decltype(what) kind) {
      if (!under(path, target) || (what != None && target.size() < depth)) return;
      depth = target.size();
      what = kind;
    };
    for (const auto& b : p->binds)
      if (b.value.source == b.value.target) consider(b.value.target, b.value.read_only ? BindRo : Bind);
    for (const auto& t : p->tmpfs)
      consider(t.value.target, ("," + t.value.options + ",").find(",ro,") != string::npos ? TmpfsRo : Tmpfs);
    for (const auto& root : kServiceRoots)
      for (const auto& d : p->identity.directories[static_cast<size_t>(root.kind)])
        consider(string(root.path) + "/" + d.value.name, Bind);
    for (const auto& r : p->sandbox.read_write_paths)
      if (root_is_host()) consider(r.value.path, Bind);
    switch (what) {
      case Bind: return true;
      case BindRo: return !write;
      case Tmpfs: return write;
      case TmpfsRo: return false;
      case None: return root_is_host() && !write;
    }
    return false;
  }
  bool gives_device(const string& dev) const {
    if (!p) return false;
    for (const auto& d : p->sandbox.device_allow)
      if (d.value.specifier == dev) return true;
    return root_is_host() && !p->sandbox.private_devices.value.value_or(false) &&
           !p->sandbox.device_policy.is_set() && p->sandbox.device_allow.empty();
  }
};

// Paths that share one line, with their evidence summed.
struct Group {
  std::map<string, const PathUse*> paths;
  unsigned access = 0;
  uint64_t count = 0;
  void add(const string& p, const PathUse& u) {
    paths.emplace(p, &u);
    access |= u.access;
    count += u.seen.count;
  }
  // "K paths below it were used (read), N times in all, e.g. P: EXAMPLE"
  string below(const string& dir) const {
    const auto& [p, u] = *paths.begin();
    return comment_safe(dir) + ": " + std::to_string(paths.size()) + " path" + (paths.size() == 1 ? "" : "s") +
           " below it used (" + access_text(access) + "), " + std::to_string(count) + " times in all, e.g. " +
           comment_safe(p) + ": " + seen(u->seen);
  }
};

string one(const string& p, const PathUse& u) { return p + ": " + access_text(u.access) + ", " + seen(u.seen); }

string bind_word(const string& path) { return quote_word("-" + path); }

class Planner {
 public:
  Planner(const Observations& o, const Profile* base, const std::function<bool(const string&)>& holds_secrets)
      : o_(o), base_{base}, holds_secrets_(holds_secrets) {}

  PathResult run() {
    r_.files.title = "File system";
    r_.devices.title = "Devices";
    // A unix socket the workload connected to must be there to connect to.
    for (const auto& [target, e] : o_.connects)
      if (target.starts_with("unix:/") && !o_.paths.count(target.substr(5)))
        sockets_.emplace(target.substr(5), PathUse{kRead, false, false, e});
    for (const std::map<string, PathUse>* m : {&o_.paths, static_cast<const std::map<string, PathUse>*>(&sockets_)})
      for (const auto& [p, u] : *m) sort(p, u);
    writes();
    reads();
    devices();
    if (missing_.count)
      r_.files.notes.push_back("not bound: " + std::to_string(missing_.count) +
                               " lookups of paths the host did not have (the jail lacks them too), e.g. " +
                               comment_safe(missing_.example));
    return std::move(r_);
  }

 private:
  // Where each path goes: zjail's own trees, or the host paths to bind.
  void sort(const string& p, const PathUse& u) {
    if (p.find('\0') != string::npos || !valid_path(p)) {
      r_.files.notes.push_back("ignored, not a normalized absolute path: " + comment_safe(p));
      return;
    }
    // A bind is SOURCE[:TARGET[:OPTIONS]] and a directive one line: a path
    // the workload names with ':' or a control byte would write another
    // bind or another directive. Never bound (red team).
    if (std::any_of(p.begin(), p.end(), [](char ch) {
          auto c = static_cast<unsigned char>(ch);
          return c == ':' || c < 0x20 || c == 0x7f;
        })) {
      r_.files.notes.push_back("not bound, a bind cannot name a path with ':' or a control character: " +
                               comment_safe(p));
      return;
    }
    if (under(p, "/proc")) {
      if (p != "/proc" && !is_pid_dir(string_view(p).substr(6))) {
        r_.proc_all = true;
        r_.proc_evidence.merge(Evidence{u.seen.count, p + ": " + u.seen.example});
        if (u.access & (kWrite | kCreate | kRemove))
          r_.files.notes.push_back("not granted: " + comment_safe(one(p, u)) + " (the jail's /proc is its own, and its kernel settings read-only)");
      }
      return;
    }
    if (under(p, "/tmp") || under(p, "/var/tmp")) {
      r_.tmp_used = true;
      r_.tmp_evidence.merge(Evidence{u.seen.count, p + ": " + u.seen.example});
      // What the workload made in /tmp itself lives in the jail's private
      // one; what was there before (a directory it was given, a file it
      // read) is bound like any other path.
      const string root = under(p, "/tmp") ? "/tmp" : "/var/tmp";
      if (p == root || (parent_of(p) == root && (u.access & kCreate || u.missing))) return;
    }
    if (under(p, "/dev")) {
      if (p == "/dev/log") {
        r_.devices.notes.push_back("not granted: " + comment_safe(one(p, u)) +
                                   " (syslog's socket; zjail builds /dev itself: log to stderr, which the journal takes)");
        return;
      }
      for (auto d : kPseudoDevices)
        if (under(p, d)) return;
      if (p != "/dev" && !u.missing) devices_.emplace(p, &u);
      return;
    }
    if (u.missing && !(u.access & kCreate)) {
      missing_.merge(Evidence{1, p});
      return;
    }
    host_.emplace(p, &u);
  }

  static bool changes(const PathUse& u) { return u.access & (kWrite | kCreate | kRemove); }

  void writes() {
    for (const auto& [p, u] : host_) {
      if (!changes(*u)) continue;
      // A directory's own mode or owner changed: binding it writable would
      // open everything in it, and the root never is.
      if (p == "/" || (u->directory && !(u->access & (kCreate | kRemove)))) {
        r_.files.notes.push_back("not granted: " + comment_safe(one(p, *u)) +
                                 " (a writable bind would open all of the directory)");
        continue;
      }
      // A file made or removed needs its directory; the topmost directory
      // the workload made itself needs the one above.
      string top = p;
      if (u->access & (kCreate | kRemove)) {
        for (;;) {
          if (top == "/") break;
          auto it = host_.find(parent_of(top));
          if (it == host_.end() || it->first == top || !(it->second->access & kCreate)) break;
          top = it->first;
        }
      }
      string where = (u->access & (kCreate | kRemove)) ? parent_of(top) : p;
      if (base_.gives(where, true)) continue;
      if (where == "/tmp" || where == "/var/tmp") continue;  // the private /tmp holds it
      if (where == "/" || is_broad(top)) {
        // Made in the root, or a system-wide directory itself: nothing
        // narrower than the directory could be bound, and it never is.
        r_.files.notes.push_back("not granted: " + comment_safe(one(p, *u)) +
                                 " (made or changed in " + comment_safe(where) + ", which is never bound writable)");
        continue;
      }
      if (service_dir(where, top, p, *u)) continue;
      if (is_broad(where) || is_secret_path(where) || under(where, "/sys") || where.find(':') != string::npos ||
          secret_below(where) || shared_service_dir(where) || holds(where)) {
        // Never a system-wide or secret directory: the file alone, once it exists.
        exact_rw_[top].add(p, *u);
        r_.files.notes.push_back(comment_safe(top) + ": made in " + comment_safe(where) +
                                 ", which is not bound writable (it holds more than this workload's files): "
                                 "bound once it exists; create it beforehand");
        continue;
      }
      rw_[where].add(p, *u);
    }
  }

  // StateDirectory= & co, or /run's private tmpfs; false if neither fits.
  bool service_dir(const string& where, const string& top, const string& p, const PathUse& u) {
    for (const auto& root : kServiceRoots) {
      if (!under(where, root.path)) continue;
      string name;
      if (where.size() > root.path.size()) {
        string rest = where.substr(root.path.size() + 1);
        name = rest.substr(0, rest.find('/'));
      } else {
        // Made directly in the root: a directory is the service directory
        // itself; a file in /run goes to a private /run.
        bool dir = host_.count(top) && host_.at(top)->directory;
        if (!dir) {
          if (root.kind != ServiceDirKind::Runtime) return false;
          run_tmpfs_.add(p, u);
          return true;
        }
        name = top.substr(root.path.size() + 1);
      }
      if (std::find(root.shared.begin(), root.shared.end(), name) != root.shared.end()) return false;
      if (name.find(':') != string::npos || name == "." || name == "..") return false;
      service_[{static_cast<int>(root.kind), name}].add(p, u);
      return true;
    }
    return false;
  }

  // Below a service root (/var/lib, /run, ...), in a directory the host's
  // own services share (systemd, dpkg, ...): never bound whole.
  static bool shared_service_dir(const string& where) {
    for (const auto& root : kServiceRoots) {
      if (!under(where, root.path) || where.size() <= root.path.size()) continue;
      string rest = where.substr(root.path.size() + 1);
      string name = rest.substr(0, rest.find('/'));
      if (std::find(root.shared.begin(), root.shared.end(), name) != root.shared.end()) return true;
    }
    return false;
  }

  bool written_over(const string& p) const {
    for (const auto& [w, g] : rw_)
      if (under(p, w)) return true;
    for (const auto& [k, g] : service_)
      if (under(p, string(kServiceRoots[index_of(k.first)].path) + "/" + k.second)) return true;
    // A file directly in /run the workload changed is its own, in the
    // private /run: a bind of the host's (even read-only) would hide it.
    return exact_rw_.count(p) > 0 || run_tmpfs_.paths.count(p) > 0;
  }
  static size_t index_of(int kind) {
    for (size_t i = 0; i < std::size(kServiceRoots); ++i)
      if (static_cast<int>(kServiceRoots[i].kind) == kind) return i;
    return 0;
  }

  void reads() {
    std::map<string, const PathUse*> reads;
    std::set<string> secret_above;  // every directory above a touched secret
    for (const auto& [p, u] : host_) {
      if (is_secret_path(p))
        for (string d = parent_of(p); d != "/"; d = parent_of(d)) secret_above.insert(d);
      // The jail's root is zjail's own, never the host's.
      if (p == "/" || (u->access & kCreate) || written_over(p) || base_.gives(p, false)) continue;
      bool os = false;
      for (auto t : kOsTrees)
        if (under(p, t)) {
          os_[string(t)].add(p, *u);
          os = true;
        }
      if (os) continue;
      if (p.find(':') != string::npos) {
        r_.files.notes.push_back("not bound, ':' cannot be written in a bind: " + comment_safe(one(p, *u)));
        continue;
      }
      // A directory looked at but never listed: its being there matters,
      // not what it holds.
      if (u->directory && !(u->access & kList)) exists_.emplace(p, u);
      else reads.emplace(p, u);
    }
    std::map<string, size_t> below;
    for (const auto& [p, u] : reads)
      for (string d = parent_of(p); d != "/"; d = parent_of(d)) ++below[d];
    std::map<string, bool> foldable;
    auto can_fold = [&](const string& d) {
      auto [it, fresh] = foldable.try_emplace(d, false);
      if (fresh)
        it->second = !is_broad(d) && !under(d, "/sys") && !is_secret_path(d) && !secret_above.count(d) &&
                     !secret_below(d) && d.find(':') == string::npos && !holds(d);
      return it->second;
    };
    std::map<string, Group> folded, exact;
    for (const auto& [p, u] : reads) {
      std::vector<string> up;
      for (string d = parent_of(p); d != "/"; d = parent_of(d)) up.push_back(d);
      std::reverse(up.begin(), up.end());
      if (u->directory && (u->access & kList)) up.push_back(p);  // listed: the workload saw its names
      string into;
      for (const auto& d : up)
        if ((below[d] >= 2 || d == p) && can_fold(d)) {
          into = d;
          break;
        }
      // A directory that cannot fold is never bound whole: what it holds
      // was not used, only its names.
      if (into.empty() && u->directory) exists_.emplace(p, u);
      else if (into.empty()) exact[p].add(p, *u);
      else folded[into].add(p, *u);
    }
    for (const auto& [t, g] : os_)
      r_.files.lines.push_back({"BindReadOnlyPaths", bind_word(t),
                                {g.below(t), "an OS tree (programs, libraries, their data): bound whole, read-only"}});
    os_exec();
    for (const auto& [d, g] : folded)
      r_.files.lines.push_back({"BindReadOnlyPaths", bind_word(d),
                                {g.below(d), "folded: not a system-wide directory, and no secret lies below it"}});
    for (const auto& [p, g] : exact) {
      const PathUse& u = *g.paths.begin()->second;
      Line l{"BindReadOnlyPaths", bind_word(p), {comment_safe(one(p, u))}};
      if (is_secret_path(p)) l.why.push_back("a secret: bound alone and read-only, because the workload read it");
      r_.files.lines.push_back(std::move(l));
    }
    for (const auto& [w, g] : rw_) {
      Line l{"BindPaths", bind_word(w), {g.paths.count(w) ? comment_safe(one(w, *g.paths.at(w))) : g.below(w)}};
      if (!g.paths.count(w)) l.why.push_back("files were made or removed in it: the directory itself, read-write");
      r_.files.lines.push_back(std::move(l));
    }
    for (const auto& [p, g] : exact_rw_)
      r_.files.lines.push_back({"BindPaths", bind_word(p), {g.below(p)}});
    // The mode each kind's directories have on the host, as the daemon
    // made or checked them (chronyd refuses a /run/chrony others may
    // enter): one mode per kind, as in systemd.
    std::map<int, std::set<mode_t>> modes;
    for (const auto& [k, g] : service_) {
      const auto& root = kServiceRoots[index_of(k.first)];
      string dir = string(root.path) + "/" + k.second;
      r_.files.lines.push_back(
          {root.directive, quote_word(k.second),
           {g.below(dir), "made by zjail if missing, owned by the workload's user, read-write"}});
      struct stat st{};
      if (::lstat(dir.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) modes[k.first].insert(st.st_mode & 07777);
    }
    for (const auto& [kind, m] : modes) {
      const auto& root = kServiceRoots[index_of(kind)];
      if (m.size() != 1) {
        r_.files.notes.push_back(string(root.directive) + "= directories have different modes on the host: " +
                                 "zjail's default, 0755, for all");
        continue;
      }
      if (*m.begin() == 0755) continue;
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(*m.begin()));
      r_.files.lines.push_back({string(root.directive) + "Mode", octal,
                                {string("the mode the host's directory has: the daemon may check it")}});
    }
    empty_dirs();
    if (run_tmpfs_.count)
      r_.files.lines.push_back({"TemporaryFileSystem", "/run:mode=1777",
                                {run_tmpfs_.below("/run"),
                                 "files made directly in /run: a private, empty /run for them (the host's stays "
                                 "out of reach)"}});
  }

  // An OS tree bound whole holds every program of the host (shells,
  // interpreters): it is noexec, and only the files the workload executed
  // or mapped executable (its binary, the loader, its libraries, a helper
  // it ran) keep exec, each on its own. A shell the workload never ran
  // cannot be executed, nor mapped by the loader (noexec refuses PROT_EXEC).
  void os_exec() {
    std::map<string, const PathUse*> exec;
    for (const auto& [t, g] : os_)
      for (const auto& [p, u] : g.paths)
        if (u->access & kExec) exec.emplace(p, u);
    for (const auto& [t, g] : os_) {
      // /lib -> usr/lib (merged /usr): the tree is bound as the directory it
      // names, a mount apart from /usr's, and the loader opens libraries by
      // the /lib path; a file executed under the target keeps exec here too.
      std::error_code ec;
      string target = std::filesystem::canonical(t, ec).string();
      if (ec) target = string(t);
      std::map<string, std::pair<string, const PathUse*>> here;  // the path in this tree -> as seen
      for (const auto& [p, u] : exec) {
        if (under(p, t)) here.emplace(p, std::pair{p, u});
        else if (target != t && under(p, target)) here.emplace(string(t) + p.substr(target.size()), std::pair{p, u});
      }
      r_.files.lines.push_back({"NoExecPaths", bind_word(t),
                                {comment_safe(t) + ": " + std::to_string(here.size()) + " file" +
                                     (here.size() == 1 ? "" : "s") + " in it executed or mapped executable",
                                 "nothing else there may run: programs the workload never ran (a shell) stay "
                                 "unexecutable"}});
      for (const auto& [p, as] : here) {
        const auto& [seen_as, u] = as;
        Line l{"ExecPaths", bind_word(p), {comment_safe(one(seen_as, *u))}};
        if (p != seen_as) l.why.push_back("the same file, as " + comment_safe(t) + " shows it");
        r_.files.lines.push_back(std::move(l));
      }
    }
  }

  // A directory the workload only looked at, with nothing bound in it or
  // over it: an empty read-only tmpfs is there, not the host's contents.
  void empty_dirs() {
    std::vector<string> targets;
    for (const auto& l : r_.files.lines) {
      std::vector<string> w;
      string err;
      if (split_words(l.value, w, err) && w.size() == 1) targets.push_back(w[0].substr(w[0][0] == '-'));
    }
    for (const auto& [k, g] : service_) targets.push_back(string(kServiceRoots[index_of(k.first)].path) + "/" + k.second);
    if (run_tmpfs_.count) targets.push_back("/run");
    for (const auto& [dir, u] : exists_) {
      const string& d = dir;  // a plain reference: a lambda may not capture a structured binding (C++20, clang)
      if (d == "/" || std::any_of(targets.begin(), targets.end(), [&](const string& t) { return under(d, t) || under(t, d); }))
        continue;
      r_.files.lines.push_back({"TemporaryFileSystem", quote_word(d + ":ro,mode=0755"),
                                {comment_safe(one(d, *u)),
                                 "a directory only looked at, never listed: an empty one stands in for it"}});
    }
  }

  bool secret_below(const string& d) const {
    for (auto s : kSecretPaths)
      if (under(s, d)) return true;
    return false;
  }
  bool holds(const string& d) const { return holds_secrets_ ? holds_secrets_(d) : host_dir_holds_secrets(d); }

  void devices() {
    for (const auto& [dev, u] : devices_) {
      if (base_.gives_device(dev)) continue;
      if (dev.find_first_of(" \t\"'\\") != string::npos) {
        r_.devices.notes.push_back("not granted, an odd device name: " + comment_safe(dev));
        continue;
      }
      // A disk, or the kernel's memory: the host itself. Learning records
      // attempts as needs, so a workload could ask for these by failing to
      // open them: never granted by learning, only by hand.
      struct stat st{};
      bool host_itself = (lstat(dev.c_str(), &st) == 0 && S_ISBLK(st.st_mode)) || dev == "/dev/mem" ||
                         dev == "/dev/kmem" || dev == "/dev/port" || under(dev, "/dev/disk") ||
                         under(dev, "/dev/mapper");
      if (host_itself) {
        r_.devices.notes.push_back("not granted, a disk or the kernel's memory (add it by hand if it is truly "
                                   "needed): " + comment_safe(one(dev, *u)));
        continue;
      }
      string mode = (u->access & kWrite) ? ((u->access & kRead) ? "rw" : "w") : "r";
      r_.devices.lines.push_back({"DeviceAllow", dev + " " + mode, {comment_safe(one(dev, *u))}});
    }
  }

  const Observations& o_;
  Base base_;
  const std::function<bool(const string&)>& holds_secrets_;
  PathResult r_;
  std::map<string, PathUse> sockets_;
  std::map<string, const PathUse*> host_, devices_, exists_;
  Evidence missing_;
  std::map<string, Group> os_, rw_, exact_rw_;
  std::map<std::pair<int, string>, Group> service_;
  Group run_tmpfs_;
};

}  // namespace

bool is_secret_path(const string& p) {
  for (auto s : kSecretPaths)
    if (under(p, s)) return true;
  // A dot file or directory in a user's home (.ssh, .bash_history, ...).
  if (p.starts_with("/home/")) {
    size_t user_end = p.find('/', 6);
    if (user_end != string::npos && user_end + 1 < p.size() && p[user_end + 1] == '.') return true;
  }
  size_t i = 1;
  while (i < p.size()) {
    size_t j = std::min(p.find('/', i), p.size());
    if (looks_secret(string_view(p).substr(i, j - i))) return true;
    i = j + 1;
  }
  return false;
}

// Names only, never contents; symlinks are not followed. A directory that
// cannot be read whole (missing, unreadable, too big) counts as holding one:
// folding is for what is known to be harmless.
bool host_dir_holds_secrets(const string& dir) {
  namespace fs = std::filesystem;
  constexpr size_t kMaxEntries = 4096;
  constexpr int kMaxDepth = 8;
  std::error_code ec;
  if (!fs::is_directory(fs::symlink_status(dir, ec))) return true;
  fs::recursive_directory_iterator it(dir, fs::directory_options::none, ec), end;
  if (ec) return true;
  size_t n = 0;
  for (; it != end; it.increment(ec)) {
    if (ec || ++n > kMaxEntries || it.depth() > kMaxDepth) return true;
    if (looks_secret(it->path().filename().string())) return true;
    std::error_code sec;
    auto st = it->symlink_status(sec);
    if (sec) return true;
    // A directory it cannot list may hide anything.
    if (fs::is_directory(st) && ::access(it->path().c_str(), R_OK | X_OK) != 0) return true;
  }
  return ec ? true : false;
}

PathResult plan_paths(const Observations& o, const Profile* base,
                      const std::function<bool(const std::string&)>& holds_secrets) {
  return Planner(o, base, holds_secrets).run();
}

}  // namespace zjail::learn::detail
