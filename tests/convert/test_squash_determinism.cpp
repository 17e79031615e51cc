// Same layers and options give the same squashfs bytes, whatever the thread count.
#include <convert/squash.h>

#include "convert/squash_scenario.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sifkit::test {

namespace {

std::string squash_with(const TempDir& tmp, const std::vector<std::string>& blobs,
                        const std::string& name, convert::SquashOptions options) {
  std::string out = tmp.file(name);
  squash_files(blobs, out, options);
  return file_bytes(out);
}

} // namespace

TEST_CASE("converting the same layers twice gives byte-identical squashfs files", "[convert]") {
  TempDir tmp;
  OciImage image = write_oci_image(tmp.file("image"), rich_layers());
  convert::SquashOptions options;
  options.threads = 2;
  std::string first = squash_with(tmp, image.layer_blobs, "first.sqfs", options);
  std::string second = squash_with(tmp, image.layer_blobs, "second.sqfs", options);
  CHECK(first.size() % 4096 == 0);
  CHECK(first == second);
}

TEST_CASE("one, two and eight compression threads give byte-identical squashfs files",
          "[convert]") {
  TempDir tmp;
  OciImage image = write_oci_image(tmp.file("image"), rich_layers());
  for (auto compressor : {convert::Compressor::gzip, convert::Compressor::zstd}) {
    DYNAMIC_SECTION(convert::compressor_name(compressor)) {
      convert::SquashOptions options;
      options.compressor = compressor;
      std::string name{convert::compressor_name(compressor)};
      options.threads = 1;
      std::string one = squash_with(tmp, image.layer_blobs, name + "-1.sqfs", options);
      options.threads = 2;
      std::string two = squash_with(tmp, image.layer_blobs, name + "-2.sqfs", options);
      options.threads = 8;
      std::string eight = squash_with(tmp, image.layer_blobs, name + "-8.sqfs", options);
      CHECK(one == two);
      CHECK(one == eight);
    }
  }
}

TEST_CASE("the same layers under other file names and layer names give the same bytes",
          "[convert]") {
  TempDir tmp;
  OciImage image = write_oci_image(tmp.file("image"), rich_layers());
  std::vector<std::string> copies;
  for (std::size_t i = 0; i < image.layer_blobs.size(); ++i) {
    copies.push_back(tmp.file(fmt::format("copy-{}.tar.gz", i)));
    write_bytes(copies.back(), file_bytes(image.layer_blobs[i]));
  }
  convert::SquashOptions options;
  CHECK(squash_with(tmp, image.layer_blobs, "a.sqfs", options) ==
        squash_with(tmp, copies, "b.sqfs", options));
}

TEST_CASE("a gzip layer and the same layer uncompressed give the same squashfs", "[convert]") {
  TempDir tmp;
  auto layers = rich_layers();
  std::vector<std::string> gz;
  std::vector<std::string> plain;
  for (std::size_t i = 0; i < layers.size(); ++i) {
    std::string tar = build_tar(layers[i]);
    plain.push_back(tmp.file(fmt::format("l{}.tar", i)));
    write_bytes(plain.back(), tar);
    gz.push_back(tmp.file(fmt::format("l{}.tar.gz", i)));
    write_bytes(gz.back(), gzip(tar));
  }
  convert::SquashOptions options;
  CHECK(squash_with(tmp, gz, "gz.sqfs", options) == squash_with(tmp, plain, "plain.sqfs", options));
}

} // namespace sifkit::test
