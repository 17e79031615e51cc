#pragma once

// Finding a system program and running one to completion (mkfs.ext3), reporting its
// failure with its own words.
#include <common/error.h>

#include <string>
#include <vector>

namespace sifkit {

// Searched when $PATH is unset, before k_system_program_dirs.
inline constexpr const char* k_default_path = "/usr/local/bin:/usr/bin:/bin";
// Searched after $PATH: where mkfs tools, newuidmap and runtimes live, often not on a
// user's PATH.
inline constexpr const char* k_system_program_dirs = "/usr/local/sbin:/usr/sbin:/sbin";

// The full path of the program `name`: a name with a '/' is taken as it is; else the
// first executable regular file `DIR/name` for DIR in $PATH (k_default_path when $PATH is
// unset), then in k_system_program_dirs. Relative and empty entries of $PATH are skipped
// (they would resolve against the working directory). `not_found` when there is none.
Result<std::string> find_program(const std::string& name);

// What a program wrote into the buffer file `fd` (a memfd given as its stderr): at most
// 16 KiB, trailing newlines and spaces trimmed.
std::string read_program_messages(int fd);

// Runs `argv` (argv[0] a full path) with stdin and stdout on /dev/null and waits for it.
// `io` with its stderr when it fails or is killed.
Result<void> run_program(const std::vector<std::string>& argv);

} // namespace sifkit
