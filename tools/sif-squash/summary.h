#pragma once

// What sif-squash reports when done: the JSON summary (--json) and the closing line.
#include <common/digest.h>
#include <convert/oci_convert.h>

#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace sifkit::tools {

struct SquashSummary {
  std::string source;
  std::string kind; // "image", "directory", "tar"
  std::string format;
  std::string output;
  std::optional<Digest> manifest; // the source image's manifest
  std::optional<Digest> sif;      // the OCI-SIF's digest when it came from the cache
  std::int64_t size = 0;          // bytes of the output
  bool reused = false;
  std::vector<convert::ConvertedLayer> layers; // the squashfs layers (stats when converted)
  bool have_stats = false;
  std::chrono::milliseconds pull_time{0};
  std::chrono::milliseconds convert_time{0};
  std::chrono::milliseconds copy_time{0};
  std::chrono::milliseconds total_time{0};
};

// The --json document (docs/sif-squash.md lists the fields).
nlohmann::ordered_json summary_json(const SquashSummary& summary);

// "sif-squash: wrote OUT (12.3 MiB, 1 squashfs layer, converted in 840 ms)".
std::string summary_line(const SquashSummary& summary);

// The squashfs layers of the OCI-SIF `path` (for a conversion found in the cache);
// sizes and digests only.
Result<std::vector<convert::ConvertedLayer>> oci_sif_layers(const std::string& path);

} // namespace sifkit::tools
