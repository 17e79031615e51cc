#pragma once

// A user's image reference ("oci:dir:tag", "docker://host/repo:tag", ...) split into
// its transport and the transport's details. Parsing never touches the file system or
// the network; opening the source (open_source.h) does.
#include <cache/records.h>
#include <common/digest.h>
#include <common/error.h>

#include <optional>
#include <string>
#include <string_view>

namespace sifkit::registry {

enum class Transport {
  docker,         // docker://REF (also a bare host/repo:tag)
  oci_dir,        // oci:DIR[:tag|@digest]
  oci_archive,    // oci-archive:FILE[:tag]
  docker_archive, // docker-archive:FILE[:repo:tag|@index]
  http,           // http(s)://URL of a SIF file
  oras,           // oras://REF
  docker_daemon,  // docker-daemon:REF
};

// The transport's prefix as users write it ("docker", "oci", "oci-archive", ...).
std::string_view to_string(Transport transport);

struct ImageReference {
  Transport transport = Transport::docker;
  // docker, oras, docker-daemon: the text after the prefix; http: the whole URL;
  // oci, oci-archive, docker-archive: the directory or file.
  std::string location;
  std::string tag;                 // oci, oci-archive: a tag; docker-archive: "repo:tag"
  std::optional<Digest> digest;    // oci: a pinned manifest digest
  std::optional<int> source_index; // docker-archive: "@N", the N-th image of manifest.json

  // The reference in one canonical text (paths made absolute and normalised, docker
  // names as docker_reference.h normalises them), used to name it in the cache and in
  // messages: "oci:/abs/dir:tag", "docker://docker.io/library/alpine:3.19".
  std::string canonical() const;
};

// Parses `text`. Fails with `usage` naming `text` when it is empty, names an unknown
// transport ("dir:/x"), lacks the path a transport needs, or has a malformed tag,
// digest or index.
Result<ImageReference> parse_reference(std::string_view text);

// The tag an OCI layout written from `reference` should carry: its own tag (the tag
// part of a docker reference or of docker-archive's "repo:tag"), else "latest".
std::string default_tag(const ImageReference& reference);

// The cache key of `reference` pulled for `platform` ("" when the reference names a
// single manifest rather than an index).
cache::RefKey ref_key(const ImageReference& reference, const std::string& platform);

} // namespace sifkit::registry
