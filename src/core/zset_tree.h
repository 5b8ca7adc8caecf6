// The order of a large sorted set: a B+tree of ZEntry pointers with subtree sizes (an
// order-statistics tree), so rank, select-by-rank and range bounds cost O(log n) and a range
// of m elements is walked in O(m) through the linked leaves.
//
// Leaves hold up to kLeafCap entry pointers in (score, member) order and are linked both ways.
// Inner nodes hold, per child, the child pointer, the number of elements below it and the
// child's last (largest) entry, which routes searches. Nodes other than the root are kept at
// least half full (merging or borrowing on deletion). The tree does not own the entries.
// Owned by one sorted set on one shard; not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

#include "core/zset_entry.h"

namespace kora {

class ZTree {
 public:
  static constexpr int kLeafCap = 64;
  static constexpr int kInnerCap = 64;

  struct Node {
    uint16_t count = 0;
    bool leaf = true;
  };
  struct Leaf : Node {
    Leaf* prev = nullptr;
    Leaf* next = nullptr;
    ZEntry* item[kLeafCap];
  };
  struct Inner : Node {
    Node* child[kInnerCap];
    uint64_t size[kInnerCap];
    ZEntry* max[kInnerCap];
  };

  // A position: an element of a leaf, or the end (leaf == nullptr).
  struct Pos {
    Leaf* leaf = nullptr;
    int idx = 0;
    bool valid() const { return leaf != nullptr; }
    ZEntry* entry() const { return leaf->item[idx]; }
    void Next() {
      if (++idx >= leaf->count) {
        leaf = leaf->next;
        idx = 0;
      }
    }
    void Prev() {
      if (--idx < 0) {
        leaf = leaf->prev;
        idx = leaf ? leaf->count - 1 : 0;
      }
    }
  };

  ZTree() = default;
  ~ZTree() { Clear(); }
  ZTree(const ZTree&) = delete;
  ZTree& operator=(const ZTree&) = delete;

  size_t size() const { return size_; }
  // Bytes held by the nodes (entries not included).
  size_t NodeBytes() const { return node_bytes_; }

  // Inserts an entry whose (score, member) is not in the tree.
  void Insert(ZEntry* e);
  // Removes the element equal to (score, member); false when absent.
  bool Erase(double score, std::string_view member);
  // Removes ranks [start, start + count), calling fn(ZEntry*) for each in ascending order
  // (after it left the tree).
  template <class Fn>
  void EraseRange(size_t start, size_t count, Fn&& fn);
  void Clear();

  // 0-based rank of (score, member), which must be in the tree.
  size_t Rank(double score, std::string_view member) const;
  // The element of rank `rank` (< size()).
  Pos Seek(size_t rank) const;
  // The number of elements for which pred(entry) is false, given that pred is monotone
  // (false, ..., false, true, ..., true) in tree order: the rank of the first "true".
  template <class Pred>
  size_t PartitionPoint(Pred&& pred) const;

  Pos First() const { return Pos{head_, 0}; }
  Pos Last() const { return tail_ ? Pos{tail_, tail_->count - 1} : Pos{}; }

  // Checks every invariant (tests).
  bool Verify() const;

 private:
  static size_t SizeOf(const Node* n);
  static ZEntry* LastOf(const Node* n) {
    return n->leaf ? static_cast<const Leaf*>(n)->item[n->count - 1]
                   : static_cast<const Inner*>(n)->max[n->count - 1];
  }
  // Index of the child of `in` where (score, member) belongs.
  static int Route(const Inner* in, double score, std::string_view member);
  // Inserts into the subtree; returns a new right sibling when `n` split.
  Node* InsertRec(Node* n, ZEntry* e);
  // Removes `count` elements starting at rank `start` of the subtree, all within one leaf;
  // returns how many were removed.
  template <class Fn>
  size_t EraseRec(Node* n, size_t start, size_t count, Fn& fn);
  // Restores child `i` of `in` after removals: drops it when empty, merges or borrows when
  // under half full, refreshes its routing entry.
  void FixChild(Inner* in, int i);
  void ShrinkRoot();
  Leaf* NewLeaf();
  Inner* NewInner();
  void FreeNode(Node* n);
  void Unlink(Leaf* l);
  bool VerifyRec(const Node* n, int depth, int* leaf_depth, size_t* count,
                 const ZEntry** prev) const;

  Node* root_ = nullptr;
  Leaf* head_ = nullptr;
  Leaf* tail_ = nullptr;
  size_t size_ = 0;
  size_t node_bytes_ = 0;
};

template <class Pred>
size_t ZTree::PartitionPoint(Pred&& pred) const {
  if (root_ == nullptr || !pred(LastOf(root_))) return size_;
  size_t rank = 0;
  const Node* n = root_;
  while (!n->leaf) {
    const Inner* in = static_cast<const Inner*>(n);
    int lo = 0, hi = in->count - 1;  // the answer is in [lo, hi]; pred(max[hi]) holds
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (pred(in->max[mid])) {
        hi = mid;
      } else {
        lo = mid + 1;
      }
    }
    for (int i = 0; i < lo; ++i) rank += in->size[i];
    n = in->child[lo];
  }
  const Leaf* l = static_cast<const Leaf*>(n);
  int lo = 0, hi = l->count;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (pred(l->item[mid])) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return rank + lo;
}

template <class Fn>
void ZTree::EraseRange(size_t start, size_t count, Fn&& fn) {
  if (start >= size_) return;
  if (count > size_ - start) count = size_ - start;
  while (count > 0) {
    size_t k = EraseRec(root_, start, count, fn);
    count -= k;
    size_ -= k;
    ShrinkRoot();
  }
}

template <class Fn>
size_t ZTree::EraseRec(Node* n, size_t start, size_t count, Fn& fn) {
  if (n->leaf) {
    Leaf* l = static_cast<Leaf*>(n);
    size_t avail = l->count - start;
    size_t k = count < avail ? count : avail;
    for (size_t i = 0; i < k; ++i) fn(l->item[start + i]);
    for (size_t i = start + k; i < l->count; ++i) l->item[i - k] = l->item[i];
    l->count = static_cast<uint16_t>(l->count - k);
    return k;
  }
  Inner* in = static_cast<Inner*>(n);
  int i = 0;
  while (start >= in->size[i]) {
    start -= in->size[i];
    ++i;
  }
  size_t k = EraseRec(in->child[i], start, count, fn);
  in->size[i] -= k;
  FixChild(in, i);
  return k;
}

}  // namespace kora
