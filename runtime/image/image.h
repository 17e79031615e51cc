#pragma once

// The public header of runtime/image/. The image a run starts from: an OCI-SIF opened for running,
// or a reference resolved to one through sif-pull and the shared cache.
//
// Other rooms of runtime/ and the tools include only this header of the room; the
// other headers in the folder are internal to it.
#include <common/error.h>
#include <sif/oci_config.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace sifkit::runtime {

// The image a container runs from: an OCI-SIF file, its one image's config and the byte
// ranges of its squashfs layers inside the file (what the mount code mounts in place), and
// of the ext3 overlay SingularityCE's `overlay create` may have appended as its last layer.

// The media type of a squashfs layer in an OCI-SIF.
inline constexpr std::string_view k_media_squashfs_layer =
    "application/vnd.sylabs.image.layer.v1.squashfs";

// One squashfs layer: where its bytes lie in the SIF file.
struct SquashfsLayer {
  Digest digest;
  std::int64_t offset = 0; // from the start of the file
  std::int64_t size = 0;
};

// The media type of an ext3 overlay layer (only ever the last layer).
inline constexpr std::string_view k_media_ext3_layer = "application/vnd.sylabs.image.layer.v1.ext3";

struct RunImage {
  std::string path; // the OCI-SIF file, absolute
  Digest manifest;
  oci::ImageConfig config;
  std::vector<SquashfsLayer> layers;    // oldest (lowest) first
  std::optional<SquashfsLayer> overlay; // the embedded ext3 overlay (its byte range)
};

// Opens the OCI-SIF at `path` and reads its image (the host platform's when it holds
// several). `not_found` for a missing file, `unsupported` for a SIF that is not an
// OCI-SIF or an image whose layers are not squashfs (an image converted with another
// tool's layer type) apart from one trailing ext3 overlay, `corrupt_input` for malformed
// content.
Result<RunImage> open_run_image(const std::string& path);

// What sif-run's IMAGE argument names: an OCI-SIF file, or any reference sif-pull
// accepts. A reference is handed to `sif-pull --sif-path` (convert/reference_sif.h),
// which pulls and converts it through the shared cache on first use and prints the
// cache's OCI-SIF; later runs find the recorded conversion at once. Running a file thus
// never loads the registry and conversion code (and their libraries).

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
