#include <registry/reference.h>

#include <filesystem>

#include <catch2/catch.hpp>

using namespace sifkit;
using registry::parse_reference;
using registry::Transport;

TEST_CASE("parses every transport a user can name", "[pull]") {
  struct Row {
    std::string text;
    Transport transport;
    std::string location;
    std::string tag;
  };
  std::vector<Row> rows = {
      {"oci:/srv/layout", Transport::oci_dir, "/srv/layout", ""},
      {"oci:/srv/layout:v1.2", Transport::oci_dir, "/srv/layout", "v1.2"},
      {"oci-archive:/tmp/img.tar", Transport::oci_archive, "/tmp/img.tar", ""},
      {"oci-archive:/tmp/img.tar:latest", Transport::oci_archive, "/tmp/img.tar", "latest"},
      {"docker-archive:/tmp/s.tar", Transport::docker_archive, "/tmp/s.tar", ""},
      {"docker-archive:/tmp/s.tar:busybox:1.36", Transport::docker_archive, "/tmp/s.tar",
       "busybox:1.36"},
      {"docker://alpine:3.19", Transport::docker, "alpine:3.19", ""},
      {"docker://ghcr.io/org/app@sha256:" + std::string(64, 'a'), Transport::docker,
       "ghcr.io/org/app@sha256:" + std::string(64, 'a'), ""},
      {"ghcr.io/org/app:1", Transport::docker, "ghcr.io/org/app:1", ""},
      {"alpine", Transport::docker, "alpine", ""},
      {"localhost:5000/app:1", Transport::docker, "localhost:5000/app:1", ""},
      {"https://example.org/a.sif", Transport::http, "https://example.org/a.sif", ""},
      {"http://example.org/a.sif", Transport::http, "http://example.org/a.sif", ""},
      {"oras://ghcr.io/org/sif:1", Transport::oras, "ghcr.io/org/sif:1", ""},
      {"docker-daemon:alpine:3.19", Transport::docker_daemon, "alpine:3.19", ""},
  };
  for (const auto& row : rows) {
    INFO(row.text);
    auto ref = parse_reference(row.text);
    REQUIRE(ref);
    CHECK(ref->transport == row.transport);
    CHECK(ref->location == row.location);
    CHECK(ref->tag == row.tag);
  }
}

TEST_CASE("reads a pinned digest and an archive index", "[pull]") {
  std::string digest = "sha256:" + std::string(64, 'b');
  auto oci = parse_reference("oci:/srv/layout@" + digest);
  REQUIRE(oci);
  CHECK(oci->location == "/srv/layout");
  REQUIRE(oci->digest);
  CHECK(oci->digest->text() == digest);
  CHECK(oci->canonical() == "oci:/srv/layout@" + digest);

  auto archive = parse_reference("docker-archive:/tmp/s.tar@2");
  REQUIRE(archive);
  CHECK(archive->source_index == 2);
  CHECK(archive->canonical() == "docker-archive:/tmp/s.tar@2");
}

TEST_CASE("canonical text makes paths absolute and keeps the tag", "[pull]") {
  auto ref = parse_reference("oci:some/../dir:v1");
  REQUIRE(ref);
  std::string expected =
      "oci:" + (std::filesystem::current_path() / "dir").lexically_normal().string() + ":v1";
  CHECK(ref->canonical() == expected);
  CHECK(parse_reference("alpine:3.19")->canonical() == "docker://docker.io/library/alpine:3.19");
  CHECK(parse_reference("docker://localhost:5000/app")->canonical() ==
        "docker://localhost:5000/app:latest");
  CHECK(registry::default_tag(*parse_reference("docker://localhost:5000/app:v2")) == "v2");
  CHECK(registry::default_tag(*parse_reference("docker-archive:/f.tar:busybox:1.36")) == "1.36");
  CHECK(registry::default_tag(*parse_reference("oci:/dir")) == "latest");
  auto key = registry::ref_key(*ref, "linux/amd64");
  CHECK(key.name == expected);
  CHECK(key.platform == "linux/amd64");
}

TEST_CASE("rejects malformed references with a usage error", "[pull]") {
  for (std::string text :
       {"", "oci:", "oci::tag", "oci:/dir:bad/tag", "oci:/dir@sha256:xyz",
        "oci-archive:", "oci-archive:/f:bad tag", "docker-archive:", "docker-archive:/f:notag",
        "docker-archive:/f@x", "docker://", "oras://", "dir:/some/dir", "ftp://example.org/x"}) {
    INFO("\"" << text << "\"");
    auto ref = parse_reference(text);
    REQUIRE_FALSE(ref);
    CHECK(ref.error().kind() == ErrorKind::usage);
  }
}
