// HyperLogLog sketches in Redis's own byte representation, so the value of a PFADD key is a
// plain string whose bytes match Redis 7.0's exactly (GET, SET, DUMP interoperate).
//
// Layout: a 16-byte header ("HYLL", encoding byte, 3 unused bytes, 8-byte little-endian cached
// cardinality whose top bit marks the cache invalid) followed by 16384 registers (P = 14, so
// Q = 50 hash bits feed the run length) in one of two encodings:
//  - dense: 6 bits per register, packed least significant bit first (12288 bytes);
//  - sparse: run-length opcodes, ZERO (00xxxxxx: 1..64 zero registers), XZERO (01xxxxxx
//    yyyyyyyy: 1..16384 zero registers) and VAL (1vvvvvxx: 1..4 registers of value 1..32).
// A sparse sketch turns dense when a register needs a value above 32 or when growing would
// pass `sparse_max_bytes` (hll-sparse-max-bytes); never back. The estimator is Ertl's improved
// raw estimator ("New cardinality estimation algorithms for HyperLogLog sketches", 2017), as in
// Redis 5+. Elements are hashed with MurmurHash64A, seed 0xadc83b19.
//
// Pure functions over byte strings; callers own the strings. Sketches read from clients may be
// corrupt: every function checks bounds and reports corruption instead of asserting. One corrupt
// shape differs from Redis across commands: a sparse sketch ending in half an XZERO opcode,
// where Redis reads the byte past its buffer's end (possibly left there by an earlier command);
// Kora reads it as NUL at the start of each command and tracks it within one command.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace kora::hll {

inline constexpr int kP = 14;
inline constexpr int kQ = 64 - kP;
inline constexpr int kRegisters = 1 << kP;
inline constexpr size_t kHeaderSize = 16;
inline constexpr size_t kDenseSize = kHeaderSize + (kRegisters * 6 + 7) / 8;
inline constexpr uint8_t kDense = 0;
inline constexpr uint8_t kSparse = 1;
inline constexpr size_t kDefaultSparseMaxBytes = 3000;

// Redis's MurmurHash64A (little-endian reads).
uint64_t MurmurHash64A(const void* key, size_t len, uint64_t seed);

// Register index and run length (1..kQ+1) for one element.
int PatternLength(std::string_view element, int* index);

// Redis's isHLLObjectOrReply checks: magic, a known encoding, and the exact dense size.
bool LooksValid(std::string_view s);
uint8_t EncodingOf(std::string_view s);  // requires LooksValid

// A new empty sketch: sparse, XZERO runs covering every register, cache valid at 0.
std::string CreateEmpty();

// Adds elements in order (PFADD). Returns how many changed a register, or -1 on a corrupt
// sketch (the changes made before stay, as in Redis). A sparse sketch's edits invalidate its
// cached cardinality; the caller invalidates it for a dense one.
int AddMany(std::string* hll, std::span<const std::string_view> elements,
            size_t sparse_max_bytes);
// One element: 1 when a register changed, 0 when not, -1 on a corrupt sketch.
int Add(std::string* hll, std::string_view element, size_t sparse_max_bytes);

// Converts a sparse sketch to dense in place (no-op for dense). False when corrupt (the string
// is left unchanged).
bool SparseToDense(std::string* hll);

// max[i] = MAX(max[i], register i) for the kRegisters bytes at `max`. False when corrupt.
bool MergeInto(std::string_view hll, uint8_t* max);

// The cached cardinality, when the cache is valid.
bool CachedCardinality(std::string_view hll, uint64_t* card);
void SetCachedCardinality(std::string* hll, uint64_t card);
void InvalidateCache(std::string* hll);

// Estimates the cardinality of a sketch; sets *invalid on a corrupt sparse sketch.
uint64_t Count(std::string_view hll, bool* invalid);
// Estimates the cardinality of kRegisters one-byte registers (the union of PFCOUNT k1 k2...).
uint64_t CountRegisters(const uint8_t* regs);

// Writes the registers `max` into a sketch the way PFMERGE does: dense first when `use_dense`,
// then raises every nonzero register, then invalidates the cache. False when corrupt.
bool StoreMerged(std::string* hll, const uint8_t* max, bool use_dense, size_t sparse_max_bytes);

// Register i of a dense sketch.
uint8_t DenseRegister(std::string_view hll, int index);

// PFDEBUG DECODE's text for a sparse sketch ("z:N", "Z:N", "v:value,len" separated by spaces).
std::string DecodeSparse(std::string_view hll);

// PFSELFTEST: register packing and estimator error checks. Returns "" or Redis's
// "TESTFAILED ..." error text.
std::string SelfTest(size_t sparse_max_bytes, uint64_t seed);

}  // namespace kora::hll
