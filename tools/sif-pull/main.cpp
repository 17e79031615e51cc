// sif-pull: fetch an image from any source into the shared cache, and convert it to an
// OCI-SIF with -o. The work is in registry/ (reference.h, open_source.h, pull.h,
// oci_layout_writer.h) and convert/ (cached_convert.h, copy_out.h); commands.cpp
// wires them together; this file only parses the command line.

#include <common/error.h>
#include <common/secret.h>

#include <charconv>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include "commands.h"
#include "help.h"
#include <CLI/CLI.hpp>
#include <support/report.h>
#include <unistd.h>

namespace {

constexpr std::string_view k_tool = "sif-pull";
constexpr const char* k_retry_delay_variable = "SIFKIT_RETRY_DELAY_MS";

// The first retry's back-off from $SIFKIT_RETRY_DELAY_MS (whole milliseconds, 0 allowed);
// nullopt when it is unset or empty, `usage` for other text.
sifkit::Result<std::optional<std::chrono::milliseconds>> retry_delay_from_environment() {
  const char* text = std::getenv(k_retry_delay_variable);
  if (text == nullptr || *text == '\0') {
    return std::nullopt;
  }
  std::string_view digits(text);
  unsigned value = 0;
  auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
  if (error != std::errc() || end != digits.data() + digits.size()) {
    return sifkit::fail(sifkit::ErrorKind::usage, std::string(k_retry_delay_variable) +
                                                      " must be a whole number of milliseconds");
  }
  return std::chrono::milliseconds(value);
}

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  CLI::App app(tools::k_pull_description, "sif-pull");
  app.footer(tools::k_pull_footer);

  tools::PullCommandOptions o;
  app.add_option("REF", o.reference, "Image reference (sources below)")->required()->type_name("");
  app.add_option("-o,--output", o.output, "Also write the image as an OCI-SIF")->type_name("FILE");
  tools::add_convert_flags(app, o.convert);
  app.add_option("--oci-layout", o.oci_layout, "Also write a plain OCI image layout")
      ->type_name("DIR");
  app.add_option("--platform", o.source_flags.platform,
                 "Platform to select from an index (default: host)")
      ->type_name("OS/ARCH[/VARIANT]");
  app.add_option("--cache", o.source_flags.cache_dir, "Cache directory")->type_name("DIR");
  app.add_flag("-q,--quiet", o.quiet, "No progress on stderr");
  app.add_flag("--json", o.json, "Print a JSON summary on stdout (fields below)");
  auto* creds = app.add_option("--creds", o.source_flags.credentials,
                               "Registry credentials (seen by other users "
                               "until parsed: prefer --creds-stdin)")
                    ->type_name("USER[:PASS]");
  bool creds_stdin = false;
  std::optional<int> creds_fd;
  app.add_flag("--creds-stdin", creds_stdin, "Read USER:PASS from standard input")->excludes(creds);
  // How sif-run hands credentials over: an inherited descriptor, never the command line.
  app.add_option("--creds-fd", creds_fd, "Read USER:PASS from this file descriptor")
      ->excludes(creds)
      ->excludes("--creds-stdin")
      ->group("");
  app.add_option("--ca-cert", o.source_flags.ca_cert, "Trust this CA bundle for registry TLS")
      ->type_name("FILE");
  app.add_flag("--insecure", o.source_flags.insecure,
               "Allow plain HTTP or unverified TLS to the registry");
  app.add_flag("--sif-path", o.sif_path,
               "Print only the path of the image's OCI-SIF in the cache (converted as needed)")
      ->excludes("-o")
      ->excludes("--oci-layout")
      ->excludes("--json");
  app.add_flag("--lease-parent", o.lease_parent,
               "With --sif-path: keep the image leased to the calling process (gc and clean "
               "keep it while that process runs)")
      ->needs("--sif-path");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    hide_option_values(argc, argv, {"--creds"});
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what());
  }
  hide_option_values(argc, argv, {"--creds"});
  if (creds_stdin || creds_fd) {
    auto secret = read_secret(creds_fd.value_or(STDIN_FILENO), SecretEnd::end_of_file);
    if (creds_fd) {
      ::close(*creds_fd);
    }
    if (!secret) {
      return tools::report_failure(k_tool, secret.error());
    }
    o.source_flags.credentials = std::move(*secret);
  }
  auto retry_delay = retry_delay_from_environment();
  if (!retry_delay) {
    return tools::report_failure(k_tool, retry_delay.error());
  }
  o.source_flags.retry_delay = *retry_delay;
  if (auto done = o.sif_path ? tools::print_sif_path(o) : tools::run_pull(o); !done) {
    return tools::report_failure(k_tool, done.error());
  }
  if (std::fflush(stdout) != 0) {
    return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}
