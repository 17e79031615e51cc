// sif-mount: mount an OCI-SIF's root filesystem on a directory, or as an OCI bundle. The
// work is in runtime/ (mount_session.h); this file only parses the command line.

#include <cstdio>
#include <string>

#include "commands.h"
#include "help.h"
#include <CLI/CLI.hpp>
#include <support/report.h>

namespace {

constexpr std::string_view k_tool = "sif-mount";

} // namespace

int main(int argc, char** argv) {
  using namespace sifkit;
  CLI::App app(tools::k_mount_description, "sif-mount");
  app.footer(tools::k_mount_footer);

  tools::MountCommandOptions o;
  app.add_option("IMAGE", o.image, "The OCI-SIF file to mount")->required()->type_name("");
  app.add_option("DIR", o.dir, "An empty directory to mount the root filesystem on")->type_name("");
  app.add_option("--bundle", o.bundle, "Make DIR an OCI bundle: DIR/rootfs and DIR/config.json")
      ->type_name("DIR");
  auto* kernel = app.add_flag_callback(
      "--kernel", [&] { o.method = runtime::MountMethod::kernel; },
      "Loop devices and the kernel's squashfs (needs root)");
  app.add_flag_callback(
         "--fuse", [&] { o.method = runtime::MountMethod::fuse; }, "squashfuse_ll / squashfuse")
      ->excludes(kernel);
  auto* writable = app.add_flag_callback(
      "--writable", [&] { o.writable = true; },
      "A tmpfs overlay on top: changes are lost at sif-umount (default with --bundle)");
  app.add_flag_callback(
         "--read-only", [&] { o.writable = false; }, "No overlay on top (the default)")
      ->excludes(writable);
  app.add_option("--tmpfs-size", o.tmpfs_size_mb, "Size of the writable overlay's tmpfs")
      ->type_name("MiB")
      ->check(CLI::Range(1, 1 << 20));
  app.add_flag("-q,--quiet", o.quiet, "Print nothing on success");
  app.add_flag("--json", o.json, "Print the mount record as JSON on stdout (fields below)");

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what());
  }
  if (auto done = tools::run_mount(o); !done) {
    return done.error().kind() == ErrorKind::usage
               ? tools::report_usage(k_tool, done.error().what())
               : tools::report_failure(k_tool, done.error());
  }
  if (std::fflush(stdout) != 0) {
    return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
  }
  return 0;
}
