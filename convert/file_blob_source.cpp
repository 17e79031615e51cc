#include "file_blob_source.h"

#include <system_error>

#include <sys/stat.h>

namespace sifkit::convert {

Result<oci::BlobStream> FileBlobSource::open_blob(const Digest& digest) const {
  auto found = m_paths.find(digest);
  if (found == m_paths.end()) {
    return fail(ErrorKind::not_found, "blob " + digest.text() + " was not written");
  }
  struct stat st {};
  if (::stat(found->second.c_str(), &st) != 0) {
    return fail_errno("stat " + found->second, errno);
  }
  SIFKIT_TRY_ASSIGN(auto source, source_from_path(found->second));
  return oci::BlobStream{std::move(source), static_cast<std::int64_t>(st.st_size)};
}

} // namespace sifkit::convert
