// The one allocation of a fit's buffers (fit.cc): 64-byte aligned, and for large fits backed by transparent huge
// pages where the system offers them, so that first touching the buffers costs one page fault per 2 MiB instead of
// one per 4 KiB (on virtual machines a fault can cost microseconds, which made first touches of V slower than an
// iteration).
#pragma once

#include <cstddef>
#include <cstdint>

namespace nmf {

class Arena {
 public:
  // Throws std::bad_alloc when the memory cannot be had.
  explicit Arena(std::size_t bytes);
  ~Arena();
  Arena(const Arena&) = delete;
  Arena& operator=(const Arena&) = delete;

  std::uint8_t* data() const { return data_; }
  // Whether the memory reads as zeros (a fresh mapping); else its contents are undefined.
  bool zeroed() const { return mapped_; }
  std::size_t bytes() const { return bytes_; }

 private:
  std::uint8_t* data_ = nullptr;
  std::size_t bytes_ = 0;
  bool mapped_ = false;  // from mmap (released by munmap), else from aligned operator new
};

}  // namespace nmf
