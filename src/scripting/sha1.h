// SHA-1 as scripts are named by (EVALSHA, SCRIPT LOAD, redis.sha1hex).
#pragma once

#include <string>
#include <string_view>

namespace kora::lua {

// Lower-case hex SHA-1 digest of `data` (40 characters).
std::string Sha1Hex(std::string_view data);

}  // namespace kora::lua
