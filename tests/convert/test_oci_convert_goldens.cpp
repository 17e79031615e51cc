// Golden digests of three converted images (fixtures/golden/README.md): images built here
// with fixed content, owners and times, converted with fixed options; their squashfs
// layer, config, manifest and root index digests must match the checked-in values, so a
// change of one byte of output (a compiler, libsquashfs, libdeflate or libzstd update, a
// change of our own writer) fails here. SIFKIT_GOLDEN_PRINT=1 prints the current values.
#include <convert/oci_convert.h>
#include <sif/oci_layout.h>
#include <sif/oci_sif.h>

#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "convert/convert_support.h"
#include "sif/oci_support.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>

using namespace sifkit;
using namespace sifkit::test;

namespace {

// Bytes of `size` from a fixed formula of `seed` (compressible, not all alike).
std::string pattern(std::size_t size, std::uint32_t seed) {
  std::string out(size, '\0');
  std::uint32_t x = seed * 2654435761u + 1;
  for (std::size_t i = 0; i < size; ++i) {
    x = x * 1103515245u + 12345u;
    out[i] = static_cast<char>('a' + (x >> 16) % ((i / 4096) % 7 + 3));
  }
  return out;
}

// Three layers: replaced and deleted files, an opaque directory, a deleted directory,
// hardlinks within and across layers (one whose target an upper layer replaces).
std::vector<Layer> whiteouts_and_hardlinks() {
  Layer base{tar_dir("etc"),
             tar_file("etc/a.conf", "a=1\n"),
             tar_file("etc/b.conf", "b=2\n"),
             tar_dir("usr"),
             tar_dir("usr/bin"),
             tar_file("usr/bin/tool", pattern(300 * 1024, 1), 0755),
             tar_hardlink("usr/bin/tool2", "usr/bin/tool"),
             tar_dir("opt/old"),
             tar_file("opt/old/x", "x"),
             tar_file("opt/old/y", pattern(5000, 2)),
             tar_dir("var/cache"),
             tar_file("var/cache/data", pattern(70000, 3))};
  Layer middle{tar_file("etc/a.conf", "a=changed\n", 0600), tar_whiteout("etc", "b.conf"),
               tar_opaque("opt/old"), tar_file("opt/old/z", "z\n"),
               tar_hardlink("usr/bin/tool3", "usr/bin/tool")};
  Layer top{tar_whiteout("", "var"),
            tar_file("usr/bin/tool", pattern(1000, 4), 0755),
            tar_dir("data", 0700),
            tar_file("data/f", pattern(200000, 5)),
            tar_hardlink("data/g", "data/f"),
            tar_symlink("data/link", "../usr/bin/tool2")};
  return {base, middle, top};
}

// Two layers of 2,400 small files in 40 directories, with assorted modes and owners;
// the upper layer rewrites every seventh file.
std::vector<Layer> many_small_files() {
  Layer lower;
  Layer upper;
  for (int d = 0; d < 40; ++d) {
    std::string dir = fmt::format("srv/d{:02}", d);
    lower.push_back(tar_dir(dir));
    for (int f = 0; f < 60; ++f) {
      int n = d * 60 + f;
      TarEntry file =
          tar_file(fmt::format("{}/file-{:04}.txt", dir, n),
                   pattern(static_cast<std::size_t>(n % 700), n), n % 5 == 0 ? 0755 : 0644);
      file.uid = static_cast<std::uint32_t>(n % 3 * 1000);
      file.gid = static_cast<std::uint32_t>(n % 4 * 100);
      file.mtime = 1700000000 + n;
      lower.push_back(file);
      if (n % 7 == 0) {
        upper.push_back(tar_file(file.path, fmt::format("rewritten {}\n", n)));
      }
    }
  }
  return {lower, upper};
}

// One layer of xattrs, device nodes, a FIFO, 255-byte names, a deep path, a long symlink
// target, a sparse file and setuid/sticky modes.
std::vector<Layer> xattrs_devices_long_names() {
  Layer layer{tar_dir("dev"),
              tar_device("dev/null", TarKind::char_device, 1, 3),
              tar_device("dev/sda", TarKind::block_device, 8, 0),
              tar_fifo("dev/fifo"),
              tar_dir("tmp", 01777),
              tar_file("bin/su", pattern(3000, 6), 04755)};
  TarEntry capable = tar_file("bin/ping", pattern(9000, 7), 0755);
  capable.xattrs = {{"security.capability", std::string("\x01\x00\x00\x02\x00\x20\x00\x00"
                                                        "\x00\x00\x00\x00\x00\x00\x00\x00"
                                                        "\x00\x00\x00\x00",
                                                        20)},
                    {"user.origin", "golden"}};
  layer.push_back(capable);
  TarEntry labelled = tar_dir("etc");
  labelled.xattrs = {{"user.note", std::string(300, 'n')}};
  layer.push_back(labelled);
  layer.push_back(tar_file("etc/" + std::string(255, 'l'), "long name\n"));
  layer.push_back(tar_symlink("etc/" + std::string(254, 's'), std::string(1000, 't')));
  std::string deep = "deep";
  for (int i = 0; i < 30; ++i) {
    deep += fmt::format("/level-{:02}", i);
  }
  layer.push_back(tar_file(deep + "/leaf", "leaf\n"));
  TarEntry sparse = tar_file("var/sparse.img", std::string(1 << 20, '\0'));
  sparse.content.replace(4096, 5, "start");
  sparse.content.replace(700000, 3, "end");
  sparse.sparse_data = {{4096, 4096}, {696320, 8192}};
  layer.push_back(sparse);
  return {layer};
}

// The options every golden conversion uses, spelled out so a change of defaults shows.
convert::ConvertOptions golden_options(convert::Compressor compressor, int level) {
  convert::ConvertOptions options;
  options.squash.compressor = compressor;
  options.squash.level = level;
  options.squash.block_size = 128 * 1024;
  options.squash.threads = 2;
  options.layers = convert::LayerMode::squash;
  return options;
}

// "IMAGE OBJECT" → "sha256:..." from fixtures/golden/convert-digests.txt.
std::map<std::string, std::string> checked_in() {
  std::map<std::string, std::string> out;
  std::istringstream lines(fixture_bytes("golden/convert-digests.txt"));
  for (std::string line; std::getline(lines, line);) {
    std::istringstream words(line);
    std::string image;
    std::string object;
    std::string digest;
    if (line.starts_with("#") || !(words >> image >> object >> digest)) {
      continue;
    }
    out[image + " " + object] = digest;
  }
  return out;
}

// Converts `layers` as image `name` and checks each digest against the checked-in one.
void check_golden(const std::string& name, const std::vector<Layer>& layers,
                  const convert::ConvertOptions& options) {
  TempDir dir;
  TestImage image = write_test_image(dir.file("layout"), layers);
  auto layout = oci::OciLayout::open(image.dir);
  REQUIRE_OK(layout);
  auto converted = convert::convert_image(*layout, image.manifest, dir.file("out.sif"), options);
  REQUIRE_OK(converted);
  REQUIRE(converted->layers.size() == 1);
  sif::Image file = open_image(dir.file("out.sif"));
  auto sif = oci::OciSif::open(file);
  REQUIRE_OK(sif);
  REQUIRE_OK(sif->find_blob(converted->layers[0].digest));

  std::vector<std::pair<std::string, std::string>> actual{
      {"squashfs", converted->layers[0].digest.text()},
      {"config", converted->config.text()},
      {"manifest", converted->manifest.text()},
      {"root-index", sif->root_index_digest().text()}};
  if (std::getenv("SIFKIT_GOLDEN_PRINT") != nullptr) {
    for (const auto& [object, digest] : actual) {
      std::cout << fmt::format("{:<26} {:<10} {}\n", name, object, digest);
    }
  }
  auto expected = checked_in();
  for (const auto& [object, digest] : actual) {
    INFO(name << " " << object << " (see fixtures/golden/README.md)");
    CHECK(digest == expected[name + " " + object]);
  }
}

} // namespace

TEST_CASE("an image with whiteouts and hardlinks converts to its golden digests",
          "[convert][golden]") {
  check_golden("whiteouts-hardlinks", whiteouts_and_hardlinks(),
               golden_options(convert::Compressor::gzip, 5));
}

TEST_CASE("an image of many small files converts to its golden digests", "[convert][golden]") {
  check_golden("many-small-files", many_small_files(),
               golden_options(convert::Compressor::gzip, 9));
}

TEST_CASE("an image with xattrs, devices and long names converts to its golden digests",
          "[convert][golden]") {
  check_golden("xattrs-devices-long-names", xattrs_devices_long_names(),
               golden_options(convert::Compressor::zstd, 15));
}
