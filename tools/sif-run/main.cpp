// sif-run: run a container from an OCI-SIF (or any image reference) with crun or runc.
// The work is in runtime/ (run.h: mount, spec, launch, clean-up; image_ref.h: references
// through the cache); this file picks the action and parses the flags.

#include <common/secret.h>
#include <runtime/image/image.h>
#include <runtime/run.h>

#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include "command_line.h"
#include "flags.h"
#include "help.h"
#include "lifecycle.h"
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <support/report.h>

namespace {

constexpr std::string_view k_tool = "sif-run";

// Parses `words` (the arguments after the program name): the flags, the action word
// (first, or after the flags), IMAGE, and the container's arguments (everything after
// IMAGE, options or not). Returns an exit code when parsing ends the program (--help, a
// usage error), else -1.
int parse(std::vector<std::string> words, sifkit::runtime::Action& action,
          sifkit::tools::RunFlags& flags, std::vector<std::string>& container_args) {
  using namespace sifkit;
  CLI::App app(tools::k_run_description, "sif-run");
  app.footer(tools::k_run_footer);
  tools::add_run_flags(app, flags);
  std::size_t image = tools::first_positional(app, words, 0);
  if (image < words.size() && (words[image] == "exec" || words[image] == "shell") &&
      !runtime::is_image_file(words[image])) {
    action = words[image] == "exec" ? runtime::Action::exec : runtime::Action::shell;
    app.name("sif-run " + words[image]);
    words.erase(words.begin() + static_cast<long>(image));
    image = tools::first_positional(app, words, image);
  }
  if (image < words.size()) {
    container_args.assign(words.begin() + static_cast<long>(image) + 1, words.end());
    words.resize(image + 1);
  }
  return tools::parse_words(app, words, k_tool);
}

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  std::vector<std::string> words(argv + 1, argv + argc);
  // The command line of every process of this run (an instance's supervisor is a fork of
  // this one) is readable by every user: the copy above is all that keeps a password.
  hide_option_values(argc, argv, {"--creds"});
  if (!words.empty() && (words[0] == "oci" || words[0] == "instance")) {
    std::vector<std::string> rest(words.begin() + 1, words.end());
    return words[0] == "oci" ? tools::oci_main(rest) : tools::instance_main(rest);
  }
  runtime::Action action = runtime::Action::run;
  tools::RunFlags flags;
  std::vector<std::string> container_args;
  if (int parsed = parse(words, action, flags, container_args); parsed >= 0) {
    return parsed;
  }
  if (action == runtime::Action::exec && container_args.empty()) {
    return tools::report_usage(k_tool, "exec needs a command after IMAGE");
  }
  if (action == runtime::Action::shell && !container_args.empty()) {
    return tools::report_usage(k_tool, "shell takes no arguments after IMAGE (use exec)");
  }
  if (flags.image.starts_with("instance://")) {
    if (action != runtime::Action::exec) {
      return tools::report_usage(k_tool, "an instance:// image works with exec only");
    }
    return tools::exec_in_instance(words);
  }
  auto options = tools::run_options(flags, action, std::move(container_args));
  if (!options) {
    return tools::report_failure(k_tool, options.error());
  }
  auto note = [&flags](std::string_view text) {
    if (!flags.quiet) {
      fmt::print(stderr, "sif-run: {}\n", text);
    }
  };
  auto ref_options = tools::image_ref_options(flags);
  if (!ref_options) {
    return tools::report_failure(k_tool, ref_options.error());
  }
  if (!flags.quiet) {
    ref_options->note = note;
  }
  auto image = runtime::resolve_image(flags.image, *ref_options);
  if (!image) {
    return tools::report_failure(k_tool, image.error());
  }
  runtime::RunRequest request;
  request.image = *image;
  request.options = std::move(*options);
  request.runtime = flags.runtime;
  request.method = flags.fuse ? runtime::MountMethod::fuse : runtime::MountMethod::automatic;
  request.note = note;
  auto status = runtime::run_image(request);
  if (!status) {
    return tools::report_failure(k_tool, status.error());
  }
  return *status;
}
