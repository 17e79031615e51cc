#pragma once

// Image references of the docker:// transport, `[host[:port]/]repo[:tag][@digest]`, read
// and normalised as Docker does (distribution/reference): no host → docker.io, official
// images → library/<name>, no tag and no digest → :latest.
#include <common/digest.h>
#include <common/error.h>

#include <string>
#include <string_view>

namespace sifkit::registry {

// The domain Docker Hub images are named under, and the host that serves its API.
inline constexpr std::string_view k_docker_hub_domain = "docker.io";
inline constexpr std::string_view k_docker_hub_host = "registry-1.docker.io";

struct DockerReference {
  std::string domain;     // "docker.io", "localhost:5000", "quay.io"
  std::string repository; // "library/busybox"
  std::string tag;        // empty only when `digest` is set and no tag was given
  Digest digest;          // empty unless the reference pins one

  // Parses `text` (without "docker://"); `usage` naming what is wrong (uppercase
  // repository, bad tag, bad digest, name too long, ...).
  static Result<DockerReference> parse(std::string_view text);

  // The host[:port] to send API requests to ("registry-1.docker.io" for docker.io).
  std::string registry_host() const;
  // The tag or digest manifests are fetched by (the digest when both are given).
  std::string manifest_reference() const;
  // Canonical form: "docker.io/library/busybox:latest", "host:5000/a/b@sha256:...".
  std::string to_string() const;
};

} // namespace sifkit::registry
