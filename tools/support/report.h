#pragma once

// How every sifkit tool reports a failure: one line on stderr, an exit code by kind.
#include <common/error.h>

#include <string>
#include <string_view>

namespace sifkit::tools {

// Flushes stdout, prints "`tool`: <error chain>" on stderr (control characters other than
// newlines and tabs escaped: messages may quote a server or a file) and returns the exit
// code of the error's kind (docs/exit-codes.md).
int report_failure(std::string_view tool, const Error& error);

// Prints "`tool`: `message`" and a pointer to --help on stderr; returns the usage code.
int report_usage(std::string_view tool, const std::string& message);

} // namespace sifkit::tools
