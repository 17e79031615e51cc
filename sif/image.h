#pragma once

#include <common/byte_source.h>
#include <common/error.h>
#include <common/file.h>
#include <sif/descriptor.h>
#include <sif/header.h>

#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

namespace sifkit::sif {

// How a new object is grouped: the library default is group 1.
struct ObjectInput {
  DataType type = DataType::generic;
  ByteSource data;                    // the object's bytes, read once while writing
  std::uint32_t group = 1;            // 0: no group
  Link link;                          // id 0: no link
  std::optional<std::int64_t> alignment; // default: 4096 for partitions, none otherwise
  std::string name;                   // at most 128 bytes
  std::optional<std::int64_t> time;   // descriptor times; default: the image operation's time
  Extra extra{};                      // type-specific metadata; OCI digests are computed
};

// The descriptor record an object input describes, before it is placed: type, group,
// link, times (`time` unless the input has its own), name and extra; slot fields zero.
Descriptor make_descriptor(const ObjectInput& object, std::int64_t time);

// Options of `Image::create`. Default: random UUID, current time, 48 descriptors at 4096.
struct CreateOptions {
  std::string launch_script;          // at most 31 bytes
  std::optional<Uuid> id;             // default: random
  std::optional<std::int64_t> time;   // default: now
  std::int64_t capacity = k_default_capacity;
  std::int64_t descriptors_offset = k_default_descriptors_offset;

  // Nil UUID and unset (zero-sentinel) times: byte-reproducible output.
  static CreateOptions deterministic();
};

// The time a mutation records; default: now, or unset for deterministic images.
struct ModifyOptions {
  std::optional<std::int64_t> time;
};

enum class Zero { no, yes };       // overwrite a deleted object's bytes with zeros
enum class Compact { no, yes };    // truncate trailing free space after deleting

struct DeleteOptions {
  Zero zero = Zero::no;
  Compact compact = Compact::no;
  std::optional<std::int64_t> time;
};

// An open SIF file: its header and descriptor table in memory, object data on disk.
// Opening reads only the header and the table; every offset and size is checked against
// the file first. Mutating operations need `OpenMode::read_write` and write the data
// before the descriptors and the header. Not thread-safe.
class Image {
public:
  // Opens and validates `path`: header fields, the table and every object's range
  // against the file. A read-write open also requires IDs equal to slot+1 and a correct
  // free count, which adding objects relies on. Fails with `corrupt_input` (naming the
  // problem and the descriptor), `unsupported`, `not_found` or `io`.
  static Result<Image> open(const std::string& path, OpenMode mode = OpenMode::read_only);

  // Creates a new SIF at `path` holding `objects` in order (IDs 1..n). The file is built
  // under a temporary name and renamed into place only when complete. Fails with `usage`
  // (bad option), `capacity`, `conflict` (two primary partitions) or `io`.
  static Result<Image> create(const std::string& path, const CreateOptions& options,
                              std::vector<ObjectInput> objects = {});

  const std::string& path() const { return m_file.path(); }
  const Header& header() const { return m_header; }
  std::int64_t file_size() const { return m_file_size; }
  // Every slot of the table, used or not, in slot order.
  const std::vector<Descriptor>& slots() const { return m_slots; }
  // The used descriptors, in slot (= ID) order.
  std::vector<const Descriptor*> descriptors() const;
  // The used descriptor with `id`; `not_found` when none.
  Result<const Descriptor*> find(std::uint32_t id) const;
  // The used descriptors for which `pred` is true.
  std::vector<const Descriptor*>
  select(const std::function<bool(const Descriptor&)>& pred) const;
  // The file descriptor, for streaming object data (valid while the Image lives).
  int fd() const { return m_file.fd(); }

  // Reads the whole object `d` into memory; `usage` when larger than `max_bytes`.
  Result<std::string> read_object(const Descriptor& d,
                                  std::int64_t max_bytes = 64 * 1024 * 1024) const;
  // A stream over the object's bytes.
  ByteSource object_source(const Descriptor& d) const;

  // Adds `object` in the first free slot, placed after the last object (spec §8).
  // Returns the new object's ID.
  Result<std::uint32_t> add_object(ObjectInput object, const ModifyOptions& options = {});
  // Deletes the object with `id` (spec §9); `not_found` when there is none.
  Result<void> delete_object(std::uint32_t id, const DeleteOptions& options = {});
  // Deletes every object for which `pred` is true; `not_found` when none matches.
  Result<void> delete_objects(const std::function<bool(const Descriptor&)>& pred,
                              const DeleteOptions& options = {});
  // Makes the System partition `id` the primary one, demoting any other (spec §10).
  Result<void> set_primary_partition(std::uint32_t id, const ModifyOptions& options = {});
  // Replaces the extra area of object `id` with `metadata` (≤ 384 bytes, zero-filled).
  Result<void> set_metadata(std::uint32_t id, std::span<const std::byte> metadata,
                            const ModifyOptions& options = {});
  // Stores `digest` (sha256:<hex>) as the digest of OCI object `id`.
  Result<void> set_oci_blob_digest(std::uint32_t id, std::string_view digest,
                                   const ModifyOptions& options = {});

  // Writes the in-memory header and the whole descriptor table back to the file.
  Result<void> write_metadata();
  // Flushes the file to stable storage.
  Result<void> sync() { return m_file.sync(); }

private:
  Image(File file, Header header, std::vector<Descriptor> slots, std::int64_t file_size);

  Result<void> require_writable() const;
  std::int64_t operation_time(const std::optional<std::int64_t>& explicit_time) const;
  // End of the last used object (max offset+size), or the data offset when none.
  std::int64_t data_end() const;
  Result<void> write_object(std::size_t slot, ObjectInput& object, std::int64_t time);
  Result<void> write_slot(std::size_t slot);
  Result<void> write_header();
  Descriptor* find_mutable(std::uint32_t id);

  File m_file;
  OpenMode m_mode = OpenMode::read_only;
  Header m_header;
  std::vector<Descriptor> m_slots;
  std::int64_t m_file_size = 0;
};

} // namespace sifkit::sif
