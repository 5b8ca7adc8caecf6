// Number and string conversions with Redis's exact acceptance rules.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace kora {

// Parses a signed 64-bit integer the way Redis's string2ll does: no spaces, no '+',
// no leading zeros (except "0" itself), no "-0", at most 20 characters.
bool ParseInt64(std::string_view s, int64_t* out);
// Parses a long double the way Redis's string2ld does (INCRBYFLOAT): strtold over the whole
// string, no leading space, rejects NaN and overflow. "inf" is accepted.
bool ParseLongDouble(std::string_view s, long double* out);
// Parses a double the way Redis's string2d does (scores, timeouts).
bool ParseDouble(std::string_view s, double* out);

// Appends the decimal form of v.
void AppendInt64(std::string* dst, int64_t v);
std::string Int64ToString(int64_t v);
// Formats as Redis's ld2string(LD_STR_HUMAN): %.17Lf with trailing zeros trimmed.
std::string LongDoubleToString(long double v);
// Formats as Redis's "%.17g" used in double replies.
std::string DoubleToString(double v);

char AsciiLower(char c);
bool EqualsIgnoreCase(std::string_view a, std::string_view b);
std::string ToLower(std::string_view s);
std::string ToUpper(std::string_view s);

}  // namespace kora
