// The few libc calls the small init makes, as raw system calls, and its
// entry point. zjail-init links no libc: a static libc's start-up alone
// touches hundreds of KiB of text, which a single jail would carry in its
// PSS with nothing to share it with. Declarations come from the libc headers;
// only what init_serve.cpp and main.cpp call is here.
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include <elf.h>
#include <link.h>

#include "sys.hpp"

namespace {

int error_number;

long sys(long nr, long a = 0, long b = 0, long c = 0, long d = 0) {
  long ret;
  register long r10 asm("r10") = d;
  asm volatile("syscall" : "=a"(ret) : "a"(nr), "D"(a), "S"(b), "d"(c), "r"(r10) : "rcx", "r11", "memory");
  return ret;
}

long check(long r) {
  if (r < 0 && r > -4096) {
    error_number = static_cast<int>(-r);
    return -1;
  }
  return r;
}

// The kernel's struct sigaction (x86-64), not libc's.
struct KernelSigaction {
  void (*handler)(int);
  unsigned long flags;
  void (*restorer)();
  uint64_t mask;
};
constexpr unsigned long kSaRestorer = 0x04000000;
constexpr long kSigsetSize = 8;

uint64_t first_word(const sigset_t* set) { return set ? *reinterpret_cast<const uint64_t*>(set) : 0; }

}  // namespace

// Where a handler returns to: rt_sigreturn. The init's handlers never run
// (their signals stay blocked for the signalfd), but the kernel wants one.
extern "C" void zjail_init_restore();
asm(".text\n.type zjail_init_restore,@function\nzjail_init_restore:\n mov $15, %eax\n syscall\n hlt\n");

extern "C" {

int* __errno_location() noexcept { return &error_number; }

void* memset(void* dst, int c, size_t n) {
  auto* d = static_cast<volatile unsigned char*>(dst);
  for (size_t i = 0; i < n; ++i) d[i] = static_cast<unsigned char>(c);
  return dst;
}

void* memcpy(void* dst, const void* src, size_t n) {
  auto* d = static_cast<volatile unsigned char*>(dst);
  const auto* s = static_cast<const unsigned char*>(src);
  for (size_t i = 0; i < n; ++i) d[i] = s[i];
  return dst;
}

ssize_t read(int fd, void* buf, size_t n) { return check(sys(SYS_read, fd, reinterpret_cast<long>(buf), n)); }
ssize_t write(int fd, const void* buf, size_t n) { return check(sys(SYS_write, fd, reinterpret_cast<long>(buf), n)); }
int poll(pollfd* fds, nfds_t n, int timeout) {
  return static_cast<int>(check(sys(SYS_poll, reinterpret_cast<long>(fds), static_cast<long>(n), timeout)));
}
pid_t getpid() noexcept { return static_cast<pid_t>(sys(SYS_getpid)); }
int kill(pid_t pid, int sig) noexcept { return static_cast<int>(check(sys(SYS_kill, pid, sig))); }
pid_t waitpid(pid_t pid, int* status, int options) {
  return static_cast<pid_t>(check(sys(SYS_wait4, pid, reinterpret_cast<long>(status), options, 0)));
}
void _exit(int code) {
  for (;;) sys(SYS_exit_group, code);
}
int sigemptyset(sigset_t* set) noexcept {
  memset(set, 0, sizeof *set);
  return 0;
}
int sigaddset(sigset_t* set, int sig) noexcept {
  reinterpret_cast<uint64_t*>(set)[0] |= 1ULL << (sig - 1);
  return 0;
}
int sigprocmask(int how, const sigset_t* set, sigset_t* old) noexcept {
  uint64_t mask = first_word(set), was = 0;
  long r = check(sys(SYS_rt_sigprocmask, how, set ? reinterpret_cast<long>(&mask) : 0,
                     old ? reinterpret_cast<long>(&was) : 0, kSigsetSize));
  if (r == 0 && old) {
    sigemptyset(old);
    reinterpret_cast<uint64_t*>(old)[0] = was;
  }
  return static_cast<int>(r);
}
int sigaction(int sig, const struct sigaction* act, struct sigaction*) noexcept {
  KernelSigaction k{};
  k.handler = act->sa_handler;
  k.flags = static_cast<unsigned long>(act->sa_flags) | kSaRestorer;
  k.restorer = zjail_init_restore;
  k.mask = first_word(&act->sa_mask);
  return static_cast<int>(check(sys(SYS_rt_sigaction, sig, reinterpret_cast<long>(&k), 0, kSigsetSize)));
}
int signalfd(int fd, const sigset_t* mask, int flags) noexcept {
  uint64_t m = first_word(mask);
  return static_cast<int>(check(sys(SYS_signalfd4, fd, reinterpret_cast<long>(&m), kSigsetSize, flags)));
}
int prctl(int option, ...) noexcept {
  va_list ap;
  va_start(ap, option);
  unsigned long a = va_arg(ap, unsigned long), b = va_arg(ap, unsigned long), c = va_arg(ap, unsigned long),
                d = va_arg(ap, unsigned long);
  va_end(ap);
  long r;
  register long r10 asm("r10") = static_cast<long>(c);
  register long r8 asm("r8") = static_cast<long>(d);
  asm volatile("syscall"
               : "=a"(r)
               : "a"(SYS_prctl), "D"(option), "S"(a), "d"(b), "r"(r10), "r"(r8)
               : "rcx", "r11", "memory");
  return static_cast<int>(check(r));
}

int zjail_pidfd_send_signal(int pidfd, int sig) {
  return static_cast<int>(check(sys(SYS_pidfd_send_signal, pidfd, sig, 0, 0)));
}
int zjail_waitid_pidfd(int pidfd) {
  siginfo_t info;
  long r;
  // waitid has a fifth argument (rusage), passed as null.
  register long r10 asm("r10") = WEXITED;
  register long r8 asm("r8") = 0;
  do {
    asm volatile("syscall"
                 : "=a"(r)
                 : "a"(SYS_waitid), "D"(P_PIDFD), "S"(pidfd), "d"(reinterpret_cast<long>(&info)), "r"(r10), "r"(r8)
                 : "rcx", "r11", "memory");
  } while (r == -EINTR);
  return static_cast<int>(check(r));
}
int zjail_execveat(int fd, char** argv, char** envp) {
  long r;
  register long r10 asm("r10") = reinterpret_cast<long>(envp);
  register long r8 asm("r8") = AT_EMPTY_PATH;
  asm volatile("syscall"
               : "=a"(r)
               : "a"(SYS_execveat), "D"(fd), "S"(reinterpret_cast<long>("")), "d"(reinterpret_cast<long>(argv)),
                 "r"(r10), "r"(r8)
               : "rcx", "r11", "memory");
  return static_cast<int>(check(r));
}

int main(int argc, char** argv, char** envp);

extern const ElfW(Ehdr) __ehdr_start;

// The entry point's C half: relocates this position-independent image
// (relative relocations only; anything else is refused), then runs main.
[[noreturn]] void zjail_init_start(long* sp) {
  auto base = reinterpret_cast<uintptr_t>(&__ehdr_start);
  const ElfW(Rela)* rela = nullptr;
  size_t rela_size = 0;
  for (ElfW(Dyn)* d = _DYNAMIC; d->d_tag != DT_NULL; ++d) {
    if (d->d_tag == DT_RELA) rela = reinterpret_cast<const ElfW(Rela)*>(base + d->d_un.d_ptr);
    if (d->d_tag == DT_RELASZ) rela_size = d->d_un.d_val;
    if (d->d_tag == DT_REL || d->d_tag == DT_JMPREL) _exit(127);
  }
  for (size_t i = 0; rela && i < rela_size / sizeof *rela; ++i) {
    if (ELF64_R_TYPE(rela[i].r_info) != R_X86_64_RELATIVE) _exit(127);
    *reinterpret_cast<uintptr_t*>(base + rela[i].r_offset) = base + static_cast<uintptr_t>(rela[i].r_addend);
  }
  int argc = static_cast<int>(sp[0]);
  char** argv = reinterpret_cast<char**>(sp + 1);
  _exit(main(argc, argv, argv + argc + 1));
}

}  // extern "C"

asm(".text\n.globl _start\n.type _start,@function\n_start:\n xor %ebp, %ebp\n mov %rsp, %rdi\n"
    " and $-16, %rsp\n call zjail_init_start\n hlt\n");
