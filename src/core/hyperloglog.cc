// HyperLogLog in Redis's representation; see hyperloglog.h for the layout.
#include "core/hyperloglog.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <span>
#include <vector>

namespace kora::hll {
namespace {

constexpr uint64_t kSeed = 0xadc83b19ULL;
constexpr size_t kDenseBytes = kDenseSize - kHeaderSize;
constexpr int kRegisterMax = 63;
constexpr int kSparseValMax = 32;    // largest value a VAL opcode holds
constexpr int kSparseValLenMax = 4;  // longest run of a VAL opcode
constexpr int kSparseZeroMax = 64;   // longest run of a ZERO opcode
constexpr int kSparseXZeroMax = 16384;
// 1 / (2 ln 2): the estimator's constant for m -> infinity.
constexpr double kAlphaInf = 0.721347520444481703680;

// ---- Dense registers (6 bits each, least significant bit first).

int GetDense(const uint8_t* regs, int i) {
  size_t bit = static_cast<size_t>(i) * 6;
  size_t b0 = bit / 8;
  unsigned fb = bit & 7;
  unsigned lo = regs[b0];
  unsigned hi = b0 + 1 < kDenseBytes ? regs[b0 + 1] : 0;
  return static_cast<int>(((lo >> fb) | (hi << (8 - fb))) & kRegisterMax);
}

void SetDense(uint8_t* regs, int i, int val) {
  size_t bit = static_cast<size_t>(i) * 6;
  size_t b0 = bit / 8;
  unsigned fb = bit & 7;
  unsigned v = static_cast<unsigned>(val);
  regs[b0] = static_cast<uint8_t>((regs[b0] & ~(kRegisterMax << fb)) | (v << fb));
  if (b0 + 1 < kDenseBytes) {
    regs[b0 + 1] = static_cast<uint8_t>((regs[b0 + 1] & ~(kRegisterMax >> (8 - fb))) |
                                        (v >> (8 - fb)));
  }
}

// Raises register i to `count`; 1 when it changed.
int RaiseDense(uint8_t* regs, int i, int count) {
  if (count <= GetDense(regs, i)) return 0;
  SetDense(regs, i, count);
  return 1;
}

uint8_t* DenseRegs(std::string* s) { return reinterpret_cast<uint8_t*>(s->data()) + kHeaderSize; }
const uint8_t* DenseRegs(std::string_view s) {
  return reinterpret_cast<const uint8_t*>(s.data()) + kHeaderSize;
}

// ---- Sparse opcodes.

bool IsZero(uint8_t b) { return (b & 0xc0) == 0; }
bool IsXZero(uint8_t b) { return (b & 0xc0) == 0x40; }
bool IsVal(uint8_t b) { return (b & 0x80) != 0; }
int ZeroLen(uint8_t b) { return (b & 0x3f) + 1; }
int XZeroLen(uint8_t b0, uint8_t b1) { return (((b0 & 0x3f) << 8) | b1) + 1; }
int ValValue(uint8_t b) { return ((b >> 2) & 0x1f) + 1; }
int ValLen(uint8_t b) { return (b & 3) + 1; }
uint8_t ZeroOp(int len) { return static_cast<uint8_t>(len - 1); }
uint8_t ValOp(int val, int len) { return static_cast<uint8_t>(0x80 | ((val - 1) << 2) | (len - 1)); }
// Appends a ZERO or XZERO opcode for `len` zero registers.
uint8_t* PutZeros(uint8_t* out, int len) {
  if (len > kSparseZeroMax) {
    out[0] = static_cast<uint8_t>(((len - 1) >> 8) | 0x40);
    out[1] = static_cast<uint8_t>((len - 1) & 0xff);
    return out + 2;
  }
  *out = ZeroOp(len);
  return out + 1;
}

// Byte i of s; `past_end` for the byte just past the end. Redis reads that byte when a corrupt
// sparse sketch ends in half an XZERO opcode: it is the string's terminating NUL, or what an
// earlier edit of the same buffer left there (see SparseSet). Tracking it within one command
// keeps such sketches byte-identical to Redis's.
uint8_t At(std::string_view s, size_t i, uint8_t past_end = 0) {
  return i < s.size() ? static_cast<uint8_t>(s[i]) : past_end;
}

// Walks the opcodes of a sparse sketch: fn(first register, value, run) for every run. Returns the number of
// registers covered, or -1 when a VAL run would pass the last register.
template <class Fn>
int64_t WalkSparse(std::string_view s, uint8_t past_end, Fn&& fn) {
  int64_t idx = 0;
  size_t p = kHeaderSize;
  while (p < s.size()) {
    uint8_t op = At(s, p);
    if (IsZero(op)) {
      int run = ZeroLen(op);
      fn(idx, 0, run);
      idx += run;
      ++p;
    } else if (IsXZero(op)) {
      int run = XZeroLen(op, At(s, p + 1, past_end));
      fn(idx, 0, run);
      idx += run;
      p += 2;
    } else {
      int run = ValLen(op);
      if (idx + run > kRegisters) return -1;
      fn(idx, ValValue(op), run);
      idx += run;
      ++p;
    }
  }
  return idx;
}

// Step 4 of a sparse update: merges adjacent VAL opcodes of equal value, looking at up to five
// opcodes from `from`. Each merge leaves a NUL past the end.
void MergeAdjacentVals(std::string* s, size_t from, uint8_t* past_end) {
  size_t p = from;
  int scan = 5;
  while (p < s->size() && scan--) {
    uint8_t op = At(*s, p);
    if (IsXZero(op)) {
      p += 2;
      continue;
    }
    if (IsZero(op)) {
      ++p;
      continue;
    }
    uint8_t next = At(*s, p + 1);
    if (p + 1 < s->size() && IsVal(next) && ValValue(op) == ValValue(next)) {
      int len = ValLen(op) + ValLen(next);
      if (len <= kSparseValLenMax) {
        (*s)[p + 1] = static_cast<char>(ValOp(ValValue(op), len));
        s->erase(p, 1);
        *past_end = 0;
        continue;  // try to merge the merged run with the next one
      }
    }
    ++p;
  }
}

bool ToDense(std::string* hll, uint8_t past_end) {
  if (EncodingOf(*hll) == kDense) return true;
  std::string dense(kDenseSize, '\0');
  std::memcpy(dense.data(), hll->data(), kHeaderSize);  // magic, unused bytes and cache
  dense[4] = static_cast<char>(kDense);
  uint8_t* regs = DenseRegs(&dense);
  int64_t n = WalkSparse(*hll, past_end, [&](int64_t idx, int val, int run) {
    if (val == 0) return;
    for (int i = 0; i < run; ++i) SetDense(regs, static_cast<int>(idx + i), val);
  });
  if (n != kRegisters) return false;
  *hll = std::move(dense);
  return true;
}

int Promote(std::string* s, int index, int count, uint8_t past_end) {
  if (!ToDense(s, past_end)) return -1;
  return RaiseDense(DenseRegs(s), index, count);
}

// Replaces the opcode at `p` (covering registers first..first+span-1) by up to three opcodes
// that give register `index` the value `count`. False, changing nothing, when the sketch would
// grow past `sparse_max_bytes` and must turn dense instead.
bool SplitRun(std::string* s, size_t p, int64_t first, int64_t span, int index, int count,
              size_t sparse_max_bytes, uint8_t* past_end) {
  uint8_t op = At(*s, p);
  uint8_t seq[5];
  uint8_t* n = seq;
  auto before = static_cast<int>(index - first);
  auto after = static_cast<int>(first + span - 1 - index);
  if (IsVal(op)) {
    int cur = ValValue(op);
    if (before > 0) *n++ = ValOp(cur, before);
    *n++ = ValOp(count, 1);
    if (after > 0) *n++ = ValOp(cur, after);
  } else {
    if (before > 0) n = PutZeros(n, before);
    *n++ = ValOp(count, 1);
    if (after > 0) n = PutZeros(n, after);
  }
  auto seqlen = static_cast<size_t>(n - seq);
  size_t oldlen = IsXZero(op) ? 2 : 1;
  if (seqlen > oldlen && s->size() + (seqlen - oldlen) > sparse_max_bytes) return false;
  // Redis resizes the buffer (writing a NUL past the new end), then copies `seq` in. A
  // truncated XZERO at the end has only one byte: the last byte of `seq` then lands past the
  // new end, where a later edit in the same command reads it.
  size_t new_size = s->size() + seqlen - oldlen;
  size_t old_bytes = std::min(oldlen, s->size() - p);
  s->replace(p, old_bytes, reinterpret_cast<const char*>(seq), seqlen);
  s->resize(new_size);
  *past_end = old_bytes < oldlen ? seq[seqlen - 1] : 0;
  return true;
}

// hllSparseSet: raises register `index` to `count` in a sparse sketch, turning it dense when
// needed. 1 when changed, 0 when not, -1 when corrupt.
int SparseSet(std::string* s, int index, int count, size_t sparse_max_bytes,
              uint8_t* past_end) {
  if (count > kSparseValMax) return Promote(s, index, count, *past_end);
  // Find the opcode covering `index`.
  size_t p = kHeaderSize;
  size_t prev = std::string::npos;
  int64_t first = 0;
  int64_t span = 0;
  while (p < s->size()) {
    uint8_t op = At(*s, p);
    size_t oplen = 1;
    if (IsZero(op)) {
      span = ZeroLen(op);
    } else if (IsVal(op)) {
      span = ValLen(op);
    } else {
      span = XZeroLen(op, At(*s, p + 1, *past_end));
      oplen = 2;
    }
    if (index <= first + span - 1) break;
    prev = p;
    p += oplen;
    first += span;
  }
  if (span == 0 || p >= s->size()) return -1;
  uint8_t op = At(*s, p);
  if (IsVal(op) && ValValue(op) >= count) return 0;
  if ((IsVal(op) && ValLen(op) == 1) || (IsZero(op) && ZeroLen(op) == 1)) {
    (*s)[p] = static_cast<char>(ValOp(count, 1));  // a run of just our register
  } else if (!SplitRun(s, p, first, span, index, count, sparse_max_bytes, past_end)) {
    return Promote(s, index, count, *past_end);
  }
  MergeAdjacentVals(s, prev != std::string::npos ? prev : kHeaderSize, past_end);
  InvalidateCache(s);
  return 1;
}

void Histogram(std::string_view s, int64_t* histo, bool* invalid) {
  if (s[4] == kDense) {
    const uint8_t* regs = DenseRegs(s);
    for (int i = 0; i < kRegisters; ++i) ++histo[GetDense(regs, i)];
    return;
  }
  int64_t n = 0;
  size_t p = kHeaderSize;
  while (p < s.size()) {  // unlike a merge, counting tolerates VAL runs past the end
    uint8_t op = At(s, p);
    if (IsZero(op)) {
      n += ZeroLen(op);
      histo[0] += ZeroLen(op);
      ++p;
    } else if (IsXZero(op)) {
      int run = XZeroLen(op, At(s, p + 1));
      n += run;
      histo[0] += run;
      p += 2;
    } else {
      n += ValLen(op);
      histo[ValValue(op)] += ValLen(op);
      ++p;
    }
  }
  if (n != kRegisters) *invalid = true;
}

double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0, z = x, prev;
  do {
    x *= x;
    prev = z;
    z += x * y;
    y += y;
  } while (prev != z);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, prev;
  do {
    x = std::sqrt(x);
    prev = z;
    y *= 0.5;
    z -= std::pow(1.0 - x, 2) * y;
  } while (prev != z);
  return z / 3.0;
}

uint64_t Estimate(const int64_t* histo) {
  const double m = kRegisters;
  double z = m * Tau((m - static_cast<double>(histo[kQ + 1])) / m);
  for (int j = kQ; j >= 1; --j) {
    z += static_cast<double>(histo[j]);
    z *= 0.5;
  }
  z += m * Sigma(static_cast<double>(histo[0]) / m);
  double q = kAlphaInf * m * m / z;
  // Redis rounds to a long long and keeps it in a double. Past 2^63 (z = 0 for sketches whose
  // registers are all 50 or more) its conversions yield 2^63, which the reply shows negative.
  if (!(q < 0x1p63)) return uint64_t{1} << 63;
  auto e = static_cast<double>(std::llroundl(q));
  return static_cast<uint64_t>(e);
}

int SetRegister(std::string* hll, int index, int count, size_t sparse_max_bytes,
                uint8_t* past_end) {
  switch (EncodingOf(*hll)) {
    case kDense:
      return RaiseDense(DenseRegs(hll), index, count);
    case kSparse:
      return SparseSet(hll, index, count, sparse_max_bytes, past_end);
    default:
      return -1;
  }
}

}  // namespace

uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed) {
  const uint64_t m = 0xc6a4a7935bd1e995ULL;
  const int r = 47;
  uint64_t h = seed ^ (len * m);
  const auto* data = static_cast<const uint8_t*>(key);
  const uint8_t* end = data + (len - (len & 7));
  for (; data != end; data += 8) {
    uint64_t k = 0;
    for (int i = 7; i >= 0; --i) k = (k << 8) | data[i];
    k *= m;
    k ^= k >> r;
    k *= m;
    h ^= k;
    h *= m;
  }
  size_t rest = len & 7;
  if (rest != 0) {
    for (size_t i = rest; i-- > 0;) h ^= static_cast<uint64_t>(data[i]) << (8 * i);
    h *= m;
  }
  h ^= h >> r;
  h *= m;
  h ^= h >> r;
  return h;
}

int PatternLength(std::string_view element, int* index) {
  uint64_t hash = MurmurHash64A(element.data(), element.size(), kSeed);
  *index = static_cast<int>(hash & (kRegisters - 1));
  hash >>= kP;
  hash |= uint64_t{1} << kQ;  // guarantees the loop ends: count <= kQ + 1
  int count = 1;
  for (uint64_t bit = 1; (hash & bit) == 0; bit <<= 1) ++count;
  return count;
}

bool LooksValid(std::string_view s) {
  if (s.size() < kHeaderSize || s.substr(0, 4) != "HYLL") return false;
  auto enc = static_cast<uint8_t>(s[4]);
  if (enc > kSparse) return false;
  return enc != kDense || s.size() == kDenseSize;
}

uint8_t EncodingOf(std::string_view s) { return static_cast<uint8_t>(s[4]); }

std::string CreateEmpty() {
  std::string s(kHeaderSize, '\0');
  std::memcpy(s.data(), "HYLL", 4);
  s[4] = static_cast<char>(kSparse);
  uint8_t buf[2];
  for (int left = kRegisters; left > 0;) {
    int run = std::min(left, kSparseXZeroMax);
    PutZeros(buf, run);
    s.append(reinterpret_cast<const char*>(buf), 2);
    left -= run;
  }
  return s;
}

int Add(std::string* hll, std::string_view element, size_t sparse_max_bytes) {
  return AddMany(hll, std::span<const std::string_view>(&element, 1), sparse_max_bytes);
}

int AddMany(std::string* hll, std::span<const std::string_view> elements,
            size_t sparse_max_bytes) {
  int updated = 0;
  uint8_t past_end = 0;
  for (std::string_view e : elements) {
    int index;
    int count = PatternLength(e, &index);
    int r = SetRegister(hll, index, count, sparse_max_bytes, &past_end);
    if (r < 0) return -1;
    updated += r;
  }
  return updated;
}

bool SparseToDense(std::string* hll) { return ToDense(hll, 0); }

bool MergeInto(std::string_view hll, uint8_t* max) {
  if (EncodingOf(hll) == kDense) {
    const uint8_t* regs = DenseRegs(hll);
    for (int i = 0; i < kRegisters; ++i) {
      auto v = static_cast<uint8_t>(GetDense(regs, i));
      if (v > max[i]) max[i] = v;
    }
    return true;
  }
  int64_t n = WalkSparse(hll, 0, [&](int64_t idx, int val, int run) {
    if (val == 0) return;
    for (int i = 0; i < run; ++i) {
      if (val > max[idx + i]) max[idx + i] = static_cast<uint8_t>(val);
    }
  });
  return n == kRegisters;
}

bool CachedCardinality(std::string_view hll, uint64_t* card) {
  if (static_cast<uint8_t>(hll[15]) & 0x80) return false;
  uint64_t v = 0;
  for (int i = 15; i >= 8; --i) v = (v << 8) | static_cast<uint8_t>(hll[i]);
  *card = v;
  return true;
}

void SetCachedCardinality(std::string* hll, uint64_t card) {
  for (int i = 8; i < 16; ++i) {
    (*hll)[i] = static_cast<char>(card & 0xff);
    card >>= 8;
  }
}

void InvalidateCache(std::string* hll) {
  (*hll)[15] = static_cast<char>(static_cast<uint8_t>((*hll)[15]) | 0x80);
}

uint64_t Count(std::string_view hll, bool* invalid) {
  int64_t histo[64] = {};
  Histogram(hll, histo, invalid);
  if (*invalid) return 0;
  return Estimate(histo);
}

uint64_t CountRegisters(const uint8_t* regs) {
  int64_t histo[256] = {};
  for (int i = 0; i < kRegisters; ++i) ++histo[regs[i]];
  return Estimate(histo);
}

bool StoreMerged(std::string* hll, const uint8_t* max, bool use_dense, size_t sparse_max_bytes) {
  if (use_dense && !SparseToDense(hll)) return false;
  uint8_t past_end = 0;
  for (int i = 0; i < kRegisters; ++i) {
    if (max[i] != 0) SetRegister(hll, i, max[i], sparse_max_bytes, &past_end);
  }
  InvalidateCache(hll);
  return true;
}

uint8_t DenseRegister(std::string_view hll, int index) {
  return static_cast<uint8_t>(GetDense(DenseRegs(hll), index));
}

std::string DecodeSparse(std::string_view hll) {
  std::string out;
  size_t p = kHeaderSize;
  while (p < hll.size()) {
    uint8_t op = At(hll, p);
    if (IsZero(op)) {
      out += "z:" + std::to_string(ZeroLen(op)) + " ";
      ++p;
    } else if (IsXZero(op)) {
      out += "Z:" + std::to_string(XZeroLen(op, At(hll, p + 1))) + " ";
      p += 2;
    } else {
      out += "v:" + std::to_string(ValValue(op)) + "," + std::to_string(ValLen(op)) + " ";
      ++p;
    }
  }
  if (!out.empty()) out.pop_back();
  return out;
}

std::string SelfTest(size_t sparse_max_bytes, uint64_t seed) {
  std::mt19937_64 rng(seed);
  // 1: the packed registers read back what was written.
  std::string dense = CreateEmpty();
  if (!SparseToDense(&dense)) return "TESTFAILED sparse to dense conversion";
  uint8_t* regs = DenseRegs(&dense);
  std::vector<uint8_t> bytes(kRegisters);
  for (int round = 0; round < 100; ++round) {
    for (int i = 0; i < kRegisters; ++i) {
      bytes[i] = static_cast<uint8_t>(rng() & kRegisterMax);
      SetDense(regs, i, bytes[i]);
    }
    for (int i = 0; i < kRegisters; ++i) {
      int v = GetDense(regs, i);
      if (v != bytes[i]) {
        return "TESTFAILED Register error, counter " + std::to_string(i) + " wanted " +
               std::to_string(bytes[i]) + " but counter value is " + std::to_string(v);
      }
    }
  }
  // 2: estimates of 1, 10, ..., 10^7 distinct elements stay within 6 standard errors, and the
  // sparse and dense encodings agree.
  std::memset(regs, 0, kDenseBytes);
  std::string sparse = CreateEmpty();
  const double relerr = 1.04 / std::sqrt(static_cast<double>(kRegisters));
  uint64_t salt = rng();
  int64_t checkpoint = 1;
  bool feed_sparse = true;  // until it turns dense and must then equal `dense` byte for byte
  for (int64_t j = 1; j <= 10000000; ++j) {
    uint64_t ele = static_cast<uint64_t>(j) ^ salt;
    std::string_view e(reinterpret_cast<const char*>(&ele), sizeof(ele));
    Add(&dense, e, sparse_max_bytes);
    if (feed_sparse) {
      Add(&sparse, e, sparse_max_bytes);
      if (EncodingOf(sparse) == kDense) {
        if (sparse.compare(kHeaderSize, kDenseBytes, dense, kHeaderSize, kDenseBytes) != 0) {
          return "TESTFAILED dense/sparse disagree";
        }
        feed_sparse = false;
      }
    }
    if (j != checkpoint) continue;
    if (j < static_cast<int64_t>(sparse_max_bytes / 2) && EncodingOf(sparse) != kSparse) {
      return "TESTFAILED sparse encoding not used";
    }
    bool bad = false;
    uint64_t card = Count(dense, &bad);
    if (feed_sparse && (card != Count(sparse, &bad) || bad)) {
      return "TESTFAILED dense/sparse disagree";
    }
    int64_t abserr = std::llabs(checkpoint - static_cast<int64_t>(card));
    auto maxerr = static_cast<int64_t>(std::ceil(relerr * 6 * static_cast<double>(checkpoint)));
    if (j == 10) maxerr = 1;
    if (abserr > maxerr) {
      return "TESTFAILED Too big error. card:" + std::to_string(checkpoint) +
             " abserr:" + std::to_string(abserr);
    }
    checkpoint *= 10;
  }
  return "";
}

}  // namespace kora::hll
