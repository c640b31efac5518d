// The one allocation of a fit's buffers (fit.cc): 64-byte aligned, and for large fits backed by transparent huge
// pages where the system offers them, so that first touching the buffers costs one page fault per 2 MiB instead of
// one per 4 KiB (on virtual machines a fault can cost microseconds, which made first touches of V slower than an
// iteration).
#pragma once

#include <cstddef>
#include <cstdint>

// Whether this is an AddressSanitizer build (scripts/asan.sh with g++, scripts/fuzz.sh with clang).
#if defined(__SANITIZE_ADDRESS__)
#define NMFKIT_ADDRESS_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define NMFKIT_ADDRESS_SANITIZER 1
#endif
#endif

namespace nmf {

// In an AddressSanitizer build each part of a fit's arena is followed by a poisoned redzone of this many bytes
// (fit.cc, attach), so that a kernel running past its buffer is reported although the parts share one allocation.
// 0 in other builds: the layout is unchanged there.
#ifdef NMFKIT_ADDRESS_SANITIZER
constexpr std::size_t kRedzoneBytes = 64;
#else
constexpr std::size_t kRedzoneBytes = 0;
#endif

class Arena {
 public:
  // Throws std::bad_alloc when the memory cannot be had.
  explicit Arena(std::size_t bytes);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::uint8_t* data() const { return data_; }
  // Whether the memory reads as zeros (a fresh mapping); else its contents are undefined.
  bool zeroed() const { return zeroed_; }
  // At least the bytes asked for (a reused block can be larger).
  std::size_t bytes() const { return bytes_; }

  // Marks [offset, offset + bytes) unaddressable for AddressSanitizer (nothing in other builds); the destructor
  // makes the whole arena addressable again before releasing it.
  void poison(std::size_t offset, std::size_t bytes);

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t bytes_ = 0;
  bool mapped_ = false;  // from mmap (released by munmap), else from aligned operator new
  bool zeroed_ = false;  // a fresh mapping, not one kept from an earlier arena
};

}  // namespace nmf
