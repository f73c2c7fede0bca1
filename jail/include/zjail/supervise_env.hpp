// How a running jail's supervision crosses an exec (handover.hpp): the
// variable that names the fds and flags, read by the small supervisor
// (jail/init/supervise.cpp), which links no libc, and by zjail when the small
// supervisor execs it back. Also the number lists of the small init's
// variable (memory.hpp). Freestanding: no includes, no allocation.
#pragma once

namespace zjail {

inline constexpr const char kSuperviseEnv[] = "ZJAIL_SUPERVISE";

// The fields of kSuperviseEnv's value, in order, comma-separated: fds (-1:
// none), then whether the end must be reported by zjail (1) or may be the
// small supervisor's own exit (0), then the payload's wait status once the
// small supervisor has read it from the status pipe (-1: not read).
enum SuperviseField {
  kStateFd,     // the sealed memfd with what zjail carries (handover.cpp)
  kSelfFd,      // zjail's own binary, O_PATH: what the small supervisor execs back
  kSmallFd,     // zjail-init, O_PATH: what zjail execs to hand over
  kPidFd,       // the jail's init
  kSignalFd,    // the forwarded signals (still blocked across every exec)
  kStatusFd,    // the status pipe's read end
  kListenerFd,  // the seccomp listener
  kRelayFd,     // the notify relay's socket
  kFinishFlag,
  kCarriedStatus,
  kSuperviseFields
};

// "-1,12,7,...": exactly `count` numbers, each -1 or 0..2^30, into `out`.
inline bool parse_numbers(const char* p, long* out, int count) {
  for (int i = 0; i < count; ++i) {
    bool negative = *p == '-';
    if (negative) ++p;
    long v = 0;
    const char* start = p;
    while (*p >= '0' && *p <= '9' && v < 1L << 30) v = v * 10 + (*p++ - '0');
    if (p == start || (negative && v != 1)) return false;
    out[i] = negative ? -1 : v;
    if (*p != (i + 1 < count ? ',' : '\0')) return false;
    if (*p == ',') ++p;
  }
  return true;
}

// Whether `entry` is "NAME=...".
inline bool env_entry_is(const char* entry, const char* name) {
  while (*name && *entry == *name) ++entry, ++name;
  return !*name && *entry == '=';
}

// The value of NAME in a NULL-terminated environment, or nullptr.
inline const char* env_value(char** envp, const char* name) {
  for (char** e = envp; *e; ++e) {
    if (!env_entry_is(*e, name)) continue;
    const char* p = *e;
    while (*p != '=') ++p;
    return p + 1;
  }
  return nullptr;
}

// Writes "NAME=n,n,..." into buf (size >= 32 + 12 * count); returns buf.
inline char* format_numbers(char* buf, const char* name, const long* v, int count) {
  char* p = buf;
  for (const char* n = name; *n; ++n) *p++ = *n;
  *p++ = '=';
  for (int i = 0; i < count; ++i) {
    long x = v[i];
    if (x < 0) *p++ = '-', x = 1;
    char digits[12];
    int n = 0;
    do digits[n++] = static_cast<char>('0' + x % 10); while ((x /= 10) != 0 && n < 11);
    while (n) *p++ = digits[--n];
    if (i + 1 < count) *p++ = ',';
  }
  *p = '\0';
  return buf;
}

}  // namespace zjail
