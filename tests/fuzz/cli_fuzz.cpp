// libFuzzer target: the command line. The input is split at NUL bytes into
// argv[1..] and parsed with zjail's own CLI11 definitions (options.cpp); what
// parses is then applied to a profile as the CLI does (apply_overrides).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "options.hpp"
#include "zjail/parser.hpp"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string in(reinterpret_cast<const char*>(data), size);
  std::vector<std::string> args{"zjail"};
  size_t start = 0;
  while (start <= in.size() && args.size() < 64) {
    size_t end = in.find('\0', start);
    if (end == std::string::npos) end = in.size();
    args.push_back(in.substr(start, end - start));
    start = end + 1;
  }
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  argv.push_back(nullptr);

  zjail::cli::Options opt;
  auto parsed = zjail::cli::parse_command_line(static_cast<int>(args.size()), argv.data(), opt);
  if (parsed.exit >= 0) return 0;
  zjail::Profile p;
  if (zjail::cli::apply_overrides(p, opt)) (void)zjail::show_profile(p);
  return 0;
}
