// sif-umount: undo a sif-mount. The work is in runtime/ (mount_session.h); this file only
// parses the command line.

#include <cstdio>
#include <string>

#include "commands.h"
#include "help.h"
#include <CLI/CLI.hpp>
#include <support/report.h>

namespace {

constexpr std::string_view k_tool = "sif-umount";

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  CLI::App app(tools::k_umount_description, "sif-umount");
  app.footer(tools::k_umount_footer);

  tools::UmountCommandOptions o;
  app.add_option("DIR", o.dir, "The directory or bundle sif-mount mounted")->type_name("");
  app.add_flag("--stale", o.stale,
               "Clean what sif-run processes that were killed left: their containers, "
               "mounts and sessions");
  app.add_flag("-q,--quiet", o.quiet, "Print nothing on success");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what());
  }
  if (auto done = tools::run_umount(o); !done) {
    return tools::report_failure(k_tool, done.error());
  }
  if (std::fflush(stdout) != 0) {
    return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}
