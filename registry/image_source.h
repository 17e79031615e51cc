#pragma once

// Where an image comes from: a registry, an OCI layout, an archive. Every transport
// implements ImageSource; pulling (pull.h) walks the manifests it returns and streams
// its blobs into the cache's verifying writers.
#include <cache/blob_writer.h>
#include <common/digest.h>
#include <common/error.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <functional>
#include <string>

namespace sifkit::registry {

// A manifest or index as fetched: its exact bytes, its media type (as the source
// declared it, else sniffed from the JSON) and the digest of the bytes.
struct FetchedManifest {
  std::string bytes;
  std::string media_type;
  Digest digest;
};

// Called with the number of bytes of a blob received so far (for progress display).
using BlobProgress = std::function<void(std::int64_t bytes_done)>;

class ImageSource {
public:
  virtual ~ImageSource() = default;

  // The reference as the user should read it in messages ("docker://host/repo:tag").
  virtual std::string describe() const = 0;

  // The manifest or index the reference names. When the reference pins a digest, bytes
  // that do not hash to it are `corrupt_input`.
  virtual Result<FetchedManifest> fetch_root() = 0;

  // The manifest or index `descriptor` (a child of an index), verified against its
  // digest and size: `corrupt_input` on mismatch, `not_found` when absent.
  virtual Result<FetchedManifest> fetch_manifest(const oci::Descriptor& descriptor) = 0;

  // Streams the blob `descriptor` into `writer`, continuing from
  // `writer.bytes_written()` (a source that cannot resume fails with `unsupported` when
  // that is not 0). Does not commit: the caller commits, and the writer checks digest
  // and size then. Must be safe to call from several threads at once for different
  // blobs when `max_parallel() > 1`.
  virtual Result<void> fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                                  const BlobProgress& progress) = 0;

  // How many blobs may be fetched at once (1 for sources read sequentially).
  virtual int max_parallel() const { return 1; }
};

} // namespace sifkit::registry
