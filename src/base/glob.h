// Glob-style matching with Redis's rules: * ? [abc] [^a] [a-z] and \ escapes.
#pragma once

#include <string_view>

namespace kora {

// True when `str` matches `pattern`. Runs in polynomial time on adversarial patterns.
bool GlobMatch(std::string_view pattern, std::string_view str, bool nocase = false);

}  // namespace kora
