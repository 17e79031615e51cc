#include <sif/go_format.h>
#include <sif/inspect.h>

#include <fmt/format.h>

namespace sifkit::sif {

namespace {

constexpr std::string_view k_list_rule =
    "------------------------------------------------------------------------------\n";

// Times equal to Go's zero time are unset and not printed.
bool is_set(std::int64_t time) {
  return time != k_zero_time;
}

// The type column of `siftool list`. For a signature with an undefined hash type
// siftool prints nothing at all, not even the newline, so the next row continues on the
// same line; that is reproduced here.
std::string list_type(const Descriptor& d) {
  std::string_view type = data_type_name(d.data_type);
  if (auto p = d.partition()) {
    return fmt::format("|{} ({}/{}/{})\n", type, fs_type_name(p->fs_type),
                       part_type_name(p->part_type), p->arch_name());
  }
  if (auto s = d.signature()) {
    auto hash = hash_type_name(s->hash_type);
    return hash ? fmt::format("|{} ({})\n", type, *hash) : std::string();
  }
  if (auto m = d.crypto_message()) {
    return fmt::format("|{} ({}/{})\n", type, format_type_name(m->format_type),
                       message_type_name(m->message_type));
  }
  if (auto f = d.sbom_format()) {
    return fmt::format("|{} ({})\n", type, sbom_format_name(*f));
  }
  return fmt::format("|{}\n", type);
}

// The type-specific rows of `siftool info`, as tab-separated cells.
Result<std::string> info_type_rows(const Descriptor& d) {
  if (auto p = d.partition()) {
    return fmt::format("\tFilesystem Type:\t{}\n\tPartition Type:\t{}\n\tArchitecture:\t{}\n",
                       fs_type_name(p->fs_type), part_type_name(p->part_type), p->arch_name());
  }
  if (auto s = d.signature()) {
    auto hash = hash_type_name(s->hash_type);
    if (!hash) {
      return fail(ErrorKind::corrupt_input,
                  fmt::format("object {}: signature hash type {} is not one SIF defines", d.id,
                              s->hash_type));
    }
    std::string rows = fmt::format("\tHash Type:\t{}\n", *hash);
    if (s->has_fingerprint()) {
      rows += fmt::format("\tEntity:\t{}\n", s->fingerprint_hex());
    }
    return rows;
  }
  if (auto m = d.crypto_message()) {
    return fmt::format("\tFormat Type:\t{}\n\tMessage Type:\t{}\n",
                       format_type_name(m->format_type), message_type_name(m->message_type));
  }
  if (auto f = d.sbom_format()) {
    return fmt::format("\tFormat:\t{}\n", sbom_format_name(*f));
  }
  if (auto digest = d.oci_digest_text()) {
    return fmt::format("\tDigest:\t{}\n", *digest);
  }
  return std::string();
}

} // namespace

std::string format_header(const Image& image) {
  const Header& h = image.header();
  std::string cells;
  if (std::string script = h.launch_script_text(); !script.empty()) {
    if (script.ends_with('\n')) {
      script.pop_back();
    }
    cells += fmt::format("Launch Script:\t{}\n", script);
  }
  cells += fmt::format("Version:\t{}\n", std::string_view(h.version.data(), 2));
  if (std::string_view arch = h.arch_name(); arch != "unknown") {
    cells += fmt::format("Primary Architecture:\t{}\n", arch);
  }
  if (!h.has_nil_id()) {
    cells += fmt::format("ID:\t{}\n", format_uuid(h.id));
  }
  if (is_set(h.created_at)) {
    cells += fmt::format("Created At:\t{}\n", go_utc_time(h.created_at));
  }
  if (is_set(h.modified_at)) {
    cells += fmt::format("Modified At:\t{}\n", go_utc_time(h.modified_at));
  }
  cells += fmt::format("Descriptors Free:\t{}\n", h.descriptors_free);
  cells += fmt::format("Descriptors Total:\t{}\n", h.descriptors_total);
  cells += fmt::format("Descriptors Offset:\t{}\n", h.descriptors_offset);
  cells += fmt::format("Descriptors Size:\t{}\n", go_readable_size(h.descriptors_size));
  cells += fmt::format("Data Offset:\t{}\n", h.data_offset);
  cells += fmt::format("Data Size:\t{}\n", go_readable_size(h.data_size));
  return go_tabwrite(cells, 1);
}

std::string format_list(const Image& image) {
  std::string out(k_list_rule);
  out += fmt::format("{:<4} {:<8} {:<8} {:<26} {}\n", "ID", "|GROUP", "|LINK",
                     "|SIF POSITION (start-end)", "|TYPE");
  out += k_list_rule;
  for (const Descriptor* d : image.descriptors()) {
    out += fmt::format("{:<4} ", d->id);
    if (std::uint32_t group = d->group_id(); group == 0) {
      out += fmt::format("|{:<7} ", "NONE");
    } else {
      out += fmt::format("|{:<7} ", group);
    }
    if (Link link = d->link(); link.id == 0) {
      out += fmt::format("|{:<7} ", "NONE");
    } else if (link.is_group) {
      out += fmt::format("|{:<3} (G) ", link.id);
    } else {
      out += fmt::format("|{:<7} ", link.id);
    }
    out += fmt::format("{:<26} ", fmt::format("|{}-{} ", d->offset, d->offset + d->size));
    out += list_type(*d);
  }
  return out;
}

Result<std::string> format_info(const Image& image, std::uint32_t id) {
  SIFKIT_TRY_ASSIGN(auto found, image.find(id));
  const Descriptor& d = *found;
  std::string cells =
      fmt::format("\tData Type:\t{}\n\tID:\t{}\n", data_type_name(d.data_type), d.id);
  if (std::uint32_t group = d.group_id(); group == 0) {
    cells += "\tGroup ID:\tNONE\n";
  } else {
    cells += fmt::format("\tGroup ID:\t{}\n", group);
  }
  if (Link link = d.link(); link.id == 0) {
    cells += "\tLinked ID:\tNONE\n";
  } else {
    cells += fmt::format("\tLinked ID:\t{}{}\n", link.id, link.is_group ? " (G)" : "");
  }
  cells += fmt::format("\tOffset:\t{}\n\tSize:\t{}\n", d.offset, d.size);
  if (is_set(d.created_at)) {
    cells += fmt::format("\tCreated At:\t{}\n", go_utc_time(d.created_at));
  }
  if (is_set(d.modified_at)) {
    cells += fmt::format("\tModified At:\t{}\n", go_utc_time(d.modified_at));
  }
  if (std::string name = d.name_text(); !name.empty()) {
    cells += fmt::format("\tName:\t{}\n", name);
  }
  SIFKIT_TRY_ASSIGN(auto rows, with_context(info_type_rows(d), image.path()));
  return go_tabwrite(cells + rows, 2);
}

} // namespace sifkit::sif
