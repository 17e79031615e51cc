#pragma once

// Streaming a blob into the cache: bytes go to a temp file in tmp/ and through the
// digest as they arrive; `commit` checks size and digest, fsyncs, renames the file to
// blobs/<alg>/<hex> and records it in the index. A blob never appears under its final
// name unless its bytes match its digest. The writer holds the blob's lock from
// `Cache::begin_blob` until it commits or is abandoned, so other processes that want
// the same blob wait and then reuse it.

#include <cache/blob_lock.h>
#include <cache/records.h>
#include <common/error.h>
#include <common/file.h>
#include <common/unique_fd.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sifkit::cache {

struct CacheState;

class BlobWriter {
public:
  BlobWriter(BlobWriter&&) noexcept;
  BlobWriter& operator=(BlobWriter&&) = delete;
  BlobWriter(const BlobWriter&) = delete;
  ~BlobWriter(); // abandons unless committed

  const Digest& digest() const { return m_digest; }
  std::int64_t bytes_written() const { return m_written; }

  // A second descriptor of the temp file, to read (pread) what has been written while
  // more arrives; it stays valid after a commit or an abandon. `io` when none is left.
  Result<UniqueFd> reader() const;

  // Appends `bytes`. Fails with `corrupt_input` as soon as more bytes arrive than the
  // expected size, with `io`/`capacity` when the disk fails or fills.
  Result<void> write(std::span<const std::byte> bytes);
  Result<void> write(std::string_view bytes);

  // Checks the size and digest (`corrupt_input` naming both digests on a mismatch; the
  // temp file is removed and nothing is indexed), makes the file durable and read-only,
  // renames it into place, records the blob and leases it to this process. The writer is
  // finished afterwards, whatever the outcome.
  Result<BlobRecord> commit();

  // Commits the finished file `path` instead of bytes written here: `path` is on the
  // cache's file system (in its tmp/), no one else can write it, and the caller hashed its
  // content to digest() (a conversion's result, whose digest is known only once written).
  // It is made read-only and durable and renamed to the blob's name, without a copy.
  // `corrupt_input` when its size is not the expected one, `io`. Finished afterwards.
  Result<BlobRecord> commit_file(const std::string& path);

  // Removes the temp file and releases the lock. Safe to call more than once.
  void abandon();

private:
  friend struct CacheState;
  BlobWriter(CacheState& cache, BlobLock lock, File temp, std::string temp_path,
             std::optional<std::int64_t> expected_size, std::string media_type);

  CacheState* m_cache;
  Digest m_digest;
  std::optional<BlobLock> m_lock; // empty once finished
  File m_temp;
  std::string m_temp_path;
  std::optional<std::int64_t> m_expected_size;
  std::string m_media_type;
  DigestHasher m_hasher;
  std::int64_t m_written = 0;
  bool m_finished = false;
};

} // namespace sifkit::cache
