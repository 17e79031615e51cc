#include "report.h"

#include <common/text_escape.h>

#include <cstdio>

namespace sifkit::tools {

int report_failure(std::string_view tool, const Error& error) {
  std::fflush(stdout);
  std::fprintf(stderr, "%.*s: %s\n", static_cast<int>(tool.size()), tool.data(),
               escape_control(error.what(), KeepLineBreaks::yes).c_str());
  return exit_code(error.kind());
}

int report_usage(std::string_view tool, const std::string& message) {
  std::fprintf(stderr, "%.*s: %s\nRun '%.*s --help' for usage.\n", static_cast<int>(tool.size()),
               tool.data(), escape_control(message, KeepLineBreaks::yes).c_str(),
               static_cast<int>(tool.size()), tool.data());
  return exit_code(ErrorKind::usage);
}

} // namespace sifkit::tools
