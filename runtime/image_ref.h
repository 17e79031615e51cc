#pragma once

// What sif-run's IMAGE argument names: an OCI-SIF file, or any reference sif-pull
// accepts. A reference is handed to `sif-pull --sif-path` (convert/reference_sif.h),
// which pulls and converts it through the shared cache on first use and prints the
// cache's OCI-SIF; later runs find the recorded conversion at once. Running a file thus
// never loads the registry and conversion code (and their libraries).
#include <common/error.h>

#include <functional>
#include <optional>
#include <string>
#include <string_view>

namespace sifkit::runtime {

struct ImageRefOptions {
  std::optional<std::string> cache_dir;   // --cache
  std::optional<std::string> platform;    // --platform os/arch[/variant]
  std::optional<std::string> credentials; // USER:PASS, on a descriptor sif-pull inherits
  std::optional<std::string> ca_cert;     // --ca-cert FILE
  bool insecure = false;                  // --insecure
  // Told of each long step ("pulling X", "converting X"); empty: sif-pull runs quietly.
  std::function<void(std::string_view)> note;
};

// True when `image` names an existing file (it is then run as it is).
bool is_image_file(const std::string& image);

// The OCI-SIF to run for `image`: the file itself, or the cache's OCI-SIF of the
// reference (pulled and converted as needed by sif-pull, found beside this program or on
// PATH), leased to this process for its life (gc and clean keep it). `not_found` for a missing file
// or no sif-pull, `usage` for text that is neither a file nor a reference, else the kind of
// sif-pull's failure (its message is on stderr).
Result<std::string> resolve_image(const std::string& image, const ImageRefOptions& options);

} // namespace sifkit::runtime
