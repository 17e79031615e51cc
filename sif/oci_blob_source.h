#pragma once

// Where the blobs of an OCI image come from when an OCI-SIF is written or updated, and
// the verification every copied blob goes through.
#include <common/byte_source.h>
#include <common/error.h>
#include <sif/oci_types.h>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace sifkit::oci {

// An opened blob: a stream over its bytes and the length its store reports.
struct BlobStream {
  ByteSource source;
  std::int64_t size = 0;
};

// A content-addressed store of blobs (an OCI layout, an OCI-SIF, memory, ...).
class BlobSource {
public:
  virtual ~BlobSource() = default;
  // Opens blob `digest`; `not_found` when the store lacks it. The bytes are not verified
  // here: wrap the stream with `verified_source`.
  virtual Result<BlobStream> open_blob(const Digest& digest) const = 0;
};

// Wraps `inner` so that reading fails with `corrupt_input` as soon as more than
// `expected_size` bytes arrive (when given), and at the end when the bytes do not hash to
// `digest` or are fewer than `expected_size`. `name` appears in error messages.
ByteSource verified_source(ByteSource inner, Digest digest,
                           std::optional<std::int64_t> expected_size, std::string name);

// Reads blob `digest` from `source` into memory and verifies it as `verified_source`
// does; `corrupt_input` when it is larger than `max_bytes`.
Result<std::string> read_verified_blob(const BlobSource& source, const Digest& digest,
                                       std::optional<std::int64_t> expected_size,
                                       std::int64_t max_bytes = k_max_manifest_size);

// Blobs held in memory: freshly built manifests and indexes, tests.
class MemoryBlobSource : public BlobSource {
public:
  // Stores `data` and returns its digest.
  Digest add(std::string data);
  Result<BlobStream> open_blob(const Digest& digest) const override;

private:
  std::map<Digest, std::string> m_blobs;
};

// Asks each of `sources` in order and answers from the first that has the blob. The
// sources must outlive the chain.
class ChainBlobSource : public BlobSource {
public:
  explicit ChainBlobSource(std::vector<const BlobSource*> sources)
      : m_sources(std::move(sources)) {}
  Result<BlobStream> open_blob(const Digest& digest) const override;

private:
  std::vector<const BlobSource*> m_sources;
};

} // namespace sifkit::oci
