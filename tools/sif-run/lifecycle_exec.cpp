// The flags of `sif-run oci exec` and `sif-run exec instance://NAME`, and where their
// command begins.
#include "lifecycle.h"

namespace sifkit::tools {

void add_exec_flags(CLI::App& app, runtime::ExecRequest& request) {
  app.add_option("--env", request.env, "Set KEY=VALUE in the command's environment")
      ->type_name("KEY=VALUE")
      ->allow_extra_args(false);
  app.add_option("--cwd", request.cwd, "The command's working directory (absolute)")
      ->type_name("DIR");
}

void split_exec_words(const std::vector<std::string>& words, std::vector<std::string>& own,
                      std::vector<std::string>& command) {
  std::size_t i = 0;
  for (; i < words.size(); ++i) {
    const std::string& word = words[i];
    own.push_back(word);
    if ((word == "--env" || word == "--cwd") && i + 1 < words.size()) {
      own.push_back(words[++i]);
    } else if (word.empty() || word[0] != '-') {
      ++i;
      break;
    }
  }
  if (i < words.size() && words[i] == "--") {
    ++i;
  }
  command.assign(words.begin() + static_cast<long>(i), words.end());
}

} // namespace sifkit::tools
