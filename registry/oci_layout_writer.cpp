#include <common/atomic_file.h>
#include <common/file.h>
#include <registry/oci_layout_writer.h>
#include <sif/oci_json.h>
#include <sif/oci_layout.h>

#include <cerrno>
#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>
#include <sys/stat.h>

namespace sifkit::registry {

namespace {

Result<void> make_directory(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) {
    return fail_errno("mkdir " + path, errno);
  }
  return {};
}

// Copies blob `digest` of `size` bytes from the cache to `dir/blobs/sha256/<hex>`.
Result<void> copy_blob(cache::Cache& cache, const Digest& digest, std::int64_t size,
                       const std::string& dir) {
  std::string path =
      dir + "/blobs/" + std::string(to_string(digest.algorithm())) + "/" + digest.hex();
  struct stat st {};
  if (::lstat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode) && st.st_size == size) {
    return {}; // content-addressed: a file of the right size under this name is this blob
  }
  SIFKIT_TRY_ASSIGN(auto in, cache.open_blob(digest));
  SIFKIT_TRY_ASSIGN(auto out, AtomicFile::create(path));
  std::vector<std::byte> buffer(1 << 20);
  for (std::int64_t offset = 0; offset < size;) {
    std::size_t n = static_cast<std::size_t>(
        std::min<std::int64_t>(size - offset, static_cast<std::int64_t>(buffer.size())));
    std::span<std::byte> chunk(buffer.data(), n);
    SIFKIT_TRY(in.pread_exact(chunk, offset));
    SIFKIT_TRY(out.file().pwrite_all(chunk, offset));
    offset += static_cast<std::int64_t>(n);
  }
  return out.commit();
}

std::string oci_media_type(const std::string& docker) {
  if (docker == oci::k_media_docker_config) {
    return std::string(oci::k_media_oci_config);
  }
  if (docker == oci::k_media_docker_layer) {
    return std::string(oci::k_media_oci_layer_gzip);
  }
  if (docker == "application/vnd.docker.image.rootfs.diff.tar") {
    return std::string(oci::k_media_oci_layer);
  }
  if (docker == "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip") {
    return "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip";
  }
  return docker;
}

// The OCI manifest equivalent to the Docker v2 manifest of `pulled`.
std::string oci_manifest(const PullResult& pulled) {
  using Json = nlohmann::ordered_json;
  auto descriptor = [](const PulledBlob& blob) {
    return Json{{"mediaType", oci_media_type(blob.media_type)},
                {"digest", blob.digest.text()},
                {"size", blob.size}};
  };
  Json manifest{{"schemaVersion", 2}, {"mediaType", oci::k_media_oci_manifest}};
  manifest["config"] = descriptor(pulled.config);
  manifest["layers"] = Json::array();
  for (const auto& layer : pulled.layers) {
    manifest["layers"].push_back(descriptor(layer));
  }
  return manifest.dump();
}

} // namespace

Result<oci::Descriptor> write_oci_layout(cache::Cache& cache, const PullResult& pulled,
                                         const std::string& dir, const std::string& tag) {
  auto context = [&](Error e) {
    return std::unexpected(std::move(e).with_context("writing OCI layout " + dir));
  };
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) {
    return context(Error(ErrorKind::io, "cannot create " + dir + ": " + ec.message()));
  }
  for (const auto& sub : {dir + "/blobs", dir + "/blobs/sha256"}) {
    if (auto r = make_directory(sub); !r) {
      return context(r.error());
    }
  }
  oci::Index index;
  index.media_type = std::string(oci::k_media_oci_index);
  struct stat st {};
  if (::stat((dir + "/index.json").c_str(), &st) == 0) {
    auto existing = oci::OciLayout::open(dir);
    if (!existing) {
      return context(existing.error());
    }
    index = existing->index();
  }
  oci::Descriptor entry;
  entry.media_type = pulled.manifest_media_type;
  entry.size = pulled.manifest_size;
  entry.digest = pulled.manifest_digest;
  if (pulled.manifest_media_type == oci::k_media_docker_manifest) {
    std::string bytes = oci_manifest(pulled);
    entry.media_type = std::string(oci::k_media_oci_manifest);
    entry.size = static_cast<std::int64_t>(bytes.size());
    entry.digest = Digest::of(bytes);
    std::string path = dir + "/blobs/sha256/" + entry.digest.hex();
    if (auto r = write_file_atomic(path, bytes); !r) {
      return context(r.error());
    }
  } else if (auto r = copy_blob(cache, pulled.manifest_digest, pulled.manifest_size, dir); !r) {
    return context(r.error());
  }
  if (auto r = copy_blob(cache, pulled.config.digest, pulled.config.size, dir); !r) {
    return context(r.error());
  }
  for (const auto& layer : pulled.layers) {
    if (auto r = copy_blob(cache, layer.digest, layer.size, dir); !r) {
      return context(r.error());
    }
  }
  entry.annotations[std::string(oci::k_annotation_ref_name)] = tag;
  if (!pulled.platform.empty()) {
    if (auto platform = oci::Platform::parse(pulled.platform)) {
      entry.platform = *platform;
    }
  }
  std::erase_if(index.manifests, [&](const oci::Descriptor& d) { return d.ref_name() == tag; });
  index.manifests.push_back(entry);
  if (auto r = write_file_atomic(dir + "/oci-layout", "{\"imageLayoutVersion\":\"1.0.0\"}"); !r) {
    return context(r.error());
  }
  if (auto r = write_file_atomic(dir + "/index.json", oci::serialize_index(index)); !r) {
    return context(r.error());
  }
  return entry;
}

} // namespace sifkit::registry
