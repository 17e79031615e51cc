#pragma once

// Merging image layers into one squashfs filesystem in a single streaming pass (newest
// layer first; ARCHITECTURE.md "Conversion" explains the rules), and writing one layer
// as its own squashfs with overlayfs whiteouts (--keep-layers).
#include <common/error.h>
#include <convert/entry.h>
#include <convert/options.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>

namespace sifkit::convert {

// How whiteout names (".wh.name", ".wh..wh..opq") in a layer are read.
enum class Whiteouts {
  interpret, // AUFS whiteouts of an image layer: they hide entries of lower layers
  literal,   // ordinary names (a root filesystem directory, a plain tar)
};

// One input layer. `open` may be called more than once (a second pass reads data of a
// hardlink target that an upper layer replaced); each call starts from the beginning.
struct LayerInput {
  std::string name; // "layer 2 (sha256:ab12…)", for messages
  std::function<Result<std::unique_ptr<EntryReader>>()> open;
  Whiteouts whiteouts = Whiteouts::interpret;
};

// Progress of a conversion, for display. Called from the converting thread only.
struct SquashProgress {
  std::int64_t bytes_in = 0;  // file content read so far (uncompressed)
  std::int64_t bytes_out = 0; // squashfs bytes written so far
  int layer = 0;              // index into the layers (oldest = 0) being read
  int layer_count = 0;
};
using SquashProgressCallback = std::function<void(const SquashProgress&)>;

struct SquashStats {
  std::int64_t bytes_in = 0;   // file content stored (after merging)
  std::int64_t image_size = 0; // size of the squashfs file written (padded to 4 KiB)
  std::int64_t inodes = 0;
  std::int64_t files = 0;
  std::int64_t directories = 0;
  std::int64_t hardlinks = 0;      // directory entries sharing another entry's inode
  std::int64_t entries_hidden = 0; // lower-layer entries hidden by upper layers
  std::int64_t xattrs_dropped = 0; // xattrs squashfs cannot store (not user./trusted./security.)
  std::int64_t tree_nodes = 0;     // nodes the merge made (TreeLimits counts these)
};

// Merges `layers` (oldest first, as a manifest lists them) and writes the result as a
// squashfs filesystem to `out_path` (created or truncated; the caller handles temp
// names). Deterministic: the same layers and options give the same bytes, whatever the
// thread count. Root is 0:0 0755 mtime 0 unless a layer gives it; mkfs time 0. Fails
// with `corrupt_input` naming the layer and entry for hostile input (escapes, a hardlink
// to a missing target, impossible sizes), `capacity` naming the layer when the merged
// tree outgrows options.tree_limits, `unsupported` for a compressor this
// libsquashfs lacks, `io`. On failure `out_path` holds garbage the caller removes.
Result<SquashStats> squash_layers(std::span<const LayerInput> layers, const std::string& out_path,
                                  const SquashOptions& options,
                                  const SquashProgressCallback& progress = {});

// Writes one layer as its own squashfs for overlayfs stacking: ".wh.name" becomes a
// character device 0:0 at "name", ".wh..wh..opq" is dropped and its directory gets the
// xattr trusted.overlay.opaque=y (as SingularityCE's --keep-layers does). Same contract
// as squash_layers otherwise.
Result<SquashStats> squash_layer_for_overlay(const LayerInput& layer, const std::string& out_path,
                                             const SquashOptions& options,
                                             const SquashProgressCallback& progress = {});

} // namespace sifkit::convert
