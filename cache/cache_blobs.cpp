#include <cache/cache_state.h>

#include <array>
#include <cerrno>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::cache {

namespace {

// The size of the file at `path`, or nullopt when it does not exist (or is not a file).
std::optional<std::int64_t> file_size(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
    return std::nullopt;
  }
  return st.st_size;
}

} // namespace

std::int64_t CacheState::lease_end() const {
  return now() + options.lease_duration.count();
}

Result<std::optional<BlobRecord>> CacheState::claim_stored(const Digest& digest,
                                                           std::string_view media_type) {
  // A plain read first, so that a miss never waits for the write lock.
  auto peek = index.find_blob(digest);
  if (!peek || !*peek) {
    return peek;
  }
  SIFKIT_TRY_ASSIGN(auto tx, index.begin());
  auto row = index.find_blob(digest);
  if (!row || !*row) {
    return row;
  }
  if (file_size(layout.blob_path(digest)) != (*row)->size) {
    return std::optional<BlobRecord>(); // damaged from outside: write it again
  }
  std::int64_t at = now();
  auto touched = index.touch_blob(digest, at, media_type);
  auto leased = touched ? index.lease(digest, holder, lease_end()) : touched;
  SIFKIT_TRY(leased ? tx.commit() : leased);
  (*row)->last_used_at = std::max((*row)->last_used_at, at);
  if ((*row)->media_type.empty()) {
    (*row)->media_type = media_type;
  }
  return row;
}

Result<std::optional<BlobRecord>> CacheState::adopt_or_discard(const Digest& digest,
                                                               const BlobInfo& info) {
  std::string path = layout.blob_path(digest);
  auto size = file_size(path);
  if (!size) {
    return std::optional<BlobRecord>();
  }
  SIFKIT_TRY_ASSIGN(auto actual, digest_of_file(path, digest.algorithm()));
  if (actual != digest) {
    if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
      return fail_errno("cannot remove damaged blob " + path, errno);
    }
    return std::optional<BlobRecord>();
  }
  std::int64_t at = now();
  BlobRecord record{digest, *size, info.media_type, at, at, 0};
  SIFKIT_TRY_ASSIGN(auto tx, index.begin());
  auto adopted = index.adopt_blob(record);
  auto leased = adopted ? index.lease(digest, holder, lease_end()) : adopted;
  SIFKIT_TRY(leased ? tx.commit() : leased);
  return claim_stored(digest, info.media_type); // the row as stored (it may be older)
}

Result<BlobSlot> CacheState::begin_blob(const Digest& digest, const BlobInfo& info) {
  auto stored = claim_stored(digest, info.media_type);
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (*stored) {
    return BlobSlot(std::move(**stored));
  }
  SIFKIT_TRY_ASSIGN(auto lock,
                    BlobLock::acquire(layout, digest, options.lock_timing, options.on_wait));
  // Whoever held the lock before us may have stored the blob meanwhile.
  stored = claim_stored(digest, info.media_type);
  if (stored && !*stored) {
    stored = adopt_or_discard(digest, info);
  }
  if (!stored) {
    return std::unexpected(stored.error());
  }
  if (*stored) {
    return BlobSlot(std::move(**stored));
  }
  std::string temp_path = layout.new_temp_path(digest);
  // Read-write: BlobWriter::reader() reads what has arrived while more does.
  int fd = ::open(temp_path.c_str(), O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
  if (fd < 0) {
    return fail_errno("cannot create temp file " + temp_path, errno);
  }
  return BlobSlot(BlobWriter(*this, std::move(lock), File::adopt(fd, temp_path), temp_path,
                             info.size, info.media_type));
}

Result<BlobRecord> CacheState::record_committed(const Digest& digest, std::int64_t size,
                                                const std::string& media_type) {
  std::int64_t at = now();
  BlobRecord record{digest, size, media_type, at, at, 1};
  SIFKIT_TRY_ASSIGN(auto tx, index.begin());
  auto written = index.record_write(record);
  auto leased = written ? index.lease(digest, holder, lease_end()) : written;
  SIFKIT_TRY(with_context(leased ? tx.commit() : leased, "indexing " + digest.text()));
  auto row = index.find_blob(digest);
  if (!row || !*row) {
    return row ? Result<BlobRecord>(record) : std::unexpected(row.error());
  }
  return **row;
}

// ---- the Cache facade's blob functions ----

Result<BlobSlot> Cache::begin_blob(const Digest& digest, const BlobInfo& info) {
  return with_context(m_state->begin_blob(digest, info), "storing " + digest.text());
}

Result<PutResult> Cache::put(const Digest& digest, const ByteSource& source, const BlobInfo& info) {
  SIFKIT_TRY_ASSIGN(auto slot, begin_blob(digest, info));
  if (auto* stored = std::get_if<BlobRecord>(&slot)) {
    return PutResult{std::move(*stored), PutOutcome::already_stored};
  }
  auto& writer = std::get<BlobWriter>(slot);
  std::vector<std::byte> buffer(std::size_t{1} << 20);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto n, with_context(source(buffer), "storing " + digest.text()));
    if (n == 0) {
      break;
    }
    SIFKIT_TRY(with_context(writer.write(std::span(buffer).first(n)), "storing " + digest.text()));
  }
  SIFKIT_TRY_ASSIGN(auto committed, with_context(writer.commit(), "storing " + digest.text()));
  return PutResult{std::move(committed), PutOutcome::written};
}

Result<PutResult> Cache::put_file(const std::string& path, const std::string& media_type,
                                  FileHandoff handoff) {
  SIFKIT_TRY_ASSIGN(auto digest, digest_of_file(path, DigestAlgorithm::sha256));
  if (handoff == FileHandoff::copy) {
    SIFKIT_TRY_ASSIGN(auto source, source_from_path(path));
    return put(digest, source, BlobInfo{std::nullopt, media_type});
  }
  SIFKIT_TRY_ASSIGN(auto slot, begin_blob(digest, BlobInfo{std::nullopt, media_type}));
  if (auto* stored = std::get_if<BlobRecord>(&slot)) {
    return PutResult{std::move(*stored), PutOutcome::already_stored};
  }
  SIFKIT_TRY_ASSIGN(auto committed, with_context(std::get<BlobWriter>(slot).commit_file(path),
                                                 "storing " + digest.text()));
  return PutResult{std::move(committed), PutOutcome::written};
}

Result<std::optional<BlobRecord>> Cache::find_blob(const Digest& digest) {
  return m_state->claim_stored(digest, "");
}

Result<File> Cache::open_blob(const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto found, find_blob(digest));
  if (!found) {
    return fail(ErrorKind::not_found, "blob " + digest.text() + " is not in the cache");
  }
  return File::open(blob_path(digest), OpenMode::read_only);
}

std::string Cache::blob_path(const Digest& digest) const {
  return m_state->layout.blob_path(digest);
}

} // namespace sifkit::cache
