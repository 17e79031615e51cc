#pragma once

// Reading tar archives (plain or compressed; libarchive detects which) entry by entry,
// for the oci-archive: and docker-archive: transports. Entry names are normalised
// ("./a//b" → "a/b") and checked: an absolute name or one with a ".." component is
// `corrupt_input`, whatever the caller wants from the archive. One ArchiveReader reads
// the archive once, front to back; memory does not depend on entry sizes.
#include <cache/blob_writer.h>
#include <common/error.h>
#include <registry/image_source.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace sifkit::registry {

enum class EntryType { regular, directory, symlink, hardlink, other };

struct ArchiveEntry {
  std::string name; // normalised
  EntryType type = EntryType::other;
  std::int64_t size = 0;
  std::string link_target; // symlinks and hard links, as stored
};

class ArchiveReader {
public:
  // Opens `path` for one pass; `not_found`/`io` when it cannot be read.
  static Result<ArchiveReader> open(const std::string& path);
  ArchiveReader(ArchiveReader&&) noexcept;
  ArchiveReader& operator=(ArchiveReader&&) noexcept;
  ~ArchiveReader();

  // The next entry's header (its data is skipped unless read); nullopt at the end.
  // `corrupt_input` for a damaged archive or an unsafe name.
  Result<std::optional<ArchiveEntry>> next();
  // Reads the current entry's data into `buffer`; 0 at its end.
  Result<std::size_t> read(std::span<std::byte> buffer);

private:
  struct State;
  explicit ArchiveReader(std::unique_ptr<State> state);
  std::unique_ptr<State> m_state;
};

// Normalises the archive entry name `name`: drops "./" and empty components;
// `corrupt_input` naming `archive` when it is absolute, empty, or climbs with "..".
Result<std::string> normalize_entry_name(std::string_view name, const std::string& archive);

// Streams the data of the regular entry `name` of `archive` to `sink` in chunks, reading
// the archive from its start. `not_found` when no such entry; the sink's errors.
Result<void> stream_entry(const std::string& archive, const std::string& name,
                          const std::function<Result<void>(std::span<const std::byte>)>& sink);

// Streams the entry `name` into `writer`, skipping the `writer.bytes_written()` bytes it
// already holds (a resumed fetch), and reports the bytes read to `progress`. Does not
// commit. Errors as stream_entry, plus the writer's.
Result<void> stream_entry_to_blob(const std::string& archive, const std::string& name,
                                  cache::BlobWriter& writer, const BlobProgress& progress);

// The data of the regular entry `name`, refused (`corrupt_input`) above `max_bytes`.
Result<std::string> read_entry(const std::string& archive, const std::string& name,
                               std::int64_t max_bytes);

} // namespace sifkit::registry
