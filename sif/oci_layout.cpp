#include <common/file.h>
#include <common/in_root.h>
#include <sif/oci_layout.h>
#include <sif/oci_parse.h>

#include <memory>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace sifkit::oci {

namespace {

constexpr std::size_t k_max_layout_file = 4096;

// Reads `name` in the layout `dir` without following links, at most `max_bytes`.
Result<std::string> read_layout_file(const std::string& dir, const std::string& name,
                                     std::size_t max_bytes) {
  SIFKIT_TRY_ASSIGN(auto root, open_directory(dir));
  return read_file_below(root, name, max_bytes, Resolve::no_links);
}

Result<void> check_layout_file(const std::string& dir) {
  std::string path = dir + "/oci-layout";
  SIFKIT_TRY_ASSIGN(auto text, with_context(read_layout_file(dir, "oci-layout", k_max_layout_file),
                                            "not an OCI image layout"));
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorKind::corrupt_input, path + " is not a JSON object");
  }
  auto version = doc.find("imageLayoutVersion");
  if (version == doc.end() || !version->is_string()) {
    return fail(ErrorKind::corrupt_input, path + " has no imageLayoutVersion string");
  }
  if (version->get<std::string>() != "1.0.0") {
    return fail(ErrorKind::unsupported, path + ": image layout version " +
                                            version->get<std::string>() + " is not supported");
  }
  return {};
}

} // namespace

Result<File> open_layout_blob(const std::string& dir, const Digest& digest) {
  SIFKIT_TRY_ASSIGN(auto root, open_directory(dir));
  std::string relative =
      "blobs/" + std::string(to_string(digest.algorithm())) + "/" + std::string(digest.hex());
  auto file = open_below(root, relative, O_RDONLY | O_NONBLOCK | O_NOCTTY, Resolve::no_links);
  if (!file) {
    return std::unexpected(file.error());
  }
  struct stat st {};
  if (::fstat(file->fd(), &st) != 0) {
    return fail_errno("cannot stat " + file->path(), errno);
  }
  if (!S_ISREG(st.st_mode)) {
    return fail(ErrorKind::corrupt_input, file->path() + " is not a regular file");
  }
  return file;
}

Result<OciLayout> OciLayout::open(const std::string& dir) {
  SIFKIT_TRY(check_layout_file(dir));
  std::string index_path = dir + "/index.json";
  SIFKIT_TRY_ASSIGN(auto bytes, read_layout_file(dir, "index.json",
                                                 static_cast<std::size_t>(k_max_manifest_size)));
  SIFKIT_TRY_ASSIGN(auto index, with_context(parse_index(bytes), index_path));
  return OciLayout(dir, std::move(bytes), std::move(index));
}

Result<BlobStream> OciLayout::open_blob(const Digest& digest) const {
  if (digest.empty()) {
    return fail(ErrorKind::usage, "empty digest");
  }
  SIFKIT_TRY_ASSIGN(auto file, open_layout_blob(m_dir, digest));
  SIFKIT_TRY_ASSIGN(auto size, file.size());
  auto shared = std::make_shared<File>(std::move(file));
  ByteSource range = source_from_fd_range(shared->fd(), 0, size, shared->path());
  // The range reads through the descriptor; the lambda keeps the File (and so the
  // descriptor) alive as long as the stream.
  ByteSource source = [shared, range](std::span<std::byte> buf) { return range(buf); };
  return BlobStream{std::move(source), size};
}

} // namespace sifkit::oci
