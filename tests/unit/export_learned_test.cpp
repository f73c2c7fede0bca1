// A learned profile (docs/learn.md) exports like any other (docs/fleet.md):
// every format takes what learn mode writes, evidence comments and all.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "../../jail/src/learn_internal.hpp"
#include "zjail/export.hpp"
#include "zjail/learn.hpp"
#include "zjail/parser.hpp"

namespace zjail::learn {
namespace {

const std::vector<std::string> kSearch = {std::string(ZJAIL_SOURCE_DIR) + "/profiles"};

// A small real program's run, as learn mode records it.
std::string learned_profile() {
  Observations o;
  o.command = {"/bin/sh", "-c", "exit 0"};
  o.user = "nobody";
  for (const char* s : {"execve", "brk", "mmap", "openat", "read", "close", "newfstatat", "exit_group", "rt_sigaction"})
    o.syscalls[s] = Evidence{3, std::string(s) + "(...)"};
  auto path = [&](const std::string& p, unsigned access) { o.paths[p] = PathUse{access, false, false, Evidence{1, p}}; };
  path("/bin/sh", kRead | kExec);
  path(std::filesystem::canonical("/bin/sh").string(), kRead | kExec);
  path("/etc/ld.so.cache", kRead);
  for (const auto& lib : {"/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"})
    if (access(lib, F_OK) == 0) path(lib, kRead | kExec);
  WriteOptions w;
  w.landlock_abi = 6;
  w.holds_secrets = [](const std::string&) { return false; };
  return write_profile(o, w);
}

TEST(ExportLearned, EveryFormatTakesALearnedProfile) {
  std::string text = learned_profile();
  Profile p;
  auto st = load_profile_text(p, text, "learned.profile", kSearch, ProfileTrust::any());
  ASSERT_TRUE(st) << st.error().message() << "\n" << text;
  PlanContext ctx;
  for (auto format : {ExportFormat::Systemd, ExportFormat::Oci, ExportFormat::OciSeccomp, ExportFormat::K8s}) {
    ExportRequest req;
    req.format = format;
    req.profile_names = {"learned.profile"};
    req.command = {"/bin/sh", "-c", "exit 0"};
    auto a = export_profile(p, ctx, req);
    ASSERT_TRUE(a) << a.error().message() << "\n" << text;
    auto b = export_profile(p, ctx, req);
    ASSERT_TRUE(b);
    EXPECT_EQ(*a, *b) << "not deterministic";
    if (format == ExportFormat::Systemd) {
      EXPECT_NE(a->find("\nMemoryDenyWriteExecute=yes\n"), std::string::npos) << *a;
      EXPECT_EQ(a->find("SystemCallFilter=@"), std::string::npos) << *a;
    }
    if (format == ExportFormat::OciSeccomp) {
      // The learned MemoryDenyWriteExecute=yes: mmap with PROT_WRITE|PROT_EXEC refused.
      auto j = nlohmann::json::parse(*a);
      bool wx = false;
      for (const auto& e : j["syscalls"])
        for (const auto& n : e["names"]) wx = wx || (n == "mmap" && e.contains("args") && e["action"] == "SCMP_ACT_ALLOW");
      EXPECT_TRUE(wx) << "mmap is not allowed by argument (W^X) in " << *a;
    }
  }
}

}  // namespace
}  // namespace zjail::learn
