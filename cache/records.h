#pragma once

// The rows of the index, as plain values. Times are Unix seconds.

#include <common/digest.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sifkit::cache {

// One stored blob.
struct BlobRecord {
  Digest digest;
  std::int64_t size = 0;
  std::string media_type; // empty when unknown
  std::int64_t added_at = 0;
  std::int64_t last_used_at = 0;
  // How many times a writer committed these bytes to blobs/ (1 unless the file had to be
  // written again after outside damage; adopting an orphan file does not count).
  std::int64_t writes = 0;
};

// A reference name (e.g. `docker://host/repo:tag`) plus platform (`linux/amd64`; empty
// when the name resolves to one manifest for every platform).
struct RefKey {
  std::string name;
  std::string platform;
};

// A reference and the manifest (or index) it resolved to when fetched.
struct RefRecord {
  RefKey key;
  Digest manifest;
  std::int64_t fetched_at = 0;
};

// A finished conversion: `source` (a manifest) converted with `options_key` (the
// caller's canonical text of the conversion options) gave the blob `result` (an OCI-SIF).
struct ConversionRecord {
  Digest source;
  std::string options_key;
  Digest result;
  std::int64_t created_at = 0;
};

// `parent` (a manifest or index) needs `child` (a config, layer or manifest).
struct Edge {
  Digest parent;
  Digest child;
};

// A claim by a running process that it uses `digest`; GC never removes a leased blob.
struct LeaseRecord {
  Digest digest;
  std::string holder;
  std::int64_t expires_at = 0;
};

// Everything GC, du and list need, read in one consistent snapshot.
struct IndexSnapshot {
  std::vector<BlobRecord> blobs;
  std::vector<RefRecord> refs;
  std::vector<ConversionRecord> conversions;
  std::vector<Edge> edges;
  std::vector<LeaseRecord> leases;
};

} // namespace sifkit::cache
