#include <sif/oci_json.h>

#include <cstdint>

namespace sifkit::oci {

namespace {

constexpr char k_hex[] = "0123456789abcdef";

// Length of the valid UTF-8 sequence at the start of `s` (1..4), or 0 when it is
// invalid (overlong, surrogate, beyond U+10FFFF, truncated), as Go's utf8 package
// decides. `rune` receives the code point.
std::size_t utf8_sequence(std::string_view s, std::uint32_t& rune) {
  auto byte = [&](std::size_t i) { return static_cast<std::uint8_t>(s[i]); };
  std::uint8_t b0 = byte(0);
  std::size_t len = b0 >= 0xF0 ? 4 : b0 >= 0xE0 ? 3 : b0 >= 0xC0 ? 2 : 0;
  if (len == 0 || b0 >= 0xF5 || s.size() < len) {
    return 0;
  }
  rune = b0 & (0x7F >> len);
  for (std::size_t i = 1; i < len; ++i) {
    if ((byte(i) & 0xC0) != 0x80) {
      return 0;
    }
    rune = (rune << 6) | (byte(i) & 0x3F);
  }
  constexpr std::uint32_t min_for_len[] = {0, 0, 0x80, 0x800, 0x10000};
  bool surrogate = rune >= 0xD800 && rune <= 0xDFFF;
  if (rune < min_for_len[len] || rune > 0x10FFFF || surrogate) {
    return 0;
  }
  return len;
}

void append_unicode_escape(std::string& out, std::uint32_t code) {
  out += "\\u";
  for (int shift = 12; shift >= 0; shift -= 4) {
    out += k_hex[(code >> shift) & 0xF];
  }
}

void append_key(std::string& out, std::string_view key) {
  append_json_string(out, key);
  out += ':';
}

void append_string_list(std::string& out, const std::vector<std::string>& list) {
  out += '[';
  for (std::size_t i = 0; i < list.size(); ++i) {
    if (i > 0) {
      out += ',';
    }
    append_json_string(out, list[i]);
  }
  out += ']';
}

void append_annotations(std::string& out, const Annotations& annotations) {
  out += '{';
  bool first = true;
  for (const auto& [key, value] : annotations) { // std::map: sorted by bytes, as Go sorts
    if (!first) {
      out += ',';
    }
    first = false;
    append_key(out, key);
    append_json_string(out, value);
  }
  out += '}';
}

void append_platform(std::string& out, const Platform& p) {
  out += '{';
  append_key(out, "architecture");
  append_json_string(out, p.architecture);
  out += ',';
  append_key(out, "os");
  append_json_string(out, p.os);
  if (!p.os_version.empty()) {
    out += ',';
    append_key(out, "os.version");
    append_json_string(out, p.os_version);
  }
  if (!p.os_features.empty()) {
    out += ',';
    append_key(out, "os.features");
    append_string_list(out, p.os_features);
  }
  if (!p.variant.empty()) {
    out += ',';
    append_key(out, "variant");
    append_json_string(out, p.variant);
  }
  if (!p.features.empty()) {
    out += ',';
    append_key(out, "features");
    append_string_list(out, p.features);
  }
  out += '}';
}

void append_descriptor(std::string& out, const Descriptor& d) {
  out += '{';
  append_key(out, "mediaType");
  append_json_string(out, d.media_type);
  out += ',';
  append_key(out, "size");
  out += std::to_string(d.size);
  out += ',';
  append_key(out, "digest");
  append_json_string(out, d.digest.text());
  if (d.data && !d.data->empty()) {
    out += ',';
    append_key(out, "data");
    append_json_string(out, *d.data);
  }
  if (!d.urls.empty()) {
    out += ',';
    append_key(out, "urls");
    append_string_list(out, d.urls);
  }
  if (!d.annotations.empty()) {
    out += ',';
    append_key(out, "annotations");
    append_annotations(out, d.annotations);
  }
  if (d.platform) {
    out += ',';
    append_key(out, "platform");
    append_platform(out, *d.platform);
  }
  if (!d.artifact_type.empty()) {
    out += ',';
    append_key(out, "artifactType");
    append_json_string(out, d.artifact_type);
  }
  out += '}';
}

} // namespace

void append_json_string(std::string& out, std::string_view text) {
  out += '"';
  for (std::size_t i = 0; i < text.size();) {
    auto c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {
      switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '<':
      case '>':
      case '&': append_unicode_escape(out, c); break;
      default:
        if (c < 0x20) {
          append_unicode_escape(out, c);
        } else {
          out += static_cast<char>(c);
        }
      }
      ++i;
      continue;
    }
    std::uint32_t rune = 0;
    std::size_t len = utf8_sequence(text.substr(i), rune);
    if (len == 0) {
      out += "\\ufffd";
      ++i;
    } else if (rune == 0x2028 || rune == 0x2029) {
      append_unicode_escape(out, rune);
      i += len;
    } else {
      out.append(text.substr(i, len));
      i += len;
    }
  }
  out += '"';
}

std::string serialize_descriptor(const Descriptor& descriptor) {
  std::string out;
  append_descriptor(out, descriptor);
  return out;
}

std::string serialize_index(const Index& index) {
  std::string out = "{";
  append_key(out, "schemaVersion");
  out += std::to_string(index.schema_version);
  if (!index.media_type.empty()) {
    out += ',';
    append_key(out, "mediaType");
    append_json_string(out, index.media_type);
  }
  out += ',';
  append_key(out, "manifests");
  if (index.manifests.empty()) {
    out += "null";
  } else {
    out += '[';
    for (std::size_t i = 0; i < index.manifests.size(); ++i) {
      if (i > 0) {
        out += ',';
      }
      append_descriptor(out, index.manifests[i]);
    }
    out += ']';
  }
  if (!index.annotations.empty()) {
    out += ',';
    append_key(out, "annotations");
    append_annotations(out, index.annotations);
  }
  if (index.subject) {
    out += ',';
    append_key(out, "subject");
    append_descriptor(out, *index.subject);
  }
  out += '}';
  return out;
}

} // namespace sifkit::oci
