#include <sif/inspect.h>

#include <nlohmann/json.hpp>

namespace sifkit::sif {

namespace {

using nlohmann::ordered_json;

ordered_json time_json(std::int64_t time) {
  return time == k_zero_time ? ordered_json(nullptr) : ordered_json(time);
}

ordered_json arch_json(std::string_view arch) {
  return arch == "unknown" ? ordered_json(nullptr) : ordered_json(arch);
}

ordered_json descriptor_json(const Descriptor& d) {
  ordered_json j;
  j["id"] = d.id;
  j["group_id"] = d.group_id() == 0 ? ordered_json(nullptr) : ordered_json(d.group_id());
  if (Link link = d.link(); link.id == 0) {
    j["link"] = nullptr;
  } else {
    j["link"] = {{"id", link.id}, {"is_group", link.is_group}};
  }
  j["data_type"] = d.data_type;
  j["type"] = data_type_name(d.data_type);
  j["offset"] = d.offset;
  j["size"] = d.size;
  j["size_with_padding"] = d.size_with_padding;
  j["created_at"] = time_json(d.created_at);
  j["modified_at"] = time_json(d.modified_at);
  j["name"] = d.name_text();
  if (auto p = d.partition()) {
    j["partition"] = {{"fs_type", fs_type_name(p->fs_type)},
                      {"part_type", part_type_name(p->part_type)},
                      {"arch", arch_json(p->arch_name())}};
  }
  if (auto s = d.signature()) {
    auto hash = hash_type_name(s->hash_type);
    j["signature"] = {{"hash", hash ? ordered_json(*hash) : ordered_json(nullptr)},
                      {"fingerprint", s->has_fingerprint() ? ordered_json(s->fingerprint_hex())
                                                           : ordered_json(nullptr)}};
  }
  if (auto m = d.crypto_message()) {
    j["crypto_message"] = {{"format", format_type_name(m->format_type)},
                           {"message", message_type_name(m->message_type)}};
  }
  if (auto f = d.sbom_format()) {
    j["sbom_format"] = sbom_format_name(*f);
  }
  if (auto digest = d.oci_digest_text()) {
    j["digest"] = *digest;
  }
  return j;
}

} // namespace

ordered_json header_json(const Image& image) {
  const Header& h = image.header();
  ordered_json j;
  j["launch_script"] = h.launch_script_text();
  j["version"] = std::string_view(h.version.data(), 2);
  j["primary_arch"] = arch_json(h.arch_name());
  j["id"] = h.has_nil_id() ? ordered_json(nullptr) : ordered_json(format_uuid(h.id));
  j["created_at"] = time_json(h.created_at);
  j["modified_at"] = time_json(h.modified_at);
  j["descriptors_free"] = h.descriptors_free;
  j["descriptors_total"] = h.descriptors_total;
  j["descriptors_offset"] = h.descriptors_offset;
  j["descriptors_size"] = h.descriptors_size;
  j["data_offset"] = h.data_offset;
  j["data_size"] = h.data_size;
  j["is_oci_sif"] =
      !image.select([](const Descriptor& d) { return d.type() == DataType::oci_root_index; })
           .empty();
  return j;
}

ordered_json list_json(const Image& image) {
  ordered_json list = ordered_json::array();
  for (const Descriptor* d : image.descriptors()) {
    list.push_back(descriptor_json(*d));
  }
  return list;
}

Result<ordered_json> info_json(const Image& image, std::uint32_t id) {
  SIFKIT_TRY_ASSIGN(auto found, image.find(id));
  return descriptor_json(*found);
}

std::string dump_json(const ordered_json& value) {
  return value.dump(2, ' ', false, ordered_json::error_handler_t::replace) + "\n";
}

} // namespace sifkit::sif
