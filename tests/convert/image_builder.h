#pragma once

// Test support for the squash tests: layer tars built with libarchive's write API, OCI
// image layouts `umoci unpack` can read, LayerInputs over tar files.
#include <convert/squash.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/fixtures.h"

namespace sifkit::test {

enum class TarKind { file, directory, symlink, hardlink, char_device, block_device, fifo };

// One tar entry as the test wants it written (the name verbatim: "./x", "/x", "../x").
struct TarEntry {
  std::string path;
  TarKind kind = TarKind::file;
  std::uint32_t mode = 0644;
  std::uint32_t uid = 0;
  std::uint32_t gid = 0;
  std::int64_t mtime = 1700000000;
  std::string content;     // regular files
  std::string link_target; // symlinks and hardlinks
  std::uint32_t rdev_major = 0;
  std::uint32_t rdev_minor = 0;
  std::vector<std::pair<std::string, std::string>> xattrs;
  // Regular files written sparse: the data regions (offset, length); the rest of
  // `content` (which must be zeros there) is stored as holes.
  std::vector<std::pair<std::int64_t, std::int64_t>> sparse_data;
};

// Entry makers; further fields are set on the returned value.
TarEntry tar_file(std::string path, std::string content, std::uint32_t mode = 0644);
TarEntry tar_dir(std::string path, std::uint32_t mode = 0755);
TarEntry tar_symlink(std::string path, std::string target);
TarEntry tar_hardlink(std::string path, std::string target);
TarEntry tar_device(std::string path, TarKind kind, std::uint32_t major, std::uint32_t minor);
TarEntry tar_fifo(std::string path);
// An empty regular file named ".wh.<name>" in `dir` ("" for the root).
TarEntry tar_whiteout(const std::string& dir, const std::string& name);
// The opaque marker "<dir>/.wh..wh..opq".
TarEntry tar_opaque(const std::string& dir);

using Layer = std::vector<TarEntry>;

// The bytes of an uncompressed pax tar holding `entries` in order.
std::string build_tar(const Layer& entries);
// A gzip stream of `bytes` (libdeflate, deterministic).
std::string gzip(const std::string& bytes);
// A 512-byte ustar header block for a regular file `name` announcing `size` bytes
// (base-256 encoded when it does not fit in octal); no data follows it.
std::string raw_tar_header(const std::string& name, std::int64_t size);
// Writes `bytes` to `path`, failing the test on error.
void write_bytes(const std::string& path, const std::string& bytes);
// Writes each layer as a plain tar `layerN.tar` in `tmp` and returns their paths.
std::vector<std::string> write_tars(const TempDir& tmp, const std::vector<Layer>& layers);

// An OCI image layout on disk: `dir` with one manifest tagged `tag`, and each layer's
// gzip blob path (oldest first).
struct OciImage {
  std::string dir;
  std::string tag;
  std::vector<std::string> layer_blobs;
};
// Writes `layers` (oldest first) as gzip layers of an OCI layout in `dir`, with a config
// whose rootfs.diff_ids are the uncompressed digests and whose "config" (ENTRYPOINT, CMD,
// USER, ...) is the JSON object `runtime_config`.
OciImage write_oci_image(const std::string& dir, const std::vector<Layer>& layers,
                         const std::string& tag = "test", const std::string& runtime_config = "{}");

// LayerInputs reading the tar files `paths` (oldest first), named "layer N (file)".
std::vector<convert::LayerInput> tar_layer_inputs(const std::vector<std::string>& paths);

// Converts the tar files `blobs` (oldest first) with squash_layers into `out`; fails the
// test, showing the error, when the conversion fails.
convert::SquashStats squash_files(const std::vector<std::string>& blobs, const std::string& out,
                                  const convert::SquashOptions& options = {});

// Unpacks `image` with `umoci unpack` into `bundle`; its rootfs is `bundle`/rootfs.
// Fails the test when umoci fails.
void umoci_unpack(const OciImage& image, const std::string& bundle);
} // namespace sifkit::test
