#pragma once

// sif-squash's one command: classify the source, convert it (convert/oci_convert.h,
// convert/cached_convert.h), write the output and print the summary. Argument parsing
// stays in main.cpp.
#include <common/error.h>

#include <optional>
#include <string>

#include <support/convert_flags.h>

namespace sifkit::tools {

struct SquashCommandOptions {
  std::string source;
  std::string output;
  std::string format = "oci-sif"; // or "squashfs": the raw filesystem only
  ConvertFlags convert;
  std::optional<std::string> platform;  // os/arch[/variant]
  std::optional<std::string> cache_dir; // --cache
  std::optional<std::string> credentials;
  std::optional<std::string> ca_cert;
  bool insecure = false;
  bool quiet = false;
  bool json = false;
};

// Runs the conversion `options` describe; errors carry their kind for the exit code.
Result<void> run_squash(const SquashCommandOptions& options);

} // namespace sifkit::tools
