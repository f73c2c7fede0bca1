// Shared by the probe's two halves: output in the PASS/FAIL/ERROR line
// format (see probe.cpp) and small helpers.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string>
#include <vector>

namespace zjail_probe {

std::string ename(int e);
void out(const std::string& line);
int pass(const std::string& name, const std::string& detail = "");
int fail(const std::string& name, int err, const std::string& detail);
int error(const std::string& name, int err, const std::string& detail);
// A syscall-style result: r >= 0 is success, otherwise errno.
int result(const std::string& name, long r, const std::string& detail);
void sleep_ms(int ms);
// Prints READY, then calls `each(i)` for the i-th SIGUSR1 (i from 1) until
// SIGTERM, and returns `code`: a payload acting after its jail went idle.
// An error (and `name`) if no signal comes for 30 s.
int on_usr1_until_term(const std::string& name, int code, const std::function<int(int)>& each);

// The write and privilege checks (probe_attacks.cpp): -1 when `name` is not one of them.
int run_attack(const std::string& name, int argc, char** argv);
// The kernel-interface checks and process properties (probe_security.cpp): -1 likewise.
int run_security_probe(const std::string& name, int argc, char** argv);
// The denial explanations' checks (probe_denials.cpp): -1 likewise.
int run_denial_probe(const std::string& name, int argc, char** argv);
// The attacks on explain mode (probe_explain.cpp): -1 likewise.
int run_explain_probe(const std::string& name, int argc, char** argv);
// ListenViaBind='s checks (probe_listen.cpp): -1 likewise.
int run_listen_probe(const std::string& name, int argc, char** argv);
// The attacks on the small init (probe_small_init.cpp): -1 likewise.
int run_small_init_probe(const std::string& name, int argc, char** argv);
// The probe as the jail's init, through a binfmt_misc handler of its own.
int hijacked_init();

}  // namespace zjail_probe
