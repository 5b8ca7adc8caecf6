#include "core/value.h"

#include "base/strutil.h"

namespace kora {

Value Value::String(std::string_view s) {
  Value v;
  int64_t iv;
  if (s.size() <= 20 && ParseInt64(s, &iv)) {
    v.enc_ = StrEncoding::kInt;
    v.int_ = iv;
    return v;
  }
  v.enc_ = s.size() <= kEmbStrLimit ? StrEncoding::kEmbStr : StrEncoding::kRaw;
  v.str_.assign(s);
  return v;
}

Value Value::PlainString(std::string_view s) {
  Value v;
  v.enc_ = s.size() <= kEmbStrLimit ? StrEncoding::kEmbStr : StrEncoding::kRaw;
  v.str_.assign(s);
  return v;
}

Value Value::RawString(std::string s) {
  Value v;
  v.enc_ = StrEncoding::kRaw;
  v.str_ = std::move(s);
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.enc_ = StrEncoding::kInt;
  v.int_ = i;
  return v;
}

Value Value::Collection(std::unique_ptr<CollectionObject> obj) {
  Value v;
  v.type_ = obj->type();
  v.obj_ = std::move(obj);
  return v;
}

Value Value::Clone() const {
  Value v;
  v.type_ = type_;
  v.enc_ = enc_;
  v.int_ = int_;
  v.str_ = str_;
  if (obj_) v.obj_ = obj_->Clone();
  return v;
}

const char* Value::encoding_name() const {
  if (obj_) return obj_->encoding_name();
  switch (enc_) {
    case StrEncoding::kInt: return "int";
    case StrEncoding::kEmbStr: return "embstr";
    case StrEncoding::kRaw: return "raw";
  }
  return "raw";
}

std::string_view Value::StrView(std::string* scratch) const {
  if (enc_ == StrEncoding::kInt) {
    scratch->clear();
    AppendInt64(scratch, int_);
    return *scratch;
  }
  return str_;
}

size_t Value::StrLen() const {
  if (enc_ == StrEncoding::kInt) {
    std::string s;
    AppendInt64(&s, int_);
    return s.size();
  }
  return str_.size();
}

std::string& Value::MutableRaw() {
  if (enc_ == StrEncoding::kInt) {
    str_.clear();
    AppendInt64(&str_, int_);
  }
  enc_ = StrEncoding::kRaw;
  return str_;
}

size_t Value::MemoryUsage() const {
  size_t n = sizeof(Value);
  if (obj_) return n + obj_->MemoryUsage();
  if (str_.capacity() > 15) n += str_.capacity() + 1;
  return n;
}

}  // namespace kora
