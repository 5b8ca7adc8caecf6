#include "base/glob.h"

#include "base/strutil.h"

namespace kora {
namespace {

// Returns 1 on match. `skip_longer` is set when a '*' fails for every suffix so outer '*'
// levels stop trying longer prefixes (the answer cannot change): this bounds the work.
int MatchImpl(const char* p, size_t plen, const char* s, size_t slen, bool nocase,
              bool* skip_longer, int nesting) {
  if (nesting > 1000) return 0;
  auto eq = [nocase](char a, char b) { return nocase ? AsciiLower(a) == AsciiLower(b) : a == b; };
  while (plen && slen) {
    switch (p[0]) {
      case '*':
        while (plen >= 2 && p[1] == '*') {
          ++p;
          --plen;
        }
        if (plen == 1) return 1;
        while (slen) {
          if (MatchImpl(p + 1, plen - 1, s, slen, nocase, skip_longer, nesting + 1)) return 1;
          if (*skip_longer) return 0;
          ++s;
          --slen;
        }
        *skip_longer = true;
        return 0;
      case '?':
        ++s;
        --slen;
        break;
      case '[': {
        ++p;
        --plen;
        bool negate = plen && p[0] == '^';
        if (negate) {
          ++p;
          --plen;
        }
        bool match = false;
        while (true) {
          if (plen >= 2 && p[0] == '\\') {
            ++p;
            --plen;
            if (p[0] == s[0]) match = true;
          } else if (plen == 0) {
            // Unterminated class: treat the end of the pattern as its close.
            --p;
            ++plen;
            break;
          } else if (p[0] == ']') {
            break;
          } else if (plen >= 3 && p[1] == '-') {
            char start = p[0], end = p[2], c = s[0];
            if (start > end) std::swap(start, end);
            if (nocase) {
              start = AsciiLower(start);
              end = AsciiLower(end);
              c = AsciiLower(c);
            }
            p += 2;
            plen -= 2;
            if (c >= start && c <= end) match = true;
          } else if (eq(p[0], s[0])) {
            match = true;
          }
          ++p;
          --plen;
        }
        if (negate) match = !match;
        if (!match) return 0;
        ++s;
        --slen;
        break;
      }
      case '\\':
        if (plen >= 2) {
          ++p;
          --plen;
        }
        [[fallthrough]];
      default:
        if (!eq(p[0], s[0])) return 0;
        ++s;
        --slen;
        break;
    }
    ++p;
    --plen;
    if (slen == 0) {
      while (plen && *p == '*') {
        ++p;
        --plen;
      }
      break;
    }
  }
  return plen == 0 && slen == 0;
}

}  // namespace

bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase) {
  bool skip = false;
  return MatchImpl(pattern.data(), pattern.size(), str.data(), str.size(), nocase, &skip, 0) != 0;
}

}  // namespace kora
