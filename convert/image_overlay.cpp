#include "image_overlay.h"

#include <common/atomic_file.h>
#include <common/file.h>
#include <common/program.h>
#include <common/sha256.h>
#include <convert/copy_out.h>
#include <convert/file_blob_source.h>
#include <convert/oci_rewrite.h>
#include <sif/image.h>
#include <sif/oci_index_edit.h>
#include <sif/oci_json.h>
#include <sif/oci_select.h>
#include <sif/oci_sif.h>
#include <sif/oci_update.h>

#include <array>
#include <cerrno>
#include <cstdlib>
#include <filesystem>

#include <fcntl.h>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <unistd.h>

namespace sifkit::convert {

namespace {

using Json = nlohmann::ordered_json;

// The image as it is before the overlay is added.
struct OverlaidImage {
  oci::Index root;
  oci::ResolvedImage image;
};

Result<OverlaidImage> read_source(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto sif, sif::Image::open(path));
  if (!oci::is_oci_sif(sif)) {
    return fail(ErrorKind::unsupported, path + " is a SIF without an OCI image (not an "
                                               "OCI-SIF); sif-overlay adds overlays to OCI-SIFs");
  }
  if (!sif.select([](const sif::Descriptor& d) {
            return d.data_type == static_cast<std::int32_t>(sif::DataType::signature);
          })
           .empty()) {
    return fail(ErrorKind::unsupported, path + " is signed: adding an overlay would invalidate "
                                               "its signatures");
  }
  SIFKIT_TRY_ASSIGN(auto oci_sif, oci::OciSif::open(sif));
  const auto& entries = oci_sif.root_index().manifests;
  if (entries.size() != 1 || !oci::is_image_media_type(entries.front().media_type)) {
    return fail(ErrorKind::unsupported,
                fmt::format("{} holds {} root index entries; an overlay can only be added to "
                            "an OCI-SIF holding one image",
                            path, entries.size()));
  }
  SIFKIT_TRY_ASSIGN(auto image, oci::resolve_image(oci_sif, entries.front()));
  const auto& layers = image.manifest.layers;
  if (!layers.empty() && layers.back().media_type == oci::k_media_ext3_layer) {
    return fail(ErrorKind::conflict, path + " has an ext3 overlay already (its last layer " +
                                         layers.back().digest.text() + ")");
  }
  return OverlaidImage{oci_sif.root_index(), std::move(image)};
}

// A scratch file next to `near`, removed when this object goes.
class OverlayScratchFile {
public:
  static Result<OverlayScratchFile> create(const std::string& near) {
    std::filesystem::path p(near);
    std::string pattern = (p.parent_path() / ("." + p.filename().string() + ".ext3.XXXXXX"));
    int fd = ::mkstemp(pattern.data());
    if (fd < 0) {
      return fail_errno("creating a scratch file next to " + near, errno);
    }
    ::fchmod(fd, 0600);
    return OverlayScratchFile(File::adopt(fd, pattern));
  }
  OverlayScratchFile(OverlayScratchFile&& other) noexcept = default;
  ~OverlayScratchFile() {
    if (m_file.is_open()) {
      ::unlink(m_file.path().c_str());
    }
  }
  File& file() { return m_file; }
  const std::string& path() const { return m_file.path(); }

private:
  explicit OverlayScratchFile(File file) : m_file(std::move(file)) {}
  File m_file;
};

// A directory tree in $TMPDIR, removed when this object goes.
class ScratchDir {
public:
  static Result<ScratchDir> create() {
    const char* tmp = std::getenv("TMPDIR");
    std::string pattern =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/sif-overlay.XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) {
      return fail_errno("creating a scratch directory", errno);
    }
    return ScratchDir(pattern);
  }
  ScratchDir(ScratchDir&& other) noexcept : m_path(std::exchange(other.m_path, {})) {}
  ~ScratchDir() {
    if (!m_path.empty()) {
      std::error_code ec;
      std::filesystem::remove_all(m_path, ec);
    }
  }
  const std::string& path() const { return m_path; }

private:
  explicit ScratchDir(std::string path) : m_path(std::move(path)) {}
  std::string m_path;
};

// upper/ and work/ (and `dirs` under upper/) in `root`, as SingularityCE lays them out.
Result<void> populate(const std::string& root, const std::vector<std::string>& dirs) {
  // Owners above 65535 are not mapped in every user namespace: let anyone write then.
  auto perms = ::getuid() > 65535 || ::getgid() > 65535 ? std::filesystem::perms::all
                                                        : std::filesystem::perms(0755);
  std::vector<std::string> all = {"upper", "work"};
  for (const auto& dir : dirs) {
    auto relative = std::filesystem::path(dir).lexically_normal().relative_path();
    if (!std::filesystem::path(dir).is_absolute() || relative.empty() ||
        *relative.begin() == "..") {
      return fail(ErrorKind::usage,
                  "--create-dir " + dir + ": not an absolute path inside the container");
    }
    all.push_back("upper/" + relative.string());
  }
  for (const auto& dir : all) {
    std::error_code ec;
    std::filesystem::path path = std::filesystem::path(root) / dir;
    std::filesystem::create_directories(path, ec);
    for (auto p = path; !ec && p != std::filesystem::path(root); p = p.parent_path()) {
      std::filesystem::permissions(p, perms, ec);
    }
    if (ec) {
      return fail(ErrorKind::io, "creating " + path.string() + ": " + ec.message());
    }
  }
  return {};
}

// Sizes `file` to `size_mb` MiB (allocated unless sparse) and makes an ext3 file system in
// it holding `content`.
Result<void> make_ext3(OverlayScratchFile& file, const std::string& content,
                       const OverlayCreateOptions& options) {
  std::int64_t bytes = options.size_mb * 1024 * 1024;
  if (options.sparse) {
    SIFKIT_TRY(file.file().truncate(bytes));
  } else if (int rc = ::posix_fallocate(file.file().fd(), 0, bytes); rc != 0) {
    return fail_errno(fmt::format("allocating {} MiB for the overlay", options.size_mb), rc);
  }
  auto mkfs = find_program("mkfs.ext3");
  if (!mkfs) {
    return fail(ErrorKind::unsupported,
                "mkfs.ext3 is not on PATH (nor in /sbin, /usr/sbin): install Debian's e2fsprogs");
  }
  std::string owner = fmt::format("root_owner={}:{}", ::getuid(), ::getgid());
  return run_program({*mkfs, "-F", "-q", "-E", owner, "-d", content, file.path()});
}

// The ext2/3/4 superblock magic 0xEF53 at byte 1080.
bool is_ext_file_system(const File& file) {
  std::array<std::byte, 2> magic{};
  return file.pread_exact(magic, 1080) && magic[0] == std::byte{0x53} &&
         magic[1] == std::byte{0xEF};
}

Result<Digest> digest_of(const File& file, std::int64_t size) {
  Sha256 hash;
  std::vector<std::byte> buffer(1 << 20);
  for (std::int64_t at = 0; at < size;) {
    auto chunk = std::min<std::int64_t>(size - at, std::ssize(buffer));
    std::span<std::byte> piece(buffer.data(), static_cast<std::size_t>(chunk));
    SIFKIT_TRY(file.pread_exact(piece, at));
    hash.update(piece);
    at += chunk;
  }
  return Digest::from_hex(hash.hex_digest());
}

// The config with the overlay's diff ID and a history entry added; every other field kept.
Result<std::string> config_with_layer(const std::string& config, const Digest& layer,
                                      std::int64_t size_mb) {
  Json doc = Json::parse(config, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object()) {
    return fail(ErrorKind::corrupt_input, "the image config is not a JSON object");
  }
  Json& rootfs = doc["rootfs"];
  if (!rootfs.is_object()) {
    rootfs = Json{{"type", "layers"}};
  }
  if (!rootfs["diff_ids"].is_array()) {
    rootfs["diff_ids"] = Json::array();
  }
  rootfs["diff_ids"].push_back(layer.text());
  if (!doc["history"].is_array()) {
    doc["history"] = Json::array();
  }
  // No time: the same overlay added to the same image gives the same config.
  doc["history"].push_back(
      Json{{"created_by", fmt::format("sif-overlay create --size {}", size_mb)},
           {"comment", "writable ext3 overlay"}});
  return doc.dump(-1, ' ', false, Json::error_handler_t::replace);
}

// The blobs of the updated image and its new root index.
struct Update {
  oci::MemoryBlobSource memory;
  FileBlobSource files;
  std::string root_index;
  Digest manifest;
};

Result<void> build_update(const OverlaidImage& source, const Digest& layer, std::int64_t size,
                          const std::string& layer_path, std::int64_t size_mb, Update& update) {
  SIFKIT_TRY_ASSIGN(auto config, config_with_layer(source.image.config_bytes, layer, size_mb));
  oci::Manifest manifest = source.image.manifest;
  manifest.config.size = static_cast<std::int64_t>(config.size());
  manifest.config.digest = update.memory.add(std::move(config));
  oci::Descriptor descriptor;
  descriptor.media_type = std::string(oci::k_media_ext3_layer);
  descriptor.size = size;
  descriptor.digest = layer;
  manifest.layers.push_back(descriptor);
  update.files.add(layer, layer_path);

  std::string manifest_bytes = serialize_manifest(manifest);
  SIFKIT_TRY_ASSIGN(auto entry, oci::describe_manifest(manifest_bytes));
  update.manifest = update.memory.add(std::move(manifest_bytes));
  // The entry keeps what the old one said about the image (platform, ref.name).
  oci::Index index = source.root;
  entry.platform = index.manifests.front().platform;
  entry.annotations = index.manifests.front().annotations;
  index.manifests.front() = entry;
  update.root_index = oci::serialize_index(index);
  return {};
}

// Copies `path` next to itself, applies `update` to the copy and renames it over `path`.
Result<std::string> update_in_copy(const std::string& path, const Update& update) {
  SIFKIT_TRY_ASSIGN(auto original, File::open(path, OpenMode::read_only));
  struct stat st {};
  if (::fstat(original.fd(), &st) != 0) {
    return fail_errno(path, errno);
  }
  SIFKIT_TRY_ASSIGN(auto copy, AtomicFile::create(path));
  SIFKIT_TRY_ASSIGN(auto copied, copy_file_contents(original, copy.file(),
                                                    static_cast<std::int64_t>(st.st_size)));
  ::fchmod(copy.file().fd(), st.st_mode & 07777);
  {
    SIFKIT_TRY_ASSIGN(auto sif, sif::Image::open(copy.temp_path(), OpenMode::read_write));
    oci::ChainBlobSource blobs({&update.memory, &update.files});
    SIFKIT_TRY(oci::update_root_index(sif, update.root_index, blobs));
  }
  SIFKIT_TRY(copy.commit(Durability::synced));
  return copied.method == CopyMethod::clone ? "clone" : "copy";
}

} // namespace

Result<OverlayCreateResult> add_image_overlay(const std::string& image,
                                              const OverlayCreateOptions& options) {
  if (options.size_mb < k_min_overlay_size_mb) {
    return fail(ErrorKind::usage, fmt::format("--size {}: an overlay must be at least {} MiB",
                                              options.size_mb, k_min_overlay_size_mb));
  }
  SIFKIT_TRY_ASSIGN(auto path, real_path(image));
  SIFKIT_TRY_ASSIGN(auto source, with_context(read_source(path), "reading " + image));
  SIFKIT_TRY_ASSIGN(auto content, ScratchDir::create());
  SIFKIT_TRY(populate(content.path(), options.create_dirs));
  SIFKIT_TRY_ASSIGN(auto scratch, OverlayScratchFile::create(path));
  SIFKIT_TRY(with_context(make_ext3(scratch, content.path(), options), "making the ext3 overlay"));
  SIFKIT_TRY_ASSIGN(auto size, scratch.file().size());
  if (!is_ext_file_system(scratch.file())) {
    return fail(ErrorKind::io, "mkfs.ext3 did not make an ext3 file system in " + scratch.path());
  }
  SIFKIT_TRY_ASSIGN(auto digest, digest_of(scratch.file(), size));
  Update update;
  SIFKIT_TRY(
      with_context(build_update(source, digest, size, scratch.path(), options.size_mb, update),
                   "updating " + image));
  SIFKIT_TRY_ASSIGN(auto method, with_context(update_in_copy(path, update), "updating " + image));
  return OverlayCreateResult{
      path, digest, size, std::string(oci::k_media_ext3_layer), update.manifest, method};
}

} // namespace sifkit::convert
