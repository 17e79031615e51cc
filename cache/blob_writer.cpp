#include <cache/blob_writer.h>
#include <cache/cache_state.h>
#include <common/atomic_file.h>

#include <cerrno>
#include <cstdio>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

BlobWriter::BlobWriter(CacheState& cache, BlobLock lock, File temp, std::string temp_path,
                       std::optional<std::int64_t> expected_size, std::string media_type)
    : m_cache(&cache), m_digest(lock.digest()), m_lock(std::move(lock)), m_temp(std::move(temp)),
      m_temp_path(std::move(temp_path)), m_expected_size(expected_size),
      m_media_type(std::move(media_type)), m_hasher(m_digest.algorithm()) {}

BlobWriter::BlobWriter(BlobWriter&& other) noexcept
    : m_cache(other.m_cache), m_digest(other.m_digest), m_lock(std::move(other.m_lock)),
      m_temp(std::move(other.m_temp)), m_temp_path(std::move(other.m_temp_path)),
      m_expected_size(other.m_expected_size), m_media_type(std::move(other.m_media_type)),
      m_hasher(std::move(other.m_hasher)), m_written(other.m_written),
      m_finished(other.m_finished) {
  other.m_lock.reset();
  other.m_finished = true;
}

BlobWriter::~BlobWriter() {
  abandon();
}

void BlobWriter::abandon() {
  if (m_finished) {
    return;
  }
  m_finished = true;
  m_temp = File();
  ::unlink(m_temp_path.c_str());
  m_lock.reset(); // after the unlink: a free lock means "no temp file of mine is live"
}

Result<void> BlobWriter::write(std::span<const std::byte> bytes) {
  if (m_finished) {
    return fail(ErrorKind::internal, "write to a finished blob writer for " + m_digest.text());
  }
  auto size = static_cast<std::int64_t>(bytes.size());
  if (m_expected_size && m_written + size > *m_expected_size) {
    abandon();
    return fail(ErrorKind::corrupt_input, "blob " + m_digest.text() + " is longer than the " +
                                              std::to_string(*m_expected_size) + " bytes expected");
  }
  if (auto written = m_temp.pwrite_all(bytes, m_written); !written) {
    abandon();
    return written;
  }
  m_hasher.update({reinterpret_cast<const char*>(bytes.data()), bytes.size()});
  m_written += size;
  return {};
}

Result<UniqueFd> BlobWriter::reader() const {
  int fd = ::fcntl(m_temp.fd(), F_DUPFD_CLOEXEC, 0);
  if (fd < 0) {
    return fail_errno("cannot duplicate the descriptor of " + m_temp_path, errno);
  }
  return UniqueFd(fd);
}

Result<void> BlobWriter::write(std::string_view bytes) {
  return write(std::as_bytes(std::span(bytes)));
}

Result<BlobRecord> BlobWriter::commit_file(const std::string& path) {
  if (m_finished) {
    return fail(ErrorKind::internal, "commit of a finished blob writer for " + m_digest.text());
  }
  auto file = File::open(path, OpenMode::read_only);
  auto size = file ? file->size() : std::unexpected(file.error());
  if (!size) {
    abandon();
    return std::unexpected(size.error());
  }
  if (m_expected_size && *size != *m_expected_size) {
    abandon();
    return fail(ErrorKind::corrupt_input, path + " holds " + std::to_string(*size) +
                                              " bytes, not the " +
                                              std::to_string(*m_expected_size) + " expected");
  }
  auto synced = ::fchmod(file->fd(), 0444) == 0
                    ? file->sync()
                    : fail_errno("cannot make " + path + " read-only", errno);
  if (!synced) {
    abandon();
    return std::unexpected(synced.error());
  }
  std::string final_path = m_cache->layout.blob_path(m_digest);
  if (::rename(path.c_str(), final_path.c_str()) != 0) {
    int saved = errno;
    abandon();
    return fail_errno("cannot move " + path + " to " + final_path, saved);
  }
  m_written = *size;
  // Our own empty temp file goes; the lock stays until the blob is recorded.
  m_temp = File();
  ::unlink(m_temp_path.c_str());
  m_finished = true;
  auto dir_synced = sync_parent_directory(final_path);
  auto recorded = dir_synced ? m_cache->record_committed(m_digest, m_written, m_media_type)
                             : std::unexpected(dir_synced.error());
  m_lock.reset();
  return recorded;
}

Result<BlobRecord> BlobWriter::commit() {
  if (m_finished) {
    return fail(ErrorKind::internal, "commit of a finished blob writer for " + m_digest.text());
  }
  if (m_expected_size && m_written != *m_expected_size) {
    abandon();
    return fail(ErrorKind::corrupt_input, "blob " + m_digest.text() + " ended after " +
                                              std::to_string(m_written) + " of the " +
                                              std::to_string(*m_expected_size) + " bytes expected");
  }
  Digest actual = m_hasher.finish();
  if (actual != m_digest) {
    abandon();
    return fail(ErrorKind::corrupt_input,
                "bytes received for " + m_digest.text() + " hash to " + actual.text());
  }
  std::string final_path = m_cache->layout.blob_path(m_digest);
  if (::fchmod(m_temp.fd(), 0444) != 0) {
    abandon();
    return fail_errno("cannot make " + m_temp_path + " read-only", errno);
  }
  if (auto synced = m_temp.sync(); !synced) {
    abandon();
    return std::unexpected(synced.error());
  }
  if (auto closed = m_temp.close(); !closed) {
    abandon();
    return std::unexpected(closed.error());
  }
  if (::rename(m_temp_path.c_str(), final_path.c_str()) != 0) {
    int saved = errno;
    abandon();
    return fail_errno("cannot move " + m_temp_path + " to " + final_path, saved);
  }
  m_finished = true;
  // From here on the file is in place with the right bytes. If indexing fails (or we are
  // killed), the next writer of this digest or `verify` adopts the file.
  auto synced = sync_parent_directory(final_path);
  auto recorded = synced ? m_cache->record_committed(m_digest, m_written, m_media_type)
                         : std::unexpected(synced.error());
  m_lock.reset();
  return recorded;
}

} // namespace sifkit::cache
