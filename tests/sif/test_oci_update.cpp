// Updating OCI-SIFs in place (spec §13.3) against the upstream goldens. The goldens that
// add go-containerregistry's random images cannot be regenerated, so those tests take
// the new blobs from the golden itself: start from the base SIF, apply the operation,
// and compare every byte (this checks slot reuse, zeroing, compaction and the order of
// deletes and adds, and the re-serialised root index).
#include "sif/oci_support.h"

#include <sif/oci_json.h>
#include <sif/oci_sif.h>
#include <sif/oci_update.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

const char* k_hello_layer =
    "sha256:7050e35b49f5e348c4809f5eff915842962cb813f32062d3bbdd35c750dd7d01";
const char* k_hello_manifest =
    "sha256:432f982638b3aefab73cc58ab28f5c16e96fdb504e8c134fc58dff4bae8bf338";
const char* k_hello_list =
    "sha256:00e1ee7c898a2c393ea2fe7680938f8dcbe55e51fbf08032cf37326a677f92ed";
const char* k_random_image =
    "sha256:e4ccb8ccf3c6e47f195a31b13bcf7f3a0075d06dabe450d373f2720f72bab898";
const char* k_random_image_2 =
    "sha256:e4b10cf7f46deb943dfcd738afa9bccebab0e5f765fa1464622f66952ea0bee4";
const char* k_random_index =
    "sha256:530cfe4c47e21838156cb43fe8e3be6fefcc3c2d8e7f4f575d7075a9b29b2343";
const char* k_random_index_2 =
    "sha256:f496e90ae3a039373f3fb2121e6086731c6d905c9a3e4b46b5bdfdd4968cd24b";

oci::Digest digest(const char* text) {
  auto d = oci::Digest::parse(text);
  REQUIRE_OK(d);
  return *d;
}

oci::Platform platform(const char* text) {
  auto p = oci::Platform::parse(text);
  REQUIRE_OK(p);
  return *p;
}

// The base of most goldens: the hello-world layout (index.json as root) + 8 spare.
std::string hello_world_base(const TempDir& dir) {
  std::string path = dir.file("base.sif");
  write_layout_sif("hello-world-docker-v2-manifest", path, oci::k_singularity_spare_descriptors);
  return path;
}

// The manifest-list layout (index.json as root, list nested) + 8 spare.
std::string manifest_list_base(const TempDir& dir) {
  std::string path = dir.file("base.sif");
  write_layout_sif("hello-world-docker-v2-manifest-list", path,
                   oci::k_singularity_spare_descriptors);
  return path;
}

// An OCI-SIF golden opened as the source of the blobs it holds.
struct GoldenBlobs {
  explicit GoldenBlobs(const std::string& path)
      : image(open_image(path)), view(std::move(*checked(oci::OciSif::open(image)))) {}
  static Result<oci::OciSif> checked(Result<oci::OciSif> r) {
    REQUIRE_OK(r);
    return r;
  }
  sif::Image image;
  oci::OciSif view;
};

} // namespace

TEST_CASE("removes one blob and leaves its slot and hole (TestRemoveBlob/Valid)", "[oci]") {
  TempDir dir;
  std::string path = hello_world_base(dir);
  sif::Image image = open_image(path, OpenMode::read_write);
  REQUIRE_OK(oci::remove_blob(image, digest(k_hello_layer)));
  CHECK(file_bytes(path) == file_bytes(sif_golden("TestRemoveBlob/Valid.golden")));
  auto again = oci::remove_blob(image, digest(k_hello_layer));
  REQUIRE_FALSE(again);
  CHECK(again.error().kind() == ErrorKind::not_found);
}

TEST_CASE("re-serialises the root index when removing manifests (TestRemoveManifests)",
          "[oci]") {
  auto [golden, matcher] = GENERATE(
      std::make_pair("TestRemoveManifests/Valid.golden", "linux/ppc64le"),
      std::make_pair("TestRemoveManifests/NoMatch.golden", "linux/m68k"),
      std::make_pair("TestRemoveManifests/NilMatcher.golden", ""));
  INFO(golden);
  TempDir dir;
  std::string path = manifest_list_base(dir);
  sif::Image image = open_image(path, OpenMode::read_write);
  oci::DescriptorMatcher match;
  if (*matcher != '\0') {
    match = oci::match_platform(platform(matcher));
  }
  REQUIRE_OK(oci::remove_manifests(image, match));
  CHECK(file_bytes(path) == file_bytes(sif_golden(golden)));
}

TEST_CASE("appends an image or index with and without a reference (TestAppend*)", "[oci]") {
  struct Case {
    const char* golden;
    const char* digest;
    bool index;
    const char* ref;
  };
  auto c = GENERATE(Case{"TestAppendImage/Default.golden", k_random_image, false, nullptr},
                    Case{"TestAppendImage/WithReference.golden", k_random_image, false,
                         "myimage:v1"},
                    Case{"TestAppendIndex/Default.golden", k_random_index, true, nullptr},
                    Case{"TestAppendIndex/WithReference.golden", k_random_index, true,
                         "myindex:v1"});
  INFO(c.golden);
  TempDir dir;
  std::string path = hello_world_base(dir);
  GoldenBlobs blobs(sif_golden(c.golden));
  sif::Image image = open_image(path, OpenMode::read_write);
  oci::AppendOptions options;
  if (c.ref != nullptr) {
    options.ref_name = c.ref;
  }
  auto appended = c.index ? oci::append_index(image, digest(c.digest), blobs.view, options)
                          : oci::append_image(image, digest(c.digest), blobs.view, options);
  REQUIRE_OK(appended);
  CHECK(file_bytes(path) == file_bytes(sif_golden(c.golden)));
}

TEST_CASE("moves a reference to the last image appended with it (TestAppendMultiple)",
          "[oci]") {
  TempDir dir;
  std::string path = hello_world_base(dir);
  GoldenBlobs blobs(sif_golden("TestAppendMultiple/image.golden"));
  sif::Image image = open_image(path, OpenMode::read_write);
  oci::AppendOptions options{std::string("myimage:v1")};
  REQUIRE_OK(oci::append_image(image, digest(k_random_image), blobs.view, options));
  REQUIRE_OK(oci::append_image(image, digest(k_random_image_2), blobs.view, options));
  CHECK(file_bytes(path) == file_bytes(sif_golden("TestAppendMultiple/image.golden")));
}

TEST_CASE("replaces matching manifests with an image or index (TestReplace)", "[oci]") {
  struct Case {
    const char* golden;
    bool list_base;
    const char* digest;
    const char* matcher;
  };
  auto c = GENERATE(
      Case{"TestReplace/ReplaceImageManifest.golden", false, k_random_image, "linux/arm64/v8"},
      Case{"TestReplace/ReplaceImageNoMatch.golden", false, k_random_image, "linux/m68k"},
      Case{"TestReplace/ReplaceImageNilMatcher.golden", false, k_random_image, ""},
      Case{"TestReplace/ReplaceImageManifestList.golden", true, k_random_image,
           "linux/arm64/v8"},
      Case{"TestReplace/ReplaceIndexManifest.golden", false, k_random_index_2, "linux/arm64/v8"},
      Case{"TestReplace/ReplaceIndexNoMatch.golden", false, k_random_index_2, "linux/m68k"},
      Case{"TestReplace/ReplaceIndexNilMatcher.golden", false, k_random_index_2, ""},
      Case{"TestReplace/ReplaceIndexManifestList.golden", true, k_random_index_2,
           "linux/arm64/v8"});
  INFO(c.golden);
  TempDir dir;
  std::string path = c.list_base ? manifest_list_base(dir) : hello_world_base(dir);
  GoldenBlobs blobs(sif_golden(c.golden));
  sif::Image image = open_image(path, OpenMode::read_write);
  oci::DescriptorMatcher match;
  if (*c.matcher != '\0') {
    match = oci::match_platform(platform(c.matcher));
  }
  REQUIRE_OK(oci::replace_manifests(image, digest(c.digest), blobs.view, match));
  CHECK(file_bytes(path) == file_bytes(sif_golden(c.golden)));
}

TEST_CASE("updates the root index keeping, deleting and adding blobs (TestUpdate)", "[oci]") {
  struct Case {
    const char* golden;
    const char* base_layout;
  };
  auto c = GENERATE(Case{"TestUpdate/AddLayer.golden", "hello-world-docker-v2-manifest"},
                    Case{"TestUpdate/AddImage.golden", "hello-world-docker-v2-manifest"},
                    Case{"TestUpdate/AddImageIndex.golden", "hello-world-docker-v2-manifest"},
                    Case{"TestUpdate/RemoveOKNoTemp.golden", "hello-world-docker-v2-manifest"},
                    Case{"TestUpdate/ReplaceLayers.golden", "many-layers"});
  INFO(c.golden);
  TempDir dir;
  std::string path = dir.file("base.sif");
  write_layout_sif(c.base_layout, path, oci::k_singularity_spare_descriptors);
  GoldenBlobs blobs(sif_golden(c.golden));
  sif::Image image = open_image(path, OpenMode::read_write);
  REQUIRE_OK(oci::update_root_index(image, blobs.view.root_index_bytes(), blobs.view));
  CHECK(file_bytes(path) == file_bytes(sif_golden(c.golden)));
}

TEST_CASE("does nothing when the new root index equals the stored one", "[oci]") {
  TempDir dir;
  std::string path = hello_world_base(dir);
  std::string before = file_bytes(path);
  sif::Image image = open_image(path, OpenMode::read_write);
  auto view = oci::OciSif::open(image);
  REQUIRE_OK(view);
  std::string same = view->root_index_bytes();
  oci::MemoryBlobSource none;
  REQUIRE_OK(oci::update_root_index(image, same, none));
  CHECK(file_bytes(path) == before);
}

TEST_CASE("appends to an OCI-SIF holding only an empty index (sourcesink TestSIFWrite)",
          "[oci]") {
  struct Case {
    const char* golden;
    std::int64_t capacity;
    const char* layout;
    const char* digest;
    bool index;
    const char* ref;
  };
  auto c = GENERATE(
      Case{"TestSIFWrite/ImageDefaults.golden", 5, "hello-world-docker-v2-manifest",
           k_hello_manifest, false, nullptr},
      Case{"TestSIFWrite/ImageWithReference.golden", 5, "hello-world-docker-v2-manifest",
           k_hello_manifest, false, "my:image"},
      Case{"TestSIFWrite/IndexDefaults.golden", 33, "hello-world-docker-v2-manifest-list",
           k_hello_list, true, nullptr},
      Case{"TestSIFWrite/IndexWithReference.golden", 33, "hello-world-docker-v2-manifest-list",
           k_hello_list, true, "my:image"});
  INFO(c.golden);
  TempDir dir;
  std::string path = dir.file("out.sif");
  oci::OciLayout layout = open_layout(c.layout);
  REQUIRE_OK(oci::write_oci_sif(path, oci::serialize_index(oci::empty_index()), layout,
                                {c.capacity - 1}));
  sif::Image image = open_image(path, OpenMode::read_write);
  oci::AppendOptions options;
  if (c.ref != nullptr) {
    options.ref_name = c.ref;
  }
  auto appended = c.index ? oci::append_index(image, digest(c.digest), layout, options)
                          : oci::append_image(image, digest(c.digest), layout, options);
  REQUIRE_OK(appended);
  CHECK(file_bytes(path) == file_bytes(sourcesink_golden(c.golden)));
}

TEST_CASE("an update with a corrupt new blob fails and leaves the image untouched", "[oci]") {
  TempDir dir;
  std::string path = hello_world_base(dir);
  std::string before = file_bytes(path);

  // A new image whose only layer's bytes do not match the digest its manifest names.
  oci::MemoryBlobSource blobs;
  std::string layer = "not what the manifest promised";
  oci::Digest claimed = oci::Digest::of("something else entirely!!!!!!!");
  oci::Digest config = blobs.add("{}");
  std::string manifest = R"({"schemaVersion":2,"mediaType":")" +
                         std::string(oci::k_media_oci_manifest) +
                         R"(","config":{"mediaType":"application/vnd.oci.empty.v1+json","size":2,"digest":")" +
                         config.text() + R"("},"layers":[{"mediaType":")" +
                         std::string(oci::k_media_oci_layer) + R"(","size":)" +
                         std::to_string(layer.size()) + R"(,"digest":")" + claimed.text() +
                         R"("}]})";
  oci::Digest manifest_digest = blobs.add(manifest);
  struct Lying : oci::BlobSource {
    const oci::MemoryBlobSource* inner;
    oci::Digest claimed;
    std::string layer;
    Result<oci::BlobStream> open_blob(const oci::Digest& d) const override {
      if (d == claimed) {
        return oci::BlobStream{source_from_string(layer),
                               static_cast<std::int64_t>(layer.size())};
      }
      return inner->open_blob(d);
    }
  } lying;
  lying.inner = &blobs;
  lying.claimed = claimed;
  lying.layer = layer;

  sif::Image image = open_image(path, OpenMode::read_write);
  auto appended = oci::append_image(image, manifest_digest, lying);
  REQUIRE_FALSE(appended);
  CHECK(appended.error().kind() == ErrorKind::corrupt_input);
  CHECK(file_bytes(path) == before);
}

TEST_CASE("an update that needs more descriptors than are free fails untouched", "[oci]") {
  TempDir dir;
  std::string path = dir.file("base.sif");
  write_layout_sif("hello-world-docker-v2-manifest", path, 0);
  std::string before = file_bytes(path);
  GoldenBlobs blobs(sif_golden("TestAppendImage/Default.golden"));
  sif::Image image = open_image(path, OpenMode::read_write);
  auto appended = oci::append_image(image, digest(k_random_image), blobs.view);
  REQUIRE_FALSE(appended);
  CHECK(appended.error().kind() == ErrorKind::capacity);
  CHECK(file_bytes(path) == before);
}

TEST_CASE("append_image refuses an index and append_index an image", "[oci]") {
  TempDir dir;
  std::string path = hello_world_base(dir);
  GoldenBlobs blobs(sif_golden("TestAppendIndex/Default.golden"));
  sif::Image image = open_image(path, OpenMode::read_write);
  auto wrong_image = oci::append_image(image, digest(k_random_index), blobs.view);
  REQUIRE_FALSE(wrong_image);
  CHECK(wrong_image.error().kind() == ErrorKind::usage);
  auto wrong_index = oci::append_index(image, digest(k_random_image), blobs.view);
  REQUIRE_FALSE(wrong_index);
  CHECK(wrong_index.error().kind() == ErrorKind::usage);
}
