// One image built by the test (several layers, whiteouts, an opaque directory,
// hardlinks across layers, devices, xattrs) reaches sif-squash through every source
// type — an OCI layout with gzip layers, the same with zstd layers, a real registry,
// an oci-archive and a docker-archive — and every path gives the same squashfs bytes.
#include <filesystem>
#include <string>

#include "convert/image_builder.h"
#include "convert/squash_scenario.h"
#include "registry/registry_fixture.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit::test;

namespace {

CommandResult checked(const std::string& command) {
  auto result = run_command(command);
  INFO(command << "\n" << result.err);
  REQUIRE(result.exit_code == 0);
  return result;
}

// sif-squash SOURCE to a raw squashfs; its sha256 (from the --json summary).
std::string squashfs_digest(const TempDir& dir, const std::string& source,
                            const std::string& name) {
  auto result = checked("'" + tool("sif-squash") + "' --quiet --json --insecure --cache '" +
                        dir.file("cache-" + name) + "' --format squashfs " + source + " -o '" +
                        dir.file(name + ".sqfs") + "'");
  auto summary = nlohmann::json::parse(result.out);
  REQUIRE(summary["squashfs"].size() == 1);
  return summary["squashfs"][0]["digest"];
}

} // namespace

TEST_CASE("every source type gives the same squashfs for the same image", "[squash]") {
  if (!have_program("skopeo")) {
    SIFKIT_SKIP(program, "skopeo (to re-encode and push the test image) is not installed");
    return;
  }
  TempDir dir;
  OciImage image = write_oci_image(dir.file("gzip"), rich_layers(), "v1");
  std::string gzip_layout = "oci:" + image.dir + ":v1";
  checked("skopeo copy -q --dest-compress-format zstd --dest-compress " + gzip_layout +
          " oci:" + dir.file("zstd") + ":v1");
  auto zstd_manifest = checked("skopeo inspect --raw oci:" + dir.file("zstd") + ":v1");
  CHECK_THAT(zstd_manifest.out, Catch::Contains("tar+zstd"));
  checked("skopeo copy -q " + gzip_layout + " oci-archive:" + dir.file("image.oci.tar") + ":v1");
  checked("skopeo copy -q " + gzip_layout + " docker-archive:" + dir.file("image.docker.tar") +
          ":test/image:v1");

  std::string expected = squashfs_digest(dir, gzip_layout, "oci-gzip");
  CHECK(squashfs_digest(dir, "oci:" + dir.file("zstd") + ":v1", "oci-zstd") == expected);
  CHECK(squashfs_digest(dir, "oci-archive:" + dir.file("image.oci.tar") + ":v1", "oci-archive") ==
        expected);
  CHECK(squashfs_digest(dir, "docker-archive:" + dir.file("image.docker.tar") + ":test/image:v1",
                        "docker-archive") == expected);

  SIFKIT_START_REGISTRY(registry, RegistryMode::plain);
  std::string ref = "docker://" + registry->host() + "/test/image:v1";
  checked("skopeo copy -q --dest-tls-verify=false oci:" + dir.file("zstd") + ":v1 " + ref);
  CHECK(squashfs_digest(dir, ref, "registry") == expected);
}
