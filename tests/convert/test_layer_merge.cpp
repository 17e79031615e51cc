// The merge keeps no per-path records for a layer until a hardlink can need them: a
// hardlink met later builds them from a second read of the layer, which must give the
// same links as records kept all along, and must notice a layer that changed.
#include <convert/squash.h>
#include <convert/tar_reader.h>

#include <memory>

#include "convert/image_builder.h"
#include "convert/tree_snapshot.h"
#include "support/fixtures.h"
#include <catch2/catch.hpp>
#include <fmt/format.h>

namespace sifkit::test {

namespace {

// The content of `path` in squashfs `image` (unsquashfs -cat).
std::string cat(const std::string& image, const std::string& path) {
  CommandResult r = run_command(fmt::format("unsquashfs -cat '{}' '{}'", image, path));
  INFO(r.err);
  REQUIRE(r.exit_code == 0);
  return r.out;
}

} // namespace

TEST_CASE("a hardlink after many entries links to the last entry its layer made at the target "
          "path",
          "[convert]") {
  if (!have_program("unsquashfs")) {
    SIFKIT_SKIP(program, "unsquashfs is not installed");
    return;
  }
  TempDir tmp;
  Layer layer = {tar_file("t", "first"), tar_dir("d"), tar_file("d/x", "x content")};
  for (int i = 0; i < 300; ++i)
    layer.push_back(tar_file(fmt::format("d/f{}", i), fmt::format("file {}", i)));
  layer.push_back(tar_file("t", "second"));     // named again: the link sees this one
  layer.push_back(tar_whiteout("", "ignored")); // a position without a record
  layer.push_back(tar_hardlink("l", "t"));
  layer.push_back(tar_hardlink("m", "d/x"));
  layer.push_back(tar_hardlink("n", "d/f123"));
  layer.push_back(tar_hardlink("o", "l")); // a link to a link
  auto paths = write_tars(tmp, {layer});
  std::string image = tmp.file("out.sqfs");
  auto stats = squash_files(paths, image);
  CHECK(stats.hardlinks == 4);
  CHECK(cat(image, "l") == "second");
  CHECK(cat(image, "o") == "second");
  CHECK(cat(image, "m") == "x content");
  CHECK(cat(image, "n") == "file 123");
}

TEST_CASE("a hardlink in a lower layer to a file an upper layer replaced keeps the old content",
          "[convert]") {
  if (!have_program("unsquashfs")) {
    SIFKIT_SKIP(program, "unsquashfs is not installed");
    return;
  }
  TempDir tmp;
  // The upper layer has no hardlink, so the lower layer starts without records; its
  // target is hidden, and the link needs the entry read again.
  auto paths = write_tars(tmp, {{tar_file("a", "a"), tar_file("t", "old"), tar_hardlink("l", "t")},
                                {tar_file("t", "new")}});
  std::string image = tmp.file("out.sqfs");
  auto stats = squash_files(paths, image);
  CHECK(stats.hardlinks == 1);
  CHECK(stats.entries_hidden == 1);
  CHECK(cat(image, "t") == "new");
  CHECK(cat(image, "l") == "old");
}

TEST_CASE("a layer that reads differently when a hardlink needs it again is corrupt input",
          "[convert][hostile]") {
  TempDir tmp;
  auto paths = write_tars(tmp, {{tar_file("a", "a"), tar_file("b", "b"), tar_hardlink("l", "a")},
                                {tar_symlink("a", "b"), tar_file("b", "b")}});
  auto reads = std::make_shared<int>(0);
  convert::LayerInput input{"layer 1 (changing)",
                            [paths, reads] {
                              // The second read sees a symlink where the first saw a file.
                              return convert::open_tar_file(paths[(*reads)++ == 0 ? 0 : 1]);
                            },
                            convert::Whiteouts::interpret};
  std::vector<convert::LayerInput> inputs = {input};
  auto result = convert::squash_layers(inputs, tmp.file("out.sqfs"), convert::SquashOptions{});
  REQUIRE_FALSE(result.has_value());
  INFO("error: " << result.error().what());
  CHECK(result.error().kind() == ErrorKind::corrupt_input);
  CHECK(std::string(result.error().what()).find("changed between two reads") != std::string::npos);
  CHECK(*reads == 2);
}

} // namespace sifkit::test
