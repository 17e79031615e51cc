#pragma once

// The subcommands of sif-cache: each opens the cache, calls one library function and
// prints its report. Argument parsing stays in main.cpp.

#include <common/error.h>

#include <optional>
#include <string>
#include <vector>

namespace sifkit::tools {

// What the command line asked for; each subcommand reads the fields it owns.
struct CacheCommandOptions {
  std::optional<std::string> cache_dir; // --cache
  bool json = false;
  // gc
  bool dry_run = false;
  std::optional<std::string> keep_bytes;
  std::optional<std::string> older_than;
  // verify
  bool repair = false;
  bool no_hash = false;
  // rm, ref
  std::string name;
  std::optional<std::string> platform;
  // put, ref, link, convert (helpers for scripts and tests)
  std::vector<std::string> files;
  std::string media_type;
  std::string digest;
  std::vector<std::string> digests;
  std::string options_key;
  std::string result;
};

using CacheCommandRun = Result<void> (*)(const CacheCommandOptions&);

Result<void> run_list(const CacheCommandOptions& options);
Result<void> run_du(const CacheCommandOptions& options);
Result<void> run_gc(const CacheCommandOptions& options);
Result<void> run_verify(const CacheCommandOptions& options);
Result<void> run_rm(const CacheCommandOptions& options);
Result<void> run_clean(const CacheCommandOptions& options);
Result<void> run_put(const CacheCommandOptions& options);
Result<void> run_ref(const CacheCommandOptions& options);
Result<void> run_link(const CacheCommandOptions& options);
Result<void> run_convert(const CacheCommandOptions& options);

} // namespace sifkit::tools
