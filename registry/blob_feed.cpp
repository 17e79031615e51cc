#include <registry/blob_feed.h>

#include <algorithm>
#include <cerrno>

#include <unistd.h>

namespace sifkit::registry {

namespace {

Error not_fetched(const Digest& digest) {
  return Error(ErrorKind::internal, "the pull ended without fetching " + digest.text());
}

} // namespace

void BlobFeed::manifest_resolved(const Digest& manifest) {
  std::lock_guard lock(m_mutex);
  m_manifest = manifest;
  m_changed.notify_all();
}

void BlobFeed::expect(const Digest& digest, std::int64_t size) {
  std::lock_guard lock(m_mutex);
  m_blobs[digest].size = size;
}

void BlobFeed::started(const Digest& digest, UniqueFd readable) {
  std::lock_guard lock(m_mutex);
  Blob& blob = m_blobs[digest];
  blob.started = true;
  blob.fd = std::make_shared<UniqueFd>(std::move(readable));
  m_changed.notify_all();
}

void BlobFeed::arrived(const Digest& digest, std::int64_t bytes) {
  std::lock_guard lock(m_mutex);
  Blob& blob = m_blobs[digest];
  blob.arrived = std::max(blob.arrived, bytes);
  m_changed.notify_all();
}

void BlobFeed::finished(const Digest& digest, std::optional<Error> failure) {
  std::lock_guard lock(m_mutex);
  Blob& blob = m_blobs[digest];
  blob.done = true;
  blob.in_cache = !blob.started && !failure;
  blob.failure = std::move(failure);
  m_changed.notify_all();
}

void BlobFeed::closed(std::optional<Error> failure) {
  std::lock_guard lock(m_mutex);
  m_closed = true;
  m_failure = std::move(failure);
  for (auto& [digest, blob] : m_blobs) {
    if (!blob.done) {
      blob.done = true;
      blob.failure = m_failure ? *m_failure : not_fetched(digest);
    }
  }
  m_changed.notify_all();
}

Result<Digest> BlobFeed::wait_manifest() {
  std::unique_lock lock(m_mutex);
  m_changed.wait(lock, [&] { return m_manifest || m_closed; });
  if (m_manifest) {
    return *m_manifest;
  }
  return std::unexpected(m_failure ? *m_failure
                                   : Error(ErrorKind::internal, "the pull resolved no manifest"));
}

Result<std::optional<FollowedBlob>> BlobFeed::follow(const Digest& digest) {
  std::unique_lock lock(m_mutex);
  auto it = m_blobs.find(digest);
  if (it == m_blobs.end()) {
    return std::nullopt;
  }
  Blob& blob = it->second;
  m_changed.wait(lock, [&] { return blob.started || blob.done; });
  if (blob.failure) {
    return std::unexpected(*blob.failure);
  }
  if (blob.in_cache) {
    return FollowedBlob(BlobInCache{});
  }
  auto offset = std::make_shared<std::int64_t>(0);
  ByteSource source = [this, digest, offset](std::span<std::byte> out) -> Result<std::size_t> {
    SIFKIT_TRY_ASSIGN(auto n, read(digest, out, *offset));
    *offset += static_cast<std::int64_t>(n);
    return n;
  };
  return FollowedBlob(ArrivingBlob{std::move(source), blob.size});
}

Result<std::size_t> BlobFeed::read(const Digest& digest, std::span<std::byte> out,
                                   std::int64_t offset) {
  std::shared_ptr<UniqueFd> fd;
  std::size_t want = 0;
  {
    std::unique_lock lock(m_mutex);
    Blob& blob = m_blobs.at(digest);
    // The last byte ends the stream without waiting for the commit (and its fsync): the
    // reader verifies the digest of what it read itself.
    m_changed.wait(lock, [&] { return blob.arrived > offset || blob.done || offset >= blob.size; });
    if (blob.failure) {
      return std::unexpected(*blob.failure);
    }
    if (blob.arrived <= offset) {
      return std::size_t{0};
    }
    want = static_cast<std::size_t>(
        std::min<std::int64_t>(static_cast<std::int64_t>(out.size()), blob.arrived - offset));
    fd = blob.fd;
  }
  for (;;) {
    ssize_t n = ::pread(fd->get(), out.data(), want, static_cast<off_t>(offset));
    if (n > 0) {
      return static_cast<std::size_t>(n);
    }
    if (n == 0) {
      return fail(ErrorKind::io, "blob " + digest.text() + " being fetched is shorter than it was");
    }
    if (errno != EINTR) {
      return fail_errno("cannot read blob " + digest.text() + " being fetched", errno);
    }
  }
}

} // namespace sifkit::registry
