#include "convert/image_builder.h"

#include <common/sha256.h>
#include <convert/tar_reader.h>

#include <filesystem>
#include <fstream>

#include "support/fixtures.h"
#include <archive.h>
#include <archive_entry.h>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <libdeflate.h>
#include <nlohmann/json.hpp>

namespace sifkit::test {

namespace {

la_ssize_t append_to_string(struct archive*, void* client, const void* buffer, size_t length) {
  static_cast<std::string*>(client)->append(static_cast<const char*>(buffer), length);
  return static_cast<la_ssize_t>(length);
}

mode_t archive_type(TarKind kind) {
  switch (kind) {
  case TarKind::file:
  case TarKind::hardlink:
    return AE_IFREG;
  case TarKind::directory:
    return AE_IFDIR;
  case TarKind::symlink:
    return AE_IFLNK;
  case TarKind::char_device:
    return AE_IFCHR;
  case TarKind::block_device:
    return AE_IFBLK;
  case TarKind::fifo:
    return AE_IFIFO;
  }
  return AE_IFREG;
}

std::string blob_path(const std::string& dir, const std::string& hex) {
  return dir + "/blobs/sha256/" + hex;
}

// Stores `bytes` as a blob of the layout in `dir` and returns its descriptor.
nlohmann::json add_blob(const std::string& dir, const std::string& bytes,
                        const std::string& media_type) {
  std::string hex = sha256_hex(bytes);
  write_bytes(blob_path(dir, hex), bytes);
  return {{"mediaType", media_type},
          {"digest", "sha256:" + hex},
          {"size", static_cast<std::int64_t>(bytes.size())}};
}

} // namespace

TarEntry tar_file(std::string path, std::string content, std::uint32_t mode) {
  TarEntry e;
  e.path = std::move(path);
  e.content = std::move(content);
  e.mode = mode;
  return e;
}

TarEntry tar_dir(std::string path, std::uint32_t mode) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarKind::directory;
  e.mode = mode;
  return e;
}

TarEntry tar_symlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarKind::symlink;
  e.mode = 0777;
  e.link_target = std::move(target);
  return e;
}

TarEntry tar_hardlink(std::string path, std::string target) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarKind::hardlink;
  e.link_target = std::move(target);
  return e;
}

TarEntry tar_device(std::string path, TarKind kind, std::uint32_t major, std::uint32_t minor) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = kind;
  e.mode = 0600;
  e.rdev_major = major;
  e.rdev_minor = minor;
  return e;
}

TarEntry tar_fifo(std::string path) {
  TarEntry e;
  e.path = std::move(path);
  e.kind = TarKind::fifo;
  e.mode = 0600;
  return e;
}

TarEntry tar_whiteout(const std::string& dir, const std::string& name) {
  return tar_file(dir.empty() ? ".wh." + name : dir + "/.wh." + name, "");
}

TarEntry tar_opaque(const std::string& dir) {
  return tar_file(dir + "/.wh..wh..opq", "");
}

std::string build_tar(const Layer& entries) {
  std::string out;
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  archive_write_set_bytes_in_last_block(a, 1);
  REQUIRE(archive_write_open(a, &out, nullptr, append_to_string, nullptr) == ARCHIVE_OK);
  for (const auto& e : entries) {
    struct archive_entry* entry = archive_entry_new();
    archive_entry_set_pathname(entry, e.path.c_str());
    archive_entry_set_filetype(entry, archive_type(e.kind));
    archive_entry_set_perm(entry, e.mode);
    archive_entry_set_uid(entry, e.uid);
    archive_entry_set_gid(entry, e.gid);
    archive_entry_set_mtime(entry, e.mtime, 0);
    if (e.kind == TarKind::file) {
      archive_entry_set_size(entry, static_cast<la_int64_t>(e.content.size()));
    } else {
      archive_entry_set_size(entry, 0);
    }
    if (e.kind == TarKind::symlink)
      archive_entry_set_symlink(entry, e.link_target.c_str());
    if (e.kind == TarKind::hardlink)
      archive_entry_set_hardlink(entry, e.link_target.c_str());
    if (e.kind == TarKind::char_device || e.kind == TarKind::block_device) {
      archive_entry_set_rdevmajor(entry, e.rdev_major);
      archive_entry_set_rdevminor(entry, e.rdev_minor);
    }
    for (const auto& [offset, length] : e.sparse_data) {
      archive_entry_sparse_add_entry(entry, offset, length);
    }
    for (const auto& [name, value] : e.xattrs) {
      archive_entry_xattr_add_entry(entry, name.c_str(), value.data(), value.size());
    }
    REQUIRE(archive_write_header(a, entry) == ARCHIVE_OK);
    if (e.kind == TarKind::file && !e.content.empty()) {
      REQUIRE(archive_write_data(a, e.content.data(), e.content.size()) ==
              static_cast<la_ssize_t>(e.content.size()));
    }
    archive_entry_free(entry);
  }
  REQUIRE(archive_write_close(a) == ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

std::string gzip(const std::string& bytes) {
  struct libdeflate_compressor* c = libdeflate_alloc_compressor(6);
  REQUIRE(c != nullptr);
  std::string out(libdeflate_gzip_compress_bound(c, bytes.size()), '\0');
  std::size_t n = libdeflate_gzip_compress(c, bytes.data(), bytes.size(), out.data(), out.size());
  libdeflate_free_compressor(c);
  REQUIRE(n > 0);
  out.resize(n);
  return out;
}

std::string raw_tar_header(const std::string& name, std::int64_t size) {
  std::string h(512, '\0');
  auto put = [&](std::size_t offset, const std::string& text) {
    h.replace(offset, text.size(), text);
  };
  put(0, name.substr(0, 100));
  put(100, "0000644");
  put(108, "0000000");
  put(116, "0000000");
  // Base-256 size: first byte 0x80, the value big-endian in the remaining 11 bytes.
  h[124] = static_cast<char>(0x80);
  for (int i = 0; i < 8; ++i) {
    h[135 - i] = static_cast<char>((static_cast<std::uint64_t>(size) >> (8 * i)) & 0xff);
  }
  put(136, "14544000000");
  h[156] = '0';
  put(257, "ustar");
  put(263, "00");
  put(148, "        ");
  unsigned sum = 0;
  for (char c : h)
    sum += static_cast<unsigned char>(c);
  put(148, fmt::format("{:06o}", sum));
  h[154] = '\0';
  h[155] = ' ';
  return h;
}

void write_bytes(const std::string& path, const std::string& bytes) {
  std::filesystem::create_directories(std::filesystem::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  out.close();
  if (!out) {
    FAIL("cannot write " << path);
  }
}

std::vector<std::string> write_tars(const TempDir& tmp, const std::vector<Layer>& layers) {
  std::vector<std::string> paths;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    paths.push_back(tmp.file(fmt::format("layer{}.tar", i + 1)));
    write_bytes(paths.back(), build_tar(layers[i]));
  }
  return paths;
}

OciImage write_oci_image(const std::string& dir, const std::vector<Layer>& layers,
                         const std::string& tag, const std::string& runtime_config) {
  OciImage image{dir, tag, {}};
  write_bytes(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  nlohmann::json diff_ids = nlohmann::json::array();
  nlohmann::json layer_descriptors = nlohmann::json::array();
  for (const auto& layer : layers) {
    std::string tar = build_tar(layer);
    diff_ids.push_back("sha256:" + sha256_hex(tar));
    nlohmann::json d = add_blob(dir, gzip(tar), "application/vnd.oci.image.layer.v1.tar+gzip");
    image.layer_blobs.push_back(blob_path(dir, d["digest"].get<std::string>().substr(7)));
    layer_descriptors.push_back(d);
  }
  nlohmann::json config = {{"architecture", "amd64"},
                           {"os", "linux"},
                           {"config", nlohmann::json::parse(runtime_config)},
                           {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}}};
  nlohmann::json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", add_blob(dir, config.dump(), "application/vnd.oci.image.config.v1+json")},
      {"layers", layer_descriptors}};
  nlohmann::json m = add_blob(dir, manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
  m["annotations"] = {{"org.opencontainers.image.ref.name", tag}};
  nlohmann::json index = {{"schemaVersion", 2}, {"manifests", nlohmann::json::array({m})}};
  write_bytes(dir + "/index.json", index.dump());
  return image;
}

std::vector<convert::LayerInput> tar_layer_inputs(const std::vector<std::string>& paths) {
  std::vector<convert::LayerInput> inputs;
  for (std::size_t i = 0; i < paths.size(); ++i) {
    std::string path = paths[i];
    inputs.push_back(convert::LayerInput{
        fmt::format("layer {} ({})", i + 1, std::filesystem::path(path).filename().string()),
        [path] { return convert::open_tar_file(path); }, convert::Whiteouts::interpret});
  }
  return inputs;
}

convert::SquashStats squash_files(const std::vector<std::string>& blobs, const std::string& out,
                                  const convert::SquashOptions& options) {
  auto inputs = tar_layer_inputs(blobs);
  auto stats = convert::squash_layers(inputs, out, options);
  if (!stats) {
    FAIL("squash_layers failed: " << stats.error().what());
  }
  return *stats;
}

void umoci_unpack(const OciImage& image, const std::string& bundle) {
  CommandResult r =
      run_command(fmt::format("umoci unpack --image '{}:{}' '{}'", image.dir, image.tag, bundle));
  INFO("umoci stderr: " << r.err);
  REQUIRE(r.exit_code == 0);
}

} // namespace sifkit::test
