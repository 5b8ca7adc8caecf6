// A connection's query buffer: a growable byte array that, unlike std::string, never zero-fills
// the space a read() is about to overwrite (resize() would memset 16 KiB per request).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstring>
#include <memory>

namespace kora {

class InputBuffer {
 public:
  const char* data() const { return data_.get(); }
  size_t size() const { return size_; }
  size_t capacity() const { return capacity_; }
  void clear() { size_ = 0; }

  // Room for `want` more bytes after size(); returns where they go. Contents up to size() are
  // kept; the new bytes are uninitialised until written and Commit()ed.
  char* PrepareWrite(size_t want) {
    if (capacity_ - size_ < want) Grow(size_ + want);
    return data_.get() + size_;
  }
  void Commit(size_t n) { size_ += n; }

  // Drops the first n bytes.
  void ConsumeFront(size_t n) {
    n = std::min(n, size_);
    if (n < size_) std::memmove(data_.get(), data_.get() + n, size_ - n);
    size_ -= n;
  }

 private:
  void Grow(size_t need) {
    size_t cap = std::max(need, capacity_ * 2);
    std::unique_ptr<char[]> fresh(new char[cap]);  // uninitialised on purpose
    if (size_ > 0) std::memcpy(fresh.get(), data_.get(), size_);
    data_ = std::move(fresh);
    capacity_ = cap;
  }

  std::unique_ptr<char[]> data_;
  size_t size_ = 0;
  size_t capacity_ = 0;
};

}  // namespace kora
