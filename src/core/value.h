// The value stored under a key: a string (integer, short or raw encoded, as Redis reports in
// OBJECT ENCODING) or a collection object. Owned by the shard's table; never shared.
#pragma once

#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace kora {

enum class ValueType : uint8_t { kString = 0, kList, kSet, kZSet, kHash, kStream };

// Redis's OBJECT ENCODING names for strings.
enum class StrEncoding : uint8_t { kInt, kEmbStr, kRaw };

// Base of every collection type (lists, hashes, ...). Each family derives from it.
class CollectionObject {
 public:
  virtual ~CollectionObject() = default;
  virtual ValueType type() const = 0;
  virtual const char* encoding_name() const = 0;
  virtual std::unique_ptr<CollectionObject> Clone() const = 0;
  // Bytes owned by the object (payload and bookkeeping), for MEMORY USAGE and maxmemory.
  virtual size_t MemoryUsage() const = 0;
};

// 24 bytes, so that a table entry (KeyEntry) fits a 96-byte allocation. Where the bytes of a
// string live is independent of the encoding OBJECT ENCODING reports: up to 22 bytes inline,
// longer ones in one exactly sized heap block (length + bytes), and strings changed in place
// (APPEND, SETRANGE, SETBIT, HyperLogLog) in a std::string.
class Value {
 public:
  static constexpr size_t kEmbStrLimit = 44;  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT
  static constexpr size_t kInlineMax = 22;

  Value() { SetInline({}); }
  ~Value() { Release(); }
  Value(Value&& o) noexcept {
    std::memcpy(static_cast<void*>(this), &o, sizeof(Value));
    o.SetInline({});
  }
  Value& operator=(Value&& o) noexcept {
    if (this != &o) {
      Release();
      std::memcpy(static_cast<void*>(this), &o, sizeof(Value));
      o.SetInline({});
    }
    return *this;
  }
  Value(const Value&) = delete;
  Value& operator=(const Value&) = delete;

  // A string as SET stores it: integer encoded when it is a canonical int64 (Redis's
  // tryObjectEncoding), embstr when short, raw otherwise.
  static Value String(std::string_view s);
  // A string as APPEND/SETRANGE/SETBIT leave it: always raw.
  static Value RawString(std::string s);
  // A string never integer encoded: embstr when short, raw otherwise (INCRBYFLOAT's result).
  static Value PlainString(std::string_view s);
  static Value Int(int64_t v);
  static Value Collection(std::unique_ptr<CollectionObject> obj);

  Value Clone() const;
  // *this = String(s), reusing the heap block when the new string has the old one's length
  // (SET over a value of the same size: no allocation).
  void AssignString(std::string_view s);

  ValueType type() const { return static_cast<ValueType>(type_); }
  bool is_string() const { return type() == ValueType::kString; }
  StrEncoding str_encoding() const { return static_cast<StrEncoding>(enc_); }
  const char* encoding_name() const;

  bool is_int() const { return where_ == kInt; }
  int64_t int_value() const { return Load<int64_t>(); }
  // The string bytes; an integer is formatted into `scratch`.
  std::string_view StrView(std::string* scratch) const;
  size_t StrLen() const;
  // Turns the value into a raw string and returns it for in-place mutation.
  std::string& MutableRaw();

  CollectionObject* collection() const {
    return where_ == kObject ? Load<CollectionObject*>() : nullptr;
  }
  template <class T>
  T* As() const { return static_cast<T*>(collection()); }

  // The value's own size plus what it owns on the heap (allocations as the allocator rounds
  // them for strings; the collection's own accounting for collections).
  size_t MemoryUsage() const;
  // Heap bytes a string owns (0 for inline and integer strings and for collections).
  size_t StringHeapBytes() const;

 private:
  enum Where : uint8_t { kInline, kInt, kBlob, kStdString, kObject };

  template <class T>
  T Load() const {
    T v;
    std::memcpy(&v, bytes_, sizeof(T));
    return v;
  }
  template <class T>
  void Store(T v) {
    std::memcpy(bytes_, &v, sizeof(T));
  }
  void SetInline(std::string_view s) {
    if (!s.empty()) std::memcpy(bytes_, s.data(), s.size());
    len_ = static_cast<uint8_t>(s.size());
    where_ = kInline;
    type_ = static_cast<uint8_t>(ValueType::kString);
    enc_ = static_cast<uint8_t>(StrEncoding::kEmbStr);
  }
  // Stores the bytes of a string (inline or in a blob); sets the encoding.
  void SetBytes(std::string_view s, StrEncoding enc);
  void Release();

  alignas(8) unsigned char bytes_[kInlineMax];
  uint8_t len_ = 0;  // inline length
  uint8_t where_ : 3 = kInline;
  uint8_t type_ : 3 = 0;
  uint8_t enc_ : 2 = 0;
};

static_assert(sizeof(Value) == 24);

}  // namespace kora
