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

#ifndef NMFKIT_ADDRESS_SANITIZER
// Arenas this thread released, kept for its next fits. A fit's fixed cost is otherwise dominated by the allocator
// handing the block back to the system and faulting it in again page by page: small blocks for small fits (nmfBatch
// creates a group of fits before it frees any, so one block is not enough; at most kSpareMaxBytes of them), and
// one mapping of at most kSpareMappedMaxBytes for the fits of a few MiB that callers create one after another (the
// online solver's chunk fits, transform requests). Not in AddressSanitizer builds, so that a use after a fit's end
// is still reported.
constexpr std::size_t kSpareMaxBytes = kMappedMinBytes;
constexpr std::size_t kSpareMaxBlocks = 64;
constexpr std::size_t kSpareMappedMaxBytes = std::size_t{32} << 20;

struct SpareBlocks {
  struct Block {
    std::uint8_t* data;
    std::size_t bytes;
  };
  Block blocks[kSpareMaxBlocks] = {};
  std::size_t count = 0;
  std::size_t total = 0;
  Block mapped = {};

  // The smallest kept block of at least `bytes`, taken out of the list; {nullptr, 0} when there is none.
  Block take(std::size_t bytes) {
    std::size_t best = count;
    for (std::size_t i = 0; i < count; ++i) {
      if (blocks[i].bytes >= bytes && (best == count || blocks[i].bytes < blocks[best].bytes)) best = i;
    }
    if (best == count) return {nullptr, 0};
    const Block found = blocks[best];
    blocks[best] = blocks[--count];
    total -= found.bytes;
    return found;
  }

  // Keeps the block if there is room; else returns false (the caller frees it).
  bool keep(std::uint8_t* data, std::size_t bytes) {
    if (count == kSpareMaxBlocks || total + bytes > kSpareMaxBytes) return false;
    blocks[count++] = {data, bytes};
    total += bytes;
    return true;
  }

  // The kept mapping when it holds at least `bytes`, taken; {nullptr, 0} otherwise.
  Block takeMapped(std::size_t bytes) {
    if (mapped.data == nullptr || mapped.bytes < bytes) return {nullptr, 0};
    const Block found = mapped;
    mapped = {};
    return found;
  }

  // Keeps a released mapping in place of the one kept before (the most recent size is the likeliest next one);
  // false when it is too large to keep (the caller unmaps it).
  bool keepMapped(std::uint8_t* data, std::size_t bytes) {
    if (bytes > kSpareMappedMaxBytes) return false;
    releaseMapped();
    mapped = {data, bytes};
    return true;
  }

  void releaseMapped() {
#if defined(__linux__)
    if (mapped.data != nullptr) munmap(mapped.data, mapped.bytes);
#endif
    mapped = {};
  }

  ~SpareBlocks() {
    for (std::size_t i = 0; i < count; ++i) ::operator delete(blocks[i].data, std::align_val_t(64));
    releaseMapped();
  }
};
thread_local SpareBlocks spare;
#endif

}  // namespace

Arena::Arena(std::size_t bytes) : bytes_(bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  if (bytes >= kMappedMinBytes) {
#ifndef NMFKIT_ADDRESS_SANITIZER
    if (const SpareBlocks::Block kept = spare.takeMapped(bytes); kept.data != nullptr) {
      data_ = kept.data;
      bytes_ = kept.bytes;
      mapped_ = true;
      return;
    }
#endif
    void* p = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p != MAP_FAILED) {
      // Advice only: where huge pages are off or unavailable the mapping works with small pages.
      madvise(p, bytes, MADV_HUGEPAGE);
      data_ = static_cast<std::uint8_t*>(p);
      mapped_ = true;
      zeroed_ = true;
      return;
    }
  }
#endif
#ifndef NMFKIT_ADDRESS_SANITIZER
  if (const SpareBlocks::Block kept = spare.take(bytes); kept.data != nullptr) {
    data_ = kept.data;
    bytes_ = kept.bytes;
    return;
  }
#endif
  if (bytes == 0) bytes_ = 1;
  data_ = static_cast<std::uint8_t*>(::operator new(bytes_, std::align_val_t(64)));
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
#ifndef NMFKIT_ADDRESS_SANITIZER
    if (spare.keepMapped(data_, bytes_)) return;
#endif
    munmap(data_, bytes_);
    return;
  }
#endif
#ifndef NMFKIT_ADDRESS_SANITIZER
  if (bytes_ < kMappedMinBytes && spare.keep(data_, bytes_)) return;
#endif
  ::operator delete(data_, std::align_val_t(64));
}

}  // namespace nmf
