#include "command_line.h"

#include <cstdio>

#include <support/report.h>

namespace sifkit::tools {

std::size_t first_positional(const CLI::App& app, const std::vector<std::string>& words,
                             std::size_t from) {
  for (std::size_t i = from; i < words.size(); ++i) {
    const std::string& word = words[i];
    if (word == "--") {
      return i + 1;
    }
    if (word.size() < 2 || word[0] != '-') {
      return i;
    }
    if (word.find('=') != std::string::npos) {
      continue; // --name=value
    }
    std::string name = word.starts_with("--") ? word : word.substr(0, 2);
    const CLI::Option* option = app.get_option_no_throw(name);
    bool takes_value = option != nullptr && option->get_expected_min() > 0;
    bool value_attached = !word.starts_with("--") && word.size() > 2;
    if (takes_value && !value_attached) {
      ++i; // its value
    }
  }
  return words.size();
}

int parse_words(CLI::App& app, const std::vector<std::string>& words, std::string_view tool) {
  std::vector<std::string> reversed(words.rbegin(), words.rend()); // CLI11 takes them reversed
  try {
    app.parse(reversed);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : report_usage(tool, e.what());
  }
  return -1;
}

int finish_command(const Result<void>& done, std::string_view tool) {
  if (!done) {
    return done.error().kind() == ErrorKind::usage ? report_usage(tool, done.error().what())
                                                   : report_failure(tool, done.error());
  }
  if (std::fflush(stdout) != 0) {
    return report_failure(tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}

} // namespace sifkit::tools
