#include <sif/oci_types.h>


namespace sifkit::oci {

bool is_index_media_type(std::string_view media_type) {
  return media_type == k_media_oci_index || media_type == k_media_docker_manifest_list;
}

bool is_image_media_type(std::string_view media_type) {
  return media_type == k_media_oci_manifest || media_type == k_media_docker_manifest;
}

std::string Platform::to_string() const {
  std::string out = os + "/" + architecture;
  if (!variant.empty()) {
    out += "/" + variant;
  }
  return out;
}

Result<Platform> Platform::parse(std::string_view text) {
  std::vector<std::string> parts;
  std::size_t start = 0;
  for (;;) {
    std::size_t slash = text.find('/', start);
    parts.emplace_back(text.substr(start, slash - start));
    if (slash == std::string_view::npos) {
      break;
    }
    start = slash + 1;
  }
  bool any_empty = false;
  for (const auto& part : parts) {
    any_empty = any_empty || part.empty();
  }
  if (parts.size() < 2 || parts.size() > 3 || any_empty) {
    return fail(ErrorKind::usage, "invalid platform \"" + std::string(text) +
                                      "\" (want os/arch or os/arch/variant)");
  }
  Platform p;
  p.os = parts[0];
  p.architecture = parts[1];
  if (parts.size() == 3) {
    p.variant = parts[2];
  }
  return p;
}

std::optional<std::string> Descriptor::ref_name() const {
  auto it = annotations.find(std::string(k_annotation_ref_name));
  if (it == annotations.end()) {
    return std::nullopt;
  }
  return it->second;
}

} // namespace sifkit::oci
