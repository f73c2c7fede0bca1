#include "zjail/memory.hpp"

#include <link.h>
#include <linux/capability.h>
#include <limits.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstdint>
#include <string>

extern "C" void* __libc_stack_end;

namespace zjail {
namespace {

// Below the frame of shed_startup_memory() only madvise's own call runs.
constexpr uintptr_t kStackMargin = 4 * 1024;
// How far below the caller the stack is dropped. The kernel keeps at least
// 128 MiB below the main stack free of other mappings (mmap_base), so this
// window holds the stack mapping and unmapped space only; madvise applies to
// the mapped part and reports the hole as ENOMEM.
constexpr uintptr_t kStackWindow = 1024 * 1024;
// A frame further than this below the stack's top is not on the main stack.
constexpr uintptr_t kMainStackMax = 64 * 1024 * 1024;

uintptr_t page_size() {
  unsigned long p = getauxval(AT_PAGESZ);
  return p ? p : 4096;
}

struct Shed {
  int err = 0;
  void note(int r) {
    if (r < 0 && err == 0) err = errno;
  }
};

int shed_image(dl_phdr_info* info, size_t, void* data) {
  auto* shed = static_cast<Shed*>(data);
  // The vDSO is the kernel's, not a file's.
  if (info->dlpi_addr == getauxval(AT_SYSINFO_EHDR)) return 0;
  const uintptr_t page = page_size();
  for (int i = 0; i < info->dlpi_phnum; ++i) {
    const ElfW(Phdr)& ph = info->dlpi_phdr[i];
    // Writable segments hold relocated data (RELRO too, though it is
    // read-only afterwards): private copies that dropping would undo.
    if (ph.p_type != PT_LOAD || (ph.p_flags & PF_W)) continue;
    // Only whole pages: a page shared with a neighbouring segment stays.
    uintptr_t start = (info->dlpi_addr + ph.p_vaddr + page - 1) & ~(page - 1);
    uintptr_t end = (info->dlpi_addr + ph.p_vaddr + ph.p_filesz) & ~(page - 1);
    if (end > start) shed->note(madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED));
  }
  return 0;
}

constexpr const char kSmallInitName[] = "zjail-init";

// Root's, a regular file that only root may change, executable by the
// jail's init whatever its ids.
bool fit_for_small_init(int fd) {
  struct stat st {};
  if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != 0) return false;
  constexpr mode_t kForbidden = S_ISUID | S_ISGID | S_IWGRP | S_IWOTH;
  return (st.st_mode & kForbidden) == 0 && (st.st_mode & S_IXOTH) != 0;
}

}  // namespace

bool small_init_allowed(uint64_t bounding) noexcept { return (bounding & (1ULL << CAP_SYS_PTRACE)) == 0; }

UniqueFd open_small_init() {
  std::string candidates[2];
  char self[PATH_MAX];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n > 0) {
    std::string dir(self, static_cast<size_t>(n));
    candidates[0] = dir.substr(0, dir.rfind('/') + 1) + kSmallInitName;
  }
  candidates[1] = std::string(ZJAIL_LIBEXECDIR "/") + kSmallInitName;
  for (const auto& path : candidates) {
    if (path.empty()) continue;
    // Close-on-exec is what keeps the payload's own binfmt_misc handlers
    // off the handover: the init execs this fd in the jail's user
    // namespace, whose binfmt_misc instance a payload with CAP_SYS_ADMIN
    // there may fill, and the kernel hands no such handler a file the
    // exec would close (ENOENT; the cloned init then serves on). Being
    // static, zjail-init names no ELF interpreter in the jail's mounts
    // either. (root_small_init_test: NoBinfmtMiscHandler...)
    UniqueFd fd(open(path.c_str(), O_PATH | O_CLOEXEC | O_NOFOLLOW));
    if (fd && fit_for_small_init(fd.get())) return fd;
  }
  return {};
}

int shed_startup_memory() noexcept {
  Shed shed;
  dl_iterate_phdr(shed_image, &shed);
  auto frame = reinterpret_cast<uintptr_t>(__builtin_frame_address(0));
  auto top = reinterpret_cast<uintptr_t>(__libc_stack_end);
  if (frame < top && top - frame < kMainStackMax && frame > kStackWindow + kStackMargin) {
    uintptr_t end = (frame - kStackMargin) & ~(page_size() - 1);
    uintptr_t start = end - kStackWindow;
    if (madvise(reinterpret_cast<void*>(start), end - start, MADV_DONTNEED) < 0 && errno != ENOMEM)
      shed.note(-1);
  }
  return shed.err;
}

}  // namespace zjail
