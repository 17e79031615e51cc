#include <registry/archive_reader.h>
#include <registry/docker_archive_source.h>
#include <registry/docker_reference.h>
#include <registry/oci_archive_source.h>

#include <set>
#include <vector>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

namespace {

using Json = nlohmann::json;

// What the first pass learns: regular files (name → size), links (name → target name,
// resolved inside the archive), manifest.json.
struct ArchiveListing {
  std::map<std::string, std::int64_t> files;
  std::map<std::string, std::string> links;
  std::optional<std::string> manifest_json;
  bool oci_layout = false;
  bool oci_index = false;
};

// `target` seen from directory `base` of the archive, normalised; nullopt when it is
// absolute or climbs above the archive's root.
std::optional<std::string> resolve_link(const std::string& base, const std::string& target) {
  if (target.empty() || target.front() == '/') {
    return std::nullopt;
  }
  std::vector<std::string> parts;
  std::string joined = base.empty() ? target : base + "/" + target;
  std::size_t start = 0;
  while (start <= joined.size()) {
    std::size_t slash = joined.find('/', start);
    std::string part =
        joined.substr(start, slash == std::string::npos ? std::string::npos : slash - start);
    if (part == "..") {
      if (parts.empty()) {
        return std::nullopt;
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    if (slash == std::string::npos) {
      break;
    }
    start = slash + 1;
  }
  std::string out;
  for (const auto& part : parts) {
    out += (out.empty() ? "" : "/") + part;
  }
  return out.empty() ? std::nullopt : std::optional<std::string>(out);
}

Result<ArchiveListing> list_archive(const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto reader, ArchiveReader::open(path));
  ArchiveListing out;
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto entry, reader.next());
    if (!entry) {
      return out;
    }
    const ArchiveEntry& e = *entry;
    out.oci_layout = out.oci_layout || e.name == "oci-layout";
    out.oci_index = out.oci_index || e.name == "index.json";
    if (e.type == EntryType::symlink || e.type == EntryType::hardlink) {
      // A symlink is relative to its directory; a hard link names an archive entry.
      std::string base;
      if (e.type == EntryType::symlink && e.name.find('/') != std::string::npos) {
        base = e.name.substr(0, e.name.rfind('/'));
      }
      auto target = resolve_link(base, e.link_target);
      if (!target) {
        return fail(ErrorKind::corrupt_input,
                    path + ": " + e.name + " links outside the archive (" + e.link_target + ")");
      }
      out.links[e.name] = *target;
    } else if (e.type == EntryType::regular) {
      out.files[e.name] = e.size;
      if (e.name == "manifest.json") {
        if (e.size > oci::k_max_manifest_size) {
          return fail(ErrorKind::corrupt_input, path + ": manifest.json is too large");
        }
        std::string data;
        std::vector<std::byte> buffer(1 << 16);
        for (;;) {
          SIFKIT_TRY_ASSIGN(auto got, reader.read(buffer));
          if (got == 0) {
            break;
          }
          data.append(reinterpret_cast<const char*>(buffer.data()), got);
        }
        out.manifest_json = std::move(data);
      }
    }
  }
}

// The regular file that `name` (from manifest.json) is, following links inside the archive.
Result<std::string> resolve_file(const ArchiveListing& listing, const std::string& raw,
                                 const std::string& path) {
  SIFKIT_TRY_ASSIGN(auto name, with_context(normalize_entry_name(raw, path), "manifest.json"));
  std::string current = name;
  for (int hops = 0; hops < 8; ++hops) {
    if (listing.files.contains(current)) {
      return current;
    }
    auto link = listing.links.find(current);
    if (link == listing.links.end()) {
      return fail(ErrorKind::not_found,
                  path + ": manifest.json names " + name + ", which the archive does not hold");
    }
    current = link->second;
  }
  return fail(ErrorKind::corrupt_input, path + ": " + name + " is a loop of links");
}

// The manifest.json entry the user asked for.
// Whether RepoTag `stored` names `wanted`, as Docker compares them: "busybox:1",
// "library/busybox:1" and "docker.io/library/busybox:1" are one name.
bool same_repo_tag(const std::string& stored, const std::string& wanted) {
  if (stored == wanted) {
    return true;
  }
  auto a = DockerReference::parse(stored);
  auto b = DockerReference::parse(wanted);
  return a && b && a->to_string() == b->to_string();
}

Result<Json> select_image(const Json& images, const std::string& repo_tag, std::optional<int> index,
                          const std::string& path) {
  if (!images.is_array() || images.empty()) {
    return fail(ErrorKind::corrupt_input, path + ": manifest.json is not a non-empty array");
  }
  if (index) {
    if (*index >= static_cast<int>(images.size())) {
      return fail(ErrorKind::not_found, path + " holds " + std::to_string(images.size()) +
                                            " images; there is no @" + std::to_string(*index));
    }
    return images[static_cast<std::size_t>(*index)];
  }
  std::string tags;
  for (const auto& image : images) {
    if (image.is_object() && image.contains("RepoTags") && image["RepoTags"].is_array()) {
      for (const auto& t : image["RepoTags"]) {
        if (!t.is_string()) {
          continue;
        }
        if (!repo_tag.empty() && same_repo_tag(t.get<std::string>(), repo_tag)) {
          return image;
        }
        tags += (tags.empty() ? "" : ", ") + t.get<std::string>();
      }
    }
  }
  if (!repo_tag.empty()) {
    return fail(ErrorKind::not_found, path + " has no image tagged " + repo_tag +
                                          " (tags: " + (tags.empty() ? "none" : tags) + ")");
  }
  if (images.size() != 1) {
    return fail(ErrorKind::usage, path + " holds " + std::to_string(images.size()) +
                                      " images: name one with :REPO:TAG or @INDEX (tags: " + tags +
                                      ")");
  }
  return images[0];
}

struct LayerFile {
  std::string entry;
  Digest digest;
  std::int64_t size = 0;
  std::string compression; // "gzip", "zstd" or ""
};

// Hashes every layer file in one pass over the archive.
Result<void> hash_layers(const std::string& path, std::vector<LayerFile>& layers) {
  std::map<std::string, std::vector<LayerFile*>> wanted;
  for (auto& layer : layers) {
    wanted[layer.entry].push_back(&layer);
  }
  SIFKIT_TRY_ASSIGN(auto reader, ArchiveReader::open(path));
  std::vector<std::byte> buffer(1 << 20);
  for (;;) {
    SIFKIT_TRY_ASSIGN(auto entry, reader.next());
    if (!entry) {
      return {};
    }
    auto it = wanted.find(entry->name);
    if (it == wanted.end() || entry->type != EntryType::regular) {
      continue;
    }
    DigestHasher hasher;
    std::int64_t size = 0;
    std::string head;
    for (;;) {
      SIFKIT_TRY_ASSIGN(auto got, reader.read(buffer));
      if (got == 0) {
        break;
      }
      std::string_view chunk(reinterpret_cast<const char*>(buffer.data()), got);
      if (head.size() < 4) {
        head += chunk.substr(0, 4 - head.size());
      }
      hasher.update(chunk);
      size += static_cast<std::int64_t>(got);
    }
    Digest digest = hasher.finish();
    std::string compression = head.starts_with("\x1f\x8b")           ? "gzip"
                              : head.starts_with("\x28\xb5\x2f\xfd") ? "zstd"
                                                                     : "";
    for (auto* layer : it->second) {
      layer->digest = digest;
      layer->size = size;
      layer->compression = compression;
    }
    wanted.erase(it); // the first entry of a name is the one that counts
  }
}

std::string layer_media_type(const std::string& compression, bool oci) {
  if (oci) {
    return std::string(compression == "zstd"   ? oci::k_media_oci_layer_zstd
                       : compression == "gzip" ? oci::k_media_oci_layer_gzip
                                               : oci::k_media_oci_layer);
  }
  return compression == "gzip" ? std::string(oci::k_media_docker_layer)
                               : "application/vnd.docker.image.rootfs.diff.tar";
}

} // namespace

Result<std::unique_ptr<ImageSource>> DockerArchiveSource::open(const std::string& path,
                                                               const std::string& repo_tag,
                                                               std::optional<int> index,
                                                               std::string description) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(description)); };
  auto listing = list_archive(path);
  if (!listing) {
    return context(listing.error());
  }
  if (listing->oci_layout && listing->oci_index && !index) {
    // Docker 25+: an OCI layout; its index names images by tag alone.
    std::string tag = repo_tag.empty() ? "" : repo_tag.substr(repo_tag.rfind(':') + 1);
    SIFKIT_TRY_ASSIGN(auto oci, OciArchiveSource::open(path, tag, std::move(description)));
    return std::unique_ptr<ImageSource>(std::move(oci));
  }
  if (!listing->manifest_json) {
    return context(
        Error(ErrorKind::corrupt_input, path + " is not a docker-archive (no manifest.json)"));
  }
  auto images = Json::parse(*listing->manifest_json, nullptr, /*allow_exceptions=*/false);
  if (images.is_discarded()) {
    return context(Error(ErrorKind::corrupt_input, path + ": manifest.json is not valid JSON"));
  }
  auto image = select_image(images, repo_tag, index, path);
  if (!image) {
    return context(image.error());
  }
  if (!image->is_object() || !image->contains("Config") || !(*image)["Config"].is_string() ||
      !image->contains("Layers") || !(*image)["Layers"].is_array()) {
    return context(Error(ErrorKind::corrupt_input,
                         path + ": manifest.json entry lacks a Config string or a Layers array"));
  }
  std::unique_ptr<DockerArchiveSource> source(new DockerArchiveSource());
  source->m_path = path;
  source->m_description = std::move(description);
  auto config_entry = resolve_file(*listing, (*image)["Config"].get<std::string>(), path);
  if (!config_entry) {
    return context(config_entry.error());
  }
  auto config = read_entry(path, *config_entry, oci::k_max_manifest_size);
  if (!config) {
    return context(config.error());
  }
  source->m_config_bytes = std::move(*config);
  source->m_config_digest = Digest::of(source->m_config_bytes);

  std::vector<LayerFile> layers;
  for (const auto& layer : (*image)["Layers"]) {
    if (!layer.is_string()) {
      return context(
          Error(ErrorKind::corrupt_input, path + ": a layer in manifest.json is not a string"));
    }
    auto entry = resolve_file(*listing, layer.get<std::string>(), path);
    if (!entry) {
      return context(entry.error());
    }
    layers.push_back(LayerFile{*entry, {}, 0, {}});
  }
  if (auto r = hash_layers(path, layers); !r) {
    return context(r.error());
  }
  bool oci = false;
  for (const auto& layer : layers) {
    oci = oci || layer.compression == "zstd";
    source->m_layer_entries[layer.digest] = layer.entry;
  }
  nlohmann::ordered_json manifest;
  manifest["schemaVersion"] = 2;
  manifest["mediaType"] = oci ? oci::k_media_oci_manifest : oci::k_media_docker_manifest;
  manifest["config"] = {{"mediaType", oci ? oci::k_media_oci_config : oci::k_media_docker_config},
                        {"size", source->m_config_bytes.size()},
                        {"digest", source->m_config_digest.text()}};
  manifest["layers"] = nlohmann::ordered_json::array();
  for (const auto& layer : layers) {
    manifest["layers"].push_back({{"mediaType", layer_media_type(layer.compression, oci)},
                                  {"size", layer.size},
                                  {"digest", layer.digest.text()}});
  }
  source->m_manifest.bytes = manifest.dump();
  source->m_manifest.media_type = manifest["mediaType"].get<std::string>();
  source->m_manifest.digest = Digest::of(source->m_manifest.bytes);
  return std::unique_ptr<ImageSource>(std::move(source));
}

Result<FetchedManifest> DockerArchiveSource::fetch_manifest(const oci::Descriptor& descriptor) {
  return fail(ErrorKind::not_found,
              m_description + " holds one image manifest, not " + descriptor.digest.text());
}

Result<void> DockerArchiveSource::fetch_blob(const oci::Descriptor& descriptor,
                                             cache::BlobWriter& writer,
                                             const BlobProgress& progress) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(m_description)); };
  std::int64_t skip = writer.bytes_written();
  if (descriptor.digest == m_config_digest) {
    std::string_view rest = std::string_view(m_config_bytes)
                                .substr(static_cast<std::size_t>(std::min<std::int64_t>(
                                    skip, static_cast<std::int64_t>(m_config_bytes.size()))));
    if (auto w = writer.write(rest); !w) {
      return context(w.error());
    }
    if (progress) {
      progress(static_cast<std::int64_t>(m_config_bytes.size()));
    }
    return {};
  }
  auto entry = m_layer_entries.find(descriptor.digest);
  if (entry == m_layer_entries.end()) {
    return context(
        Error(ErrorKind::not_found, m_path + " has no blob " + descriptor.digest.text()));
  }
  auto r = stream_entry_to_blob(m_path, entry->second, writer, progress);
  return r ? r : context(r.error());
}

} // namespace sifkit::registry
