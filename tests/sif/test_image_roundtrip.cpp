// Every upstream SIF parses, and writing its header and descriptor table back leaves the
// file byte-for-byte unchanged.
#include "support/fixtures.h"

#include <sif/image.h>

#include <catch2/catch.hpp>

#include <filesystem>

using namespace sifkit;
using namespace sifkit::sif;
namespace fs = std::filesystem;

namespace {

std::vector<std::string> sif_fixtures() {
  std::vector<std::string> out;
  for (const char* dir : {"sif-upstream/test/images", "oci-sif-upstream/pkg/sif/testdata",
                          "oci-sif-upstream/pkg/sourcesink/testdata/TestSIFWrite"}) {
    for (const auto& entry : fs::recursive_directory_iterator(test::fixture(dir))) {
      auto ext = entry.path().extension();
      if (entry.is_regular_file() && (ext == ".sif" || ext == ".golden")) {
        out.push_back(entry.path().string());
      }
    }
  }
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("every upstream SIF parses and round-trips byte for byte", "[sif][golden]") {
  auto files = sif_fixtures();
  REQUIRE(files.size() >= 40);
  for (const auto& path : files) {
    INFO(path);
    test::TempDir dir;
    std::string copy = dir.file("copy.sif");
    fs::copy_file(path, copy);
    fs::permissions(copy, fs::perms::owner_read | fs::perms::owner_write);
    {
      auto image = Image::open(copy, OpenMode::read_write);
      REQUIRE(image.has_value());
      CHECK(image->header().descriptors_total >= 0);
      for (const Descriptor* d : image->descriptors()) {
        auto data = image->read_object(*d);
        REQUIRE(data.has_value());
        CHECK(static_cast<std::int64_t>(data->size()) == d->size);
      }
      REQUIRE(image->write_metadata().has_value());
    }
    CHECK(test::file_bytes(copy) == test::file_bytes(path));
  }
}

TEST_CASE("upstream images expose the objects their README describes", "[sif]") {
  auto image = Image::open(test::fixture("sif-upstream/test/images/one-group.sif"));
  REQUIRE(image.has_value());
  CHECK(image->header().arch_name() == "386");
  CHECK(image->header().data_offset == 32176);
  auto objects = image->descriptors();
  REQUIRE(objects.size() == 2);
  CHECK(objects[0]->offset == 32768);
  CHECK(objects[0]->size_with_padding == 596);
  CHECK(objects[1]->offset == 36864);
  CHECK(objects[1]->partition()->part_type == static_cast<int>(PartType::primary_system));

  auto legacy = Image::open(test::fixture("sif-upstream/test/images/one-group-signed-legacy.sif"));
  REQUIRE(legacy.has_value());
  CHECK(format_uuid(legacy->header().id) == "6ecc76b7-a497-4f7f-9ebd-8da2a04c6be1");
  CHECK(legacy->header().launch_script_text() == "#!/usr/bin/env run-singularity\n");
  CHECK(legacy->header().data_offset == 32768);

  auto oci = Image::open(test::fixture("sif-upstream/test/images/one-object-oci-blob.sif"));
  REQUIRE(oci.has_value());
  CHECK(oci->descriptors()[0]->oci_digest_text() ==
        "sha256:a88b15e95042f7d5a1327c03c57e10bdc1cf5f5efc2968fc73c12b6f5b00c731");
}
