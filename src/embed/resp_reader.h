// Decoding the RESP2/RESP3 bytes a command wrote into values for the embedding API.
//
// The input is a reply Kora itself produced, but the decoder still checks every length and
// never reads past the end: a malformed reply is reported, not trusted.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "kora/reply.h"
#include "kora/status.h"

namespace kora::embed {

// Decodes one complete reply at the start of `in` into `out`. Returns the bytes it used, or 0
// when `in` does not start with a well-formed reply.
size_t DecodeReply(std::string_view in, Reply* out);

// The Status for an error reply's text (without the leading '-'): kWrongType for WRONGTYPE,
// kCommandError otherwise; the message is the full text.
Status ErrorStatus(std::string_view text);

// Fast paths for the typed methods; each returns an error Status for an error reply and
// kInternal for a reply of another shape.
Status DecodeOk(std::string_view in);                            // +OK (any status)
Result<int64_t> DecodeInteger(std::string_view in);              // :N (or #t/#f)
Result<std::optional<std::string>> DecodeBulk(std::string_view in);  // $N / _ / $-1
// An array or set of bulk strings (nil elements allowed where `out` holds optionals; a nil
// array reads as empty). Returns false (and leaves `out` unspecified) for any other shape, so
// the caller can fall back to DecodeReply.
bool DecodeStringArray(std::string_view in, std::vector<std::string>* out);
bool DecodeStringArray(std::string_view in, std::vector<std::optional<std::string>>* out);
// The error Status when `in` is an error reply, else OK.
Status ErrorOf(std::string_view in);
// kInternal "unexpected reply" naming what came back.
Status Unexpected(std::string_view in);

}  // namespace kora::embed
