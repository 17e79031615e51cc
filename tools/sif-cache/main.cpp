// sif-cache: list, du, gc, verify, rm and clean of the shared cache. The work is in
// cache/ (gc.h, verify.h, usage.h, report.h); commands.cpp opens the cache and prints;
// this file only parses the command line.

#include <cstdio>
#include <string>
#include <vector>

#include "commands.h"
#include "help.h"

#include <support/report.h>
#include <CLI/CLI.hpp>

namespace {

using namespace sifkit;
using tools::CacheCommandOptions;

constexpr std::string_view k_tool = "sif-cache";

CLI::App* command(CLI::App& app, std::vector<std::pair<CLI::App*, tools::CacheCommandRun>>& table,
                  const char* name, const char* description, tools::CacheCommandRun run,
                  CacheCommandOptions& o) {
  CLI::App* sub = app.add_subcommand(name, description);
  sub->add_flag("--json", o.json, "Print JSON (fields: see sif-cache --help)");
  table.emplace_back(sub, run);
  return sub;
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app(tools::k_cache_description, "sif-cache");
  app.footer(tools::k_cache_footer);
  app.require_subcommand(0, 1);
  app.fallthrough(); // --cache may come after the subcommand too

  CacheCommandOptions o;
  app.add_option("--cache", o.cache_dir, "Cache directory (default: see below)")->type_name("DIR");
  std::vector<std::pair<CLI::App*, tools::CacheCommandRun>> table;

  command(app, table, "list", "List references and conversions and what they point to",
          tools::run_list, o);
  command(app, table, "du", "Show bytes by kind of blob, shared and unique", tools::run_du, o);
  CLI::App* gc = command(app, table, "gc", "Remove blobs that nothing needs (LRU options below)",
                         tools::run_gc, o);
  gc->add_flag("--dry-run", o.dry_run, "Report what would be removed; change nothing");
  gc->add_option("--keep-bytes", o.keep_bytes, "Evict least recently used images to fit in N")
      ->type_name("N");
  gc->add_option("--older-than", o.older_than, "Evict images not used for D (e.g. 30d)")
      ->type_name("D");
  CLI::App* verify =
      command(app, table, "verify", "Re-hash every blob and check the index against the files",
              tools::run_verify, o);
  verify->add_flag("--repair", o.repair, "Drop damaged blobs (and what names them) from the index");
  verify->add_flag("--no-hash", o.no_hash, "Check presence and sizes only (fast)");
  CLI::App* rm =
      command(app, table, "rm", "Remove a reference (gc frees its blobs)", tools::run_rm, o);
  rm->add_option("REF", o.name, "Reference name, e.g. docker://alpine:3.19")
      ->required()
      ->type_name("");
  rm->add_option("--platform", o.platform, "Only this platform's entry (e.g. linux/amd64)");
  CLI::App* clean =
      command(app, table, "clean", "Remove every reference, conversion and blob not in use",
              tools::run_clean, o);
  clean->add_flag("--dry-run", o.dry_run, "Report what would be removed; change nothing");

  // Helpers for scripts and tests: not shown in --help.
  CLI::App* put = command(app, table, "put", "Store files as blobs", tools::run_put, o);
  put->group("");
  put->add_option("FILE", o.files, "Files to store")->required()->type_name("");
  put->add_option("--media-type", o.media_type, "Media type to record");
  CLI::App* ref =
      command(app, table, "ref", "Point a reference at a stored manifest", tools::run_ref, o);
  ref->group("");
  ref->add_option("NAME", o.name)->required();
  ref->add_option("DIGEST", o.digest)->required();
  ref->add_option("--platform", o.platform);
  CLI::App* link =
      command(app, table, "link", "Record what a stored manifest needs", tools::run_link, o);
  link->group("");
  link->add_option("PARENT", o.digest)->required();
  link->add_option("CHILD", o.digests)->required();
  CLI::App* convert =
      command(app, table, "convert", "Record a finished conversion", tools::run_convert, o);
  convert->group("");
  convert->add_option("SOURCE", o.digest)->required();
  convert->add_option("OPTIONS", o.options_key)->required();
  convert->add_option("RESULT", o.result)->required();

  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return e.get_exit_code() == 0 ? app.exit(e) : tools::report_usage(k_tool, e.what()); // 0: --help
  }
  for (const auto& [sub, run] : table) {
    if (!sub->parsed()) {
      continue;
    }
    if (auto done = run(o); !done) {
      return tools::report_failure(k_tool, done.error());
    }
    if (std::fflush(stdout) != 0) {
      return tools::report_failure(k_tool, Error(ErrorKind::io, "cannot write to standard output"));
    }
    return 0;
  }
  return tools::report_usage(k_tool, "a subcommand is required (list, du, gc, verify, rm or clean)");
}
