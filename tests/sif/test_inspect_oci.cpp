// The OCI view of sif-inspect: images, platforms, config summary, layers, history.
#include <sif/inspect_oci.h>
#include <sif/oci_config.h>

#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace sifkit;
using namespace sifkit::sif;

namespace {

const char* const k_docker_manifest =
    "oci-sif-upstream/pkg/sif/testdata/TestWrite/DockerManifest.golden";
const char* const k_manifest_list =
    "oci-sif-upstream/pkg/sif/testdata/TestRemoveManifests/Valid.golden";

} // namespace

TEST_CASE("the OCI view of a one-image OCI-SIF shows its platform, config and layer",
          "[inspect][oci]") {
  auto image = Image::open(test::fixture(k_docker_manifest));
  REQUIRE(image.has_value());
  auto view = oci_json(*image);
  REQUIRE(view.has_value());
  const auto& images = (*view)["images"];
  REQUIRE(images.size() == 1);
  const auto& img = images[0];
  CHECK(img["manifest_digest"] ==
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338");
  CHECK(img["platform"] == "linux/arm64/v8");
  CHECK(img["parent_index"].is_null());
  CHECK(img["config"]["cmd"] == nlohmann::json::array({"/hello"}));
  CHECK(img["config"]["env"][0] ==
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  REQUIRE(img["layers"].size() == 1);
  CHECK(img["layers"][0]["size"] == 3208);
  CHECK(img["layers"][0]["digest"] ==
        "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01");
  CHECK(img["history"].size() == 2);
  CHECK(img["history"][1]["empty_layer"] == true);

  auto text = format_oci(*image);
  REQUIRE(text.has_value());
  CHECK(text->find("Platform:    linux/arm64/v8") != std::string::npos);
  CHECK(text->find("Cmd:         [\"/hello\"]") != std::string::npos);
}

TEST_CASE("the OCI view walks a nested manifest list and lists every platform", "[inspect][oci]") {
  auto image = Image::open(test::fixture(k_manifest_list));
  REQUIRE(image.has_value());
  auto view = oci_json(*image);
  REQUIRE(view.has_value());
  std::vector<std::string> platforms;
  for (const auto& img : (*view)["images"]) {
    platforms.push_back(img["platform"].get<std::string>());
    CHECK_FALSE(img["parent_index"].is_null());
  }
  CHECK(platforms == std::vector<std::string>{"linux/amd64", "linux/arm/v5", "linux/arm/v7",
                                              "linux/arm64/v8", "linux/386", "linux/mips64le",
                                              "linux/ppc64le", "linux/riscv64", "linux/s390x"});
}

TEST_CASE("the OCI view of a plain SIF is not_found", "[inspect][oci]") {
  auto image = Image::open(test::fixture("sif-upstream/test/images/one-group.sif"));
  REQUIRE(image.has_value());
  auto view = oci_json(*image);
  REQUIRE_FALSE(view.has_value());
  CHECK(view.error().kind() == ErrorKind::not_found);
  CHECK(view.error().what().find("not an OCI-SIF") != std::string::npos);
}

TEST_CASE("image configs parse runtime defaults, diff IDs and history", "[oci]") {
  auto config = oci::parse_image_config(R"({
    "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"User": "1000:1000", "Entrypoint": ["/bin/sh", "-c"], "Cmd": null,
               "Env": ["A=1"], "WorkingDir": "/home/app", "Labels": {"k": "v"},
               "ExposedPorts": {"80/tcp": {}}},
    "rootfs": {"type": "layers", "diff_ids":
      ["sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"]},
    "history": [{"created_by": "x", "empty_layer": true}, {"comment": "y"}]})");
  REQUIRE(config.has_value());
  CHECK(config->platform.to_string() == "linux/amd64");
  CHECK(config->config.user == "1000:1000");
  CHECK(config->config.entrypoint == std::vector<std::string>{"/bin/sh", "-c"});
  CHECK(config->config.cmd.empty());
  CHECK(config->config.labels.at("k") == "v");
  CHECK(config->config.exposed_ports == std::vector<std::string>{"80/tcp"});
  CHECK(config->diff_ids.size() == 1);
  REQUIRE(config->history.size() == 2);
  CHECK(config->history[0].empty_layer);
  CHECK(config->history[1].comment == "y");
}

TEST_CASE("malformed image configs are corrupt input, never a crash", "[oci][hostile]") {
  for (const char* bad : {"", "[]", "{", R"({"config": 3})", R"({"config": {"Env": "A=1"}})",
                          R"({"config": {"Cmd": [1]}})", R"({"config": {"Labels": {"a": 1}}})",
                          R"({"rootfs": {"diff_ids": ["sha256:../../x"]}})", R"({"history": [1]})",
                          R"({"history": [{"empty_layer": "yes"}]})", R"({"architecture": 5})"}) {
    INFO(bad);
    auto config = oci::parse_image_config(bad);
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind() == ErrorKind::corrupt_input);
  }
}

TEST_CASE("an image config nested deeper than any OCI document is refused as a whole",
          "[oci][hostile]") {
  // Where nothing reads it, as an unknown key, and where the reader would refuse the type.
  for (const std::string key : {"unknown", "Labels"}) {
    std::string text = R"({"config": {")" + key + R"(": )" + std::string(100000, '[') +
                       std::string(100000, ']') + "}}";
    INFO(key);
    auto config = oci::parse_image_config(text);
    REQUIRE_FALSE(config.has_value());
    CHECK(config.error().kind() == ErrorKind::corrupt_input);
    CHECK(config.error().what() == "image config is nested too deeply");
  }
  auto larger = oci::parse_image_config(R"({"created": ")" + std::string(5 << 20, 'x') + "\"}");
  REQUIRE_FALSE(larger.has_value());
  CHECK(larger.error().kind() == ErrorKind::corrupt_input);
}
