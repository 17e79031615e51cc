// libFuzzer target: any byte string opened as a SIF file either fails with a
// corrupt_input / unsupported error, or yields an Image whose every accessor works and
// agrees with the input bytes. A broken agreement aborts (a finding), like a crash.
#include "memfd_input.h"

#include <common/sha256.h>
#include <sif/image.h>

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

std::string_view slice(std::string_view bytes, std::int64_t offset, std::int64_t size) {
  return bytes.substr(static_cast<std::size_t>(offset), static_cast<std::size_t>(size));
}

// Every typed view of `d`; their values only have to be computable.
std::size_t touch_metadata(const Descriptor& d) {
  std::size_t sink = d.name_text().size() + data_type_name(d.data_type).size();
  Link link = d.link();
  sink += link.id + (link.is_group ? 1 : 0) + d.group_id();
  if (auto p = d.partition()) {
    sink += fs_type_name(p->fs_type).size() + part_type_name(p->part_type).size() +
            p->arch_name().size();
  }
  if (auto s = d.signature()) {
    sink += hash_type_name(s->hash_type).value_or("").size();
    if (s->has_fingerprint()) {
      FUZZ_CHECK(s->fingerprint_hex().size() == 40);
    }
  }
  if (auto c = d.crypto_message()) {
    sink += format_type_name(c->format_type).size() + message_type_name(c->message_type).size();
  }
  if (auto f = d.sbom_format()) {
    sink += sbom_format_name(*f).size();
  }
  if (auto text = d.oci_digest_text()) {
    FUZZ_CHECK(text->size() <= k_extra_size);
    auto digest = parse_oci_digest(*text);
    if (digest) {
      FUZZ_CHECK(*digest == *text);
    } else {
      FUZZ_CHECK(digest.error().kind() == ErrorKind::corrupt_input);
    }
  }
  return sink;
}

// Checks a successfully opened image against the raw input.
void check_image(const Image& image, std::string_view bytes) {
  const Header& h = image.header();
  FUZZ_CHECK(image.file_size() == static_cast<std::int64_t>(bytes.size()));
  // Header and descriptors keep their raw fields: re-encoding gives the input back.
  auto header_bytes = encode_header(h);
  FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(header_bytes.data()),
                              header_bytes.size()) == bytes.substr(0, k_header_size));
  std::size_t sink = h.launch_script_text().size() + h.arch_name().size() +
                     format_uuid(h.id).size() + (h.is_deterministic() ? 1 : 0);

  const auto& slots = image.slots();
  FUZZ_CHECK(static_cast<std::int64_t>(slots.size()) == h.descriptors_total);
  for (std::size_t i = 0; i < slots.size(); ++i) {
    auto raw = encode_descriptor(slots[i]);
    auto at = h.descriptors_offset + static_cast<std::int64_t>(i * k_descriptor_size);
    FUZZ_CHECK(std::string_view(reinterpret_cast<const char*>(raw.data()), raw.size()) ==
               slice(bytes, at, k_descriptor_size));
  }

  for (const Descriptor* d : image.descriptors()) {
    FUZZ_CHECK(d->used());
    FUZZ_CHECK(d->offset >= 0 && d->size >= 0 && d->offset <= image.file_size() &&
               d->size <= image.file_size() - d->offset);
    auto found = image.find(d->id);
    FUZZ_CHECK(found && *found == d);
    sink += touch_metadata(*d);

    std::string_view expected = slice(bytes, d->offset, d->size);
    auto data = image.read_object(*d, 1 << 20);
    FUZZ_CHECK(data && *data == expected);

    // Streaming in odd-sized pieces yields the same bytes, then a clean end.
    ByteSource source = image.object_source(*d);
    std::array<std::byte, 1021> buf{};
    std::string streamed;
    for (;;) {
      auto n = source(buf);
      FUZZ_CHECK(n);
      if (*n == 0) {
        break;
      }
      streamed.append(reinterpret_cast<const char*>(buf.data()), *n);
      FUZZ_CHECK(streamed.size() <= expected.size());
    }
    FUZZ_CHECK(streamed == expected);
    if (d->type() == DataType::oci_blob || d->type() == DataType::oci_root_index) {
      sink += sha256_hex(streamed).size();
    }
  }
  FUZZ_CHECK(!image.find(0));
  FUZZ_CHECK(sink > 0);
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const fuzz::MemfdInput input;
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  input.set(bytes);
  auto image = Image::open(input.path());
  if (!image) {
    // Hostile input is reported, never mistaken for an I/O failure or a usage error.
    ErrorKind kind = image.error().kind();
    FUZZ_CHECK(kind == ErrorKind::corrupt_input || kind == ErrorKind::unsupported);
    FUZZ_CHECK(!image.error().what().empty());
    return 0;
  }
  check_image(*image, bytes);
  return 0;
}
