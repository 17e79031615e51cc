// Reading OCI-SIFs: every upstream golden opens, its blobs resolve and verify, and the
// sourcesink TestSIFGet / TestSIFBlob goldens equal what the reader returns.
#include "sif/oci_support.h"

#include <sif/oci_select.h>
#include <sif/oci_sif.h>
#include <sif/oci_walk.h>

#include <set>

using namespace sifkit;
using namespace sifkit::test;

namespace {

const char* k_sif_goldens[] = {
    "pkg/sif/testdata/TestAppendImage/Default.golden",
    "pkg/sif/testdata/TestAppendImage/WithReference.golden",
    "pkg/sif/testdata/TestAppendIndex/Default.golden",
    "pkg/sif/testdata/TestAppendIndex/WithReference.golden",
    "pkg/sif/testdata/TestAppendMultiple/image.golden",
    "pkg/sif/testdata/TestRemoveBlob/Valid.golden",
    "pkg/sif/testdata/TestRemoveManifests/NilMatcher.golden",
    "pkg/sif/testdata/TestRemoveManifests/NoMatch.golden",
    "pkg/sif/testdata/TestRemoveManifests/Valid.golden",
    "pkg/sif/testdata/TestReplace/ReplaceImageManifest.golden",
    "pkg/sif/testdata/TestReplace/ReplaceImageManifestList.golden",
    "pkg/sif/testdata/TestReplace/ReplaceImageNilMatcher.golden",
    "pkg/sif/testdata/TestReplace/ReplaceImageNoMatch.golden",
    "pkg/sif/testdata/TestReplace/ReplaceIndexManifest.golden",
    "pkg/sif/testdata/TestReplace/ReplaceIndexManifestList.golden",
    "pkg/sif/testdata/TestReplace/ReplaceIndexNilMatcher.golden",
    "pkg/sif/testdata/TestReplace/ReplaceIndexNoMatch.golden",
    "pkg/sif/testdata/TestUpdate/AddImage.golden",
    "pkg/sif/testdata/TestUpdate/AddImageIndex.golden",
    "pkg/sif/testdata/TestUpdate/AddLayer.golden",
    "pkg/sif/testdata/TestUpdate/RemoveOKNoTemp.golden",
    "pkg/sif/testdata/TestUpdate/ReplaceLayers.golden",
    "pkg/sif/testdata/TestWrite/DockerManifest.golden",
    "pkg/sif/testdata/TestWrite/DockerManifestList.golden",
    "pkg/sif/testdata/TestWrite/ManyLayers.golden",
    "pkg/sif/testdata/TestWrite/SpareDescriptor.golden",
    "pkg/sourcesink/testdata/TestSIFWrite/ImageDefaults.golden",
    "pkg/sourcesink/testdata/TestSIFWrite/ImageWithReference.golden",
    "pkg/sourcesink/testdata/TestSIFWrite/IndexDefaults.golden",
    "pkg/sourcesink/testdata/TestSIFWrite/IndexWithReference.golden",
};

std::string read_all(ByteSource source) {
  std::string out;
  std::byte buf[4096];
  for (;;) {
    auto n = source(buf);
    REQUIRE_OK(n);
    if (*n == 0) {
      return out;
    }
    out.append(reinterpret_cast<const char*>(buf), *n);
  }
}

oci::Platform platform(const char* text) {
  auto p = oci::Platform::parse(text);
  REQUIRE_OK(p);
  return *p;
}

} // namespace

TEST_CASE("every upstream OCI-SIF golden opens and its blobs resolve", "[oci]") {
  for (const char* golden : k_sif_goldens) {
    INFO(golden);
    sif::Image image = open_image(fixture(std::string("oci-sif-upstream/") + golden));
    REQUIRE(oci::is_oci_sif(image));
    auto view = oci::OciSif::open(image);
    REQUIRE_OK(view);
    CHECK(view->root_index_digest() == oci::Digest::of(view->root_index_bytes()));

    oci::ManifestReader read = [&](const oci::Descriptor& d) { return view->read_blob(d.digest); };
    auto entries = oci::walk_index(view->root_index(), read, oci::UnknownMediaType::reject);
    REQUIRE_OK(entries);
    bool layer_removed = std::string(golden).find("TestRemoveBlob") != std::string::npos;
    std::size_t blobs = 0;
    for (const oci::WalkEntry& entry : *entries) {
      auto stream = view->open_blob(entry.descriptor.digest);
      if (layer_removed && entry.kind == oci::BlobKind::layer) {
        REQUIRE_FALSE(stream);
        CHECK(stream.error().kind() == ErrorKind::not_found);
        continue;
      }
      REQUIRE_OK(stream);
      CHECK(stream->size == entry.descriptor.size);
      CHECK(read_all(stream->source).size() == static_cast<std::size_t>(entry.descriptor.size));
      ++blobs;
    }
    // Every OCI.Blob object is referenced, and nothing else is stored.
    std::size_t stored = image.select([](const sif::Descriptor& d) {
                                return d.type() == sif::DataType::oci_blob;
                              }).size();
    CHECK(stored == blobs);

    auto images = oci::list_images(*view);
    REQUIRE_OK(images);
    for (const auto& entry : *images) {
      auto resolved = oci::resolve_image(*view, entry.descriptor);
      REQUIRE_OK(resolved);
      CHECK(oci::Digest::of(resolved->manifest_bytes) == entry.descriptor.digest);
    }
  }
}

TEST_CASE("lists the images of a manifest list with their platforms", "[oci]") {
  sif::Image image = open_image(sif_golden("TestWrite/DockerManifestList.golden"));
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  auto images = oci::list_images(*view);
  REQUIRE_OK(images);
  std::vector<std::string> platforms;
  for (const auto& entry : *images) {
    platforms.push_back(entry.platform.to_string());
  }
  CHECK(platforms == std::vector<std::string>{"linux/amd64", "linux/arm/v5", "linux/arm/v7",
                                              "linux/arm64/v8", "linux/386", "linux/mips64le",
                                              "linux/ppc64le", "linux/riscv64", "linux/s390x"});

  auto s390x = oci::select_image(*view, {std::nullopt, platform("linux/s390x")});
  REQUIRE_OK(s390x);
  CHECK(s390x->descriptor.digest.text() ==
        "sha256:c7b6944911848ce39b44ed660d95fb54d69bbd531de724c7ce6fc9f743c0b861");
  CHECK(s390x->platform.architecture == "s390x");

  auto none = oci::select_image(*view, {std::nullopt, platform("linux/m68k")});
  REQUIRE_FALSE(none);
  CHECK(none.error().kind() == ErrorKind::not_found);

  auto host = oci::select_image(*view);
  if (oci::host_platform().architecture == "amd64") {
    REQUIRE_OK(host);
    CHECK(host->platform.to_string() == "linux/amd64");
  }
}

TEST_CASE("takes an image's platform from its config when the index has none", "[oci]") {
  sif::Image image = open_image(sif_golden("TestWrite/DockerManifest.golden"));
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  auto images = oci::list_images(*view);
  REQUIRE_OK(images);
  REQUIRE(images->size() == 1);
  CHECK(images->front().platform.to_string() == "linux/arm64/v8");
  // The only image is the default, whatever the host.
  auto selected = oci::select_image(*view);
  REQUIRE_OK(selected);
  CHECK(selected->manifest.layers.size() == 1);
}

TEST_CASE("returns the manifests and blobs upstream's TestSIFGet and TestSIFBlob expect",
          "[oci]") {
  sif::Image image_sif = open_image(sourcesink_golden("TestSIFWrite/ImageDefaults.golden"));
  sif::Image index_sif = open_image(sourcesink_golden("TestSIFWrite/IndexDefaults.golden"));
  auto image_view = oci::OciSif::open(image_sif);
  auto index_view = oci::OciSif::open(index_sif);
  REQUIRE_OK(image_view);
  REQUIRE_OK(index_view);

  SECTION("the single root entry by default") {
    auto image = image_view->read_blob(image_view->root_index().manifests.at(0).digest);
    REQUIRE_OK(image);
    CHECK(*image == file_bytes(sourcesink_golden("TestSIFGet/ImageDefaults.golden")));
    auto index = index_view->read_blob(index_view->root_index().manifests.at(0).digest);
    REQUIRE_OK(index);
    CHECK(*index == file_bytes(sourcesink_golden("TestSIFGet/IndexDefaults.golden")));
  }
  SECTION("by platform") {
    auto image = oci::select_image(*image_view, {std::nullopt, platform("linux/arm64/v8")});
    REQUIRE_OK(image);
    CHECK(image->manifest_bytes ==
          file_bytes(sourcesink_golden("TestSIFGet/ImagePlatform.golden")));
    auto index = oci::select_image(*index_view, {std::nullopt, platform("linux/arm64/v8")});
    REQUIRE_OK(index);
    CHECK(index->manifest_bytes ==
          file_bytes(sourcesink_golden("TestSIFGet/IndexPlatform.golden")));
  }
  SECTION("by digest") {
    auto image = image_view->read_blob(*oci::Digest::parse(
        "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338"));
    REQUIRE_OK(image);
    CHECK(*image == file_bytes(sourcesink_golden("TestSIFGet/ImageDigest.golden")));
    auto index = index_view->read_blob(*oci::Digest::parse(
        "sha256:00e1ee7c898a2c393ea2fe7680938f8dcbe55e51fbf08032cf37326a677f92ed"));
    REQUIRE_OK(index);
    CHECK(*index == file_bytes(sourcesink_golden("TestSIFGet/IndexDigest.golden")));
  }
  SECTION("config and layer blobs") {
    auto image = oci::select_image(*image_view);
    REQUIRE_OK(image);
    CHECK(image->config_bytes == file_bytes(sourcesink_golden("TestSIFBlob/ImageConfig.golden")));
    auto layer = image_view->open_blob(image->manifest.layers.at(0).digest);
    REQUIRE_OK(layer);
    CHECK(read_all(layer->source) == file_bytes(sourcesink_golden("TestSIFBlob/ImageLayer.golden")));
  }
}

TEST_CASE("a plain SIF is not an OCI-SIF", "[oci]") {
  TempDir dir;
  auto image = sif::Image::create(dir.file("plain.sif"), sif::CreateOptions::deterministic());
  REQUIRE_OK(image);
  CHECK_FALSE(oci::is_oci_sif(*image));
  auto view = oci::OciSif::open(*image);
  REQUIRE_FALSE(view);
  CHECK(view.error().kind() == ErrorKind::not_found);
}

TEST_CASE("a blob whose stored bytes do not match its digest fails when read", "[oci]") {
  TempDir dir;
  std::string path = dir.file("copy.sif");
  copy_file(sif_golden("TestWrite/DockerManifest.golden"), path);
  {
    // Flip one byte of the layer (object 1 at offset 6436).
    auto file = File::open(path, OpenMode::read_write);
    REQUIRE_OK(file);
    std::byte b{};
    REQUIRE_OK(file->pread_exact(std::span(&b, 1), 6500));
    b ^= std::byte{0x01};
    REQUIRE_OK(file->pwrite_all(std::span(&b, 1), 6500));
  }
  sif::Image image = open_image(path);
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  auto layer = view->read_blob(*oci::Digest::parse(
      "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01"));
  REQUIRE_FALSE(layer);
  CHECK(layer.error().kind() == ErrorKind::corrupt_input);
}

TEST_CASE("a blob stored twice cannot be addressed", "[oci]") {
  TempDir dir;
  std::string path = dir.file("copy.sif");
  copy_file(sif_golden("TestWrite/SpareDescriptor.golden"), path);
  sif::Image image = open_image(path, OpenMode::read_write);
  auto layer = *oci::Digest::parse(
      "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01");
  sif::ObjectInput dup;
  dup.type = sif::DataType::oci_blob;
  dup.data = source_from_string(fixture_bytes(
      "oci-sif-upstream/test/images/hello-world-docker-v2-manifest/blobs/sha256/" +
      std::string(layer.hex())));
  REQUIRE_OK(image.add_object(std::move(dup)));
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  auto found = view->find_blob(layer);
  REQUIRE_FALSE(found);
  CHECK(found.error().kind() == ErrorKind::corrupt_input);
}
