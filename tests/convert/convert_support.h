#pragma once

// Test images for the conversion tests: an OCI layout whose config carries Env, Cmd, a
// creation time and a history, and whose manifest has annotations, built in the test.
#include <common/digest.h>
#include <common/sha256.h>

#include <string>
#include <vector>

#include "convert/image_builder.h"
#include <nlohmann/json.hpp>

namespace sifkit::test {

struct TestImage {
  std::string dir;                      // the OCI layout
  Digest manifest;                      // its one manifest
  std::vector<std::string> layer_blobs; // blob files, oldest first
};

inline constexpr const char* k_test_created = "2024-01-02T03:04:05Z";

// Writes an OCI layout in `dir` holding `layers` (gzip tars) with media type
// `layer_media_type`, tagged "test".
inline TestImage write_test_image(
    const std::string& dir, const std::vector<Layer>& layers,
    const std::string& layer_media_type = "application/vnd.oci.image.layer.v1.tar+gzip") {
  TestImage image{dir, {}, {}};
  write_bytes(dir + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
  auto add_blob = [&dir](const std::string& bytes, const std::string& media_type) {
    std::string hex = sha256_hex(bytes);
    write_bytes(dir + "/blobs/sha256/" + hex, bytes);
    return nlohmann::ordered_json{{"mediaType", media_type},
                                  {"digest", "sha256:" + hex},
                                  {"size", static_cast<std::int64_t>(bytes.size())}};
  };
  auto diff_ids = nlohmann::ordered_json::array();
  auto descriptors = nlohmann::ordered_json::array();
  auto history = nlohmann::ordered_json::array();
  for (const Layer& layer : layers) {
    std::string tar = build_tar(layer);
    diff_ids.push_back("sha256:" + sha256_hex(tar));
    auto d = add_blob(gzip(tar), layer_media_type);
    image.layer_blobs.push_back(dir + "/blobs/sha256/" + d["digest"].get<std::string>().substr(7));
    descriptors.push_back(d);
    history.push_back({{"created", k_test_created}, {"created_by", "ADD layer"}});
  }
  nlohmann::ordered_json config = {{"created", k_test_created},
                                   {"architecture", "amd64"},
                                   {"os", "linux"},
                                   {"config",
                                    {{"Env", {"PATH=/usr/bin:/bin", "GREETING=hello"}},
                                     {"Cmd", {"/bin/sh", "-c", "echo $GREETING"}},
                                     {"WorkingDir", "/srv"}}},
                                   {"rootfs", {{"type", "layers"}, {"diff_ids", diff_ids}}},
                                   {"history", history}};
  nlohmann::ordered_json manifest = {
      {"schemaVersion", 2},
      {"mediaType", "application/vnd.oci.image.manifest.v1+json"},
      {"config", add_blob(config.dump(), "application/vnd.oci.image.config.v1+json")},
      {"layers", descriptors},
      {"annotations", {{"org.example.team", "convert"}}}};
  auto m = add_blob(manifest.dump(), "application/vnd.oci.image.manifest.v1+json");
  image.manifest = *Digest::parse(m["digest"].get<std::string>());
  m["annotations"] = {{"org.opencontainers.image.ref.name", "test"}};
  nlohmann::ordered_json index = {{"schemaVersion", 2},
                                  {"manifests", nlohmann::ordered_json::array({m})}};
  write_bytes(dir + "/index.json", index.dump());
  return image;
}

// Two layers: a base with /etc and /bin, and an upper one that replaces a file and
// removes another.
inline std::vector<Layer> two_layers() {
  return {{tar_dir("etc"), tar_file("etc/motd", "base\n"), tar_file("etc/gone", "x"),
           tar_dir("bin"), tar_file("bin/tool", "#!/bin/sh\n", 0755)},
          {tar_dir("etc"), tar_file("etc/motd", "upper\n"), tar_whiteout("etc", "gone")}};
}

} // namespace sifkit::test
