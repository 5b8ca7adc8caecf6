// The value stored under a key: a string (integer, short or raw encoded, as Redis reports in
// OBJECT ENCODING) or a collection object. Owned by the shard's table; never shared.
#pragma once

#include <cstdint>
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

class Value {
 public:
  static constexpr size_t kEmbStrLimit = 44;  // OBJ_ENCODING_EMBSTR_SIZE_LIMIT

  Value() = default;
  Value(Value&&) noexcept = default;
  Value& operator=(Value&&) noexcept = default;

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

  ValueType type() const { return type_; }
  bool is_string() const { return type_ == ValueType::kString; }
  StrEncoding str_encoding() const { return enc_; }
  const char* encoding_name() const;

  bool is_int() const { return is_string() && enc_ == StrEncoding::kInt; }
  int64_t int_value() const { return int_; }
  // The string bytes; an integer is formatted into `scratch`.
  std::string_view StrView(std::string* scratch) const;
  size_t StrLen() const;
  // Turns the value into a raw string and returns it for in-place mutation.
  std::string& MutableRaw();

  CollectionObject* collection() const { return obj_.get(); }
  template <class T>
  T* As() const { return static_cast<T*>(obj_.get()); }

  size_t MemoryUsage() const;

 private:
  ValueType type_ = ValueType::kString;
  StrEncoding enc_ = StrEncoding::kEmbStr;
  int64_t int_ = 0;
  std::string str_;
  std::unique_ptr<CollectionObject> obj_;
};

}  // namespace kora
