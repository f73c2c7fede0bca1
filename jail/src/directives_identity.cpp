// Identity, service directories and credentials: DynamicUser=,
// PrivateUsers=, UMask=, RuntimeDirectory= and its siblings with their
// modes, RuntimeDirectoryPreserve=, and the credential directives, with
// systemd's value syntax (systemd.exec(5)). They fill Profile::identity;
// plan_identity.cpp, service_dirs.cpp and credentials.cpp give them effect.
#include <algorithm>
#include <cctype>
#include <cstdio>

#include "directives.hpp"
#include "show.hpp"

namespace zjail {
namespace {

using std::string;
using std::string_view;

Identity& id(Profile& p) { return p.identity; }

constexpr const char* kDirKeys[kServiceDirKinds] = {"RuntimeDirectory", "StateDirectory", "CacheDirectory",
                                                    "LogsDirectory", "ConfigurationDirectory"};

// A relative path as systemd's *Directory= takes it: no "..", no leading
// '/', normalised to "a/b". "" when it is not one.
string relative_path(string_view p) {
  if (p.empty() || p[0] == '/') return "";
  string out;
  size_t i = 0;
  while (i < p.size()) {
    size_t j = std::min(p.find('/', i), p.size());
    string_view comp = p.substr(i, j - i);
    if (comp == ".." || comp.size() > 255) return "";
    if (!comp.empty() && comp != ".") out += (out.empty() ? "" : "/") + string(comp);
    i = j + 1;
  }
  return out;
}

template <ServiceDirKind K>
Status service_directory(Profile& p, const Assignment& a) {
  auto& list = id(p).directories[static_cast<size_t>(K)];
  if (a.value.empty()) return list.clear(), Status{};
  ZJAIL_TRY_ASSIGN(auto words, words_of(a));
  std::vector<ServiceDir> dirs;
  for (string_view w : words) {
    size_t colon = w.find(':');
    ServiceDir d{relative_path(w.substr(0, colon)), ""};
    if (d.name.empty()) return invalid_value(a, "'" + string(w) + "': expected relative directory names without '..'");
    // DynamicUser= keeps its directories under private/: a directory of that
    // name would hand them all to one service.
    if (K != ServiceDirKind::Runtime && K != ServiceDirKind::Configuration &&
        (d.name == "private" || d.name.starts_with("private/")))
      return invalid_value(a, "'" + string(w) + "': private/ is where DynamicUser= keeps its directories");
    if (colon != string_view::npos) {
      if (K == ServiceDirKind::Configuration)
        return invalid_value(a, "'" + string(w) + "': ConfigurationDirectory= takes no symlink (NAME:LINK)");
      d.link = relative_path(w.substr(colon + 1));
      if (d.link.empty() || d.link == d.name)
        return invalid_value(a, "'" + string(w) + "': the symlink after ':' is a relative path other than the directory");
    }
    dirs.push_back(std::move(d));
  }
  for (auto& d : dirs) {
    bool dup = std::any_of(list.begin(), list.end(), [&](const auto& i) {
      return i.value.name == d.name && i.value.link == d.link;
    });
    if (!dup) list.push_back({std::move(d), a.origin});
  }
  return {};
}

bool parse_mode(string_view v, mode_t& out) {
  if (v.empty() || v.size() > 5 || v.find_first_not_of("01234567") != string_view::npos) return false;
  unsigned m = 0;
  for (char c : v) m = m * 8 + static_cast<unsigned>(c - '0');
  if (m > 07777) return false;
  out = static_cast<mode_t>(m);
  return true;
}

template <ServiceDirKind K>
Status directory_mode(Profile& p, const Assignment& a) {
  auto& s = id(p).directory_mode[static_cast<size_t>(K)];
  if (a.value.empty()) return s = {}, Status{};
  mode_t m;
  if (!parse_mode(a.value, m)) return invalid_value(a, "expected an octal access mode such as 0750");
  assign(s, m, a.origin);
  return {};
}

Status umask_directive(Profile& p, const Assignment& a) {
  if (a.value.empty()) return id(p).umask = {}, Status{};
  mode_t m;
  if (!parse_mode(a.value, m)) return invalid_value(a, "expected an octal mask such as 0027");
  assign(id(p).umask, m, a.origin);
  return {};
}

Status runtime_preserve(Profile& p, const Assignment& a) {
  if (a.value.empty()) return id(p).runtime_preserve = {}, Status{};
  if (a.value == "restart") {
    assign(id(p).runtime_preserve, RuntimePreserve::Restart, a.origin);
    return {};
  }
  auto b = parse_bool(a.value);
  if (!b) return invalid_value(a, "expected a boolean or 'restart'");
  assign(id(p).runtime_preserve, *b ? RuntimePreserve::Yes : RuntimePreserve::No, a.origin);
  return {};
}

Status dynamic_user(Profile& p, const Assignment& a) {
  if (a.value.empty()) return id(p).dynamic_user = {}, Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid_value(a, "expected a boolean");
  assign(id(p).dynamic_user, *b, a.origin);
  return {};
}

Status private_users(Profile& p, const Assignment& a) {
  static const std::pair<const char*, PrivateUsersMode> kNames[] = {
      {"self", PrivateUsersMode::Self}, {"identity", PrivateUsersMode::Identity},
      {"full", PrivateUsersMode::Full}, {"managed", PrivateUsersMode::Managed}};
  if (a.value.empty()) return id(p).private_users = {}, Status{};
  for (const auto& [name, mode] : kNames)
    if (a.value == name) return assign(id(p).private_users, mode, a.origin), Status{};
  auto b = parse_bool(a.value);
  if (!b) return invalid_value(a, "expected a boolean, 'self', 'identity', 'full' or 'managed'");
  assign(id(p).private_users, *b ? PrivateUsersMode::Self : PrivateUsersMode::No, a.origin);
  return {};
}

using Kind = Credential::Kind;

bool same_family(Kind a, Kind b) {
  auto family = [](Kind k) { return k == Kind::LoadEncrypted ? Kind::Load : k == Kind::SetEncrypted ? Kind::Set : k; };
  return family(a) == family(b);
}

// A later credential of the same id (and family: loaded, set, imported)
// replaces the earlier one; the empty assignment drops the family.
Status add_credential(Profile& p, const Assignment& a, Credential c) {
  auto& list = id(p).credentials;
  std::erase_if(list, [&](const auto& i) { return same_family(i.value.kind, c.kind) && i.value.id == c.id; });
  list.push_back({std::move(c), a.origin});
  return {};
}

template <Kind K>
Status load_credential(Profile& p, const Assignment& a) {
  if (a.value.empty()) {
    std::erase_if(id(p).credentials, [](const auto& i) { return same_family(i.value.kind, K); });
    return {};
  }
  size_t colon = a.value.find(':');
  Credential c{K, string(a.value.substr(0, colon)), colon == string_view::npos ? "" : string(a.value.substr(colon + 1))};
  if (!valid_credential_name(c.id))
    return invalid_value(a, "expected ID[:PATH], ID of printable characters without '/' or ':'");
  if (!c.value.empty() && (c.value[0] == '/' ? !valid_path(c.value) : !valid_credential_name(c.value)))
    return invalid_value(a, "the PATH after ':' is absolute without '..', or a file name in the credential store");
  return add_credential(p, a, std::move(c));
}

template <Kind K>
Status set_credential(Profile& p, const Assignment& a) {
  if (a.value.empty()) {
    std::erase_if(id(p).credentials, [](const auto& i) { return same_family(i.value.kind, K); });
    return {};
  }
  size_t colon = a.value.find(':');
  if (colon == string_view::npos || !valid_credential_name(a.value.substr(0, colon)))
    return invalid_value(a, "expected ID:VALUE, ID of printable characters without '/' or ':'");
  Credential c{K, string(a.value.substr(0, colon)), ""};
  string_view raw = a.value.substr(colon + 1);
  if (K == Kind::Set) {
    string why;
    if (!c_unescape(raw, c.value, why)) return invalid_value(a, why);
  } else {
    bool base64 = std::all_of(raw.begin(), raw.end(), [](char ch) {
      return std::isalnum(static_cast<unsigned char>(ch)) || ch == '+' || ch == '/' || ch == '=' || ch == ' ' ||
             ch == '\t';
    });
    if (raw.empty() || !base64) return invalid_value(a, "expected ID:BASE64, an encrypted credential");
    c.value = string(raw);
  }
  return add_credential(p, a, std::move(c));
}

Status import_credential(Profile& p, const Assignment& a) {
  if (a.value.empty()) {
    std::erase_if(id(p).credentials, [](const auto& i) { return i.value.kind == Kind::Import; });
    return {};
  }
  // systemd's credential_glob_valid(): a name, or a prefix of one and '*'
  // (no other glob character, and none before the end).
  string_view prefix = a.value.ends_with('*') ? a.value.substr(0, a.value.size() - 1) : a.value;
  bool globbed = prefix.find_first_of("*?[") != string_view::npos;
  if (globbed || ((!prefix.empty() || !a.value.ends_with('*')) && !valid_credential_name(prefix)))
    return invalid_value(a, "expected a credential name, or a prefix of one followed by '*'");
  return add_credential(p, a, Credential{Kind::Import, string(a.value), ""});
}

// --- --show ------------------------------------------------------------------

string octal(mode_t m) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "%04o", static_cast<unsigned>(m));
  return buf;
}

template <ServiceDirKind K>
void show_directories(ShowWriter& w, const Profile& p) {
  size_t k = static_cast<size_t>(K);
  for (const auto& i : p.identity.directories[k])
    w.word(i.origin, kDirKeys[k], "", quote_word(i.value.link.empty() ? i.value.name : i.value.name + ":" + i.value.link));
}

template <ServiceDirKind K>
void show_mode(ShowWriter& w, const Profile& p) {
  size_t k = static_cast<size_t>(K);
  scalar(w, (string(kDirKeys[k]) + "Mode").c_str(), p.identity.directory_mode[k], octal);
}

void show_umask(ShowWriter& w, const Profile& p) { scalar(w, "UMask", p.identity.umask, octal); }

void show_preserve(ShowWriter& w, const Profile& p) {
  scalar(w, "RuntimeDirectoryPreserve", p.identity.runtime_preserve, [](RuntimePreserve v) {
    return string(v == RuntimePreserve::Yes ? "yes" : v == RuntimePreserve::Restart ? "restart" : "no");
  });
}

void show_dynamic_user(ShowWriter& w, const Profile& p) { boolean(w, "DynamicUser", p.identity.dynamic_user); }

void show_private_users(ShowWriter& w, const Profile& p) {
  scalar(w, "PrivateUsers", p.identity.private_users, [](PrivateUsersMode m) {
    switch (m) {
      case PrivateUsersMode::No: return string("no");
      case PrivateUsersMode::Self: return string("self");
      case PrivateUsersMode::Identity: return string("identity");
      case PrivateUsersMode::Full: return string("full");
      case PrivateUsersMode::Managed: return string("managed");
    }
    return string("no");
  });
}

// All credential directives at once, in the order given: a later one of the
// same id replaces an earlier one, so the order is part of the meaning.
void show_credentials(ShowWriter& w, const Profile& p) {
  for (const auto& i : p.identity.credentials) {
    const Credential& c = i.value;
    switch (c.kind) {
      case Kind::Load: w.set(i.origin, "LoadCredential", c.value.empty() ? c.id : c.id + ":" + c.value); break;
      case Kind::LoadEncrypted:
        w.set(i.origin, "LoadCredentialEncrypted", c.value.empty() ? c.id : c.id + ":" + c.value);
        break;
      case Kind::Set: w.set(i.origin, "SetCredential", c.id + ":" + c_escape(c.value)); break;
      case Kind::SetEncrypted: w.set(i.origin, "SetCredentialEncrypted", c.id + ":" + c.value); break;
      case Kind::Import: w.set(i.origin, "ImportCredential", c.id); break;
    }
  }
}

using S = ServiceDirKind;
constexpr auto kAcc = Directive::Merge::Accumulate;

}  // namespace

const std::vector<Directive>& identity_directives() {
  static const std::vector<Directive> table = {
      {"DynamicUser", dynamic_user, Directive::Merge::Replace, show_dynamic_user},
      {"PrivateUsers", private_users, Directive::Merge::Replace, show_private_users},
      {"UMask", umask_directive, Directive::Merge::Replace, show_umask},
      {"RuntimeDirectory", service_directory<S::Runtime>, kAcc, show_directories<S::Runtime>},
      {"StateDirectory", service_directory<S::State>, kAcc, show_directories<S::State>},
      {"CacheDirectory", service_directory<S::Cache>, kAcc, show_directories<S::Cache>},
      {"LogsDirectory", service_directory<S::Logs>, kAcc, show_directories<S::Logs>},
      {"ConfigurationDirectory", service_directory<S::Configuration>, kAcc, show_directories<S::Configuration>},
      {"RuntimeDirectoryMode", directory_mode<S::Runtime>, Directive::Merge::Replace, show_mode<S::Runtime>},
      {"StateDirectoryMode", directory_mode<S::State>, Directive::Merge::Replace, show_mode<S::State>},
      {"CacheDirectoryMode", directory_mode<S::Cache>, Directive::Merge::Replace, show_mode<S::Cache>},
      {"LogsDirectoryMode", directory_mode<S::Logs>, Directive::Merge::Replace, show_mode<S::Logs>},
      {"ConfigurationDirectoryMode", directory_mode<S::Configuration>, Directive::Merge::Replace,
       show_mode<S::Configuration>},
      {"RuntimeDirectoryPreserve", runtime_preserve, Directive::Merge::Replace, show_preserve},
      // One show for all five, in the order given (show_credentials). A later
      // one of the same id replaces an earlier one; other ids add up.
      {"LoadCredential", load_credential<Kind::Load>, kAcc, show_credentials},
      {"LoadCredentialEncrypted", load_credential<Kind::LoadEncrypted>, kAcc},
      {"SetCredential", set_credential<Kind::Set>, kAcc},
      {"SetCredentialEncrypted", set_credential<Kind::SetEncrypted>, kAcc},
      {"ImportCredential", import_credential, kAcc},
  };
  return table;
}

}  // namespace zjail
