// Redis's pqsort (pqsort.c: NetBSD's Bentley-McIlroy quicksort that only recurses into the
// parts overlapping a wanted index range), rewritten over a typed array. GEOSEARCH/GEORADIUS
// with COUNT sort only the first COUNT results this way; ties between equal distances come
// out in the order this algorithm leaves them, so matching Redis byte for byte needs the same
// algorithm, not just any partial sort.
#pragma once

#include <algorithm>
#include <cstddef>
#include <utility>

namespace kora::geo {

namespace detail {

template <class T, class Cmp>
size_t Med3(T* v, size_t a, size_t b, size_t c, Cmp& cmp) {
  return cmp(v[a], v[b]) < 0 ? (cmp(v[b], v[c]) < 0 ? b : (cmp(v[a], v[c]) < 0 ? c : a))
                             : (cmp(v[b], v[c]) > 0 ? b : (cmp(v[a], v[c]) < 0 ? a : c));
}

template <class T, class Cmp>
void InsertionSort(T* v, size_t lo, size_t n, Cmp& cmp) {
  for (size_t pm = lo + 1; pm < lo + n; ++pm) {
    for (size_t pl = pm; pl > lo && cmp(v[pl - 1], v[pl]) > 0; --pl) std::swap(v[pl], v[pl - 1]);
  }
}

// Sorts v[lo, lo + n) far enough that indexes [l, r] hold their final elements.
template <class T, class Cmp>
void PartialQsort(T* v, size_t lo, size_t n, Cmp& cmp, size_t l, size_t r) {
  auto outside = [l, r](size_t s, size_t cnt) {
    return (l < s && r < s) || (l >= s + cnt && r >= s + cnt);
  };
  for (;;) {
    if (n < 7) return InsertionSort(v, lo, n, cmp);
    size_t pm = lo + n / 2;
    if (n > 7) {
      size_t pl = lo, pn = lo + n - 1;
      if (n > 40) {
        size_t d = n / 8;
        pl = Med3(v, pl, pl + d, pl + 2 * d, cmp);
        pm = Med3(v, pm - d, pm, pm + d, cmp);
        pn = Med3(v, pn - 2 * d, pn - d, pn, cmp);
      }
      pm = Med3(v, pl, pm, pn, cmp);
    }
    std::swap(v[lo], v[pm]);
    // Signed positions: pc may step just below pb.
    ptrdiff_t a = static_cast<ptrdiff_t>(lo);
    ptrdiff_t pa = a + 1, pb = a + 1;
    ptrdiff_t pc = a + static_cast<ptrdiff_t>(n) - 1, pd = pc;
    bool swapped = false;
    for (;;) {
      int res;
      while (pb <= pc && (res = cmp(v[pb], v[a])) <= 0) {
        if (res == 0) {
          swapped = true;
          std::swap(v[pa], v[pb]);
          ++pa;
        }
        ++pb;
      }
      while (pb <= pc && (res = cmp(v[pc], v[a])) >= 0) {
        if (res == 0) {
          swapped = true;
          std::swap(v[pc], v[pd]);
          --pd;
        }
        --pc;
      }
      if (pb > pc) break;
      std::swap(v[pb], v[pc]);
      swapped = true;
      ++pb;
      --pc;
    }
    if (!swapped) return InsertionSort(v, lo, n, cmp);
    ptrdiff_t pn = a + static_cast<ptrdiff_t>(n);
    ptrdiff_t s = std::min(pa - a, pb - pa);
    for (ptrdiff_t i = 0; i < s; ++i) std::swap(v[a + i], v[pb - s + i]);
    s = std::min(pd - pc, pn - pd - 1);
    for (ptrdiff_t i = 0; i < s; ++i) std::swap(v[pb + i], v[pn - s + i]);
    if ((s = pb - pa) > 1 && !outside(lo, static_cast<size_t>(s))) {
      PartialQsort(v, lo, static_cast<size_t>(s), cmp, l, r);
    }
    if ((s = pd - pc) > 1) {
      lo = static_cast<size_t>(pn - s);
      n = static_cast<size_t>(s);
      if (!outside(lo, n)) continue;
    }
    return;
  }
}

}  // namespace detail

// Redis's pqsort(v, n, cmp, l, r): afterwards v[l..r] hold what a full sort would put there.
// cmp returns <0, 0 or >0 like a qsort comparator.
template <class T, class Cmp>
void PartialSort(T* v, size_t n, Cmp cmp, size_t l, size_t r) {
  detail::PartialQsort(v, 0, n, cmp, l, r);
}

}  // namespace kora::geo
