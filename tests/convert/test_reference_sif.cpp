// convert/reference_sif: the one entry from a reference to the cache's OCI-SIF, for a
// docker-daemon: image (exported into the cache the entry opens), the docker-archive of
// the same image, and SIF references as each tool asks.
#include <convert/reference_sif.h>

#include <filesystem>
#include <string>

#include "registry/daemon_export_stub.h"
#include "support/fixtures.h"
#include "support/scoped_env.h"
#include <catch2/catch.hpp>

using namespace sifkit;
using namespace sifkit::test;

namespace fs = std::filesystem;

TEST_CASE("a docker-daemon: image is exported into the cache the entry opens and converts as "
          "its docker-archive does",
          "[convert][reference][docker-daemon]") {
  TempDir dir;
  write_docker_save(dir.file("save.tar"), "hello:1", {{"hello.txt", "hello", ""}});
  DaemonExportStub daemon(dir.file("docker.sock"), "hello:1", dir.file("save.tar"));
  ScopedEnv host("DOCKER_HOST", daemon.docker_host());
  convert::ReferenceSifOptions options;
  options.source.cache_dir = dir.file("cache");
  // What a tool might pass: the entry ignores it and uses the cache it opened.
  options.source.registry.work_cache = dir.file("elsewhere");

  auto exported = convert::reference_sif("docker-daemon:hello:1", options);
  INFO((exported ? "" : exported.error().what()));
  REQUIRE(exported);
  CHECK(daemon.exports() == 1);
  CHECK(exported->path.starts_with(dir.file("cache") + "/blobs/"));
  CHECK(exported->manifest.has_value());
  CHECK(exported->pulled.has_value());
  CHECK_FALSE(exported->reused);
  CHECK_FALSE(fs::exists(dir.file("elsewhere")));
  CHECK(fs::is_empty(dir.file("cache/tmp"))); // the export went with its source

  auto archived = convert::reference_sif("docker-archive:" + dir.file("save.tar"), options);
  REQUIRE(archived);
  CHECK(archived->manifest == exported->manifest);
  CHECK(archived->sif == exported->sif);
  CHECK(archived->reused);

  auto absent = convert::reference_sif("docker-daemon:nope:1", options);
  REQUIRE_FALSE(absent);
  CHECK(absent.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a SIF reference is fetched, or refused when the caller converts images only",
          "[convert][reference]") {
  TempDir dir;
  convert::ReferenceSifOptions options;
  options.source.cache_dir = dir.file("cache");
  auto fetched = convert::reference_sif("http://127.0.0.1:1/image.sif", options);
  REQUIRE_FALSE(fetched);
  CHECK(fetched.error().kind() == ErrorKind::network);

  options.sif_files = convert::SifFiles::refuse;
  auto refused = convert::reference_sif("http://127.0.0.1:1/image.sif", options);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::usage);
  CHECK_THAT(refused.error().what(), Catch::Contains("names a SIF file"));
}

TEST_CASE("a bad platform is refused before the cache is opened", "[convert][reference]") {
  TempDir dir;
  convert::ReferenceSifOptions options;
  options.source.cache_dir = dir.file("cache");
  options.source.platform = "linux";
  auto refused = convert::reference_sif("docker-archive:" + dir.file("none.tar"), options);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().kind() == ErrorKind::usage);
  CHECK_FALSE(fs::exists(dir.file("cache")));
}
