// sif-inspect: siftool's views of a SIF file (header, list, info, dump), the OCI view, a check of the
// digests of OCI objects, and JSON forms of both. The views are in sif/inspect.h, the
// subcommands in commands.cpp; this file only parses the command line.

#include <cerrno>
#include <cstdio>
#include <vector>

#include "commands.h"
#include "help.h"

#include <support/report.h>
#include <CLI/CLI.hpp>

namespace {

using namespace sifkit;

constexpr std::string_view k_tool = "sif-inspect";

} // namespace

int main(int argc, char** argv) {
  CLI::App app(tools::k_inspect_description, "sif-inspect");
  app.footer(tools::k_inspect_footer);
  // At most one: a missing subcommand is reported below, so that an unknown one is
  // reported as such by CLI11 rather than as "a subcommand is required".
  app.require_subcommand(0, 1);

  tools::InspectOptions options;
  std::string id_text;
  std::vector<std::pair<CLI::App*, const tools::InspectCommand*>> parsers;
  for (const tools::InspectCommand& command : tools::inspect_commands()) {
    CLI::App* sub = app.add_subcommand(command.name, command.description);
    if (command.takes_id == tools::TakesId::yes) {
      sub->add_option("ID", id_text, "Object ID (decimal)")->required()->type_name("");
    }
    sub->add_option("FILE", options.file, "SIF file")->required()->type_name("");
    if (command.has_json == tools::HasJson::yes) {
      sub->add_flag("--json", options.json, "Print JSON (fields: see sif-inspect --help)");
    }
    if (std::string_view(command.name) == "list") {
      sub->add_flag("--verify", options.verify, "Also check OCI digests (exit 4 on a mismatch)");
    }
    parsers.emplace_back(sub, &command);
  }

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what()); // 0: --help
  }

  for (const auto& [sub, command] : parsers) {
    if (!sub->parsed()) {
      continue;
    }
    if (command->takes_id == tools::TakesId::yes) {
      auto id = tools::parse_object_id(id_text);
      if (!id) {
        return tools::report_failure(k_tool, id.error());
      }
      options.id = *id;
    }
    auto image = sif::Image::open(options.file);
    if (!image) {
      return tools::report_failure(k_tool, image.error());
    }
    if (auto done = command->run(options, *image); !done) {
      return tools::report_failure(k_tool, done.error());
    }
    if (std::fflush(stdout) != 0) {
      return tools::report_failure(k_tool, fail_errno("cannot write to standard output", errno).error());
    }
    return 0;
  }
  return tools::report_usage(k_tool, "a subcommand is required (header, list, info, dump, oci or verify)");
}
