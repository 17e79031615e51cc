#include <sif/oci_index_edit.h>
#include <sif/oci_parse.h>
#include <sif/oci_write.h>

#include <memory>

namespace sifkit::oci {

namespace {

// Opens the blob on the first read, so that writing an image with many layers keeps one
// blob open at a time.
ByteSource lazy_verified_blob(const BlobSource& blobs, Descriptor d) {
  auto opened = std::make_shared<ByteSource>();
  return [&blobs, d = std::move(d), opened](std::span<std::byte> buf) -> Result<std::size_t> {
    if (!*opened) {
      SIFKIT_TRY_ASSIGN(auto blob,
                        with_context(blobs.open_blob(d.digest), "opening blob " + d.digest.text()));
      *opened = verified_source(std::move(blob.source), d.digest, d.size, "blob");
    }
    return (*opened)(buf);
  };
}

sif::ObjectInput oci_object(sif::DataType type, ByteSource data) {
  sif::ObjectInput object;
  object.type = type;
  object.data = std::move(data);
  object.group = 1;
  object.alignment = 0;
  return object;
}

} // namespace

Result<std::string> read_manifest_blob(const BlobSource& blobs, const Descriptor& d) {
  return read_verified_blob(blobs, d.digest, d.size);
}

sif::ObjectInput blob_object(const WalkEntry& entry, const BlobSource& blobs) {
  if (entry.bytes) {
    return oci_object(sif::DataType::oci_blob, source_from_string(*entry.bytes));
  }
  return oci_object(sif::DataType::oci_blob, lazy_verified_blob(blobs, entry.descriptor));
}

sif::ObjectInput root_index_object(std::string bytes) {
  return oci_object(sif::DataType::oci_root_index, source_from_string(std::move(bytes)));
}

Result<void> write_oci_sif(const std::string& path, std::string_view root_index,
                           const BlobSource& blobs, const WriteOptions& options) {
  auto in_path = [&](Error e) { return std::unexpected(std::move(e).with_context(path)); };
  if (options.spare_descriptors < 0) {
    return in_path(Error(ErrorKind::usage, "negative number of spare descriptors"));
  }
  auto index = parse_index(root_index);
  if (!index) {
    return in_path(std::move(index.error()).with_context("root index"));
  }
  ManifestReader read = [&blobs](const Descriptor& d) { return read_manifest_blob(blobs, d); };
  auto entries = walk_index(*index, read, UnknownMediaType::as_blob);
  if (!entries) {
    return in_path(entries.error());
  }

  std::vector<sif::ObjectInput> objects;
  objects.reserve(entries->size() + 1);
  for (const WalkEntry& entry : *entries) {
    objects.push_back(blob_object(entry, blobs));
  }
  objects.push_back(root_index_object(std::string(root_index)));

  sif::CreateOptions create = sif::CreateOptions::deterministic();
  create.capacity = static_cast<std::int64_t>(objects.size()) + options.spare_descriptors;
  SIFKIT_TRY(sif::Image::create(path, create, std::move(objects)));
  return {};
}

Result<void> write_oci_sif_around(const std::string& path, const Digest& digest,
                                  const BlobSource& blobs, const WriteOptions& options) {
  SIFKIT_TRY_ASSIGN(auto d, with_context(describe_blob(blobs, digest), path));
  return write_oci_sif(path, new_index_around(d), blobs, options);
}

} // namespace sifkit::oci
