#include <registry/archive_reader.h>
#include <registry/layout_select.h>
#include <registry/oci_archive_source.h>
#include <sif/oci_parse.h>

#include <nlohmann/json.hpp>

namespace sifkit::registry {

namespace {

std::string blob_name(const Digest& digest) {
  return "blobs/" + std::string(to_string(digest.algorithm())) + "/" + digest.hex();
}

Result<void> check_layout_version(const std::string& text, const std::string& where) {
  auto doc = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded() || !doc.is_object() || !doc.contains("imageLayoutVersion") ||
      !doc["imageLayoutVersion"].is_string()) {
    return fail(ErrorKind::corrupt_input, where + ": oci-layout has no imageLayoutVersion string");
  }
  if (doc["imageLayoutVersion"].get<std::string>() != "1.0.0") {
    return fail(ErrorKind::unsupported, where + ": image layout version " +
                                            doc["imageLayoutVersion"].get<std::string>() +
                                            " is not supported");
  }
  return {};
}

} // namespace

Result<std::unique_ptr<OciArchiveSource>>
OciArchiveSource::open(const std::string& path, const std::string& tag, std::string description) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(description)); };
  std::unique_ptr<OciArchiveSource> source(new OciArchiveSource());
  source->m_path = path;
  auto reader = ArchiveReader::open(path);
  if (!reader) {
    return context(reader.error());
  }
  std::optional<std::string> layout_file;
  std::optional<std::string> index_bytes;
  for (;;) {
    auto entry = reader->next();
    if (!entry) {
      return context(entry.error());
    }
    if (!*entry) {
      break;
    }
    const ArchiveEntry& e = **entry;
    bool is_blob = e.name.starts_with("blobs/");
    if (is_blob && e.type != EntryType::regular && e.type != EntryType::directory) {
      return context(Error(ErrorKind::corrupt_input, path + ": " + e.name +
                                                         " is a link or special "
                                                         "file, not a blob"));
    }
    if (e.type != EntryType::regular) {
      continue;
    }
    if (is_blob && !source->m_blobs.emplace(e.name, e.size).second) {
      return context(Error(ErrorKind::corrupt_input, path + ": " + e.name + " appears twice"));
    }
    if (e.name == "oci-layout" || e.name == "index.json") {
      if (e.size > oci::k_max_manifest_size) {
        return context(Error(ErrorKind::corrupt_input, path + ": " + e.name + " is too large"));
      }
      std::string data;
      std::vector<std::byte> buffer(1 << 16);
      for (;;) {
        auto got = reader->read(buffer);
        if (!got) {
          return context(got.error());
        }
        if (*got == 0) {
          break;
        }
        data.append(reinterpret_cast<const char*>(buffer.data()), *got);
      }
      (e.name == "index.json" ? index_bytes : layout_file) = std::move(data);
    }
  }
  if (!layout_file || !index_bytes) {
    return context(Error(ErrorKind::corrupt_input,
                         path + " is not an OCI layout archive (no oci-layout or index.json)"));
  }
  if (auto r = check_layout_version(*layout_file, path); !r) {
    return context(r.error());
  }
  auto index = oci::parse_index(*index_bytes);
  if (!index) {
    return context(std::move(index.error()).with_context(path + ": index.json"));
  }
  auto root = select_layout_entry(*index, tag, std::nullopt, path);
  if (!root) {
    return context(root.error());
  }
  source->m_root = std::move(*root);
  source->m_description = std::move(description);
  return source;
}

Result<std::string> OciArchiveSource::blob_entry(const oci::Descriptor& descriptor) const {
  std::string name = blob_name(descriptor.digest);
  auto it = m_blobs.find(name);
  if (it == m_blobs.end()) {
    return fail(ErrorKind::not_found, m_path + " has no blob " + descriptor.digest.text());
  }
  if (it->second != descriptor.size) {
    return fail(ErrorKind::corrupt_input,
                m_path + ": " + name + " is " + std::to_string(it->second) +
                    " bytes, its descriptor says " + std::to_string(descriptor.size));
  }
  return name;
}

Result<FetchedManifest> OciArchiveSource::fetch_root() {
  return fetch_manifest(m_root);
}

Result<FetchedManifest> OciArchiveSource::fetch_manifest(const oci::Descriptor& descriptor) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(m_description)); };
  if (descriptor.size < 0 || descriptor.size > oci::k_max_manifest_size) {
    return context(Error(ErrorKind::corrupt_input,
                         "manifest " + descriptor.digest.text() + " has an unreasonable size"));
  }
  auto name = blob_entry(descriptor);
  if (!name) {
    return context(name.error());
  }
  auto bytes = read_entry(m_path, *name, oci::k_max_manifest_size);
  if (!bytes) {
    return context(bytes.error());
  }
  auto fetched = fetched_manifest(std::move(*bytes), descriptor);
  return fetched ? std::move(fetched) : context(fetched.error());
}

Result<void> OciArchiveSource::fetch_blob(const oci::Descriptor& descriptor,
                                          cache::BlobWriter& writer, const BlobProgress& progress) {
  auto context = [&](Error e) { return std::unexpected(std::move(e).with_context(m_description)); };
  auto name = blob_entry(descriptor);
  if (!name) {
    return context(name.error());
  }
  auto r = stream_entry_to_blob(m_path, *name, writer, progress);
  return r ? r : context(r.error());
}

} // namespace sifkit::registry
