#pragma once

// sif-squash's one command: classify the source, convert it (a reference through
// convert/reference_sif.h, a root filesystem through convert/oci_convert.h), write the
// output and print the summary. Argument parsing
// stays in main.cpp.
#include <common/error.h>

#include <optional>
#include <string>

#include <support/convert_flags.h>
#include <support/reference_flags.h>

namespace sifkit::tools {

struct SquashCommandOptions {
  std::string source;
  std::string output;
  std::string format = "oci-sif"; // or "squashfs": the raw filesystem only
  ConvertFlags convert;
  ReferenceFlags source_flags; // --platform also names a root filesystem's platform
  bool quiet = false;
  bool json = false;
};

// Runs the conversion `options` describe; errors carry their kind for the exit code.
Result<void> run_squash(const SquashCommandOptions& options);

} // namespace sifkit::tools
