// Redis's listpack and intset byte formats, as they appear inside RDB payloads (hash, sorted
// set and list-node listpacks; set intsets). Writers produce exactly Redis 7.0's bytes; readers
// validate everything (bounds, back-lengths, counts, ordering) and never trust a length.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace kora::rdb {

// Builds a listpack entry by entry (Redis's lpAppend: canonical integers are stored as ints).
class ListpackWriter {
 public:
  ListpackWriter();
  void Append(std::string_view s);
  void AppendInt(int64_t v);
  size_t count() const { return count_; }
  // Bytes of the listpack so far, with its header and terminator.
  size_t bytes() const { return buf_.size() + 1; }
  std::string Finish();

 private:
  void AppendBacklen(size_t entry_len);
  std::string buf_;
  size_t count_ = 0;
};

// Calls fn(entry) for each entry of a listpack (integers formatted as decimal); fn returns
// false to stop. Returns false when the listpack is malformed.
bool ListpackForEach(std::string_view lp, const std::function<bool(std::string_view)>& fn);

// Calls fn(entry) for each entry of a ziplist (the encoding of Redis < 7 payloads), with the
// same contract as ListpackForEach.
bool ZiplistForEach(std::string_view zl, const std::function<bool(std::string_view)>& fn);

// An intset of ascending, distinct values in the narrowest width that holds them all.
std::string EncodeIntset(const std::vector<int64_t>& sorted);
// Decodes an intset, checking its header, size and strict ordering.
bool DecodeIntset(std::string_view blob, std::vector<int64_t>* out);

}  // namespace kora::rdb
