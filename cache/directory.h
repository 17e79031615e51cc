#pragma once

#include <common/error.h>

#include <string>
#include <vector>

namespace sifkit::cache {

// The entry names of directory `path` (without "." and ".."), unsorted; an absent
// directory has none. Fails with `io`.
Result<std::vector<std::string>> list_directory(const std::string& path);

} // namespace sifkit::cache
