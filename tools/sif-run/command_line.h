#pragma once

// Command-line plumbing shared by sif-run's command groups (run/exec/shell, oci,
// instance): where IMAGE stands among the words, parsing with CLI11, and the exit code of
// a finished command.
#include <common/error.h>

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include <CLI/CLI.hpp>

namespace sifkit::tools {

// The index of the first word of `words` from `from` on that is neither an option of
// `app` nor an option's value (IMAGE, or an action word); words.size() when there is
// none. A "--" word ends the options: the word after it is returned.
std::size_t first_positional(const CLI::App& app, const std::vector<std::string>& words,
                             std::size_t from = 0);

// Parses `words` with `app`. Returns an exit code when parsing ends the command (--help
// printed, or a usage error reported as `tool`), else -1.
int parse_words(CLI::App& app, const std::vector<std::string>& words, std::string_view tool);

// The exit code of a command that ended with `done`: 0 once stdout is flushed, else the
// failure reported as `tool` (usage errors with the usage hint).
int finish_command(const Result<void>& done, std::string_view tool);

} // namespace sifkit::tools
