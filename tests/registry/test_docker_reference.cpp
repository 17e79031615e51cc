#include <registry/docker_reference.h>

#include <string>
#include <vector>

#include <catch2/catch.hpp>

namespace sifkit::registry {

namespace {
const std::string k_hex(64, 'a');
} // namespace

TEST_CASE("docker references are normalised as Docker does", "[registry]") {
  struct Row {
    std::string text, domain, repository, tag, digest, canonical, host;
  };
  const std::vector<Row> rows = {
      {"busybox", "docker.io", "library/busybox", "latest", "", "docker.io/library/busybox:latest",
       "registry-1.docker.io"},
      {"busybox:1.36", "docker.io", "library/busybox", "1.36", "", "docker.io/library/busybox:1.36",
       "registry-1.docker.io"},
      {"user/app", "docker.io", "user/app", "latest", "", "docker.io/user/app:latest",
       "registry-1.docker.io"},
      {"docker.io/busybox", "docker.io", "library/busybox", "latest", "",
       "docker.io/library/busybox:latest", "registry-1.docker.io"},
      {"index.docker.io/library/busybox:x", "docker.io", "library/busybox", "x", "",
       "docker.io/library/busybox:x", "registry-1.docker.io"},
      {"localhost/app", "localhost", "app", "latest", "", "localhost/app:latest", "localhost"},
      {"localhost:5000/a/b/c:v1.0-rc_1", "localhost:5000", "a/b/c", "v1.0-rc_1", "",
       "localhost:5000/a/b/c:v1.0-rc_1", "localhost:5000"},
      {"127.0.0.1:5000/x", "127.0.0.1:5000", "x", "latest", "", "127.0.0.1:5000/x:latest",
       "127.0.0.1:5000"},
      {"quay.io/org/img@sha256:" + k_hex, "quay.io", "org/img", "", "sha256:" + k_hex,
       "quay.io/org/img@sha256:" + k_hex, "quay.io"},
      {"quay.io/org/img:t@sha256:" + k_hex, "quay.io", "org/img", "t", "sha256:" + k_hex,
       "quay.io/org/img:t@sha256:" + k_hex, "quay.io"},
      {"Registry/app", "Registry", "app", "latest", "", "Registry/app:latest", "Registry"},
      {"a.b-c.d/x__y/z-1.2:T", "a.b-c.d", "x__y/z-1.2", "T", "", "a.b-c.d/x__y/z-1.2:T", "a.b-c.d"},
      {"[::1]:5000/app", "[::1]:5000", "app", "latest", "", "[::1]:5000/app:latest", "[::1]:5000"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto ref = DockerReference::parse(row.text);
    REQUIRE(ref);
    CHECK(ref->domain == row.domain);
    CHECK(ref->repository == row.repository);
    CHECK(ref->tag == row.tag);
    CHECK(ref->digest.text() == row.digest);
    CHECK(ref->to_string() == row.canonical);
    CHECK(ref->registry_host() == row.host);
    CHECK(ref->manifest_reference() == (row.digest.empty() ? row.tag : row.digest));
  }
}

TEST_CASE("malformed docker references are usage errors that say why", "[registry]") {
  struct Row {
    std::string text, why;
  };
  const std::vector<Row> rows = {
      {"", "empty"},
      {"Busybox", "lowercase"},
      {"docker.io/Library/busybox", "lowercase"},
      {"busybox:", "tag"},
      {"busybox:-x", "tag"},
      {"busybox:" + std::string(129, 'a'), "tag"},
      {"busybox@sha256:abc", "digest"},
      {"busybox@md5:" + k_hex, "digest"},
      {"host:5000/", "missing repository"},
      {"a//b", "path component"},
      {"a/-b", "path component"},
      {"a/b..c", "path component"},
      {"a/b_", "path component"},
      {"host:port/app", "host[:port]"},
      {"-host.com/app", "host[:port]"},
      {"example.com/" + std::string(250, 'a'), "255"},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto ref = DockerReference::parse(row.text);
    REQUIRE_FALSE(ref);
    CHECK(ref.error().kind() == ErrorKind::usage);
    CHECK_THAT(ref.error().what(), Catch::Contains(row.why));
  }
}

} // namespace sifkit::registry
