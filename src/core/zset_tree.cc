#include "core/zset_tree.h"

#include <malloc.h>

#include <cstring>

namespace kora {

size_t ZTree::SizeOf(const Node* n) {
  if (n->leaf) return n->count;
  const Inner* in = static_cast<const Inner*>(n);
  size_t s = 0;
  for (int i = 0; i < in->count; ++i) s += in->size[i];
  return s;
}

int ZTree::Route(const Inner* in, double score, std::string_view member) {
  // The first child whose last entry is >= (score, member); the last child otherwise.
  int lo = 0, hi = in->count - 1;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (ZCompare(score, member, in->max[mid]) <= 0) {
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return lo;
}

ZTree::Leaf* ZTree::NewLeaf() {
  Leaf* l = new Leaf();
  node_bytes_ += malloc_usable_size(l) + 8;
  return l;
}

ZTree::Inner* ZTree::NewInner() {
  Inner* in = new Inner();
  in->leaf = false;
  node_bytes_ += malloc_usable_size(in) + 8;
  return in;
}

void ZTree::FreeNode(Node* n) {
  node_bytes_ -= malloc_usable_size(n) + 8;
  if (n->leaf) {
    delete static_cast<Leaf*>(n);
  } else {
    delete static_cast<Inner*>(n);
  }
}

void ZTree::Unlink(Leaf* l) {
  (l->prev ? l->prev->next : head_) = l->next;
  (l->next ? l->next->prev : tail_) = l->prev;
}

void ZTree::Clear() {
  struct Rec {
    static void Free(ZTree* t, Node* n) {
      if (!n->leaf) {
        Inner* in = static_cast<Inner*>(n);
        for (int i = 0; i < in->count; ++i) Free(t, in->child[i]);
      }
      t->FreeNode(n);
    }
  };
  if (root_ != nullptr) Rec::Free(this, root_);
  root_ = nullptr;
  head_ = tail_ = nullptr;
  size_ = 0;
}

void ZTree::Insert(ZEntry* e) {
  if (root_ == nullptr) {
    Leaf* l = NewLeaf();
    l->item[0] = e;
    l->count = 1;
    root_ = head_ = tail_ = l;
    size_ = 1;
    return;
  }
  Node* right = InsertRec(root_, e);
  ++size_;
  if (right != nullptr) {
    Inner* r = NewInner();
    r->child[0] = root_;
    r->child[1] = right;
    r->size[0] = SizeOf(root_);
    r->size[1] = SizeOf(right);
    r->max[0] = LastOf(root_);
    r->max[1] = LastOf(right);
    r->count = 2;
    root_ = r;
  }
}

ZTree::Node* ZTree::InsertRec(Node* n, ZEntry* e) {
  double score = e->score;
  std::string_view member = e->member();
  if (n->leaf) {
    Leaf* l = static_cast<Leaf*>(n);
    int lo = 0, hi = l->count;
    while (lo < hi) {
      int mid = (lo + hi) / 2;
      if (ZCompare(score, member, l->item[mid]) > 0) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    int pos = lo;
    if (l->count < kLeafCap) {
      std::memmove(&l->item[pos + 1], &l->item[pos], (l->count - pos) * sizeof(ZEntry*));
      l->item[pos] = e;
      ++l->count;
      return nullptr;
    }
    // Split. Appending past the last leaf (ascending inserts) leaves the old leaf full.
    Leaf* r = NewLeaf();
    int keep = kLeafCap / 2;
    if (pos == kLeafCap && l->next == nullptr) keep = kLeafCap;
    if (pos == 0 && l->prev == nullptr) keep = 0;
    ZEntry* all[kLeafCap + 1];
    std::memcpy(all, l->item, pos * sizeof(ZEntry*));
    all[pos] = e;
    std::memcpy(all + pos + 1, l->item + pos, (kLeafCap - pos) * sizeof(ZEntry*));
    int total = kLeafCap + 1;
    if (keep == 0) keep = 1;  // the new element alone stays on the left
    std::memcpy(l->item, all, keep * sizeof(ZEntry*));
    std::memcpy(r->item, all + keep, (total - keep) * sizeof(ZEntry*));
    l->count = static_cast<uint16_t>(keep);
    r->count = static_cast<uint16_t>(total - keep);
    r->prev = l;
    r->next = l->next;
    (l->next ? l->next->prev : tail_) = r;
    l->next = r;
    return r;
  }
  Inner* in = static_cast<Inner*>(n);
  int i = Route(in, score, member);
  Node* right = InsertRec(in->child[i], e);
  ++in->size[i];
  in->max[i] = LastOf(in->child[i]);
  if (right == nullptr) return nullptr;
  size_t right_size = SizeOf(right);
  in->size[i] -= right_size;
  ZEntry* right_max = LastOf(right);
  if (in->count < kInnerCap) {
    int tail = in->count - (i + 1);
    std::memmove(&in->child[i + 2], &in->child[i + 1], tail * sizeof(Node*));
    std::memmove(&in->size[i + 2], &in->size[i + 1], tail * sizeof(uint64_t));
    std::memmove(&in->max[i + 2], &in->max[i + 1], tail * sizeof(ZEntry*));
    in->child[i + 1] = right;
    in->size[i + 1] = right_size;
    in->max[i + 1] = right_max;
    ++in->count;
    return nullptr;
  }
  // Split the inner node around the new child.
  Node* ch[kInnerCap + 1];
  uint64_t sz[kInnerCap + 1];
  ZEntry* mx[kInnerCap + 1];
  int t = 0;
  for (int j = 0; j < in->count; ++j) {
    ch[t] = in->child[j];
    sz[t] = in->size[j];
    mx[t] = in->max[j];
    ++t;
    if (j == i) {
      ch[t] = right;
      sz[t] = right_size;
      mx[t] = right_max;
      ++t;
    }
  }
  int keep = t / 2;
  Inner* r = NewInner();
  for (int j = 0; j < keep; ++j) {
    in->child[j] = ch[j];
    in->size[j] = sz[j];
    in->max[j] = mx[j];
  }
  for (int j = keep; j < t; ++j) {
    r->child[j - keep] = ch[j];
    r->size[j - keep] = sz[j];
    r->max[j - keep] = mx[j];
  }
  in->count = static_cast<uint16_t>(keep);
  r->count = static_cast<uint16_t>(t - keep);
  return r;
}

bool ZTree::Erase(double score, std::string_view member) {
  if (root_ == nullptr) return false;
  // Locate the rank first (also checks presence), then remove by rank.
  const Node* n = root_;
  size_t rank = 0;
  while (!n->leaf) {
    const Inner* in = static_cast<const Inner*>(n);
    int i = Route(in, score, member);
    for (int j = 0; j < i; ++j) rank += in->size[j];
    n = in->child[i];
  }
  const Leaf* l = static_cast<const Leaf*>(n);
  int lo = 0, hi = l->count;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (ZCompare(score, member, l->item[mid]) > 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  if (lo >= l->count || ZCompare(score, member, l->item[lo]) != 0) return false;
  EraseRange(rank + lo, 1, [](ZEntry*) {});
  return true;
}

size_t ZTree::Rank(double score, std::string_view member) const {
  size_t rank = 0;
  const Node* n = root_;
  while (!n->leaf) {
    const Inner* in = static_cast<const Inner*>(n);
    int i = Route(in, score, member);
    for (int j = 0; j < i; ++j) rank += in->size[j];
    n = in->child[i];
  }
  const Leaf* l = static_cast<const Leaf*>(n);
  int lo = 0, hi = l->count;
  while (lo < hi) {
    int mid = (lo + hi) / 2;
    if (ZCompare(score, member, l->item[mid]) > 0) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return rank + lo;
}

ZTree::Pos ZTree::Seek(size_t rank) const {
  const Node* n = root_;
  while (!n->leaf) {
    const Inner* in = static_cast<const Inner*>(n);
    int i = 0;
    while (rank >= in->size[i]) {
      rank -= in->size[i];
      ++i;
    }
    n = in->child[i];
  }
  return Pos{const_cast<Leaf*>(static_cast<const Leaf*>(n)), static_cast<int>(rank)};
}

void ZTree::ShrinkRoot() {
  while (root_ != nullptr && !root_->leaf && root_->count <= 1) {
    Inner* in = static_cast<Inner*>(root_);
    root_ = in->count == 1 ? in->child[0] : nullptr;
    FreeNode(in);
  }
  if (root_ != nullptr && root_->leaf && root_->count == 0) {
    Unlink(static_cast<Leaf*>(root_));
    FreeNode(root_);
    root_ = nullptr;
  }
}

void ZTree::FixChild(Inner* in, int i) {
  Node* c = in->child[i];
  auto remove_slot = [in](int k) {
    int tail = in->count - (k + 1);
    std::memmove(&in->child[k], &in->child[k + 1], tail * sizeof(Node*));
    std::memmove(&in->size[k], &in->size[k + 1], tail * sizeof(uint64_t));
    std::memmove(&in->max[k], &in->max[k + 1], tail * sizeof(ZEntry*));
    --in->count;
  };
  if (c->count == 0) {
    if (c->leaf) Unlink(static_cast<Leaf*>(c));
    FreeNode(c);
    remove_slot(i);
    return;
  }
  int cap = c->leaf ? kLeafCap : kInnerCap;
  if (c->count >= cap / 2 || in->count == 1) {
    in->max[i] = LastOf(c);
    return;
  }
  // Pair the child with a sibling: L = left of the pair, R = right.
  int li = i > 0 ? i - 1 : i;
  Node* L = in->child[li];
  Node* R = in->child[li + 1];
  int total = L->count + R->count;
  if (c->leaf) {
    Leaf* l = static_cast<Leaf*>(L);
    Leaf* r = static_cast<Leaf*>(R);
    if (total <= kLeafCap) {
      std::memcpy(&l->item[l->count], r->item, r->count * sizeof(ZEntry*));
      l->count = static_cast<uint16_t>(total);
      Unlink(r);
      FreeNode(r);
      in->size[li] += in->size[li + 1];
      remove_slot(li + 1);
      in->max[li] = LastOf(l);
      return;
    }
    int want = total / 2;  // elements left on the left
    if (l->count > want) {
      int move = l->count - want;
      std::memmove(&r->item[move], r->item, r->count * sizeof(ZEntry*));
      std::memcpy(r->item, &l->item[want], move * sizeof(ZEntry*));
    } else {
      int move = want - l->count;
      std::memcpy(&l->item[l->count], r->item, move * sizeof(ZEntry*));
      std::memmove(r->item, &r->item[move], (r->count - move) * sizeof(ZEntry*));
    }
    l->count = static_cast<uint16_t>(want);
    r->count = static_cast<uint16_t>(total - want);
  } else {
    Inner* l = static_cast<Inner*>(L);
    Inner* r = static_cast<Inner*>(R);
    if (total <= kInnerCap) {
      int base = l->count;
      for (int j = 0; j < r->count; ++j) {
        l->child[base + j] = r->child[j];
        l->size[base + j] = r->size[j];
        l->max[base + j] = r->max[j];
      }
      l->count = static_cast<uint16_t>(total);
      FreeNode(r);
      in->size[li] += in->size[li + 1];
      remove_slot(li + 1);
      in->max[li] = LastOf(l);
      return;
    }
    int want = total / 2;
    if (l->count > want) {
      int move = l->count - want;
      for (int j = r->count - 1; j >= 0; --j) {
        r->child[j + move] = r->child[j];
        r->size[j + move] = r->size[j];
        r->max[j + move] = r->max[j];
      }
      for (int j = 0; j < move; ++j) {
        r->child[j] = l->child[want + j];
        r->size[j] = l->size[want + j];
        r->max[j] = l->max[want + j];
      }
    } else {
      int move = want - l->count;
      for (int j = 0; j < move; ++j) {
        l->child[l->count + j] = r->child[j];
        l->size[l->count + j] = r->size[j];
        l->max[l->count + j] = r->max[j];
      }
      for (int j = move; j < r->count; ++j) {
        r->child[j - move] = r->child[j];
        r->size[j - move] = r->size[j];
        r->max[j - move] = r->max[j];
      }
    }
    l->count = static_cast<uint16_t>(want);
    r->count = static_cast<uint16_t>(total - want);
  }
  in->size[li] = SizeOf(L);
  in->size[li + 1] = SizeOf(R);
  in->max[li] = LastOf(L);
  in->max[li + 1] = LastOf(R);
}

bool ZTree::Verify() const {
  if (root_ == nullptr) return size_ == 0 && head_ == nullptr && tail_ == nullptr;
  int leaf_depth = -1;
  size_t count = 0;
  const ZEntry* prev = nullptr;
  if (!VerifyRec(root_, 0, &leaf_depth, &count, &prev)) return false;
  if (count != size_) return false;
  // The leaf list covers every element in order.
  size_t listed = 0;
  const Leaf* last = nullptr;
  for (const Leaf* l = head_; l != nullptr; l = l->next) {
    if (l->prev != last) return false;
    listed += l->count;
    last = l;
  }
  return last == tail_ && listed == size_;
}

bool ZTree::VerifyRec(const Node* n, int depth, int* leaf_depth, size_t* count,
                      const ZEntry** prev) const {
  bool is_root = n == root_;
  if (n->leaf) {
    const Leaf* l = static_cast<const Leaf*>(n);
    if (*leaf_depth < 0) *leaf_depth = depth;
    if (*leaf_depth != depth) return false;
    if (!is_root && l->count < kLeafCap / 2 && l->next != nullptr && l->prev != nullptr) {
      // Edge leaves may be thin after ascending/descending inserts; inner ones may not.
      return false;
    }
    if (l->count == 0) return false;
    for (int i = 0; i < l->count; ++i) {
      const ZEntry* e = l->item[i];
      if (*prev != nullptr && ZCompare((*prev)->score, (*prev)->member(), e) >= 0) return false;
      *prev = e;
    }
    *count += l->count;
    return true;
  }
  const Inner* in = static_cast<const Inner*>(n);
  if (in->count < (is_root ? 2 : 1)) return false;
  for (int i = 0; i < in->count; ++i) {
    size_t before = *count;
    if (!VerifyRec(in->child[i], depth + 1, leaf_depth, count, prev)) return false;
    if (*count - before != in->size[i]) return false;
    if (in->max[i] != LastOf(in->child[i])) return false;
  }
  return true;
}

}  // namespace kora
