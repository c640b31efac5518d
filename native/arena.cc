#include "arena.h"

#include <new>

#if defined(__linux__)
#include <sys/mman.h>
#endif
#ifdef NMFKIT_ADDRESS_SANITIZER
#include <sanitizer/asan_interface.h>
#endif

namespace nmf {

namespace {

// Below this an arena comes from the ordinary heap: a mapping of its own would cost a system call per fit for
// nothing (small fits touch few pages).
constexpr std::size_t kMappedMinBytes = std::size_t{4} << 20;

}  // namespace

Arena::Arena(std::size_t bytes) : bytes_(bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kMappedMinBytes) {
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      // Advice only: where huge pages are off or unavailable the mapping works with small pages.
      madvise(p, bytes, MADV_HUGEPAGE);
      data_ = static_cast<std::uint8_t*>(p);
      mapped_ = true;
      return;
    }
  }
#endif
  data_ = static_cast<std::uint8_t*>(::operator new(bytes == 0 ? 1 : bytes, std::align_val_t(64)));
}

void Arena::poison(std::size_t offset, std::size_t bytes) {
#ifdef NMFKIT_ADDRESS_SANITIZER
  if (bytes > 0) ASAN_POISON_MEMORY_REGION(data_ + offset, bytes);
#else
  static_cast<void>(offset);
  static_cast<void>(bytes);
#endif
}

Arena::~Arena() {
#ifdef NMFKIT_ADDRESS_SANITIZER
  // A mapping's shadow would otherwise stay poisoned for whatever is mapped there next.
  ASAN_UNPOISON_MEMORY_REGION(data_, bytes_);
#endif
#if defined(__linux__)
  if (mapped_) {
    munmap(data_, bytes_);
    return;
  }
#endif
  ::operator delete(data_, std::align_val_t(64));
}

}  // namespace nmf
