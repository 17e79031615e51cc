// sif-overlay: add a writable ext3 overlay to an OCI-SIF (`create`). The work is in
// convert/image_overlay.h; this file only parses the command line and prints.

#include <convert/image_overlay.h>

#include <cstdio>
#include <string>

#include "help.h"
#include <CLI/CLI.hpp>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <support/report.h>

namespace {

constexpr std::string_view k_tool = "sif-overlay";

struct CreateFlags {
  std::string image;
  sifkit::convert::OverlayCreateOptions options;
  bool json = false;
  bool quiet = false;
};

void print(const CreateFlags& flags, const sifkit::convert::OverlayCreateResult& result) {
  if (flags.json) {
    nlohmann::ordered_json out = {{"image", result.image},
                                  {"layer",
                                   {{"mediaType", result.media_type},
                                    {"digest", result.layer_digest.text()},
                                    {"size", result.layer_size}}},
                                  {"manifest", result.manifest.text()},
                                  {"copy", result.copy_method}};
    std::fputs((out.dump(2) + "\n").c_str(), stdout);
  } else if (!flags.quiet) {
    std::fputs(fmt::format("added a {} MiB ext3 overlay to {} (layer {})\n",
                           result.layer_size / (1024 * 1024), result.image,
                           result.layer_digest.text())
                   .c_str(),
               stdout);
  }
}

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  CLI::App app(tools::k_overlay_description, "sif-overlay");
  app.require_subcommand(1);
  CreateFlags f;
  auto* create = app.add_subcommand("create", "Append a writable ext3 overlay to an OCI-SIF");
  create->footer(tools::k_overlay_create_footer);
  create->add_option("IMAGE", f.image, "The OCI-SIF file to add the overlay to")
      ->required()
      ->type_name("");
  create->add_option("-s,--size", f.options.size_mb, "Size of the overlay (at least 64)")
      ->type_name("MiB")
      ->capture_default_str();
  create->add_flag("--sparse", f.options.sparse,
                   "Do not allocate the scratch file's blocks before mkfs.ext3");
  create
      ->add_option("--create-dir", f.options.create_dirs,
                   "Make DIR in the overlay, owned by you (repeatable)")
      ->allow_extra_args(false)
      ->type_name("DIR");
  create->add_flag("--json", f.json, "Print what was added as JSON (fields below)");
  create->add_flag("-q,--quiet", f.quiet, "Print nothing on success");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what());
  }
  auto result = convert::add_image_overlay(f.image, f.options);
  if (!result) {
    return result.error().kind() == ErrorKind::usage
               ? tools::report_usage(k_tool, result.error().what())
               : tools::report_failure(k_tool, result.error());
  }
  print(f, *result);
  if (std::fflush(stdout) != 0) {
    return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}
