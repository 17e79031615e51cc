#include <registry/docker_reference.h>
#include <registry/reference.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <filesystem>

namespace sifkit::registry {

namespace {

bool starts_with(std::string_view text, std::string_view prefix) {
  return text.substr(0, prefix.size()) == prefix;
}

std::unexpected<Error> bad(std::string_view text, const std::string& why) {
  return fail(ErrorKind::usage, "invalid image reference \"" + std::string(text) + "\": " + why);
}

// A tag as OCI layouts and Docker use them: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
bool valid_tag(std::string_view tag) {
  if (tag.empty() || tag.size() > 128 || tag[0] == '.' || tag[0] == '-') {
    return false;
  }
  return std::all_of(tag.begin(), tag.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '.' || c == '-';
  });
}

// Splits an optional ":tag" off `rest` (validated) and keeps the rest as the location.
Result<ImageReference> take_location_and_tag(std::string_view text, std::string_view rest,
                                             ImageReference ref) {
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (!valid_tag(ref.tag)) {
      return bad(text, "\"" + ref.tag + "\" is not a valid tag");
    }
  }
  ref.location = std::string(rest);
  return ref;
}

// "DIR[:tag|@digest]" of oci: (the path cannot contain ':', as in containers/image).
Result<ImageReference> parse_oci(std::string_view text, std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::oci_dir;
  if (auto at = rest.rfind('@'); at != std::string_view::npos && rest.find(':', at) != rest.npos) {
    auto digest = Digest::parse(rest.substr(at + 1));
    if (!digest) {
      return bad(text, digest.error().message());
    }
    ref.digest = *digest;
    ref.location = std::string(rest.substr(0, at));
    return ref;
  }
  return take_location_and_tag(text, rest, std::move(ref));
}

Result<ImageReference> parse_oci_archive(std::string_view text, std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::oci_archive;
  return take_location_and_tag(text, rest, std::move(ref));
}

Result<ImageReference> parse_docker_archive(std::string_view text, std::string_view rest) {
  ImageReference ref;
  ref.transport = Transport::docker_archive;
  if (auto colon = rest.find(':'); colon != std::string_view::npos) {
    ref.tag = std::string(rest.substr(colon + 1));
    rest = rest.substr(0, colon);
    if (ref.tag.empty() || ref.tag.find(':') == std::string::npos) {
      return bad(text, "want FILE:repo:tag, FILE@index or FILE");
    }
  } else if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view number = rest.substr(at + 1);
    int index = -1;
    auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), index);
    if (number.empty() || ec != std::errc() || end != number.data() + number.size() || index < 0) {
      return bad(text, "\"@" + std::string(number) + "\" is not an image index");
    }
    ref.source_index = index;
    rest = rest.substr(0, at);
  }
  ref.location = std::string(rest);
  return ref;
}

std::string absolute(const std::string& path) {
  std::error_code ec;
  auto abs = std::filesystem::absolute(path, ec);
  return ec ? path : abs.lexically_normal().string();
}

} // namespace

std::string_view to_string(Transport transport) {
  switch (transport) {
  case Transport::docker:
    return "docker";
  case Transport::oci_dir:
    return "oci";
  case Transport::oci_archive:
    return "oci-archive";
  case Transport::docker_archive:
    return "docker-archive";
  case Transport::http:
    return "http";
  case Transport::oras:
    return "oras";
  case Transport::docker_daemon:
    return "docker-daemon";
  }
  return "unknown";
}

Result<ImageReference> parse_reference(std::string_view text) {
  if (text.empty()) {
    return fail(ErrorKind::usage, "empty image reference");
  }
  auto remote = [&](Transport transport, std::string_view rest) -> Result<ImageReference> {
    if (rest.empty()) {
      return bad(text, "nothing after the transport");
    }
    ImageReference ref;
    ref.transport = transport;
    ref.location = std::string(rest);
    return ref;
  };
  if (starts_with(text, "docker://")) {
    return remote(Transport::docker, text.substr(9));
  }
  if (starts_with(text, "http://") || starts_with(text, "https://")) {
    auto ref = remote(Transport::http, text.substr(text.find("//") + 2));
    if (ref) {
      ref->location = std::string(text);
    }
    return ref;
  }
  if (starts_with(text, "oras://")) {
    return remote(Transport::oras, text.substr(7));
  }
  if (starts_with(text, "docker-daemon:")) {
    return remote(Transport::docker_daemon, text.substr(14));
  }
  std::size_t colon = text.find(':');
  std::string_view prefix = text.substr(0, colon);
  std::string_view rest = colon == std::string_view::npos ? "" : text.substr(colon + 1);
  Result<ImageReference> local = fail(ErrorKind::internal, "");
  if (prefix == "oci") {
    local = parse_oci(text, rest);
  } else if (prefix == "oci-archive") {
    local = parse_oci_archive(text, rest);
  } else if (prefix == "docker-archive") {
    local = parse_docker_archive(text, rest);
  } else if (colon != std::string_view::npos &&
             (starts_with(rest, "/") || starts_with(rest, "."))) {
    // "dir:/x", "containers-storage:./y": a transport we do not know, not a tag.
    return bad(text, "unknown transport \"" + std::string(prefix) +
                         "\" (known: docker://, oci:, oci-archive:, docker-archive:, "
                         "http(s)://, oras://, docker-daemon:)");
  } else if (text.find("://") != std::string_view::npos) {
    return bad(text,
               "unknown transport \"" + std::string(text.substr(0, text.find("://"))) + "://\"");
  } else {
    return remote(Transport::docker, text); // "alpine:3.19", "host/repo:tag"
  }
  if (local && local->location.empty()) {
    return bad(text, "no path after \"" + std::string(prefix) + ":\"");
  }
  return local;
}

std::string ImageReference::canonical() const {
  switch (transport) {
  case Transport::docker: {
    auto parsed = DockerReference::parse(location); // docker.io/library/..., :latest
    return "docker://" + (parsed ? parsed->to_string() : location);
  }
  case Transport::http:
    return location;
  case Transport::oras:
    return "oras://" + location;
  case Transport::docker_daemon:
    return "docker-daemon:" + location;
  case Transport::oci_dir:
  case Transport::oci_archive:
  case Transport::docker_archive:
    break;
  }
  std::string out = std::string(to_string(transport)) + ":" + absolute(location);
  if (digest) {
    out += "@" + digest->text();
  } else if (source_index) {
    out += "@" + std::to_string(*source_index);
  } else if (!tag.empty()) {
    out += ":" + tag;
  }
  return out;
}

std::string default_tag(const ImageReference& reference) {
  std::string tag = reference.tag;
  if (reference.transport == Transport::docker) {
    if (auto parsed = DockerReference::parse(reference.location); parsed && !parsed->tag.empty()) {
      tag = parsed->tag;
    }
  } else if (reference.transport == Transport::oras) {
    std::string_view text = reference.location;
    std::size_t slash = text.rfind('/');
    std::size_t colon = text.rfind(':');
    if (text.find('@') == std::string_view::npos && colon != std::string_view::npos &&
        (slash == std::string_view::npos || colon > slash)) {
      tag = std::string(text.substr(colon + 1));
    }
  } else if (reference.transport == Transport::docker_archive && !tag.empty()) {
    tag = tag.substr(tag.rfind(':') + 1);
  }
  return valid_tag(tag) ? tag : "latest";
}

cache::RefKey ref_key(const ImageReference& reference, const std::string& platform) {
  return cache::RefKey{reference.canonical(), platform};
}

} // namespace sifkit::registry
