// Writing new OCI-SIFs (spec §13.2) against the upstream TestWrite goldens, and the
// failure behaviour of the writer on corrupt or hostile layouts.
#include "sif/oci_support.h"

#include <sif/oci_index_edit.h>
#include <sif/oci_json.h>
#include <sif/oci_sif.h>

#include <fstream>

using namespace sifkit;
using namespace sifkit::test;

namespace {

// A writable copy of layout `name` in `dir`.
std::string copy_layout(const TempDir& dir, const std::string& name) {
  std::string to = dir.file(name);
  std::filesystem::copy(oci_layout_path(name), to, std::filesystem::copy_options::recursive);
  return to;
}

void overwrite(const std::string& path, const std::string& data) {
  std::filesystem::permissions(path, std::filesystem::perms::owner_write,
                               std::filesystem::perm_options::add);
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out << data;
}

bool dir_has_only(const TempDir& dir, std::size_t count) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& entry : std::filesystem::directory_iterator(dir.path())) {
    ++n;
  }
  return n == count;
}

const char* k_hello_layer = "7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01";

} // namespace

TEST_CASE("writes one image in a fresh root index byte for byte (TestWrite/DockerManifest)",
          "[oci]") {
  TempDir dir;
  write_image_sif("hello-world-docker-v2-manifest", dir.file("out.sif"), 0);
  CHECK(file_bytes(dir.file("out.sif")) == file_bytes(sif_golden("TestWrite/DockerManifest.golden")));
}

TEST_CASE("leaves spare descriptors free (TestWrite/SpareDescriptor)", "[oci]") {
  TempDir dir;
  write_image_sif("hello-world-docker-v2-manifest", dir.file("out.sif"), 1);
  CHECK(file_bytes(dir.file("out.sif")) ==
        file_bytes(sif_golden("TestWrite/SpareDescriptor.golden")));
}

TEST_CASE("writes a Docker manifest list as the root index (TestWrite/DockerManifestList)",
          "[oci]") {
  TempDir dir;
  oci::OciLayout layout = open_layout("hello-world-docker-v2-manifest-list");
  REQUIRE(layout.index().manifests.size() == 1);
  auto list = oci::read_verified_blob(layout, layout.index().manifests[0].digest, std::nullopt);
  REQUIRE_OK(list);
  REQUIRE_OK(oci::write_oci_sif(dir.file("out.sif"), *list, layout));
  CHECK(file_bytes(dir.file("out.sif")) ==
        file_bytes(sif_golden("TestWrite/DockerManifestList.golden")));
}

TEST_CASE("writes an image with fifty layers (TestWrite/ManyLayers)", "[oci]") {
  TempDir dir;
  write_image_sif("many-layers", dir.file("out.sif"), 0);
  CHECK(file_bytes(dir.file("out.sif")) == file_bytes(sif_golden("TestWrite/ManyLayers.golden")));
}

TEST_CASE("stores a blob shared by two index entries once", "[oci]") {
  TempDir dir;
  oci::OciLayout layout = open_layout("hello-world-docker-v2-manifest");
  auto d = oci::describe_blob(layout, layout.index().manifests.front().digest);
  REQUIRE_OK(d);
  oci::Index index = oci::empty_index();
  oci::append_manifest(index, *d, std::string("a:1"));
  oci::append_manifest(index, *d, std::string("b:1"));
  REQUIRE_OK(oci::write_oci_sif(dir.file("out.sif"), oci::serialize_index(index), layout));
  sif::Image image = open_image(dir.file("out.sif"));
  CHECK(image.descriptors().size() == 4); // layer, config, manifest, root index
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  CHECK(view->find_blob(d->digest).has_value());
}

TEST_CASE("rejects a layout blob whose bytes do not match its digest, leaving no file",
          "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  std::string layer = layout_dir + "/blobs/sha256/" + k_hello_layer;
  std::string bytes = file_bytes(layer);
  bytes[100] = static_cast<char>(bytes[100] ^ 0x01);
  overwrite(layer, bytes);

  auto layout = oci::OciLayout::open(layout_dir);
  REQUIRE_OK(layout);
  auto written = oci::write_oci_sif(dir.file("out.sif"), layout->index_bytes(), *layout);
  REQUIRE_FALSE(written);
  CHECK(written.error().kind() == ErrorKind::corrupt_input);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.sif")));
  CHECK(dir_has_only(dir, 1)); // the layout copy; no temporary left behind
}

TEST_CASE("rejects a layout blob longer than its descriptor says", "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  std::string layer = layout_dir + "/blobs/sha256/" + k_hello_layer;
  overwrite(layer, file_bytes(layer) + "trailing");
  auto layout = oci::OciLayout::open(layout_dir);
  REQUIRE_OK(layout);
  auto written = oci::write_oci_sif(dir.file("out.sif"), layout->index_bytes(), *layout);
  REQUIRE_FALSE(written);
  CHECK(written.error().kind() == ErrorKind::corrupt_input);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.sif")));
}

TEST_CASE("reports a blob missing from the layout as not_found", "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  std::filesystem::remove(layout_dir + "/blobs/sha256/" + k_hello_layer);
  auto layout = oci::OciLayout::open(layout_dir);
  REQUIRE_OK(layout);
  auto written = oci::write_oci_sif(dir.file("out.sif"), layout->index_bytes(), *layout);
  REQUIRE_FALSE(written);
  CHECK(written.error().kind() == ErrorKind::not_found);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.sif")));
}

TEST_CASE("refuses a layout index that names a path instead of a digest", "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  overwrite(layout_dir + "/index.json",
            R"({"schemaVersion":2,"manifests":[{"mediaType":")" +
                std::string(oci::k_media_oci_manifest) +
                R"(","size":1,"digest":"sha256:../../etc/passwd"}]})");
  auto layout = oci::OciLayout::open(layout_dir);
  REQUIRE_FALSE(layout);
  CHECK(layout.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("refuses a layout index with wrong JSON types", "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  const char* hostile[] = {
      R"([])",
      R"({"schemaVersion":"2","manifests":[]})",
      R"({"schemaVersion":2,"manifests":"all"})",
      R"({"schemaVersion":2,"manifests":[7]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":5,"size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":"1","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":1.5,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","platform":[]}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000","annotations":{"a":1}}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":1}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":-1,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]})",
      R"({"schemaVersion":2,"manifests":[{"mediaType":"x","size":99999999999999999999,"digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}]})",
      R"({"schemaVersion":2,"manifests":[)",
  };
  for (const char* text : hostile) {
    INFO(text);
    overwrite(layout_dir + "/index.json", text);
    auto layout = oci::OciLayout::open(layout_dir);
    REQUIRE_FALSE(layout);
    CHECK(layout.error().kind() == ErrorKind::corrupt_input);
  }
}

TEST_CASE("refuses a directory that is not an OCI image layout", "[oci]") {
  TempDir dir;
  std::string layout_dir = copy_layout(dir, "hello-world-docker-v2-manifest");
  overwrite(layout_dir + "/oci-layout", R"({"imageLayoutVersion":"2.0.0"})");
  auto other_version = oci::OciLayout::open(layout_dir);
  REQUIRE_FALSE(other_version);
  CHECK(other_version.error().kind() == ErrorKind::unsupported);
  std::filesystem::remove(layout_dir + "/oci-layout");
  auto missing = oci::OciLayout::open(layout_dir);
  REQUIRE_FALSE(missing);
  CHECK(missing.error().kind() == ErrorKind::not_found);
}

TEST_CASE("refuses a manifest whose fields have wrong types while writing", "[oci]") {
  TempDir dir;
  oci::MemoryBlobSource blobs;
  std::string bad = R"({"schemaVersion":2,"config":{"mediaType":[]},"layers":{}})";
  oci::Descriptor d;
  d.media_type = std::string(oci::k_media_oci_manifest);
  d.digest = blobs.add(bad);
  d.size = static_cast<std::int64_t>(bad.size());
  auto written = oci::write_oci_sif(dir.file("out.sif"), oci::new_index_around(d), blobs);
  REQUIRE_FALSE(written);
  CHECK(written.error().kind() == ErrorKind::corrupt_input);
  CHECK_FALSE(std::filesystem::exists(dir.file("out.sif")));
}
