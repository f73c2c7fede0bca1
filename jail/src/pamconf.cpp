// The pam.conf parser. It decides who is confined, so it is as strict as the
// profile parser: anything ambiguous is an error rather than a guess.
#include "zjail/pamconf.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>

#include "zjail/fd.hpp"
#include "zjail/trust.hpp"
#include "zjail/users.hpp"

namespace zjail {
namespace {

// POSIX portable user and group names, plus the trailing '$' of machine
// accounts: what useradd accepts by default on Debian.
bool valid_account_name(std::string_view s) {
  if (s.empty() || s.size() > 32) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
              (i > 0 && ((c >= '0' && c <= '9') || c == '-' || c == '.')) ||
              (c == '$' && i + 1 == s.size() && i > 0);
    if (!ok) return false;
  }
  return true;
}

bool valid_profile_ref(std::string_view s) {
  if (s.empty()) return false;
  if (s[0] == '/') {
    // An absolute path; the loader checks that it is trustworthy.
    return s.find("/../") == std::string_view::npos && !s.ends_with("/..") &&
           s.find('\0') == std::string_view::npos;
  }
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.' || c == '@';
  }) && s != "." && s != "..";
}

std::vector<std::string_view> fields(std::string_view line) {
  std::vector<std::string_view> out;
  size_t i = 0;
  while (i < line.size()) {
    while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
    if (i >= line.size()) break;
    size_t j = i;
    while (j < line.size() && line[j] != ' ' && line[j] != '\t') ++j;
    out.push_back(line.substr(i, j - i));
    i = j;
  }
  return out;
}

std::string subject_text(const PamRule& r) {
  switch (r.kind) {
    case PamRule::Kind::User: return r.name;
    case PamRule::Kind::Group: return "@" + r.name;
    case PamRule::Kind::Everyone: return "*";
  }
  return "";
}

}  // namespace

Result<PamConfig> parse_pam_config(std::string_view text, const std::string& file) {
  PamConfig conf;
  conf.file = file;
  int everyone_line = 0;
  int lineno = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t nl = text.find('\n', pos);
    std::string_view line = text.substr(pos, nl == std::string_view::npos ? std::string_view::npos : nl - pos);
    pos = nl == std::string_view::npos ? text.size() : nl + 1;
    ++lineno;
    auto err = [&](const std::string& msg) {
      return make_error(Step::PamConfig, 0, file + ":" + std::to_string(lineno) + ": " + msg);
    };
    if (line.find('\0') != std::string_view::npos) return err("NUL byte in line");
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    size_t hash = line.find('#');
    if (hash != std::string_view::npos) line = line.substr(0, hash);
    auto f = fields(line);
    if (f.empty()) continue;
    if (f.size() != 2)
      return err("expected 'SUBJECT PROFILE' (two fields), got " + std::to_string(f.size()));

    PamRule rule;
    rule.line = lineno;
    std::string_view subject = f[0];
    if (subject == "*") {
      rule.kind = PamRule::Kind::Everyone;
    } else if (subject[0] == '@') {
      rule.kind = PamRule::Kind::Group;
      rule.name = std::string(subject.substr(1));
      if (!valid_account_name(rule.name)) return err("invalid group name '" + std::string(subject) + "'");
    } else {
      rule.kind = PamRule::Kind::User;
      rule.name = std::string(subject);
      if (!valid_account_name(rule.name)) return err("invalid user name '" + std::string(subject) + "'");
    }
    if (f[1] != "-") {
      if (!valid_profile_ref(f[1]))
        return err("invalid profile '" + std::string(f[1]) + "' (a NAME, an absolute path, or '-')");
      rule.profile = std::string(f[1]);
    }
    // A line that can never match is a mistake the admin should hear about.
    if (everyone_line)
      return err("'" + subject_text(rule) + "' is never reached: '*' on line " +
                 std::to_string(everyone_line) + " matches every user first");
    for (const auto& prev : conf.rules)
      if (prev.kind == rule.kind && prev.name == rule.name)
        return err("'" + subject_text(rule) + "' is already mapped on line " + std::to_string(prev.line));
    if (rule.kind == PamRule::Kind::Everyone) everyone_line = lineno;
    conf.rules.push_back(std::move(rule));
  }
  return conf;
}

Result<PamConfig> load_pam_config(const std::string& path) {
  auto fd = open_trusted_file(path);
  if (!fd) return std::move(fd).error().wrap(Step::PamConfig, "");
  std::string text;
  char buf[4096];
  ssize_t n;
  while ((n = read(fd->get(), buf, sizeof buf)) > 0) {
    text.append(buf, static_cast<size_t>(n));
    if (text.size() > (1u << 20)) return make_error(Step::PamConfig, EFBIG, path);
  }
  if (n < 0) return make_error(Step::PamConfig, errno, path);
  return parse_pam_config(text, path);
}

Result<PamLogin> resolve_pam_login(const std::string& typed) {
  ZJAIL_TRY_ASSIGN(auto u, lookup_user_name(typed));
  return PamLogin{u.name, u.uid, group_list(u.name, u.gid)};
}

PamSubject resolve_pam_subject(const PamRule& rule) {
  PamSubject s;
  auto answer = [&](const Error& e) {
    s.state = e.err == 0 ? PamSubject::State::Missing : PamSubject::State::Failed;
    s.err = e.err;
  };
  if (rule.kind == PamRule::Kind::User) {
    auto u = lookup_user_name(rule.name);
    if (!u) answer(u.error());
    else s = PamSubject{PamSubject::State::Found, u->uid, {}, 0};
  } else if (rule.kind == PamRule::Kind::Group) {
    auto g = lookup_group_name(rule.name);
    if (!g) answer(g.error());
    else s = PamSubject{PamSubject::State::Found, g->gid, std::move(g->members), 0};
    // Found or not, a module that is down may hold the members.
    if (s.state != PamSubject::State::Failed)
      if (auto st = group_backends_answer(rule.name); !st) answer(st.error());
  }
  return s;
}

Result<std::optional<PamRule>> match_pam_rule(const PamConfig& conf, const PamLogin& who,
                                              const PamResolver& resolve) {
  for (const auto& r : conf.rules) {
    if (r.kind == PamRule::Kind::Everyone) return std::optional<PamRule>(r);
    const char* what = r.kind == PamRule::Kind::User ? "user" : "group";
    std::string at = conf.file + ":" + std::to_string(r.line) + ": ";
    PamSubject s = resolve(r);
    if (s.state == PamSubject::State::Failed)
      return make_error(Step::PamConfig, s.err, at + "looking up " + what + " '" + r.name + "'");
    bool hit = false;
    if (r.kind == PamRule::Kind::User) {
      hit = r.name == who.name || (s.state == PamSubject::State::Found && s.id == who.uid);
    } else if (s.state == PamSubject::State::Found) {
      hit = std::find(who.groups.begin(), who.groups.end(), static_cast<gid_t>(s.id)) != who.groups.end() ||
            std::find(s.members.begin(), s.members.end(), who.name) != s.members.end();
    }
    if (hit) return std::optional<PamRule>(r);
    if (s.state == PamSubject::State::Missing && !r.profile.empty())
      return make_error(Step::PamConfig, 0,
                        at + "no " + what + " '" + r.name + "' is known, so whether it means " + who.name +
                            " cannot be told; the line confines, so the login is refused");
  }
  return std::optional<PamRule>();
}

}  // namespace zjail
