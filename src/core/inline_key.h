// A key string stored inside its table entry when it is short (up to 23 bytes, which covers
// most real keys), on the heap otherwise. Same size as std::string (32 bytes) but a lookup of a
// short key touches only the entry's cache lines, not a separate heap block.
#pragma once

#include <cstdint>
#include <cstring>
#include <string_view>

namespace kora {

class InlineKey {
 public:
  static constexpr size_t kInline = 23;

  InlineKey() { u_.in[0] = '\0'; }
  InlineKey(const InlineKey&) = delete;
  InlineKey& operator=(const InlineKey&) = delete;
  ~InlineKey() { Release(); }

  void assign(std::string_view s) {
    Release();
    size_ = static_cast<uint32_t>(s.size());
    if (s.size() <= kInline) {
      heap_ = false;
      if (!s.empty()) std::memcpy(u_.in, s.data(), s.size());
    } else {
      heap_ = true;
      u_.ptr = new char[s.size()];
      std::memcpy(u_.ptr, s.data(), s.size());
    }
  }

  const char* data() const { return heap_ ? u_.ptr : u_.in; }
  size_t size() const { return size_; }
  bool empty() const { return size_ == 0; }
  operator std::string_view() const { return {data(), size_}; }  // NOLINT: reads like a string
  bool operator==(std::string_view o) const { return std::string_view(*this) == o; }
  // Bytes owned outside the entry itself.
  size_t heap_bytes() const { return heap_ ? size_ : 0; }

 private:
  void Release() {
    if (heap_) delete[] u_.ptr;
    heap_ = false;
  }
  union {
    char in[kInline + 1];
    char* ptr;
  } u_;
  uint32_t size_ = 0;
  bool heap_ = false;
};

}  // namespace kora
