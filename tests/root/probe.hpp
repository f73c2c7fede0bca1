// Shared by the probe's two halves: output in the PASS/FAIL/ERROR line
// format (see probe.cpp) and small helpers.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace zjail_probe {

std::string ename(int e);
std::string signame(int s);
void out(const std::string& line);
int pass(const std::string& name, const std::string& detail = "");
int fail(const std::string& name, int err, const std::string& detail);
int error(const std::string& name, int err, const std::string& detail);
// A syscall-style result: r >= 0 is success, otherwise errno.
int result(const std::string& name, long r, const std::string& detail);
void sleep_ms(int ms);
// Runs `fn` in a forked child; a child killed by a signal (SIGSYS from a
// seccomp kill action) is reported as "FAIL <name> signal=<SIG>".
int in_child(const std::string& name, const std::function<int()>& fn);

// The attack probes (probe_attacks.cpp): -1 when `name` is not one of them.
int run_attack(const std::string& name, int argc, char** argv);

}  // namespace zjail_probe
