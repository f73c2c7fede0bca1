// Profile files in systemd's unit-file syntax: lines, sections, comments,
// continuation and quoting; Include=, drop-ins and the search path. What each
// directive means lives in directives.cpp.
#include "zjail/parser.hpp"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>
#include <map>

#include "directives.hpp"
#include "profile_files.hpp"
#include "syntax.hpp"
#include "zjail/trust.hpp"
#include "zjail/suggest.hpp"

// ZJAIL_SYSCONF_PROFILES, ZJAIL_DATA_PROFILES: from the install prefix
// (jail/CMakeLists.txt).

namespace zjail {
namespace {

namespace fs = std::filesystem;
using std::string;
using std::string_view;

// Include= nesting, drop-ins counted as one more level.
constexpr size_t kMaxDepth = 16;

// One directive line applied, for the Include= check below.
struct Applied {
  string key;
  Origin origin;
  bool reset;                     // the empty assignment
  std::vector<string> touches;    // the settings it decides (touched_settings)
};

// The files being read, outermost first: for cycle detection and depth.
struct LoadContext {
  const std::vector<string>& search_path;
  const ProfileTrust& trust;
  std::vector<string> canonical;
  std::vector<string> shown;  // as named in messages
  std::vector<Applied> applied;  // every directive line, in the order applied
  std::vector<Origin> includes;  // the Include= lines being followed, outermost first
};

// What one line decides, beyond its own name: the mount points of binds and
// tmpfs (a later mount on the same point is the one the jail sees; PrivateTmp=
// is the mount on /tmp), and the variables of the environment directives
// (UnsetEnvironment= and PassEnvironment= win over Environment= whatever the
// order). A growing list touches nothing else: its entries add up.
std::vector<string> touched_settings(string_view key, string_view value, const Origin& at) {
  const Directive* d = find_directive(key);
  std::vector<string> out;
  if (!d || d->merge != Directive::Merge::Accumulate) out.emplace_back(key);
  // Only these decide more than their own name; the others are not parsed
  // twice (a syscall group's expansion is not free).
  static constexpr string_view kDeeper[] = {"BindPaths",   "BindReadOnlyPaths", "TemporaryFileSystem",
                                            "PrivateTmp",  "Environment",       "PassEnvironment",
                                            "UnsetEnvironment"};
  if (std::find(std::begin(kDeeper), std::end(kDeeper), key) == std::end(kDeeper)) return out;
  Profile scratch;
  if (!apply_directive(scratch, key, value, at)) return out;
  auto path = [](const string& p) {
    string norm;
    for (const auto& c : path_components(p)) norm += "/" + c;
    return "mount point " + (norm.empty() ? string("/") : norm);
  };
  for (const auto& b : scratch.binds) out.push_back(path(b.value.target.empty() ? b.value.source : b.value.target));
  for (const auto& t : scratch.tmpfs) out.push_back(path(t.value.target));
  if (key == "PrivateTmp") out.push_back(path("/tmp"));
  auto var = [](const string& kv) { return "variable " + kv.substr(0, kv.find('=')); };
  for (const auto* list : {&scratch.environment, &scratch.pass_environment, &scratch.unset_environment})
    for (const auto& e : *list) out.push_back(var(e.value));
  return out;
}

// Lines of one file above the line being read: what each touches and which
// directives were written, with the first line that did.
struct SetHere {
  std::map<string, Origin, std::less<>> touched;
  std::map<string, Origin, std::less<>> keys;
};

// An Include= must not undo what the same file said above it: the reader
// sees the line, but the include's value is the one that applies (a
// PrivateNetwork=yes above Include=network-service became the host's
// network). Lines below the Include= are the way to override it.
Status check_include_overrides(const LoadContext& ctx, size_t first, const SetHere& here, const Origin& include) {
  auto refuse = [&](const Origin& above, const string& above_key, const Applied& a, const string& how) {
    return profile_error(above, above_key + "= here is overridden by the Include= on line " +
                                    std::to_string(include.line) + " (" + a.origin.str() + " " + how +
                                    "); move it below that Include= line");
  };
  for (size_t i = first; i < ctx.applied.size(); ++i) {
    const Applied& a = ctx.applied[i];
    if (auto it = here.keys.find(a.key); it != here.keys.end() && a.reset) return refuse(it->second, a.key, a, "resets it");
    for (const auto& t : a.touches) {
      auto it = here.touched.find(t);
      if (it == here.touched.end()) continue;
      // Which line above: the first one whose key is t, or that touched t.
      string above_key = t;
      for (const auto& [k, o] : here.keys)
        if (o.line == it->second.line && o.file == it->second.file) above_key = k;
      const Directive* d = find_directive(a.key);
      string how = t == a.key ? (d && d->merge == Directive::Merge::Ordered ? "adds to it after" : "sets it again")
                              : a.key + "= decides the same " + t;
      return refuse(it->second, above_key, a, how);
    }
  }
  return {};
}

bool ends_with(string_view s, string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

string canonical_path(const string& path) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(path, ec);
  return ec ? path : c.string();
}

// systemd: a trailing backslash continues the line unless it is escaped.
bool continues(string_view line) {
  size_t n = 0;
  while (n < line.size() && line[line.size() - 1 - n] == '\\') ++n;
  return n % 2 == 1;
}

Status load_file(LoadContext& ctx, Profile& into, const string& path, const Origin* from, bool dropins);

// An error inside an included file names that file; the Include= lines that
// led there follow, innermost first, so the admin finds the line to change in
// the profile they wrote: "b.profile:3: ... (included from a.profile:2, x:5)".
// Said once, by the innermost file that saw it fail (an error with a trail
// has its chain), from the chain being followed rather than from the
// message, whose text a profile may choose.
Error with_include_chain(Error e, const LoadContext& ctx) {
  if (!e.trail.empty() || ctx.includes.empty()) return e;
  string chain = "(included from ";
  for (auto it = ctx.includes.rbegin(); it != ctx.includes.rend(); ++it)
    chain += (it == ctx.includes.rbegin() ? "" : ", ") + it->str();
  e.trail = chain + ")";
  return e;
}

Status include(LoadContext& ctx, Profile& into, string_view value, const Origin& at) {
  if (value.empty()) return profile_error(at, "Include= needs a profile name or a path");
  string path(value);
  if (value.find('/') == string_view::npos) {
    // The search path first, so /etc keeps overriding; then the including
    // file's own directory, so a profile loaded by path finds its siblings.
    auto found = find_profile(path, ctx.search_path);
    fs::path sibling = fs::path(at.file).parent_path() / (path + ".profile");
    std::error_code ec;
    if (found) path = std::move(found).value();
    else if (!at.file.empty() && fs::is_regular_file(sibling, ec)) path = sibling.string();
    else return std::move(found).error().wrap(Step::Profile, at.str());
  } else if (value[0] != '/') {
    fs::path dir = fs::path(at.file).parent_path();
    if (!dir.empty()) path = (dir / value).lexically_normal().string();
  }
  return load_file(ctx, into, path, &at, true);
}

Status handle_line(LoadContext& ctx, Profile& into, string_view line, const Origin& at, bool& in_jail,
                   SetHere& here) {
  if (line.front() == '[') {
    if (line.back() != ']') return profile_error(at, "expected a section header such as [Jail]");
    string_view name = line.substr(1, line.size() - 2);
    if (name != "Jail")
      return profile_error(at, "unknown section '[" + string(name) + "]': profiles have a single [Jail] section" +
                                   did_you_mean(name, {"Jail"}));
    in_jail = true;
    return {};
  }
  size_t eq = line.find('=');
  // Before [Jail], such a line says the file is no profile (an Include= of
  // the wrong path): it is not quoted, since it may be anything, such as a
  // line of /etc/shadow, and the message goes to the journal.
  if (eq == string_view::npos && !in_jail)
    return profile_error(at, "expected [Jail] or a comment first: this does not read as a profile");
  if (eq == string_view::npos)
    return profile_error(at, "expected Key=value, a [section] or a comment, not '" + string(line) + "'");
  string_view key = trim(line.substr(0, eq)), value = trim(line.substr(eq + 1));
  if (key.empty()) return profile_error(at, "missing directive name before '='");
  if (!in_jail) return profile_error(at, "'" + string(key) + "=' outside the [Jail] section");
  if (key == "Include") {
    size_t first = ctx.applied.size();
    ZJAIL_TRY(include(ctx, into, value, at));
    return check_include_overrides(ctx, first, here, at);
  }
  ZJAIL_TRY(apply_directive(into, key, value, at));
  Applied a{string(key), at, value.empty(), touched_settings(key, value, at)};
  here.keys.emplace(a.key, at);
  for (const auto& t : a.touches) here.touched.emplace(t, at);
  ctx.applied.push_back(std::move(a));
  return {};
}

Status parse_text(LoadContext& ctx, Profile& into, string_view text, const string& file) {
  bool in_jail = false;
  SetHere here;
  string logical;      // the line being continued
  bool open = false;   // whether `logical` ends in a continuation
  int lineno = 0, start = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = std::min(text.find('\n', pos), text.size());
    string_view raw = text.substr(pos, nl - pos);
    pos = nl + 1;
    ++lineno;
    // A NUL would cut a path short once it reaches the kernel: the file
    // would name one path and zjail would mount another.
    if (raw.find('\0') != string_view::npos)
      return profile_error(Origin{file, lineno}, "NUL byte in the profile");
    string_view line = trim(raw);
    // Comment lines are skipped even in the middle of a continuation.
    if (!line.empty() && (line[0] == '#' || line[0] == ';')) continue;
    if (!open) {
      logical.clear();
      start = lineno;
    }
    logical += line;
    open = continues(logical);
    if (open) {
      logical.back() = ' ';
      continue;
    }
    string_view whole = trim(logical);
    if (!whole.empty()) ZJAIL_TRY(handle_line(ctx, into, whole, Origin{file, start}, in_jail, here));
  }
  string_view rest = trim(logical);
  if (open && !rest.empty()) ZJAIL_TRY(handle_line(ctx, into, rest, Origin{file, start}, in_jail, here));
  return {};
}

// NAME.profile.d/*.conf from every search-path directory, then from the
// profile's own directory. A file name seen first masks the same name later
// on the path; the survivors apply in lexical order of their file names.
Status apply_dropins(LoadContext& ctx, Profile& into, const string& path) {
  string name = fs::path(path).filename().string();
  if (!ends_with(name, ".profile")) return {};
  std::vector<fs::path> dirs;
  for (const auto& d : ctx.search_path) dirs.push_back(fs::path(d) / (name + ".d"));
  dirs.push_back(fs::path(path).parent_path() / (name + ".d"));
  std::map<string, string> chosen;
  for (const auto& dir : dirs) ZJAIL_TRY(add_dropins(dir.string(), ctx.trust, chosen));
  for (const auto& [file, full] : chosen) ZJAIL_TRY(load_file(ctx, into, full, nullptr, false));
  return {};
}

Status load_file(LoadContext& ctx, Profile& into, const string& path, const Origin* from, bool dropins) {
  // Drop-ins have no Include= line to blame: their errors name the file.
  auto fail = [&](const string& message) {
    return from ? profile_error(*from, message) : make_error(Step::Profile, 0, path + ": " + message);
  };
  string canon = canonical_path(path);
  if (std::find(ctx.canonical.begin(), ctx.canonical.end(), canon) != ctx.canonical.end()) {
    string chain;
    for (const auto& s : ctx.shown) chain += s + " -> ";
    return fail("include cycle: " + chain + path);
  }
  if (ctx.canonical.size() >= kMaxDepth)
    return fail("profiles nested more than " + std::to_string(kMaxDepth) + " deep (Include= or drop-ins)");
  auto text = read_profile_file(path, from ? "Include=" : dropins ? "profile " : "drop-in ", ctx.trust);
  if (!text) {
    if (!from) return std::move(text).error();
    return std::move(text).error().wrap(Step::Profile, from->str());
  }
  ctx.canonical.push_back(canon);
  ctx.shown.push_back(path);
  if (from) ctx.includes.push_back(*from);
  into.sources.push_back(path);
  Status read = parse_text(ctx, into, *text, path);
  if (read && dropins) read = apply_dropins(ctx, into, path);
  if (!read) return with_include_chain(std::move(read).error(), ctx);
  if (from) ctx.includes.pop_back();
  ctx.canonical.pop_back();
  ctx.shown.pop_back();
  return {};
}

}  // namespace

// --- Search path ---------------------------------------------------------------------

std::vector<string> profile_search_path(const char* env_path) {
  std::vector<string> dirs = {ZJAIL_SYSCONF_PROFILES, ZJAIL_DATA_PROFILES};
  string_view env = env_path ? env_path : "";
  while (!env.empty()) {
    size_t colon = std::min(env.find(':'), env.size());
    if (colon > 0) dirs.emplace_back(env.substr(0, colon));
    env.remove_prefix(std::min(colon + 1, env.size()));
  }
  return dirs;
}

Result<string> find_profile(const string& name_or_path, const std::vector<string>& search_path) {
  struct stat st;
  if (name_or_path.find('/') != string::npos) {
    if (stat(name_or_path.c_str(), &st) != 0) return make_error(Step::Profile, errno, name_or_path);
    if (S_ISDIR(st.st_mode)) return make_error(Step::Profile, EISDIR, name_or_path);
    return name_or_path;
  }
  if (name_or_path.empty()) return make_error(Step::Profile, 0, "empty profile name");
  for (const auto& dir : search_path) {
    string candidate = dir + "/" + name_or_path + ".profile";
    if (stat(candidate.c_str(), &st) == 0 && !S_ISDIR(st.st_mode)) return candidate;
  }
  string dirs;
  for (const auto& dir : search_path) dirs += (dirs.empty() ? "" : ", ") + dir;
  std::vector<string> names;
  for (auto& [name, path] : list_profiles(search_path)) names.push_back(std::move(name));
  return make_error(Step::Profile, 0, "profile '" + name_or_path + "' not found in: " + dirs +
                                          did_you_mean(name_or_path, names));
}

Status load_profile(Profile& into, const string& name_or_path, const std::vector<string>& search_path,
                    const ProfileTrust& trust) {
  ZJAIL_TRY_ASSIGN(auto path, find_profile(name_or_path, search_path));
  LoadContext ctx{search_path, trust, {}, {}, {}, {}};
  return load_file(ctx, into, path, nullptr, true);
}

Status load_profile_text(Profile& into, string_view text, const string& file,
                         const std::vector<string>& search_path, const ProfileTrust& trust) {
  LoadContext ctx{search_path, trust, {canonical_path(file)}, {file}, {}, {}};
  into.sources.push_back(file);
  return parse_text(ctx, into, text, file);
}

std::vector<std::pair<string, string>> list_profiles(const std::vector<string>& search_path) {
  std::map<string, string> found;
  for (const auto& dir : search_path) {
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
      const fs::path& p = it->path();
      std::error_code e2;
      if (p.extension() != ".profile" || p.stem().empty() || !it->is_regular_file(e2)) continue;
      found.emplace(p.stem().string(), p.string());
    }
  }
  return {found.begin(), found.end()};
}

}  // namespace zjail
