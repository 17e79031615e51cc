#pragma once

// Running a system program to completion (mkfs.ext3) and reporting its failure with its
// own words.
#include <common/error.h>

#include <string>
#include <vector>

namespace sifkit {

// The full path of `name` on $PATH (/usr/bin:/bin when unset), else in /usr/sbin or /sbin
// (where mkfs tools live, often not on a user's PATH); `not_found` when it is in none.
Result<std::string> find_system_program(const std::string& name);

// What a program wrote into the buffer file `fd` (a memfd given as its stderr): at most
// 16 KiB, trailing newlines and spaces trimmed.
std::string read_program_messages(int fd);

// Runs `argv` (argv[0] a full path) with stdin and stdout on /dev/null and waits for it.
// `io` with its stderr when it fails or is killed.
Result<void> run_program(const std::vector<std::string>& argv);

} // namespace sifkit
