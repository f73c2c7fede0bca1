#include "zjail/memory.hpp"

#include <link.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#include <cerrno>
#include <cstdint>

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

}  // namespace

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
