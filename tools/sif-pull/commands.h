#pragma once

// sif-pull's one command: resolve the reference, pull it into the cache (registry/pull.h),
// optionally convert it to an OCI-SIF (convert/cached_convert.h) and write an OCI
// layout, and print the result. Argument parsing stays in main.cpp.
#include <common/error.h>
#include <registry/registry_options.h>

#include <optional>
#include <string>

#include <support/convert_flags.h>

namespace sifkit::tools {

struct PullCommandOptions {
  std::string reference;
  std::optional<std::string> output;     // -o FILE.sif: convert and write an OCI-SIF
  ConvertFlags convert;                  // how to convert for -o
  std::optional<std::string> oci_layout; // --oci-layout DIR
  std::optional<std::string> platform;   // os/arch[/variant]
  std::optional<std::string> cache_dir;  // --cache
  // --creds, --ca-cert, --insecure, and the first retry's back-off ($SIFKIT_RETRY_DELAY_MS)
  registry::RegistryOptions registry;
  bool quiet = false;
  bool json = false;
  bool sif_path = false;     // --sif-path: print the cache's OCI-SIF path, nothing else
  bool lease_parent = false; // --lease-parent: the printed OCI-SIF stays leased to the caller
};

Result<void> run_pull(const PullCommandOptions& options);

// --sif-path: pulls and converts through the cache as needed (convert/reference_sif.h)
// and prints the path of the cache's OCI-SIF, leased to the parent process with
// lease_parent; notes go to stderr unless quiet.
Result<void> print_sif_path(const PullCommandOptions& options);

} // namespace sifkit::tools
