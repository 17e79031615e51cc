#include <registry/oci_layout_writer.h>
#include <sif/oci_layout.h>

#include <cstdlib>

#include "pull_support.h"

using namespace sifkit;
using namespace sifkit::test;

namespace {

bool have(const char* program) {
  return run_command(std::string("command -v ") + program).exit_code == 0;
}

} // namespace

TEST_CASE("writes a pulled image as an OCI layout that reads back", "[pull]") {
  TempDir dir;
  auto cache = open_test_cache(dir);
  auto pulled = pull_text(cache, "oci:" + image_fixture("hello-world-docker-v2-manifest-list"),
                          "linux/amd64");
  REQUIRE(pulled);
  std::string out = dir.file("out");
  auto written = registry::write_oci_layout(cache, *pulled, out, "v1");
  REQUIRE(written);
  // A Docker v2 manifest becomes the equivalent OCI manifest.
  CHECK(written->media_type == oci::k_media_oci_manifest);
  CHECK(written->digest != pulled->manifest_digest);
  // A second image into the same layout keeps the first.
  auto many = pull_text(cache, "oci:" + image_fixture("many-layers"));
  REQUIRE(many);
  REQUIRE(registry::write_oci_layout(cache, *many, out, "many"));
  REQUIRE(registry::write_oci_layout(cache, *many, out, "many")); // idempotent

  auto layout = oci::OciLayout::open(out);
  REQUIRE(layout);
  REQUIRE(layout->index().manifests.size() == 2);
  CHECK(layout->index().manifests[0].ref_name() == "v1");
  CHECK(layout->index().manifests[0].digest == written->digest);
  REQUIRE(layout->index().manifests[0].platform);
  CHECK(layout->index().manifests[0].platform->to_string() == "linux/amd64");

  // Reading it back through oci: gives the same image and fetches nothing new.
  auto again = pull_text(cache, "oci:" + out + ":many");
  REQUIRE(again);
  CHECK(again->config.digest == many->config.digest);
  CHECK(again->layers.size() == many->layers.size());
  CHECK(again->bytes_fetched == 0);

  if (have("skopeo")) {
    auto inspect = run_command("skopeo inspect --raw oci:" + out + ":v1");
    INFO(inspect.err);
    CHECK(inspect.exit_code == 0);
    CHECK(Digest::of(inspect.out) == written->digest);
    auto config = run_command("skopeo inspect --config oci:" + out + ":many");
    INFO(config.err);
    CHECK(config.exit_code == 0);
  } else {
    SIFKIT_SKIP(program, "skopeo not installed: the skopeo read-back");
  }
  if (have("umoci")) {
    auto ls = run_command("umoci ls --layout " + out);
    INFO(ls.err);
    CHECK(ls.exit_code == 0);
    CHECK_THAT(ls.out, Catch::Contains("v1") && Catch::Contains("many"));
  } else {
    SIFKIT_SKIP(program, "umoci not installed: the umoci read-back");
  }
}
