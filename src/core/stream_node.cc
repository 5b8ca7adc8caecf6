#include "core/stream_node.h"

#include "base/strutil.h"

namespace kora {

namespace {

// ---- Sizes of Redis listpack elements (listpack.c), for lp_bytes.

constexpr size_t kLpHeaderAndEnd = 6 + 1;

size_t LpBacklen(size_t l) {
  if (l <= 127) return 1;
  if (l < 16383) return 2;
  if (l < 2097151) return 3;
  if (l < 268435455) return 4;
  return 5;
}

size_t LpIntEncLen(int64_t v) {
  if (v >= 0 && v <= 127) return 1;
  if (v >= -4096 && v <= 4095) return 2;
  if (v >= -32768 && v <= 32767) return 3;
  if (v >= -8388608 && v <= 8388607) return 4;
  if (v >= -2147483648LL && v <= 2147483647LL) return 5;
  return 9;
}

size_t LpInt(int64_t v) {
  size_t e = LpIntEncLen(v);
  return e + LpBacklen(e);
}

// A string element; strings that read as integers are stored as integers.
size_t LpStr(std::string_view s) {
  int64_t v;
  if (ParseInt64(s, &v)) return LpInt(v);
  size_t e = s.size() < 64 ? 1 + s.size() : s.size() < 4096 ? 2 + s.size() : 5 + s.size();
  return e + LpBacklen(e);
}

// ---- Packing.

void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

void PutString(std::string* out, std::string_view s) {
  PutVarint(out, s.size());
  out->append(s);
}

uint64_t ZigZag(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
int64_t UnZigZag(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }

}  // namespace

bool StreamId::Incr() {
  if (seq == UINT64_MAX) {
    if (ms == UINT64_MAX) {
      ms = seq = 0;
      return false;
    }
    ++ms;
    seq = 0;
  } else {
    ++seq;
  }
  return true;
}

bool StreamId::Decr() {
  if (seq == 0) {
    if (ms == 0) {
      ms = seq = UINT64_MAX;
      return false;
    }
    --ms;
    seq = UINT64_MAX;
  } else {
    --seq;
  }
  return true;
}

std::string StreamId::ToString() const {
  return std::to_string(ms) + "-" + std::to_string(seq);
}

StreamNode::StreamNode(StreamId master, std::span<const std::string_view> fv) : master_(master) {
  master_count_ = static_cast<uint32_t>(fv.size() / 2);
  lp_bytes_ = kLpHeaderAndEnd + LpInt(0) + LpInt(0) + LpInt(master_count_) + LpInt(0);
  for (size_t k = 0; k + 1 < fv.size(); k += 2) {
    PutString(&master_fields_, fv[k]);
    lp_bytes_ += LpStr(fv[k]);
  }
}

void StreamNode::Append(StreamId id, std::span<const std::string_view> fv) {
  uint64_t n = fv.size() / 2;
  bool same = n == master_count_;
  if (same) {
    const char* m = master_fields_.data();
    for (size_t k = 0; k < fv.size() && same; k += 2) same = GetString(&m) == fv[k];
  }
  uint8_t flags = same ? kSameFields : 0;
  // Redis stores the differences as signed 64-bit listpack integers.
  auto msd = static_cast<int64_t>(id.ms - master_.ms);
  auto seqd = static_cast<int64_t>(id.seq - master_.seq);
  offsets_.push_back(static_cast<uint32_t>(data_.size()));
  data_.push_back(static_cast<char>(flags));
  PutVarint(&data_, ZigZag(msd));
  PutVarint(&data_, ZigZag(seqd));
  lp_bytes_ += LpInt(flags) + LpInt(msd) + LpInt(seqd);
  int64_t lp_count = static_cast<int64_t>(n) + 3;
  if (!same) {
    PutVarint(&data_, n);
    lp_bytes_ += LpInt(static_cast<int64_t>(n));
    lp_count += static_cast<int64_t>(n) + 1;
  }
  for (size_t k = 0; k + 1 < fv.size(); k += 2) {
    if (!same) {
      PutString(&data_, fv[k]);
      lp_bytes_ += LpStr(fv[k]);
    }
    PutString(&data_, fv[k + 1]);
    lp_bytes_ += LpStr(fv[k + 1]);
  }
  lp_bytes_ += LpInt(lp_count);
  SetCounts(live_ + 1, deleted_);
}

const char* StreamNode::GetVarint(const char* p, uint64_t* v) {
  uint64_t r = 0;
  int shift = 0;
  uint8_t b;
  do {
    b = static_cast<uint8_t>(*p++);
    r |= uint64_t{b & 0x7fu} << shift;
    shift += 7;
  } while (b & 0x80);
  *v = r;
  return p;
}

std::string_view StreamNode::GetString(const char** p) {
  uint64_t n;
  const char* d = GetVarint(*p, &n);
  *p = d + n;
  return {d, static_cast<size_t>(n)};
}

const char* StreamNode::Header(size_t i, uint8_t* flags, StreamId* id, uint64_t* nfields) const {
  const char* p = data_.data() + offsets_[i];
  *flags = static_cast<uint8_t>(*p++);
  uint64_t msd, seqd;
  p = GetVarint(p, &msd);
  p = GetVarint(p, &seqd);
  id->ms = master_.ms + static_cast<uint64_t>(UnZigZag(msd));
  id->seq = master_.seq + static_cast<uint64_t>(UnZigZag(seqd));
  if (*flags & kSameFields) {
    *nfields = master_count_;
  } else {
    p = GetVarint(p, nfields);
  }
  return p;
}

StreamId StreamNode::IdAt(size_t i) const {
  uint8_t flags;
  StreamId id;
  uint64_t n;
  Header(i, &flags, &id, &n);
  return id;
}

size_t StreamNode::NumFieldsAt(size_t i) const {
  uint8_t flags;
  StreamId id;
  uint64_t n;
  Header(i, &flags, &id, &n);
  return n;
}

void StreamNode::SetCounts(uint32_t live, uint32_t deleted) {
  lp_bytes_ = lp_bytes_ - LpInt(live_) - LpInt(deleted_) + LpInt(live) + LpInt(deleted);
  live_ = live;
  deleted_ = deleted;
}

void StreamNode::MarkDeleted(size_t i) {
  data_[offsets_[i]] = static_cast<char>(FlagsAt(i) | kDeleted);  // same listpack size
  SetCounts(live_ - 1, deleted_ + 1);
}

size_t StreamNode::LowerBound(StreamId id) const {
  size_t lo = 0, hi = offsets_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (IdAt(mid) < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t StreamNode::UpperBound(StreamId id) const {
  size_t lo = 0, hi = offsets_.size();
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    if (IdAt(mid) <= id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

size_t StreamNode::MemoryUsage() const {
  return sizeof(*this) + master_fields_.capacity() + data_.capacity() +
         offsets_.capacity() * sizeof(uint32_t);
}

}  // namespace kora
