#include <common/file.h>
#include <registry/layout_select.h>
#include <registry/oci_dir_source.h>
#include <sif/oci_layout.h>

#include <cerrno>
#include <vector>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::registry {

Result<std::unique_ptr<OciDirSource>> OciDirSource::open(const std::string& dir,
                                                         const std::string& tag,
                                                         const std::optional<Digest>& digest,
                                                         std::string description) {
  SIFKIT_TRY_ASSIGN(auto layout, with_context(oci::OciLayout::open(dir), description));
  SIFKIT_TRY_ASSIGN(
      auto root, with_context(select_layout_entry(layout.index(), tag, digest, dir), description));
  return std::unique_ptr<OciDirSource>(
      new OciDirSource(dir, std::move(root), std::move(description)));
}

Result<FetchedManifest> OciDirSource::fetch_root() {
  return fetch_manifest(m_root);
}

Result<FetchedManifest> OciDirSource::fetch_manifest(const oci::Descriptor& descriptor) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(m_description)); };
  if (descriptor.size < 0 || descriptor.size > oci::k_max_manifest_size) {
    return context(Error(ErrorKind::corrupt_input, "manifest " + descriptor.digest.text() +
                                                       " has an unreasonable size " +
                                                       std::to_string(descriptor.size)));
  }
  auto file = oci::open_layout_blob(m_dir, descriptor.digest);
  if (!file) {
    return context(file.error());
  }
  auto size_read = file->size();
  if (!size_read) {
    return context(size_read.error());
  }
  std::int64_t size = *size_read;
  if (size != descriptor.size) {
    return context(Error(ErrorKind::corrupt_input, file->path() + " is " + std::to_string(size) +
                                                       " bytes, its descriptor says " +
                                                       std::to_string(descriptor.size)));
  }
  std::string bytes(static_cast<std::size_t>(size), '\0');
  if (auto r = file->pread_exact(std::as_writable_bytes(std::span(bytes)), 0); !r) {
    return context(r.error());
  }
  auto fetched = fetched_manifest(std::move(bytes), descriptor);
  return fetched ? std::move(fetched) : context(fetched.error());
}

Result<void> OciDirSource::fetch_blob(const oci::Descriptor& descriptor, cache::BlobWriter& writer,
                                      const BlobProgress& progress) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(m_description)); };
  auto file = oci::open_layout_blob(m_dir, descriptor.digest);
  if (!file) {
    return context(file.error());
  }
  auto size_read = file->size();
  if (!size_read) {
    return context(size_read.error());
  }
  std::int64_t size = *size_read;
  std::vector<std::byte> buffer(1 << 20);
  std::int64_t offset = writer.bytes_written();
  while (offset < size) {
    ssize_t got = ::pread(file->fd(), buffer.data(), buffer.size(), offset);
    if (got < 0) {
      if (errno == EINTR) {
        continue;
      }
      return context(fail_errno("read " + file->path(), errno).error());
    }
    if (got == 0) {
      break;
    }
    if (auto w = writer.write(std::span(buffer.data(), static_cast<std::size_t>(got))); !w) {
      return context(w.error());
    }
    offset += got;
    if (progress) {
      progress(offset);
    }
  }
  return {};
}

} // namespace sifkit::registry
