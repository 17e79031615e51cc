#pragma once

// Secrets (passwords, tokens) kept off command lines: a process's argv is readable by
// every user in /proc/PID/cmdline, so a secret given as an option is overwritten there
// once parsed, and secrets travel to child processes through an inherited file
// descriptor instead.
#include <common/error.h>
#include <common/unique_fd.h>

#include <initializer_list>
#include <string>
#include <string_view>

namespace sifkit {

// The most bytes a secret read by read_secret may have.
inline constexpr std::size_t k_max_secret_bytes = 64 * 1024;

// Overwrites, in this process's own argument memory (what /proc/PID/cmdline shows), the
// value of every option in `options` ("--creds VALUE" and "--creds=VALUE") with 'x'
// characters. Parse (or copy) `argv` first: the values are gone afterwards.
void hide_option_values(int argc, char** argv, std::initializer_list<std::string_view> options);

enum class SecretEnd {
  end_of_file, // everything up to the end of the file or pipe
  end_of_line, // up to the first newline, read byte by byte so the rest stays unread
};

// Reads a secret from `fd`, without its final newline (and carriage return). `usage`
// when it is empty, `capacity` past k_max_secret_bytes, `io` when reading fails. The
// error never quotes what was read.
Result<std::string> read_secret(int fd, SecretEnd end);

// A new sealed, close-on-exec memory file holding `secret`, positioned at its start, for
// a child process to inherit (dup2 it in the child) and read with read_secret. Its
// descriptor number is at least 10, so dup2 onto 3..9 always makes a new descriptor.
Result<UniqueFd> secret_file(std::string_view secret);

} // namespace sifkit
