#include <sif/oci_layout.h>

#include <common/file.h>
#include <sif/oci_parse.h>

#include <memory>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace sifkit::oci {

namespace {

constexpr std::size_t k_max_layout_file = 4096;

Result<void> check_layout_file(const std::string& dir) {
  std::string path = dir + "/oci-layout";
  auto text = read_file(path);
  if (!text) {
    return std::unexpected(std::move(text.error()).with_context("not an OCI image layout"));
  }
  if (text->size() > k_max_layout_file) {
    return fail(ErrorKind::corrupt_input, path + " is too large");
  }
  auto doc = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorKind::corrupt_input, path + " is not a JSON object");
  }
  auto version = doc.find("imageLayoutVersion");
  if (version == doc.end() || !version->is_string()) {
    return fail(ErrorKind::corrupt_input, path + " has no imageLayoutVersion string");
  }
  if (version->get<std::string>() != "1.0.0") {
    return fail(ErrorKind::unsupported,
                path + ": image layout version " + version->get<std::string>() +
                    " is not supported");
  }
  return {};
}

} // namespace

Result<OciLayout> OciLayout::open(const std::string& dir) {
  if (auto ok = check_layout_file(dir); !ok) {
    return std::unexpected(ok.error());
  }
  std::string index_path = dir + "/index.json";
  auto file = File::open(index_path, OpenMode::read_only);
  if (!file) {
    return std::unexpected(file.error());
  }
  auto size = file->size();
  if (!size) {
    return std::unexpected(size.error());
  }
  if (*size > k_max_manifest_size) {
    return fail(ErrorKind::corrupt_input, index_path + " is larger than " +
                                              std::to_string(k_max_manifest_size) + " bytes");
  }
  std::string bytes(static_cast<std::size_t>(*size), '\0');
  if (auto r = file->pread_exact(std::as_writable_bytes(std::span(bytes)), 0); !r) {
    return std::unexpected(r.error());
  }
  auto index = parse_index(bytes);
  if (!index) {
    return std::unexpected(std::move(index.error()).with_context(index_path));
  }
  return OciLayout(dir, std::move(bytes), std::move(*index));
}

Result<BlobStream> OciLayout::open_blob(const Digest& digest) const {
  if (digest.empty()) {
    return fail(ErrorKind::usage, "empty digest");
  }
  std::string path = m_dir + "/blobs/sha256/" + std::string(digest.hex());
  auto file = File::open(path, OpenMode::read_only);
  if (!file) {
    return std::unexpected(file.error());
  }
  struct stat st {};
  if (::fstat(file->fd(), &st) != 0) {
    return fail_errno("cannot stat " + path, errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::corrupt_input, path + " is not a regular file");
  }
  auto shared = std::make_shared<File>(std::move(*file));
  ByteSource range = source_from_fd_range(shared->fd(), 0, st.st_size, path);
  // The range reads through the descriptor; the lambda keeps the File (and so the
  // descriptor) alive as long as the stream.
  ByteSource source = [shared, range](std::span<std::byte> buf) { return range(buf); };
  return BlobStream{std::move(source), static_cast<std::int64_t>(st.st_size)};
}

} // namespace sifkit::oci
