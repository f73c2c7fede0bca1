#include "analyze_report.hpp"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <optional>

#include "zjail/launch.hpp"
#include "zjail/parser.hpp"
#include "zjail/plan.hpp"
#include "zjail/text.hpp"
#include "zjail/unit_file.hpp"

namespace zjail::cli {
namespace {

std::string fixed(double v, int decimals) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", decimals, v);
  return buf;
}

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    const char* named = c == '"' ? "\\\"" : c == '\\' ? "\\\\" : c == '\n' ? "\\n" : c == '\t' ? "\\t" : nullptr;
    char code[8];
    if (!named && c < 0x20) {
      std::snprintf(code, sizeof code, "\\u%04x", c);
      named = code;
    }
    if (named) out += named;
    else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::string clip(const std::string& s, size_t n) {
  return s.size() <= n ? s : s.substr(0, n - 3) + "...";
}

std::string join(const std::vector<std::string>& v) {
  std::string out;
  for (const auto& s : v) out += (out.empty() ? "" : " ") + s;
  return out;
}

}  // namespace

std::string analysis_table(const Analysis& a, const std::string& subject) {
  std::string out = "zjail --analyze: " + subject + "\n\n";
  char line[512];
  std::snprintf(line, sizeof line, "  %-54s %-28s %-7s %6s %5s  %s\n", "ITEM", "SETTING", "FROM", "WEIGHT",
                "SCORE", "REASON");
  out += line;
  for (const auto& it : a.items) {
    const char* mark = it.exposure == 0 ? "+" : it.exposure >= 1 ? "-" : "~";
    std::snprintf(line, sizeof line, "%s %-54s %-28s %-7s %6d %5s  %s\n", mark, it.item.c_str(),
                  clip(it.setting, 28).c_str(), it.source.c_str(), it.weight, fixed(it.score, 2).c_str(),
                  it.reason.c_str());
    out += line;
  }
  for (const auto& n : a.notes) out += "note: " + n + "\n";
  out += "\nOverall exposure level: " + fixed(a.score, 1) + " " + a.rating + "\n";
  return out;
}

std::string analysis_json(const Analysis& a, const std::string& profile, const std::string& unit) {
  std::string out = "{\n  \"profile\": " + (profile.empty() ? std::string("null") : json_string(profile)) +
                    ",\n  \"unit\": " + (unit.empty() ? std::string("null") : json_string(unit)) +
                    ",\n  \"exposure\": " + fixed(a.score, 1) + ",\n  \"rating\": " + json_string(a.rating) +
                    ",\n  \"items\": [\n";
  for (size_t i = 0; i < a.items.size(); ++i) {
    const auto& it = a.items[i];
    out += "    {\"item\": " + json_string(it.item) + ", \"setting\": " + json_string(it.setting) +
           ", \"source\": " + json_string(it.source) + ", \"weight\": " + std::to_string(it.weight) +
           ", \"exposure\": " + fixed(it.exposure, 2) + ", \"score\": " + fixed(it.score, 3) +
           ", \"reason\": " + json_string(it.reason) + "}" + (i + 1 < a.items.size() ? ",\n" : "\n");
  }
  out += "  ],\n  \"notes\": [";
  for (size_t i = 0; i < a.notes.size(); ++i) out += (i ? ", " : "") + json_string(a.notes[i]);
  return out + "]\n}\n";
}

Result<int> analyze_command(const Options& opt, const std::vector<std::string>& search,
                            const ProfileTrust& trust) {
  std::optional<UnitFile> unit;
  if (!opt.unit.empty()) {
    ZJAIL_TRY_ASSIGN(auto u, load_system_unit(opt.unit));
    unit = std::move(u);
  }
  std::vector<std::string> profiles = opt.profiles;
  if (profiles.empty() && unit) profiles = zjail_profiles_of(*unit);
  // A unit that does not run zjail, analyzed without --profile, is scored on
  // its own, as systemd-analyze security would.
  bool jailed = !profiles.empty() || !unit;
  Profile profile;
  for (const auto& name : profiles) ZJAIL_TRY(load_profile(profile, name, search, trust));
  ZJAIL_TRY(apply_overrides(profile, opt));

  // Scored as this caller's launch would run: the same probe as a launch.
  bool fallback = jailed && getuid() != 0 && geteuid() != 0 && user_namespace_refusal() != 0;
  ZJAIL_TRY_ASSIGN(auto a, analyze(jailed ? &profile : nullptr, unit ? &*unit : nullptr, fallback));
  if (fallback) {
    PlanContext ctx;
    ctx.invoker_uid = getuid();
    ctx.invoker_gid = getgid();
    ctx.user_namespace_refused = user_namespace_refusal();
    if (auto plan = check_plan(profile, ctx); !plan)
      a.notes.push_back("zjail refuses this profile on this host (exit 125): " + plan.error().message());
  }
  std::string pnames = join(profiles);
  if (jailed && pnames.empty()) pnames = "(no profile: zjail's defaults)";
  if (opt.json) {
    std::fputs(analysis_json(a, jailed ? pnames : "", unit ? unit->name : "").c_str(), stdout);
  } else {
    std::string subject = jailed ? "profile " + pnames : "no zjail";
    if (unit)
      subject += ", unit " + unit->name + " (" + join(unit->sources) + (unit->from_bus ? ", as systemd loaded it" : "") + ")";
    std::fputs(analysis_table(a, escape_unprintable(subject)).c_str(), stdout);
  }
  return opt.threshold && a.score > *opt.threshold ? 1 : 0;
}

}  // namespace zjail::cli
