#pragma once

// Internal: what a Cache and its writers share. Not part of the cache's API.

#include <cache/cache.h>

namespace sifkit::cache {

struct CacheState {
  Layout layout;
  Index index;
  CacheOptions options;
  std::string holder;

  std::int64_t now() const;
  // When a lease taken now ends.
  std::int64_t lease_end() const;

  // The fast path of every lookup: in one write transaction, if `digest` has a row and a
  // file of the recorded size, marks it used, leases it and returns the record.
  Result<std::optional<BlobRecord>> claim_stored(const Digest& digest, std::string_view media_type);
  // Under the blob's lock: a file already in blobs/ without a (matching) row is a writer
  // that died between rename and indexing. Adopts it when its bytes match `digest`
  // (returns the record), removes it otherwise (returns nullopt).
  Result<std::optional<BlobRecord>> adopt_or_discard(const Digest& digest, const BlobInfo& info);
  Result<BlobSlot> begin_blob(const Digest& digest, const BlobInfo& info);
  // Records a committed blob and leases it, in one transaction.
  Result<BlobRecord> record_committed(const Digest& digest, std::int64_t size,
                                      const std::string& media_type);
};

} // namespace sifkit::cache
