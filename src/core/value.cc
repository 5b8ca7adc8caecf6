#include "core/value.h"

#include "base/strutil.h"
#include "core/memory.h"

namespace kora {

namespace {

// A blob: the length (4 bytes) then the bytes, in one allocation of exactly that size.
char* NewBlob(std::string_view s) {
  auto* p = static_cast<char*>(::operator new(4 + s.size()));
  auto n = static_cast<uint32_t>(s.size());
  std::memcpy(p, &n, 4);
  std::memcpy(p + 4, s.data(), s.size());
  return p;
}

std::string_view BlobView(const char* p) {
  uint32_t n;
  std::memcpy(&n, p, 4);
  return {p + 4, n};
}

}  // namespace

void Value::SetBytes(std::string_view s, StrEncoding enc) {
  if (s.size() <= kInlineMax) {
    SetInline(s);
  } else if (s.size() <= UINT32_MAX) {
    Store(NewBlob(s));
    where_ = kBlob;
    type_ = static_cast<uint8_t>(ValueType::kString);
  } else {
    Store(new std::string(s));
    where_ = kStdString;
    type_ = static_cast<uint8_t>(ValueType::kString);
  }
  enc_ = static_cast<uint8_t>(enc);
}

void Value::Release() {
  switch (where_) {
    case kBlob:
      ::operator delete(Load<char*>());
      break;
    case kStdString:
      delete Load<std::string*>();
      break;
    case kObject:
      delete Load<CollectionObject*>();
      break;
    default:
      break;
  }
  where_ = kInline;
  len_ = 0;
}

Value Value::String(std::string_view s) {
  int64_t iv;
  if (s.size() <= 20 && ParseInt64(s, &iv)) return Int(iv);
  return PlainString(s);
}

void Value::AssignString(std::string_view s) {
  int64_t iv;
  if (s.size() <= 20 && ParseInt64(s, &iv)) {
    *this = Int(iv);
    return;
  }
  if (where_ == kBlob) {
    char* p = Load<char*>();
    if (BlobView(p).size() == s.size()) {
      std::memcpy(p + 4, s.data(), s.size());
      type_ = static_cast<uint8_t>(ValueType::kString);
      enc_ = static_cast<uint8_t>(s.size() <= kEmbStrLimit ? StrEncoding::kEmbStr
                                                           : StrEncoding::kRaw);
      return;
    }
  }
  *this = PlainString(s);
}

Value Value::PlainString(std::string_view s) {
  Value v;
  v.SetBytes(s, s.size() <= kEmbStrLimit ? StrEncoding::kEmbStr : StrEncoding::kRaw);
  return v;
}

Value Value::RawString(std::string s) {
  Value v;
  v.Store(new std::string(std::move(s)));
  v.where_ = kStdString;
  v.enc_ = static_cast<uint8_t>(StrEncoding::kRaw);
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.Store(i);
  v.where_ = kInt;
  v.enc_ = static_cast<uint8_t>(StrEncoding::kInt);
  return v;
}

Value Value::Collection(std::unique_ptr<CollectionObject> obj) {
  Value v;
  v.type_ = static_cast<uint8_t>(obj->type());
  v.Store(obj.release());
  v.where_ = kObject;
  return v;
}

Value Value::Clone() const {
  Value v;
  switch (where_) {
    case kInline:
    case kInt:
      std::memcpy(static_cast<void*>(&v), this, sizeof(Value));
      break;
    case kBlob:
      v.Store(NewBlob(BlobView(Load<char*>())));
      v.where_ = kBlob;
      v.type_ = type_;
      v.enc_ = enc_;
      break;
    case kStdString:
      v.Store(new std::string(*Load<std::string*>()));
      v.where_ = kStdString;
      v.type_ = type_;
      v.enc_ = enc_;
      break;
    case kObject:
      return Collection(collection()->Clone());
  }
  return v;
}

const char* Value::encoding_name() const {
  if (where_ == kObject) return collection()->encoding_name();
  switch (str_encoding()) {
    case StrEncoding::kInt: return "int";
    case StrEncoding::kEmbStr: return "embstr";
    case StrEncoding::kRaw: return "raw";
  }
  return "raw";
}

std::string_view Value::StrView(std::string* scratch) const {
  switch (where_) {
    case kInline:
      return {reinterpret_cast<const char*>(bytes_), len_};
    case kInt:
      scratch->clear();
      AppendInt64(scratch, int_value());
      return *scratch;
    case kBlob:
      return BlobView(Load<char*>());
    case kStdString:
      return *Load<std::string*>();
    default:
      return {};
  }
}

size_t Value::StrLen() const {
  if (where_ == kInt) {
    int64_t v = int_value();
    uint64_t u = v < 0 ? 0 - static_cast<uint64_t>(v) : static_cast<uint64_t>(v);
    size_t n = v < 0 ? 1 : 0;
    do {
      ++n;
      u /= 10;
    } while (u != 0);
    return n;
  }
  std::string scratch;
  return StrView(&scratch).size();
}

std::string& Value::MutableRaw() {
  if (where_ != kStdString) {
    std::string scratch;
    auto* s = new std::string(StrView(&scratch));
    Release();
    Store(s);
    where_ = kStdString;
    type_ = static_cast<uint8_t>(ValueType::kString);
  }
  enc_ = static_cast<uint8_t>(StrEncoding::kRaw);
  return *Load<std::string*>();
}

size_t Value::StringHeapBytes() const {
  switch (where_) {
    case kBlob:
      return memory::ChunkBytes(4 + BlobView(Load<char*>()).size());
    case kStdString: {
      const std::string& s = *Load<std::string*>();
      return memory::ChunkBytes(sizeof(std::string)) +
             (s.capacity() > 15 ? memory::ChunkBytes(s.capacity() + 1) : 0);
    }
    default:
      return 0;
  }
}

size_t Value::MemoryUsage() const {
  if (where_ == kObject) return sizeof(Value) + collection()->MemoryUsage();
  return sizeof(Value) + StringHeapBytes();
}

}  // namespace kora
