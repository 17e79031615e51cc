#pragma once

// The shared content-addressed cache every tool uses: blobs stored once by digest under
// blobs/, an SQLite index of blobs, references and finished conversions, per-blob locks,
// and leases that keep what a running process uses safe from GC. ARCHITECTURE.md
// ("Cache design") explains the layout, locking and crash safety.
//
// One Cache per process (or thread): it owns an SQLite connection. Open it after fork().
// Any number of processes may use the same directory at once.

#include <cache/blob_lock.h>
#include <cache/blob_writer.h>
#include <cache/index.h>
#include <cache/layout.h>
#include <cache/records.h>
#include <common/byte_source.h>
#include <common/error.h>
#include <common/file.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <variant>

namespace sifkit::cache {

enum class SweepOnOpen { no, yes };

struct CacheOptions {
  LockTiming lock_timing;   // waiting for another writer of the same blob
  LockWaitCallback on_wait; // told when such a wait lasts (may be empty)
  std::chrono::seconds lease_duration{std::chrono::hours(24)};      // see ARCHITECTURE.md
  std::chrono::milliseconds busy_timeout{std::chrono::seconds(30)}; // SQLite write lock
  std::function<std::int64_t()> clock; // Unix seconds; empty: the system clock
  SweepOnOpen sweep_on_open = SweepOnOpen::yes;
};

// What the caller knows about a blob before storing it.
struct BlobInfo {
  std::optional<std::int64_t> size; // checked at commit when given
  std::string media_type;           // recorded when the index has none yet
};

enum class PutOutcome { written, already_stored };

// What put_file does with its file.
enum class FileHandoff {
  copy, // the file stays where it is, untouched
  move, // the file is renamed into the cache (same file system)
};

struct PutResult {
  BlobRecord blob;
  PutOutcome outcome = PutOutcome::written;
};

// `begin_blob`'s answer: the blob is already stored (and now leased), or here is the
// writer that must fill it.
using BlobSlot = std::variant<BlobRecord, BlobWriter>;

struct CacheState;

class Cache {
public:
  // Opens the cache in directory `root` (created 0700 with its subdirectories when
  // missing; see location.h for choosing it), migrating its index, and sweeps what dead
  // writers left. Fails with `conflict` when `root` belongs to another user, `io`,
  // `corrupt_input` (index.db is not a database) or `unsupported` (newer schema).
  static Result<Cache> open(const std::string& root, CacheOptions options = {});

  Cache(Cache&&) noexcept;
  Cache& operator=(Cache&&) noexcept;
  ~Cache(); // releases the leases this Cache holds (never those of the process's others)

  const Layout& layout() const;
  Index& index();
  // The current time (Unix seconds) by the configured clock.
  std::int64_t now() const;
  // This Cache as a lease holder: its process plus a number of its own (see holder.h).
  const std::string& holder() const;
  const CacheOptions& options() const;

  // ---- blobs ----

  // Reserves `digest`: returns its record when already stored, else a writer. May wait
  // for another process writing the same blob (see CacheOptions::on_wait), and reuses
  // its result. Blobs are leased to this process either way. Do not call it while this
  // thread holds an unfinished writer: two processes doing that in opposite orders
  // would wait for each other until the lock timeout.
  Result<BlobSlot> begin_blob(const Digest& digest, const BlobInfo& info);
  // begin_blob, then streams `source` into the writer (not reading it at all when the
  // blob is already stored) and commits. Fails with `corrupt_input` when the bytes do not
  // match `digest` or `info.size`, and with the source's own errors.
  Result<PutResult> put(const Digest& digest, const ByteSource& source, const BlobInfo& info);
  // Stores the file `path` under the digest of its content (read once to hash, once to
  // copy). For results whose digest is not known in advance, such as conversions.
  // With FileHandoff::move, `path` must be in this cache's tmp/ (a work directory) and
  // becomes the blob by a rename instead (read once, to hash); it is left in place when
  // the blob was already stored.
  Result<PutResult> put_file(const std::string& path, const std::string& media_type,
                             FileHandoff handoff = FileHandoff::copy);
  // The record of `digest` if stored (its file present), leased and marked used now.
  Result<std::optional<BlobRecord>> find_blob(const Digest& digest);
  // Opens the stored blob `digest` for reading (leased, marked used); `not_found`.
  Result<File> open_blob(const Digest& digest);
  // Path of the stored blob `digest` (whether or not it exists).
  std::string blob_path(const Digest& digest) const;

  // ---- references, edges, conversions ----

  // Records that the stored blob `parent` (a manifest or index) needs `children`, so GC
  // keeps them while `parent` is kept. Leases the children. `not_found` without parent.
  Result<void> add_children(const Digest& parent, std::span<const Digest> children);
  // Points `key` at the stored manifest `manifest` (replacing an older target).
  // `not_found` when the manifest is not stored. Leases the manifest and what it needs.
  Result<RefRecord> set_ref(const RefKey& key, const Digest& manifest);
  // The manifest `key` points at, if any; leases it and what it needs.
  Result<std::optional<RefRecord>> find_ref(const RefKey& key);
  // Removes references named `name` (one platform when given); returns how many.
  Result<std::int64_t> remove_refs(const std::string& name,
                                   const std::optional<std::string>& platform);
  // Records that converting `source` with `options_key` gave the stored blob `result`.
  // `not_found` when either blob is not stored.
  Result<ConversionRecord> record_conversion(const Digest& source, const std::string& options_key,
                                             const Digest& result);
  // The finished conversion of `source` with `options_key` whose result is still
  // stored; leases the result and the source's closure.
  Result<std::optional<ConversionRecord>> find_conversion(const Digest& source,
                                                          const std::string& options_key);

  // ---- leases ----

  // Drops every lease this Cache holds (the destructor does it too); other Caches of
  // the same process keep theirs.
  Result<std::int64_t> release_leases();
  // Leases `digest` to `holder` too (another process, named as holder.h names one, e.g.
  // process_holder(getppid())), for as long as this process's own leases last: gc and
  // clean keep it while that process runs. Hands a blob this process found or made to
  // the process that will use it, so it cannot vanish in between. Not released by this
  // process's destructor.
  Result<void> lease_to(const Digest& digest, const std::string& holder);

private:
  explicit Cache(std::unique_ptr<CacheState> state);

  std::unique_ptr<CacheState> m_state;
};

} // namespace sifkit::cache
