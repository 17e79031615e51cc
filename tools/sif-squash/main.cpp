// sif-squash: convert an image or a root filesystem into an OCI-SIF with squashfs layers.
// The work is in convert/ (oci_convert.h, cached_convert.h) and registry/ (pulling a
// reference into the cache); commands.cpp wires them together; this file only parses
// the command line.

#include <common/secret.h>

#include <cstdio>
#include <string>

#include "commands.h"
#include "help.h"
#include <CLI/CLI.hpp>
#include <support/convert_flags.h>
#include <support/report.h>

namespace {

constexpr std::string_view k_tool = "sif-squash";

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  CLI::App app(tools::k_squash_description, "sif-squash");
  app.footer(tools::k_squash_footer);

  tools::SquashCommandOptions o;
  app.add_option("SOURCE", o.source, "Image reference, root filesystem directory or tar")
      ->required()
      ->type_name("");
  app.add_option("-o,--output", o.output, "The OCI-SIF (or squashfs) to write")
      ->required()
      ->type_name("FILE");
  app.add_option("--format", o.format, "What to write (default: oci-sif)")
      ->type_name("oci-sif|squashfs");
  tools::add_convert_flags(app, o.convert);
  app.add_option("--platform", o.source_flags.platform,
                 "Platform to select from an index; for a root filesystem, the one to record "
                 "(default: host)")
      ->type_name("OS/ARCH[/VARIANT]");
  app.add_option("--cache", o.source_flags.cache_dir, "Cache directory")->type_name("DIR");
  app.add_flag("-q,--quiet", o.quiet, "No progress or summary on stderr");
  app.add_flag("--json", o.json, "Print a JSON summary on stdout (fields below)");
  app.add_option("--creds", o.source_flags.credentials,
                 "Registry credentials (seen by other users until parsed: prefer an auth file)")
      ->type_name("USER[:PASS]");
  app.add_option("--ca-cert", o.source_flags.ca_cert, "Trust this CA bundle for registry TLS")
      ->type_name("FILE");
  app.add_flag("--insecure", o.source_flags.insecure,
               "Allow plain HTTP or unverified TLS to the registry");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    hide_option_values(argc, argv, {"--creds"});
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what());
  }
  hide_option_values(argc, argv, {"--creds"}); // /proc/PID/cmdline is readable by all
  if (auto done = tools::run_squash(o); !done) {
    return tools::report_failure(k_tool, done.error());
  }
  if (std::fflush(stdout) != 0) {
    return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}
