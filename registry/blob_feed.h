#pragma once

// Blobs handed to a reader while a pull still fetches them: the puller announces the
// image manifest it resolved and each blob it writes into the cache (a descriptor of the
// temp file and how many bytes have arrived), and the reader streams those bytes as they
// come instead of waiting for the whole pull. The cache's writer still verifies and
// commits every blob; a reader that verifies what it reads sees a bad blob fail too.
#include <common/byte_source.h>
#include <common/digest.h>
#include <common/error.h>
#include <common/unique_fd.h>

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <variant>

namespace sifkit::registry {

// What a reader gets for a blob from BlobFeed::follow.
struct BlobInCache {}; // stored before the pull, or by another process meanwhile
struct ArrivingBlob {
  ByteSource source;     // its bytes, waiting for each until it arrives
  std::int64_t size = 0; // as the manifest declares it
};
using FollowedBlob = std::variant<BlobInCache, ArrivingBlob>;

// Thread-safe: one puller (its worker threads) and any number of readers.
class BlobFeed {
public:
  // Puller: blob `digest` of `size` bytes will be fetched (called for each before
  // manifest_resolved: a reader takes a blob not expected by then for one in the cache).
  void expect(const Digest& digest, std::int64_t size);
  // Puller: the image manifest `manifest` is resolved and stored in the cache.
  void manifest_resolved(const Digest& manifest);
  // Puller: `digest` is being written to the temp file `readable` (a descriptor the
  // feed keeps), from its first byte.
  void started(const Digest& digest, UniqueFd readable);
  // Puller: `bytes` of `digest` are in its temp file.
  void arrived(const Digest& digest, std::int64_t bytes);
  // Puller: `digest` is committed to the cache (`failure` empty) or failed.
  void finished(const Digest& digest, std::optional<Error> failure);
  // Puller: the pull is over (`failure` empty when it succeeded). A manifest never
  // announced, and blobs never finished, fail with `failure` (or `internal`) for readers.
  void closed(std::optional<Error> failure);

  // Reader: waits for the manifest; the pull's error when it failed before one.
  Result<Digest> wait_manifest();
  // Reader: blob `digest` as it arrives: nullopt when the pull does not fetch it (it is
  // in the cache already), BlobInCache when another process stored it, else a source of
  // its bytes that waits for them and fails with the fetch's error. The source reads
  // with pread; it may outlive the pull, not the feed.
  Result<std::optional<FollowedBlob>> follow(const Digest& digest);

private:
  struct Blob {
    std::int64_t size = 0;
    std::int64_t arrived = 0;
    bool started = false;
    bool done = false;
    bool in_cache = false; // done without a temp file: another process stored it
    std::shared_ptr<UniqueFd> fd;
    std::optional<Error> failure;
  };

  Result<std::size_t> read(const Digest& digest, std::span<std::byte> out, std::int64_t offset);

  std::mutex m_mutex;
  std::condition_variable m_changed;
  std::optional<Digest> m_manifest;
  bool m_closed = false;
  std::optional<Error> m_failure;
  std::map<Digest, Blob> m_blobs;
};

} // namespace sifkit::registry
