#pragma once

// sif-pull's one command: resolve the reference, pull it into the cache (registry/pull.h),
// optionally write an OCI layout, and print the result. Argument parsing stays in main.cpp.
#include <common/error.h>

#include <optional>
#include <string>

namespace sifkit::tools {

struct PullCommandOptions {
  std::string reference;
  std::optional<std::string> output;     // -o FILE.sif (the converter's; refused for now)
  std::optional<std::string> oci_layout; // --oci-layout DIR
  std::optional<std::string> platform;   // os/arch[/variant]
  std::optional<std::string> cache_dir;  // --cache
  std::optional<std::string> credentials;
  std::optional<std::string> ca_cert;
  bool insecure = false;
  bool quiet = false;
  bool json = false;
};

Result<void> run_pull(const PullCommandOptions& options);

} // namespace sifkit::tools
